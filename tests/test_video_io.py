"""core.video.io on tiny clips made here with PyAV: moving shapes, a tone, odd sizes, VFR,
rotation, and the inputs it must refuse in one line."""

from fractions import Fraction

import av
import numpy as np
import pytest

from core.video import VideoError, VideoWriter, probe, read_frames

RATE = 24
SAMPLE_RATE = 44100


def picture(index, width=64, height=48):
    """A gradient with a white square that moves right, and a red marker top-left."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 3, y * 4, np.full_like(x, 80)], -1).astype(np.uint8)
    left = 4 + 2 * index
    rgb[16:32, left:left + 16] = 255
    rgb[:8, :8] = (255, 0, 0)
    return rgb


def add_tone(container, seconds, codec="aac", stream=None):
    stream = stream or container.add_stream(codec, rate=SAMPLE_RATE, layout="mono")
    samples = int(seconds * SAMPLE_RATE)
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(samples) / SAMPLE_RATE)).astype(np.float32)
    fmt = "fltp" if codec == "aac" else "s16"
    if fmt == "s16":
        tone = (tone * 32767).astype(np.int16)
    for start in range(0, samples, 1024):
        frame = av.AudioFrame.from_ndarray(tone[None, start:start + 1024], format=fmt,
                                           layout="mono")
        frame.sample_rate, frame.pts = SAMPLE_RATE, start
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def make_clip(path, frames=16, width=64, height=48, times=None, audio="aac", rotation=None,
              container_format=None):
    """A clip of ``frames`` pictures at ``times`` (seconds; default 24 fps)."""
    times = times if times is not None else [i / RATE for i in range(frames)]
    with av.open(str(path), "w", format=container_format) as container:
        stream = container.add_stream("libx264", rate=RATE)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p" if width % 2 == 0 == height % 2 else "yuv444p"
        stream.codec_context.time_base = Fraction(1, 1000)
        if rotation is not None:
            stream.set_display_rotation(rotation)
        sound = container.add_stream(audio, rate=SAMPLE_RATE, layout="mono") if audio else None
        for index, seconds in enumerate(times):
            frame = av.VideoFrame.from_ndarray(picture(index, width, height), format="rgb24")
            frame.pts, frame.time_base = round(seconds * 1000), Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        if audio:
            add_tone(container, times[-1] + 1 / RATE, audio, sound)
    return path


def all_frames(path, notes=None):
    return list(read_frames(path, probe(path), notes))


def audio_seconds(path):
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return float(stream.duration * stream.time_base), stream.codec_context.name


def paint_through(source, out):
    info = probe(source)
    with VideoWriter(out, info, info.width, info.height) as writer:
        for frame in read_frames(source, info):
            writer.write(255 - frame.rgb, frame.pts, frame.duration)
    return info


def test_probe_reads_the_header(tmp_path):
    info = probe(make_clip(tmp_path / "clip.mp4"))
    assert (info.width, info.height, info.frame_count) == (64, 48, 16)
    assert info.fps == pytest.approx(24, abs=0.01)
    assert info.duration == pytest.approx(16 / 24, abs=0.05)
    assert (info.codec, info.pixel_format, info.bit_depth) == ("h264", "yuv420p", 8)
    assert (info.rotation, info.is_hdr, info.has_audio, info.audio_codec) == (0, False, True,
                                                                               "aac")


def test_decoded_frames_match_the_source(tmp_path):
    notes = []
    frames = all_frames(make_clip(tmp_path / "clip.mp4", audio=None), notes)
    assert [f.index for f in frames] == list(range(16))
    assert [f.pts for f in frames] == pytest.approx([i / 24 for i in range(16)], abs=1e-3)
    assert frames[5].rgb.dtype == np.uint8 and frames[5].rgb.shape == (48, 64, 3)
    assert np.abs(frames[5].rgb.astype(int) - picture(5)).mean() < 6
    assert notes == []


def test_round_trip_keeps_count_rate_sound_and_format(tmp_path):
    source = make_clip(tmp_path / "clip.mp4")
    out = tmp_path / "out" / "painted.mp4"
    paint_through(source, out)
    result = probe(out)
    assert (result.codec, result.pixel_format, result.frame_count) == ("h264", "yuv420p", 16)
    assert result.fps == pytest.approx(24, abs=0.01)
    seconds, codec = audio_seconds(out)
    assert codec == "aac" and seconds == pytest.approx(audio_seconds(source)[0], abs=0.1)
    assert np.abs(all_frames(out)[3].rgb.astype(int) - (255 - picture(3))).mean() < 8
    assert [p.name for p in out.parent.iterdir()] == ["painted.mp4"]  # no temp left
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart: plays while loading


def test_a_failed_write_leaves_nothing(tmp_path):
    source = make_clip(tmp_path / "clip.mp4")
    info, out = probe(source), tmp_path / "out" / "painted.mp4"
    with pytest.raises(RuntimeError), VideoWriter(out, info, 64, 48) as writer:
        writer.write(picture(0), 0.0)
        raise RuntimeError("painting failed")
    assert list(out.parent.iterdir()) == []


def test_variable_frame_rate_keeps_every_timestamp(tmp_path):
    times = [0, 0.04, 0.07, 0.13, 0.15, 0.3, 0.31, 0.45, 0.5, 0.62, 0.7, 0.71]
    source = make_clip(tmp_path / "vfr.mp4", times=times, audio=None)
    paint_through(source, tmp_path / "vfr_out.mp4")
    assert [f.pts for f in all_frames(tmp_path / "vfr_out.mp4")] == pytest.approx(times,
                                                                                  abs=1e-3)
    assert probe(tmp_path / "vfr_out.mp4").fps == pytest.approx(probe(source).fps, abs=0.01)


def test_audio_mp4_cannot_hold_is_reencoded_to_aac(tmp_path):
    source = make_clip(tmp_path / "pcm.mkv", audio="pcm_s16le")
    assert probe(source).audio_codec == "pcm_s16le"
    paint_through(source, tmp_path / "out.mp4")
    seconds, codec = audio_seconds(tmp_path / "out.mp4")
    assert codec == "aac" and seconds == pytest.approx(16 / 24, abs=0.1)


def test_no_audio_gives_no_audio_stream(tmp_path):
    paint_through(make_clip(tmp_path / "quiet.mp4", audio=None), tmp_path / "out.mp4")
    with av.open(str(tmp_path / "out.mp4")) as container:
        assert not container.streams.audio


def test_odd_size_is_cropped_by_one_pixel(tmp_path):
    source = make_clip(tmp_path / "odd.mkv", width=65, height=49, audio=None,
                       container_format="matroska")
    paint_through(source, tmp_path / "out.mp4")
    assert (probe(tmp_path / "out.mp4").width, probe(tmp_path / "out.mp4").height) == (64, 48)


def test_rotation_is_applied_so_the_picture_is_upright(tmp_path):
    source = make_clip(tmp_path / "turned.mp4", rotation=90, audio=None)
    info = probe(source)
    assert (info.rotation, info.width, info.height) == (90, 48, 64)
    upright = all_frames(source)[0].rgb
    assert upright.shape == (64, 48, 3)
    assert upright[-4, 4, 0] > 200 and upright[-4, 4, 1] < 60  # the red marker turned
    paint_through(source, tmp_path / "out.mp4")
    assert probe(tmp_path / "out.mp4").rotation == 0
    assert all_frames(tmp_path / "out.mp4")[0].rgb.shape == (64, 48, 3)


def test_a_corrupt_packet_is_skipped_with_a_note(tmp_path):
    source = make_clip(tmp_path / "clip.mp4", audio=None)
    damaged = tmp_path / "damaged.mp4"
    with av.open(str(source)) as inp, av.open(str(damaged), "w") as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        for index, packet in enumerate(inp.demux(inp.streams.video[0])):
            if packet.dts is None:
                continue
            if index == 6:
                garbage = av.Packet(b"\xff\x00\x00\x05" * 40)
                garbage.pts, garbage.dts, garbage.time_base = (packet.pts, packet.dts,
                                                               packet.time_base)
                packet = garbage
            packet.stream = stream
            out.mux(packet)
    notes = []
    frames = all_frames(damaged, notes)
    assert 12 <= len(frames) <= 16
    assert any("damaged packet" in note for note in notes), notes


def one_line_error(path, match):
    with pytest.raises(VideoError, match=match) as caught:
        info = probe(path)
        list(read_frames(path, info))
    assert "\n" not in str(caught.value)


def test_not_a_video(tmp_path):
    (tmp_path / "notes.mp4").write_text("this is a shopping list, not a film\n")
    one_line_error(tmp_path / "notes.mp4", "notes.mp4 is not a video PyAV can open")


def test_audio_only(tmp_path):
    with av.open(str(tmp_path / "song.m4a"), "w", format="mp4") as container:
        add_tone(container, 0.5)
    one_line_error(tmp_path / "song.m4a", "song.m4a is audio only")


def test_a_video_without_decodable_frames(tmp_path):
    source = make_clip(tmp_path / "clip.mp4", frames=3, audio=None)
    broken = tmp_path / "broken.mp4"
    with av.open(str(source)) as inp, av.open(str(broken), "w") as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is not None:
                garbage = av.Packet(b"\xff\x00\x00\x05" * 40)
                garbage.pts, garbage.dts, garbage.time_base = (packet.pts, packet.dts,
                                                               packet.time_base)
                garbage.stream = stream
                out.mux(garbage)
    one_line_error(broken, "broken.mp4 has no frames that can be decoded")


def test_over_the_size_limit_is_refused_from_the_header(tmp_path, monkeypatch):
    monkeypatch.setenv("STYLE_STUDIO_MAX_VIDEO_SIDE", "32")
    one_line_error(make_clip(tmp_path / "big.mp4", frames=2, audio=None),
                   r"64x48: the longest side may be at most 32 pixels")


def test_over_the_duration_limit_is_refused_from_the_header(tmp_path, monkeypatch):
    monkeypatch.setenv("STYLE_STUDIO_MAX_VIDEO_SECONDS", "1")
    source = make_clip(tmp_path / "long.mp4", times=[0, 1.0, 2.5], audio=None)
    one_line_error(source, r"lasts 2\.\d s: at most 1 s")
