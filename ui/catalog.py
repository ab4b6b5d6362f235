"""The bundled pictures: example photos in ``examples/`` and paintings in ``styles/``.

Names and credits come from the CREDITS.md files next to them; a file without an entry
here still shows up, under a name made from its file name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = ROOT / "examples"
STYLES_DIR = ROOT / "styles"
DEFAULT_EXAMPLE = "castle"
DEFAULT_STYLE = "starry_night"

# stem -> (title, artist and year), as styles/CREDITS.md and the networks' manifests name
# them (tests/test_app.py checks that a network's label is its painting's label)
_PAINTINGS = {
    "starry_night": ("The Starry Night", "Vincent van Gogh, 1889"),
    "wave": ("The Great Wave off Kanagawa", "Katsushika Hokusai, c. 1831"),
    "the_scream": ("The Scream", "Edvard Munch, 1893"),
    "udnie": ("Udnie", "Francis Picabia, 1913"),
    "composition_vii": ("Composition VII", "Wassily Kandinsky, 1913"),
    "shipwreck": ("The Shipwreck of the Minotaur", "J. M. W. Turner, c. 1810"),
    "woman-with-hat-matisse": ("Woman with a Hat", "Henri Matisse, 1905"),
}
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
    """Bundled paintings, the well-known ones first in the order of ``_PAINTINGS``."""
    found = {path.stem: path for path in _files(STYLES_DIR)}
    order = [s for s in _PAINTINGS if s in found] + sorted(set(found) - set(_PAINTINGS))
    return [
        Picture(stem, found[stem], *_PAINTINGS.get(stem, (_fallback_title(stem), "")))
        for stem in order
    ]


def photos() -> list[Picture]:
    """Bundled example photos, the default first."""
    found = {path.stem: path for path in _files(EXAMPLES_DIR)}
    order = sorted(found, key=lambda stem: (stem != DEFAULT_EXAMPLE, stem))
    return [Picture(stem, found[stem], _PHOTOS.get(stem, _fallback_title(stem))) for stem in order]
