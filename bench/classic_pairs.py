"""The fast start against the photo start, on photo x painting pairs no preset was tuned on.

    python bench/classic_pairs.py targets [--pairs 1 2 ...] [--iterations 300]
    python bench/classic_pairs.py race [--pairs ...] [--seconds 30] [--size 512]
    python bench/classic_pairs.py summary
    python bench/classic_pairs.py race --races-dir bench/results/pairs-bf16 --starts fast content

``targets`` runs the report recipe (``preset("report")`` at 512 px: Adam from 70 % noise,
float32) on each pair and scores its 8-bit snapshot every 25 iterations on the report's own
objective; the best score is the pair's target, and 1000 x the median seconds per iteration
is the recipe's time. (On the castle the recipe's best came at iteration 300 and drifted up
after, BENCHMARKS.md; ``--iterations`` says how far this run looked.)

``race`` runs the recommended preset with a time budget (``max_seconds``: the CLI's own
clock, so tracing and the fast start count, loading does not) once from each start, keeps
every iteration's 8-bit picture with its time, and scores them afterwards on the report's
objective: the first time at or below the target gives the speed-up against the recipe's
1000 iterations. Each pair's results go to ``bench/results/pairs/``, so an interrupted run
loses one pair at most; ``--races-dir`` keeps another machine's races apart (the targets,
float32 on any CPU, stay where they are).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import images  # noqa: E402
from core.backbone import feature_extractor, resolve_backbone  # noqa: E402
from core.classic import PRESETS, Objective, Progress, preset, stylize  # noqa: E402
from core.machine import describe  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "data" / "photos"
RESULTS = ROOT / "bench" / "results" / "pairs"
# Photos from shared/data/photos (none is an example photo the presets were tuned on) with
# bundled paintings (the presets were tuned on the castle with The Starry Night only).
PAIRS = (
    ("explore_world_animals_animals_bison.jpg", "wave.jpg"),
    ("explore_monuments_india_hawaMahal.jpg", "the_scream.jpg"),
    ("explore_monuments_france_pontduGard.jpg", "udnie.jpg"),
    ("wallpaper_Bridge_by_Sander_Klootwijk.jpg", "composition_vii.jpg"),
    ("explore_world_animals_animals_koala.jpg", "woman-with-hat-matisse.jpg"),
    ("explore_monuments_wonders_machuPicchu.jpg", "shipwreck.jpg"),
)
SCORE_EVERY = 25  # the recipe's snapshots scored for its target


def pair_images(index: int, size: int):
    photo, painting = PAIRS[index - 1]
    content = images.resize_longest(images.load_image(PHOTOS / photo), size)
    style = images.load_image(ROOT / "styles" / painting)
    return content, style


def report_scorer(content, style):
    """The report's objective (float32, style squashed to the output) on 8-bit pictures."""
    config = preset("report", size=max(content.shape[:2]))
    height, width = content.shape[:2]
    extractor = feature_extractor(resolve_backbone(config.backbone), config.loss_layers,
                                  config.pooling, "float32")
    objective = Objective(extractor, config, content,
                          [images.resize_exact(style, width, height)], [1.0])
    return lambda picture: float(objective(picture.astype("float32"))[0].total)


def run_target(index: int, size: int, iterations: int) -> dict:
    content, style = pair_images(index, size)
    config = preset("report", size=size, iterations=iterations, snapshot_every=SCORE_EVERY)
    snapshots, times = [], []

    def on_event(event):
        if isinstance(event, Progress):
            times.append(event.elapsed)
            if event.snapshot is not None:
                snapshots.append((event.iteration, event.snapshot))

    result = stylize(content, [style], config, on_event=on_event)
    score = report_scorer(content, style)
    scores = [(iteration, score(picture)) for iteration, picture in snapshots]
    best_iteration, best = min(scores, key=lambda pair: pair[1])
    per_iteration = statistics.median(b - a for a, b in zip(times, times[1:], strict=False))
    return {"pair": list(PAIRS[index - 1]), "size": list(result.image.shape[1::-1]),
            "iterations": iterations, "seconds_per_iteration": round(per_iteration, 4),
            "recipe_seconds": round(per_iteration * 1000, 1), "target": round(best, 1),
            "best_iteration": best_iteration, "scores": [[i, round(s, 1)] for i, s in scores]}


STARTS = {  # a race's name: the recommended preset's settings it changes
    "fast": {"init": "fast"},
    "content": {"init": "content"},
    # the fast start's first iterations at half size, where they cost a quarter, then 512 px
    "fast-256": {"init": "fast", "base_size": 256, "iterations": 15,
                 "refine_iterations": 100_000},
}


def recipe_pace(index: int, size: int, iterations: int = 12) -> dict:
    """The report recipe's seconds per iteration, timed in the same run as the races (the
    targets' own runs may have shared the CPU): the median of its iterations after the
    first two (tracing), times 1000."""
    content, style = pair_images(index, size)
    times = []
    stylize(content, [style], preset("report", size=size, iterations=iterations,
                                     snapshot_every=0),
            on_event=lambda event: times.append(event.elapsed)
            if isinstance(event, Progress) else None)
    per_iteration = statistics.median(b - a for a, b in zip(times[2:], times[3:], strict=False))
    return {"init": "recipe-pace", "seconds_per_iteration": round(per_iteration, 4),
            "recipe_seconds": round(per_iteration * 1000, 1)}


