"""Stripes in skies against the dither's strength (issue 21, a lead for later).

    python bench/dither_stripes.py [--json FILE]

Fast networks amplify a photo's 8-bit banding in smooth skies (steps under 1 grey level every
17 px in the Eiffel tower's) into horizontal stripes, and every fast network paints a
dithered photo against it (``FastConfig.dither``, ``ArbitraryConfig.dither``: 2 grey levels).
Per bundled network and held-out photo (``core.fast.photos.HELD_OUT``, 1080 px), the trained
and the any-painting network paint at dither 2 and 8; printed per pair: the stripes (the RMS
of the picture's row means of luminance over its top 300 rows, less their 31-row moving
mean: horizontal bands, in grey levels) and the report's style and content losses at 8
against 2. The trained networks were trained at 2.
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

from fast_quality import report_terms  # noqa: E402
from trained_vs_any import SHARED_PHOTOS, held_out_photos  # noqa: E402

from core import images  # noqa: E402
from core.fast import arbitrary  # noqa: E402
from core.fast.apply import FastConfig, compiled, paint  # noqa: E402
from core.fast.registry import bundled_models, load_transformer  # noqa: E402
from core.images import LUMA  # noqa: E402

DITHERS = (2.0, 8.0)


def stripes(picture: np.ndarray) -> float:
    luminance = picture[:300].astype(np.float32) @ np.asarray(LUMA, np.float32)
    rows = luminance.mean(axis=1)
    smooth = np.convolve(np.pad(rows, 15, mode="edge"), np.ones(31) / 31, mode="valid")
    return float(np.sqrt(np.mean((rows - smooth) ** 2)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    photos = held_out_photos(SHARED_PHOTOS)
    predictor = arbitrary.load_style_predictor()
    transformer = compiled(arbitrary.load_arbitrary_transformer("float32"))
    rows = []
    print("| network | photo | stripes: trained 2 -> 8; any 2 -> 8 | style at 8 / at 2: "
          "trained; any | content at 8 / at 2: trained |")
    print("|---|---|---|---|---|")
    for model in bundled_models():
        painting = images.load_image(model.painting_path)
        network = compiled(load_transformer(model, FastConfig.precision))
        for name, photo in photos.items():
            score = report_terms(photo, painting, 1080)
            row = dict(style=model.name, photo=name)
            for dither in DITHERS:
                trained = paint(network, photo, FastConfig(size=1080, dither=dither)).image
                any_picture = arbitrary.paint_with_paintings(
                    predictor, transformer, photo, [painting],
                    config=arbitrary.ArbitraryConfig(size=1080, dither=dither)).image
                (trained_content, trained_style), (any_content, any_style) = (
                    score(trained), score(any_picture))
                row[f"dither{dither:g}"] = dict(
                    trained_content=trained_content, trained_style=trained_style,
                    any_content=any_content, any_style=any_style,
                    trained_stripes=stripes(trained), any_stripes=stripes(any_picture))
            low, high = (row[f"dither{dither:g}"] for dither in DITHERS)
            print(f"| {model.name} | {name} | {low['trained_stripes']:.1f} -> "
                  f"{high['trained_stripes']:.1f}; {low['any_stripes']:.1f} -> "
                  f"{high['any_stripes']:.1f} | "
                  f"{high['trained_style'] / low['trained_style']:.2f}; "
                  f"{high['any_style'] / low['any_style']:.2f} | "
                  f"{high['trained_content'] / low['trained_content']:.2f} |", flush=True)
            rows.append(row)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
