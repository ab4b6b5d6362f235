"""The bundled paintings' one record (styles/paintings.json): title, artist, year, licence.

The pages' captions, the networks' labels and the trainer's manifest defaults read it here;
styles/CREDITS.md is checked against it by a test. Order: the file's, the best-known first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

RECORD = Path(__file__).resolve().parents[1] / "styles" / "paintings.json"


@dataclass(frozen=True)
class Painting:
    file_name: str  # "starry_night.jpg", in styles/
    title: str
    artist: str
    year: str  # "1889", "c. 1831"
    licence: str

    @property
    def byline(self) -> str:
        """'Vincent van Gogh, 1889'."""
        return f"{self.artist}, {self.year}"

    @property
    def label(self) -> str:
        return credit(self.title, self.artist, self.year)


def credit(title: str, artist: str, year: str) -> str:
    """How every page names a painting: 'The Starry Night — Vincent van Gogh, 1889'."""
    return f"{title} — {artist}, {year}"


@cache
def bundled() -> dict[str, Painting]:
    """File name -> its record, in the record's order."""
    entries = json.loads(RECORD.read_text())
    return {name: Painting(name, **fields) for name, fields in entries.items()
            if not name.startswith("_")}


def find(file_name: str) -> Painting | None:
    return bundled().get(file_name)


def credits(file_name: str, *, bundled: bool = True, title: str | None = None,
            artist: str | None = None, year: str | None = None,
            licence: str | None = None) -> dict:
    """A trained network's painting fields (its manifest's): those given, else (``bundled``:
    the file is the bundled painting of that name) its record, else "unknown" (the title: one
    made from the file name). An upload named like a bundled painting is not that painting."""
    record = find(file_name) if bundled else None
    return {
        "painting": file_name,
        "display_name": title or (record.title if record else
                                  Path(file_name).stem.replace("_", " ").title()),
        "artist": artist or (record.artist if record else "unknown"),
        "year": year or (record.year if record else "unknown"),
        "licence": licence or (record.licence if record else "unknown"),
    }
