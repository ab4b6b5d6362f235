"""Painting a live camera: frames in, painted frames out, as fast as they come.

``LivePainter`` is one viewer's stream. Its ``paint_frame`` runs on the stream's own thread
(streamlit-webrtc's processing thread; any loop that hands it frames), and paints each frame
with a batch recipe (``core.batch.painting.paint``: the same per-process networks as batches
and clips, so every viewer of a server shares one loaded copy). The recipe, the side-by-side
view and the size can change between frames without restarting the stream.

The size follows the machine: ``next_side`` shrinks the painted picture when frames take
longer than the frame rate allows and grows it when there is room, aiming for
``LiveConfig.target_fps``. ``LivePainter.reading`` says how it goes, in one immutable
``LiveReading`` (painted and camera frame rates, the size in use, and what is wrong, if
anything, as a ``Trouble``: no frames from the camera, frames arriving too slowly, a
painting that failed; the page words it).

Two threads use a painter: the stream's (``paint_frame``) and the page's script thread
(``recipe``, ``reading``, ``snapshot``, ``restart``). What they share is either swapped whole
(the recipe, the stream's state) or counted under a lock (the frame rates).
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from core import images
from core.batch import BatchRecipe
from core.batch.painting import paint
from core.errors import SettingsError, UserError
from core.validate import require_between
from core.video.io import even_size
from core.video.painting import painted_frame


class CameraFrame(Protocol):
    """A camera frame that can be turned into RGB pixels at any size: the stream's decoded
    video frame, scaled by the video library (a 1280x720 frame shrunk to 224 px with PIL's
    LANCZOS took 15 ms of the 69 ms a frame may take; PyAV's swscale, 1 ms), or an array."""

    width: int
    height: int

    def rgb(self, width: int | None = None, height: int | None = None) -> np.ndarray:
        """uint8 RGB pixels at ``width`` x ``height`` (both None: the frame's own size)."""


@dataclass(frozen=True)
class ArrayFrame:
    """A frame already decoded to uint8 RGB pixels."""

    pixels: np.ndarray

    @property
    def width(self) -> int:
        return self.pixels.shape[1]

    @property
    def height(self) -> int:
        return self.pixels.shape[0]

    def rgb(self, width: int | None = None, height: int | None = None) -> np.ndarray:
        if width is None or (width, height) == (self.width, self.height):
            return self.pixels
        return images.resize_exact(self.pixels, width, height)


def fitted_size(width: int, height: int, side: int) -> tuple[int, int]:
    """``width`` x ``height`` shrunk (never enlarged) so the longest side is ``side``,
    both sides even (video encoders take even sizes)."""
    scale = min(1.0, side / max(width, height))
    return even_size(max(2, round(width * scale)), max(2, round(height * scale)))


@dataclass(frozen=True)
class LiveConfig:
    """How a live stream is painted; the defaults are what the Live page uses."""

    target_fps: float = 12.0  # painted frames a second to hold
    # Aim this much above the target: the video codecs, the browser and other viewers share
    # the CPU, and a frame that takes a little longer than usual must not drop the rate.
    headroom: float = 1.2
    min_side: int = 128  # px, longest side: below this a painting is a blur of strokes
    max_side: int = 640  # px: larger frames gain little on a screen-sized video element
    start_side: int = 256  # px: the first frames, before anything is measured
    step: int = 32  # px: sizes move in steps of this (and stay multiples of it)
    adjust_every: int = 6  # frames: the size is reconsidered on this many frames' median
    window_seconds: float = 2.0  # frame rates are counted over this long
    stale_seconds: float = 3.0  # no camera frame for this long: the camera has stopped
    slow_camera_fps: float = 8.0  # camera frames arriving slower than this: a slow client

    def __post_init__(self):
        require_between("target_fps", self.target_fps, 1, 60)
        require_between("headroom", self.headroom, 1, 3)
        if not 32 <= self.min_side <= self.start_side <= self.max_side <= 4096:
            raise SettingsError("sizes must keep 32 <= min_side <= start_side <= max_side "
                                f"<= 4096 (got {self.min_side}, {self.start_side}, "
                                f"{self.max_side})")
        require_between("step", self.step, 8, 256)


DEFAULTS = LiveConfig()


def next_side(side: int, frame_seconds: float, config: LiveConfig = DEFAULTS,
              camera_side: int | None = None) -> int:
    """The longest side to paint the next frames at, given that frames at ``side`` took
    ``frame_seconds`` each. Painting time grows with the pixels, so the side scales with the
    square root of the time ratio; within about 20 % of the budget it stays (no hunting),
    and one change is at most 30 %. Never above the camera's own side."""
    largest = config.max_side if camera_side is None else min(config.max_side, camera_side)
    largest = max(config.min_side, largest)
    budget = 1.0 / (config.target_fps * config.headroom)
    scale = math.sqrt(budget / max(frame_seconds, 1e-6))
    if 0.9 <= scale <= 1.1:
        wanted = side
    else:
        wanted = side * min(max(scale, 0.7), 1.3)
        wanted = int(round(wanted / config.step)) * config.step
    return int(min(max(wanted, config.min_side), largest))


class FrameRate:
    """Frames a second over the last ``window`` seconds, from when each frame was counted.
    Thread-safe: one thread counts while another reads."""

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic):
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()
        self._counts: deque[tuple[float, int]] = deque()  # (when, frames counted then)
        self.last: float | None = None  # when the last frame was counted

    def tick(self, count: int = 1) -> None:
        """``count`` frames now (several: frames that waited and are counted together)."""
        with self._lock:
            now = self.clock()
            self.last = now
            self._counts.append((now, count))
            self._drop_old(now)

    def per_second(self) -> float:
        with self._lock:
            now = self.clock()
            self._drop_old(now)
            if len(self._counts) < 2:
                return 0.0
            # The frames after the oldest count kept, over the time since it: the same
            # figure whether or not a count sits on the window's edge, and falling once
            # frames stop.
            oldest, oldest_count = self._counts[0]
            span = now - oldest
            counted = sum(count for _, count in self._counts) - oldest_count
            return counted / span if span > 0.25 else 0.0

    def _drop_old(self, now: float) -> None:
        while self._counts and self._counts[0][0] <= now - self.window:
            self._counts.popleft()


