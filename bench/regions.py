"""Regions (issue 20): the docs example, and how well each region takes its own painting.

    python bench/regions.py example     # docs/regions-*.png: castle, sky and ground masks
    python bench/regions.py measure --json bench/results/regions.json
    python bench/regions.py overhead --json bench/results/regions-overhead.json

``measure`` splits several photos into bright and dark regions (``core.regions.automatic``),
paints each pair of paintings into them (classic, recommended preset at 384 px, 30
iterations, and the any-painting network), and scores each region's masked style loss
against its own painting and against the other: own / other below 1 means the region took
its own painting. It also times one evaluation of the objective with and without regions;
``overhead`` does only that, the two alternately, on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from core import images, regions  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "data" / "photos"
PAIRS = (  # photo (shared data, none tuned on), painting for the bright region, for the dark
    ("explore_monuments_france_montStMichel.jpg", "starry_night.jpg", "wave.jpg"),
    ("explore_monuments_usa_mountRushmore.jpg", "the_scream.jpg", "udnie.jpg"),
    ("explore_monuments_egypt_redPyramid.jpg", "shipwreck.jpg", "composition_vii.jpg"),
    ("wallpaper_sunset_by_Aitzol_Berasategi.jpg", "woman-with-hat-matisse.jpg", "wave.jpg"),
    ("explore_world_animals_animals_giraffe.jpg", "starry_night.jpg", "the_scream.jpg"),
)
EXAMPLE = ("examples/castle.jpg", "styles/starry_night.jpg", "styles/the_scream.jpg")


def example(out_dir: Path) -> None:
    """The README's two-region example: masks written as files, then the CLI run on them."""
    from core.compare import Cell, contact_sheet

    photo_path, sky_painting, ground_painting = (ROOT / part for part in EXAMPLE)
    photo = images.load_image(photo_path)
    sky, ground = regions.automatic(images.resize_longest(photo, 512), 2, "brightness")
    masks = {"sky": out_dir / "regions-sky.png", "ground": out_dir / "regions-ground.png"}
    for mask, path in zip((sky, ground), masks.values(), strict=True):
        images.save_png(np.repeat((mask[..., None] * 255).astype(np.uint8), 3, axis=-1), path)
    common = ["--content", str(photo_path), "--masks", *map(str, masks.values())]
    classic = ["classic", "--style", str(sky_painting), "--style", str(ground_painting),
               "--size", "512"]
    commands = {
        "fast": ["fast", "--style-image", str(sky_painting), "--style-image",
                 str(ground_painting), "--size", "512"],
        "classic": classic,
        "classic-gentle-sky": [*classic, "--style-weights", "0.3", "1"],
    }
    outputs = {name: out_dir / f"regions-{name}.png" for name in commands}
    seconds = {}
    for name, command in commands.items():
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "core", *command, *common, "--out",
                        str(outputs[name])], check=True, cwd=ROOT)
        seconds[name] = time.perf_counter() - started
    tinted = regions.tinted(images.resize_longest(photo, 512), [sky, ground],
                            [(60, 120, 255), (255, 140, 40)], opacity=0.45)
    cells = [Cell(tinted, "the regions (automatic: bright against dark)\n"
                          "sky: The Starry Night, ground: The Scream"),
             Cell(images.load_image(outputs["fast"]),
                  f"fast (any-painting network), feathered join: {seconds['fast']:.0f} s"),
             Cell(images.load_image(outputs["classic"]),
                  f"classic, recommended preset, masked Grams: {seconds['classic']:.0f} s"),
             Cell(images.load_image(outputs["classic-gentle-sky"]),
                  "classic, the sky's painting at weight 0.3 (--style-weights 0.3 1): "
                  f"{seconds['classic-gentle-sky']:.0f} s")]
    images.save_png(contact_sheet(cells, 2, cell_width=512), out_dir / "regions-example.png")
    for path in outputs.values():
        path.unlink()
    print(json.dumps({"seconds": {k: round(v, 1) for k, v in seconds.items()}}))


def region_losses(picture, paintings, masks, config, extractor) -> list[float]:
    """own / other masked style loss for each region (two regions, two paintings)."""
    from core.classic import Objective

    ratios = []
    for index, mask in enumerate(masks):
        score = [Objective(extractor, config, picture, [painting], [1.0], [mask])(
            picture.astype(np.float32))[0].style for painting in paintings]
        ratios.append(score[index] / score[1 - index])
    return ratios


