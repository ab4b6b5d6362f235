"""Painting a live camera: frames in, painted frames out, as fast as they come.

``LivePainter`` is one viewer's stream. Its ``paint_frame`` runs on the stream's own thread
(streamlit-webrtc's processing thread; any loop that hands it frames), and paints each frame
with a batch recipe (``core.batch.painting.paint``: the same per-process networks as batches
and clips, so every viewer of a server shares one loaded copy). The recipe, the side-by-side
view and the size can change between frames without restarting the stream.

The size follows the machine: ``next_side`` shrinks the painted picture when frames take
longer than the frame rate allows and grows it when there is room, so the stream holds
``LiveConfig.target_fps``. ``LivePainter.reading`` says how it goes, in one immutable
``LiveReading`` (painted and camera frame rates, the size in use, and what is wrong, if
anything: no frames from the camera, frames arriving too slowly, a painting that failed).
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from core import images
from core.batch import BatchRecipe
from core.batch.painting import paint
from core.errors import SettingsError, UserError
from core.validate import require_between


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
    """Frames a second over the last ``window`` seconds, from when each frame was counted."""

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic):
        self.window = window
        self.clock = clock
        self._counts: deque[tuple[float, int]] = deque()  # (when, frames counted then)
        self._total = 0  # frames in _counts
        self.first: float | None = None  # when the first frame was counted
        self.last: float | None = None

    def tick(self, count: int = 1) -> None:
        """``count`` frames now (several: frames that waited and are counted together)."""
        now = self.clock()
        if self.first is None:
            self.first = now
        self.last = now
        self._counts.append((now, count))
        self._total += count
        self._drop_old(now)

    def per_second(self) -> float:
        now = self.clock()
        self._drop_old(now)
        if len(self._counts) < 2:
            return 0.0
        # The frames after the oldest count kept, over the time since it: the same figure
        # whether or not a count sits on the window's edge, and falling once frames stop.
        oldest, oldest_count = self._counts[0]
        span = now - oldest
        return (self._total - oldest_count) / span if span > 0.25 else 0.0

    def _drop_old(self, now: float) -> None:
        while self._counts and self._counts[0][0] <= now - self.window:
            self._total -= self._counts.popleft()[1]


@dataclass(frozen=True)
class LiveReading:
    """How one live stream is going, at one moment."""

    fps: float  # painted frames a second
    camera_fps: float  # camera frames reaching the painter a second
    side: int  # the longest side frames are painted at now
    painted_size: tuple[int, int] | None  # (width, height) of the last painted frame
    camera_size: tuple[int, int] | None  # (width, height) of the last camera frame
    frames: int  # painted so far
    problem: str | None  # what is wrong, in a line a viewer can act on; None: all well

    @property
    def started(self) -> bool:
        return self.camera_size is not None


class LivePainter:
    """One viewer's stream: paints camera frames with the current recipe, at the size the
    machine allows, and keeps the newest camera frame for a full-size snapshot."""

    def __init__(self, config: LiveConfig = DEFAULTS,
                 clock: Callable[[], float] = time.monotonic):
        self.config = config
        self.clock = clock
        self.side = config.start_side
        self.side_by_side = False  # the camera frame left of the painting
        self._recipe: BatchRecipe | None = None
        self._lock = threading.Lock()
        self._painted = FrameRate(config.window_seconds, clock)
        self._camera = FrameRate(config.window_seconds, clock)
        self._recent_seconds: list[float] = []
        self._latest: np.ndarray | None = None  # the newest camera frame, as it came
        self._painted_size: tuple[int, int] | None = None
        self._frames = 0
        self._failure: str | None = None
        self._painting = False  # a frame is being painted (the first one loads the network)
        self._handled: float | None = None  # when the last frame was done with
        self._first_handled: float | None = None  # when the first was (after loading)

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
                self._failure = None  # a new painting gets a fresh chance

    # -- the stream's thread

    def paint_frame(self, rgb: np.ndarray, arrived: int = 1) -> np.ndarray:
        """One camera frame (uint8 RGB) painted at the current size, even-sided (video
        encoders need it); the camera frame, shrunk, while there is no recipe or the
        painting fails (the failure is in ``reading().problem``). ``arrived``: camera
        frames that came since the last call, this one included (the others were
        dropped while the last one was painted); they measure the camera's own rate."""
        started = self.clock()
        self._camera.tick(arrived)
        self._painting = True
        try:
            return self._paint(rgb, started)
        finally:
            self._painting = False
            self._handled = self.clock()
            if self._first_handled is None:
                self._first_handled = self._handled

    def _paint(self, rgb: np.ndarray, started: float) -> np.ndarray:
        with self._lock:
            self._latest = rgb
            recipe = self._recipe
        height, width = rgb.shape[:2]
        small = _even(images.shrink_to(rgb, self.side))
        if recipe is None or self._failure is not None:
            return small
        try:
            painted, _ = paint(recipe, small)  # the first frame also loads the network
        except Exception as error:  # noqa: BLE001 - the stream goes on; the page says why
            self._failure = (str(error) if isinstance(error, UserError) else
                             f"the painting failed ({type(error).__name__}: {error})")
            return small
        painted = _even(painted)
        if painted.shape[:2] != small.shape[:2]:
            small = images.resize_exact(small, painted.shape[1], painted.shape[0])
        out = np.hstack([small, painted]) if self.side_by_side else painted
        self._painted.tick()
        self._frames += 1
        self._painted_size = (painted.shape[1], painted.shape[0])
        self._adjust(self.clock() - started, max(width, height))
        return out

    def _adjust(self, seconds: float, camera_side: int) -> None:
        self._recent_seconds.append(seconds)
        if len(self._recent_seconds) >= self.config.adjust_every:
            typical = statistics.median(self._recent_seconds)
            self._recent_seconds.clear()
            self.side = next_side(self.side, typical, self.config, camera_side)

    # -- readings and snapshots, from the page's script thread

    def reading(self) -> LiveReading:
        latest = self._latest
        camera_size = None if latest is None else (latest.shape[1], latest.shape[0])
        return LiveReading(
            fps=self._painted.per_second(), camera_fps=self._camera.per_second(),
            side=self.side, painted_size=self._painted_size, camera_size=camera_size,
            frames=self._frames, problem=self._problem())

    def _problem(self) -> str | None:
        if self._failure is not None:
            return f"The painting failed, so the camera is shown as it is: {self._failure}"
        camera = self._camera
        if camera.last is None or self._handled is None:
            return None
        now = self.clock()
        # Frames wait while one is painted, so the camera is quiet only when the painter is.
        quiet = 0.0 if self._painting else now - max(camera.last, self._handled)
        if quiet >= self.config.stale_seconds:
            return (f"No frames from the camera for {quiet:.0f} s: it was unplugged, switched "
                    "off or taken by another program. Press STOP, then START (SELECT DEVICE "
                    "picks another camera).")
        if now - self._first_handled >= 2 * self.config.window_seconds:
            rate = camera.per_second()
            if rate < self.config.slow_camera_fps:
                return (f"Camera frames reach the server at only {rate:.1f} a second (a slow "
                        "connection or a busy computer), so the painting cannot move more "
                        "smoothly than that. Closing other tabs or programs helps; so does a "
                        "wired connection.")
        return None

    def latest_frame(self) -> np.ndarray | None:
        """The newest camera frame at the camera's full resolution, or None before one."""
        return self._latest

    def snapshot(self) -> np.ndarray:
        """The newest camera frame painted at the camera's full resolution."""
        frame = self._latest
        recipe = self._recipe
        if frame is None:
            raise UserError("no camera frame yet: press START and allow the camera")
        if recipe is None:
            raise UserError("choose a painting first")
        painted, _ = paint(recipe, frame)  # the recipe has no size: the frame's own
        return painted


def _even(rgb: np.ndarray) -> np.ndarray:
    """Cut a row and a column off odd sides (video encoders take even sizes)."""
    height, width = rgb.shape[:2]
    return rgb[: height - height % 2, : width - width % 2]
