"""Arbitrary-style and multi-style networks: median time to paint a 1080x720 photo.

    python bench/arbitrary.py [--repeats 7] [--json bench/results/arbitrary-1080.json]

For each precision (and float32 with the int8 rounding emulated), after one warm-up call:
the transformer alone with the style vector already computed (``paint_arbitrary``), the
whole job from a painting (``paint_with_paintings``: crop and resize the painting, predict
its vector, paint), the same at strength 0.5 (the photo's own vector too), and the 26-style
network. Networks compiled with ``core.fast.apply.compiled``; the predictor is float32.
Target: at most 1 s median at 1080x720 with the vector precomputed. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import keras  # noqa: E402

from core import images  # noqa: E402
from core.fast import arbitrary  # noqa: E402
from core.fast.apply import compiled  # noqa: E402
from core.machine import cpu_name  # noqa: E402

WIDTH, HEIGHT = 1080, 720
TARGET_SECONDS = 1.0
VARIANTS = (("float32", False), ("bfloat16", False), ("float32", True))


def median_time(job, repeats: int) -> dict:
    job()  # warm-up: traces the graph for this size
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        job()
        times.append(time.perf_counter() - started)
    return {"median_seconds": round(statistics.median(times), 4),
            "min_seconds": round(min(times), 4)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", default=str(ROOT / "examples" / "castle.jpg"))
    parser.add_argument("--painting", default=str(ROOT / "styles" / "shipwreck.jpg"))
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)

    photo = images.resize_exact(images.load_image(args.content), WIDTH, HEIGHT)
    painting = images.load_image(args.painting)
    predictor = compiled(arbitrary.load_style_predictor())
    vector = arbitrary.style_vector(predictor, painting)
    weights = arbitrary.multistyle_weights({7: 1.0})
    rows = [{"job": "style vector of the painting", "precision": "float32",
             **median_time(lambda: arbitrary.style_vector(predictor, painting), args.repeats)}]
    print(json.dumps(rows[-1]), flush=True)
    for precision, emulated in VARIANTS:
        transformer = compiled(arbitrary.load_arbitrary_transformer(precision, emulated))
        label = precision + (" + int8 rounding emulated" if emulated else "")
        config = arbitrary.ArbitraryConfig(size=None, precision=precision,
                                           emulate_quantization=emulated)
        halfway = arbitrary.ArbitraryConfig(size=None, precision=precision, strength=0.5,
                                            emulate_quantization=emulated)
        jobs = {
            "arbitrary: vector precomputed":
                lambda t=transformer: arbitrary.paint_arbitrary(t, photo, vector, size=None),
            "arbitrary: from the painting":
                lambda t=transformer, c=config: arbitrary.paint_with_paintings(
                    predictor, t, photo, [painting], config=c),
            "arbitrary: from the painting, strength 0.5":
                lambda t=transformer, c=halfway: arbitrary.paint_with_paintings(
                    predictor, t, photo, [painting], config=c),
        }
        if not emulated:
            multistyle = compiled(arbitrary.load_multistyle_transformer(precision))
            jobs["multi-style: one style"] = lambda m=multistyle, c=config: (
                arbitrary.paint_multistyle(m, photo, weights, c))
        for job, run in jobs.items():
            rows.append({"job": job, "precision": label, **median_time(run, args.repeats)})
            print(json.dumps(rows[-1]), flush=True)

    print(f"\n{WIDTH}x{HEIGHT}, {args.repeats} repeats, {cpu_name()} ({os.cpu_count()} cores)\n")
    print("| job | precision | median s | min s |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row['job']} | {row['precision']} | {row['median_seconds']:.3f} | "
              f"{row['min_seconds']:.3f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "size": [WIDTH, HEIGHT], "repeats": args.repeats,
            "content": Path(args.content).name, "painting": Path(args.painting).name,
            "target_median_seconds": TARGET_SECONDS,
            "machine": f"{cpu_name()}, {os.cpu_count()} cores, keras {keras.__version__} "
                       f"({keras.backend.backend()} backend)",
            "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
