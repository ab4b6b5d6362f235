"""Video in and out with PyAV (FFmpeg's libraries ship in its wheel): probe a clip and refuse
it from the header, decode it to upright 8-bit RGB frames, encode painted frames to H.264 in
MP4 with the source's timestamps and sound.

- ``probe`` reads the container header only for the checks (not a video, audio only, over
  ``MAX_VIDEO_SIDE`` or ``MAX_VIDEO_SECONDS``); it then decodes the first frame for what only
  a frame carries in PyAV 18 (the display-matrix rotation).
- ``read_frames`` yields ``Frame(index, pts, rgb)``; rotation is applied, 10-bit and HDR
  sources are converted to 8-bit RGB (not tone-mapped: an HDR clip looks flat) with a note, a
  packet the decoder rejects is skipped with a note.
- ``VideoWriter`` writes H.264 yuv420p with ``+faststart`` (Chromium plays it). Width and
  height must be even for yuv420p: an odd one is cropped by one pixel (the last column or
  row), not padded, so no border appears. Each frame's pts is set from the source's in the
  source's time base, so a variable frame rate survives. The audio stream is copied packet by
  packet where MP4 holds its codec, else re-encoded to AAC. The file is written to a temporary
  name beside the output and renamed at the end; on failure nothing is left.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

import av
import numpy as np

from core.errors import UserError
from core.validate import env_count

# Audio codecs MP4 holds as is; any other is re-encoded to AAC.
MP4_AUDIO_CODECS = frozenset({"aac", "mp3", "alac", "opus", "flac", "ac3", "eac3"})
# H.264 encoders in order of preference; the PyAV 18 wheel ships libx264.
H264_ENCODERS = ("libx264", "libopenh264", "h264_videotoolbox", "h264_nvenc")
_TRC_HDR = {16, 18}  # AVCOL_TRC_SMPTE2084 (PQ), AVCOL_TRC_ARIB_STD_B67 (HLG)
_PRI_BT2020 = 9  # AVCOL_PRI_BT2020
_FINE_TIME_BASE = Fraction(1, 90000)
_AAC_LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}  # by channel count; others become stereo


class VideoError(UserError):
    """A clip that cannot be painted: not a video, over a limit, nothing decodable."""


def max_video_side() -> int:
    """The longest side a clip may have, in pixels (env STYLE_STUDIO_MAX_VIDEO_SIDE)."""
    return env_count("STYLE_STUDIO_MAX_VIDEO_SIDE", 1920, 16, 8192)


def max_video_seconds() -> int:
    """The longest clip accepted, in seconds (env STYLE_STUDIO_MAX_VIDEO_SECONDS)."""
    return env_count("STYLE_STUDIO_MAX_VIDEO_SECONDS", 60, 1, 3600)


@dataclass(frozen=True)
class VideoInfo:
    """What the header (and the first frame) says about a clip."""

    path: Path
    width: int  # upright, after rotation
    height: int
    fps: float  # the average frame rate
    frame_count: int  # the header's count, else duration x fps
    duration: float  # seconds
    rotation: int  # counter-clockwise degrees applied to make the picture upright
    codec: str
    pixel_format: str
    bit_depth: int
    is_hdr: bool
    time_base: Fraction
    has_audio: bool
    audio_codec: str | None


class Frame(NamedTuple):
    index: int
    pts: float  # seconds
    rgb: np.ndarray  # uint8, height x width x 3, upright
    duration: float = 0.0  # seconds this frame is shown (0: unknown)


def _open(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path))
    except (av.FFmpegError, OSError, UnicodeDecodeError):
        raise VideoError(f"{path.name} is not a video PyAV can open") from None


def _video_stream(container, path: Path):
    if container.format.name == "image2" or container.format.name.endswith("_pipe"):
        raise VideoError(f"{path.name} is a still picture, not a video")
    if not container.streams.video:
        if container.streams.audio:
            raise VideoError(f"{path.name} is audio only: it has no video stream")
        raise VideoError(f"{path.name} is not a video: it has no video stream")
    return container.streams.video[0]


def _duration(container, stream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return container.duration / av.time_base if container.duration else 0.0


def _check_limits(path: Path, width: int, height: int, seconds: float) -> None:
    side, limit = max(width, height), max_video_side()
    if side > limit:
        raise VideoError(f"{path.name} is {width}x{height}: the longest side may be at most "
                         f"{limit} pixels (STYLE_STUDIO_MAX_VIDEO_SIDE)")
    if seconds > max_video_seconds():
        raise VideoError(f"{path.name} lasts {seconds:.1f} s: at most {max_video_seconds()} s "
                         "(STYLE_STUDIO_MAX_VIDEO_SECONDS)")


def _first_frame_rotation(container, stream) -> int:
    try:
        for frame in container.decode(stream):
            return int(frame.rotation) % 360
    except av.FFmpegError:
        pass
    rotate = stream.metadata.get("rotate")  # the legacy tag, clockwise degrees
    return -int(rotate) % 360 if rotate and rotate.lstrip("-").isdigit() else 0


def probe(path: str | Path) -> VideoInfo:
    """The clip's header facts; a ``VideoError`` from the header for what cannot be painted."""
    path = Path(path)
    with _open(path) as container:
        stream = _video_stream(container, path)
        context = stream.codec_context
        width, height = context.width, context.height
        if not width or not height:
            raise VideoError(f"{path.name} is not a video: its picture size is unknown")
        seconds = _duration(container, stream)
        _check_limits(path, width, height, seconds)
        rate = stream.average_rate or stream.guessed_rate or Fraction(24)
        fps = float(rate)
        audio = container.streams.audio[0] if container.streams.audio else None
        fmt = context.format
        rotation = _first_frame_rotation(container, stream)
    if rotation in (90, 270):
        width, height = height, width
    return VideoInfo(
        path=path, width=width, height=height, fps=fps,
        frame_count=stream.frames or max(1, round(seconds * fps)), duration=seconds,
        rotation=rotation, codec=context.name, pixel_format=context.pix_fmt or "unknown",
        bit_depth=max((c.bits for c in fmt.components), default=8) if fmt else 8,
        is_hdr=context.color_trc in _TRC_HDR or context.color_primaries == _PRI_BT2020,
        time_base=stream.time_base or _FINE_TIME_BASE,
        has_audio=audio is not None, audio_codec=audio.codec_context.name if audio else None)


