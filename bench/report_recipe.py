"""The report recipe at the report's size, resumable: the reference picture for BENCHMARKS.md.

    python bench/report_recipe.py [--size 1080] [--out-dir runs/report-1080]

1000 Adam iterations of the ``report`` preset take about an hour and a half at 1080x720 on
2 cores, so this saves the pixels and Adam's moments every ``--checkpoint-every``
iterations and carries on from there when started again (the result is the same as one
uninterrupted run: the state is complete). It writes a snapshot PNG every 50 iterations,
``final.png``, and ``summary.json`` with the measured time per iteration (median of the
iterations, so pauses and restarts do not count) and the total.
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

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import images  # noqa: E402
from core.backbone import feature_extractor, resolve_backbone  # noqa: E402
from core.classic import (  # noqa: E402
    PRESETS,
    AdamState,
    Objective,
    adam_steps,
    initial_image,
    preset,
)
from core.machine import cpu_name  # noqa: E402


def save_state(path: Path, image, state: AdamState, seconds: list[float]) -> None:
    temporary = path.with_name(f".{path.name}.tmp.npz")
    np.savez(temporary, image=image, first=state.first, second=state.second,
             step=state.step, seconds=np.asarray(seconds))
    os.replace(temporary, path)  # a crash never leaves half a checkpoint


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", default=str(ROOT / "examples" / "castle.jpg"))
    parser.add_argument("--style", default=str(ROOT / "styles" / "starry_night.jpg"))
    parser.add_argument("--size", type=int, default=PRESETS["report"].size)
    parser.add_argument("--out-dir", default=str(ROOT / "runs" / "report-1080"))
    parser.add_argument("--checkpoint-every", type=int, default=10)
    parser.add_argument("--iterations", type=int, default=PRESETS["report"].iterations)
    args = parser.parse_args(argv)

    config = preset("report", size=args.size, iterations=args.iterations)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    content = images.resize_longest(images.load_image(args.content, what="content"), config.size)
    height, width = content.shape[:2]
    style = images.resize_exact(images.load_image(args.style, what="style"), width, height)
    choice = resolve_backbone(config.backbone)
    extractor = feature_extractor(choice, config.loss_layers, config.pooling, config.precision)
    objective = Objective(extractor, config, content, [style], [1.0])

    checkpoint = out / "state.npz"
    if checkpoint.is_file():
        saved = np.load(checkpoint)
        image = saved["image"]
        state = AdamState(saved["first"], saved["second"], int(saved["step"]))
        seconds = saved["seconds"].tolist()
        print(f"resuming at iteration {state.step}", flush=True)
    else:
        image = initial_image(config, content, style, None, extractor.bgr_mean)
        state, seconds = AdamState.zeros_like(image), []
    print(f"report recipe, {width}x{height}, backbone {choice.label}", flush=True)

    steps = adam_steps(objective, image, state, config.learning_rate)
    started = time.perf_counter()
    for image, losses in itertools.islice(steps, max(0, config.iterations - state.step)):
        seconds.append(time.perf_counter() - started)  # one evaluation and one update
        if state.step % 50 == 0:
            images.save_png(images.to_uint8(image), out / f"iteration_{state.step:04d}.png")
            print(f"iteration {state.step}: {seconds[-1]:.2f} s, loss {losses.total:.6g}",
                  flush=True)
        if state.step % args.checkpoint_every == 0 or state.step == config.iterations:
            save_state(checkpoint, image, state, seconds)
        started = time.perf_counter()

    images.save_png(images.to_uint8(image), out / "final.png")
    summary = {
        "size": [width, height], "iterations": state.step, "backbone": choice.name,
        "seconds_per_iteration_median": statistics.median(seconds[1:] or seconds),
        "seconds_measured_total": sum(seconds),
        "machine": f"{cpu_name()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
    }
    summary["seconds_1000_iterations"] = summary["seconds_per_iteration_median"] * 1000
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
