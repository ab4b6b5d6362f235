"""Batch painting on the local engine: real runs on tiny photos (the Ray engine's batch is
tested in test_ray.py). What a person sees: every good photo painted into a mirror of the
input folder, one stderr line per broken one, a rerun that resumes, one JSON line."""

import io
import json
import pickle
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core import batch, cli, images, picture_recipe
from core.batch import painting as batch_painting
from core.classic import ClassicConfig
from core.engine import records
from core.errors import SettingsError, UserError
from core.fast.arbitrary import ArbitraryConfig
from tests.conftest import painting, photo

ROOT = Path(__file__).resolve().parents[1]
WAVE = str(ROOT / "styles" / "wave.jpg")
SHIPWRECK = str(ROOT / "styles" / "shipwreck.jpg")


def save(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


@pytest.fixture
def album(tmp_path) -> Path:
    """holiday/: three photos (48x36, one in a subfolder), a broken .jpg, a text file."""
    folder = tmp_path / "holiday"
    save(folder / "beach.jpg", photo(36, 48))
    save(folder / "hills.png", photo(36, 48, shift=60))
    save(folder / "town" / "square.png", photo(48, 36, shift=120))
    (folder / "town" / "broken.jpg").write_bytes(np.random.default_rng(0).bytes(500))
    (folder / "notes.txt").write_text("not a photo")
    return folder


def run_cli(args, capsys) -> tuple[int, dict, list[str]]:
    code = cli.main(args)
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1, captured.out  # stdout: the JSON line only
    return code, json.loads(lines[0]), captured.err.splitlines()


def failures(stderr: list[str]) -> list[str]:
    return [line for line in stderr if line.startswith("failed:")]


def test_a_folder_is_painted_into_a_mirror_and_a_rerun_resumes(album, tmp_path, capsys):
    out = tmp_path / "painted"
    args = ["batch", "--content", str(album), "--style", "starry_night", "--size", "40",
            "--out", str(out)]
    code, summary, stderr = run_cli(args, capsys)
    assert code == 2  # one photo failed
    assert {k: summary[k] for k in ("engine", "nodes", "done", "skipped", "failed", "output")} == {
        "engine": "local", "nodes": 1, "done": 3, "skipped": 0, "failed": 1,
        "output": str(out)}
    assert summary["per_image_seconds"] == pytest.approx(summary["seconds"] / 3, abs=1e-3)
    [line] = failures(stderr)
    assert line.startswith("failed: town/broken.jpg: not an image")
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == ["beach.png", "hills.png", "town/square.png"]  # no temporary files left
    assert Image.open(out / "beach.png").size == (40, 30)
    assert Image.open(out / "town" / "square.png").size == (30, 40)

    times = {path: path.stat().st_mtime_ns for path in out.rglob("*.png")}
    code, summary, stderr = run_cli(args, capsys)
    assert code == 2
    assert (summary["done"], summary["skipped"], summary["failed"]) == (0, 3, 1)
    assert summary["nodes"] == 0 and summary["per_image_seconds"] is None
    assert len(failures(stderr)) == 1
    assert {path: path.stat().st_mtime_ns for path in out.rglob("*.png")} == times


def test_a_clean_batch_exits_0_and_a_deleted_output_is_painted_again(album, tmp_path, capsys):
    (album / "town" / "broken.jpg").unlink()
    out = tmp_path / "out"
    args = ["batch", "--content", str(album), "--multistyle", "3:1,12:1", "--size", "32",
            "--out", str(out)]
    code, summary, stderr = run_cli(args, capsys)
    assert code == 0 and summary["done"] == 3 and summary["failed"] == 0, stderr
    (out / "hills.png").unlink()
    code, summary, _ = run_cli(args, capsys)
    assert code == 0 and (summary["done"], summary["skipped"]) == (1, 2)
    assert (out / "hills.png").is_file()


def test_nothing_to_paint_opens_no_engine(album, tmp_path, capsys, monkeypatch):
    (album / "town" / "broken.jpg").unlink()
    out = tmp_path / "out"
    args = ["batch", "--content", str(album), "--multistyle", "3", "--size", "32", "--out",
            str(out), "--engine", "local"]
    code, summary, _ = run_cli(args, capsys)
    assert code == 0 and summary["done"] == 3

    def no_engine(settings):
        raise AssertionError(f"an engine was opened: {settings}")

    monkeypatch.setattr("core.engine.open_engine", no_engine)
    code, summary, stderr = run_cli(args, capsys)
    assert code == 0 and not failures(stderr)
    assert {k: summary[k] for k in ("engine", "nodes", "done", "skipped", "failed",
                                    "connect_seconds", "per_image_seconds")} == {
        "engine": "local", "nodes": 0, "done": 0, "skipped": 3, "failed": 0,
        "connect_seconds": 0.0, "per_image_seconds": None}


def test_the_real_entry_point_exits_2_when_a_photo_fails(album, tmp_path):
    out = tmp_path / "out"
    completed = subprocess.run(
        [sys.executable, "-m", "core", "batch", "--content", str(album / "beach.jpg"),
         str(album / "town"), "--style", "udnie", "--size", "32", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 2, completed.stderr
    summary = json.loads(completed.stdout)  # stdout is the JSON line and nothing else
    assert (summary["done"], summary["failed"], summary["nodes"]) == (2, 1, 1)
    assert len(failures(completed.stderr.splitlines())) == 1
    assert "100%" in completed.stderr  # the progress bar went to stderr
    assert sorted(p.name for p in out.iterdir()) == ["beach.png", "square.png"]


@pytest.mark.parametrize(
    "flags, message",
    [
        ([], "give one of --style NAME"),
        (["--style", "udnie", "--multistyle", "3"], "(got --style and --multistyle)"),
        (["--style", "udnie", "--style", "wave"], "--style names one trained network"),
        (["--style", "no-such-net"], "no style network named 'no-such-net'"),
        (["--style-image", WAVE, "--mix", "1,2"], "one weight per painting (1), got 2"),
        (["--style", "udnie", "--mix", "1"], "--mix weighs paintings"),
        (["--multistyle", "3", "--iterations", "2"], "--iterations is for the classic"),
        (["--classic"], "--classic needs at least one painting"),
        (["--classic", "--style", WAVE, "--multistyle", "3"], "not with --multistyle"),
        (["--classic", "--style", WAVE, "--strength", "0.5"], "--strength is for the fast"),
        (["--classic", "--style", WAVE, "--keep-halos"], "--keep-halos is for the fast"),
        (["--multistyle", "40"], "style index must be 0 to 25"),
        (["--style-image", WAVE, "--size", "9000"], "size must be between"),
        (["--style", "udnie", "--content", "MISSING"], "no such file or folder"),
        (["--style", "udnie", "--content", "NOTES"], "no photos found"),
        (["--style-image", WAVE, "--mix", "1,x"], "--mix takes numbers separated by commas"),
        (["--style", "udnie", "--ray-address", "auto"], "--ray-address needs --engine ray"),
        (["--style", "udnie", "--engine", "local", "--ray-address", "127.0.0.1:6379"],
         "--ray-address needs --engine ray"),
    ],
)
def test_mistakes_exit_2_with_one_line(flags, message, album, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("STYLE_STUDIO_ENGINE", raising=False)  # the default engine: local
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("nothing to paint")
    content = {"MISSING": str(tmp_path / "missing"), "NOTES": str(empty)}
    if "--content" in flags:
        at = flags.index("--content")
        flags = [*flags[:at], "--content", content[flags[at + 1]], *flags[at + 2:]]
    else:
        flags = [*flags, "--content", str(album)]
    code = cli.main(["batch", "--out", str(tmp_path / "out"), "--size", "32", *flags])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    error = captured.err.strip()
    assert error.startswith("error: ") and "\n" not in error
    assert message in error
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_arbitrary_paints_what_the_fast_command_paints_and_multistyle_differs(
        album, tmp_path, capsys):
    out = tmp_path / "any"
    code, summary, _ = run_cli(
        ["batch", "--content", str(album / "beach.jpg"), "--style-image", WAVE,
         "--style-image", SHIPWRECK, "--mix", "0.7,0.3", "--strength", "0.8", "--size", "48",
         "--out", str(out)], capsys)
    assert code == 0 and summary["done"] == 1
    single = tmp_path / "single.png"
    assert cli.main(["fast", "--content", str(album / "beach.jpg"), "--style-image", WAVE,
                     "--style-image", SHIPWRECK, "--mix", "0.7,0.3", "--strength", "0.8",
                     "--size", "48", "--out", str(single)]) == 0
    capsys.readouterr()
    mixed = images.load_image(out / "beach.png")
    # The painting shrunk once into the recipe, the style vector cached: the same picture.
    np.testing.assert_array_equal(mixed, images.load_image(single))

    code, _, _ = run_cli(["batch", "--content", str(album / "beach.jpg"), "--multistyle",
                          "7", "--size", "48", "--out", str(tmp_path / "multi")], capsys)
    assert code == 0
    assert picture_recipe.read(out / "beach.png").settings["dehalo"] is True
    code, _, _ = run_cli(["batch", "--content", str(album / "beach.jpg"), "--multistyle",
                          "7", "--size", "48", "--keep-halos", "--out", str(tmp_path / "kept")],
                         capsys)
    assert code == 0 and picture_recipe.read(tmp_path / "kept" / "beach.png").settings[
        "dehalo"] is False
    multi = images.load_image(tmp_path / "multi" / "beach.png")
    assert multi.shape == mixed.shape
    assert np.abs(multi.astype(int) - mixed.astype(int)).mean() > 10


def test_classic_batch_from_the_command_line(album, tmp_path, capsys):
    out = tmp_path / "classic"
    code, summary, stderr = run_cli(
        ["batch", "--content", str(album / "hills.png"), "--classic", "--style", WAVE,
         "--style-image", SHIPWRECK, "--mix", "2,1", "--size", "32", "--iterations", "2",
         "--backbone", "vgg16-hed", "--out", str(out)], capsys)
    assert code == 0, stderr
    assert summary["method"] == "classic" and summary["done"] == 1
    assert Image.open(out / "hills.png").size == (32, 24)


def classic_recipe(**changes) -> batch.BatchRecipe:
    config = ClassicConfig(size=32, iterations=2, backbone="vgg16-hed", snapshot_every=0)
    return batch.BatchRecipe("classic", paintings=(painting(400),), config=config, **changes)


def test_a_classic_item_runs_as_a_task_and_stops_when_cancelled():
    task = batch.PaintTask(classic_recipe(), images.encode_png(photo(36, 48)), "a.png")
    events = []
    result = task.run(events.append, threading.Event())
    assert (result.width, result.height, result.stopped_by) == (32, 24, "iterations")
    assert Image.open(io.BytesIO(result.png)).size == (32, 24)
    assert result.summary() == {"size": [32, 24], "seconds": round(result.seconds, 3),
                                "stopped_by": "iterations"}
    assert events  # the run's own events reach the job's record
    cancel = threading.Event()
    cancel.set()
    assert task.run(lambda event: None, cancel).stopped_by == "cancel"


def test_a_classic_item_on_the_engine_reports_how_far_it_is():
    """A batch photo painted by optimisation has a plan (iterations, scales): its progress
    and the page's ETA read it while it runs; a one-pass photo has none."""
    from core.engine.local import LocalEngine

    config = ClassicConfig(size=32, iterations=100_000, backbone="vgg16-hed", snapshot_every=0)
    task = batch.PaintTask(batch.BatchRecipe("classic", paintings=(painting(400),),
                                             config=config),
                           images.encode_png(photo(36, 48)), "a.png")
    engine = LocalEngine(slots=1)
    job = engine.submit("batch-test", task, replace=False)
    deadline = time.monotonic() + 120
    while len(job.view().rows) < 3:
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
    view = job.view()
    assert view.planned_iterations == 100_000 and view.optimizer == config.optimizer
    assert 0 < view.fraction() < 0.01
    job.cancel()
    assert job.wait(30)
    fast = batch.PaintTask(batch.BatchRecipe("multistyle", multistyle="3"), b"", "b.png")
    assert records.plan_of(fast) == records.Plan()


def test_a_worker_loads_each_network_once_and_a_task_survives_pickling():
    recipe = batch.BatchRecipe("arbitrary", paintings=(painting(300),),
                               config=ArbitraryConfig(size=32))
    tasks = [batch.PaintTask(recipe, images.encode_png(photo(36, 48, shift)), f"{shift}.png")
             for shift in (0, 50, 100)]
    for task in tasks:
        task = pickle.loads(pickle.dumps(task))  # as a Ray worker receives it
        assert task.run(lambda event: None, threading.Event()).width == 32
    network = ("arbitrary_transformer", "bfloat16", False)
    assert batch_painting.loads[network] == 1
    assert batch_painting.loads[("style_predictor",)] == 1
    assert recipe.key() in batch_painting._vectors
    assert batch_painting.loaded(network).tracing_count == 1  # one trace for every photo


def test_a_broken_photo_fails_its_task_with_a_one_line_user_error():
    task = batch.PaintTask(batch.BatchRecipe("multistyle", multistyle="1"), b"\x00" * 99,
                           "trip/x.jpg")
    with pytest.raises(UserError, match=r"^photo trip/x\.jpg: not an image"):
        task.run(lambda event: None, threading.Event())


def test_the_recipe_shrinks_paintings_once_and_its_key_follows_every_setting():
    big = np.zeros((900, 1200, 3), np.uint8)
    big[:, 600:] = 255
    arbitrary = batch.BatchRecipe("arbitrary", paintings=(big,))
    assert arbitrary.paintings[0].shape == (256, 256, 3)  # the centre square at style_size
    classic = batch.BatchRecipe("classic", paintings=(big, painting(48)),
                                config=ClassicConfig(size=64, style_scale=2.0))
    assert classic.paintings[0].shape == (96, 128, 3)  # style_scale x size, never enlarged
    assert classic.paintings[1].shape == (48, 48, 3)
    assert classic.painting_names == ("painting-1", "painting-2")
    assert classic.config.size == 64
    again = batch.BatchRecipe("arbitrary", paintings=(big.copy(),))
    assert again.key() == arbitrary.key() and len(arbitrary.key()) == 16
    changed = [batch.BatchRecipe("arbitrary", paintings=(255 - big,)),
               batch.BatchRecipe("arbitrary", paintings=(big,), config=ArbitraryConfig(size=64)),
               batch.BatchRecipe("arbitrary", paintings=(big, big), mix=(1, 2))]
    assert len({recipe.key() for recipe in [arbitrary, *changed]}) == 4
    assert json.loads(json.dumps(classic.describe()))["config"]["size"] == 64
    assert batch.BatchRecipe("classic", paintings=(big,)).config.iterations == 60  # recommended


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: batch.BatchRecipe("oil"), "method must be one of"),
        (lambda: batch.BatchRecipe("trained"), "needs a style"),
        (lambda: batch.BatchRecipe("multistyle", multistyle="3", style="udnie"), "takes no style"),
        (lambda: batch.BatchRecipe("multistyle", multistyle="99"), "style index"),
        (lambda: batch.BatchRecipe("arbitrary"), "at least one painting"),
        (lambda: batch.BatchRecipe("trained", style="udnie", paintings=(painting(),)),
         "takes no paintings"),
        (lambda: batch.BatchRecipe("classic", paintings=(painting(),), mix=(1, 1)),
         "one mix weight per painting"),
        (lambda: batch.BatchRecipe("arbitrary", paintings=(painting(),), mix=(0,)),
         "not all zero"),
    ],
)
def test_a_bad_recipe_is_refused_in_one_line(make, message):
    with pytest.raises(SettingsError, match=message):
        make()


def test_photos_are_collected_sorted_and_no_two_outputs_clash(tmp_path):
    for name in ("trip/b.jpg", "trip/a.JPG", "trip/sub/c.tiff", "trip/.hidden.jpg",
                 "trip/.cache/d.jpg", "trip/__MACOSX/._e.jpg", "trip/readme.md",
                 "other/trip/a.jpg", "other/x.png", "other/x.jpg", "single/a.jpg"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    out = tmp_path / "trip" / "out"
    out.mkdir()
    (out / "old.png").write_bytes(b"")  # an earlier run's output inside the input folder
    photos = batch.collect_photos([tmp_path / "trip", tmp_path / "other" / "trip",
                                   tmp_path / "other" / "x.png", tmp_path / "other" / "x.jpg",
                                   tmp_path / "single" / "a.jpg", tmp_path / "trip" / "b.jpg"],
                                  skip=out)
    assert [p.relative for p in photos] == [
        "a.JPG", "b.jpg", "sub/c.tiff", "a.jpg", "x.png", "x.jpg", "a.jpg"]
    assert photos[1].path == tmp_path / "trip" / "b.jpg"  # named twice, painted once
    outputs = [batch.output_path(tmp_path / "o", p).relative_to(tmp_path / "o").as_posix()
               for p in photos]
    # The a.png and x.png clashes take their folder's name; the two trip/a.png, a number.
    assert outputs == ["trip/a.png", "b.png", "sub/c.png", "trip/a-2.png", "other/x.png",
                       "other/x-2.png", "single/a.png"]
    with pytest.raises(UserError, match="no such file or folder"):
        batch.collect_photos([tmp_path / "nowhere"])


def test_one_naming_rule_for_every_output():
    """The command line's files and the page's ZIP: folders kept, made safe, .png, clashes
    (case-insensitive) told apart by prefix (a folder, a ZIP), then by number."""
    assert batch.output_names(["a.jpg", "a.png", "x/a.JPG", "../../etc/b.tif", "c", "/d.gif",
                               "A.webp"]) == [
        "a.png", "a-2.png", "x/a.png", "etc/b.png", "c.png", "d.png", "A-3.png"]
    assert batch.output_names(["beach.jpg", "trip/beach.png", "beach.jpg", "trip/beach.jpg"],
                              ["", "album", "holiday", "album"]) == [
        "beach.png", "album/trip/beach.png", "holiday/beach.png", "album/trip/beach-2.png"]
    assert batch.output_names([]) == []


def test_an_output_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    path = tmp_path / "a.png"
    images.write_atomically(path, b"first")
    assert path.read_bytes() == b"first" and [p.name for p in tmp_path.iterdir()] == ["a.png"]

    def crash(source, target):
        raise OSError("disk full")

    monkeypatch.setattr("core.images.os.replace", crash)
    with pytest.raises(OSError, match="disk full"):
        images.write_atomically(path, b"second")
    assert path.read_bytes() == b"first" and [p.name for p in tmp_path.iterdir()] == ["a.png"]
