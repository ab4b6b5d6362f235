"""Start, inspect and stop a local multi-node Ray cluster on loopback, for tests, CI and
benchmarks.

    python scripts/ray_cluster.py start --temp-dir DIR [--head-ip 127.0.0.2]
        [--worker-ip 127.0.0.3] [--port P] [--cpus-per-node 1] [--object-store-mb 100]
        [--nodes 2] [--no-auth]
    python scripts/ray_cluster.py status --temp-dir DIR
    python scripts/ray_cluster.py stop --temp-dir DIR

``start`` prints one line, ``RAY_ADDRESS=HEAD:PORT``, on stdout and writes the address to
``DIR/address.txt``. The head node is ``--head-ip``, further nodes ``--worker-ip``,
``--worker-ip`` + 1, ... (every address must be in 127.0.0.0/8); every node gets
``--cpus-per-node`` CPUs and an object store of ``--object-store-mb`` MB. It returns when
every node is alive: 6-11 s for two nodes on an idle 2-core machine, up to 20 s on a busy
one. ``DIR`` must be short (Ray puts Unix sockets under it, and a socket path has at most
107 bytes): ``mktemp -d`` is fine, pytest's ``tmp_path`` is not. Ray makes DIR
world-writable (mode 777) itself. Nodes run with the repository root as working directory
and on ``PYTHONPATH``, so tasks can ``import core``. ``stop`` takes about a second.
``status`` exits 0 while any process of the cluster runs, 3 when none does.

Authentication: Ray's servers listen on every interface (below), so by default the cluster
requires Ray's token authentication: ``start`` writes a random token to ``DIR/auth_token``
(mode 600) and every driver must run with ``RAY_AUTH_MODE=token`` and
``RAY_AUTH_TOKEN_PATH=DIR/auth_token`` in its environment *before it imports ray* (or call
``tests/ray_cluster.py``'s ``use_cluster_token``). Without them ``ray.init`` fails with
"Failed to connect to Ray cluster". ``--no-auth`` starts an open cluster instead.

What Ray 2.60 does, as measured on this machine:

* Listening. The GCS (``--port``), each raylet's node-manager and object-manager ports and
  each worker's gRPC port listen on all interfaces (``*:PORT``): Ray's C++ gRPC server binds
  ``0.0.0.0`` and has no option to bind the node IP only. The runtime-env agent listens on
  the node IP, the Ray client server on the head IP and 127.0.0.1 (port chosen here, not the
  default 10001, so two clusters on one host never collide). With ``--include-dashboard
  false`` the dashboard process runs in minimal mode without its web server and the
  dashboard agents open no HTTP port. Traffic is loopback only: every connection is between
  127.x addresses (a driver reaches the head from 127.0.0.1).
* Drivers. ``ray.init(address="HEAD:PORT")`` alone is enough on this host: the driver finds
  no raylet on its own address (127.0.0.1) and attaches to the head node; no
  ``_node_ip_address`` needed.
* Worker ports. ``--min-worker-port 0 --max-worker-port 0``: workers take ports from the
  kernel instead of Ray's default 10002-19999 range, which every cluster on a host shares.
* Temp dir. A non-head node accepts ``--temp-dir`` but does not need it (it takes the
  head's); it is passed anyway.
* Finding our processes (for ``stop``/``status``). gcs_server, raylet, monitor.py,
  log_monitor.py and dashboard.py carry DIR in their command line; the Ray client server
  (``python -m ray.util.client.server --address=HEAD:PORT ...``) does not, nor do the
  raylets' children (``ray::DashboardAgent``, ``ray::RuntimeEnvAgent``, workers
  ``ray::IDLE``/``ray::<task>``, which rewrite their command line). ``ray start`` exits once
  its node is up, so the daemons' parent is init. A process is ours when its command line
  names DIR (as a path, not as the prefix of another path), or its environment carries
  ``STYLE_STUDIO_RAY_CLUSTER=DIR`` (set for every process ``start`` launches and inherited
  by their children: this is what finds the client server; the agents' new title
  overwrites their environment block, workers keep it), or it descends from one that is.
  When a raylet dies, even by SIGKILL, its agents, workers and the workers' own children
  go with it: nothing is left that could not be found. The GCS address is deliberately
  not a criterion: once this cluster is gone, another one may hold the same address. This
  script itself, its ancestors and drivers connected to the cluster are never ours.
  ``ray stop`` is never used: it stops every Ray process of the host.
* Stopping. In ``ray stop``'s order (raylets, the rest, the GCS): so stopped, everything
  exits on SIGTERM within a second. Signalled all at once (as when a terminal's Ctrl-C or
  a CI runner signals the whole process group, which the daemons share with whoever ran
  ``start``), the GCS and the autoscaler monitor hang after SIGTERM and need the SIGKILL
  that ``stop`` sends ``STOP_GRACE`` seconds later.
"""