def _upright(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """Rotate counter-clockwise by ``rotation`` degrees (a multiple of 90)."""
    turns = round(rotation / 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, turns)) if turns else rgb


def _packets(container, stream, notes: list[str]) -> Iterator[av.Packet]:
    """The stream's packets; a damaged container ends the clip early with a note."""
    demuxer = container.demux(stream)
    while True:
        try:
            yield next(demuxer)
        except StopIteration:
            return
        except av.FFmpegError as error:
            notes.append(f"the clip is damaged past this point, stopped reading ({error})")
            return


def _decoded(container, stream, notes: list[str]) -> Iterator[av.VideoFrame]:
    skipped = 0
    for packet in _packets(container, stream, notes):
        try:
            yield from packet.decode()  # the last (empty) packet flushes the decoder
        except av.FFmpegError:
            skipped += 1
    if skipped:
        notes.append(f"skipped {skipped} damaged packet(s) the decoder could not read")


def read_frames(path: str | Path, info: VideoInfo,
                notes: list[str] | None = None) -> Iterator[Frame]:
    """Upright uint8 RGB frames with their times in seconds; notes go to ``notes``."""
    path, notes = Path(path), notes if notes is not None else []
    if info.bit_depth > 8 or info.is_hdr:
        kind = "HDR" if info.is_hdr else f"{info.bit_depth}-bit"
        notes.append(f"{path.name} is {kind}: converted to 8-bit RGB (colours not tone-mapped)")
    index, limit = 0, max_video_seconds() + 1
    with _open(path) as container:
        stream = _video_stream(container, path)
        stream.thread_type = "AUTO"
        start = stream.start_time or 0
        for frame in _decoded(container, stream, notes):
            pts = 0.0 if frame.pts is None else float((frame.pts - start) * frame.time_base)
            if pts > limit:
                raise VideoError(f"{path.name} runs past {limit - 1} s "
                                 "(STYLE_STUDIO_MAX_VIDEO_SECONDS)")
            rgb = _upright(frame.to_ndarray(format="rgb24"), frame.rotation)
            duration = float(frame.duration * frame.time_base) if frame.duration else 0.0
            yield Frame(index, max(pts, 0.0), rgb, duration)
            index += 1
    if index == 0:
        raise VideoError(f"{path.name} has no frames that can be decoded")


def h264_encoder() -> str:
    """The first H.264 encoder this PyAV build has."""
    for name in H264_ENCODERS:
        try:
            av.codec.Codec(name, "w")
        except av.FFmpegError:
            continue
        return name
    raise VideoError("this PyAV build has no H.264 encoder")


