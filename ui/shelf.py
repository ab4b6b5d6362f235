"""The session's shelf: results made on any page, kept so the compare page can reuse them.

A capped list in Session State, newest first. The fast page puts each result it shows; a
finished classic job is put once (``ui.classic.live.shelve``). Nothing is recomputed to fill
the shelf: it holds the PNG bytes the pages already made.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import streamlit as st

from core.progress import Snapshot

SHELF = "studio.shelf"  # not a widget: list[Result], newest first
SHELVED_JOBS = "studio.shelved_jobs"  # not a widget: ids of classic jobs already shelved
CAPACITY = 24  # fast results (a size or strength change makes a new one)
CLASSIC_CAPACITY = 12  # classic runs, counted apart: fast pictures never push them out
FAST, CLASSIC = "fast", "classic"
ARBITRARY, MULTISTYLE = "any-painting", "26-style"  # Magenta's networks (ui.fast.magenta)


@dataclass(frozen=True)
class Result:
    """One painted picture, how it was made and how long it took."""

    method: str  # FAST, CLASSIC, ARBITRARY or MULTISTYLE
    photo: str  # the photo's name: "examples/castle.jpg" or "upload: me.png"
    photo_digest: str  # core.compare.digest of its pixels: two uploads of one name differ
    style: str  # fast: the network's name; classic: its recipe (ui.recipe), "" the preset
    painting: str  # "styles/starry_night.jpg"; a classic blend joins its names with " + "
    label: str  # the painting, for captions: "The Starry Night — Vincent van Gogh, 1889"
    png: bytes = field(repr=False)
    seconds: float  # fast: the network pass; classic: the optimisation (set-up excluded)
    size: tuple[int, int]  # (width, height) px
    settings: str  # what else shaped it, in a few words: "strength 0.8", "80 iterations"
    snapshots: tuple[Snapshot, ...] = field(default=(), repr=False)  # classic runs only
    weights: tuple[float, ...] = ()  # classic blends: each painting's weight
    job_id: str = ""  # classic runs: the job that made it

    @property
    def file_stem(self) -> str:
        """For downloads: 'castle-starry-night-fast-1080x720'."""
        return download_stem(self.photo, self.painting.split(" + "), self.method, self.size)

    @property
    def key(self) -> str:
        """Equal for the same picture made the same way, e.g. a fast result on each rerun:
        '<method>:<photo digest>:<digest of paintings and weights>:<style>:<settings>:<W>x<H>'
        (only the style, a classic recipe, may hold colons). The same in every session, so
        that a link can name a picture."""
        width, height = self.size
        mix = ",".join(f"{weight:g}" for weight in self.weights)
        paintings = hashlib.sha256(f"{self.painting}|{mix}".encode()).hexdigest()[:8]
        return (f"{self.method}:{self.photo_digest[:16]}:{paintings}:{self.style}:"
                f"{self.settings}:{width}x{height}")


def _slug(name: str) -> str:
    """'upload: My Photo.JPG' -> 'my-photo'; 'styles/starry_night.jpg' -> 'starry-night'."""
    stem = PurePosixPath(name.removeprefix("upload: ")).stem
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:40] or "picture"


def download_stem(photo: str, paintings: Sequence[str], method: str,
                  size: tuple[int, int] | None = None) -> str:
    """A file name that says what is in it: 'castle-starry-night-classic-512x384'."""
    parts = [_slug(photo), *(_slug(painting) for painting in paintings), method]
    if size is not None:
        parts.append(f"{size[0]}x{size[1]}")
    return "-".join(parts)


def items() -> list[Result]:
    """The shelf, newest first."""
    return list(st.session_state.get(SHELF, []))


def put(result: Result) -> None:
    """Put ``result`` first; an earlier copy of it goes, and the oldest beyond the capacity
    of its kind (CLASSIC_CAPACITY for classic runs, CAPACITY for the rest)."""
    shelf = items()
    if shelf and shelf[0].key == result.key:
        return  # already first: a rerun of the page that made it
    st.session_state[SHELF] = trimmed([result, *(item for item in shelf
                                                 if item.key != result.key)])


def trimmed(results: list[Result]) -> list[Result]:
    """The newest CLASSIC_CAPACITY classic runs and CAPACITY other results, in order."""
    classic = [item for item in results if item.method == CLASSIC][:CLASSIC_CAPACITY]
    others = [item for item in results if item.method != CLASSIC][:CAPACITY]
    keep = {id(item) for item in (*classic, *others)}
    return [item for item in results if id(item) in keep]


def holds_job(job_id: str) -> bool:
    """Whether a classic job was shelved already (it may have left the shelf since)."""
    return job_id in st.session_state.get(SHELVED_JOBS, set())


def put_job(job_id: str, result: Result) -> None:
    """Shelve a classic job's result and remember that it was, so that it is done once."""
    st.session_state.setdefault(SHELVED_JOBS, set()).add(job_id)
    put(result)


def classic_for(photo_digest: str, painting: str, recipe: str | None = None) -> Result | None:
    """The newest classic result of this photo with this painting (" + "-joined for a blend),
    made with this recipe if one is given."""
    for item in items():
        if (item.method, item.photo_digest, item.painting) == (CLASSIC, photo_digest, painting) \
                and recipe in (None, item.style):
            return item
    return None


def classic_runs() -> list[Result]:
    return [item for item in items() if item.method == CLASSIC]
