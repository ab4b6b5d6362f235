"""Peak memory of a run, said before it starts, and whether this server has it free.

The figures are a model fitted to peaks measured on the 2-core AMD EPYC of BENCHMARKS.md
("Print size", ``bench/classic_print.py`` and ``bench/fast_large.py``): a process's peak
resident memory is a fixed part (TensorFlow, the networks) plus a part per pixel of the
largest scale, whose size per pixel depends on how that scale is computed (in one pass or
over tiles, with L-BFGS-B or Adam). ``check_fits`` refuses, with the reason, a run whose
peak would not fit in what this server has free; the pages offer only sizes that fit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from core.errors import UserError

GIB = 2**30
# A hosted demo may hold runs to less than the machine has: bytes, e.g. 4294967296.
MEMORY_LIMIT_ENV = "STYLE_STUDIO_MEMORY_LIMIT"

# Classic. The process before the optimisation: TensorFlow, the loss network and the fast
# start's networks, with the 512 px scale's evaluation.
CLASSIC_BASE_BYTES = int(1.45 * GIB)
# One pass: the loss network's activations and gradients, bytes per pixel of the scale.
CLASSIC_ONE_PASS_BYTES_PER_PIXEL = 1500
# Over tiles: one tile's activations and gradients, whatever the picture's size ...
CLASSIC_TILE_BYTES = int(1.3 * GIB)
# ... plus the picture-sized arrays: pixels, gradient, the photo, its content targets, the
# resize between scales; bytes per pixel, and the optimiser's on top of them.
CLASSIC_TILED_BYTES_PER_PIXEL = 120
ADAM_BYTES_PER_PIXEL = 24  # two float32 moments, three channels

# Fast networks (any of them; the 26-style network is the dearest), bench/fast_large.py, with
# their halos taken out (core.fast.apply.dehaloed): TensorFlow and the network, then per
# pixel with the network in one pass (1.98 GiB measured at 2048x1365 px, where the halos
# came out in tiles; 2.5 GiB at 2048x2048), or, over
# tiles (core.fast.tiling), a fixed part (one tile, the 2048 px statistics pass) plus the
# picture-sized arrays: photo, dithered photo, painting (3.46 GiB at 7680x5120 px).
FAST_BASE_BYTES = int(0.9 * GIB)
FAST_ONE_PASS_BYTES_PER_PIXEL = 420
FAST_TILE_BYTES = int(0.55 * GIB)
FAST_TILED_BYTES_PER_PIXEL = 56


@dataclass(frozen=True)
class MemoryEstimate:
    """A run's expected peak resident memory and where it comes from."""

    peak_bytes: int
    detail: str  # for people: "4096x2731, over tiles, Adam"
    # what the process holds before the run (TensorFlow, the networks): a process that has
    # them loaded already needs that much less, but never less than the run's own part
    base_bytes: int = 0

    @property
    def gib(self) -> float:
        return self.peak_bytes / GIB

    def text(self) -> str:
        return f"about {self.gib:.1f} GiB of memory at its peak ({self.detail})"


def classic_peak(config, width: int, height: int, regions: bool = False) -> MemoryEstimate:
    """The peak of a classic run on a ``width`` x ``height`` photo: its dearest scale's. A
    run with regions computes each scale in one pass (``tiles.stage_tiled``)."""
    from core.classic import MAX_ITERATIONS, tiles
    from core.classic.optimisers import lbfgs_fits
    from core.estimates import stage_shapes

    shapes = stage_shapes(config, width, height)
    counts = [config.iterations or MAX_ITERATIONS] + [config.refine_iterations] * len(shapes)
    peaks = []
    for (scale_width, scale_height), iterations in zip(shapes, counts, strict=False):
        pixels = scale_width * scale_height
        tiled = tiles.stage_tiled(scale_height, scale_width, regions)
        if tiled:
            peak = CLASSIC_TILE_BYTES + CLASSIC_TILED_BYTES_PER_PIXEL * pixels
        else:
            peak = CLASSIC_ONE_PASS_BYTES_PER_PIXEL * pixels
        peaks.append((CLASSIC_BASE_BYTES + peak + _optimiser_bytes(config, pixels, iterations),
                      tiled))
    peak, tiled = max(peaks)
    out_width, out_height = shapes[-1]
    how = "over tiles" if tiled else "in one pass"
    if config.optimizer == "lbfgs" and not lbfgs_fits(3 * out_width * out_height):
        how += "; Adam at the largest scale, where L-BFGS-B would not fit"
    return MemoryEstimate(int(peak), f"{out_width}x{out_height}, {how}", CLASSIC_BASE_BYTES)


def _optimiser_bytes(config, pixels: int, iterations: int) -> int:
    """L-BFGS-B's arrays with the correction pairs it keeps at this scale, or Adam's moments
    where L-BFGS-B gives way to Adam (``engine.stage_optimiser``)."""
    from core.classic.optimisers import lbfgs_bytes, lbfgs_fits, lbfgs_history

    values = 3 * pixels
    if config.optimizer == "lbfgs" and lbfgs_fits(values):
        return lbfgs_bytes(values, lbfgs_history(values, iterations))
    return ADAM_BYTES_PER_PIXEL * pixels


