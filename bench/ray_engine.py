"""The Ray engine on this machine: batch throughput on one node against two, the engine's
overhead against the local one for a classic job, and memory per worker.

    python bench/ray_engine.py [--photos 24] [--size 1080] [--classic-size 384]

Two machines are simulated on one: each node of a loopback cluster (scripts/ray_cluster.py)
is pinned to a core of its own (the raylet and every process it starts, so TensorFlow in a
worker sees one CPU; the CLI shares core 0 with the head node in both runs), and a batch of
real photos is painted by the any-painting network through ``python -m core batch --engine
ray``, first on one node, then on two. Each cluster paints a warm-up batch first (workers
import TensorFlow and load the networks once), so the figures are a warm worker's. The
overhead: the same classic jobs (three photo/painting pairs) on the local engine in this
process and on a one-node cluster whose worker has both cores, after a warm-up job on each,
alternating. Prints Markdown for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import ray_cluster  # noqa: E402  (scripts/ray_cluster.py)

from core.machine import cpu_name  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "data" / "photos"
PAINTING = ROOT / "styles" / "starry_night.jpg"
PAIRS = [("categorization_fishes_fish25.jpg", "wave.jpg"),
         ("explore_monuments_france_eiffelTower.jpg", "starry_night.jpg"),
         ("categorization_others_baseball.jpg", "the_scream.jpg")]


def start(nodes: int, cpus: int) -> tuple[str, Path]:
    temp_dir = Path(tempfile.mkdtemp(prefix="ssb-", dir="/tmp"))
    address = ray_cluster.start_cluster(temp_dir, "127.0.0.8", "127.0.0.9", None, cpus, 150,
                                        nodes)
    os.environ.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(temp_dir / "auth_token"))
    return address, temp_dir


def stop(temp_dir: Path) -> None:
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        ray.shutdown()
    ray_cluster.stop_cluster(temp_dir)
    shutil.rmtree(temp_dir, ignore_errors=True)


def pin_nodes(temp_dir: Path) -> dict[str, int]:
    """Pin each node's raylet and all its descendants to one core: node i -> core i."""
    processes = ray_cluster.cluster_processes(temp_dir)
    raylets = {}
    for pid, command in processes.items():
        if "/raylet " in command or command.endswith("/raylet"):
            ip = command.split("--node_ip_address=")[1].split()[0]
            raylets[ip] = pid
    pinned = {}
    for core, (ip, raylet) in enumerate(sorted(raylets.items())):
        for pid in [raylet, *descendants(raylet)]:
            try:
                os.sched_setaffinity(pid, {core})
            except ProcessLookupError:
                continue
        pinned[ip] = core
    return pinned


def descendants(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = []
    try:
        direct = [int(child) for child in children.read_text().split()]
    except OSError:
        return found
    for child in direct:
        found += [child, *descendants(child)]
    return found


def batch(address: str, photos: Path, out: Path, size: int, nice: int) -> dict:
    command = [sys.executable, "-m", "core", "batch", "--content", str(photos),
               "--style-image", str(PAINTING), "--size", str(size), "--out", str(out),
               "--engine", "ray", "--ray-address", address]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # The driver (the CLI) shares core 0 with node 0 in both runs: with one node, core 1
    # must stay idle, as a second machine that is not there would. At ``nice`` 19 it takes
    # only what node 0 leaves, as a driver on a machine of its own would.
    def pin_and_nice():
        os.sched_setaffinity(0, {0})
        os.nice(nice)

    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=1800,
                          preexec_fn=pin_and_nice)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    summary["driver_cpu_seconds"] = (after.ru_utime - before.ru_utime
                                     + after.ru_stime - before.ru_stime)
    return summary


def memory(temp_dir: Path) -> dict[str, list[float]]:
    """Resident memory (MB) of the cluster's actor processes, by title."""
    found: dict[str, list[float]] = {}
    for pid, command in ray_cluster.cluster_processes(temp_dir).items():
        if not command.startswith("ray::"):
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        rss = int(status.split("VmRSS:")[1].split()[0]) / 1024
        found.setdefault(command.split()[0], []).append(round(rss))
    return found


def throughput(args, work: Path) -> list[dict]:
    photos = work / "photos"
    photos.mkdir()
    chosen = sorted(PHOTOS.glob("*.jpg"))[: args.photos + 4]
    warm = work / "warm"
    warm.mkdir()
    for path in chosen[:4]:
        shutil.copy(path, warm / path.name)
    for path in chosen[4:]:
        shutil.copy(path, photos / path.name)
    rows = []
    for nodes in (1, 2):
        address, temp_dir = start(nodes, 1)
        try:
            pinned = pin_nodes(temp_dir)
            cold = batch(address, warm, work / f"warm-out-{nodes}", args.size, args.driver_nice)
            summary = batch(address, photos, work / f"out-{nodes}", args.size, args.driver_nice)
            rows.append({"nodes": nodes, "pinned": pinned, "cold": cold, "warm": summary,
                         "memory": memory(temp_dir)})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        finally:
            stop(temp_dir)
    return rows


