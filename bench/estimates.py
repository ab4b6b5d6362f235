"""The classic page's estimate before Run (core.estimates, at the benchmark's default pace)
against the times measured for the same runs in BENCHMARKS.md.

    python bench/estimates.py
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from core.classic import PRESETS  # noqa: E402
from core.estimates import estimate_seconds  # noqa: E402

# (what, config, photo width, height, measured seconds Run to result, where it is measured)
RUNS = (
    ("report preset, 1080x720", PRESETS["report"], 1080, 720, 95 * 60,
     "report recipe's 1000 iterations: 1000 x 5.69 s"),
    ("recommended preset, 1080x720", dataclasses.replace(PRESETS["recommended"], size=1080),
     1080, 720, 101.6,
     "1080x720 all in, fresh process (91-102 s over the rows)"),
    ("recommended preset, 2048 px", dataclasses.replace(PRESETS["recommended"], size=2048),
     2048, 1365, 254.0, "2048 px classic run"),
    ("report recipe, 512 px", dataclasses.replace(PRESETS["report"], size=512), 512, 341,
     1263.0, "report recipe's 1000 iterations at 512 px"),
)


def main() -> None:
    print("| run | estimate | measured | estimate/measured | measured in BENCHMARKS.md |")
    print("|---|---|---|---|---|")
    for what, config, width, height, measured, where in RUNS:
        estimate = estimate_seconds(config, width, height).seconds
        print(f"| {what} | {estimate:.0f} s | {measured:.0f} s | {estimate / measured:.2f} | "
              f"{where} |")


if __name__ == "__main__":
    main()
