"""The Ray cluster the Ray tests run against: a real one, several nodes on loopback.

``address()`` returns ``$STYLE_STUDIO_TEST_RAY_ADDRESS`` when it is set (``.ci/run`` starts
a two-node cluster with ``scripts/ray_cluster.py`` and exports it, together with the
cluster's token: ``RAY_AUTH_MODE=token``, ``RAY_AUTH_TOKEN_PATH``). Outside CI (``$CI``
unset) it starts a private two-node cluster on 127.0.0.4 and 127.0.0.5 the first time it is
called, under a fresh temp dir, points this process's Ray at its token, and stops it (only
its own processes) and removes the temp dir when the process exits. In CI a missing address
is an error: the Ray tests must run there, not skip.

Run the tests against a cluster of your own with its address in
``$STYLE_STUDIO_TEST_RAY_ADDRESS`` and, if it requires a token, ``RAY_AUTH_MODE=token`` and
``RAY_AUTH_TOKEN_PATH`` set before pytest starts.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "ray_cluster.py"
ADDRESS_VARIABLE = "STYLE_STUDIO_TEST_RAY_ADDRESS"
# Not 127.0.0.2/.3 (CI's cluster and people's own): a private cluster never meets them.
PRIVATE_HEAD, PRIVATE_WORKER = "127.0.0.4", "127.0.0.5"
START_SECONDS = 180  # two nodes take about 10 s on an idle 2-core machine

_lock = threading.Lock()
_private: dict[str, str] = {}  # "address", "temp_dir" of the cluster this process started


def address() -> str:
    """The address (``HOST:PORT``) of the test cluster, started here if need be."""
    given = os.environ.get(ADDRESS_VARIABLE)
    if given:
        return given
    if os.environ.get("CI"):
        raise RuntimeError(
            f"${ADDRESS_VARIABLE} is not set: in CI the Ray tests need the cluster that "
            ".ci/run starts (python scripts/ray_cluster.py start --temp-dir DIR) and names "
            "in that variable")
    with _lock:
        if not _private:
            _start_private()
        return _private["address"]


def use_cluster_token(temp_dir: str | os.PathLike) -> None:
    """Make this process's Ray (and the processes it starts) present the token of the
    cluster started with ``--temp-dir temp_dir``. Ray reads these variables when it is
    imported; if it already is, its configuration is read again."""
    token = str(Path(temp_dir) / "auth_token")
    if (os.environ.get("RAY_AUTH_MODE"), os.environ.get("RAY_AUTH_TOKEN_PATH")) == (
            "token", token):
        return
    os.environ["RAY_AUTH_MODE"] = "token"
    os.environ["RAY_AUTH_TOKEN_PATH"] = token
    os.environ.pop("RAY_AUTH_TOKEN", None)  # would win over the file
    raylet = sys.modules.get("ray._raylet")
    if raylet is not None:  # imported before this call: make it see the token
        raylet.Config.initialize("")
        raylet.AuthenticationTokenLoader.instance().reset_cache()


def _short_temp_root() -> str:
    # Ray's Unix socket paths live under the temp dir (107 bytes at most): keep it short.
    root = tempfile.gettempdir()
    return root if len(root) <= 16 else "/tmp"


def _start_private() -> None:
    temp_dir = tempfile.mkdtemp(prefix="ssray-", dir=_short_temp_root())
    command = [sys.executable, str(SCRIPT), "start", "--temp-dir", temp_dir,
               "--head-ip", PRIVATE_HEAD, "--worker-ip", PRIVATE_WORKER,
               "--cpus-per-node", "1", "--object-store-mb", "100", "--nodes", "2"]
    try:
        started = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                                 stdin=subprocess.DEVNULL, timeout=START_SECONDS)
    except subprocess.TimeoutExpired:
        _stop(temp_dir)
        raise RuntimeError(f"the private Ray cluster took over {START_SECONDS} s to start; "
                           f"see {temp_dir}") from None
    lines = [line for line in started.stdout.splitlines() if line.startswith("RAY_ADDRESS=")]
    if started.returncode != 0 or not lines:
        _stop(temp_dir, remove=False)
        raise RuntimeError(f"could not start a private Ray cluster ({' '.join(command)}): "
                           f"{started.stderr.strip()[-3000:]}")
    atexit.register(_stop, temp_dir)
    use_cluster_token(temp_dir)
    _private.update(address=lines[-1].split("=", 1)[1], temp_dir=temp_dir)


def _stop(temp_dir: str, remove: bool = True) -> None:
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():  # leave before the cluster goes away
        ray.shutdown()
    stopped = subprocess.run([sys.executable, str(SCRIPT), "stop", "--temp-dir", temp_dir],
                             capture_output=True, text=True, cwd=ROOT,
                             stdin=subprocess.DEVNULL, timeout=120)
    if stopped.returncode != 0:
        print(f"tests/ray_cluster.py: stopping the private Ray cluster in {temp_dir} failed:"
              f" {stopped.stderr.strip()[-2000:]}", file=sys.stderr)
    elif remove:
        shutil.rmtree(temp_dir, ignore_errors=True)
