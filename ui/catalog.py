"""The bundled pictures: example photos in ``examples/`` and paintings in ``styles/``.

Paintings' titles and artists come from their one record, styles/paintings.json
(``core.paintings``); photos' names from the table below. A file without an entry still
shows up, under a name made from its file name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core import paintings as core_paintings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = ROOT / "examples"
STYLES_DIR = ROOT / "styles"
DEFAULT_EXAMPLE = "castle"
DEFAULT_STYLE = "starry_night"

_PHOTOS = {
    "castle": "Neuschwanstein Castle",
    "lemurs": "Lemurs",
    "eiffel_tower": "Eiffel Tower",
}
_PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


@dataclass(frozen=True)
class Picture:
    stem: str  # file name without suffix; also the widget-key suffix
    path: Path
    title: str
    byline: str = ""  # artist and year, for paintings

    @property
    def label(self) -> str:
        """'The Starry Night — Vincent van Gogh, 1889'."""
        return f"{self.title} — {self.byline}" if self.byline else self.title


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in _PICTURE_SUFFIXES)


def _fallback_title(stem: str) -> str:
    return stem.replace("_", " ").replace("-", " ").capitalize()


def paintings() -> list[Picture]:
    """Bundled paintings: those in styles/paintings.json first, in its order, then any other
    picture file in styles/ under a name made from its file name."""
    found = {path.name: path for path in _files(STYLES_DIR)}
    known = [name for name in core_paintings.bundled() if name in found]
    pictures = [Picture(found[name].stem, found[name], record.title, record.byline)
                for name in known for record in [core_paintings.bundled()[name]]]
    return pictures + [Picture(found[name].stem, found[name], _fallback_title(found[name].stem))
                       for name in sorted(set(found) - set(known))]


def painting(name: str) -> Picture | None:
    """A bundled painting by its stem ("starry_night") or file name ("starry_night.jpg")."""
    return next((p for p in paintings() if name in (p.stem, p.path.name)), None)


def photos() -> list[Picture]:
    """Bundled example photos, the default first."""
    found = {path.stem: path for path in _files(EXAMPLES_DIR)}
    order = sorted(found, key=lambda stem: (stem != DEFAULT_EXAMPLE, stem))
    return [Picture(stem, found[stem], _PHOTOS.get(stem, _fallback_title(stem))) for stem in order]
