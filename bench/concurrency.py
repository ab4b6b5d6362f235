"""Several strangers at once on one server: queue, health, memory, closed tabs, cancel.

    python bench/concurrency.py [--sessions 4] [--size 256] [--iterations 30]
                                [--json bench/results/concurrency.json]

Starts ``streamlit run app.py`` and drives Debian's Chromium through Playwright:

1. ``--sessions`` browser sessions (separate contexts: separate Streamlit sessions) each start
   a classic job, then switch to the fast page and wait for its painting, then return to the
   classic page and wait for their job's result. Recorded: the queue places each session was
   shown, that every job finished, each session's wait.
2. Meanwhile a thread asks ``/_stcore/health`` every 0.25 s (latency, failures) and another
   samples the server's resident memory every 0.25 s.
3. A closed tab: one more session starts a long job and its context is closed; recorded is
   how long until the server shows no job running, and the memory before and after.
4. Cancel: a session starts a run at the classic page's default size and presses Cancel;
   recorded is the time from the click to the page saying it stopped.

Linux only (reads /proc). Not a test: tests/test_browser.py checks the same promises small.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from core.classic import PRESETS  # noqa: E402
from core.machine import cpu_name  # noqa: E402
from tests.test_browser import NAV  # noqa: E402 - the app's page links

WAIT_MS = 600_000
JOBS_IDLE = re.compile(r"Jobs on this server: 0 of \d+ running, 0 waiting")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_gib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 2**20
    return 0.0


class Watcher:
    """Health latency and server memory, sampled on two threads until stopped."""

    def __init__(self, url: str, pid: int):
        self.url, self.pid = url, pid
        self.health: list[float] = []
        self.failures = 0
        self.memory: list[tuple[float, float]] = []  # (seconds since start, GiB)
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._threads = [threading.Thread(target=self._ask_health, daemon=True),
                         threading.Thread(target=self._sample_memory, daemon=True)]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _ask_health(self):
        while not self._stop.wait(0.25):
            asked = time.perf_counter()
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=5) as reply:
                    ok = reply.status == 200
            except OSError:
                ok = False
            if ok:
                self.health.append(time.perf_counter() - asked)
            else:
                self.failures += 1

    def _sample_memory(self):
        while not self._stop.wait(0.25):
            self.memory.append((time.monotonic() - self._started, rss_gib(self.pid)))

    def summary(self) -> dict:
        latencies = sorted(self.health)
        return {
            "health_checks": len(latencies), "health_failures": self.failures,
            "health_median_ms": round(1000 * statistics.median(latencies), 1),
            "health_p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1),
            "health_max_ms": round(1000 * latencies[-1], 1),
            "peak_rss_gib": round(max(gib for _, gib in self.memory), 3),
        }


def open_classic(page, url: str) -> None:
    page.goto(f"{url}/classic")
    page.get_by_role("heading", name="Classic style transfer").wait_for(timeout=WAIT_MS)
    page.get_by_text("Loss network:").wait_for(timeout=WAIT_MS)


def set_size_and_iterations(page, size: int, iterations: int) -> None:
    slider = page.get_by_role("slider").first
    slider.focus()
    page.keyboard.press("Home")
    for _ in range((size - 64) // 8):  # the size slider: 64 px up, in steps of 8
        page.keyboard.press("ArrowRight")
    field = page.get_by_role("spinbutton", name="Iterations")
    field.fill(str(iterations))
    field.press("Enter")
    page.wait_for_function(
        "n => [...document.querySelectorAll('input[type=number]')]"
        ".some(e => e.getAttribute('aria-label') === 'Iterations' && Number(e.value) === n)",
        arg=iterations)


def nav(page, name: str) -> None:
    page.locator(NAV).filter(has_text=name).click()


def progress_text(page) -> str:
    bar = page.locator('[data-testid="stProgress"]')
    bar.first.wait_for(timeout=WAIT_MS)
    return bar.first.inner_text()


def many_sessions(browser, url: str, sessions: int, size: int, iterations: int) -> dict:
    pages, contexts = [], []
    for _ in range(sessions):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        open_classic(page, url)
        set_size_and_iterations(page, size, iterations)
        pages.append(page)
    started = time.monotonic()
    shown = []
    for page in pages:
        page.get_by_role("button", name="Run", exact=True).click()
        shown.append(progress_text(page).split("·")[0].strip())
    for page in pages:  # everyone paints with a fast network while the classic jobs run
        nav(page, "Fast")
        page.get_by_text(re.compile(r" · painted in \d+\.\d+ s")).first.wait_for(
            timeout=WAIT_MS)
    finished = []
    for page in pages:
        nav(page, "Classic")
        page.get_by_text(re.compile(rf"^Done: {iterations} iterations in ")).wait_for(
            timeout=WAIT_MS)
        finished.append(round(time.monotonic() - started, 1))
    for context in contexts:
        context.close()
    return {"queue_shown": shown, "finished_after_s": finished,
            "all_finished": len(finished) == sessions}


def closed_tab(browser, url: str, server_pid: int) -> dict:
    observer = browser.new_context().new_page()
    open_classic(observer, url)
    context = browser.new_context()
    page = context.new_page()
    open_classic(page, url)
    set_size_and_iterations(page, 256, 3000)
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text(re.compile(r"^Iteration \d+ / 3000 · ")).wait_for(timeout=WAIT_MS)
    time.sleep(3)
    before = rss_gib(server_pid)
    closed = time.monotonic()
    context.close()
    while True:  # the sidebar counts the server's jobs on every rerun
        observer.reload()
        observer.get_by_text("Jobs on this server").wait_for(timeout=WAIT_MS)
        if observer.get_by_text(JOBS_IDLE).count():
            break
        assert time.monotonic() - closed < 120, "the closed tab's job still runs"
        time.sleep(1)
    freed_after = time.monotonic() - closed
    time.sleep(2)
    observer.context.close()
    return {"job_gone_after_close_s": round(freed_after, 1),
            "rss_before_close_gib": round(before, 3),
            "rss_after_gib": round(rss_gib(server_pid), 3)}


def cancel_delay(browser, url: str) -> dict:
    context = browser.new_context()
    page = context.new_page()
    open_classic(page, url)
    size = PRESETS["recommended"].size  # the page's default
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text(re.compile(r"^Iteration [3-9]\d* / ")).wait_for(timeout=WAIT_MS)
    pressed = time.monotonic()
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text(re.compile(r"^Cancelled at iteration \d+")).wait_for(timeout=WAIT_MS)
    shown = time.monotonic() - pressed
    context.close()
    return {"cancel_size_px": size, "cancel_to_page_says_stopped_s": round(shown, 2)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(ROOT / "runs" / "concurrency-server.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))
    results = {"machine": f"{cpu_name()}, {os.cpu_count()} cores", "date": time.strftime(
        "%Y-%m-%d"), "python": platform.python_version(), **vars(args)}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium,
                                                 args=["--no-sandbox", "--disable-gpu"])
            for _ in range(240):
                try:
                    urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                    break
                except OSError:
                    time.sleep(0.5)
            with Watcher(url, server.pid) as watcher:
                results["sessions_run"] = many_sessions(browser, url, args.sessions, args.size,
                                                        args.iterations)
                results["closed_tab"] = closed_tab(browser, url, server.pid)
                results["cancel"] = cancel_delay(browser, url)
            results["server"] = watcher.summary()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
