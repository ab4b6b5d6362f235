"""Training's first phase: learning from the any-painting network's pictures (issue 21)."""

import dataclasses
import threading

import numpy as np
import pytest

from core import edges
from core.backbone import FeatureExtractor, resolve_backbone
from core.errors import SettingsError, UserError
from core.fast import train as training
from core.fast.checkpoint import Checkpoint
from core.fast.distil import Teacher, start_from_teacher
from core.fast.network import build_transformer
from core.fast.settings import ANY_PAINTING_SHAPE, NetworkShape
from tests.conftest import TINY, haloed_teacher, logged, painting, photo, tiny_config


def teacher_error(transformer, teacher, crops):
    """RMS distance (0..255) of the network's pictures from the teacher's (no dither)."""
    target = teacher.network([crops / 255.0, np.repeat(teacher.vector[None], len(crops), 0)])
    target = np.asarray(target) * 255.0
    return float(np.sqrt(np.mean((np.asarray(transformer(crops)) - target) ** 2)))


def test_distillation_brings_the_network_to_the_any_painting_networks_pictures(tmp_path):
    photos = [photo(shift=s) for s in (0, 40, 80)]
    crops = np.stack([p[:32, :32] for p in photos]).astype(np.float32)
    teacher = Teacher(painting())
    untrained = build_transformer(TINY)
    config = tiny_config(steps=40, distil_steps=40, learning_rate=1e-2, checkpoint_every=0)
    events = []
    trained, result = training.train(painting(), photos, [], config, tmp_path / "run",
                                     on_event=events.append)
    before, after = teacher_error(untrained, teacher, crops), teacher_error(trained, teacher,
                                                                            crops)
    assert result.steps == 40 and after < 0.6 * before, (before, after)
    progress = [e for e in events if isinstance(e, training.TrainProgress)]
    assert {e.phase for e in progress} == {training.DISTIL}
    assert all(e.losses is None and e.pixel_error > 0 for e in progress)


@pytest.mark.parametrize("split_at", [1, 2, 3])  # in distillation, at its end, fine-tuning
def test_a_run_resumes_across_the_phase_boundary_exactly(tmp_path, split_at):
    photos = [photo(shift=s) for s in (0, 30)]
    config = tiny_config(steps=4, distil_steps=2)
    straight, _ = training.train(painting(), photos, [], config, tmp_path / "straight")
    cancel = threading.Event()

    def stop_after_the_split(event):
        if isinstance(event, training.TrainProgress) and event.step == split_at:
            cancel.set()

    _, stopped = training.train(painting(), photos, [], config, tmp_path / "split",
                                on_event=stop_after_the_split, cancel=cancel)
    resumed, result = training.train(painting(), photos, [], config, tmp_path / "split")
    assert stopped.stopped_early and stopped.steps == split_at and result.steps == 4
    for mine, theirs in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


def test_a_second_run_of_the_same_folder_is_refused_while_the_first_trains(tmp_path):
    with Checkpoint(tmp_path / "run").claimed():
        with pytest.raises(UserError, match="another run"):
            training.train(painting(), [photo()], [], tiny_config(steps=1), tmp_path / "run")
    _, result = training.train(painting(), [photo()], [], tiny_config(steps=1), tmp_path / "run")
    assert result.steps == 1 and not (tmp_path / "run" / "run.lock").exists()


def test_progress_names_each_phase_and_the_eta_counts_fine_tuning_as_dearer(tmp_path):
    events = []
    training.train(painting(), [photo()], [], tiny_config(steps=3, distil_steps=2),
                   tmp_path / "run", on_event=events.append)
    first, second, third = [e for e in events if isinstance(e, training.TrainProgress)]
    assert (first.phase, second.phase, third.phase) == (training.DISTIL, training.DISTIL,
                                                        training.FINE_TUNE)
    assert third.losses is not None and third.losses.style > 0 and third.pixel_error is None
    # one distillation step and one fine-tuning step left after the first
    assert first.eta_seconds == pytest.approx(
        (1 + training.FINE_TUNE_COST) * first.seconds_per_step)
    assert third.eta_seconds == 0


