"""A sweep: one photo and one painting painted over a grid of two settings, to see what each
setting does (issue 21).

* ``fast``: Ghiasi et al.'s any-painting network, strength (rows) x size (columns).
* ``classic``: Gatys et al.'s optimisation, style weight (rows) x style scale (columns), at a
  small size and a few iterations so that a cell takes seconds, not minutes.

A ``Sweep`` is the grid's whole definition (method, the two axes' values, the seed and, for
classic, size and iterations); each cell's config follows from it, so equal sweeps give
equal configs and a cache keyed by them never paints a cell twice.

The seed is the sweep's record (its link and its sheet's title keep it) and reaches a cell
only where it can change the picture: a classic cell that starts from noise
(``NOISE_STARTS``). The sweep's classic cells start from the any-painting network's picture
(``ClassicConfig``'s ``init="fast"``) and the fast networks are deterministic (their dither
noise has a fixed seed), so there a new seed gives the same cells, the same cache keys, and
nothing is painted again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from core.classic import ClassicConfig
from core.errors import SettingsError
from core.fast.arbitrary.config import ArbitraryConfig
from core.validate import MIN_SIDE, require_count, validate_size

FAST, CLASSIC = "fast", "classic"
METHODS = (FAST, CLASSIC)
MAX_VALUES = 6  # per axis: 36 cells are already a long wait for a classic sweep
MAX_SEED = 2**32 - 1
CLASSIC_SIZE = 256  # px: a classic cell in seconds to tens of seconds on a laptop CPU
CLASSIC_ITERATIONS = 20
MAX_SWEEP_ITERATIONS = 500  # per cell: a sweep is a sketch (the widget's and a link's limit)
NOISE_STARTS = ("noise", "report-noise")  # the classic starts a seed changes
MAX_CLASSIC_SIZE = 512  # a sweep is a sketch: bigger runs belong on the classic page
MAX_SWEEP_SIZE = 2048  # each cell is one picture: print sizes belong on the fast page


@dataclass(frozen=True)
class Axis:
    """One setting a sweep varies: its config field, name for people, bounds, defaults."""

    field: str  # the config's field: "strength", "size", "style_weight", "style_scale"
    label: str  # "Strength"
    low: float
    high: float
    whole: bool  # whole numbers only (a size)
    default: tuple[float, ...]


AXES = {  # method -> (rows, columns)
    FAST: (Axis("strength", "Strength", 0.0, 1.0, False, (0.25, 0.5, 0.75, 1.0)),
           Axis("size", "Size (px)", MIN_SIDE, MAX_SWEEP_SIZE, True, (384, 512, 768))),
    CLASSIC: (Axis("style_weight", "Style weight", 0.0, 1e6, False, (10.0, 100.0, 1000.0)),
              Axis("style_scale", "Style scale", 0.1, 4.0, False, (0.5, 1.0, 2.0))),
}


def format_values(values) -> str:
    """'0.25, 0.5, 1' (how an axis is written in a text box and a link): short, yet exact,
    so that the text reads back as the very same values (0.1234567 stays 0.1234567)."""
    return ", ".join(_exact(value) for value in values)


def _exact(value: float) -> str:
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))


def parse_values(text: str, axis: Axis) -> tuple[float, ...]:
    """An axis's values from '0.25, 0.5, 1' (commas or spaces); a ``SettingsError`` that
    says what is allowed otherwise. Repeats are dropped, the order is kept."""
    values = []
    for part in text.replace(",", " ").split():
        try:
            value = float(part)
        except ValueError:
            raise SettingsError(f"{axis.label.lower()}: {part!r} is not a number") from None
        values.append(value)
    return check_values(tuple(values), axis)


def check_values(values: tuple[float, ...], axis: Axis) -> tuple[float, ...]:
    what = axis.label.lower()
    values = tuple(dict.fromkeys(values))
    if not 1 <= len(values) <= MAX_VALUES:
        raise SettingsError(f"{what}: give 1 to {MAX_VALUES} values (got {len(values)})")
    for value in values:
        if not axis.low <= value <= axis.high:  # NaN fails too
            raise SettingsError(f"{what}: each value must be from {axis.low:g} to "
                                f"{axis.high:g} (got {value:g})")
        if axis.whole and not float(value).is_integer():
            raise SettingsError(f"{what}: each value must be a whole number (got {value:g})")
    return tuple(int(v) if axis.whole else float(v) for v in values)


@dataclass(frozen=True)
class Sweep:
    """A grid of pictures of one photo and painting over two settings (see ``AXES``)."""

    method: str = FAST  # one of METHODS
    rows: tuple[float, ...] = AXES[FAST][0].default
    columns: tuple[float, ...] = AXES[FAST][1].default
    seed: int = 0  # recorded; reaches only a classic cell that starts from noise
    size: int = CLASSIC_SIZE  # classic only: longest side of every cell, px
    iterations: int = CLASSIC_ITERATIONS  # classic only

    def __post_init__(self):
        if self.method not in METHODS:
            raise SettingsError(f"method must be one of {', '.join(METHODS)} "
                                f"(got {self.method!r})")
        row_axis, column_axis = AXES[self.method]
        object.__setattr__(self, "rows", check_values(tuple(self.rows), row_axis))
        object.__setattr__(self, "columns", check_values(tuple(self.columns), column_axis))
        require_count("seed", self.seed, 0, MAX_SEED)
        object.__setattr__(self, "size", validate_size(self.size, max_side=MAX_CLASSIC_SIZE))
        require_count("iterations", self.iterations, 1, MAX_SWEEP_ITERATIONS)

    @classmethod
    def default(cls, method: str) -> Sweep:
        row_axis, column_axis = AXES[method]
        return cls(method, row_axis.default, column_axis.default)

    @property
    def axes(self) -> tuple[Axis, Axis]:
        return AXES[self.method]

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.columns)

    def cells(self) -> list[tuple[float, float]]:
        """(row value, column value) of each cell, row by row."""
        return [(row, column) for row in self.rows for column in self.columns]

    def fast_config(self, row: float, column: float,
                    base: ArbitraryConfig | None = None) -> ArbitraryConfig:
        """A fast cell's settings: ``base`` (the defaults) with this strength and size."""
        return dataclasses.replace(base or ArbitraryConfig(), strength=row, size=int(column))

    def classic_config(self, row: float, column: float,
                       base: ClassicConfig | None = None) -> ClassicConfig:
        """A classic cell's settings: ``base`` (the recommended preset) at the sweep's size,
        iterations, in one scale, without snapshots, with this style weight and style scale;
        the sweep's seed only if ``base`` starts from noise (elsewhere it cannot change the
        picture, and leaving it out keeps the cell's cache key)."""
        base = base or ClassicConfig()
        seed = self.seed if seed_matters(base) else base.seed
        return dataclasses.replace(
            base, size=self.size, iterations=self.iterations, max_seconds=None,
            base_size=None, snapshot_every=0, seed=seed, style_weight=row, style_scale=column)


def seed_matters(base: ClassicConfig | None = None) -> bool:
    """Whether a classic sweep's seed changes its pictures: only from a noise start."""
    return (base or ClassicConfig()).init in NOISE_STARTS
