"""The command line: one real subprocess run, and user mistakes answered in one line."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core import cli, fast_command, images, picture_recipe

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def photo(tmp_path) -> Path:
    y, x = np.mgrid[0:60, 0:80]
    pixels = np.stack([x * 3, y * 4, np.full_like(x, 100)], -1).astype(np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(pixels).save(path)
    return path


def test_classic_stylises_and_ends_with_a_json_line(photo, tmp_path):
    out = tmp_path / "painted.png"
    snapshots = tmp_path / "snaps"
    completed = subprocess.run(
        [sys.executable, "-m", "core", "classic", "--content", str(photo),
         "--style", str(ROOT / "styles" / "starry_night.jpg"), "--size", "48",
         "--iterations", "4", "--snapshot-every", "2", "--snapshots-dir", str(snapshots),
         "--backbone", "vgg16-hed", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.strip().splitlines()
    assert lines[0].startswith("backbone: VGG16-HED (offline)")
    assert lines[1].startswith("estimate: about") and "(48x36, in one pass)" in lines[1]
    assert [line.split()[1] for line in lines[2:-1]] == ["1/4", "2/4", "3/4", "4/4"]
    summary = json.loads(lines[-1])
    assert summary["backbone"] == "vgg16-hed"
    assert summary["size"] == [48, 36]
    assert summary["iterations"] == 4
    assert summary["output"] == str(out)
    assert set(summary["losses"]) == {"content", "style", "tv", "total"}
    assert Image.open(out).size == (48, 36)
    # iteration 0, the starting picture, has a file but no line: by default the fast picture
    # (init "fast"), not the photo; every file carries the run's recipe
    assert sorted(p.name for p in snapshots.iterdir()) == ["00000.png", "00002.png", "00004.png"]
    start = np.asarray(Image.open(snapshots / "00000.png").convert("RGB"))
    with Image.open(photo) as original:
        photo_pixels = images.resize_longest(np.asarray(original.convert("RGB")), 48)
    assert np.abs(start.astype(int) - photo_pixels).mean() > 10
    assert picture_recipe.read(snapshots / "00000.png").settings["init"] == "fast"
    assert picture_recipe.read(out).settings["iterations"] == 4


@pytest.mark.parametrize(
    "make_args, message",
    [
        (lambda d, p: ["--content", str(d / "missing.jpg")], "content image: file not found"),
        (lambda d, p: ["--content", str(d / "notes.jpg")], "content image: not an image"),
        (lambda d, p: ["--content", str(p), "--iterations", "0"], "iterations"),
        (lambda d, p: ["--content", str(p), "--content-weight", "nan"], "content_weight"),
        (lambda d, p: ["--content", str(p), "--style-weight", "-3"], "style_weight"),
        (lambda d, p: ["--content", str(p), "--size", "9000"], "size must be between"),
        (lambda d, p: ["--content", str(p), "--out", str(d / "x.jpg")], ".png"),
        (lambda d, p: ["--content", str(p), "--out", str(d / "no" / "x.png")], "does not exist"),
        (lambda d, p: ["--content", str(p), "--style-weights", "1", "2"], "style weights"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(make_args, message, photo, tmp_path, capsys):
    (tmp_path / "notes.jpg").write_text("not a picture")
    args = ["classic", "--style", str(ROOT / "styles" / "wave.jpg"),
            "--out", str(tmp_path / "o.png"), "--iterations", "1", "--size", "40"]
    args += make_args(tmp_path, photo)
    assert cli.main(args) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and "\n" not in error
    assert message in error


def run_cli(args, capsys) -> tuple[int, list[str], str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out.strip().splitlines(), captured.err.strip()


def test_fast_mixes_any_paintings_through_the_arbitrary_network(photo, tmp_path, capsys):
    out = tmp_path / "mixed.png"
    code, lines, error = run_cli(
        ["fast", "--content", str(photo), "--style-image", str(ROOT / "styles" / "wave.jpg"),
         "--style-image", str(ROOT / "styles" / "shipwreck.jpg"), "--mix", "0.7,0.3",
         "--strength", "0.8", "--size", "64", "--out", str(out)], capsys)
    assert code == 0, error
    assert lines[0].startswith("arbitrary-style network (Magenta, Ghiasi et al. 2017")
    assert "2 paintings mixed 0.7, 0.3" in lines[0]
    summary = json.loads(lines[-1])
    assert summary["network"] == "arbitrary_transformer"
    assert summary["paintings"] == ["wave.jpg", "shipwreck.jpg"]
    assert summary["mix"] == [0.7, 0.3] and summary["strength"] == 0.8
    assert summary["size"] == [64, 48] and Image.open(out).size == (64, 48)


def test_fast_paints_a_mix_of_the_26_fixed_styles(photo, tmp_path, capsys):
    out = tmp_path / "multi.png"
    code, lines, error = run_cli(["fast", "--content", str(photo), "--multistyle", "3:1,12:3",
                                  "--size", "40", "--out", str(out)], capsys)
    assert code == 0, error
    assert lines[0].startswith("multi-style network (Dumoulin et al. 2017, 26 styles)")
    summary = json.loads(lines[-1])
    assert summary["network"] == "multistyle26"
    assert summary["styles"] == {"3": 0.25, "12": 0.75}
    assert Image.open(out).size == (40, 30)
    assert picture_recipe.read(out).settings["dehalo"] is True  # halos out by default
    kept = tmp_path / "kept.png"
    code, _, error = run_cli(["fast", "--content", str(photo), "--multistyle", "3:1,12:3",
                              "--size", "40", "--keep-halos", "--out", str(kept)], capsys)
    assert code == 0, error
    assert picture_recipe.read(kept).settings["dehalo"] is False
    again = tmp_path / "again.png"  # its recipe repeats it with halos kept, unless told
    for flags, dehalo in (([], False), (["--no-keep-halos"], True)):
        code, _, error = run_cli(["fast", "--content", str(photo), "--recipe", str(kept),
                                  *flags, "--out", str(again)], capsys)
        assert code == 0, error
        assert picture_recipe.read(again).settings["dehalo"] is dehalo


@pytest.mark.parametrize(
    "make_args, message",
    [
        (lambda d, p: ["--style", "wave", "--style-image", str(p)], "give one of --style"),
        (lambda d, p: [], "(got none)"),
        (lambda d, p: ["--style", "wave", "--mix", "1,2"], "--mix weighs --style-image"),
        (lambda d, p: ["--style-image", str(p), "--mix", "0.5,0.5"], "one weight per"),
        (lambda d, p: ["--style-image", str(p), "--mix", "lots"], "numbers separated by commas"),
        (lambda d, p: ["--style-image", str(p), "--mix", "-1"], "non-negative"),
        (lambda d, p: ["--style-image", str(d / "notes.jpg")], "style image: not an image"),
        (lambda d, p: ["--style-image", str(p), "--style-image", str(d / "missing.jpg")],
         "style image 2: file not found"),
        (lambda d, p: ["--style-image", str(p), "--strength", "2"], "strength"),
        (lambda d, p: ["--multistyle", "30"], "style index must be 0 to 25"),
        (lambda d, p: ["--multistyle", "3:x"], "INDEX[:WEIGHT]"),
    ],
)
def test_fast_style_mistakes_exit_2_with_one_line(make_args, message, photo, tmp_path, capsys):
    (tmp_path / "notes.jpg").write_text("not a picture")
    args = ["fast", "--content", str(photo), "--out", str(tmp_path / "o.png"), "--size", "40"]
    code, _, error = run_cli(args + make_args(tmp_path, photo), capsys)
    assert code == 2
    assert error.startswith("error: ") and "\n" not in error
    assert message in error


def test_a_bug_is_not_called_a_mistake(monkeypatch, capsys):
    """A ValueError that is not a UserError (a library's) exits 1 with its traceback and
    'internal error', not the one-line 'error:' of a person's mistake (exit 2)."""
    def library_fails(args):
        raise ValueError("operands could not be broadcast together")

    monkeypatch.setattr(fast_command, "run_styles", library_fails)
    code, _, error = run_cli(["styles"], capsys)
    assert code == cli.INTERNAL_ERROR == 1
    assert "Traceback" in error and error.endswith(
        "internal error: ValueError: operands could not be broadcast together")