from __future__ import annotations

import argparse
import errno
import importlib.util
import ipaddress
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = "STYLE_STUDIO_RAY_CLUSTER"
MAX_TEMP_DIR = 40  # bytes: Ray's socket paths add ~65 to it, a Unix socket path holds 107
STOP_GRACE = 5.0  # seconds between SIGTERM and SIGKILL, per step (``ray stop``: 16/3)


class ClusterError(RuntimeError):
    """The cluster could not be started or stopped; the message says why."""


def fail(message: str) -> None:
    print(f"ray_cluster: {message}", file=sys.stderr)
    sys.exit(1)


# --- addresses and ports ---------------------------------------------------------------------


def loopback(text: str) -> str:
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not an IPv4 address") from error
    if not address.is_loopback:
        raise argparse.ArgumentTypeError(f"{text} is not a loopback address (127.0.0.0/8)")
    return str(address)


def node_ips(head: str, first_worker: str, nodes: int) -> list[str]:
    start = ipaddress.IPv4Address(first_worker)
    workers = [str(start + i) for i in range(nodes - 1)]
    for ip in workers:
        if not ipaddress.IPv4Address(ip).is_loopback:
            raise ClusterError(f"node address {ip} leaves 127.0.0.0/8; lower --worker-ip")
    if head in workers:
        raise ClusterError(f"the head address {head} is also a worker's address")
    return [head, *workers]


def _bindable(family: int, host: str, port: int) -> bool:
    try:
        probe = socket.socket(family, socket.SOCK_STREAM)
    except OSError:  # no IPv6 on this host: nothing can hold the port there
        return family == socket.AF_INET6
    with probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            return family == socket.AF_INET6 and error.errno == errno.EADDRNOTAVAIL
    return True


