"""Idle server CPU: the README's setup (a virtual environment inside the checkout), one tab open.

    python bench/idle_cpu.py [--python .venv/bin/python] [--settle 20] [--window 60]
                             [--extra=--server.fileWatcherType=auto]
                             [--json bench/results/idle-cpu.json]

Starts ``python -m streamlit run app.py`` from the checkout with the given interpreter
(default: ``.venv/bin/python`` inside the checkout, as the README's
``python3 -m venv .venv && ... && streamlit run app.py`` makes it), with no settings but the
address, port and headless mode, so ``.streamlit/config.toml`` decides everything else.
Opens one tab of the home page in Debian's Chromium through Playwright, waits until it shows
"Style Studio", lets it settle, then reads the server's CPU time (utime + stime from
``/proc/<pid>/stat``, the server and any process under it) at the start and end of the
window. Printed: the server's CPU use in % of one core over the window (and per 10 s
slice), and how many "Inotify queue overflowed" lines the server logged, in all and per
minute of the window.

``--extra`` passes one more streamlit flag (repeatable), e.g.
``--extra=--server.fileWatcherType=auto`` measures the behaviour before
``.streamlit/config.toml`` turned the file watcher off.

Linux only (reads /proc). Not a test: tests/test_server_settings.py checks the setting.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from core.machine import cpu_name  # noqa: E402
from tests.serving import CHROMIUM_ARGS, streamlit_server  # noqa: E402

OVERFLOW = "Inotify queue overflowed"
TICKS = os.sysconf("SC_CLK_TCK")
SLICE_SECONDS = 10.0


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()  # fields from the state on (field 3)


def _tree(pid: int) -> list[int]:
    """``pid`` and every live process under it."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents.setdefault(int(_stat_fields(int(entry.name))[1]), []).append(
                    int(entry.name))
            except (OSError, ValueError, IndexError):
                pass
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(parents.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and the processes under it (reaped children included)."""
    total = 0
    for member in _tree(pid):
        try:
            fields = _stat_fields(member)
        except OSError:
            continue
        # utime, stime, cutime, cstime are fields 14-17, i.e. 11-14 counted from field 3.
        total += sum(int(value) for value in fields[11:15])
    return total / TICKS


def overflow_lines(log_path: Path) -> int:
    return log_path.read_text(errors="replace").count(OVERFLOW)


def interpreter_prefix(python: str) -> str:
    return subprocess.run([python, "-c", "import sys; print(sys.prefix)"], check=True,
                          capture_output=True, text=True).stdout.strip()


def folders_under_checkout() -> int:
    count = 0
    for _, folders, _ in os.walk(ROOT):
        if ".git" in folders:
            folders.remove(".git")
        count += len(folders)
    return count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=str(ROOT / ".venv" / "bin" / "python"),
                        help="interpreter that runs streamlit (default: the checkout's .venv)")
    parser.add_argument("--settle", type=float, default=20.0,
                        help="seconds between the page showing and the window")
    parser.add_argument("--window", type=float, default=60.0, help="seconds measured")
    parser.add_argument("--extra", action="append", default=[],
                        help="one more streamlit flag, e.g. --extra=--server.fileWatcherType=auto")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--log", default=str(ROOT / "runs" / "idle-cpu-server.log"))
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    if not Path(args.python).exists():
        raise SystemExit(f"{args.python} does not exist; make it as the README does: "
                         "python3 -m venv .venv && . .venv/bin/activate && "
                         "pip install -r requirements.txt")
    from playwright.sync_api import sync_playwright

    prefix = interpreter_prefix(args.python)
    results = {
        "machine": f"{cpu_name()}, {os.cpu_count()} cores", "date": time.strftime("%Y-%m-%d"),
        "python": platform.python_version(), "interpreter": args.python, "sys.prefix": prefix,
        "venv_inside_checkout": Path(prefix).resolve().is_relative_to(ROOT),
        "folders_under_checkout": folders_under_checkout(), "extra_flags": args.extra,
        "settle_s": args.settle, "window_s": args.window,
    }
    log_path = Path(args.log)
    results["command"] = " ".join([args.python, "-m", "streamlit", "run", "app.py",
                                   *args.extra])
    with streamlit_server(log_path, python=args.python, env=os.environ,
                          extra=args.extra) as (url, server):
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=args.chromium,
                args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.goto(url)
                page.get_by_text("Style Studio").first.wait_for(timeout=180_000)
                time.sleep(args.settle)
                overflow_before = overflow_lines(log_path)
                slices = []
                start_cpu = last_cpu = cpu_seconds(server.pid)
                start = last = time.monotonic()
                while last - start < args.window - 1e-6:
                    time.sleep(min(SLICE_SECONDS, args.window - (last - start)))
                    now, cpu = time.monotonic(), cpu_seconds(server.pid)
                    slices.append(round(100 * (cpu - last_cpu) / (now - last), 1))
                    last, last_cpu = now, cpu
                if server.poll() is not None:
                    raise SystemExit("the server exited during the window")
                overflow_in_window = overflow_lines(log_path) - overflow_before
                page.close()
            finally:
                browser.close()
        elapsed = last - start
        results.update({
            "server_cpu_percent_of_one_core": round(100 * (last_cpu - start_cpu) / elapsed, 1),
            "per_10_s_slice": slices,
            "inotify_overflow_lines_total": overflow_lines(log_path),
            "inotify_overflow_lines_in_window": overflow_in_window,
            "inotify_overflow_lines_per_minute": round(60 * overflow_in_window / elapsed),
        })
    print(json.dumps(results, indent=2))
    print(f"idle server CPU: {results['server_cpu_percent_of_one_core']} % of one core; "
          f"'{OVERFLOW}': {results['inotify_overflow_lines_per_minute']} lines a minute")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
