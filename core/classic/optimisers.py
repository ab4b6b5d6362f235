"""The optimisers of a classic run: Adam on the raw pixels, as the report ran it, and L-BFGS-B
with every pixel boxed into 0..255 (the recommended preset's).

``adam_steps`` and ``box_lbfgsb`` know nothing of pictures or runs: a function giving the
value and gradient goes in, iterates come out. ``adam`` and ``lbfgs`` drive them through one
scale of ``stylize``: every evaluation goes through ``run.evaluate``, every iterate through
``run.iteration_done`` (``core.classic.engine.Run``), and a cancel arrives as ``Cancelled``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from core.classic.config import MAX_ITERATIONS
from core.losses import Losses

LBFGS_HISTORY = 20  # correction pairs L-BFGS-B keeps (scipy's default is 10)
LBFGS_PAIR_MEMORY = 512 * 2**20  # bytes the stored pairs may fill, for large images
LBFGS_MIN_HISTORY = 4
# The most L-BFGS-B's arrays may take at one scale (``lbfgs_bytes``); larger scales use Adam.
LBFGS_MEMORY_LIMIT = 2 * 2**30
LBFGS_LINE_SEARCH_STEPS = 20  # evaluations one line search may take (scipy's maxls)
# A scale's evaluation budget: this many per iteration it plans (line searches take extras).
LBFGS_EVALUATIONS_PER_ITERATION = 3
# The codes of scipy's compiled L-BFGS-B routine.
_BOTH_BOUNDS = 2  # a variable's bounds: lower and upper
_TASK_NEW_ITERATE = 1
_TASK_EVALUATE = 3  # wants the value and gradient at x


class Cancelled(Exception):
    """Raised inside an evaluation to stop the optimiser when the run is cancelled."""


@dataclass
class AdamState:
    """Adam's moment estimates and step count: with the pixels, all a resumed run needs."""

    first: np.ndarray
    second: np.ndarray
    step: int = 0

    @classmethod
    def zeros_like(cls, image: np.ndarray) -> AdamState:
        return cls(np.zeros_like(image), np.zeros_like(image))


def adam_update(image, gradient, state: AdamState, learning_rate: float, beta1=0.9,
                beta2=0.999, epsilon=1e-8) -> np.ndarray:
    """One Adam step on raw pixels with TensorFlow 1's defaults, as the report ran it."""
    state.step += 1
    # In place, the same operations in the same order: a 6000 px picture's temporaries are
    # 288 MB each, and the out-of-place formula made five of them at once.
    state.first *= beta1
    state.first += (1 - beta1) * gradient
    state.second *= beta2
    state.second += (1 - beta2) * np.square(gradient)
    rate = learning_rate * math.sqrt(1 - beta2**state.step) / (1 - beta1**state.step)
    denominator = np.sqrt(state.second)
    denominator += epsilon
    step = rate * state.first
    step /= denominator
    return image - step


def adam_steps(objective: Callable[[np.ndarray], tuple[Losses, np.ndarray]], image: np.ndarray,
               state: AdamState, learning_rate: float) -> Iterator[tuple[np.ndarray, Losses]]:
    """Adam from ``image``: after each step, (the new pixels, the losses the step started at).

    Endless: the caller stops taking. ``state`` is updated in place; saving it with the last
    pixels and resuming from them (``AdamState(first, second, step)``) gives the same
    iterates as a run that never stopped.
    """
    while True:
        losses, gradient = objective(image)
        image = adam_update(image, gradient, state, learning_rate)
        yield image, losses


def adam(objective, image: np.ndarray, run, learning_rate: float) -> np.ndarray:
    """Adam on the raw pixels, unbounded, as the report ran it, until ``run`` says stop."""
    image = image.astype(np.float32)
    steps = adam_steps(lambda pixels: run.evaluate(objective, pixels), image,
                       AdamState.zeros_like(image), learning_rate)
    try:
        for image, _ in itertools.islice(steps, MAX_ITERATIONS):
            if run.iteration_done(image):
                break
    except Cancelled:
        pass  # the last iterate stands
    return image


