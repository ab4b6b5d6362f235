"""Painting a clip: decode it, paint every frame with a batch recipe (the fast methods), keep
the painting steady along the optical flow, and encode it with the source's sound.

The frames go through the same per-process networks as a batch's photos
(``core.batch.painting.paint``), so a clip loads its network once. The steadier
(``core.video.consistency.Steadier``) also measures the warping error of what it writes, the
flicker figure the command line reports; with consistency off it only measures.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core import images
from core.batch import BatchRecipe
from core.batch.painting import paint
from core.errors import UserError
from core.video.consistency import ConsistencyConfig, Steadier
from core.video.io import VideoError, VideoWriter, even_size, probe, read_frames


@dataclass(frozen=True)
class VideoResult:
    """What painting a clip did, JSON-ready through ``summary``."""

    frames: int
    fps: float  # the source's average frame rate
    seconds: float  # end to end: decoding, painting, flow, encoding
    warping_error: float  # Lai et al. 2018 on the written frames (0..255 scale)
    width: int
    height: int
    audio: bool
    consistency: bool
    notes: tuple[str, ...]
    output: Path

    @property
    def processing_fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict:
        return {"frames": self.frames, "fps": round(self.fps, 3),
                "processing_fps": round(self.processing_fps, 2),
                "seconds": round(self.seconds, 2),
                "warping_error": round(self.warping_error, 3),
                "size": [self.width, self.height], "audio": self.audio,
                "consistency": self.consistency, "notes": list(self.notes),
                "output": str(self.output)}


def painted_frame(recipe: BatchRecipe, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the frame painted, cut to even sides; the input frame at that size, where the flow
    is measured)."""
    painted, _ = paint(recipe, rgb)
    width, height = even_size(painted.shape[1], painted.shape[0])
    painted = painted[:height, :width]
    return painted, at_size(rgb, width, height)


def at_size(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """A source frame at a painted frame's size (as it is, when it already is)."""
    return rgb if rgb.shape[:2] == (height, width) else images.resize_exact(rgb, width, height)


def paint_clip(source: str | Path, out: str | Path, recipe: BatchRecipe,
               consistency: ConsistencyConfig | None = None,
               on_frame: Callable[[int, int], None] | None = None,
               cancel: threading.Event | None = None,
               beside: str | Path | None = None) -> VideoResult:
    """Paint ``source`` into ``out`` (an MP4), frame by frame. ``consistency`` None paints
    each frame on its own (still measured). ``on_frame(done, expected)`` after each frame;
    ``cancel`` set stops before the next one and writes nothing. ``beside``: also write the
    original (at the painted size) left of the painting there, in the same pass."""
    if recipe.method == "classic":
        raise UserError("video is painted by the fast methods (a trained network, any "
                        "painting, the 26 styles), not by classic optimisation")
    started = time.perf_counter()
    info = probe(source)
    notes: list[str] = []
    steadier = Steadier(consistency or ConsistencyConfig(weight=0.0))
    with contextlib.ExitStack() as stack:  # every output appears only if all went well
        writer = pair = None
        for frame in read_frames(source, info, notes):
            if cancel is not None and cancel.is_set():
                raise VideoError("cancelled: nothing was written")
            painted, seen = painted_frame(recipe, frame.rgb)
            if writer is None:
                height, width = painted.shape[:2]
                writer = stack.enter_context(VideoWriter(out, info, width, height))
                if beside is not None:
                    pair = stack.enter_context(VideoWriter(beside, info, 2 * width, height))
            steady = steadier(seen, painted)
            writer.write(steady, frame.pts, frame.duration)
            if pair is not None:
                pair.write(np.hstack([seen, steady]), frame.pts, frame.duration)
            if on_frame is not None:
                on_frame(writer.frames, info.frame_count)
    return VideoResult(writer.frames, info.fps, time.perf_counter() - started,
                       steadier.warping_error, writer.width, writer.height, info.has_audio,
                       consistency is not None, tuple(notes), Path(out))
