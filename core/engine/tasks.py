"""The kinds of work a job runs, and running one anywhere.

A task is a frozen, picklable dataclass with ``run(on_event, cancel)``, which does the work
and returns its result, and ``describe()``, its settings as JSON for the job's record. Both
engines run every task through ``execute``, in a thread of this process or in a Ray worker,
so a task's failures read the same wherever it ran. ``ClassicTask`` is a classic run;
``core.batch.PaintTask`` is one photo of a batch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from core.classic import ClassicConfig
from core.engine.events import Outcome, step_of
from core.errors import UserError
from core.estimates import Pace, measure_pace
from core.progress import CANCELLED, DONE, FAILED, JobView

log = logging.getLogger(__name__)

PACES_KEPT = 32  # finished classic jobs' paces an engine remembers for estimates


def stylize(*args, **kwargs):
    """``core.classic.stylize``, imported at the first run: it loads TensorFlow, which a
    process that only queues or lists jobs (the CLI's start, a page) does not need."""
    from core.classic import stylize as classic_stylize

    return classic_stylize(*args, **kwargs)


@dataclass(frozen=True)
class ClassicTask:
    """Everything one classic run needs; arrays are uint8 RGB and are never modified."""

    kind: ClassVar[str] = "classic"
    content: np.ndarray = field(repr=False)
    styles: tuple[np.ndarray, ...] = field(repr=False)
    config: ClassicConfig
    style_blend: tuple[float, ...] | None = None
    init_image: np.ndarray | None = field(default=None, repr=False)
    content_name: str = "content"
    style_names: tuple[str, ...] = ()
    requested_backbone: str | None = None  # e.g. "auto" when the caller resolved it itself
    masks: tuple[np.ndarray, ...] | None = field(default=None, repr=False)  # core.regions

    def run(self, on_event: Callable, cancel: threading.Event):
        return stylize(self.content, self.styles, self.config, style_blend=self.style_blend,
                       init_image=self.init_image, masks=self.masks, on_event=on_event,
                       cancel=cancel)

    @property
    def classic_config(self) -> ClassicConfig:
        return self.config

    def picture_recipe(self, backbone: str | None = None):
        """What the run's pictures carry in their PNG (``core.picture_recipe``)."""
        from core.picture_recipe import PictureRecipe

        names = self.style_names or tuple(f"painting-{i}" for i in range(1, len(self.styles) + 1))
        return PictureRecipe.of("classic", self.config, names, self.styles, self.masks,
                                mix=self.style_blend, backbone=backbone)

    def describe(self) -> dict:
        return {
            "kind": "classic",
            "content": self.content_name,
            "styles": list(self.style_names),
            "style_blend": list(self.style_blend) if self.style_blend else None,
            "config": self.config.to_dict(),
            "requested_backbone": self.requested_backbone,
            "regions": len(self.masks) if self.masks is not None else 0,
        }


def execute(task, report: Callable, cancel: threading.Event, job_id: str = "") -> Outcome:
    """Run ``task``, passing its events to ``report`` as records take them; never raises
    for the task's own failures: a person's mistake ends it with its one line, anything
    else with "internal error: ..." (and the traceback in this process's log)."""
    try:
        result = task.run(lambda event: report(step_of(event)), cancel)
    except UserError as error:  # a person's mistake the core caught: its line says what
        return Outcome(FAILED, error=" ".join(str(error).split()))
    except Exception as error:
        log.exception("job %s failed", job_id)
        message = " ".join(f"{type(error).__name__}: {error}".split())
        return Outcome(FAILED, error=f"internal error: {message}")
    stopped_by = getattr(result, "stopped_by", None)
    return Outcome(CANCELLED if stopped_by == "cancel" else DONE, result=result)


def newest_pace(paces, optimizer: str, precision: str) -> Pace | None:
    """The newest of ``paces`` (oldest first) with this optimiser and precision, else None."""
    for pace in reversed(paces):
        if (pace.optimizer, pace.precision) == (optimizer, precision):
            return pace
    return None


def pace_of(task, view: JobView) -> Pace | None:
    """How fast a finished classic run went, for later estimates; None for other work."""
    if not isinstance(task, ClassicTask) or view.status not in (DONE, CANCELLED):
        return None
    try:
        return measure_pace(view, task.config)
    except Exception:  # a wrong estimate later is better than a stuck slot now
        log.exception("timing classic job %s failed", view.id)
        return None
