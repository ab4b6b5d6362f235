"""Training a network from the app: the ``TrainTask`` on the real local engine (events, the
two phases, previews, cancel and resume from the checkpoint, the saved network and its
manifest through the registry) and the Train page through AppTest, on to the fast page's
list. Real tiny runs, no mocks: a 4-wide network, 32 px crops, a few steps."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from core import paintings
from core.engine.local import LocalEngine
from core.errors import SettingsError
from core.fast import registry
from core.fast.settings import ANY_PAINTING_SHAPE, NetworkShape, TrainConfig
from core.fast.train import FINE_TUNE, FINE_TUNE_COST
from core.fast.training_job import (
    BENCHMARK_FINE_TUNE_SECONDS,
    TrainTask,
    estimate_seconds,
    name_problem,
    phase_stage,
    step_costs,
)
from core.progress import CANCELLED, DONE, RUNNING, JobView, LossRow
from tests.apptest_helpers import open_app, texts, wait_until
from tests.conftest import TINY, painting, tiny_config
from ui.fast import results as fast_results
from ui.train import job as train_job

STARRY = "starry_night.jpg"


@pytest.fixture(autouse=True)
def trained_dir(tmp_path, monkeypatch):
    """Each test trains into a folder of its own."""
    folder = tmp_path / "trained"
    monkeypatch.setenv(registry.TRAINED_DIR_ENV, str(folder))
    return folder


def task(name="tiny_test", **changes) -> TrainTask:
    config = tiny_config(steps=4, distil_steps=2, crop=32, preview_every=2, checkpoint_every=1)
    return TrainTask(name, painting(64), STARRY, dataclasses.replace(config, **changes),
                     bundled=True)


def run_on_engine(work: TrainTask, engine: LocalEngine):
    job = engine.submit("tester.train", work)
    assert job.wait(300)
    return job.view()


def test_a_training_job_reports_its_steps_phases_and_previews_and_saves_its_network():
    engine = LocalEngine(slots=1)
    view = run_on_engine(task(), engine)
    assert view.status == DONE, view.error
    assert view.started.first_step == 0 and view.started.held_out == 3
    assert [row.iteration for row in view.rows] == [1, 2, 3, 4]
    assert [row.stage for row in view.rows] == [1, 1, 2, 2]  # distilling, then fine-tuning
    assert view.rows[0].losses is None and view.rows[-1].losses.style > 0
    assert view.planned_iterations == 4 and view.fraction() == 1.0
    assert [snapshot.iteration for snapshot in view.snapshots] == [2, 4]
    assert view.snapshots[-1].png.startswith(b"\x89PNG")
    result = view.result
    assert (result.name, result.steps, result.stopped_by) == ("tiny_test", 4, "steps")

    model = registry.find_model("tiny_test")  # the registry's one list has it
    assert model.trained_here and model.weights_path.parent == registry.trained_dir()
    assert model.sha256 == registry.sha256_of(model.weights_path) == result.model.sha256
    record = paintings.find(STARRY)
    assert (model.painting, model.display_name, model.licence) == (
        STARRY, record.title, record.licence)
    assert model.manifest["steps"] == 4 and model.manifest["training"]["distil_steps"] == 2
    assert model.manifest["network"] == TINY.to_dict()
    assert model.painting_path == registry.MODELS_DIR.parent / STARRY  # bundled: no copy
    assert model.painting_path.is_file()
    registry.load_transformer(model)  # checksum-verified, loads
    assert "tiny_test" in [m.name for m in registry.bundled_models()]
    assert engine.get(engine.jobs_of("tester.train")[0].id).record()["summary"]["sha256"] == (
        model.sha256)


def test_cancel_keeps_a_checkpoint_and_the_same_painting_and_settings_resume_from_it():
    engine = LocalEngine(slots=1)
    work = task(steps=400, distil_steps=0, preview_every=0)
    job = engine.submit("tester.train", work)
    deadline = time.monotonic() + 300
    while job.view().iteration < 2:
        assert time.monotonic() < deadline and job.active, job.view().error
        time.sleep(0.05)
    job.cancel()
    assert job.wait(60)
    view = job.view()
    stopped_at = view.result.steps
    assert view.status == CANCELLED and view.result.stopped_by == "cancel"
    assert 2 <= stopped_at < 400 and view.result.model is None
    assert not (registry.trained_dir() / "tiny_test.weights.h5").exists()

    # The same painting and settings (but the steps) find the checkpoint...
    again = task(steps=stopped_at + 2, distil_steps=0, preview_every=0)
    assert again.checkpoint_dir == work.checkpoint_dir and again.saved_step() == stopped_at
    view = run_on_engine(again, engine)
    assert view.status == DONE, view.error
    assert view.started.first_step == stopped_at
    assert [row.iteration for row in view.rows] == [stopped_at + 1, stopped_at + 2]
    assert registry.find_model("tiny_test").manifest["steps"] == stopped_at + 2
    # ...other settings or another painting do not; "fresh" forgets it.
    assert task(distil_steps=0, crop=48).checkpoint_dir != work.checkpoint_dir
    other = TrainTask("tiny_test", painting(48), STARRY, work.config, bundled=True)
    assert other.checkpoint_dir != work.checkpoint_dir and other.saved_step() is None
    assert dataclasses.replace(again, fresh=True).saved_step() is None


def test_a_run_paused_before_the_later_terms_still_finds_its_checkpoint():
    # the Train page's settings of then: Johnson et al.'s design, those terms off
    then = TrainConfig.of_design("johnson", glow_weight=0.0)
    assert then.network == NetworkShape() and (then.steps, then.distil_steps) == (1300, 1000)
    before = TrainTask("any", painting(64), STARRY, then, bundled=True)
    # the settings part of the folder's name, as it was before the terms (commit 3aba483)
    assert before.checkpoint_dir.name.split("-")[1] == "4e715017"
    names = {before.checkpoint_dir}
    for change in ({"laplacian_weight": 0.3}, {"glow_weight": 0.2}, {"texture_weight": 100.0},
                   {"teacher_weight": 1.0}, {"sleeve_weight": 1000.0},
                   {"pattern_weight": 10000.0}, {"calm_share": 0.3},
                   {"banding_weight": 300.0}):
        names.add(dataclasses.replace(before, config=dataclasses.replace(
            before.config, **change)).checkpoint_dir)
    other_design = dataclasses.replace(before.config, network=ANY_PAINTING_SHAPE, distil_steps=0)
    for design in (other_design, dataclasses.replace(other_design, frozen_depth=2)):
        names.add(dataclasses.replace(before, config=design).checkpoint_dir)
    assert len(names) == 11  # any of the terms on, the other design, frozen: a run of its own


def test_an_upload_named_like_a_bundled_painting_is_not_that_painting():
    assert paintings.credits("wave.jpg", bundled=False) == {
        "painting": "wave.jpg", "display_name": "Wave", "artist": "unknown",
        "year": "unknown", "licence": "unknown"}
    assert paintings.credits("wave.jpg", bundled=False, artist="Me")["artist"] == "Me"
    assert paintings.credits("wave.jpg")["artist"] == paintings.find("wave.jpg").artist

    config = tiny_config(steps=2, distil_steps=0, crop=32, preview_every=0)
    upload = TrainTask("my_wave", painting(64), "wave.jpg", config, artist="Me")
    view = run_on_engine(upload, LocalEngine(slots=1))
    assert view.status == DONE, view.error
    model = registry.find_model("my_wave")
    assert (model.display_name, model.artist, model.year, model.licence) == (
        "Wave", "Me", "unknown", "unknown")
    copy = registry.trained_dir() / f"my_wave{registry.PAINTING_SUFFIX}"
    assert model.painting_path == copy and copy.is_file()  # not styles/wave.jpg
    assert fast_results.painting_name(model) == f"trained/{copy.name}"

    # Trained on another machine (the Ray engine): the page writes the files from the result.
    files = sorted(registry.trained_dir().glob("my_wave*"))
    assert [path.name for path in files] == [
        "my_wave.json", "my_wave.painting.png", "my_wave.weights.h5"]
    contents = {path.name: path.read_bytes() for path in files}
    for path in files:
        path.unlink()
    restored = view.result.installed()
    after = {path.name: path.read_bytes() for path in registry.trained_dir().glob("my_wave*")}
    assert after.keys() == contents.keys()
    assert after["my_wave.weights.h5"] == contents["my_wave.weights.h5"]
    assert after[copy.name] == contents[copy.name]
    assert restored.sha256 == model.sha256 and restored.painting_path == copy
    registry.load_transformer(restored)  # checksum-verified, loads
    assert not [path for path in registry.trained_dir().iterdir() if path.name.startswith(".")]


def test_the_page_keeps_each_uploads_credits_apart():
    from tests.apptest_helpers import png_bytes
    from ui.train import form

    at = open_app("pages/train.py")
    at.file_uploader(key=form.UPLOAD).set_value([("wave.jpg", png_bytes(), "image/png")]).run()
    assert not at.exception, at.exception
    first = at.session_state[form.PAINTING]
    assert first.startswith("upload-") and at.text_input(key=form.NAME).value == "my_wave"
    at.text_input(key=f"{form.CREDIT_PREFIX}{first}.artist").input("Someone").run()
    at.file_uploader(key=form.UPLOAD).set_value(
        [("other.png", png_bytes(40, 56), "image/png")]).run()
    second = at.session_state[form.PAINTING]
    assert second != first and at.text_input(key=form.NAME).value == "my_other"
    assert at.text_input(key=f"{form.CREDIT_PREFIX}{second}.artist").value == ""
    at.selectbox(key=form.PAINTING).set_value(first).run()
    assert at.text_input(key=f"{form.CREDIT_PREFIX}{first}.artist").value == "Someone"


def test_a_network_name_must_be_a_file_name_and_not_a_bundled_networks():
    assert name_problem("my_wave-2") is None
    assert "bundled network" in name_problem("starry_night")
    assert "lower-case letters" in name_problem("My Wave")
    with pytest.raises(SettingsError, match="bundled network"):
        task(name="udnie")


def test_a_trained_here_network_named_like_a_bundled_one_is_not_listed(trained_dir):
    bundled = registry.bundled_models(registry.models_dir())
    trained_dir.mkdir()
    first = bundled[0]
    for suffix in (".json", ".weights.h5"):
        source = first.weights_path.with_name(first.name + suffix)
        (trained_dir / source.name).write_bytes(source.read_bytes())
    listed = registry.bundled_models()
    assert [m.name for m in listed] == [m.name for m in bundled]
    assert not any(m.trained_here for m in listed)


def test_the_estimate_weighs_the_phases_and_uses_a_measured_pace():
    config = tiny_config(steps=10, distil_steps=4, crop=256, batch=2, precision="bfloat16")
    per_step = BENCHMARK_FINE_TUNE_SECONDS / FINE_TUNE_COST
    assert estimate_seconds(config) == pytest.approx((4 + 6 * FINE_TUNE_COST) * per_step)
    assert estimate_seconds(config, 6) == pytest.approx(4 * FINE_TUNE_COST * per_step)
    timed = dataclasses.replace(config, crop=128)  # a quarter of the work per step
    assert estimate_seconds(config, 4, (0.5, timed)) == pytest.approx(6 * FINE_TUNE_COST * 2.0)


@pytest.mark.parametrize("distil_steps", [0, 4])
def test_the_estimate_after_cancel_agrees_with_the_running_eta(distil_steps):
    """The pace a running job measures is the pace the estimate before Resume takes: one
    unit for both, with or without a distillation phase (a fine-tuning-only run once
    measured its pace per fine-tuning step and the estimate counted each step 2.5 times)."""
    config = tiny_config(steps=40, distil_steps=distil_steps)
    # 1 s a fine-tuning step after the first (which also traces); distillation 2.5x faster
    seconds_per = {1: 1.0 / FINE_TUNE_COST, 2: 1.0} if distil_steps else {1: 1.0}
    rows, elapsed = [], 0.0
    for step in range(1, 25):
        stage = phase_stage(step, distil_steps)[0]
        elapsed += 3.0 if step == 1 else seconds_per[stage]
        rows.append(LossRow(step, elapsed, None, stage))
    view = JobView("j", RUNNING, 0, False, config.steps, None, None, tuple(rows), (), None,
                   None, stage=phase_stage(24, distil_steps), stage_costs=step_costs(config))
    assert view.eta_seconds() == pytest.approx(16.0, rel=0.05)  # 16 fine-tuning steps left
    after_cancel = estimate_seconds(config, 24, (view.pace(), config))
    assert after_cancel == pytest.approx(view.eta_seconds(), rel=0.01)


# --------------------------------------------------------------------------- the page


def progress_text(at: AppTest) -> str:
    return " ".join(bar.proto.text for bar in at.get("progress"))


def train_page(steps: int) -> AppTest:
    """The Train page on The Starry Night, with tiny settings."""
    at = open_app("pages/train.py")
    assert at.text_input(key="train.name").value == "my_starry_night"
    assert at.number_input(key="train.steps").value == registry_default("steps")
    assert "Estimated time: about " in texts(at.caption)
    at.number_input(key="train.steps").set_value(steps)
    assert at.number_input(key="train.style_size").value == registry_default("style_size")
    at.number_input(key="train.style_size").set_value(64)
    assert at.number_input(key="train.laplacian_weight").value == 0.0
    at.number_input(key="train.laplacian_weight").set_value(0.5)
    assert at.number_input(key="train.glow_weight").value == registry_default("glow_weight")
    at.number_input(key="train.glow_weight").set_value(0.7)
    assert at.number_input(key="train.texture_weight").value == 0.0
    at.number_input(key="train.texture_weight").set_value(20.0)
    assert at.number_input(key="train.sleeve_weight").value == registry_default("sleeve_weight")
    at.number_input(key="train.sleeve_weight").set_value(300.0)
    assert at.number_input(key="train.teacher_weight").value == registry_default("teacher_weight")
    at.number_input(key="train.teacher_weight").set_value(0.3)
    assert at.number_input(key="train.pattern_weight").value == registry_default("pattern_weight")
    at.number_input(key="train.pattern_weight").set_value(2000.0)
    assert at.number_input(key="train.calm_share").value == registry_default("calm_share")
    at.number_input(key="train.calm_share").set_value(0.3)
    assert at.number_input(key="train.banding_weight").value == registry_default("banding_weight")
    at.number_input(key="train.banding_weight").set_value(40.0)
    assert at.number_input(key="train.learning_rate").value == registry_default("learning_rate")
    at.number_input(key="train.learning_rate").set_value(0.0005)
    at.number_input(key="train.crop").set_value(32)
    at.number_input(key="train.batch").set_value(1)
    at.run()
    assert not at.error, texts(at.error)
    return at


def registry_default(field: str):
    return getattr(TrainConfig(), field)


def job_view(at: AppTest):
    from ui import common

    return common.engine().get(at.session_state[train_job.JOB]).view()


def test_the_page_trains_shows_progress_and_a_preview_then_offers_the_network_to_fast():
    at = train_page(steps=4)
    assert "for 4 steps" in texts(at.caption)
    at.button(key="train.start").click().run()
    assert not at.exception, at.exception
    seen = set()

    def done(at: AppTest) -> bool:
        seen.add(progress_text(at).split(":")[0])
        return progress_text(at).startswith("Done: 4 steps in ")

    wait_until(at, done)
    assert FINE_TUNE.capitalize() in seen  # it starts as the any-painting network's copy
    captions = [c for image in at.get("image") for c in image.captions]
    assert any(c.endswith("step 4") and c.startswith("Held-out photos") for c in captions)
    assert "my_starry_night** is trained and saved" in texts(at.success)
    model = registry.find_model("my_starry_night")
    facts = texts(at.markdown)
    assert f"`{model.sha256}`" in facts and "**Licence:** public domain" in facts
    assert "**Steps:** 4, batch 1" in facts and "The Starry Night" in facts
    training = model.manifest["training"]
    assert training["style_size"] == 64 and training["laplacian_weight"] == 0.5  # reached it
    assert training["glow_weight"] == 0.7 and training["texture_weight"] == 20.0
    assert training["teacher_weight"] == 0.3 and training["sleeve_weight"] == 300.0
    assert training["pattern_weight"] == 2000.0 and training["calm_share"] == 0.3
    assert training["banding_weight"] == 40.0 and training["learning_rate"] == 0.0005
    assert at.button(key="train.start").label == "Resume"  # its checkpoint is at step 4...
    assert at.button(key="train.start").disabled  # ...which is all the steps asked for
    assert "Its checkpoint is at step 4: raise Steps" in texts(at.caption)

    at.button(key="train.open_fast").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Fast style transfer"
    assert "my_starry_night" in [m.name for m in fast_results.available_models()]
    assert at.checkbox(key=f"{fast_results.PICK_PREFIX}my_starry_night").value


def test_the_page_cancels_and_resumes_from_the_step_it_stopped_at():
    at = train_page(steps=400)
    at.button(key="train.start").click().run()
    wait_until(at, lambda at: job_view(at).iteration >= 2)
    at.button(key="train.cancel").click().run()
    wait_until(at, lambda at: progress_text(at).startswith("Cancelled at step "))
    stopped_at = job_view(at).result.steps
    assert f"Cancelled at step {stopped_at}: Resume" in progress_text(at)
    assert at.button(key="train.start").label == "Resume"
    assert f"steps {stopped_at} to 400" in texts(at.caption)
    at.button(key="train.start").click().run()
    wait_until(at, lambda at: job_view(at).iteration > stopped_at)
    assert job_view(at).started.first_step == stopped_at
    at.button(key="train.cancel").click().run()
    wait_until(at, lambda at: not job_view(at).active)
    record = json.loads((registry.trained_dir() / "checkpoints").joinpath(
        next(p.name for p in (registry.trained_dir() / "checkpoints").iterdir()),
        "state.json").read_text())
    assert record["step"] == job_view(at).result.steps > stopped_at


def test_a_preview_sheet_loses_its_blank_margins_only():
    import numpy as np

    from core.fast.training_job import trimmed

    sheet = np.full((512, 300, 3), 255, np.uint8)
    sheet[:340, :256] = 90  # a landscape photo over its painting, padded as the trainer pads
    sheet[10, 280] = 0  # a dark pixel further right keeps its column
    assert trimmed(sheet).shape == (340, 281, 3)
    assert trimmed(np.full((4, 4, 3), 255, np.uint8)).shape == (4, 4, 3)
