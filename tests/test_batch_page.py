"""The batch page through AppTest, on the real local engine (no mocks): photos and a ZIP of
photos in, one of them broken; results as they finish, the failure with its reason, the ZIP
of pictures and settings out; Cancel; what the page refuses before anything runs."""

from __future__ import annotations

import io
import json
import time
import zipfile

from PIL import Image
from streamlit.testing.v1 import AppTest

from core.batch import uploads as batch_uploads
from core.progress import CANCELLED, DONE, FAILED, QUEUED
from tests.apptest_helpers import open_app, png_bytes, texts, wait_until
from ui.batch import run as batch_run

UPLOAD = "batch.photos_upload"


def jpeg_bytes(height=40, width=56) -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(png_bytes(height, width))).save(buffer, format="JPEG")
    return buffer.getvalue()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def current(at: AppTest) -> batch_run.BatchRun:
    return at.session_state[batch_run.CURRENT]


def ended(at: AppTest) -> bool:
    return batch_run.CURRENT in at.session_state and not current(at).active


def progress_text(at: AppTest) -> str:
    return " ".join(bar.proto.text for bar in at.get("progress"))


def batch_page(**files: bytes) -> AppTest:
    """The batch page on Any painting at 256 px, with ``files`` uploaded."""
    at = open_app("pages/batch.py")
    assert at.segmented_control(key="batch.mode").value == "arbitrary"
    at.file_uploader(key=UPLOAD).set_value(
        [(name.replace("__", "."), data, "application/octet-stream")
         for name, data in files.items()])
    at.slider(key="batch.size").set_value(256)
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_batch_paints_each_photo_lists_the_broken_one_and_zips_the_pictures():
    album = zip_bytes({"trip/beach.png": png_bytes(48, 64), "trip/day 2/hill.jpg": jpeg_bytes(),
                       "trip/notes.txt": b"not a photo", "__MACOSX/trip/._beach.png": b"fork"})
    at = batch_page(one__png=png_bytes(64, 48), broken__jpg=b"this is not a photo",
                    album__zip=album)
    assert not at.error, texts(at.error)
    uploader = at.file_uploader(key=UPLOAD).proto
    assert {".png", ".jpg", ".webp", ".bmp", ".tif", ".gif", ".zip"} <= set(uploader.type)
    assert "4 photos" in " ".join(e.proto.label for e in at.expander)
    assert "Left out, not photos: album.zip/trip/notes.txt" in texts(at.caption)
    at.button(key="batch.run").click().run()
    assert not at.exception, at.exception
    wait_until(at, ended)
    at.run()  # the run is read live: it may have ended after the page last drew it

    run = current(at)
    assert [item.status for item in run.items] == [DONE, FAILED, DONE, DONE]
    assert progress_text(at).startswith("Done: 3 of 4 painted in ")
    assert "1 failed" in progress_text(at)
    assert "broken.jpg" in texts(at.error) and "not an image file we can read" in texts(at.error)
    captions = [c for image in at.get("image") for c in image.captions]
    for name, size in (("one.png", "192 × 256"), ("trip/beach.png", "256 × 192"),
                       ("trip/day 2/hill.jpg", "256 × 183")):
        assert any(c.startswith(f"{name} · {size} px · ") for c in captions), captions
    assert not _engine().jobs_of(owner(at))  # each job forgotten once copied

    [button] = at.get("download_button")
    assert button.proto.label.startswith("Download all (3 pictures and settings.json, ZIP)")
    with zipfile.ZipFile(io.BytesIO(run.archive)) as archive:
        assert sorted(archive.namelist()) == ["one.png", "settings.json", "trip/beach.png",
                                              "trip/day 2/hill.png"]
        sizes = {name: Image.open(io.BytesIO(archive.read(name))).size
                 for name in archive.namelist() if name.endswith(".png")}
        record = json.loads(archive.read("settings.json"))
    assert sizes == {"one.png": (192, 256), "trip/beach.png": (256, 192),
                     "trip/day 2/hill.png": (256, 183)}
    assert record["recipe"]["method"] == "arbitrary"
    assert record["recipe"]["paintings"] == ["styles/starry_night.jpg"]
    assert record["recipe"]["config"]["size"] == 256
    assert (record["painted"], record["failed"]) == (3, 1)
    assert record["photos"][1]["photo"] == "broken.jpg"
    assert "not an image file we can read" in record["photos"][1]["error"]