def port_is_free(host: str, port: int) -> bool:
    return all(_bindable(family, address, port) for family, address in (
        (socket.AF_INET, host), (socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")))


def free_port(host: str) -> int:
    """A port free on ``host`` and on the wildcard addresses (the GCS binds ``*:PORT``)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
        if _bindable(socket.AF_INET, "0.0.0.0", port) and _bindable(
                socket.AF_INET6, "::", port):
            return port
    raise ClusterError(f"found no free port on {host}")


# --- processes -------------------------------------------------------------------------------


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:  # gone, or not ours to read
        return None


def _processes() -> dict[int, tuple[int, str, list[str]]]:
    """pid -> (parent pid, state, argv) of every live process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _read(f"/proc/{entry}/stat")
        cmdline = _read(f"/proc/{entry}/cmdline")
        if stat is None or cmdline is None:
            continue
        fields = stat.rsplit(b")", 1)[1].split()  # the name may hold spaces and parentheses
        argv = [arg.decode(errors="replace") for arg in cmdline.split(b"\0") if arg]
        table[int(entry)] = (int(fields[1]), fields[0].decode(), argv)
    return table


def _ancestors(pid: int, table) -> set[int]:
    seen = set()
    while pid in table and pid not in seen and pid > 1:
        seen.add(pid)
        pid = table[pid][0]
    return seen


def read_address(temp_dir: Path) -> str | None:
    try:
        return (temp_dir / "address.txt").read_text().strip() or None
    except OSError:
        return None


def cluster_processes(temp_dir: Path) -> dict[int, str]:
    """pid -> command line of every live process of the cluster in ``temp_dir``."""
    table = _processes()
    names_dir = re.compile(r"(?:^|[=,:\s])" + re.escape(str(temp_dir)) + r"(?:/|$)")
    marker = f"{MARKER}={temp_dir}".encode() + b"\0"
    spared = _ancestors(os.getpid(), table)
    ours = set()
    for pid, (_, state, argv) in table.items():
        if pid in spared or state == "Z":
            continue
        if any(names_dir.search(arg) for arg in argv):
            ours.add(pid)
            continue
        environ = _read(f"/proc/{pid}/environ")
        if environ and (b"\0" + environ).find(b"\0" + marker) >= 0:
            ours.add(pid)
    # ...and every descendant of those (workers and agents rewrite their command line).
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    stack = list(ours)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in ours and child not in spared and table[child][1] != "Z":
                ours.add(child)
                stack.append(child)
    return {pid: " ".join(table[pid][2]) or f"[{table[pid][1]}]" for pid in sorted(ours)}


def _identity(pid: int) -> tuple[int, int] | None:
    """(pid, start time) of a live process, None when it is gone or a zombie: a pid the
    kernel gives to a new process meanwhile is not the same process."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    fields = stat.rsplit(b")", 1)[1].split()
    return None if fields[0] == b"Z" else (pid, int(fields[19]))


def _signal(identities: dict, sig: int) -> None:
    for identity in identities:
        if _identity(identity[0]) == identity:
            try:
                os.kill(identity[0], sig)
            except ProcessLookupError:
                pass


def _wait_gone(identities: dict, seconds: float) -> list:
    deadline = time.monotonic() + seconds
    while True:
        alive = [i for i in identities if _identity(i[0]) == i]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)


def _program(command: str) -> str:
    return os.path.basename(command.split(" ", 1)[0])


def stop_cluster(temp_dir: Path, grace: float = STOP_GRACE) -> tuple[dict, dict]:
    """Stop every process of the cluster in ``ray stop``'s order: raylets first, then the
    rest, the GCS last. A raylet takes its workers and agents with it; any of them still
    there after ``grace`` seconds is stopped by its (pid, start time), since once its raylet
    is gone neither its command line nor its parent names the cluster. Each step sends
    SIGTERM, then SIGKILL to what is left after ``grace`` seconds; a last sweep catches
    anything started meanwhile. Returns the processes signalled and those that needed
    SIGKILL (pid -> command line)."""
    signalled: dict[int, str] = {}
    killed: dict[int, str] = {}

    def stop(group: dict, terminate: dict) -> None:
        signalled.update({identity[0]: command for identity, command in group.items()})
        _signal(terminate, signal.SIGTERM)
        left = _wait_gone(group, grace)
        orphans = set(left) - set(terminate)
        if orphans:
            _signal(dict.fromkeys(orphans), signal.SIGTERM)
            left = _wait_gone(left, 2.0)
        killed.update({identity[0]: group[identity] for identity in left})
        _signal(dict.fromkeys(left), signal.SIGKILL)
        _wait_gone(left, 5.0)

    def snapshot() -> tuple[dict, dict]:
        table = _processes()
        found = {}
        for pid, command in cluster_processes(temp_dir).items():
            identity = _identity(pid)
            if identity:
                found[identity] = command
        parents = {identity: table.get(identity[0], (0,))[0] for identity in found}
        return found, parents

    found, parents = snapshot()
    raylets = {i: c for i, c in found.items() if _program(c) == "raylet"}
    family, frontier = dict(raylets), {i[0] for i in raylets}
    while frontier:  # the raylets' descendants, snapshotted while their parents live
        children = {i: c for i, c in found.items() if parents[i] in frontier and i not in family}
        family.update(children)
        frontier = {i[0] for i in children}
    if family:
        stop(family, raylets)
    for step in (lambda name: name != "gcs_server", lambda name: True, lambda name: True):
        found, _ = snapshot()
        group = {i: c for i, c in found.items() if step(_program(c))}
        if group:
            stop(group, group)
    left = cluster_processes(temp_dir)
    if left:
        raise ClusterError("still running after SIGKILL: "
                           + "; ".join(f"{pid} {cmd[:120]}" for pid, cmd in left.items()))
    (temp_dir / "address.txt").unlink(missing_ok=True)  # no longer this cluster's address
    return signalled, killed


# --- start -----------------------------------------------------------------------------------


def _ray_command() -> list[str]:
    beside = Path(sys.executable).with_name("ray")
    if beside.exists():
        return [str(beside)]
    return [sys.executable, "-c", "import sys; from ray.scripts.scripts import main; "
            "sys.argv[0] = 'ray'; sys.exit(main())"]


def node_environment(temp_dir: Path, auth: bool) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("RAY_ADDRESS", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN",
                          "RAY_AUTH_TOKEN_PATH", MARKER)}
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    if auth:
        env["RAY_AUTH_MODE"] = "token"
        env["RAY_AUTH_TOKEN_PATH"] = str(temp_dir / "auth_token")
    else:
        env["RAY_AUTH_MODE"] = "disabled"  # not ~/.ray/auth_token's say-so
    return env


def _run_ray(args: list[str], env: dict, log: Path, timeout: float) -> None:
    with open(log, "ab") as out:
        out.write(("$ ray " + " ".join(args) + "\n").encode())
        out.flush()
        try:
            done = subprocess.run(_ray_command() + args, cwd=ROOT, env=env,
                                  stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise ClusterError(f"`ray {args[0]}` took over {timeout:.0f} s; see {log}") from error
    if done.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise ClusterError(f"`ray {' '.join(args[:3])}` failed ({done.returncode}); "
                           f"end of {log}:\n" + "\n".join(tail))


WAIT_FOR_NODES = """
import sys, time, ray
ray.init(address=sys.argv[1], logging_level="ERROR", log_to_driver=False)
want, deadline = int(sys.argv[2]), time.monotonic() + float(sys.argv[3])
while True:
    alive = sorted(n["NodeManagerAddress"] for n in ray.nodes() if n["Alive"])
    if len(alive) >= want or time.monotonic() > deadline:
        break
    time.sleep(0.2)
print(" ".join(alive))
sys.exit(0 if len(alive) >= want else 1)
"""


def start_cluster(temp_dir: Path, head_ip: str, worker_ip: str, port: int | None, cpus: int,
                  object_store_mb: int, nodes: int, auth: bool = True,
                  timeout: float = 120.0) -> str:
    if nodes < 1:
        raise ClusterError("--nodes must be at least 1")
    if len(str(temp_dir)) > MAX_TEMP_DIR:
        raise ClusterError(f"--temp-dir {temp_dir} is {len(str(temp_dir))} bytes; at most "
                           f"{MAX_TEMP_DIR} (Ray's Unix socket paths live under it)")
    ips = node_ips(head_ip, worker_ip, nodes)
    if port is not None and not port_is_free(head_ip, port):
        # Not only a failed start: the GCS listens on every address, so `ray start` would
        # find the cluster holding the port through HEAD:PORT and write to it.
        raise ClusterError(f"port {port} is taken (the GCS needs it on every address); "
                           "leave --port out to get a free one")
    temp_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if cluster_processes(temp_dir):
        raise ClusterError(f"a cluster is already running in {temp_dir}; stop it first")
    (temp_dir / "address.txt").unlink(missing_ok=True)
    if auth:
        token = temp_dir / "auth_token"
        token.unlink(missing_ok=True)
        descriptor = os.open(token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    env = node_environment(temp_dir, auth)
    env[MARKER] = str(temp_dir)
    common = ["--num-cpus", str(cpus), "--object-store-memory", str(object_store_mb * 10**6),
              "--min-worker-port", "0", "--max-worker-port", "0",
              "--temp-dir", str(temp_dir), "--disable-usage-stats"]
    log = temp_dir / "ray_start.log"
    began = time.monotonic()
    try:
        for attempt in range(3):  # a chosen port can be taken before the GCS binds it
            gcs_port = port or free_port(head_ip)
            address = f"{head_ip}:{gcs_port}"
            client = []  # Ray starts a client server only where grpc is installed
            if importlib.util.find_spec("grpc") is not None:
                client_port = free_port(head_ip)
                while client_port == gcs_port:
                    client_port = free_port(head_ip)
                client = ["--ray-client-server-port", str(client_port)]
            try:
                _run_ray(["start", "--head", "--node-ip-address", head_ip,
                          "--port", str(gcs_port), *client,
                          "--include-dashboard", "false", *common], env, log, timeout)
                break
            except ClusterError:
                stop_cluster(temp_dir, grace=5.0)
                if port or attempt == 2:
                    raise
        (temp_dir / "address.txt").write_text(address + "\n")
        for ip in ips[1:]:
            _run_ray(["start", "--address", address, "--node-ip-address", ip, *common],
                     env, log, timeout)
        left = max(5.0, timeout - (time.monotonic() - began))
        driver_env = {k: v for k, v in env.items() if k != MARKER}
        try:
            waited = subprocess.run([sys.executable, "-c", WAIT_FOR_NODES, address,
                                     str(nodes), str(left)], cwd=temp_dir, env=driver_env,
                                    stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                    timeout=left + 30)
        except subprocess.TimeoutExpired as error:
            raise ClusterError(f"the cluster at {address} did not answer") from error
        if waited.returncode != 0:
            raise ClusterError(f"not every node came up at {address}: alive "
                               f"{waited.stdout.strip() or 'none'}; "
                               f"{waited.stderr.strip()[-1500:]}")
        alive = set(waited.stdout.split())
        if not set(ips) <= alive:
            raise ClusterError(f"expected nodes {ips}, alive: {sorted(alive)}")
    except BaseException:
        try:
            stop_cluster(temp_dir, grace=5.0)
        except ClusterError as error:
            print(f"ray_cluster: cleaning up: {error}", file=sys.stderr)
        raise
    return address


# --- command line ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start the cluster, print RAY_ADDRESS=HOST:PORT")
    for command in (start, commands.add_parser("stop", help="stop every process of it"),
                    commands.add_parser("status", help="its address and processes")):
        command.add_argument("--temp-dir", required=True, type=Path,
                             help="Ray's temp dir; names the cluster (short: mktemp -d)")
    start.add_argument("--head-ip", type=loopback, default="127.0.0.2")
    start.add_argument("--worker-ip", type=loopback, default="127.0.0.3",
                       help="the first non-head node; the next ones count up from it")
    start.add_argument("--port", type=int, default=None, help="GCS port (default: a free one)")
    start.add_argument("--cpus-per-node", type=int, default=1)
    start.add_argument("--object-store-mb", type=int, default=100)
    start.add_argument("--nodes", type=int, default=2, help="nodes, the head included")
    start.add_argument("--no-auth", action="store_true",
                       help="no token authentication (anyone who can reach the ports can "
                            "run code on the cluster)")
    start.add_argument("--timeout", type=float, default=120.0, help="seconds to come up")
    args = parser.parse_args(argv)
    temp_dir = Path(os.path.realpath(args.temp_dir))

    try:
        if args.command == "start":
            began = time.monotonic()
            address = start_cluster(temp_dir, args.head_ip, args.worker_ip, args.port,
                                    args.cpus_per_node, args.object_store_mb, args.nodes,
                                    auth=not args.no_auth, timeout=args.timeout)
            print(f"ray_cluster: {args.nodes} nodes up in {time.monotonic() - began:.1f} s "
                  f"(temp dir {temp_dir})", file=sys.stderr)
            print(f"RAY_ADDRESS={address}", flush=True)
        elif args.command == "stop":
            began = time.monotonic()
            stopped, killed = stop_cluster(temp_dir)
            print(f"ray_cluster: stopped {len(stopped)} processes in "
                  f"{time.monotonic() - began:.1f} s", file=sys.stderr)
            for pid, cmd in killed.items():
                print(f"ray_cluster: needed SIGKILL: {pid} {cmd[:100]}", file=sys.stderr)
        else:
            found = cluster_processes(temp_dir)
            print(f"address {read_address(temp_dir) or '-'}; {len(found)} processes")
            for pid, cmd in found.items():
                print(f"{pid:>8} {cmd[:150]}")
            return 0 if found else 3
    except ClusterError as error:
        fail(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