def classic_jobs(args) -> dict:
    from core import images
    from core.classic import preset
    from core.engine import ClassicTask, EngineSettings, open_engine
    from core.engine.local import LocalEngine

    config = preset("recommended", size=args.classic_size)
    tasks = [ClassicTask(images.load_image(PHOTOS / photo),
                         (images.load_image(ROOT / "styles" / painting),), config,
                         content_name=photo, style_names=(painting,))
             for photo, painting in PAIRS]
    address, temp_dir = start(1, 2)  # one node, its worker on both cores, as the local one
    try:
        engines = {"local": LocalEngine(slots=1),
                   "ray": open_engine(EngineSettings(engine="ray", ray_address=address))}
        for engine in engines.values():  # warm-up: TensorFlow, the network, the traces
            job = engine.submit("bench", tasks[0])
            job.wait()
        seconds = {name: [] for name in engines}
        for task in tasks:
            for name in (("local", "ray") if len(seconds["ray"]) % 2 else ("ray", "local")):
                started = time.perf_counter()
                job = engines[name].submit("bench", task)
                job.wait()
                assert job.status == "done", job.error
                seconds[name].append(time.perf_counter() - started)
        mem = memory(temp_dir)
    finally:
        stop(temp_dir)
    ratios = [r / loc for r, loc in zip(seconds["ray"], seconds["local"], strict=True)]
    return {"seconds": seconds, "ratios": ratios, "memory": mem}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--size", type=int, default=1080)
    parser.add_argument("--classic-size", type=int, default=384)
    parser.add_argument("--driver-nice", type=int, default=0,
                        help="niceness of the CLI (19: it yields core 0 to node 0)")
    parser.add_argument("--skip-classic", action="store_true", help="throughput only")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    try:
        rows = throughput(args, work)
        overhead = None if args.skip_classic else classic_jobs(args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(args, rows, overhead)


def painting_seconds(summary: dict) -> float:
    return summary["seconds"] - summary["connect_seconds"]


def report(args, rows, overhead) -> None:
    flags = (f"--photos {args.photos} --size {args.size} --classic-size {args.classic_size} "
             f"--driver-nice {args.driver_nice}")
    print(f"`python bench/ray_engine.py {flags}` on {cpu_name()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}.\n")
    print("| nodes (1 core each) | photos | seconds | s per photo | photos/s | nodes used |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        warm = row["warm"]
        painting = painting_seconds(warm)
        print(f"| {row['nodes']} | {warm['done']} | {painting:.1f} | "
              f"{painting / warm['done']:.3f} | {warm['done'] / painting:.2f} | "
              f"{warm['nodes']} |")
    print(f"\n(Seconds from the first photo submitted to the last written, without joining "
          f"the cluster: {rows[0]['warm']['connect_seconds']:.1f} s and "
          f"{rows[1]['warm']['connect_seconds']:.1f} s. The CLI, pinned to core 0 with node 0, "
          f"used {rows[1]['warm']['driver_cpu_seconds']:.1f} s of CPU on the two-node run, "
          f"importing and joining the cluster included.)")
    speedup = painting_seconds(rows[0]["warm"]) / painting_seconds(rows[1]["warm"])
    print(f"\nTwo nodes against one: {speedup:.2f}x (same run). Cold (first batch, 4 photos, "
          f"workers importing TensorFlow): {rows[0]['cold']['seconds']:.1f} s on one node, "
          f"{rows[1]['cold']['seconds']:.1f} s on two.\n")
    if overhead is None:
        return
    print("| classic job (recommended, "
          f"{args.classic_size} px) | local s | ray s | ray / local |")
    print("|---|---|---|---|")
    for (photo, painting), loc, ray_s, ratio in zip(
            PAIRS, overhead["seconds"]["local"], overhead["seconds"]["ray"],
            overhead["ratios"], strict=True):
        print(f"| {photo} + {painting} | {loc:.1f} | {ray_s:.1f} | {ratio:.3f} |")
    ratios = overhead["ratios"]
    print(f"\nRay / local: median {statistics.median(ratios):.3f}, worst {max(ratios):.3f}.\n")
    print("Memory (resident MB) of the cluster's actor processes:")
    for label, mem in (("after the two-node batch", rows[1]["memory"]),
                       ("after the classic jobs", overhead["memory"])):
        print(f"- {label}: " + "; ".join(f"{title} {values}" for title, values in mem.items()))


if __name__ == "__main__":
    main()
