"""Classic speed before and after a refactor, interleaved in one session (the machine is
shared: only ratios measured side by side mean anything).

    git worktree add /tmp/style-studio-before 8dc95f5
    python bench/refactor_check.py --before /tmp/style-studio-before [--size 384 --iterations 30]

Runs ``python -m core classic`` (recommended preset) of each tree in turn, on several photos,
and prints each run's optimisation seconds (set-up excluded) and the after/before ratio per
photo: median and worst.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ("castle.jpg", "lemurs.jpg", "eiffel_tower.jpg")


def seconds(tree: Path, photo: str, size: int, iterations: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [sys.executable, "-m", "core", "classic", "--content", str(ROOT / "examples" / photo),
             "--style", str(ROOT / "styles" / "starry_night.jpg"), "--size", str(size),
             "--iterations", str(iterations), "--snapshot-every", "0",
             "--out", str(Path(folder) / "out.png")],
            cwd=tree, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="a checkout of the old code")
    parser.add_argument("--size", type=int, default=384)
    parser.add_argument("--iterations", type=int, default=30)
    args = parser.parse_args()
    ratios = []
    for photo in PHOTOS:
        before = seconds(args.before, photo, args.size, args.iterations)
        after = seconds(ROOT, photo, args.size, args.iterations)
        ratios.append(after / before)
        print(f"{photo}: before {before:.1f} s, after {after:.1f} s, ratio {after / before:.2f}",
              flush=True)
    print(f"after/before: median {statistics.median(ratios):.2f}, worst {max(ratios):.2f}")


if __name__ == "__main__":
    main()
