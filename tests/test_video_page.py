"""The video page through AppTest, on the real engine (no mocks): a tiny clip made here with
PyAV (64x48, 12 frames, a tone) is uploaded, probed, previewed, painted to the end on the
page's own thread (with the side-by-side clip), and cancelled; a text file named .mp4 gets its
one-line error."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.video import probe, scratch
from tests.apptest_helpers import open_app, texts, wait_until
from tests.test_video_io import make_clip
from ui.video import run as video_run

UPLOAD = "video.clip_upload"
FRAMES = 12


def clip_bytes(tmp_path: Path, frames: int = FRAMES) -> bytes:
    return make_clip(tmp_path / "clip.mp4", frames=frames).read_bytes()


def video_page(name: str, data: bytes) -> AppTest:
    """The video page on Any painting at 256 px, with ``data`` uploaded as ``name``."""
    at = open_app("pages/video.py")
    assert at.segmented_control(key="video.mode").value == "arbitrary"
    at.file_uploader(key=UPLOAD).set_value([(name, data, "video/mp4")])
    at.slider(key="batch.size").set_value(256)
    at.run()
    assert not at.exception, at.exception
    return at


def current(at: AppTest) -> video_run.VideoRun:
    return at.session_state[video_run.CURRENT]


def ended(at: AppTest) -> bool:
    return video_run.CURRENT in at.session_state and not current(at).active


def frame_count(tmp_path: Path, data: bytes) -> int:
    path = tmp_path / "out.mp4"
    path.write_bytes(data)
    return probe(path).frame_count


def leftovers() -> set[str]:
    return {name for name in os.listdir(tempfile.gettempdir())
            if name.startswith(scratch.PREFIX)}


def test_a_clip_is_probed_previewed_and_painted_with_its_side_by_side(tmp_path):
    before = leftovers()
    at = video_page("tiny clip.mp4", clip_bytes(tmp_path))
    assert not at.error, texts(at.error)
    uploader = at.file_uploader(key=UPLOAD).proto
    assert {".mp4", ".mov", ".webm", ".mkv"} <= set(uploader.type)
    captions = texts(at.caption)
    assert "64 × 48 px · 12 frames at 24" in captions and "sound (aac)" in captions
    assert "60 s" in captions and "1920 px" in captions  # the limits, said up front
    assert at.toggle(key="video.consistency").value is True

    at.button(key="video.preview_button").click().run()
    assert not at.exception, at.exception
    captions = [c for image in at.get("image") for c in image.captions]
    assert {"First frame", "Painted"} <= set(captions)

    at.toggle(key="video.side_by_side").set_value(True).run()
    at.button(key="video.paint").click().run()
    wait_until(at, ended)
    at.run()  # the run is read live: it may have ended after the page last drew it
    run = current(at)
    assert run.status == video_run.DONE, run.error
    assert "Done: 12 frames" in " ".join(bar.proto.text for bar in at.get("progress"))
    assert frame_count(tmp_path, run.painted) == FRAMES
    assert frame_count(tmp_path, run.beside) == FRAMES
    path = tmp_path / "beside.mp4"
    path.write_bytes(run.beside)
    beside = probe(path)
    assert beside.width == 2 * run.result.width and beside.has_audio
    downloads = at.get("download_button")
    assert len(downloads) == 2 and len(at.get("video")) == 2
    assert "Warping error" in " ".join(m.label for m in at.metric)
    assert leftovers() <= before  # the upload's and the run's temporary files are gone


def test_cancel_stops_the_run_and_keeps_nothing(tmp_path):
    at = video_page("long.mp4", clip_bytes(tmp_path, frames=120))
    at.button(key="video.paint").click().run()
    wait_until(at, lambda at: current(at).done >= 1)
    at.button(key="video.cancel").click().run()
    wait_until(at, ended)
    at.run()  # the run is read live: it may have ended after the page last drew it
    run = current(at)
    assert run.status == video_run.CANCELLED and run.painted is None
    assert run.done < 120
    assert "Cancelled after" in " ".join(bar.proto.text for bar in at.get("progress"))


def test_a_run_goes_on_while_another_page_is_open(tmp_path):
    at = video_page("walk.mp4", clip_bytes(tmp_path, frames=24))
    at.button(key="video.paint").click().run()
    at.switch_page("pages/home.py")
    at.run()
    assert not at.exception, at.exception
    wait_until(at, ended)  # reruns of the home page: the worker paints on regardless
    at.switch_page("pages/video.py")
    at.run()
    assert current(at).status == video_run.DONE
    assert frame_count(tmp_path, current(at).painted) == 24
    assert len(at.get("download_button")) == 1


def test_a_text_file_named_mp4_gets_a_one_line_error():
    at = video_page("notes.mp4", b"this is not a video at all\n" * 20)
    assert len(at.error) == 1
    message = at.error[0].value
    assert "notes.mp4 is not a video" in message and "\n" not in message
    assert at.button(key="video.paint").disabled
    assert not [b for b in at.button if b.key == "video.preview_button"]


def test_upload_names_cannot_leave_the_scratch_folder():
    assert scratch.safe_name("../../etc/pass wd.MP4") == "pass wd.mp4"
    assert scratch.safe_name("..\\x\\ev!l.mov") == "ev_l.mov"
    assert scratch.safe_name("") == "clip.mp4"
