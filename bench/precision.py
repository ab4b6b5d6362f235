"""One loss-and-gradient evaluation of the classic objective at 512 px, float32 against
bfloat16, alternately, on this CPU: does it compute bfloat16 itself (``core.machine``)?

    python bench/precision.py [--repeats 5] [--json bench/results/precision.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import images, machine  # noqa: E402
from core.backbone import feature_extractor, resolve_backbone  # noqa: E402
from core.classic import PRESETS, Objective  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    content = images.resize_longest(images.load_image(ROOT / "examples" / "castle.jpg"), 512)
    style = images.load_image(ROOT / "styles" / "starry_night.jpg")
    objectives = {}
    for precision in ("float32", "bfloat16"):
        config = dataclasses.replace(PRESETS["recommended"], precision=precision)
        extractor = feature_extractor(resolve_backbone("vgg16-hed"), config.loss_layers,
                                      config.pooling, precision)
        objectives[precision] = Objective(extractor, config, content, [style], [1.0])
        objectives[precision](content.astype("float32"))  # traced here, not timed
    seconds = {precision: [] for precision in objectives}
    for _ in range(args.repeats):
        for precision, objective in objectives.items():
            started = time.perf_counter()
            objective(content.astype("float32"))
            seconds[precision].append(time.perf_counter() - started)
    record = {"machine": machine.describe(), "date": time.strftime("%Y-%m-%d"),
              "native_bfloat16": machine.native_bfloat16(),
              "default_precision": machine.default_precision(),
              "size": list(content.shape[1::-1]),
              "median_seconds": {p: round(statistics.median(s), 3) for p, s in seconds.items()},
              "seconds": {p: [round(v, 3) for v in s] for p, s in seconds.items()}}
    print(json.dumps(record, indent=1))
    if args.json:
        args.json.write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