def measure(json_path: Path | None) -> None:
    from core.backbone import feature_extractor, resolve_backbone
    from core.classic import ClassicConfig, Objective, stylize
    from core.classic.starts import fast_start, load_fast_networks

    config = ClassicConfig(size=384, iterations=30, snapshot_every=0, precision="float32")
    extractor = feature_extractor(resolve_backbone(config.backbone), config.loss_layers,
                                  config.pooling, config.precision)
    networks = load_fast_networks()
    rows = []
    for photo_name, bright, dark in PAIRS:
        photo = images.resize_longest(images.load_image(PHOTOS / photo_name), config.size)
        paintings = [images.load_image(ROOT / "styles" / name) for name in (bright, dark)]
        masks = regions.automatic(photo, 2, "brightness")
        fast = fast_start(photo, paintings, [1.0, 1.0], networks, masks)
        started = time.perf_counter()
        classic = stylize(photo, paintings, config, masks=masks).image
        seconds = time.perf_counter() - started
        unmasked = Objective(extractor, config, photo, paintings, [1.0, 1.0])
        masked = Objective(extractor, config, photo, paintings, [1.0, 1.0], masks)
        timing = {name: _median_seconds(objective, photo)
                  for name, objective in (("plain", unmasked), ("regions", masked))}
        rows.append({"photo": photo_name, "paintings": [bright, dark],
                     "bright_share": round(float(masks[0].mean()), 3),
                     # the unpainted photo, scored alike: where a region starts
                     "photo_own_over_other": [round(r, 3) for r in region_losses(
                         photo, paintings, masks, config, extractor)],
                     "fast_own_over_other": [round(r, 3) for r in region_losses(
                         fast, paintings, masks, config, extractor)],
                     "classic_own_over_other": [round(r, 3) for r in region_losses(
                         classic, paintings, masks, config, extractor)],
                     "classic_seconds": round(seconds, 1),
                     "evaluation_seconds": timing})
        print(json.dumps(rows[-1]), flush=True)
    summary = {}
    for method in ("photo", "fast", "classic"):
        ratios = [r for row in rows for r in row[f"{method}_own_over_other"]]
        summary[method] = {"median": round(statistics.median(ratios), 3),
                           "worst": round(max(ratios), 3), "regions": len(ratios)}
    overhead = [row["evaluation_seconds"]["regions"] / row["evaluation_seconds"]["plain"]
                for row in rows]
    summary["evaluation_overhead"] = {"median": round(statistics.median(overhead), 3),
                                      "worst": round(max(overhead), 3)}
    record = {"machine": _machine(), "date": time.strftime("%Y-%m-%d"),
              "config": dataclasses.asdict(config), "rows": rows, "summary": summary}
    print(json.dumps(summary))
    if json_path is not None:
        json_path.write_text(json.dumps(record, indent=1))


def overhead(json_path: Path | None, repeats: int = 5) -> None:
    """Seconds per loss-and-gradient evaluation at 512 px, plain and with two regions,
    alternately (so that a busy moment hits both alike)."""
    from core.backbone import feature_extractor, resolve_backbone
    from core.classic import ClassicConfig, Objective

    config = ClassicConfig()
    extractor = feature_extractor(resolve_backbone(config.backbone), config.loss_layers,
                                  config.pooling, config.precision)
    rows = []
    for photo_name, bright, dark in PAIRS[:3]:
        photo = images.resize_longest(images.load_image(PHOTOS / photo_name), config.size)
        paintings = [images.load_image(ROOT / "styles" / name) for name in (bright, dark)]
        masks = regions.automatic(photo, 2, "brightness")
        objectives = {"plain": Objective(extractor, config, photo, paintings, [1.0, 1.0]),
                      "regions": Objective(extractor, config, photo, paintings, [1.0, 1.0],
                                           masks)}
        times = {name: [] for name in objectives}
        for objective in objectives.values():
            objective(photo.astype(np.float32))  # traced
        for _ in range(repeats):
            for name, objective in objectives.items():
                started = time.perf_counter()
                objective(photo.astype(np.float32))
                times[name].append(time.perf_counter() - started)
        row = {"photo": photo_name, **{name: round(statistics.median(t), 3)
                                       for name, t in times.items()}}
        row["ratio"] = round(row["regions"] / row["plain"], 3)
        rows.append(row)
        print(json.dumps(row), flush=True)
    record = {"machine": _machine(), "date": time.strftime("%Y-%m-%d"),
              "precision": config.precision, "size": config.size, "rows": rows,
              "ratio_median": statistics.median(row["ratio"] for row in rows),
              "ratio_worst": max(row["ratio"] for row in rows)}
    print(json.dumps({k: record[k] for k in ("ratio_median", "ratio_worst")}))
    if json_path is not None:
        json_path.write_text(json.dumps(record, indent=1))


def _median_seconds(objective, photo, repeats: int = 3) -> float:
    objective(photo.astype(np.float32))  # traced
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        objective(photo.astype(np.float32))
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def _machine() -> str:
    from core.machine import cpu_flags

    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown CPU")
    return f"{model}, avx512_bf16: {'avx512_bf16' in cpu_flags()}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("example", "measure", "overhead"))
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.what == "example":
        example(args.out_dir)
    elif args.what == "measure":
        measure(args.json)
    else:
        overhead(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
