"""The job manager with real tiny classic runs: queue, limit, cancel, failures, records."""

import dataclasses
import io
import json
import math
import time
import zipfile

import numpy as np
import pytest
from PIL import Image

from core import estimates, images, progress
from core.backbone import BackboneChoice
from core.classic import PRESETS, ClassicConfig, Started
from core.engine import ClassicTask, local, tasks
from core.engine.local import LocalEngine
from core.losses import Losses
from core.progress import CANCELLED, DONE, FAILED, QUEUED, RUNNING

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
    # bfloat16 and the photo start pinned: the records below name them (the defaults follow
    # the CPU, core.machine, and start from the fast picture)
    config = ClassicConfig(size=40, iterations=3, snapshot_every=1, backbone="vgg16-hed",
                           precision="bfloat16", init="content")
    return ClassicTask(photo(), (painting(),), dataclasses.replace(config, **changes),
                       content_name="examples/test.png", style_names=("styles/test.png",))


def endless(**changes) -> ClassicTask:
    """A run that only stops when cancelled (well, after 100 000 iterations). Adam, as
    L-BFGS-B converges on so small a picture: 185 iterations, 5.6 s, and a job meant to be
    cancelled ended "done" under load (tests/test_ray.py)."""
    return task(iterations=100_000, snapshot_every=0, optimizer="adam", **changes)


