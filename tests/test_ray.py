"""The Ray engine against a real two-node Ray cluster on loopback (``tests/ray_cluster.py``:
``.ci/run`` starts it and names it in ``$STYLE_STUDIO_TEST_RAY_ADDRESS``; outside CI a
private one is started for this module). No mocks: real workers paint real tiny runs."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import pytest

import tests.ray_cluster as ray_cluster
from core.engine import EngineSettings, open_engine
from core.progress import CANCELLED, DONE, FAILED, RUNNING
from tests.serving import ROOT
from tests.test_jobs import endless, task

WAIT = 180  # seconds: a worker's first job imports TensorFlow and loads the loss network


@pytest.fixture(scope="module")
def engine():
    address = ray_cluster.address()  # first: it points Ray at the cluster's token
    import ray

    from core.engine import actors

    if not ray.is_initialized():
        ray.init(address=address, namespace=actors.NAMESPACE, log_to_driver=False)
    try:  # a board left by an earlier run holds that run's code: start from a fresh one
        ray.kill(ray.get_actor(actors.BOARD, namespace=actors.NAMESPACE))
        time.sleep(1.0)
    except ValueError:
        pass
    chosen = open_engine(EngineSettings(engine="ray", ray_address=address))
    yield chosen
    ray.shutdown()


def wait_for(condition, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_cluster_has_two_nodes_and_a_worker_on_each(engine):
    workers = engine.workers()
    assert engine.slots == len(workers) == 2
    assert len({placed.node for placed in workers}) == 2
    assert engine.nodes() == 2


def test_a_classic_job_streams_its_progress_and_result(engine):
    job = engine.submit("ray-a", task())
    seen_running = []

    def ended():
        view = job.view()
        if view.status == RUNNING and view.rows:
            seen_running.append(len(view.rows))
        return not view.active

    wait_for(ended)
    view = job.view()
    assert view.status == DONE, view.error
    assert [row.iteration for row in view.rows] == [1, 2, 3]
    assert [snapshot.iteration for snapshot in view.snapshots] == [0, 1, 2, 3]
    assert view.result.image.shape == (33, 40, 3) and view.result.iterations == 3
    assert view.node in {placed.node for placed in engine.workers()}
    assert job.record()["summary"]["iterations"] == 3
    assert job.record()["content"] == "examples/test.png"


def test_progress_arrives_while_the_job_runs_and_cancel_stops_it_within_a_second(engine):
    job = engine.submit("ray-b", task(iterations=100_000, snapshot_every=5))
    wait_for(lambda: len(job.view().rows) >= 3)
    running = job.view()
    assert running.status == RUNNING and running.queue_position == 0
    assert [row.iteration for row in running.rows] == list(range(1, len(running.rows) + 1))
    started = time.monotonic()
    job.cancel()
    assert job.wait(1.0), "cancel took more than a second"
    assert time.monotonic() - started < 1.0
    assert job.status == CANCELLED
    assert job.view().cancel_requested


def test_queued_jobs_show_their_place_and_a_queued_cancel_never_starts(engine):
    blockers = [engine.submit(f"ray-c{i}", endless()) for i in range(2)]
    waiting = engine.submit("ray-c-waiting", task())
    later = engine.submit("ray-c-later", task())
    wait_for(lambda: all(b.status == RUNNING for b in blockers))
    assert waiting.queue_position() == 1 and later.queue_position() == 2
    assert engine.counts() == (2, 2)
    waiting.cancel()
    assert waiting.wait(2) and waiting.status == CANCELLED and not waiting.view().rows
    assert later.queue_position() == 1
    for blocker in blockers:
        blocker.cancel()
    assert later.wait(WAIT) and later.status == DONE


def test_another_process_finds_a_job_by_its_id(engine):
    """What a restarted Streamlit server, or a second one behind a load balancer, does."""
    job = engine.submit("ray-d", endless())
    wait_for(lambda: len(job.view().rows) >= 2)
    probe = (
        "import sys; from core.engine import EngineSettings, open_engine; "
        f"e = open_engine(EngineSettings(engine='ray', ray_address={ray_cluster.address()!r})); "
        f"v = e.get({job.id!r}).view(); print(v.status, len(v.rows) >= 2); "
        f"print(e.get('classic-000000000000'))"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           timeout=120, cwd=ROOT)
    job.cancel()
    assert found.returncode == 0, found.stderr[-2000:]
    assert found.stdout.split() == ["running", "True", "None"]


def test_a_worker_killed_mid_job_fails_that_job_and_a_new_worker_takes_its_place(engine):
    job = engine.submit("ray-e", endless())
    wait_for(lambda: len(job.view().rows) >= 2)
    node = job.view().node
    before = {placed.node: placed.pid for placed in engine.workers()}
    os.kill(before[node], signal.SIGKILL)  # a worker of our own test cluster
    assert job.wait(60)
    view = job.view()
    assert view.status == FAILED
    assert view.error.startswith("the worker running this job stopped")
    assert "run it again" in view.error
    # Both workers serve again, the killed one as a new process on the same node.
    after = {placed.node: placed.pid for placed in engine.workers()}
    assert after.keys() == before.keys() and after[node] != before[node]
    # Two long jobs at once can only both run once the new worker takes one.
    jobs = [engine.submit("ray-e-next", endless(), replace=False) for _ in range(2)]
    wait_for(lambda: all(len(next_job.view().rows) >= 2 for next_job in jobs))
    assert {next_job.view().node for next_job in jobs} == set(before)
    for next_job in jobs:
        next_job.cancel()
        assert next_job.wait(10) and next_job.status == CANCELLED


def test_a_restarted_streamlit_server_finds_the_running_job_from_the_page_address(
        engine, tmp_path):
    """A person starts a run, the server restarts, the page's address reaches the job."""
    from tests.serving import CHROMIUM_ARGS, streamlit_server
    from tests.test_browser import VIEWPORT, require_browser, set_up_run

    sync_playwright, executable = require_browser()
    env = {**os.environ, "STYLE_STUDIO_ENGINE": "ray",
           "STYLE_STUDIO_RAY_ADDRESS": ray_cluster.address()}
    iteration = re.compile(r"^Iteration (\d+) / 1000")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        with streamlit_server(tmp_path / "first.log", env=env) as (url, _):
            page = chromium.new_context(viewport=VIEWPORT).new_page()
            page.goto(f"{url}/classic")
            page.get_by_text("Jobs on the Ray cluster").wait_for(timeout=120_000)
            page.get_by_text("Report", exact=True).click()  # Adam: never stops early
            set_up_run(page, size=160, iterations=1000, snapshot_every=50)
            page.get_by_role("button", name="Run", exact=True).click()
            page.get_by_text(iteration).wait_for(timeout=WAIT * 1000)
            job_id = parse_qs(urlsplit(page.url).query)["job"][0]
        assert engine.get(job_id).status == RUNNING  # the server is gone, the job is not
        with streamlit_server(tmp_path / "second.log", env=env) as (url, _):
            page = chromium.new_context(viewport=VIEWPORT).new_page()
            page.goto(f"{url}/classic?job={job_id}")
            shown = page.get_by_text(iteration)
            shown.wait_for(timeout=120_000)
            first = int(iteration.match(shown.inner_text()).group(1))
            page.wait_for_function(
                "n => [...document.querySelectorAll('p')].some(p => "
                "(m = p.innerText.match(/^Iteration (\\d+) \\/ 1000/)) && Number(m[1]) > n)",
                arg=first, timeout=60_000)  # still painting, seen live by the new server
            page.get_by_role("button", name="Cancel").click()
            page.get_by_text(re.compile(r"^Cancelled after \d+ iterations")).wait_for(
                timeout=30_000)
        chromium.close()
    assert engine.get(job_id).status == CANCELLED


