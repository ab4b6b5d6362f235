"""How much the any-painting network's picture changes with the dither's noise (issue 21).

    python bench/teacher_noise.py [--size 400] [--json FILE]

Every fast network paints a dithered photo (``core.fast.apply.dithered``: 2 grey levels of
seeded noise). Per bundled painting and held-out photo (``core.fast.photos.HELD_OUT``, at
``--size`` px, about a training crop's scale), the any-painting network paints the photo
with two noise seeds; printed: the RMS difference of the two pictures (grey levels) after
average pooling by 1, 4, 16 and 32 px (median and largest over the photos), beside the
pictures' own spread (their standard deviation at that pooling, median). A large
difference means the network's blots there are drawn from the noise, not from the photo;
blots that sensitive to the input are likely as sensitive to a student's weights, which
training moves, and a student held to them pixel by pixel (``core.edges.teacher_loss``)
that cannot draw them where the teacher did pays least with none (not measured here).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from trained_vs_any import SHARED_PHOTOS, held_out_photos  # noqa: E402

from core import images  # noqa: E402
from core.fast.apply import dithered  # noqa: E402
from core.fast.distil import Teacher  # noqa: E402
from core.fast.registry import bundled_models  # noqa: E402

POOLS = (1, 4, 16, 32)


def pooled(picture: np.ndarray, size: int) -> np.ndarray:
    height, width = (side // size * size for side in picture.shape[:2])
    picture = picture[:height, :width]
    return picture.reshape(height // size, size, width // size, size, 3).mean(axis=(1, 3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=400)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    photos = {name: images.resize_longest(photo, args.size).astype(np.float32)
              for name, photo in held_out_photos(SHARED_PHOTOS).items()}
    rows = []
    for model in bundled_models():
        teacher = Teacher(images.load_image(model.painting_path))
        for name, photo in photos.items():
            first, second = (teacher(dithered(photo, 2.0, seed=seed)[None].astype(np.float32))[0]
                             for seed in (1, 2))
            rows.append(dict(style=model.name, photo=name, **{
                f"pool{size}": [float(np.sqrt(np.mean((pooled(first, size)
                                                        - pooled(second, size)) ** 2))),
                                float(pooled(first, size).std())] for size in POOLS}))
    print("| painting | " + " | ".join(f"pooled by {size}: difference (median, largest), "
                                        "spread" for size in POOLS) + " |")
    print("|---|" + "---|" * len(POOLS))
    for style in dict.fromkeys(row["style"] for row in rows):
        mine = [row for row in rows if row["style"] == style]
        print(f"| {style} | " + " | ".join(
            f"{np.median([r[f'pool{s}'][0] for r in mine]):.1f}, "
            f"{max(r[f'pool{s}'][0] for r in mine):.1f}; "
            f"{np.median([r[f'pool{s}'][1] for r in mine]):.1f}" for s in POOLS) + " |")
    if args.json:
        args.json.write_text(json.dumps(dict(size=args.size, rows=rows), indent=1))


if __name__ == "__main__":
    main()
