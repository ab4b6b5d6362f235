"""How the pages write numbers: durations, counts. One place, so every page says it alike."""

from __future__ import annotations


def duration(seconds: float) -> str:
    """3.2 s, 4 min 05 s, 1 h 02 min."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def fast_duration(seconds: float) -> str:
    """0.42 s below 10 s (a fast picture's time needs its hundredths), else ``duration``."""
    return f"{seconds:.2f} s" if seconds < 10 else duration(seconds)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 result', '3 results', '2 classic runs'."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"