def _engine():
    from ui import common

    return common.engine()


def owner(at: AppTest) -> str:
    from ui import common

    return f"{at.session_state[common.OWNER]}.batch"


def test_cancel_stops_the_rest_of_the_batch():
    many = {f"photo{i:02d}__png": png_bytes(40 + i, 56) for i in range(12)}
    at = batch_page(**many)
    at.slider(key="batch.size").set_value(2048).run()  # slow enough to cancel in time
    at.button(key="batch.run").click().run()
    assert not at.exception, at.exception
    assert not at.button(key="batch.cancel").disabled
    at.button(key="batch.cancel").click().run()
    assert not at.exception, at.exception
    wait_until(at, ended, seconds=120)

    run = current(at)
    cancelled = run.count(CANCELLED)
    assert cancelled >= len(run.items) - 2 * _engine().slots  # waiting ones never started
    assert run.count(DONE) + cancelled == len(run.items)
    assert progress_text(at).startswith(f"Cancelled: {run.count(DONE)} of 12 painted")
    assert f"{cancelled} not painted" in progress_text(at)
    assert at.button(key="batch.cancel").disabled
    assert not _engine().jobs_of(owner(at))
    assert _engine().counts() == (0, 0)


def test_a_batch_goes_on_while_its_page_is_left():
    """More photos than the window: the feeder thread submits the rest as jobs end while the
    person is on another page, never more than the window at once."""
    window = batch_run.window(_engine())
    count = window + 3
    at = batch_page(**{f"p{i}__png": png_bytes(40 + i) for i in range(count)})
    at.button(key="batch.run").click().run()
    assert not at.exception, at.exception
    run = current(at)
    with run.lock:  # the feeder may be sending the next ones
        waiting = [item for item in run.items if item.job_id is None]
        assert waiting and all(item.data and item.status == QUEUED for item in waiting)
    at.switch_page("pages/home.py")
    at.run()
    deadline, seen = time.monotonic() + 120, []
    while not all(item.ended for item in run.items):  # nobody draws the batch page
        assert time.monotonic() < deadline, "timed out"
        seen.append(len(_engine().jobs_of(run.owner)))
        time.sleep(0.05)
    assert seen and max(seen) <= window
    assert run.count(DONE) == count
    assert all(item.data is None for item in run.items)  # each sent once, then let go
    assert not _engine().jobs_of(run.owner)  # every job collected and forgotten
    at.switch_page("pages/batch.py")
    at.run()
    assert not at.exception, at.exception
    assert progress_text(at).startswith(f"Done: {count} of {count} painted in ")
    assert len([c for image in at.get("image") for c in image.captions
                if " px · " in c]) == count


def test_a_batch_keeps_at_most_its_window_of_jobs_on_the_engine():
    """Two per slot: another visitor's job waits behind a window of the batch, not all of
    it; the photos not yet submitted wait in the session."""
    window = batch_run.window(_engine())
    at = batch_page(**{f"p{i}__png": png_bytes(40 + i) for i in range(window + 4)})
    at.button(key="batch.run").click().run()
    assert not at.exception, at.exception
    run = current(at)
    with run.lock:  # the feeder may already have collected some and sent others
        assert sum(item.job_id is not None and not item.ended for item in run.items) <= window
    assert "painted" in progress_text(at)
    seen = []

    def finished(page: AppTest) -> bool:
        seen.append(len(_engine().jobs_of(owner(page))))
        return ended(page)

    wait_until(at, finished)
    assert seen and max(seen) <= window
    assert current(at).count(DONE) == window + 4
    assert not _engine().jobs_of(owner(at))