def wait_for(condition, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_job_records_progress_snapshots_and_its_result():
    manager = LocalEngine(slots=1)
    job = manager.submit("session-a", task())
    assert job.wait(WAIT)
    view = job.view()
    assert view.status == DONE and not view.active and view.error is None
    assert view.started.backbone.name == "vgg16-hed" and view.started.precision == "bfloat16"
    assert [row.iteration for row in view.rows] == [1, 2, 3]  # no row for iteration 0
    assert all(row.losses.style > 0 and row.losses.content >= 0 and math.isfinite(row.losses.total)
               for row in view.rows)
    assert [s.iteration for s in view.snapshots] == [0, 1, 2, 3]
    assert view.snapshots[0].png.startswith(b"\x89PNG")
    # Iteration 0 is the starting picture: with init "content", the photo at the output size.
    start = np.asarray(Image.open(io.BytesIO(view.snapshots[0].png)).convert("RGB"))
    np.testing.assert_array_equal(start, images.resize_longest(photo(), 40))
    assert view.snapshots[0].elapsed <= view.rows[0].elapsed
    assert view.result.iterations == 3 and view.fraction() == 1.0
    assert view.queue_position == 0 and view.eta_seconds() is None

    record = json.loads(json.dumps(job.record()))
    assert record["config"]["size"] == 40 and record["summary"]["iterations"] == 3
    assert record["styles"] == ["styles/test.png"] and record["status"] == DONE
    assert ClassicConfig.from_dict(record["config"]) == job.task.config


def test_the_zip_holds_every_snapshot_the_result_and_the_settings():
    manager = LocalEngine(slots=1)
    job = manager.submit("session-a", task())
    assert job.wait(WAIT)
    view = job.view()
    data = progress.snapshots_zip(view.snapshots, view.result.image, job.record())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == [
            "snapshot_00000.png", "snapshot_00001.png", "snapshot_00002.png",
            "snapshot_00003.png", "result.png", "settings.json",
        ]
        assert json.loads(archive.read("settings.json"))["summary"]["iterations"] == 3


def test_with_one_slot_the_second_job_waits_its_turn_then_runs():
    manager = LocalEngine(slots=1)
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
    manager = LocalEngine(slots=1)
    running = manager.submit("a", endless())
    waiting = [manager.submit(owner, task()) for owner in ("b", "c", "d")]
    assert [job.queue_position() for job in waiting] == [1, 2, 3]
    waiting[0].cancel()
    assert [job.queue_position() for job in waiting] == [0, 1, 2]
    for job in [*waiting, running]:
        job.cancel()
    assert running.wait(WAIT)


def test_cancel_stops_a_running_job_between_iterations():
    manager = LocalEngine(slots=1)
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
    manager = LocalEngine(slots=1)
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
    manager = LocalEngine(slots=1)
    broken = manager.submit("a", task(init="image"))  # needs an init image it does not get
    after = manager.submit("b", task())
    assert broken.wait(WAIT)
    assert broken.status == FAILED and broken.error == "init 'image' needs an init image"
    assert broken.view().result is None and broken.record()["error"] == broken.error
    assert after.wait(WAIT) and after.status == DONE


def test_an_unexpected_exception_is_an_internal_error_and_is_logged(monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("the GPU caught fire\nsecond line")

    monkeypatch.setattr(tasks, "stylize", explode)
    manager = LocalEngine(slots=1)
    job = manager.submit("a", task())
    assert job.wait(WAIT)
    assert job.status == FAILED
    assert job.error == "internal error: RuntimeError: the GPU caught fire second line"
    assert "Traceback" in caplog.text and "the GPU caught fire" in caplog.text
    assert manager.counts() == (0, 0)


def test_one_job_per_owner_a_new_one_replaces_the_old():
    manager = LocalEngine(slots=1)
    old = manager.submit("session-a", endless())
    new = manager.submit("session-a", task())
    assert old.view().cancel_requested
    assert manager.get(old.id) is None and manager.jobs_of("session-a") == [new]
    assert new.wait(WAIT) and new.status == DONE
    assert old.wait(WAIT) and old.status == CANCELLED


def test_finished_jobs_are_forgotten_after_a_while():
    manager = LocalEngine(slots=1, keep_finished_seconds=0.0)
    job = manager.submit("a", task(iterations=1))
    assert job.wait(WAIT)
    assert manager.get(job.id) is job
    time.sleep(0.01)
    manager.prune()
    assert manager.get(job.id) is None
    other = manager.submit("b", endless())
    manager.forget(other.id)  # forgetting a running job cancels it
    assert manager.get(other.id) is None and other.wait(WAIT) and other.status == CANCELLED


def timed_rows(seconds, stages=None) -> tuple[progress.LossRow, ...]:
    """Loss rows for iterations 1, 2, ... that took ``seconds`` each, at ``stages``."""
    stages = stages or [1] * len(seconds)
    elapsed = np.cumsum(seconds)
    return tuple(progress.LossRow(i, float(t), Losses(1.0, 2.0, 0.0), stage)
                 for i, (t, stage) in enumerate(zip(elapsed, stages, strict=True), 1))


def running_view(rows, planned, **changes) -> progress.JobView:
    view = progress.JobView("x", RUNNING, 0, False, planned, None, None, rows, (), None, None)
    return dataclasses.replace(view, **changes)


def test_progress_fraction_and_eta_follow_the_pace():
    rows = timed_rows([2.3] + [0.3] * 9)  # 10 of 40 iterations in 5 s
    view = running_view(rows, 40)
    # 0.3 s an iteration once traced: 30 more take 9 s (the average, 0.5 s, would say 15 s)
    assert view.fraction() == 0.25 and view.eta_seconds() == pytest.approx(9.0)
    by_time = dataclasses.replace(view, planned_iterations=None, max_seconds=20.0)
    assert by_time.fraction() == pytest.approx(0.25)
    assert by_time.eta_seconds() == pytest.approx(15.0)
    both = dataclasses.replace(view, max_seconds=10.0)
    assert both.eta_seconds() == pytest.approx(5.0)  # the budget ends it first


def test_the_eta_leaves_out_the_first_iteration():
    """A run whose first iteration took 20 s (tracing) and the rest 0.5 s each."""
    view = running_view(timed_rows([20.0] + [0.5] * 10), 100)
    assert view.pace() == pytest.approx(0.5)
    assert view.eta_seconds() == pytest.approx(0.5 * 89)  # not 25 s / 11 x 89 = 202 s
    one = running_view(timed_rows([20.0]), 100)
    assert one.pace() is None and one.eta_seconds() is None  # the page says "estimating"
    assert dataclasses.replace(one, max_seconds=60.0).eta_seconds() is None
    budget_only = dataclasses.replace(one, planned_iterations=None, max_seconds=60.0)
    assert budget_only.eta_seconds() == pytest.approx(40.0)  # the budget is known anyway
    assert running_view((), 100).eta_seconds() is None
    done = dataclasses.replace(view, status=DONE)
    assert done.eta_seconds() is None and done.fraction() == 1.0


def test_the_progress_bar_counts_work_not_iterations():
    """At 1080 px the end of the 512 px scale is 60 of 70 iterations but about half the work."""
    config = ClassicConfig(size=1080)
    ratio = (1080 / 512) ** 2
    view = running_view(timed_rows([0.8] * 60), 70, stage_costs=config.stage_costs)
    assert view.fraction() == pytest.approx(60 / (60 + 10 * ratio))  # 0.57, not 0.86


def test_the_eta_counts_larger_scales_as_dearer():
    """1080 px: 60 iterations at 512 px, then 10 that each cost (1080/512)^2 of those."""
    config = ClassicConfig(size=1080)
    ratio = (1080 / 512) ** 2
    assert config.stage_costs == ((60, 1.0), (10, pytest.approx(ratio)))
    rows = timed_rows([2.0] + [0.8] * 29)
    view = running_view(rows, 70, stage_costs=config.stage_costs)
    # 0.8 s per base iteration: 30 more of them, then 10 x 4.45 base iterations' worth
    assert view.eta_seconds() == pytest.approx(0.8 * (30 + 10 * ratio))
    # ...and the 1080 px scale's first iteration is dearer still (targets, L-BFGS-B's start)
    extra = progress.SCALE_START_ITERATIONS["lbfgs"]
    lbfgs = dataclasses.replace(view, optimizer="lbfgs")
    assert lbfgs.eta_seconds() == pytest.approx(0.8 * (30 + (10 + extra) * ratio))
    assert ClassicConfig(size=512).stage_costs == ((ClassicConfig().iterations, 1.0),)
    assert ClassicConfig(iterations=None, max_seconds=60).stage_costs == ()


def test_a_new_scales_first_iteration_does_not_count_in_the_pace():
    ratio = (1080 / 512) ** 2
    costs = ClassicConfig(size=1080).stage_costs
    first_big = 0.8 * ratio * (1 + progress.SCALE_START_ITERATIONS["lbfgs"])
    rows = timed_rows([2.0] + [0.8] * 59 + [first_big] + [0.8 * ratio] * 2, [1] * 60 + [2] * 3)
    view = running_view(rows, 70, stage_costs=costs, optimizer="lbfgs", stage=(2, 2))
    assert view.pace() == pytest.approx(0.8)
    assert view.eta_seconds() == pytest.approx(0.8 * ratio * 7)
    # L-BFGS-B may end a scale early (converged): the 1080 px scale still has 10 to run.
    early = timed_rows([2.0] + [0.8] * 39 + [first_big] + [0.8 * ratio] * 2, [1] * 40 + [2] * 3)
    view = running_view(early, 70, stage_costs=costs, optimizer="lbfgs", stage=(2, 2))
    assert view.eta_seconds() == pytest.approx(0.8 * ratio * 7)


def test_rows_too_sparse_to_time_fall_back_to_the_average():
    row = progress.LossRow(iteration=30, elapsed=24.0, losses=Losses(1.0, 2.0, 0.0))
    view = running_view((row,), 300)
    assert view.pace() == pytest.approx(0.8) and view.eta_seconds() == pytest.approx(216.0)


def test_the_report_preset_at_1080_is_about_95_minutes_before_it_starts():
    """BENCHMARKS.md: the report recipe took a median 5.69 s per iteration at 1080x720,
    1000 iterations in 95 min."""
    estimate = estimates.estimate_seconds(PRESETS["report"], 1080, 720)
    assert 90 * 60 < estimate.seconds < 100 * 60
    assert estimate.seconds == pytest.approx(5.69 * 1000, rel=0.02)
    assert (estimate.width, estimate.height, estimate.iterations) == (1080, 720, 1000)
    assert estimate.stopped_by == "iterations" and estimate.source == estimates.DEFAULT
    assert estimate.pace.description.startswith("a benchmark on a 2-core AMD EPYC")
    assert estimate.overhead_seconds < 20  # set-up, tracing, the first iteration
    assert estimate.seconds == pytest.approx(estimate.iteration_seconds
                                             + estimate.overhead_seconds)
    # the photo's own size does not matter, only its shape: the run scales it to 1080 px
    assert estimates.estimate_seconds(PRESETS["report"], 4032, 2688).seconds == pytest.approx(
        estimate.seconds, rel=0.01)


# The estimate tables were measured in bfloat16 (on a CPU with AVX512_BF16); the default
# precision follows the CPU, so these pin it.
RECOMMENDED = dataclasses.replace(PRESETS["recommended"], precision="bfloat16")


def test_the_recommended_preset_estimates_match_the_benchmarks():
    # BENCHMARKS.md: 1080x720 took 90.7 s and 101.2 s of optimisation (fresh processes)
    at_1080 = estimates.estimate_seconds(dataclasses.replace(RECOMMENDED, size=1080), 1080, 720)
    assert 90 <= at_1080.optimisation_seconds <= 102
    assert at_1080.iterations == 70 and at_1080.stopped_by == "iterations"
    # 512x342: 0.8-0.98 s per iteration measured; 60 iterations, plus the first one's extra
    at_512 = estimates.estimate_seconds(RECOMMENDED, 1080, 720)
    assert (at_512.width, at_512.height) == (512, 341)
    assert 60 * 0.8 <= at_512.iteration_seconds <= 60 * 0.98
    assert at_512.seconds < at_1080.seconds / 1.5
    # Adam iterates cheaper than L-BFGS-B (one evaluation, no line search); float32 dearer
    adam = dataclasses.replace(RECOMMENDED, optimizer="adam")
    assert estimates.estimate_seconds(adam, 1080, 720).seconds < at_512.seconds
    float32 = dataclasses.replace(RECOMMENDED, precision="float32")
    assert estimates.estimate_seconds(float32, 1080, 720).seconds > 1.4 * at_512.seconds


def test_a_measured_pace_overrides_the_default():
    config = RECOMMENDED
    measured = dataclasses.replace(estimates.default_pace("lbfgs", "bfloat16"),
                                   seconds_per_megapixel=2.0, setup_seconds=0.0,
                                   warmup_seconds=0.0, source=estimates.MEASURED,
                                   description="this server's last lbfgs run")
    estimate = estimates.estimate_seconds(config, 1080, 720, measured)
    step = 2.0 * 512 * 341 / 1e6
    assert estimate.iteration_seconds == pytest.approx(60 * step)
    start = progress.SCALE_START_ITERATIONS["lbfgs"]
    assert estimate.overhead_seconds == pytest.approx(start * step)
    assert estimate.source == estimates.MEASURED and estimate.pace is measured
    with pytest.raises(ValueError, match="adam/bfloat16 pace cannot time a lbfgs/bfloat16"):
        estimates.estimate_seconds(config, 1080, 720, estimates.default_pace("adam", "bfloat16"))
    # VGG19 does about a quarter more convolution work per pixel than VGG16-HED
    vgg19 = estimates.estimate_seconds(config, 1080, 720, measured, backbone="vgg19")
    assert vgg19.iteration_seconds == pytest.approx(1.26 * estimate.iteration_seconds)


def test_a_time_budget_caps_the_estimate():
    capped = dataclasses.replace(PRESETS["report"], max_seconds=120.0)
    estimate = estimates.estimate_seconds(capped, 1080, 720)
    step = estimates.DEFAULT_SECONDS_PER_MEGAPIXEL[("adam", "float32")] * 0.7776
    assert estimate.stopped_by == "time" and estimate.iterations < 25
    # the run stops after the iteration that reaches the budget: at most one past it
    assert 120 <= estimate.optimisation_seconds < 120 + step
    assert estimate.seconds == pytest.approx(estimate.optimisation_seconds
                                             + estimate.pace.setup_seconds)
    # a budget alone: as many iterations as fit
    budget_only = dataclasses.replace(RECOMMENDED, iterations=None, max_seconds=60.0)
    estimate = estimates.estimate_seconds(budget_only, 1080, 720)
    step = estimates.DEFAULT_SECONDS_PER_MEGAPIXEL[("lbfgs", "bfloat16")] * 512 * 341 / 1e6
    assert estimate.stopped_by == "time" and 60 <= estimate.optimisation_seconds < 60 + step
    assert estimate.iterations == pytest.approx(60 / step, rel=0.1)
    # a budget longer than the run changes nothing
    roomy = dataclasses.replace(RECOMMENDED, max_seconds=3600.0)
    assert estimates.estimate_seconds(roomy, 1080, 720) == estimates.estimate_seconds(
        RECOMMENDED, 1080, 720)
    # a budget that ends during the first scale of a multi-scale run stops there
    short = dataclasses.replace(RECOMMENDED, size=1080, max_seconds=20.0)
    estimate = estimates.estimate_seconds(short, 1080, 720)
    assert estimate.stopped_by == "time" and estimate.iterations < 60


def test_a_finished_job_measures_the_pace_of_its_ordinary_iterations():
    started = Started(BackboneChoice("vgg16-hed", "hed.h5", "offline"), "bfloat16", 1080, 720,
                      0.4)
    config = dataclasses.replace(RECOMMENDED, size=1080)
    small, big = 512 * 341 / 1e6, 1080 * 720 / 1e6
    extra = progress.SCALE_START_ITERATIONS["lbfgs"]
    # 4 s per megapixel once going; the first iteration also traced for 3 s
    seconds = ([3.0 + 4 * small * (1 + extra)] + [4 * small] * 59
               + [4 * big * (1 + extra)] + [4 * big] * 9)
    view = running_view(timed_rows(seconds, [1] * 60 + [2] * 10), 70, status=DONE,
                        started=started)
    pace = estimates.measure_pace(view, config)
    assert pace.seconds_per_megapixel == pytest.approx(4.0)
    assert pace.warmup_seconds == pytest.approx(3.0)
    assert (pace.setup_seconds, pace.backbone, pace.source) == (
        0.4, "vgg16-hed", estimates.MEASURED)
    assert pace.description == ("this server's last lbfgs run (bfloat16, 1080x720, "
                                "70 iterations)")
    # an estimate of the same run at that pace gives back what it took
    estimate = estimates.estimate_seconds(config, 1080, 720, pace)
    assert estimate.seconds == pytest.approx(0.4 + sum(seconds))
    # too few iterations, or too small an image, to time
    assert estimates.measure_pace(dataclasses.replace(view, rows=view.rows[:2]), config) is None
    tiny = dataclasses.replace(view, started=dataclasses.replace(started, width=48,
                                                                 height=32))
    assert estimates.measure_pace(tiny, ClassicConfig(size=48)) is None


def test_the_manager_keeps_the_pace_of_its_finished_jobs(monkeypatch):
    manager = LocalEngine(slots=1)
    job = manager.submit("a", task(iterations=4))
    assert job.wait(WAIT) and job.status == DONE
    assert manager.measured_pace("lbfgs", "bfloat16") is None  # 40 px: too small to time
    assert manager.estimate(RECOMMENDED, 1080, 720).source == estimates.DEFAULT

    monkeypatch.setattr(estimates, "PACE_MIN_PIXELS", 0)
    job = manager.submit("a", task(iterations=4))
    assert job.wait(WAIT) and job.status == DONE
    pace = manager.measured_pace("lbfgs", "bfloat16")
    assert pace.source == estimates.MEASURED and pace.backbone == "vgg16-hed"
    assert pace.seconds_per_megapixel > 0 and pace.description.startswith(
        "this server's last lbfgs run (bfloat16, 40x33, 4 iterations)")
    assert manager.measured_pace("adam", "bfloat16") is None
    assert manager.measured_pace("lbfgs", "float32") is None
    estimate = manager.estimate(RECOMMENDED, 1080, 720)
    assert estimate.pace == pace and estimate.source == estimates.MEASURED
    assert manager.estimate(PRESETS["report"], 1080, 720).source == estimates.DEFAULT


def test_slots_default_to_half_the_cores_or_the_environment(monkeypatch):
    monkeypatch.delenv(local.SLOTS_ENV, raising=False)
    monkeypatch.setattr(local.os, "cpu_count", lambda: 2)
    assert local.default_slots() == 1
    monkeypatch.setattr(local.os, "cpu_count", lambda: 16)
    assert local.default_slots() == 8
    monkeypatch.setenv(local.SLOTS_ENV, "3")
    assert LocalEngine().slots == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv(local.SLOTS_ENV, bad)
        with pytest.raises(ValueError, match=local.SLOTS_ENV):
            local.default_slots()


def test_coarse_to_fine_runs_count_every_scale():
    manager = LocalEngine(slots=1)
    job = manager.submit("a", task(size=48, iterations=2, base_size=32, refine_iterations=2))
    assert job.wait(WAIT) and job.status == DONE
    view = job.view()
    assert view.planned_iterations == 4 and view.iteration == 4
    assert view.stage == (2, 2) and view.fraction() == 1.0


def test_a_closed_sessions_job_is_cancelled_then_forgotten():
    """A closed tab frees its slot after a short grace; its record (the picture so far)
    waits for a reconnect as long as Streamlit keeps the session; a brief disconnect
    changes nothing."""
    manager = LocalEngine(slots=1)
    closed = manager.submit("closed-tab", endless())
    waiting = manager.submit("open-tab", task())
    connected = {"closed-tab": True, "open-tab": True}
    wait_for(lambda: len(closed.view().rows) >= 1)

    connected["closed-tab"] = False
    assert manager.reap(connected.get, cancel_after=60) == ([], [])  # only just gone
    assert closed.active and closed.state.orphaned_at is not None
    connected["closed-tab"] = True  # it reconnected: the clock starts over
    assert manager.reap(connected.get, cancel_after=0) == ([], [])
    assert closed.state.orphaned_at is None and closed.active

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
    manager = LocalEngine(slots=1)
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


def test_a_stray_value_error_from_a_library_is_an_internal_error(monkeypatch, caplog):
    """Only core.errors.UserError is a person's mistake; a ValueError from deep in a library
    is a bug, logged with its traceback and said as one."""
    def library_fails(*args, **kwargs):
        raise ValueError("operands could not be broadcast together")

    monkeypatch.setattr(tasks, "stylize", library_fails)
    job = LocalEngine(slots=1).submit("a", task())
    assert job.wait(WAIT) and job.status == FAILED
    assert job.error == "internal error: ValueError: operands could not be broadcast together"
    assert "Traceback" in caplog.text