def test_a_batch_over_a_folder_paints_on_both_nodes_reports_a_broken_file_and_resumes(
        engine, tmp_path):
    """The issue's "done when": every good photo painted, both nodes used, exit code 2 for
    the broken file, and a second run skips everything already painted."""
    from PIL import Image

    from tests.conftest import photo

    photos = tmp_path / "photos"
    (photos / "trip").mkdir(parents=True)
    for index in range(6):
        folder = photos / "trip" if index % 2 else photos
        Image.fromarray(photo(40, 48, shift=index * 30)).save(folder / f"p{index}.jpg")
    (photos / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    out = tmp_path / "painted"
    command = [sys.executable, "-m", "core", "batch", "--content", str(photos),
               "--multistyle", "3:0.5,12:0.5", "--size", "48", "--out", str(out),
               "--engine", "ray", "--ray-address", ray_cluster.address()]

    first = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert first.returncode == 2, first.stderr[-2000:]
    assert len(first.stdout.strip().splitlines()) == 1  # stdout: the JSON line only
    assert {k: summary[k] for k in ("engine", "nodes", "done", "skipped", "failed")} == {
        "engine": "ray", "nodes": 2, "done": 6, "skipped": 0, "failed": 1}
    failures = [line for line in first.stderr.splitlines() if "broken.jpg" in line]
    assert len(failures) == 1 and failures[0].startswith("failed: broken.jpg: ")
    painted = sorted(str(p.relative_to(out)) for p in out.rglob("*.png"))
    assert painted == ["p0.png", "p2.png", "p4.png", "trip/p1.png", "trip/p3.png", "trip/p5.png"]
    assert Image.open(out / "trip" / "p1.png").size == (48, 40)

    again = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)
    summary = json.loads(again.stdout.strip().splitlines()[-1])
    assert again.returncode == 2
    assert (summary["done"], summary["skipped"], summary["failed"]) == (0, 6, 1)