class VideoWriter:
    """H.264 yuv420p MP4 with the source's timestamps and sound; a context manager.

    ``write(rgb, pts_seconds)`` takes uint8 RGB frames of ``width`` x ``height``; an odd side
    is cropped by one pixel. The output appears at ``out_path`` only when the block ends
    without an exception.
    """

    def __init__(self, out_path: str | Path, info: VideoInfo, width: int, height: int):
        self.out_path, self.info = Path(out_path), info
        self.width, self.height = even_size(width, height)
        if self.width < 2 or self.height < 2:
            raise VideoError(f"a {width}x{height} picture is too small to encode")
        self.frames, self._last_pts, self._source, self._audio = 0, -1, None, None
        self._held: av.VideoFrame | None = None
        self._durations: dict[int, int] = {}
        folder = self.out_path.parent
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(suffix=".mp4.part", prefix=".", dir=folder)
        os.close(handle)
        self._temp = Path(temp)
        try:
            self._out = av.open(temp, "w", format="mp4",
                                container_options={"movflags": "+faststart"})
            self._video = self._add_video_stream()
            self._add_audio_stream()
        except BaseException:
            self._abort()
            raise

    def _add_video_stream(self):
        rate = Fraction(self.info.fps).limit_denominator(100000) or Fraction(24)
        stream = self._out.add_stream(h264_encoder(), rate=rate)
        stream.width, stream.height, stream.pix_fmt = self.width, self.height, "yuv420p"
        self._time_base = self.info.time_base
        if self._time_base > Fraction(1, 1000):  # too coarse to keep irregular times
            self._time_base = _FINE_TIME_BASE
        stream.codec_context.time_base = self._time_base
        stream.time_base = self._time_base
        if stream.codec_context.name == "libx264":
            stream.codec_context.options = {"crf": "18", "preset": "veryfast"}
        return stream

    def _add_audio_stream(self) -> None:
        if not self.info.has_audio:
            return
        self._source = av.open(str(self.info.path))
        source = self._source.streams.audio[0]
        if source.codec_context.name in MP4_AUDIO_CODECS:
            self._audio = self._out.add_stream_from_template(source)
            self._copy = True
        else:
            self._audio = self._out.add_stream("aac", rate=source.rate or 48000,
                                               layout=_AAC_LAYOUTS.get(source.channels, "stereo"),
                                               format="fltp")
            self._copy = False

    def write(self, rgb: np.ndarray, pts_seconds: float, duration: float = 0.0) -> None:
        """Encode one frame shown at ``pts_seconds`` (the source frame's time) for
        ``duration`` seconds (0: until the next frame; the last one 1/fps)."""
        rgb = np.ascontiguousarray(rgb[: self.height, : self.width, :3], dtype=np.uint8)
        if rgb.shape[:2] != (self.height, self.width):
            raise ValueError(f"frame is {rgb.shape[1]}x{rgb.shape[0]}, "
                             f"the writer expects {self.width}x{self.height}")
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        pts = max(round(pts_seconds / self._time_base), self._last_pts + 1)
        frame.pts, frame.time_base, self._last_pts = pts, self._time_base, pts
        self._encode_held(pts)
        self._held = frame
        if duration > 0:
            self._durations[pts] = max(1, round(duration / self._time_base))
        self.frames += 1

    def _encode_held(self, next_pts: int) -> None:
        """Encode the frame before, lasting until ``next_pts``: the muxer keeps durations, so
        the clip's length and average rate match the source's."""
        if self._held is not None:
            self._durations.setdefault(self._held.pts, max(1, next_pts - self._held.pts))
            self._mux_video(self._video.encode(self._held))
            self._held = None

    def _mux_video(self, packets: list[av.Packet]) -> None:
        for packet in packets:  # the encoder reorders frames: match durations by pts
            packet.duration = self._durations.pop(packet.pts, packet.duration)
            self._out.mux(packet)

    def _mux_audio(self) -> None:
        source = self._source.streams.audio[0]
        if self._copy:
            for packet in self._source.demux(source):
                if packet.dts is not None:
                    packet.stream = self._audio
                    self._out.mux(packet)
            return
        for frame in self._source.decode(source):
            frame.pts = None
            self._out.mux(self._audio.encode(frame))
        self._out.mux(self._audio.encode(None))

    def close(self) -> None:
        """Flush the encoder, add the sound, and move the file into place."""
        if self._held is not None:
            self._encode_held(self._held.pts + round(1 / (self.info.fps * self._time_base)))
        self._mux_video(self._video.encode(None))
        if self._audio is not None:
            self._mux_audio()
            self._source.close()
        self._out.close()
        os.replace(self._temp, self.out_path)

    def _abort(self) -> None:
        for container in (getattr(self, "_out", None), self._source):
            if container is not None:
                try:
                    container.close()
                except (av.FFmpegError, OSError):
                    pass
        self._temp.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is not None:
            self._abort()
            return
        try:
            self.close()
        except BaseException:
            self._abort()
            raise


def even_size(width: int, height: int) -> tuple[int, int]:
    """The size ``VideoWriter`` encodes a ``width`` x ``height`` picture at."""
    return width - width % 2, height - height % 2


__all__ = ["Frame", "VideoError", "VideoInfo", "VideoWriter", "even_size", "h264_encoder",
           "max_video_seconds", "max_video_side", "probe", "read_frames"]
