"""Classic at print sizes (issue 22): peak memory and time per scale, tiled against one pass.

    python bench/classic_print.py --size 4096 [--refine-iterations 4] [--json FILE]
        [--save PNG] [--crop PNG]
    python bench/classic_print.py --size 1536 --compare-one-pass [--json FILE]

Each run is the recommended preset in a fresh process (its peak resident memory is its own),
with the resident memory sampled every 0.2 s and tagged with the scale running then: the
JSON has each scale's peak and the seconds of its ordinary iterations (its first one, which
traces the graph, left out), what ``core.memory`` and ``core.estimates`` are fitted to.
``--refine-iterations`` shortens the large scales (their peak is reached in their first
iterations; the time per iteration is what the estimate uses). ``--compare-one-pass`` runs
the same settings twice at a size where one pass fits, once forced over tiles, and reports
how far apart the two pictures and objectives are. ``--crop`` writes a 1:1 crop of the
result across the boundary of two tile cores, with the boundary marked above and below it.
Not a test.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import images  # noqa: E402
from core.memory import resident_bytes  # noqa: E402

CROP = (512, 320)  # width, height of the 1:1 crop


def _run(content_path, style_path, settings, force_tiles, out, queue) -> None:
    """In the child: one run; its per-scale peaks and iteration times go back by ``queue``."""
    from core.classic import ClassicConfig, Progress, stylize, tiles

    if force_tiles:
        tiles.TILE_ABOVE_PIXELS = 0
    content = images.load_image(content_path, what="content image")
    style = images.load_image(style_path, what="style image")
    config = ClassicConfig.from_dict(settings)
    stage, peaks, times, last = [0], {}, {}, {}
    done = threading.Event()

    def sample():
        while not done.wait(0.2):
            peaks[stage[0]] = max(peaks.get(stage[0], 0), resident_bytes())

    def on_event(event):
        if isinstance(event, Progress):
            if event.stage in last:  # an ordinary iteration: not the scale's first
                times.setdefault(event.stage, []).append(event.elapsed - last[event.stage])
            last[event.stage] = event.elapsed
            stage[0] = event.stage

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    result = stylize(content, [style], config, on_event=on_event)
    wall = time.perf_counter() - started
    done.set()
    images.save_png(result.image, out)
    queue.put({
        "wall_seconds": round(wall, 1), "size": list(result.image.shape[1::-1]),
        "iterations": result.iterations, "losses": result.summary()["losses"],
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "stage_sizes": list(config.stage_sizes),
        "stage_peak_gib": {str(k): round(v / 2**30, 2) for k, v in sorted(peaks.items())},
        "stage_iteration_seconds": {str(k): round(float(np.median(v)), 2)
                                    for k, v in sorted(times.items())},
        "precision": result.precision, "backbone": result.backbone.name})


def run_fresh(content, style, settings, force_tiles, out) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_run, args=(content, style, settings, force_tiles, out,
                                               queue))
    child.start()
    while True:  # a child killed for memory never answers: say so instead of waiting
        try:
            row = queue.get(timeout=10)
            break
        except Exception:
            if not child.is_alive():
                raise RuntimeError(f"the run died (exit code {child.exitcode})") from None
    child.join()
    return row


def boundary_crop(picture: np.ndarray, core: int) -> np.ndarray:
    """A 1:1 crop centred on the vertical boundary between two tile cores nearest the
    picture's centre, with a red tick above and below the crop at the boundary."""
    height, width = picture.shape[:2]
    boundary = max(core, round(width / 2 / core) * core)
    left = min(max(0, boundary - CROP[0] // 2), width - CROP[0])
    top = (height - CROP[1]) // 2
    crop = picture[top:top + CROP[1], left:left + CROP[0]]
    sheet = np.full((CROP[1] + 24, CROP[0], 3), 255, np.uint8)
    sheet[12:12 + CROP[1]] = crop
    sheet[:10, boundary - left - 1:boundary - left + 1] = (220, 30, 30)
    sheet[-10:, boundary - left - 1:boundary - left + 1] = (220, 30, 30)
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", default=str(ROOT / "examples" / "castle.jpg"))
    parser.add_argument("--style", default=str(ROOT / "styles" / "starry_night.jpg"))
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--refine-iterations", type=int, default=10)
    parser.add_argument("--compare-one-pass", action="store_true")
    parser.add_argument("--save", default="/tmp/classic-print.png")
    parser.add_argument("--crop")
    parser.add_argument("--json")
    args = parser.parse_args()
    settings = {"size": args.size, "refine_iterations": args.refine_iterations}
    report = {"command": " ".join(sys.argv), "content": args.content, "style": args.style,
              "date": time.strftime("%Y-%m-%d")}
    report["run"] = run_fresh(args.content, args.style, settings, False, args.save)
    print(json.dumps(report["run"], indent=1), flush=True)
    if args.compare_one_pass:
        tiled_out = args.save.replace(".png", "-tiled.png")
        report["tiled"] = run_fresh(args.content, args.style, settings, True, tiled_out)
        one, tiled = (images.load_image(p).astype(np.int16) for p in (args.save, tiled_out))
        report["picture_difference"] = {"mean": float(np.abs(one - tiled).mean()),
                                        "max": int(np.abs(one - tiled).max())}
        print(json.dumps(report["tiled"], indent=1), report["picture_difference"])
    if args.crop:
        from core.classic.tiles import TILE_CORE

        images.save_png(boundary_crop(images.load_image(args.save), TILE_CORE), args.crop)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
