"""A clip painted on an engine in chunks of frames, several workers at once (the Ray engine).

Each ``VideoChunkTask`` carries the clip's bytes (sent to the cluster once, as an object
reference, by the Ray engine) and paints frames ``start`` to ``stop``. To keep the picture
steady across a chunk's first frame, the chunk also paints the ``overlap`` frames before it
and runs its steadier through them without keeping them: the previous output's influence
falls by the blend weight each frame (0.7^8 = 6 % after 8 frames), so a chunk joins its
neighbour nearly as smoothly as one worker painting the whole clip would.

The driver writes the frames in order with the source's times and sound, and measures the
warping error of what it wrote, joins included.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from core import images
from core.batch import BatchRecipe
from core.video.consistency import ConsistencyConfig, Steadier
from core.video.io import VideoWriter, probe, read_frames
from core.video.painting import VideoResult, at_size, painted_frame

CHUNK_FRAMES = 48  # frames a worker paints per task: 2 s at 24 fps
OVERLAP_FRAMES = 8  # frames before a chunk painted only to steady its first frame


@dataclass(frozen=True)
class ChunkResult:
    """A chunk's frames as PNGs, in order, and the node that painted them."""

    start: int
    frames: tuple[bytes, ...] = field(repr=False)
    seconds: float = 0.0
    stopped_by: str = "done"


@dataclass(frozen=True)
class VideoChunkTask:
    """Paint frames [start, stop) of a clip (its file's bytes), steadied from ``start -
    overlap`` on."""

    kind: ClassVar[str] = "video"
    clip: bytes = field(repr=False)
    recipe: BatchRecipe
    start: int
    stop: int
    overlap: int = OVERLAP_FRAMES
    consistency: ConsistencyConfig | None = None
    suffix: str = ".mp4"  # the clip's, so that the decoder knows it

    def run(self, on_event: Callable, cancel: threading.Event) -> ChunkResult:
        started = time.perf_counter()
        handle, path = tempfile.mkstemp(suffix=self.suffix, prefix="style-studio-chunk-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(self.clip)
            frames = self._paint(Path(path), cancel)
        finally:
            os.unlink(path)
        if frames is None:
            return ChunkResult(self.start, (), time.perf_counter() - started, "cancel")
        return ChunkResult(self.start, tuple(frames), time.perf_counter() - started)

    def _paint(self, path: Path, cancel: threading.Event) -> list[bytes] | None:
        steadier = Steadier(self.consistency or ConsistencyConfig(weight=0.0))
        first, kept = max(0, self.start - self.overlap), []
        for frame in read_frames(path, probe(path)):
            if frame.index < first:
                continue
            if frame.index >= self.stop:
                break
            if cancel.is_set():
                return None
            painted, seen = painted_frame(self.recipe, frame.rgb)
            steady = steadier(seen, painted)
            if frame.index >= self.start:
                kept.append(images.encode_png(steady))
        return kept

    def describe(self) -> dict:
        return {"kind": self.kind, "frames": [self.start, self.stop], "overlap": self.overlap,
                **self.recipe.describe()}


def paint_clip_on(engine, source: str | Path, out: str | Path, recipe: BatchRecipe,
                  consistency: ConsistencyConfig | None = None,
                  on_frame: Callable[[int, int], None] | None = None,
                  chunk_frames: int = CHUNK_FRAMES) -> tuple[VideoResult, int]:
    """Paint ``source`` into ``out`` on ``engine``, a chunk of frames per job; returns the
    result and how many nodes painted."""
    started = time.perf_counter()
    source = Path(source)
    info = probe(source)
    clip = source.read_bytes()
    count = info.frame_count
    starts = list(range(0, max(count, 1), chunk_frames))
    # The last chunk runs to the clip's end: the header's frame count may be an estimate.
    tasks = [VideoChunkTask(clip, recipe, start, start + chunk_frames if start != starts[-1]
                            else 2**31, consistency=consistency, suffix=source.suffix or ".mp4")
             for start in starts]
    chunks: dict[int, ChunkResult] = {}
    nodes: set[str] = set()
    for _, view in engine.run_all(f"video-{os.getpid()}", tasks):
        if view.error:
            raise RuntimeError(f"a chunk of {source.name} failed: {view.error}")
        chunks[view.result.start] = view.result
        nodes.add(view.node)
        if on_frame is not None:
            on_frame(sum(len(c.frames) for c in chunks.values()), count)
    frames = [png for start in sorted(chunks) for png in chunks[start].frames]
    meter = Steadier(ConsistencyConfig(weight=0.0))  # measures what is written, joins too
    notes: list[str] = []
    with VideoWriter(out, info, *_size(frames)) as writer:
        for frame, png in zip(read_frames(source, info, notes), frames, strict=False):
            painted = images.decode_image(png).pixels
            height, width = painted.shape[:2]
            writer.write(meter(at_size(frame.rgb, width, height), painted), frame.pts,
                         frame.duration)
    result = VideoResult(writer.frames, info.fps, time.perf_counter() - started,
                         meter.warping_error, writer.width, writer.height, info.has_audio,
                         consistency is not None, tuple(notes), Path(out))
    return result, len(nodes)


def _size(frames: list[bytes]) -> tuple[int, int]:
    if not frames:
        raise RuntimeError("no frame was painted")
    pixels = images.decode_image(frames[0]).pixels
    return pixels.shape[1], pixels.shape[0]
