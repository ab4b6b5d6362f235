"""Classic transfer speed: the report recipe against faster settings on the same objective.

    python bench/classic.py [--size 512] [--report-iterations 1000] [--candidates ...]

1. Runs the report recipe (Adam, lr 2, noise init) and evaluates, in float32, the report's
   objective on every 50-iteration snapshot as saved (8-bit): the **best** value it reaches
   is the target. Its seconds per iteration give the time of 1000 iterations (measured, or
   extrapolated when ``--report-iterations`` is below 1000).
2. Runs each candidate setting with a snapshot every iteration and finds the first 8-bit
   snapshot whose report objective is at or below the target: the time to get there.
3. Prints a table of speed-ups against the report recipe's 1000-iteration wall time.

Times exclude network loading (the same for all); snapshot evaluation happens after each run
so it is never on the clock. Not a test: it takes about half an hour at 512 px on 2 cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import images  # noqa: E402
from core.backbone import feature_extractor, resolve_backbone  # noqa: E402
from core.classic import PRESETS, Objective, Progress, stylize  # noqa: E402

CANDIDATES = {
    "lbfgs-f32-noise": dict(optimizer="lbfgs", init="report-noise"),
    "lbfgs-f32-content": dict(optimizer="lbfgs", init="content"),
    "lbfgs-bf16-content": dict(optimizer="lbfgs", init="content", precision="bfloat16"),
    "recommended-settings": dict(optimizer="lbfgs", init="content", precision="bfloat16",
                                 tv_weight=0.05),
    "lbfgs-bf16-content-c2f": dict(optimizer="lbfgs", init="content", precision="bfloat16",
                                   base_size=256, iterations=30, refine_iterations=50),
}


def report_objective(content, style, config):
    """The report's objective at the benchmark size, float32, to score 8-bit images."""
    choice = resolve_backbone(config.backbone)
    extractor = feature_extractor(choice, config.loss_layers, config.pooling, "float32")
    content = images.resize_longest(content, config.size)
    height, width = content.shape[:2]
    style = images.resize_exact(style, width, height)
    objective = Objective(extractor, config, content, [style], [1.0])
    return lambda picture: objective(picture.astype(np.float32))[0].total


def run_with_snapshots(content, style, config, full_shape):
    """Run once; return the result and (iteration, elapsed, 8-bit image) at full size."""
    snapshots = []

    def keep(event):
        if isinstance(event, Progress) and event.snapshot is not None:
            if event.snapshot.shape == full_shape:
                snapshots.append((event.iteration, event.elapsed, event.snapshot))

    result = stylize(content, [style], config, on_event=keep)
    return result, snapshots


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", default=str(ROOT / "examples" / "castle.jpg"))
    parser.add_argument("--style", default=str(ROOT / "styles" / "starry_night.jpg"))
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--report-iterations", type=int, default=1000)
    parser.add_argument("--candidate-iterations", type=int, default=80)
    parser.add_argument("--candidates", nargs="+", default=list(CANDIDATES),
                        choices=list(CANDIDATES))
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)

    content = images.load_image(args.content, what="content image")
    style = images.load_image(args.style, what="style image")
    report = dataclasses.replace(PRESETS["report"], size=args.size,
                                 iterations=args.report_iterations, snapshot_every=50)
    score = report_objective(content, style, report)
    full_shape = images.resize_longest(content, args.size).shape

    result, snapshots = run_with_snapshots(content, style, report, full_shape)
    seconds_per_iteration = result.seconds / result.iterations
    report_1000 = seconds_per_iteration * 1000
    values = [(i, t, score(picture)) for i, t, picture in snapshots]
    best_iteration, best_time, target = min(values, key=lambda v: v[2])
    print(f"backbone {result.backbone.name}; {full_shape[1]}x{full_shape[0]}; "
          f"machine {platform.processor() or platform.machine()}", flush=True)
    print(f"report recipe: {seconds_per_iteration:.3f} s/iteration, 1000 iterations = "
          f"{report_1000:.0f} s; best objective {target:.6g} at iteration {best_iteration} "
          f"({best_time:.0f} s); value at iteration {values[-1][0]}: {values[-1][2]:.6g}",
          flush=True)

    rows = []
    for name in args.candidates:
        settings = {"iterations": args.candidate_iterations, **CANDIDATES[name]}
        config = dataclasses.replace(report, snapshot_every=1, **settings)
        # Warm-up: trace the TensorFlow step for these shapes once, as a running app has.
        stylize(content, [style], dataclasses.replace(config, iterations=1, refine_iterations=1))
        started = time.perf_counter()
        result, snapshots = run_with_snapshots(content, style, config, full_shape)
        hit = next(((i, t) for i, t, picture in snapshots if score(picture) <= target), None)
        final = score(snapshots[-1][2])
        row = {
            "candidate": name,
            "seconds_per_iteration": result.seconds / result.iterations,
            "iterations_to_target": hit[0] if hit else None,
            "seconds_to_target": hit[1] if hit else None,
            "speedup_vs_report_1000": report_1000 / hit[1] if hit else None,
            "final_objective": final,
            "final_over_target": final / target,
            "wall_seconds": time.perf_counter() - started,
        }
        rows.append(row)
        print(json.dumps(row), flush=True)

    print("\n| settings | s/iteration | iterations to target | seconds to target | "
          "speed-up vs report 1000 it | objective after run / target |")
    print("|---|---|---|---|---|---|")
    print(f"| report recipe (Adam lr 2, noise) | {seconds_per_iteration:.3f} | "
          f"{best_iteration} (its best) | {best_time:.0f} | 1000 it = {report_1000:.0f} s | 1 |")
    for row in rows:
        if row["seconds_to_target"] is None:
            reached = "not reached | - | -"
        else:
            reached = (f"{row['iterations_to_target']} | {row['seconds_to_target']:.1f} | "
                       f"{row['speedup_vs_report_1000']:.0f}x")
        print(f"| {row['candidate']} | {row['seconds_per_iteration']:.3f} | {reached} | "
              f"{row['final_over_target']:.4f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "size": list(full_shape[1::-1]), "report_seconds_per_iteration": seconds_per_iteration,
            "report_best": target, "report_best_iteration": best_iteration, "candidates": rows,
        }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
