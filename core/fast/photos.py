"""The training photos of a style network: which are held out, how a folder is read, the
seeded random crops a batch is made of, and the digest a resumed run checks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from core import images
from core.errors import UserError

# Photos never trained on: the app's bundled examples (the contact sheet shows them) and two
# more, for previews.
HELD_OUT = (
    "explore_monuments_germany_neuschwansteinCastle.jpg",
    "explore_monuments_france_eiffelTower.jpg",
    "explore_world_animals_animals_lemur.jpg",
    "wallpaper_Bridge_by_Sander_Klootwijk.jpg",
    "explore_world_animals_animals_panda.jpg",
)
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
# Bundled training photos (examples/training/CREDITS.md): what the bundled networks learned
# from, and what the Train page and ``train-fast --photos examples/training`` use.
TRAINING_PHOTOS_DIR = EXAMPLES_DIR / "training"

class PhotoSampler:
    """Random square crops of the training photos, with flips and scale jitter, seeded.

    The photos are decoded once and kept at a little over the crop size: 82 photos at about
    300x400 px is some 30 MB.
    """

    def __init__(self, photos: list[np.ndarray], crop: int, seed: int):
        if not photos:
            raise UserError("no training photos")
        self.crop = crop
        self.photos = [images.resize_longest(p, max(crop, round(crop * 1.5 * max(p.shape[:2])
                                                                 / min(p.shape[:2]))))
                       for p in photos]
        self.random = np.random.default_rng(seed)

    def batch(self, size: int) -> np.ndarray:
        return np.stack([self._one() for _ in range(size)]).astype(np.float32)

    def _one(self) -> np.ndarray:
        photo = self.photos[self.random.integers(len(self.photos))]
        shortest = min(photo.shape[:2])
        # Scale so that the crop covers 55%..100% of the photo's short side.
        side = round(self.crop / self.random.uniform(0.55, 1.0))
        scale = side / shortest
        height, width = (max(self.crop, round(s * scale)) for s in photo.shape[:2])
        picture = images.resize_exact(photo, width, height)
        top = self.random.integers(height - self.crop + 1)
        left = self.random.integers(width - self.crop + 1)
        picture = picture[top:top + self.crop, left:left + self.crop]
        return picture[:, ::-1] if self.random.random() < 0.5 else picture

    def state(self) -> dict:
        return self.random.bit_generator.state

    def restore(self, state: dict) -> None:
        self.random.bit_generator.state = state


def load_photos(folder: str | Path, held_out=HELD_OUT) -> tuple[list[np.ndarray], list]:
    """(training photos, held-out photos) of a folder, in name order. The held-out ones are
    those named in ``held_out``; a folder without any (the bundled training photos) gets
    the example photos, which no bundled network trained on."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"photo folder not found: {folder}")
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
    training, validation = [], []
    for path in paths:
        pixels = images.load_image(path, what=f"photo {path.name}")
        (validation if path.name in held_out else training).append(pixels)
    if not training:
        raise UserError(f"no training photos in {folder}")
    return training, validation or example_photos()


def bundled_photos() -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(the bundled training photos, the example photos as the held-out ones)."""
    return load_photos(TRAINING_PHOTOS_DIR)


def example_photos() -> list[np.ndarray]:
    return [images.load_image(path, what=f"photo {path.name}")
            for path in sorted(EXAMPLES_DIR.glob("*.jpg"))]


def photo_set_digest(photos: list[np.ndarray]) -> str:
    """Identifies the training photos (a resumed run must sample the same set)."""
    digest = hashlib.sha256()
    for photo in photos:
        digest.update(str(photo.shape).encode())
        digest.update(photo[::17, ::17].tobytes())
    return digest.hexdigest()[:16]


def centre_crop(photo: np.ndarray, side: int) -> np.ndarray:
    """The photo scaled so that its short side is ``side``, cut to a centred square."""
    small = images.resize_longest(photo, round(side * max(photo.shape[:2]) / min(photo.shape[:2])))
    top, left = (small.shape[0] - side) // 2, (small.shape[1] - side) // 2
    return small[top:top + side, left:left + side]
