"""One way to start the real app for tests, benches and scripts: `python -m streamlit run
app.py` on a free loopback port, healthy before it is used, always stopped (only the process
started here, by its id)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 90  # a cold 2-core machine imports Streamlit and starts the server slowly
# Headless Chromium on a machine with no network: without these it keeps trying to reach
# Google's services, and as root it needs --no-sandbox.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, log_path: Path,
                       seconds: float = STARTUP_SECONDS) -> float:
    """Seconds until ``/_stcore/health`` answered; RuntimeError (with the log's tail) if the
    server exits or stays silent."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"streamlit did not become healthy:\n{log_path.read_text()[-3000:]}")


def stop(process: subprocess.Popen, seconds: float = 15) -> None:
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=seconds)


@contextmanager
def streamlit_server(log_path: Path, *, python: str = sys.executable,
                     env: Mapping[str, str] | None = None,
                     extra: Sequence[str] = ()) -> Iterator[tuple[str, subprocess.Popen]]:
    """(url, process) of the README's `streamlit run app.py` from the checkout, with only
    where to listen added (and ``extra`` flags); its output goes to ``log_path``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [python, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", *extra],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env=None if env is None else dict(env))
        try:
            wait_until_healthy(url, process, log_path)
            yield url, process
        finally:
            stop(process)