def run_race(index: int, size: int, seconds: float, init: str) -> dict:
    if init == "recipe-pace":
        return recipe_pace(index, size)
    content, style = pair_images(index, size)
    changes = {"iterations": None, "max_seconds": seconds, "snapshot_every": 1,
               **STARTS[init]}
    config = dataclasses.replace(PRESETS["recommended"], size=size, **changes)
    trajectory = []

    def on_event(event):
        if getattr(event, "snapshot", None) is not None:
            trajectory.append((event.elapsed, event.iteration, event.snapshot))

    started = time.perf_counter()
    result = stylize(content, [style], config, on_event=on_event)
    score = report_scorer(content, style)
    height, width = content.shape[:2]
    points = [[round(elapsed, 3), iteration,  # a smaller first scale's pictures scored enlarged
               round(score(images.resize_exact(picture, width, height)), 1)]
              for elapsed, iteration, picture in trajectory]
    return {"init": init, "precision": config.precision, "seconds": seconds,
            "setup_seconds": round(result.setup_seconds, 2),
            "wall_seconds": round(time.perf_counter() - started, 2),
            "evaluations": result.evaluations, "iterations": result.iterations,
            "trajectory": points}


def race_in_new_process(index: int, size: int, seconds: float, init: str) -> dict:
    """``run_race`` in a fresh Python, so each start pays its own tracing, as a CLI run does."""
    command = [sys.executable, __file__, "race-one", "--pairs", str(index), "--size",
               str(size), "--seconds", str(seconds), "--init", init]
    finished = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(finished.stdout.strip().splitlines()[-1])


def first_at_or_below(trajectory, target):
    return next((elapsed for elapsed, _, value in trajectory if value <= target), None)


def value_at(trajectory, seconds):
    """The best score reached by ``seconds`` (None before the first picture)."""
    values = [value for elapsed, _, value in trajectory if elapsed <= seconds]
    return min(values) if values else None


def summary(races_dir: Path = RESULTS) -> str:
    """The pair table (one row per pair and start) and each start's median and worst."""
    rows, ratios = [], {}
    for index in range(1, len(PAIRS) + 1):
        target_file = RESULTS / f"target-{index}.json"
        race_file = races_dir / f"race-{index}.json"
        if not (target_file.is_file() and race_file.is_file()):
            continue
        target = json.loads(target_file.read_text())
        raced = json.loads(race_file.read_text())
        # the recipe's pace from the races' own run (a quiet CPU), else the targets' run
        goal, recipe = target["target"], raced.get("recipe_seconds", target["recipe_seconds"])
        photo, painting = target["pair"]
        for race in raced["races"]:
            trajectory = race["trajectory"]
            reached = first_at_or_below(trajectory, goal)
            cells = []
            for share in (200, 100):
                value = value_at(trajectory, recipe / share)
                ratio = value / goal if value is not None else math.inf
                ratios.setdefault((race["init"], share), []).append(ratio)
                cells.append(f"{ratio:.2f}" if value is not None else "no picture yet")
            at_end = min(value for _, _, value in trajectory) / goal
            ratios.setdefault((race["init"], "end"), []).append(at_end)
            speed = (f"{reached:.1f} s ({recipe / reached:.0f}x)" if reached
                     else f"not in {race['seconds']:.0f} s")
            rows.append(f"| {index} | {photo.removesuffix('.jpg')} x {painting} | "
                        f"{recipe:.0f} s | {goal:,.0f} | {race['init']} | {speed} | "
                        + " | ".join(cells) + f" | {at_end:.2f} |")
    head = ("| # | photo x painting | recipe, 1000 it. | target | start | time to target "
            "(speed-up) | objective / target at 1/200 of the recipe's time | at 1/100 | "
            "at the end of the budget |\n|---|---|---|---|---|---|---|---|---|")
    lines = [head, *rows, ""]
    for (init, share), values in sorted(ratios.items(), key=str):
        when = "the end" if share == "end" else f"1/{share} of the recipe's time"
        lines.append(f"* {init}, objective / target at {when}: median "
                     f"{statistics.median(values):.2f}, worst {max(values):.2f} "
                     f"({len(values)} pairs)")
    return "\n".join(lines).replace(",", " ")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("targets", "race", "summary", "race-one"))
    parser.add_argument("--init", default="fast", help=argparse.SUPPRESS)  # race-one
    parser.add_argument("--starts", nargs="+", choices=list(STARTS), default=list(STARTS))
    parser.add_argument("--pairs", type=int, nargs="*", default=range(1, len(PAIRS) + 1))
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--races-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    args.races_dir.mkdir(parents=True, exist_ok=True)
    if args.command == "summary":
        print(summary(args.races_dir))
        return 0
    if args.command == "race-one":
        print(json.dumps(run_race(args.pairs[0], args.size, args.seconds, args.init)))
        return 0
    for index in args.pairs:
        if args.command == "targets":
            record = run_target(index, args.size, args.iterations)
            name = f"target-{index}.json"
        else:
            record = {"pair": list(PAIRS[index - 1]),
                      "races": [race_in_new_process(index, args.size, args.seconds, init)
                                for init in args.starts]}
            pace = race_in_new_process(index, args.size, args.seconds, "recipe-pace")
            record["recipe_seconds"] = pace["recipe_seconds"]
            name = f"race-{index}.json"
        record.update(machine=describe(), date=time.strftime("%Y-%m-%d"))
        folder = RESULTS if args.command == "targets" else args.races_dir
        (folder / name).write_text(json.dumps(record, indent=1) + "\n")
        print(f"pair {index}: {name} written", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
