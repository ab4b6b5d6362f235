"""How long Cancel takes: from ``Job.cancel()`` to the job finished and its slot free.

    python bench/cancel.py [--json bench/results/cancel.json]

A classic job (the recommended preset, castle photo, The Starry Night) is cancelled once in
its 512 px base stage and, for the sizes above 512, in its last (full-size) refine stage,
where one evaluation of the loss network takes longest; each point is cancelled at several
moments spread through an iteration. L-BFGS-B checks for a cancel before every evaluation,
so the delay is at most one evaluation.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import images  # noqa: E402
from core.classic import PRESETS  # noqa: E402
from core.engine import ClassicTask  # noqa: E402
from core.engine.local import LocalEngine  # noqa: E402
from core.machine import cpu_name  # noqa: E402


def cancel_after(manager, task, iteration: int, fraction: float) -> dict:
    """Cancel ``fraction`` of an iteration's time after iteration ``iteration`` ended."""
    job = manager.submit("bench", task)
    while not job.view().rows or job.view().rows[-1].iteration < iteration:
        time.sleep(0.005)
    rows = job.view().rows
    iteration_seconds = rows[-1].elapsed - rows[-2].elapsed
    time.sleep(fraction * iteration_seconds)
    pressed = time.perf_counter()
    job.cancel()
    job.wait()
    delay = time.perf_counter() - pressed
    assert manager.counts() == (0, 0)
    return {"cancelled_at_iteration": job.view().rows[-1].iteration,
            "stage": list(job.view().stage), "iteration_s": round(iteration_seconds, 3),
            "seconds_to_stopped": round(delay, 3)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1080])
    parser.add_argument("--repeats", type=int, default=4,
                        help="cancels per point, spread evenly through an iteration")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    content = images.load_image(ROOT / "examples" / "castle.jpg")
    style = images.load_image(ROOT / "styles" / "starry_night.jpg")
    manager = LocalEngine(slots=1)
    rows = []
    for size in args.sizes:
        config = dataclasses.replace(PRESETS["recommended"], size=size, snapshot_every=0)
        task = ClassicTask(content, (style,), config)
        points = [("base stage", 4)]
        if len(config.stage_sizes) > 1:
            points.append(("last stage", config.iterations + (len(config.stage_sizes) - 2)
                           * config.refine_iterations + 2))
        for where, iteration in points:
            delays = [cancel_after(manager, task, iteration, (k + 0.5) / args.repeats)
                      for k in range(args.repeats)]
            seconds = [d["seconds_to_stopped"] for d in delays]
            rows.append({"size": size, "where": where, "stage_px": config.stage_sizes[
                0 if where == "base stage" else -1], "median_s": round(statistics.median(
                    seconds), 3), "max_s": max(seconds), "runs": delays})
            print(json.dumps(rows[-1]), flush=True)
    result = {"machine": f"{cpu_name()}, {os.cpu_count()} cores",
              "date": time.strftime("%Y-%m-%d"), "rows": rows}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
