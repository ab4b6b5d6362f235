"""Fast style networks: load time and median inference time per size and precision.

    python bench/fast.py [--style NAME] [--repeats 7] [--json FILE]

Times ``core.fast.apply.paint`` (network pass, conversion to 8-bit; the photo is already
at the output size, so no resize) after one warm-up call per size.
Not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import images  # noqa: E402
from core.fast.apply import FastConfig, compiled, paint  # noqa: E402
from core.fast.registry import bundled_models, find_model, load_transformer  # noqa: E402

SIZES = {"512 px": (512, 341), "1080x720": (1080, 720), "2048 px": (2048, 1365)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--style", help="bundled network (default: the first)")
    parser.add_argument("--content", default=str(ROOT / "examples" / "castle.jpg"))
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)

    models = bundled_models()
    if not args.style and not models:
        parser.error("no style networks installed (python -m core train-fast)")
    model = find_model(args.style) if args.style else models[0]
    photo = images.load_image(args.content)
    rows = []
    for precision in ("float32", "bfloat16"):
        started = time.perf_counter()
        network = compiled(load_transformer(model, precision))
        load_seconds = time.perf_counter() - started
        for label, (width, height) in SIZES.items():
            content = images.resize_exact(photo, width, height)
            config = FastConfig(size=None, precision=precision)
            paint(network, content, config)  # warm-up: traces the graph for this size
            times = [paint(network, content, config).seconds for _ in range(args.repeats)]
            row = {"precision": precision, "size": label, "width": width, "height": height,
                   "load_seconds": round(load_seconds, 3),
                   "median_seconds": round(statistics.median(times), 4),
                   "min_seconds": round(min(times), 4)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(f"\nnetwork {model.name} ({model.network.width} wide, "
          f"{model.network.residual_blocks} residual blocks)\n")
    print("| precision | size | load s | median s | min s |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['precision']} | {row['size']} ({row['width']}x{row['height']}) | "
              f"{row['load_seconds']:.2f} | {row['median_seconds']:.3f} | "
              f"{row['min_seconds']:.3f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"style": model.name, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
