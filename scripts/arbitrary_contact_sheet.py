"""Contact sheet of the arbitrary-style network: held-out photos across, paintings down.

    PYTHONPATH=. python scripts/arbitrary_contact_sheet.py [--out docs/arbitrary-contact-sheet.png]

The photos are the bundled examples (none used to train the fast networks); two of the
paintings have no fast network in styles/models/, the third (The Starry Night) has one, to
compare with docs/fast-contact-sheet.png. Each painting is shown as its centre square, the
part the style predictor sees. Every picture painted with the app's defaults
(``ArbitraryConfig``: 1080 px, bfloat16); each caption gives the time of the whole job
(style vector and painting pass).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from core import compare, images  # noqa: E402
from core.fast import arbitrary  # noqa: E402
from core.fast.apply import compiled  # noqa: E402

PHOTOS = ("castle.jpg", "eiffel_tower.jpg", "lemurs.jpg")
PAINTINGS = (
    ("shipwreck.jpg", "The Shipwreck of the Minotaur (Turner)\nno fast network"),
    ("woman-with-hat-matisse.jpg", "Woman with a Hat (Matisse)\nno fast network"),
    ("starry_night.jpg", "The Starry Night (van Gogh)\nalso a fast network"),
)


def centre_square(pixels: np.ndarray) -> np.ndarray:
    height, width = pixels.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return pixels[top:top + side, left:left + side]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "arbitrary-contact-sheet.png"))
    args = parser.parse_args(argv)
    config = arbitrary.ArbitraryConfig()
    predictor = compiled(arbitrary.load_style_predictor())
    transformer = compiled(arbitrary.load_arbitrary_transformer(config.precision))
    photos = [images.load_image(ROOT / "examples" / name) for name in PHOTOS]
    for photo in photos:  # trace the graphs for each size first, so captions time painting
        arbitrary.paint_with_paintings(predictor, transformer, photo, [photo], config=config)
    height, width = photos[0].shape[:2]
    cells = [compare.Cell(np.full((height, width, 3), 255, np.uint8), "")]  # top-left corner
    cells += [compare.Cell(photo, Path(name).stem) for photo, name in zip(photos, PHOTOS,
                                                                          strict=True)]
    for name, caption in PAINTINGS:
        painting = images.load_image(ROOT / "styles" / name)
        # the centre square is what the style predictor sees; on a landscape box like the
        # photos', so that a portrait painting does not make every row tall
        seen = compare.fit(centre_square(painting), width, height)
        cells.append(compare.Cell(seen, caption))
        for photo in photos:
            result = arbitrary.paint_with_paintings(predictor, transformer, photo, [painting],
                                                    config=config)
            cells.append(compare.Cell(result.image, f"arbitrary {result.seconds:.2f} s"))
            print(f"{name}: {result.seconds:.2f} s", flush=True)
    images.save_png(compare.contact_sheet(cells, columns=1 + len(PHOTOS)), args.out)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