# Trouble.kind
PAINTING_FAILED = "painting_failed"  # detail: why; the camera is shown as it is
CAMERA_QUIET = "camera_quiet"  # seconds: since the last camera frame
CAMERA_SLOW = "camera_slow"  # rate: camera frames reaching the server a second


@dataclass(frozen=True)
class Trouble:
    """What is wrong with a stream, with its figure; ``ui.live.panel`` words it."""

    kind: str  # PAINTING_FAILED, CAMERA_QUIET or CAMERA_SLOW
    seconds: float = 0.0
    rate: float = 0.0
    detail: str = ""


@dataclass(frozen=True)
class LiveReading:
    """How one live stream is going, at one moment."""

    fps: float  # painted frames a second
    camera_fps: float  # camera frames reaching the painter a second
    side: int  # the longest side frames are painted at now
    painted_size: tuple[int, int] | None  # (width, height) of the last painted frame
    # (width, height) of the last camera frame as it reached the server: the camera's, or
    # less when the browser scales its stream down (a busy computer, a slow connection)
    camera_size: tuple[int, int] | None
    frames: int  # painted so far
    trouble: Trouble | None  # what is wrong; None: all well

    @property
    def started(self) -> bool:
        return self.camera_size is not None


class _Stream:
    """What one run of the stream (START to STOP) has measured; replaced whole on restart."""

    def __init__(self, config: LiveConfig, clock: Callable[[], float]):
        self.side = config.start_side
        self.painted = FrameRate(config.window_seconds, clock)
        self.camera = FrameRate(config.window_seconds, clock)
        self.recent_seconds: list[float] = []
        self.latest: CameraFrame | None = None  # the newest camera frame, as it came
        self.painted_size: tuple[int, int] | None = None
        self.frames = 0
        self.painting = False  # a frame is being painted (the first one loads the network)
        self.handled: float | None = None  # when the last frame was done with
        self.first_handled: float | None = None  # when the first was (after loading)