def test_distillation_cannot_outnumber_the_steps_and_old_shapes_keep_9x9_edges():
    with pytest.raises(SettingsError, match="distil_steps"):
        tiny_config(steps=3, distil_steps=4)
    assert NetworkShape.from_dict({"width": 16, "residual_blocks": 3}).edge_kernel == 9
    assert NetworkShape.from_dict({"width": 16, "residual_blocks": 3}).design == "johnson"
    with pytest.raises(SettingsError, match="odd"):
        NetworkShape(edge_kernel=4)


def test_the_laplacian_pooling_fits_the_crop_and_old_settings_had_neither_later_term():
    from core.fast.settings import TrainConfig

    with pytest.raises(SettingsError, match="laplacian_pool 11 is too coarse for crop 32"):
        tiny_config(crop=32, laplacian_pool=11)  # 2x2 pooled pixels: no Laplacian inside
    assert tiny_config(crop=33, laplacian_pool=11).laplacian_pool == 11
    old = TrainConfig(laplacian_weight=0.5).to_dict()
    for later in ("laplacian_weight", "laplacian_pool", "glow_weight", "texture_weight",
                  "sleeve_weight", "teacher_weight", "pattern_weight", "calm_share",
                  "banding_weight"):
        del old[later]
    assert TrainConfig.from_dict(old).laplacian_weight == 0.0
    assert TrainConfig.from_dict(old).glow_weight == 0.0  # nor a glow term
    assert TrainConfig.from_dict(old).texture_weight == 0.0  # nor a texture term
    assert TrainConfig.from_dict(old).teacher_weight == 0.0  # nor a teacher term
    assert TrainConfig.from_dict(old).sleeve_weight == 0.0  # nor a sleeve term
    assert TrainConfig().sleeve_weight > 0 and TrainConfig.of_design("johnson").sleeve_weight == 0
    assert TrainConfig.from_dict(old).pattern_weight == 0.0  # nor a pattern term
    assert TrainConfig().pattern_weight == 0 == TrainConfig.of_design("johnson").pattern_weight
    assert TrainConfig.from_dict(old).calm_share == 0.0  # nor a calm guide
    assert TrainConfig.from_dict(old).banding_weight == 0.0  # nor a banding term
    with pytest.raises(SettingsError, match="^calm_share is a share of the painting"):
        TrainConfig(calm_share=1.0)  # all of the painting is no calm part of it
    with pytest.raises(SettingsError, match="^calm_share must be a finite number, zero or more"):
        TrainConfig(calm_share=-0.1)


def test_the_teacher_term_follows_the_teachers_picture_without_its_halo():
    config = tiny_config(crop=256, distil_steps=1, teacher_weight=0.5)
    extractor = FeatureExtractor(resolve_backbone("vgg16-hed"), config.loss_layers, "avg",
                                 "float32")
    grams = training.style_targets(extractor, painting(), config)

    def trainer_for(config):
        return training._make_trainer(build_transformer(config.network), extractor, grams,
                                      config)

    # a strong edge; the teacher's picture draws a light halo beside it
    crops, teachers, clean = haloed_teacher()
    trainer = trainer_for(config)
    total = trainer.compute_loss(crops, teachers, teachers)
    assert logged(trainer)["teacher"] == pytest.approx(
        0.5 * float(edges.teacher_loss(teachers, teachers, crops)), rel=1e-5)
    assert logged(trainer)["teacher"] > 0.5 * 50.0  # its halo costs
    assert float(total) == pytest.approx(sum(logged(trainer).values()), rel=1e-5)
    trainer = trainer_for(config)
    trainer.compute_loss(crops, teachers, clean)  # the picture without it hardly
    assert logged(trainer)["teacher"] < 0.5 * 2.0
    # with the sleeve term on, the teacher term leaves it the band along the edge
    trainer = trainer_for(dataclasses.replace(config, sleeve_weight=10.0))
    trainer.compute_loss(crops, teachers, teachers)
    assert logged(trainer)["teacher"] == pytest.approx(
        0.5 * float(edges.teacher_loss(teachers, teachers, crops, leave_sleeve=True)), rel=1e-5)
    assert logged(trainer)["teacher"] < 0.8 * 0.5 * float(
        edges.teacher_loss(teachers, teachers, crops))  # the halo's steepest part is in it
    untaught = trainer_for(config)
    untaught.compute_loss(crops, None, teachers)  # no teacher's picture: no term
    assert logged(untaught)["teacher"] == 0.0
    off = trainer_for(dataclasses.replace(config, teacher_weight=0.0))
    off.compute_loss(crops, teachers, teachers)
    assert logged(off)["teacher"] == 0.0
    with pytest.raises(SettingsError, match="^teacher_weight needs the any-painting"):
        tiny_config(distil_steps=0, teacher_weight=1.0)  # no teacher to follow
    with pytest.raises(SettingsError, match="^pattern_weight needs the any-painting"):
        tiny_config(distil_steps=0, pattern_weight=1.0)  # nor a picture to measure against


