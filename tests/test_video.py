"""``python -m core video`` end to end on tiny clips made here: frames, rate and sound kept,
consistency lowering the warping error on a pan, bad input refused in one line."""

import json
import subprocess
import sys
from fractions import Fraction

import av
import numpy as np

from core import cli, images
from core.video import probe
from tests.serving import ROOT
from tests.test_video_io import RATE, add_tone, make_clip


def pan_clip(path, frames=16, width=96, height=64, step=3):
    """A real photo panned ``step`` px a frame, with a tone."""
    photo = images.resize_exact(images.load_image(ROOT / "examples" / "castle.jpg"),
                                width + frames * step, height)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=RATE)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.codec_context.options = {"crf": "12"}
        sound = container.add_stream("aac", rate=44100, layout="mono")
        for index in range(frames):
            crop = np.ascontiguousarray(photo[:, index * step:index * step + width])
            frame = av.VideoFrame.from_ndarray(crop, format="rgb24")
            frame.pts, frame.time_base = round(index * 1000 / RATE), Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        add_tone(container, frames / RATE, "aac", sound)
    return path


def paint(capsys, source, out, *flags):
    code = cli.main(["video", "--input", str(source), "--out", str(out), *flags])
    captured = capsys.readouterr()
    return code, captured.out.strip().splitlines(), captured.err


def test_a_clip_keeps_its_frames_rate_and_sound(tmp_path, capsys):
    source = make_clip(tmp_path / "clip.mp4", frames=16)
    code, lines, _ = paint(capsys, source, tmp_path / "painted.mp4", "--multistyle", "3")
    assert code == 0 and len(lines) == 1
    summary = json.loads(lines[0])
    assert (summary["frames"], summary["size"]) == (16, [64, 48])
    assert abs(summary["fps"] - RATE) < 0.01
    assert summary["processing_fps"] > 0 and summary["warping_error"] >= 0
    assert summary["audio"] is True and summary["consistency"] is True
    painted = probe(tmp_path / "painted.mp4")
    assert painted.frame_count == 16 and abs(painted.fps - probe(source).fps) < 0.02
    assert (painted.codec, painted.pixel_format) == ("h264", "yuv420p")
    assert painted.has_audio and painted.audio_codec == "aac"


def test_consistency_lowers_the_warping_error_on_a_pan(tmp_path, capsys):
    source = pan_clip(tmp_path / "pan.mp4")
    errors = {}
    for setting in ("on", "off"):
        code, lines, _ = paint(capsys, source, tmp_path / f"{setting}.mp4",
                               "--style-image", str(ROOT / "styles" / "starry_night.jpg"),
                               "--consistency", setting)
        assert code == 0
        errors[setting] = json.loads(lines[-1])["warping_error"]
    assert errors["on"] <= 0.5 * errors["off"], errors


def test_a_file_that_is_not_a_video_is_one_line_and_writes_nothing(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    out = tmp_path / "out.mp4"
    done = subprocess.run([sys.executable, "-m", "core", "video", "--input", str(bad),
                           "--out", str(out), "--multistyle", "3"], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "notes.mp4" in lines[0]
    assert list(tmp_path.iterdir()) == [bad]