class LivePainter:
    """One viewer's stream: paints camera frames with the current recipe, at the size the
    machine allows, and keeps the newest camera frame for a full-size snapshot."""

    def __init__(self, config: LiveConfig = DEFAULTS,
                 clock: Callable[[], float] = time.monotonic):
        self.config = config
        self.clock = clock
        self.side_by_side = False  # the camera frame left of the painting
        self._recipe: BatchRecipe | None = None
        self._lock = threading.Lock()
        self._failure: tuple[str, str] | None = None  # (recipe key, why it failed)
        self._stream = _Stream(config, clock)

    @property
    def side(self) -> int:
        """The longest side frames are painted at now."""
        return self._stream.side

    # -- settings, from the page's script thread

    @property
    def recipe(self) -> BatchRecipe | None:
        return self._recipe

    @recipe.setter
    def recipe(self, recipe: BatchRecipe | None) -> None:
        """The painting, strength and colours for the next frames. The size is the
        painter's own (frames are shrunk before painting), so the recipe's is dropped."""
        if recipe is not None and recipe.method == "classic":
            raise UserError("the live camera is painted by the fast methods (a trained "
                            "network, any painting, the 26 styles), not by classic "
                            "optimisation")
        if recipe is not None and recipe.config.size is not None:
            recipe = replace(recipe, config=replace(recipe.config, size=None))
        with self._lock:
            if recipe is None or self._recipe is None or recipe.key() != self._recipe.key():
                self._recipe = recipe

    def restart(self) -> None:
        """Forget what the last run of the stream measured (rates, sizes, its last frame):
        the page calls it while the stream is stopped, so the next START begins afresh."""
        self._stream = _Stream(self.config, self.clock)

    # -- the stream's thread

    def paint_frame(self, frame: CameraFrame | np.ndarray, arrived: int = 1) -> np.ndarray:
        """One camera frame painted at the current size, even-sided (video encoders need
        it); the camera frame at that size while there is no recipe or the painting fails
        (the failure is in ``reading().trouble``). ``frame``: a ``CameraFrame`` or uint8 RGB
        pixels. ``arrived``: camera frames that came since the last call, this one included
        (the others were dropped while the last one was painted); they measure the
        camera's own rate."""
        if isinstance(frame, np.ndarray):
            frame = ArrayFrame(frame)
        stream = self._stream
        started = self.clock()
        stream.camera.tick(arrived)
        stream.painting = True
        with self._lock:
            stream.latest = frame
            recipe = self._recipe
        small = None
        try:
            small = frame.rgb(*fitted_size(frame.width, frame.height, stream.side))
            if recipe is None or self._failure_of(recipe) is not None:
                return small
            # The first frame also loads the network.
            painted, seen = painted_frame(recipe, small)
            out = np.hstack([seen, painted]) if self.side_by_side else painted
            stream.painted.tick()
            stream.frames += 1
            stream.painted_size = (painted.shape[1], painted.shape[0])
            self._adjust(stream, self.clock() - started, max(frame.width, frame.height))
            return out
        except Exception as error:  # noqa: BLE001 - the stream goes on; the page says why
            if recipe is not None:
                why = (str(error) if isinstance(error, UserError) else
                       f"{type(error).__name__}: {error}")
                with self._lock:
                    if self._recipe is recipe:  # not a painting chosen since
                        self._failure = (recipe.key(), why)
            return small if small is not None else frame.rgb()
        finally:
            stream.painting = False
            stream.handled = self.clock()
            if stream.first_handled is None:
                stream.first_handled = stream.handled

    def _adjust(self, stream: _Stream, seconds: float, camera_side: int) -> None:
        stream.recent_seconds.append(seconds)
        if len(stream.recent_seconds) >= self.config.adjust_every:
            typical = statistics.median(stream.recent_seconds)
            stream.recent_seconds.clear()
            stream.side = next_side(stream.side, typical, self.config, camera_side)

    # -- readings and snapshots, from the page's script thread

    def reading(self) -> LiveReading:
        stream = self._stream
        latest = stream.latest
        camera_size = None if latest is None else (latest.width, latest.height)
        return LiveReading(
            fps=stream.painted.per_second(), camera_fps=stream.camera.per_second(),
            side=stream.side, painted_size=stream.painted_size, camera_size=camera_size,
            frames=stream.frames, trouble=self._trouble(stream))

    def _failure_of(self, recipe: BatchRecipe | None) -> str | None:
        """Why ``recipe`` failed to paint, if it did (a failure belongs to its recipe)."""
        with self._lock:
            failure = self._failure
        if failure is None or recipe is None or failure[0] != recipe.key():
            return None
        return failure[1]

    def _trouble(self, stream: _Stream) -> Trouble | None:
        failure = self._failure_of(self._recipe)
        if failure is not None:
            return Trouble(PAINTING_FAILED, detail=failure)
        camera = stream.camera
        if camera.last is None or stream.handled is None:
            return None
        now = self.clock()
        # Frames wait while one is painted, so the camera is quiet only when the painter is.
        quiet = 0.0 if stream.painting else now - max(camera.last, stream.handled)
        if quiet >= self.config.stale_seconds:
            return Trouble(CAMERA_QUIET, seconds=quiet)
        if now - stream.first_handled >= 2 * self.config.window_seconds:
            rate = camera.per_second()
            if rate < self.config.slow_camera_fps:
                return Trouble(CAMERA_SLOW, rate=rate)
        return None

    def snapshot(self) -> np.ndarray:
        """The newest camera frame painted at its full resolution (as it reached the
        server)."""
        frame = self._stream.latest
        recipe = self._recipe
        if frame is None:
            raise UserError("no camera frame yet: press START and allow the camera")
        if recipe is None:
            raise UserError("choose a painting first")
        painted, _ = paint(recipe, frame.rgb())  # the recipe has no size: the frame's own
        return painted

