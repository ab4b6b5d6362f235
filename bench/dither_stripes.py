"""Stripes in skies against how a fast network's photo is prepared (issue 21).

    python bench/dither_stripes.py [--json FILE] [--multistyle]

Fast networks amplify a photo's 8-bit banding in smooth skies (steps of 1 grey level every
17 px in the Eiffel tower's at 1080 px) into horizontal stripes. Every fast network paints
the photo debanded (``core.fast.apply.debanded``: the steps smoothed where it is flat), then
dithered (``FastConfig.dither``, ``ArbitraryConfig.dither``: 2 grey levels). Per bundled
network and held-out photo (``core.fast.photos.HELD_OUT``, 1080 px), the trained and the
any-painting network paint the photo three ways: as before debanding (dither 2 on the
photo's own 8-bit values), the same with dither 8, and as now; printed per pair: the
stripes (the RMS of the picture's row means of luminance over its top 300 rows, less their
31-row moving mean: horizontal bands, in grey levels) and the report's style and content
losses against the first way. ``--multistyle``: Magenta's 26-style network instead, which
painted the photo as it was until it too was dithered, on the Eiffel photo alone.
"""

from __future__ import annotations

import argparse
import contextlib
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
from core.fast import apply, arbitrary  # noqa: E402
from core.fast.apply import FastConfig, compiled, paint  # noqa: E402
from core.fast.registry import bundled_models, load_transformer  # noqa: E402
from core.images import LUMA  # noqa: E402

# (name, dither, debanded): the photo as before debanding, more noise instead, and as now
WAYS = (("before", 2.0, False), ("dither8", 8.0, False), ("now", 2.0, True))


@contextlib.contextmanager
def debanding(on: bool):
    """Painting with ``core.fast.apply.debanded`` as it is, or the photo's own values."""
    kept = apply.debanded
    if not on:
        apply.debanded = lambda pixels: pixels.astype(np.float32)
    try:
        yield
    finally:
        apply.debanded = kept


def stripes(picture: np.ndarray) -> float:
    luminance = picture[:300].astype(np.float32) @ np.asarray(LUMA, np.float32)
    rows = luminance.mean(axis=1)
    smooth = np.convolve(np.pad(rows, 15, mode="edge"), np.ones(31) / 31, mode="valid")
    return float(np.sqrt(np.mean((rows - smooth) ** 2)))


MULTISTYLE_INDICES = (0, 5, 10, 18)


def multistyle_stripes(photo: np.ndarray) -> list[dict]:
    """Magenta's 26-style network on the Eiffel photo, a style at a time: as it painted until
    2026-12-05 (the photo as it was: no dither, no debanding) and now."""
    network = compiled(arbitrary.load_multistyle_transformer(FastConfig.precision))
    rows = []
    print("| 26-style network: style | stripes before -> now |\n|---|---|")
    for index in MULTISTYLE_INDICES:
        weights = arbitrary.multistyle_weights({index: 1.0})
        before, now = (stripes(arbitrary.paint_with_styles(
            network, photo, weights, arbitrary.ArbitraryConfig(size=1080, dither=dither)).image)
            for dither in (0.0, 2.0))
        print(f"| {index} | {before:.1f} -> {now:.1f} |", flush=True)
        rows.append(dict(style_index=index, before_stripes=before, now_stripes=now))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--multistyle", action="store_true",
                        help="only the 26-style network, on the Eiffel photo")
    args = parser.parse_args()
    photos = held_out_photos(SHARED_PHOTOS)
    if args.multistyle:
        rows = multistyle_stripes(photos["eiffelTower"])
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
        return
    predictor = arbitrary.load_style_predictor()
    transformer = compiled(arbitrary.load_arbitrary_transformer("float32"))
    rows = []
    print("| network | photo | stripes, trained: before, dither 8, now; any: the same | "
          "style now / before: trained; any | content now / before: trained |")
    print("|---|---|---|---|---|")
    for model in bundled_models():
        painting = images.load_image(model.painting_path)
        network = compiled(load_transformer(model, FastConfig.precision))
        for name, photo in photos.items():
            score = report_terms(photo, painting, 1080)
            row = dict(style=model.name, photo=name)
            for way, dither, debanded in WAYS:
                with debanding(debanded):
                    trained = paint(network, photo, FastConfig(size=1080, dither=dither)).image
                    any_picture = arbitrary.paint_with_paintings(
                        predictor, transformer, photo, [painting],
                        config=arbitrary.ArbitraryConfig(size=1080, dither=dither)).image
                (trained_content, trained_style), (any_content, any_style) = (
                    score(trained), score(any_picture))
                row[way] = dict(
                    trained_content=trained_content, trained_style=trained_style,
                    any_content=any_content, any_style=any_style,
                    trained_stripes=stripes(trained), any_stripes=stripes(any_picture))
            before, now = row["before"], row["now"]
            print(f"| {model.name} | {name} | "
                  + "; ".join(", ".join(f"{row[way][f'{who}_stripes']:.1f}" for way, *_ in WAYS)
                              for who in ("trained", "any"))
                  + f" | {now['trained_style'] / before['trained_style']:.2f}; "
                  f"{now['any_style'] / before['any_style']:.2f} | "
                  f"{now['trained_content'] / before['trained_content']:.2f} |", flush=True)
            rows.append(row)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
