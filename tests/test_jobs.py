"""The job manager with real tiny classic runs: queue, limit, cancel, failures, records."""

import dataclasses
import io
import json
import time
import zipfile

import numpy as np
import pytest

from core import jobs
from core.classic import ClassicConfig
from core.jobs import CANCELLED, DONE, FAILED, QUEUED, RUNNING, ClassicTask, JobManager

WAIT = 120  # seconds; generous for a busy 2-core machine (the first run loads TensorFlow)


def photo(height=40, width=48):
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 5, y * 6, np.full_like(x, 90)], -1).astype(np.uint8)


def painting(side=48):
    image = np.zeros((side, side, 3), np.uint8)
    image[:, ::4] = (250, 200, 30)
    image[::6, :] = (20, 40, 200)
    return image


def task(**changes) -> ClassicTask:
    config = ClassicConfig(size=40, iterations=3, snapshot_every=1, backbone="vgg16-hed")
    return ClassicTask(photo(), (painting(),), dataclasses.replace(config, **changes),
                       content_name="examples/test.png", style_names=("styles/test.png",))


def endless(**changes) -> ClassicTask:
    """A run that only stops when cancelled (well, after 100 000 iterations)."""
    return task(iterations=100_000, snapshot_every=0, **changes)


def wait_for(condition, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_job_records_progress_snapshots_and_its_result():
    manager = JobManager(slots=1)
    job = manager.submit("session-a", task())
    assert job.wait(WAIT)
    view = job.view()
    assert view.status == DONE and not view.active and view.error is None
    assert view.started.backbone.name == "vgg16-hed" and view.started.precision == "bfloat16"
    assert [row.iteration for row in view.rows] == [1, 2, 3]
    assert all(row.total == pytest.approx(row.content + row.style + row.tv) for row in view.rows)
    assert [s.iteration for s in view.snapshots] == [1, 2, 3]
    assert view.snapshots[0].png.startswith(b"\x89PNG")
    assert view.result.iterations == 3 and view.fraction() == 1.0
    assert view.queue_position == 0 and view.eta_seconds() is None

    record = json.loads(json.dumps(job.record()))
    assert record["config"]["size"] == 40 and record["summary"]["iterations"] == 3
    assert record["styles"] == ["styles/test.png"] and record["status"] == DONE
    assert ClassicConfig.from_dict(record["config"]) == job.task.config


def test_the_zip_holds_every_snapshot_the_result_and_the_settings():
    manager = JobManager(slots=1)
    job = manager.submit("session-a", task())
    assert job.wait(WAIT)
    view = job.view()
    data = jobs.snapshots_zip(view.snapshots, view.result.image, job.record())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == [
            "snapshot_00001.png", "snapshot_00002.png", "snapshot_00003.png",
            "result.png", "settings.json",
        ]
        assert json.loads(archive.read("settings.json"))["summary"]["iterations"] == 3


def test_with_one_slot_the_second_job_waits_its_turn_then_runs():
    manager = JobManager(slots=1)
    first = manager.submit("session-a", endless())
    second = manager.submit("session-b", task())
    assert first.status == RUNNING and first.queue_position() == 0
    assert second.status == QUEUED and second.queue_position() == 1
    assert manager.counts() == (1, 1)
    wait_for(lambda: len(first.view().rows) >= 2)
    assert second.status == QUEUED and second.view().started is None  # still waiting
    first.cancel()
    assert second.wait(WAIT)
    assert second.status == DONE and second.view().result.iterations == 3
    assert first.status == CANCELLED and first.result.stopped_by == "cancel"
    assert manager.counts() == (0, 0)


def test_queue_positions_count_from_the_front():
    manager = JobManager(slots=1)
    running = manager.submit("a", endless())
    waiting = [manager.submit(owner, task()) for owner in ("b", "c", "d")]
    assert [job.queue_position() for job in waiting] == [1, 2, 3]
    waiting[0].cancel()
    assert [job.queue_position() for job in waiting] == [0, 1, 2]
    for job in [*waiting, running]:
        job.cancel()
    assert running.wait(WAIT)


def test_cancel_stops_a_running_job_between_iterations():
    manager = JobManager(slots=1)
    job = manager.submit("session-a", endless())
    wait_for(lambda: len(job.view().rows) >= 1)
    asked = time.monotonic()
    job.cancel()
    assert job.view().cancel_requested
    assert job.wait(WAIT)
    assert time.monotonic() - asked < 5  # one tiny iteration, not the 100 000 planned
    view = job.view()
    assert view.status == CANCELLED and view.result.stopped_by == "cancel"
    assert view.result.iterations == view.rows[-1].iteration < 100_000


def test_a_cancelled_queued_job_never_starts():
    manager = JobManager(slots=1)
    first = manager.submit("a", endless())
    second = manager.submit("b", task())
    second.cancel()
    assert second.wait(0) and second.status == CANCELLED and second.queue_position() == 0
    first.cancel()
    assert first.wait(WAIT)
    third = manager.submit("c", task())
    assert third.wait(WAIT) and third.status == DONE
    assert second.view().started is None and second.view().rows == ()


def test_a_failing_job_reports_the_core_message_and_frees_its_slot():
    manager = JobManager(slots=1)
    broken = manager.submit("a", task(init="image"))  # needs an init image it does not get
    after = manager.submit("b", task())
    assert broken.wait(WAIT)
    assert broken.status == FAILED and broken.error == "init 'image' needs an init image"
    assert broken.view().result is None and broken.record()["error"] == broken.error
    assert after.wait(WAIT) and after.status == DONE


def test_an_unexpected_exception_is_an_internal_error_and_is_logged(monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("the GPU caught fire\nsecond line")

    monkeypatch.setattr(jobs, "stylize", explode)
    manager = JobManager(slots=1)
    job = manager.submit("a", task())
    assert job.wait(WAIT)
    assert job.status == FAILED
    assert job.error == "internal error: RuntimeError: the GPU caught fire second line"
    assert "Traceback" in caplog.text and "the GPU caught fire" in caplog.text
    assert manager.counts() == (0, 0)


def test_one_job_per_owner_a_new_one_replaces_the_old():
    manager = JobManager(slots=1)
    old = manager.submit("session-a", endless())
    new = manager.submit("session-a", task())
    assert old.view().cancel_requested
    assert manager.get(old.id) is None and manager.jobs_of("session-a") == [new]
    assert new.wait(WAIT) and new.status == DONE
    assert old.wait(WAIT) and old.status == CANCELLED


def test_finished_jobs_are_forgotten_after_a_while():
    manager = JobManager(slots=1, keep_finished_seconds=0.0)
    job = manager.submit("a", task(iterations=1))
    assert job.wait(WAIT)
    assert manager.get(job.id) is job
    time.sleep(0.01)
    manager.prune()
    assert manager.get(job.id) is None
    other = manager.submit("b", endless())
    manager.forget(other.id)  # forgetting a running job cancels it
    assert manager.get(other.id) is None and other.wait(WAIT) and other.status == CANCELLED


def test_progress_fraction_and_eta_follow_the_pace():
    row = jobs.LossRow(iteration=10, elapsed=5.0, content=1.0, style=2.0, tv=0.0, total=3.0)
    view = jobs.JobView("x", RUNNING, 0, False, 40, None, None, (row,), (), None, None)
    assert view.fraction() == 0.25 and view.eta_seconds() == pytest.approx(15.0)
    by_time = dataclasses.replace(view, planned_iterations=None, max_seconds=20.0)
    assert by_time.fraction() == 0.25 and by_time.eta_seconds() == pytest.approx(15.0)


def test_the_eta_counts_larger_scales_as_dearer():
    """1080 px: 60 iterations at 512 px, then 10 that each cost (1080/512)^2 of those."""
    config = ClassicConfig(size=1080)
    assert config.stage_costs == ((60, 1.0), (10, pytest.approx((1080 / 512) ** 2)))
    row = jobs.LossRow(iteration=30, elapsed=24.0, content=1.0, style=2.0, tv=0.0, total=3.0)
    view = jobs.JobView("x", RUNNING, 0, False, 70, None, None, (row,), (), None, None,
                        stage_costs=config.stage_costs)
    # 0.8 s per base iteration: 30 more of them, then 10 x 4.45 base iterations' worth
    assert view.eta_seconds() == pytest.approx(0.8 * (30 + 10 * (1080 / 512) ** 2))
    assert ClassicConfig(size=512).stage_costs == ((ClassicConfig().iterations, 1.0),)
    assert ClassicConfig(iterations=None, max_seconds=60).stage_costs == ()


def test_slots_default_to_half_the_cores_or_the_environment(monkeypatch):
    monkeypatch.delenv(jobs.SLOTS_ENV, raising=False)
    monkeypatch.setattr(jobs.os, "cpu_count", lambda: 2)
    assert jobs.default_slots() == 1
    monkeypatch.setattr(jobs.os, "cpu_count", lambda: 16)
    assert jobs.default_slots() == 8
    monkeypatch.setenv(jobs.SLOTS_ENV, "3")
    assert JobManager().slots == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv(jobs.SLOTS_ENV, bad)
        with pytest.raises(ValueError, match=jobs.SLOTS_ENV):
            jobs.default_slots()


def test_coarse_to_fine_runs_count_every_scale():
    manager = JobManager(slots=1)
    job = manager.submit("a", task(size=48, iterations=2, base_size=32, refine_iterations=2))
    assert job.wait(WAIT) and job.status == DONE
    view = job.view()
    assert view.planned_iterations == 4 and view.iteration == 4
    assert view.stage == (2, 2) and view.fraction() == 1.0


def test_a_closed_sessions_job_is_cancelled_then_forgotten():
    """A closed tab frees its slot after a short grace; its record (the picture so far)
    waits for a reconnect as long as Streamlit keeps the session; a brief disconnect
    changes nothing."""
    manager = JobManager(slots=1)
    closed = manager.submit("closed-tab", endless())
    waiting = manager.submit("open-tab", task())
    connected = {"closed-tab": True, "open-tab": True}
    wait_for(lambda: len(closed.view().rows) >= 1)

    connected["closed-tab"] = False
    assert manager.reap(connected.get, cancel_after=60) == ([], [])  # only just gone
    assert closed.active and closed.orphaned_at is not None
    connected["closed-tab"] = True  # it reconnected: the clock starts over
    assert manager.reap(connected.get, cancel_after=0) == ([], [])
    assert closed.orphaned_at is None and closed.active

    connected["closed-tab"] = False
    assert manager.reap(connected.get, cancel_after=0, forget_after=60) == ([closed.id], [])
    assert closed.wait(WAIT) and closed.status == CANCELLED
    assert manager.get(closed.id) is closed  # kept for a reconnect, with its picture
    assert closed.view().result.stopped_by == "cancel"
    assert waiting.wait(WAIT) and waiting.status == DONE  # it got the freed slot
    assert manager.reap(connected.get, cancel_after=0, forget_after=60) == ([], [])
    assert manager.reap(connected.get, cancel_after=0, forget_after=0) == ([], [closed.id])
    assert manager.get(closed.id) is None and manager.jobs_of("closed-tab") == []
    assert manager.counts() == (0, 0)


def test_the_owner_watcher_reaps_on_its_own_until_closed():
    manager = JobManager(slots=1)
    job = manager.submit("gone", endless())
    manager.watch_owners(lambda owner: False, every_seconds=0.05, cancel_after=0,
                         forget_after=0.5)
    manager.watch_owners(lambda owner: True)  # a second call keeps the first watcher
    assert job.wait(WAIT) and job.status == CANCELLED
    wait_for(lambda: manager.get(job.id) is None)
    watcher = manager._watcher
    manager.close()
    watcher.join(timeout=5)
    assert not watcher.is_alive()
