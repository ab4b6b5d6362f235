"""The command line's cold start: where a first classic picture's seconds go.

    python bench/cold_start.py [--before REV] [--json bench/results/cold-start.json]

Each figure comes from a fresh Python process, as a person's first command is:

* ``python -m core --help`` and ``python -m core classic --help``, here and, with
  ``--before REV``, in a checkout of that commit (``git worktree``), in the same run;
* one classic run of the recommended preset at 512 px, phase by phase: importing the CLI,
  importing TensorFlow with the classic engine, loading the loss network and the
  any-painting networks (``Started.setup_seconds``), the fast start (``StartImage``), the
  first iteration (the style and content targets, tracing the step, the line search) and
  an ordinary iteration after it;
* the same run end to end through the CLI (``--iterations 2``), wall clock.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "examples" / "lemurs.jpg"
PAINTING = ROOT / "styles" / "wave.jpg"

PHASES = r"""
import json, sys, time
started = time.perf_counter()
import core.cli
cli = time.perf_counter()
from core import images
from core.classic import PRESETS, Progress, Started, StartImage, stylize
import dataclasses
engine = time.perf_counter()
content = images.load_image(sys.argv[1]); style = images.load_image(sys.argv[2])
config = dataclasses.replace(PRESETS["recommended"], size=512, iterations=3, snapshot_every=1)
seen = {}
def on_event(event):
    if isinstance(event, Started): seen["setup"] = event.setup_seconds
    elif isinstance(event, StartImage): seen["fast_start"] = event.elapsed
    elif isinstance(event, Progress): seen[f"iteration_{event.iteration}"] = event.elapsed
result = stylize(content, [style], config, on_event=on_event)
print(json.dumps({"import_cli": cli - started, "import_engine": engine - cli,
                  "precision": result.precision, "evaluations": result.evaluations, **seen}))
"""


def seconds_of(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def help_times(cwd: Path, repeats: int = 3) -> dict:
    python = sys.executable
    return {name: round(statistics.median(seconds_of(command, cwd) for _ in range(repeats)), 2)
            for name, command in (("help", [python, "-m", "core", "--help"]),
                                  ("classic_help", [python, "-m", "core", "classic", "--help"]))}


def phases() -> dict:
    finished = subprocess.run([sys.executable, "-c", PHASES, str(PHOTO), str(PAINTING)],
                              cwd=ROOT, check=True, capture_output=True, text=True)
    seen = json.loads(finished.stdout.strip().splitlines()[-1])
    first = seen["iteration_1"] - seen["fast_start"]
    return {"import_cli": round(seen["import_cli"], 2),
            "import_tensorflow_and_engine": round(seen["import_engine"], 2),
            "load_networks": round(seen["setup"], 2),
            "fast_start": round(seen["fast_start"], 2),
            "first_iteration": round(first, 2),
            "ordinary_iteration": round(seen["iteration_3"] - seen["iteration_2"], 2),
            "precision": seen["precision"], "evaluations_3_iterations": seen["evaluations"]}


def cli_run() -> float:
    with tempfile.TemporaryDirectory() as folder:
        return round(seconds_of([sys.executable, "-m", "core", "classic", "--content",
                                 str(PHOTO), "--style", str(PAINTING), "--size", "512",
                                 "--iterations", "2", "--out", f"{folder}/out.png"], ROOT), 2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="a commit to time --help against, e.g. 6eb15da")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    from core.machine import describe

    record = {"machine": describe(), "date": time.strftime("%Y-%m-%d"),
              "help_now": help_times(ROOT)}
    if args.before:
        with tempfile.TemporaryDirectory() as folder:
            old = Path(folder) / "before"
            subprocess.run(["git", "worktree", "add", "--detach", str(old), args.before],
                           cwd=ROOT, check=True, capture_output=True)
            try:
                record[f"help_at_{args.before}"] = help_times(old)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT,
                               check=True, capture_output=True)
    record["classic_512_phases"] = phases()
    record["classic_512_cli_two_iterations_wall"] = cli_run()
    print(json.dumps(record, indent=1))
    if args.json:
        args.json.write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