def test_a_job_board_left_by_other_code_is_replaced_while_it_is_idle(engine, monkeypatch):
    """After an upgrade, the detached board (and its workers) would keep the old code."""
    import ray

    from core.engine import actors
    from core.engine.cluster import RayEngine

    assert engine.counts() == (0, 0)
    old = engine._board
    monkeypatch.setattr(actors, "code_version", lambda: "the code before an upgrade")
    upgraded = RayEngine(engine.settings)
    assert upgraded._board._actor_id != old._actor_id
    with pytest.raises(ray.exceptions.RayActorError):
        ray.get(old.slots.remote(), timeout=30)
    engine._board = upgraded._board  # the module's engine goes on with the new board
    job = engine.submit("ray-f", task())
    assert job.wait(WAIT) and job.status == DONE


def test_a_clip_painted_in_chunks_on_both_nodes_is_as_steady_as_one_painted_locally(
        engine, tmp_path):
    """Chunks of frames go to several workers; each paints a few frames before its own to
    join its neighbour, so the joins do not flicker."""
    from core.video import probe
    from tests.test_video import pan_clip

    source = pan_clip(tmp_path / "pan.mp4", frames=24)
    common = [sys.executable, "-m", "core", "video", "--input", str(source),
              "--style-image", str(ROOT / "styles" / "starry_night.jpg")]
    results = {}
    for name, flags in (("local", ["--engine", "local"]),
                        ("ray", ["--engine", "ray", "--ray-address", ray_cluster.address(),
                                 "--chunk-frames", "8"])):
        done = subprocess.run([*common, "--out", str(tmp_path / f"{name}.mp4"), *flags],
                              capture_output=True, text=True, timeout=600, cwd=ROOT)
        assert done.returncode == 0, done.stderr[-2000:]
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    assert results["ray"]["nodes"] == 2 and results["ray"]["frames"] == 24
    painted = probe(tmp_path / "ray.mp4")
    assert painted.frame_count == 24 and painted.has_audio
    assert results["ray"]["warping_error"] <= 1.25 * results["local"]["warping_error"]