def test_a_network_of_the_any_painting_design_starts_as_that_network_with_the_painting():
    teacher = Teacher(painting())
    crops = np.stack([photo(shift=s) for s in (0, 60)]).astype(np.float32)
    network = build_transformer(ANY_PAINTING_SHAPE)
    start_from_teacher(network, teacher)
    assert teacher_error(network, teacher, crops) < 0.01  # grey levels: the same picture
    for other in ({"width": 16}, {"residual_blocks": 3}, {"edge_kernel": 5}):
        with pytest.raises(SettingsError, match="the any-painting design has that network's"):
            dataclasses.replace(ANY_PAINTING_SHAPE, **other)


def test_a_fresh_run_of_the_any_painting_design_starts_from_the_teacher(tmp_path):
    photos = [photo(shift=s) for s in (0, 40, 80)]
    # at learning rate 0 the step changes nothing: what it returns is where it started
    config = tiny_config(network=ANY_PAINTING_SHAPE, steps=1, teacher_weight=1.0,
                         learning_rate=0.0, preview_every=0)
    assert config.learns_from_teacher and config.distil_steps == 0
    network, _ = training.train(painting(), photos, [], config, tmp_path / "run")
    crops = np.stack([p[:32, :32] for p in photos]).astype(np.float32)
    teacher = Teacher(painting())
    assert teacher_error(network, teacher, crops) < 0.01
    # a warm start keeps its own weights: the teacher's are only a fresh run's start
    gamma, beta = network.get_layer("expand3_norm").get_weights()  # the last norm's shift
    network.get_layer("expand3_norm").set_weights([gamma, beta + 1.0])
    network.save_weights(tmp_path / "changed.weights.h5")
    warm, _ = training.train(painting(), photos, [], config, tmp_path / "warm",
                             warm_start=tmp_path / "changed.weights.h5")
    assert teacher_error(warm, teacher, crops) > 1.0
    assert np.allclose(np.asarray(warm(crops)), np.asarray(network(crops)), atol=1e-3)
    with pytest.raises(SettingsError, match="nothing to distil"):
        tiny_config(network=ANY_PAINTING_SHAPE, distil_steps=1)


def test_frozen_stages_stay_the_teachers_copy_and_the_rest_fine_tunes(tmp_path):
    photos = [photo(shift=s) for s in (0, 40, 80)]
    config = tiny_config(network=ANY_PAINTING_SHAPE, steps=2, teacher_weight=1.0,
                         frozen_depth=2, preview_every=0)  # the convolutions down, res1
    network, _ = training.train(painting(), photos, [], config, tmp_path / "run")
    start = build_transformer(ANY_PAINTING_SHAPE)
    start_from_teacher(start, Teacher(painting()))

    def moved(name):
        return max(float(np.abs(a - b).max()) for a, b in zip(
            network.get_layer(name).get_weights(), start.get_layer(name).get_weights(),
            strict=True))

    for name in ("contract1_conv", "contract3_conv", "res1_conv2_conv", "res1_conv2_norm"):
        assert moved(name) == 0, name
    for name in ("res2_conv1_conv", "expand3_conv"):
        assert moved(name) > 1e-4, name
    assert training.TrainConfig.from_dict(
        {k: v for k, v in config.to_dict().items() if k != "frozen_depth"}).frozen_depth == 0
    with pytest.raises(SettingsError, match="frozen_depth"):
        tiny_config(network=ANY_PAINTING_SHAPE, frozen_depth=7)  # 1 + its 5 blocks at most
    with pytest.raises(SettingsError, match="needs that design"):
        tiny_config(frozen_depth=1)  # Johnson et al.'s design starts from random weights
