"""Classic transfer at the report's size and beyond: wall time, peak memory, objective.

    python bench/classic_large.py [--size 1080] [--candidate NAME=JSON ...]
        [--report-image runs/report-1080/final.png] [--save-dir docs/large]

Each candidate (a ``ClassicConfig`` preset with some settings replaced) runs in a fresh
process, so that its peak resident memory is its own: the time is the whole ``stylize`` call
as a person waits for it (loading the loss network, computing the targets, tracing the
graph, every iteration), not counting Python and TensorFlow start-up. Each result is scored,
like in ``bench/classic.py``, on the report's objective at the same size (float32, style
squashed to the output size, on the saved 8-bit image); so is the report recipe's image
when ``--report-image`` names it (made beforehand with ``python -m core classic --preset
report``, which takes about an hour and a half at 1080x720 on 2 cores).

Without ``--candidate``, runs the ``recommended`` preset. Not a test.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import images  # noqa: E402
from core.classic import PRESETS, ClassicConfig, stylize  # noqa: E402


def _run(content_path: str, style_path: str, settings: dict, out: str) -> dict:
    """In the child process: one run, its picture saved, its time and peak memory."""
    content = images.load_image(content_path, what="content image")
    style = images.load_image(style_path, what="style image")
    config = ClassicConfig.from_dict(settings)
    started = time.perf_counter()
    result = stylize(content, [style], config)
    wall = time.perf_counter() - started
    images.save_png(result.image, out)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"wall_seconds": wall, "optimisation_seconds": result.seconds,
            "setup_seconds": result.setup_seconds, "iterations": result.iterations,
            "evaluations": result.evaluations, "peak_rss_gib": peak_kib / 2**20,
            "size": list(result.image.shape[1::-1]), "precision": result.precision,
            "backbone": result.backbone.name}


def side_by_side(*captioned, width=720, detail=360, band=28):
    """Pictures side by side, each ``width`` px wide, above a 1:1 detail from its centre."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=16)
    columns = []
    for pixels, caption in captioned:
        picture = Image.fromarray(pixels)
        scaled = picture.resize((width, round(picture.height * width / picture.width)),
                                Image.Resampling.LANCZOS)
        left, top = (picture.width - width) // 2, (picture.height - detail) // 2
        crop = picture.crop((left, top, left + width, top + detail))
        column = Image.new("RGB", (width, band + scaled.height + 6 + detail), "white")
        ImageDraw.Draw(column).text((4, 5), caption, fill=(20, 20, 20), font=font)
        column.paste(scaled, (0, band))
        column.paste(crop, (0, band + scaled.height + 6))
        columns.append(column)
    sheet = Image.new("RGB", (sum(c.width for c in columns) + 8 * (len(columns) - 1),
                              max(c.height for c in columns)), "white")
    for index, column in enumerate(columns):
        sheet.paste(column, (index * (width + 8), 0))
    return np.asarray(sheet)


def report_score(content, style, size: int):
    """The report's objective at ``size`` for 8-bit pictures of ``content`` (float32)."""
    from bench.classic import report_objective

    return report_objective(content, style, dataclasses.replace(PRESETS["report"], size=size))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", default=str(ROOT / "examples" / "castle.jpg"))
    parser.add_argument("--style", default=str(ROOT / "styles" / "starry_night.jpg"))
    parser.add_argument("--size", type=int, default=1080)
    parser.add_argument("--candidate", action="append", default=[], metavar="NAME=JSON",
                        help='e.g. one-scale-25=\'{"base_size": null, "iterations": 25}\'')
    parser.add_argument("--report-image", help="the report recipe's result at this size")
    parser.add_argument("--save-dir", default=str(ROOT / "runs" / "large"))
    parser.add_argument("--no-score", action="store_true",
                        help="skip the objective (it needs one more network at full size)")
    parser.add_argument("--report-seconds", type=float,
                        help="how long the report image took, for the comparison's caption")
    parser.add_argument("--sheet", help="with --report-image: write a side-by-side PNG here "
                                        "(both pictures, and a detail of each at 1:1)")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)

    candidates = {"recommended": {}}
    if args.candidate:
        candidates = {}
        for item in args.candidate:
            name, _, overrides = item.partition("=")
            candidates[name] = json.loads(overrides or "{}")
    save_dir = Path(args.save_dir)
    save_dir.mkdir(parents=True, exist_ok=True)
    spawn = multiprocessing.get_context("spawn")

    rows = []
    for name, overrides in candidates.items():
        config = dataclasses.replace(PRESETS["recommended"], size=args.size, snapshot_every=0,
                                     **overrides)
        out = save_dir / f"{name}-{args.size}.png"
        with spawn.Pool(1) as pool:
            row = pool.apply(_run, (args.content, args.style,
                                    json.loads(json.dumps(config.to_dict())), str(out)))
        row = {"candidate": name, "settings": overrides, "image": str(out), **row}
        rows.append(row)
        print(json.dumps(row), flush=True)

    if not args.no_score:
        content = images.load_image(args.content, what="content image")
        style = images.load_image(args.style, what="style image")
        score = report_score(content, style, args.size)
        for row in rows:
            row["report_objective"] = score(images.load_image(row["image"]))
        if args.report_image:
            picture = images.load_image(args.report_image)
            expected = images.resize_longest(content, args.size).shape
            if picture.shape != expected:
                parser.error(f"--report-image is {picture.shape[1]}x{picture.shape[0]}, the "
                             f"candidates {expected[1]}x{expected[0]}")
            report_value = score(picture)
            rows.append({"candidate": "report recipe image", "image": args.report_image,
                         "report_objective": report_value})

    if args.sheet and args.report_image:
        report_row, first = rows[-1], rows[0]
        seconds = f", {args.report_seconds / 60:.0f} min" if args.report_seconds else ""
        images.save_png(side_by_side(
            (images.load_image(args.report_image),
             f"report recipe (1000 Adam iterations{seconds}): objective "
             f"{report_row['report_objective']:.4g}"),
            (images.load_image(first["image"]),
             f"{first['candidate']} ({first['wall_seconds']:.0f} s): objective "
             f"{first['report_objective']:.4g}"),
        ), args.sheet)
        print(f"wrote {args.sheet}")

    print(f"\n{platform.processor() or platform.machine()}; {args.size} px longest side\n")
    print("| settings | wall s (all in) | optimisation s | iterations | peak RSS GiB | "
          "report objective |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        cells = [row["candidate"]]
        for key, digits in (("wall_seconds", ".1f"), ("optimisation_seconds", ".1f"),
                            ("iterations", "d"), ("peak_rss_gib", ".2f"),
                            ("report_objective", ".6g")):
            cells.append(format(row[key], digits) if key in row else "-")
        print("| " + " | ".join(cells) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps({"size": args.size, "rows": rows}, indent=2,
                                              default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