def fast_peak(width: int, height: int) -> MemoryEstimate:
    """The peak of painting a ``width`` x ``height`` picture with a fast network."""
    from core.fast.tiling import needs_tiles

    pixels = width * height
    if needs_tiles(height, width):
        peak = FAST_BASE_BYTES + FAST_TILE_BYTES + FAST_TILED_BYTES_PER_PIXEL * pixels
        how = "over tiles"
    else:
        peak = FAST_BASE_BYTES + FAST_ONE_PASS_BYTES_PER_PIXEL * pixels
        how = "in one pass"
    return MemoryEstimate(int(peak), f"{width}x{height}, {how}", FAST_BASE_BYTES)


def _proc_kib(path: str, field: str) -> int | None:
    """A "Field:  123 kB" line of a /proc file, in bytes; None where it cannot be read."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def resident_bytes() -> int:
    """This process's resident memory now (0 where /proc does not say)."""
    return _proc_kib("/proc/self/status", "VmRSS") or 0


def free_bytes() -> int | None:
    """What this process may still take: the least of the memory the system has available,
    its container's limit left, and ``$STYLE_STUDIO_MEMORY_LIMIT`` less what the process
    holds. None where none of them can be read."""
    candidates = []
    available = _proc_kib("/proc/meminfo", "MemAvailable")
    if available is not None:
        candidates.append(available)
    limit = _cgroup_left()
    if limit is not None:
        candidates.append(limit)
    configured = os.environ.get(MEMORY_LIMIT_ENV)
    if configured:
        try:
            candidates.append(int(float(configured)) - resident_bytes())
        except ValueError:
            raise UserError(f"{MEMORY_LIMIT_ENV} must be a number of bytes, not "
                            f"{configured!r}") from None
    return max(0, min(candidates)) if candidates else None


# cgroup files: (limit, usage, the memory.stat line of reclaimable page cache), v2 and v1
_CGROUP_FILES = {"v2": ("memory.max", "memory.current", "inactive_file"),
                 "v1": ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")}
_NO_LIMIT = 2**60  # v1 writes "no limit" as a number near 2^63


def _cgroup_left() -> int | None:
    """What this process's container still has: its cgroup's limit less its usage (page
    cache the kernel can drop not counted), the tightest of the cgroup and its parents;
    cgroup v2 or v1, the path from /proc/self/cgroup. None where no limit is set."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    left = None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            version, root = "v2", Path("/sys/fs/cgroup")
        elif "memory" in controllers.split(","):
            version, root = "v1", Path("/sys/fs/cgroup/memory")
        else:
            continue
        folder = root / path.lstrip("/")
        while True:
            room = _cgroup_room(folder, *_CGROUP_FILES[version])
            if room is not None:
                left = room if left is None else min(left, room)
            if folder == root or root not in folder.parents:
                break
            folder = folder.parent
    return left


def _cgroup_room(folder: Path, limit_file: str, usage_file: str, cache_key: str) -> int | None:
    try:
        limit = (folder / limit_file).read_text().strip()
        if limit == "max" or int(limit) >= _NO_LIMIT:
            return None
        usage = int((folder / usage_file).read_text())
        for line in (folder / "memory.stat").read_text().splitlines():
            key, value = line.split()
            if key == cache_key:
                usage -= int(value)
        return int(limit) - usage
    except (OSError, ValueError):
        return None


def fits(estimate: MemoryEstimate, free: int | None = None) -> bool:
    """Whether a run's peak fits: what it adds to this process (its peak less what the
    process holds already: TensorFlow and the networks, once loaded) within what is free."""
    free = free_bytes() if free is None else free
    if free is None:
        return True
    # Only the fixed part is credited: what else the process holds (other jobs, results
    # kept for downloads) is not this run's to reuse.
    return estimate.peak_bytes - min(resident_bytes(), estimate.base_bytes) <= free


def check_fits(estimate: MemoryEstimate, what: str) -> None:
    """Refuse, with the reason, a run whose peak would not fit on this server."""
    free = free_bytes()
    if not fits(estimate, free):
        raise UserError(
            f"{what} needs {estimate.text()}, and this server has "
            f"{(free + min(resident_bytes(), estimate.base_bytes)) / GIB:.1f} GiB for it: "
            "choose a smaller size")


def largest_fast_side(low: int, high: int, step: int, free: int | None = None) -> int:
    """The largest longest side from ``low`` to ``high`` (in ``step``s) at which a square
    photo, the dearest shape, can be painted here (with ``free`` bytes free, or what is free
    now): what the fast page offers."""
    free = free_bytes() if free is None else free
    fitting = [side for side in range(low, high + 1, step)
               if fits(fast_peak(side, side), free)]
    return fitting[-1] if fitting else low
