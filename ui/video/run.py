"""A video painting in the session, on a thread of its own.

``core.video.painting.paint_clip`` runs on a worker thread that a ``VideoRun`` owns; the
run lives in Session State, so it outlives reruns and page switches. The worker never
touches ``st.*``: it reports each frame into the run (``on_frame``), stops at the next frame
when the run's ``cancel`` event is set (or its browser session has gone), and at the end keeps
the painted MP4 (and, if asked, the original beside the painted one) as bytes. Its clip and
its outputs sit in a temporary folder (``core.video.scratch``) that is removed when the worker
ends, whatever the ending. ``ui.video.panel`` polls the run; nothing here draws.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import streamlit as st

from core.batch import BatchRecipe
from core.errors import UserError
from core.video import scratch
from core.video.consistency import ConsistencyConfig
from core.video.painting import VideoResult, paint_clip
from ui import common

CURRENT = "video.current"  # not a widget: this session's latest VideoRun
RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"
log = logging.getLogger(__name__)


@dataclass
class VideoRun:
    """One painting of one clip: what it paints with, how far it is, what it made."""

    name: str  # the clip as uploaded: "holiday.mp4"
    label: str  # "Any painting: The Starry Night … · 256 px · consistency on"
    stem: str  # downloads' names: "<stem>.mp4", "<stem>-side-by-side.mp4"
    expected: int  # frames, from the header
    side_by_side: bool
    done: int = 0
    status: str = RUNNING
    result: VideoResult | None = None
    painted: bytes | None = field(default=None, repr=False)  # the MP4
    beside: bytes | None = field(default=None, repr=False)  # the side-by-side MP4
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def active(self) -> bool:
        return self.status == RUNNING

    @property
    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / max(self.expected, 1))

    def eta_seconds(self) -> float | None:
        """Seconds left at the rate so far; None before the first frame."""
        if not self.active or self.done <= 0:
            return None
        return max(self.expected - self.done, 0) * self.elapsed / self.done

    def on_frame(self, done: int, expected: int) -> None:
        """paint_clip's callback, on the worker thread."""
        self.done, self.expected = done, max(expected, done)


def current() -> VideoRun | None:
    return st.session_state.get(CURRENT)


def start(data: bytes, name: str, recipe: BatchRecipe, consistency: ConsistencyConfig | None,
          side_by_side: bool, label: str, stem: str, expected: int) -> VideoRun:
    """A new run of the clip ``data``; the session's previous one is cancelled and dropped."""
    drop()
    run = VideoRun(name, label, stem, expected, side_by_side)
    owner = common.session_owner()
    run.thread = threading.Thread(target=_work, name=f"video-{owner[:8]}", daemon=True,
                                  args=(run, data, recipe, consistency, owner))
    st.session_state[CURRENT] = run
    run.thread.start()
    return run


def drop() -> None:
    """Forget the session's run; a running one is cancelled (its worker cleans up)."""
    run = st.session_state.pop(CURRENT, None)
    if run is not None:
        run.cancel.set()


def _work(run: VideoRun, data: bytes, recipe: BatchRecipe,
          consistency: ConsistencyConfig | None, owner: str) -> None:
    def on_frame(done: int, expected: int) -> None:
        run.on_frame(done, expected)
        if not common.session_connected(owner):
            run.cancel.set()  # the browser session has gone: nobody will see the clip

    try:
        with scratch.staged(data, run.name) as source:
            out = source.parent / "painted.mp4"
            beside = source.parent / "side-by-side.mp4" if run.side_by_side else None
            run.result = paint_clip(source, out, recipe, consistency, on_frame=on_frame,
                                    cancel=run.cancel, beside=beside)
            if beside is not None:
                run.beside = beside.read_bytes()
            run.painted = out.read_bytes()
        run.status = CANCELLED if run.cancel.is_set() else DONE
    except UserError as error:
        run.status, run.error = (CANCELLED, None) if run.cancel.is_set() else (FAILED, str(error))
    except Exception as error:  # an internal error: logged with its traceback, shown in a line
        log.exception("painting the clip %s failed", run.name)
        run.status, run.error = FAILED, f"internal error: {error}"
    finally:
        run.ended = time.monotonic()
