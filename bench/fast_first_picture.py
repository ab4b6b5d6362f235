"""Fast page: what a user waits for, first picture and later ones, before and after warm-up.

    python bench/fast_first_picture.py [--runs 3] [--modes MODE ...] [--warm-side 32]
        [--json bench/results/fast-first-picture.json]

Every measurement runs in a fresh Python process, as a server that has just started: load
the network(s), optionally warm them up, then paint one example photo at 1080 px (longest
side, so 1080x720 or 1080x811; the first picture), the same five times more (later
pictures), then at 720 px (the first picture at another size) and three times more. The
any-painting network paints with ``styles/starry_night.jpg`` through
``paint_with_paintings`` at ``ArbitraryConfig``'s defaults (bfloat16 transformer, float32
predictor called eagerly, as ``ui/arbitrary_results.py`` does); the trained network is
``styles/models/starry_night`` through ``paint`` at ``FastConfig``'s defaults (bfloat16).

Modes:

* ``before``: ``compiled`` as it was up to commit 8dc95f5, a ``tf.function`` with
  ``reduce_retracing=True`` (one trace for the first shape, a second one, shape-free, for the
  next shape), copied below as ``relaxed``;
* ``after``: ``core.fast.apply.compiled`` now (one shape-free trace), no warm-up;
* ``warm``: ``after`` plus ``core.fast.apply.warm_up`` of each network right after loading
  (its time is shown on its own: an app runs it on a background thread at start-up), with
  a ``--warm-side`` square image (default ``WARM_UP_SIDE``, 32 px); the eager predictor is
  warmed up too;
* ``warm+predictor`` (any-painting network only): the style predictor compiled and warmed
  up too.

Runs interleave modes, networks and the three example photos, so a noisy machine spreads its
noise over all of them. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ("castle.jpg", "eiffel_tower.jpg", "lemurs.jpg")
PAINTING = ROOT / "styles" / "starry_night.jpg"
TRAINED = "starry_night"
NETWORKS = {"any painting": ("before", "after", "warm", "warm+predictor"),
            "trained": ("before", "after", "warm")}
LATER = 5  # later pictures at 1080 px
LATER_OTHER_SIZE = 3  # and at 720 px, after the first one there
COLUMNS = (("load", "load s"), ("warm_up", "warm-up s"), ("first", "first picture s"),
           ("later", "later pictures s"), ("first_720", "first at 720 px s"),
           ("later_720", "later at 720 px s"))


def relaxed(network):
    """``core.fast.apply.compiled`` up to commit 8dc95f5, for the ``before`` rows."""
    import tensorflow as tf

    return tf.function(lambda batch: network(batch, training=False), reduce_retracing=True)


def tracing_count(function) -> int:
    inner = getattr(function, "function", function)  # core.fast.apply.Compiled
    return inner.experimental_get_tracing_count()


def child(network_kind: str, mode: str, photo_name: str, warm_side: int) -> dict:
    """One fresh process's measurements, in seconds."""
    started = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    from core import images
    from core.fast import arbitrary, registry
    from core.fast.apply import FastConfig, compiled, paint, warm_up

    row = {"network": network_kind, "mode": mode, "photo": photo_name,
           "import": time.perf_counter() - started}
    photo = images.load_image(ROOT / "examples" / photo_name)
    painting = images.load_image(PAINTING)
    wrap = relaxed if mode == "before" else compiled

    started = time.perf_counter()
    if network_kind == "any painting":
        predictor = arbitrary.load_style_predictor()
        if mode == "warm+predictor":
            predictor = compiled(predictor)
        network = wrap(arbitrary.load_arbitrary_transformer(arbitrary.ArbitraryConfig.precision))
        warm = [network, predictor]

        def picture(size):
            config = arbitrary.ArbitraryConfig(size=size)
            return arbitrary.paint_with_paintings(predictor, network, photo, [painting],
                                                  config=config).image
    else:
        model = registry.find_model(TRAINED)
        network = wrap(registry.load_transformer(model, FastConfig.precision))
        warm = [network]

        def picture(size):
            return paint(network, photo, FastConfig(size=size)).image
    row["load"] = time.perf_counter() - started

    if mode.startswith("warm"):
        row["warm_up"] = sum(warm_up(each, warm_side) for each in warm)

    def timed(size) -> float:
        started = time.perf_counter()
        image = picture(size)
        row["shape"] = row.get("shape") or f"{image.shape[1]}x{image.shape[0]}"
        return time.perf_counter() - started

    row["first"] = timed(1080)
    row["later"] = statistics.median(timed(1080) for _ in range(LATER))
    row["first_720"] = timed(720)
    row["later_720"] = statistics.median(timed(720) for _ in range(LATER_OTHER_SIZE))
    row["traces"] = tracing_count(network)
    return row


def summary(rows: list[dict]) -> list[dict]:
    """Per network and mode: median and worst of each column over the processes."""
    table = []
    for network_kind, modes in NETWORKS.items():
        for mode in modes:
            mine = [row for row in rows if row["network"] == network_kind and row["mode"] == mode]
            if not mine:
                continue
            line = {"network": network_kind, "mode": mode, "processes": len(mine),
                    "traces": sorted({row["traces"] for row in mine})}
            for key, _ in COLUMNS:
                values = [row[key] for row in mine if key in row]
                if values:
                    line[key] = {"median": round(statistics.median(values), 3),
                                 "worst": round(max(values), 3)}
            table.append(line)
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="processes per photo and mode")
    parser.add_argument("--modes", nargs="+", choices=NETWORKS["any painting"],
                        default=list(NETWORKS["any painting"]), help="only these modes")
    parser.add_argument("--warm-side", type=int, default=32,
                        help="side of the warm-up image, px (default 32)")
    parser.add_argument("--json", help="also write every process's numbers here")
    parser.add_argument("--child", nargs=3, metavar=("NETWORK", "MODE", "PHOTO"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child, args.warm_side)), flush=True)
        return 0

    sys.path.insert(0, str(ROOT))
    from core.machine import cpu_name

    rows = []
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    for run in range(args.runs):
        for photo_name in PHOTOS:
            for network_kind, modes in NETWORKS.items():
                for mode in (mode for mode in modes if mode in args.modes):
                    done = subprocess.run(
                        [sys.executable, __file__, "--child", network_kind, mode, photo_name,
                         "--warm-side", str(args.warm_side)],
                        capture_output=True, text=True, env=environment, check=False)
                    if done.returncode:
                        sys.stderr.write(done.stderr)
                        return done.returncode
                    rows.append({"run": run, **json.loads(done.stdout.strip().splitlines()[-1])})
                    print(json.dumps(rows[-1]), flush=True)

    table = summary(rows)
    machine = f"{cpu_name()} ({os.cpu_count()} cores)"
    print(f"\n{args.runs * len(PHOTOS)} fresh processes per row ({args.runs} per photo), "
          f"warm-up image {args.warm_side} px, {machine}; median / worst, seconds\n")
    print("| network | mode | traces | " + " | ".join(label for _, label in COLUMNS) + " |")
    print("|---" * (3 + len(COLUMNS)) + "|")
    for line in table:
        cells = [f"{line[key]['median']:.2f} / {line[key]['worst']:.2f}" if key in line
                 else "-" for key, _ in COLUMNS]
        traces = "/".join(str(count) for count in line["traces"])
        print(f"| {line['network']} | {line['mode']} | {traces} | " + " | ".join(cells) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "machine": machine, "runs": args.runs, "photos": PHOTOS,
            "warm_side": args.warm_side,
            "painting": PAINTING.name, "trained": TRAINED, "summary": table, "rows": rows},
            indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