def test_a_new_batch_cancels_the_one_before():
    at = batch_page(**{f"p{i}__png": png_bytes() for i in range(6)})
    at.slider(key="batch.size").set_value(2048).run()
    at.button(key="batch.run").click().run()
    first = [item.job_id for item in current(at).items]
    at.slider(key="batch.size").set_value(256)
    at.button(key="batch.run").click().run()
    assert not at.exception, at.exception
    assert all(_engine().get(job_id) is None for job_id in first)  # cancelled and forgotten
    wait_until(at, ended)
    assert current(at).count(DONE) == 6


def test_too_many_photos_or_a_bad_zip_hold_the_batch_back(monkeypatch):
    monkeypatch.setenv(batch_uploads.MAX_PHOTOS_ENV, "3")
    at = batch_page(**{f"p{i}__png": png_bytes() for i in range(4)})
    assert "4 photos: a batch takes at most 3." in texts(at.error)
    assert "A batch takes up to 3 photos" in texts(at.caption)
    assert at.button(key="batch.run").disabled
    at.file_uploader(key=UPLOAD).set_value([("album.zip", b"PK not really", "application/zip")])
    at.run()
    assert "ZIP album.zip: not a ZIP file we can read" in texts(at.error)
    assert at.button(key="batch.run").disabled


def test_a_zip_bomb_is_refused_from_its_directory():
    bomb = zip_bytes({f"{i}.png": bytes(60 * 2**20) for i in range(4)})  # 240 MB unpacked
    read = batch_uploads.read_uploads([("bomb.zip", bomb)], file_limit_mb=100, limit=40)
    assert not read.photos
    assert read.problems == ("ZIP bomb.zip: its photos come to 240 MB unpacked; a batch "
                             "takes at most 200 MB.",)


def counting_reads(monkeypatch) -> list[int]:
    """The bytes of every ZIP entry inflated from now on."""
    inflated = []
    read = zipfile.ZipFile.read

    def counted(self, name, pwd=None):
        data = read(self, name, pwd)
        inflated.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipFile, "read", counted)
    return inflated


def test_many_zips_together_over_the_limit_are_refused_before_they_are_unpacked(monkeypatch):
    """Each ZIP is under every per-file limit (three 15 MB photos, 45 MB unpacked) and six
    come to 270 MB: the running total refuses the fifth and sixth unread."""
    album = zip_bytes({f"day/{i}.png": bytes(15 * 2**20) for i in range(3)})
    inflated = counting_reads(monkeypatch)
    read = batch_uploads.read_uploads([(f"album{i}.zip", album) for i in range(1, 7)],
                                      file_limit_mb=20, limit=40)
    assert sum(inflated) == 4 * 45 * 2**20 <= batch_uploads.MAX_TOTAL_MB * 2**20
    assert len(read.photos) == 12 and read.megabytes == 180
    assert read.problems == tuple(
        f"ZIP album{i}.zip: its photos come to 45 MB unpacked, {180 + 45} MB with the photos "
        "before it; a batch takes at most 200 MB." for i in (5, 6))


def test_zips_over_the_photo_count_are_refused_before_they_are_unpacked(monkeypatch):
    album = zip_bytes({f"{i}.png": png_bytes() for i in range(3)})
    inflated = counting_reads(monkeypatch)
    read = batch_uploads.read_uploads([("one.png", png_bytes()), ("a.zip", album),
                                       ("b.zip", album)], file_limit_mb=20, limit=5)
    assert len(inflated) == 3 and len(read.photos) == 4
    assert read.problems == ("ZIP b.zip: it holds 3 photos, 7 with the photos before it; a "
                             "batch takes at most 5. Remove some, or split them into several "
                             "batches.",)
    assert [photo.folder for photo in read.photos] == ["", "a", "a", "a"]
