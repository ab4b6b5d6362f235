"""The Live page over minutes: one viewer streaming the fake camera (a real photo, panned)
through a real server, the server's memory, frame rates and CPU sampled.

    python bench/live.py [--minutes 5] [--viewers 1] [--json bench/results/live.json]

Runs tests/live_session.py's ``soak`` in a network namespace of its own holding only
loopback (``unshare``, ``ip``; Linux, as root or with user namespaces), then prints the
summary: resident memory at the first sample, the last and the highest, its slope over the
second half (MiB a minute), the painted frame rate's median and worst sample (the slowest
viewer's), the frames a second the browser received (painted or sent again), the cores the
server kept busy, and its memory 10 s after each viewer joined. Not a test.
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
sys.path.insert(0, str(ROOT))

from tests.live_session import private_network  # noqa: E402


def summary(soak: dict) -> dict:
    samples = soak["samples"]
    memory = [sample["rss_mib"] for sample in samples]
    fps = [sample["page_fps"] for sample in samples]
    half = samples[len(samples) // 2:]
    minutes = (half[-1]["seconds"] - half[0]["seconds"]) / 60
    slope = (half[-1]["rss_mib"] - half[0]["rss_mib"]) / minutes if minutes > 0 else 0.0
    return {"minutes": soak["minutes"], "viewers": soak["viewers"], "samples": len(samples),
            "rss_first_mib": memory[0], "rss_last_mib": memory[-1], "rss_max_mib": max(memory),
            "rss_slope_second_half_mib_per_min": round(slope, 2),
            "painted_fps_median": statistics.median(fps), "painted_fps_worst": min(fps),
            "browser_fps": round(soak["browser_fps"], 2),
            "server_cores": round(soak["streaming_cores"], 2),
            "last_statuses": samples[-1]["statuses"],
            "rss_as_viewers_joined_mib": soak["joined"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--viewers", type=int, default=1, help="browser sessions at once")
    parser.add_argument("--json", help="also write the samples and the summary here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "soak.json"
        subprocess.run(private_network([sys.executable, "-m", "tests.live_session", "soak",
                                        "--minutes", str(args.minutes), "--viewers",
                                        str(args.viewers), "--json", str(out)]),
                       cwd=ROOT, check=True)
        soak = json.loads(out.read_text())
    result = {"summary": summary(soak), "samples": soak["samples"]}
    print(json.dumps(result["summary"], indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
