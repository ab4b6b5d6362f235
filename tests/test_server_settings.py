"""The server the README starts does not watch the checkout's files.

With Streamlit's default file watcher a session puts a recursive inotify watch on the folder
of ``app.py``: the whole checkout, including the ``.venv`` the README creates there (7,000+
folders). The kernel's event queue overflowed again and again and an idle server with one
tab open used most of a core (RELIABILITY.md, section 6). ``.streamlit/config.toml`` turns the
watcher off; these tests read the setting the way ``streamlit run app.py`` does, from the
checkout with no flags, and count the inotify watches of a real server with a session open.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.serving import streamlit_server

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 60


def readme_env(home: Path) -> dict[str, str]:
    """The environment of someone who runs the README's command: no STREAMLIT_* settings and
    no personal ~/.streamlit/config.toml, so only the checkout's settings decide."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("STREAMLIT_")}
    env["HOME"] = str(home)
    return env


def test_the_products_settings_turn_the_file_watcher_off(tmp_path):
    probe = (
        "import json\n"
        "from streamlit import config\n"
        "print(json.dumps({name: [config.get_option(name), config.get_where_defined(name)]\n"
        "                  for name in ('server.fileWatcherType', 'server.runOnSave')}))\n"
    )
    reply = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=readme_env(tmp_path),
                           capture_output=True, text=True, timeout=60, check=True)
    options = json.loads(reply.stdout.strip().splitlines()[-1])
    watcher, where = options["server.fileWatcherType"]
    assert watcher == "none"
    assert Path(where) == ROOT / ".streamlit" / "config.toml"
    assert options["server.runOnSave"][0] is False


def active_sessions(url: str) -> int:
    with urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=5) as reply:
        for line in reply.read().decode().splitlines():
            if line.startswith("active_sessions "):
                return int(float(line.split()[1]))
    return 0


def inotify_watches(pid: int) -> list[tuple[int, int]]:
    """(device, inode) of every inotify watch the process holds."""
    watches = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd) != "anon_inode:inotify":
                continue
            info = Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text()
        except OSError:
            continue
        for line in info.splitlines():
            if line.startswith("inotify wd:"):
                fields = dict(part.split(":", 1) for part in line.split()[1:] if ":" in part)
                sdev = int(fields["sdev"], 16)  # the kernel's encoding: major << 20 | minor
                watches.append((os.makedev(sdev >> 20, sdev & 0xFFFFF), int(fields["ino"], 16)))
    return watches


def checkout_folders() -> dict[int, str]:
    """inode -> path (relative to the checkout) of every folder in the checkout, .venv too."""
    folders = {ROOT.stat().st_ino: "."}
    for top, names, _ in os.walk(ROOT):
        for name in names:
            path = Path(top, name)
            try:
                folders[path.stat().st_ino] = str(path.relative_to(ROOT))
            except OSError:
                pass
    return folders


@pytest.mark.skipif(not Path("/proc/self/fdinfo").is_dir(), reason="reads /proc (Linux)")
def test_a_server_started_as_the_readme_says_watches_no_folder_of_the_checkout(tmp_path):
    from websockets.sync.client import connect

    # The README's `streamlit run app.py` from the checkout; only where to listen is added.
    with streamlit_server(tmp_path / "server.log", env=readme_env(tmp_path)) as (url, server):
        # A session is what installs Streamlit's source watchers (a browser tab's websocket).
        stream = url.replace("http://", "ws://") + "/_stcore/stream"
        with connect(stream, subprotocols=["streamlit"]):
            deadline = time.monotonic() + 20
            while active_sessions(url) < 1:
                assert time.monotonic() < deadline, "the websocket made no session"
                time.sleep(0.1)
            watches = inotify_watches(server.pid)
            device = ROOT.stat().st_dev
            folders = checkout_folders()
            watched_here = sorted(folders[inode] for dev, inode in watches
                                  if dev == device and inode in folders)
            in_venv = [name for name in watched_here if name.split(os.sep)[0] == ".venv"]
            assert len(in_venv) == 0, f"{len(in_venv)} folders of .venv watched: {in_venv[:3]}"
            assert len(watched_here) == 0, f"checkout folders watched: {watched_here[:5]}"
            assert len(watches) == 0
