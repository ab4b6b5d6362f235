"""The session's shelf: results made on any page, kept so the compare page can reuse them.

A capped list in Session State, newest first. The fast page puts each result it shows; a
finished classic job is put once (``ui.live.shelve``). Nothing is recomputed to fill
the shelf: it holds the PNG bytes the pages already made.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from core.jobs import Snapshot

SHELF = "studio.shelf"  # not a widget: list[Result], newest first
SHELVED_JOBS = "studio.shelved_jobs"  # not a widget: ids of classic jobs already shelved
CAPACITY = 24
FAST, CLASSIC = "fast", "classic"
ARBITRARY, MULTISTYLE = "any-painting", "26-style"  # Magenta's networks (ui.arbitrary_results)


@dataclass(frozen=True)
class Result:
    """One painted picture, how it was made and how long it took."""

    method: str  # FAST, CLASSIC, ARBITRARY or MULTISTYLE
    photo: str  # the photo's name: "examples/castle.jpg" or "upload: me.png"
    photo_digest: str  # core.compare.digest of its pixels: two uploads of one name differ
    style: str  # fast: the network's name; classic: the job's id
    painting: str  # "styles/starry_night.jpg"; a classic blend joins its names with " + "
    label: str  # the painting, for captions: "The Starry Night — Van Gogh, 1889"
    png: bytes = field(repr=False)
    seconds: float  # fast: the network pass; classic: the optimisation (set-up excluded)
    size: tuple[int, int]  # (width, height) px
    settings: str  # what else shaped it, in a few words: "strength 0.8", "80 iterations"
    snapshots: tuple[Snapshot, ...] = field(default=(), repr=False)  # classic runs only

    @property
    def key(self) -> str:
        """Equal for the same picture made the same way, e.g. a fast result on each rerun."""
        width, height = self.size
        return (f"{self.method}:{self.photo_digest[:16]}:{self.style}:{self.settings}:"
                f"{width}x{height}")


def items() -> list[Result]:
    """The shelf, newest first."""
    return list(st.session_state.get(SHELF, []))


def put(result: Result) -> None:
    """Put ``result`` first; an earlier copy of it goes, and the oldest beyond CAPACITY."""
    shelf = items()
    if shelf and shelf[0].key == result.key:
        return  # already first: a rerun of the page that made it
    kept = [item for item in shelf if item.key != result.key]
    st.session_state[SHELF] = [result, *kept][:CAPACITY]


def holds_job(job_id: str) -> bool:
    """Whether a classic job was shelved already (it may have left the shelf since)."""
    return job_id in st.session_state.get(SHELVED_JOBS, set())


def put_job(job_id: str, result: Result) -> None:
    """Shelve a classic job's result and remember that it was, so that it is done once."""
    st.session_state.setdefault(SHELVED_JOBS, set()).add(job_id)
    put(result)


def classic_for(photo_digest: str, painting: str) -> Result | None:
    """The newest classic result of this photo with this one painting, if any."""
    for item in items():
        if (item.method, item.photo_digest, item.painting) == (CLASSIC, photo_digest, painting):
            return item
    return None


def classic_runs() -> list[Result]:
    return [item for item in items() if item.method == CLASSIC]
