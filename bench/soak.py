"""Soak: many fast stylisations in a row in one process; memory growth and latency drift.

    python bench/soak.py [--count 200] [--json bench/results/soak-fast.json]

Paints the bundled example photos with every bundled trained network and, with the
any-painting network, every bundled painting, in turn, cycling through three output sizes
(1080, 720 and 512 px: new shapes are where a traced graph or an allocator would leak), the
way the fast page calls ``core.fast.apply.paint`` and
``core.fast.arbitrary.paint_with_paintings``. Records the process's resident
memory after each painting and each painting's time. Growth is measured from the end of the
first round (every network loaded, every size traced once) to the end; latency is compared
between the first and the last quarter, per size.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import images  # noqa: E402
from core.fast import arbitrary, registry  # noqa: E402
from core.fast.apply import FastConfig, compiled, paint  # noqa: E402
from core.machine import cpu_name  # noqa: E402

SIZES = (1080, 720, 512)


def rss_gib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**30


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)

    photos = [images.load_image(path) for path in sorted((ROOT / "examples").glob("*.jpg"))]
    painters = []  # (method, function(photo, size) -> seconds)
    for model in registry.bundled_models():
        network = compiled(registry.load_transformer(model, "bfloat16"))
        painters.append(("trained", lambda photo, size, network=network: paint(
            network, photo, FastConfig(size=size)).seconds))
    predictor = arbitrary.load_style_predictor()
    transformer = compiled(arbitrary.load_arbitrary_transformer("bfloat16"))
    for path in sorted((ROOT / "styles").glob("*.jpg")):
        painting = images.load_image(path)
        painters.append(("any-painting", lambda photo, size, painting=painting: (
            arbitrary.paint_with_paintings(predictor, transformer, photo, [painting],
                                           config=arbitrary.ArbitraryConfig(size=size)).seconds)))
    # Sizes turn fastest, then painters, then photos: every stretch of the run mixes them all.
    plan = [(SIZES[n % len(SIZES)], (n // len(SIZES)) % len(painters),
             (n // (len(SIZES) * len(painters))) % len(photos)) for n in range(args.count)]
    warm = len(painters) * len(SIZES) * len(photos)  # every painter has met every shape
    rows = []
    for number, (size, painter, photo) in enumerate(plan, start=1):
        method, function = painters[painter]
        seconds = function(photos[photo], size)
        rows.append({"n": number, "method": method, "size": size, "seconds": seconds,
                     "rss_gib": rss_gib()})
    after_warmup = rows[min(warm, len(rows)) - 1]["rss_gib"]
    final = rows[-1]["rss_gib"]
    quarter = max(1, len(rows) // 4)
    latency = {}
    for method, size in itertools.product(("trained", "any-painting"), SIZES):
        first = [r["seconds"] for r in rows[:quarter] if (r["method"], r["size"]) == (
            method, size)]
        last = [r["seconds"] for r in rows[-quarter:] if (r["method"], r["size"]) == (
            method, size)]
        if first and last:
            latency[f"{method} {size}"] = {
                "first_quarter_median_s": round(statistics.median(first), 3),
                "last_quarter_median_s": round(statistics.median(last), 3)}
    summary = {
        "machine": f"{cpu_name()}, {os.cpu_count()} cores", "date": time.strftime("%Y-%m-%d"),
        "stylisations": len(rows), "painters": len(painters), "photos": len(photos),
        "rss_after_first_gib": round(rows[0]["rss_gib"], 3), "first_round": warm,
        "rss_after_first_round_gib": round(after_warmup, 3), "rss_final_gib": round(final, 3),
        "rss_peak_gib": round(max(r["rss_gib"] for r in rows), 3),
        "growth_percent": round(100 * (final - after_warmup) / after_warmup, 2),
        "latency_by_size": latency,
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps({**summary, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
