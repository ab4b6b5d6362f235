"""Peak memory of the app's server while a browser uses the fast and compare pages.

    python bench/server_memory.py [--classic] [--json bench/results/server-memory.json]

Starts ``streamlit run app.py`` as a hosted demo would (optionally with the environment's
classic caps), drives Debian's Chromium through Playwright over: the home page; the fast
page (its default painting at its default size, 1080 px); the compare page's grid (every
bundled network at once) and its before/after slider; with ``--classic``, one classic run
at the capped size. After each step it reads the server process's resident memory now
(VmRSS) and its peak so far (VmHWM) from ``/proc``. Linux only. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WAIT_MS = 300_000


def memory_gib(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 2**20  # kB -> GiB
    return {"rss_gib": round(fields["VmRSS"], 3), "peak_gib": round(fields["VmHWM"], 3)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str) -> None:
    for _ in range(180):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not come up")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classic", action="store_true", help="also run one classic job")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    steps = []

    def record(step: str) -> None:
        time.sleep(1)
        steps.append({"step": step, **memory_gib(server.pid)})
        print(json.dumps(steps[-1]), flush=True)

    try:
        wait_healthy(url)
        record("server started")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium,
                                                 args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            page.goto(url)
            page.get_by_role("heading", name="Style Studio").first.wait_for(timeout=WAIT_MS)
            record("home page")
            page.goto(f"{url}/fast")
            page.get_by_text(re.compile(r" · painted in \d+\.\d+ s$")).first.wait_for(
                timeout=WAIT_MS)
            record("fast page: one painting at 1080 px")
            page.goto(f"{url}/compare")
            figures = page.locator('[data-testid="stImage"]').filter(
                has_text=re.compile(r" · fast · "))
            models = len(list((ROOT / "styles" / "models").glob("*.json")))
            figures.nth(models - 1).wait_for(timeout=WAIT_MS)
            record(f"compare page: grid of {models} paintings at 1080 px")
            page.goto(f"{url}/compare?view=slider")
            page.locator("iframe").first.wait_for(timeout=WAIT_MS)
            record("compare page: before/after slider")
            if args.classic:
                page.goto(f"{url}/classic")
                page.get_by_role("button", name="Run", exact=True).click()
                page.get_by_text(re.compile(r"^Done: \d+ iterations")).wait_for(
                    timeout=WAIT_MS * 4)
                record("classic page: one run at the capped size")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    peak = max(step["peak_gib"] for step in steps)
    print(f"\npeak resident memory of the server: {peak:.2f} GiB")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "environment": {k: v for k, v in os.environ.items() if k.startswith("STYLE_STUDIO")},
            "steps": steps, "peak_gib": peak}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
