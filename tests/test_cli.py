"""The command line: one real subprocess run, and user mistakes answered in one line."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core import cli

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
    assert [line.split()[1] for line in lines[1:-1]] == ["1/4", "2/4", "3/4", "4/4"]
    summary = json.loads(lines[-1])
    assert summary["backbone"] == "vgg16-hed"
    assert summary["size"] == [48, 36]
    assert summary["iterations"] == 4
    assert summary["output"] == str(out)
    assert set(summary["losses"]) == {"content", "style", "tv", "total"}
    assert Image.open(out).size == (48, 36)
    assert sorted(p.name for p in snapshots.iterdir()) == ["00002.png", "00004.png"]


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