def lbfgs(objective, image: np.ndarray, run) -> np.ndarray:
    """L-BFGS-B with every pixel boxed into 0..255, for the scale's iterations at most.

    The bounds matter: unbounded, the optimum lies partly outside the displayable range and
    the clipped 8-bit image is worse than what the optimiser saw. Ending before its
    iterations, it sets ``run.stopped_by`` to "evaluations" (its evaluation budget is spent)
    or "converged" (the routine can go no further).
    """
    shape = image.shape
    start = np.clip(image, 0, 255).astype(np.float64).ravel()
    # The last iterate L-BFGS-B accepted, what a cancel returns: one copy, replaced each
    # iteration (the routine overwrites x in place; a 2048 px image is 67 MB a copy).
    accepted = start
    first_evaluation = run.evaluations

    def value_and_gradient(flat):
        # An iteration may take several evaluations (line search); checking here keeps a
        # cancel's delay to one evaluation instead of one iteration.
        if run.evaluations and run.cancel is not None and run.cancel.is_set():
            run.stopped_by = "cancel"
            raise Cancelled
        step_losses, gradient = run.evaluate(objective, flat.reshape(shape).astype(np.float32))
        return step_losses.total, gradient.ravel().astype(np.float64)

    def after_iteration(x):
        nonlocal accepted
        accepted = x.copy()
        return run.iteration_done(x.reshape(shape))

    budget = run.stage_limit or MAX_ITERATIONS
    max_evaluations = budget * LBFGS_EVALUATIONS_PER_ITERATION
    try:
        final, iterations = box_lbfgsb(value_and_gradient, start, 0.0, 255.0,
                                       max_iterations=budget, max_evaluations=max_evaluations,
                                       history=lbfgs_history(start.size, budget),
                                       on_iteration=after_iteration)
    except Cancelled:
        final, iterations = accepted, run.iteration - run.stage_start
    if iterations < budget and run.stopped_by == "iterations":
        spent = run.evaluations - first_evaluation > max_evaluations
        run.stopped_by = "evaluations" if spent else "converged"
    return final.reshape(shape).astype(np.float32)


def box_lbfgsb(value_and_gradient, start, lower: float, upper: float, *, max_iterations: int,
               max_evaluations: int, history: int = 10, on_iteration=None):
    """Minimise with L-BFGS-B (scipy's routine) inside one box ``lower..upper`` for all x.

    The same iterates as ``scipy.optimize.minimize(method="L-BFGS-B", ftol=0, gtol=0)``, but
    scipy's wrapper converts per-variable bounds in Python loops: about 3 s per call for a
    512x342 image and 14 s at 1080x720, a quarter of the time the recommended preset needs to
    reach the report's result. Here the bounds are three vectorised arrays.
    ``on_iteration(x)`` after each accepted iterate returns True to stop. Returns (x,
    iterations).
    """
    from scipy.optimize import _lbfgsb  # the compiled routine scipy.optimize itself drives

    n = start.size
    x = np.clip(np.asarray(start, dtype=np.float64), lower, upper)
    low = np.full(n, lower, dtype=np.float64)
    high = np.full(n, upper, dtype=np.float64)
    bounds = np.full(n, _BOTH_BOUNDS, dtype=np.int32)
    value = np.array(0.0, dtype=np.float64)
    gradient = np.zeros(n, dtype=np.float64)
    work = np.zeros(2 * history * n + 5 * n + 11 * history**2 + 8 * history, np.float64)
    integer_work = np.zeros(3 * n, dtype=np.int32)
    task = np.zeros(2, dtype=np.int32)
    line_search_task = np.zeros(2, dtype=np.int32)
    keep_logical = np.zeros(4, dtype=np.int32)
    keep_integer = np.zeros(44, dtype=np.int32)
    keep_double = np.zeros(29, dtype=np.float64)
    evaluations = iterations = 0
    while True:
        # factr 0 and pgtol 0: stop by counts only (the caller's budget), never by tolerance
        _lbfgsb.setulb(history, x, low, high, bounds, value, gradient, 0.0, 0.0, work,
                       integer_work, task, keep_logical, keep_integer, keep_double,
                       LBFGS_LINE_SEARCH_STEPS, line_search_task)
        if task[0] == _TASK_EVALUATE:
            new_value, new_gradient = value_and_gradient(x)
            value = np.array(new_value, dtype=np.float64)
            gradient = np.asarray(new_gradient, dtype=np.float64)
            evaluations += 1
        elif task[0] == _TASK_NEW_ITERATE:
            iterations += 1
            stop = on_iteration is not None and on_iteration(x)
            if stop or iterations >= max_iterations or evaluations > max_evaluations:
                break
        else:  # converged, or no further progress possible
            break
    return x, iterations


def lbfgs_bytes(values: int, history: int = LBFGS_MIN_HISTORY) -> int:
    """What L-BFGS-B holds for ``values`` pixel values: the routine's float64 work array
    (2 x history + 5 copies) and six more float64 copies (x, bounds, gradient, the start and
    the last accepted iterate)."""
    return (2 * history + 11) * values * 8


def lbfgs_fits(values: int) -> bool:
    """Whether L-BFGS-B's arrays for ``values`` pixel values fit LBFGS_MEMORY_LIMIT: where
    not (above about 2900 x 1900 px), a scale runs Adam (``engine.stage_optimiser``)."""
    return lbfgs_bytes(values) <= LBFGS_MEMORY_LIMIT


def lbfgs_history(pixels: int, iterations: int) -> int:
    """How many correction pairs L-BFGS-B keeps for an image of ``pixels`` values.

    Each pair is two float64 copies of the image and one is stored per iteration: 134 MB a
    pair at 2048 px, where ten of them were a sixth of the run's peak memory. Up to 1080 px
    (and in every 512 px base stage) this is the full LBFGS_HISTORY or the stage's iteration
    count, whichever is smaller: a run never stores more pairs than it takes iterations.
    """
    affordable = LBFGS_PAIR_MEMORY // (2 * 8 * pixels)
    return max(1, min(LBFGS_HISTORY, iterations, max(LBFGS_MIN_HISTORY, affordable)))
