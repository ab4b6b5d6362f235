"""Checks for numbers and choices, one home for every setting's check: a config, a settings
file, a CLI flag, an environment variable. Each raises ``SettingsError`` with a line that
names the setting, says what is allowed and quotes what came."""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Collection

import numpy as np

from core.errors import SettingsError

MIN_SIDE = 32  # px, smallest side of any picture (input or output)
MAX_OUTPUT_SIDE = 8192  # largest output longest side anyone may request (memory permitting:
# core.memory says what fits)


def validate_size(size: object, *, what: str = "size", max_side: int = MAX_OUTPUT_SIDE) -> int:
    """``size`` as an int in [MIN_SIDE, max_side] ("1080" and 1080.0 are 1080)."""
    value = _as_whole_number(size)
    if value is None:
        raise SettingsError(f"{what} must be a whole number of pixels (got {repr(size)[:40]})")
    if not MIN_SIDE <= value <= max_side:
        raise SettingsError(f"{what} must be between {MIN_SIDE} and {max_side} px (got {value})")
    return value


def _as_whole_number(size: object) -> int | None:
    if isinstance(size, (bool, np.bool_)):  # True is an int to Python, not to a person
        return None
    if isinstance(size, numbers.Integral):
        return int(size)
    if isinstance(size, str):
        try:
            return int(size.strip())
        except ValueError:
            return None
    if isinstance(size, numbers.Real) and math.isfinite(size) and float(size).is_integer():
        return int(size)
    return None


def require_choice(name: str, value: object, choices: Collection[str]) -> str:
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)} (got {value!r})")
    return value


# Settings are plain Python numbers: a numpy scalar kept in a config would not survive
# json.dumps of its settings file, so require_number and require_count refuse them.


def require_number(name: str, value: object, *, allow_zero: bool = False) -> float:
    """A finite number above zero (or zero too, with ``allow_zero``)."""
    bad = isinstance(value, bool) or not isinstance(value, (int, float))
    if bad or not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "more than zero"
        raise SettingsError(f"{name} must be a finite number, {bound} (got {value!r})")
    return float(value)


def require_count(name: str, value: object, low: int, high: int) -> int:
    """A whole number (not a bool) from ``low`` to ``high``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high} (got {value!r})")
    return int(value)


def require_between(name: str, value: object, low: float, high: float) -> float:
    """A number from ``low`` to ``high`` (a strength is one from 0 to 1)."""
    bad = isinstance(value, bool) or not isinstance(value, numbers.Real)
    if bad or not low <= value <= high:  # NaN fails too
        raise SettingsError(f"{name} must be a number from {low:g} to {high:g} (got {value!r})")
    return float(value)


def env_count(name: str, default: int, low: int, high: int) -> int:
    """A whole number from the environment variable ``name``; ``default`` when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high} (got {raw!r})")
    return value


def numbers_list(text: str, flag: str) -> list[float]:
    """'0.7,0.3' -> [0.7, 0.3]: a flag's comma-separated numbers (``--mix``)."""
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise SettingsError(f"{flag} takes numbers separated by commas, e.g. 0.7,0.3 "
                            f"(got {text!r})") from None
