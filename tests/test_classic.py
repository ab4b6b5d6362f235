"""Classic optimisation on tiny images: presets, events, optimisers, stopping."""

import dataclasses
import itertools
import json
import threading

import numpy as np
import pytest

from core import images
from core.classic import (
    PRESETS,
    AdamState,
    ClassicConfig,
    Progress,
    Started,
    StartImage,
    adam_steps,
    initial_image,
    preset,
    stylize,
)
from core.errors import SettingsError

RNG = np.random.default_rng(3)


def smooth_photo(height, width):
    """A photo-like image: gradients and a bright square, not noise."""
    y, x = np.mgrid[0:height, 0:width]
    image = np.stack([x * 255 / width, y * 255 / height, np.full_like(x, 90)], -1)
    image[height // 4: height // 2, width // 4: width // 2] = 230
    return image.astype(np.uint8)


def stripes(height, width):
    image = np.zeros((height, width, 3), np.uint8)
    image[:, ::4] = (250, 200, 30)
    image[::6, :] = (20, 40, 200)
    return image


CONTENT = smooth_photo(40, 56)
STYLE = stripes(64, 64)


def tiny(**changes) -> ClassicConfig:
    base = ClassicConfig(size=48, iterations=6, snapshot_every=3, backbone="vgg16-hed")
    return dataclasses.replace(base, **changes)


def run(config, **kwargs):
    events = []
    result = stylize(CONTENT, [STYLE], config, on_event=events.append, **kwargs)
    return result, events


def test_report_preset_is_the_report_recipe():
    report = PRESETS["report"]
    assert report.content_layer == "conv4_2"
    assert report.style_layers == (
        ("conv1_1", 0.5), ("conv2_1", 1.0), ("conv3_1", 1.5), ("conv4_1", 3.0), ("conv5_1", 4.0)
    )
    assert (report.content_weight, report.style_weight, report.tv_weight) == (5.0, 100.0, 0.0)
    assert report.pooling == "avg"
    assert report.init == "report-noise"
    assert (report.optimizer, report.learning_rate, report.iterations) == ("adam", 2.0, 1000)
    assert report.snapshot_every == 50
    assert report.style_scale is None  # style squashed to the output size, as in the report
    assert report.precision == "float32"
    assert report.size == 1080


def test_report_noise_init_is_seventy_percent_noise():
    config = dataclasses.replace(PRESETS["report"], seed=5)
    mean_rgb = np.array([123.68, 116.779, 103.939], np.float32)
    start = initial_image(config, CONTENT, STYLE, None, mean_rgb[::-1])
    expected_centre = 0.3 * CONTENT + 0.7 * mean_rgb
    deviation = start - expected_centre
    assert np.abs(deviation).max() <= 0.7 * 20 + 1e-3
    assert deviation.std() == pytest.approx(0.7 * 40 / np.sqrt(12), rel=0.1)
    again = initial_image(config, CONTENT, STYLE, None, mean_rgb[::-1])
    np.testing.assert_array_equal(start, again)  # seeded


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_loss_falls_for_each_optimizer(optimizer):
    config = tiny(optimizer=optimizer, learning_rate=8.0, iterations=8)
    result, events = run(config)
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress[-1].losses.total < 0.7 * progress[0].losses.total
    assert result.iterations == 8 and result.stopped_by == "iterations"


def test_events_and_result():
    result, events = run(tiny())
    started, start, *progress = events
    assert isinstance(started, Started) and started.backbone.name == "vgg16-hed"
    assert (started.width, started.height) == (48, 34)
    assert isinstance(start, StartImage) and start.iteration == 0  # the starting picture
    assert all(isinstance(e, Progress) for e in progress)
    assert [e.iteration for e in progress] == [1, 2, 3, 4, 5, 6]
    assert [e.iteration for e in progress if e.snapshot is not None] == [3, 6]
    assert progress[2].snapshot.shape == (34, 48, 3) and progress[2].snapshot.dtype == np.uint8
    assert all(b.elapsed >= a.elapsed for a, b in zip(progress, progress[1:], strict=False))
    assert result.image.shape == (34, 48, 3)
    summary = result.summary()
    assert summary["size"] == [48, 34] and summary["backbone"] == "vgg16-hed"
    assert summary["losses"]["total"] == pytest.approx(result.losses.total)
    json.dumps(summary)


@pytest.mark.parametrize("init", ["content", "style"])
def test_the_first_snapshot_is_the_starting_picture_at_iteration_0(init):
    _, events = run(tiny(init=init, iterations=2, snapshot_every=1))
    start = events[1]
    assert isinstance(start, StartImage) and (start.iteration, start.stage) == (0, 1)
    # "style": the painting as the run sizes it (style_scale 1: 48 px), squashed to the photo's
    expected = (images.resize_longest(CONTENT, 48) if init == "content"
                else images.resize_exact(images.resize_longest(STYLE, 48), 48, 34))
    np.testing.assert_array_equal(start.snapshot, expected)
    assert start.snapshot.dtype == np.uint8 and 0 <= start.elapsed <= events[2].elapsed
    snapshots = [(e.iteration, e.snapshot) for e in events[1:] if e.snapshot is not None]
    assert [i for i, _ in snapshots] == [0, 1, 2]
    assert not np.array_equal(snapshots[0][1], snapshots[-1][1])  # it was painted since


def test_no_snapshots_no_starting_picture():
    _, events = run(tiny(iterations=2, snapshot_every=0))
    assert not any(isinstance(e, StartImage) for e in events)
    assert all(e.snapshot is None for e in events if isinstance(e, Progress))


def test_cancel_stops_between_iterations():
    cancel = threading.Event()

    def on_event(event):
        if isinstance(event, Progress) and event.iteration == 2:
            cancel.set()

    result = stylize(CONTENT, [STYLE], tiny(iterations=50), on_event=on_event, cancel=cancel)
    assert result.iterations == 2
    assert result.stopped_by == "cancel"
    assert result.image.shape == (34, 48, 3)


def test_time_budget_alone_bounds_the_run():
    result, _ = run(tiny(iterations=None, max_seconds=0.001))
    assert result.iterations == 1 and result.stopped_by == "time"


@pytest.mark.parametrize("optimizer, expected_peak", [("lbfgs", 255.0), ("adam", 300.0)])
def test_only_lbfgs_keeps_pixels_inside_0_to_255(optimizer, expected_peak):
    """Pulled towards 300 everywhere, L-BFGS-B stops at its bound; Adam goes past it."""
    from core.classic import Losses
    from core.classic.engine import Run
    from core.classic.optimisers import adam, lbfgs

    def towards_300(image):
        return Losses(float(np.sum((image - 300) ** 2)), 0.0, 0.0), 2 * (image - 300)

    config = tiny(optimizer=optimizer, iterations=400, learning_rate=5.0)
    start = np.full((4, 4, 3), 128.0, np.float32)
    run = Run(config, CONTENT, None, None)
    if optimizer == "lbfgs":
        final = lbfgs(towards_300, start, run)
    else:
        final = adam(towards_300, start, run, config.learning_rate)
    assert final.max() == pytest.approx(expected_peak, abs=1.0)


def test_preserve_colors_keeps_the_content_chroma():
    result, _ = run(tiny(preserve_colors=True))
    content = images.resize_longest(CONTENT, 48).astype(np.float32)
    chroma = lambda rgb: rgb @ np.array([[-0.168736, 0.5], [-0.331264, -0.418688],  # noqa: E731
                                         [0.5, -0.081312]])
    difference = np.abs(chroma(result.image.astype(np.float32)) - chroma(content))
    assert np.median(difference) < 3


def test_style_scale_sizes_the_style_independently():
    from core.classic.engine import fit_style

    squashed = fit_style(STYLE, 48, 34, tiny(style_scale=None))
    assert squashed.shape == (34, 48, 3)
    scaled = fit_style(STYLE, 48, 34, tiny(style_scale=2.0))
    assert scaled.shape == (96, 96, 3)  # the square painting stays square


def test_blend_of_two_styles_lies_between_them():
    """An even blend's target is halfway between the two paintings' (Gram by Gram), and a
    one-sided blend is that painting alone."""
    from core.backbone import feature_extractor, resolve_backbone
    from core.classic.engine import Objective

    config = tiny(iterations=1)
    extractor = feature_extractor(resolve_backbone(config.backbone), config.loss_layers,
                                  config.pooling, config.precision)
    paintings = [STYLE, 255 - STYLE]

    def targets(blend):
        return Objective(extractor, config, CONTENT, paintings, blend).style_grams

    first, second, even = targets([1, 0]), targets([0, 1]), targets([1, 1])
    for layer in first:
        one, two, half = (np.asarray(t[layer]) for t in (first, second, even))
        assert not np.allclose(one, two, rtol=0.05)  # two different paintings
        np.testing.assert_allclose(half, (one + two) / 2, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"content_weight": float("nan")}, "content_weight"),
        ({"style_weight": -1.0}, "style_weight"),
        ({"content_weight": 0.0, "style_weight": 0.0}, "both be zero"),
        ({"iterations": 0}, "iterations"),
        ({"iterations": 10**9}, "iterations"),
        ({"iterations": None, "max_seconds": None}, "max_seconds"),
        ({"max_seconds": 0.0}, "max_seconds"),
        ({"optimizer": "sgd"}, "lbfgs, adam"),
        ({"init": "zeros"}, "init"),
        ({"pooling": "min"}, "avg, max"),
        ({"size": 10}, "size"),
        ({"size": 100_000}, "size"),
        ({"style_scale": 0.0}, "style_scale"),
        ({"base_size": 8}, "base_size"),
        ({"refine_iterations": 0}, "refine_iterations"),
        ({"style_layers": (("conv1_1", float("inf")),)}, "conv1_1"),
    ],
)
def test_bad_settings_are_refused_with_their_name(changes, message):
    with pytest.raises(ValueError, match=message):
        tiny(**changes)


def test_bad_blend_weights_are_refused():
    with pytest.raises(ValueError, match="2 style images but 1 style weights"):
        stylize(CONTENT, [STYLE, STYLE], tiny(), style_blend=[1.0])
    with pytest.raises(ValueError, match="not all zero"):
        stylize(CONTENT, [STYLE, STYLE], tiny(), style_blend=[0.0, 0.0])


def test_config_survives_a_json_round_trip():
    config = PRESETS["report"]
    assert ClassicConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    with pytest.raises(ValueError, match="unknown classic settings: colour"):
        ClassicConfig.from_dict({"colour": 1})


def test_preset_overrides_ignore_unset_values():
    assert preset("report", iterations=None, size=64).size == 64
    assert preset("report", iterations=None).iterations == 1000
    with pytest.raises(ValueError, match="report, recommended"):
        preset("fastest")


def test_large_outputs_start_at_the_base_size_then_refine_at_full_size():
    config = tiny(base_size=32, iterations=3, refine_iterations=2, snapshot_every=1,
                  init="content")
    assert config.stage_sizes == (32, 48)
    result, events = run(config)
    progress = [e for e in events if isinstance(e, Progress)]
    assert [(e.iteration, e.stage, e.stages) for e in progress] == [
        (1, 1, 2), (2, 1, 2), (3, 1, 2), (4, 2, 2), (5, 2, 2)
    ]
    assert all(e.total == 5 for e in progress)
    # one starting picture, at the first scale's size: a later scale starts from the last
    starts = [e for e in events if isinstance(e, StartImage)]
    assert [(e.iteration, e.stage, e.stages) for e in starts] == [(0, 1, 2)]
    np.testing.assert_array_equal(starts[0].snapshot, images.resize_longest(CONTENT, 32))
    assert progress[0].snapshot.shape == (23, 32, 3)
    assert progress[-1].snapshot.shape == (34, 48, 3)
    assert result.image.shape == (34, 48, 3) and result.iterations == 5


def test_scales_grow_at_most_two_and_a_half_times_per_step():
    assert tiny(size=512, base_size=512).stage_sizes == (512,)
    assert tiny(size=1080, base_size=512).stage_sizes == (512, 1080)
    assert tiny(size=2048, base_size=512).stage_sizes == (512, 1024, 2048)
    assert tiny(size=2048, base_size=None).stage_sizes == (2048,)
    # A time budget alone cannot be split between scales: one scale.
    assert tiny(size=1080, iterations=None, max_seconds=5.0).stage_sizes == (1080,)
    assert tiny(size=2048, iterations=50, refine_iterations=7).planned_iterations == 64
    assert PRESETS["report"].stage_sizes == (1080,)


def test_cancel_during_a_coarse_scale_still_gives_a_full_size_image():
    cancel = threading.Event()
    cancel.set()
    config = tiny(base_size=32, iterations=5)
    result = stylize(CONTENT, [STYLE], config, cancel=cancel)
    # L-BFGS-B stops inside its first line search: one evaluation, no finished iteration.
    assert (result.iterations, result.evaluations, result.stopped_by) == (0, 1, "cancel")
    assert result.image.shape == (34, 48, 3)


def test_box_lbfgsb_takes_the_same_steps_as_scipy_minimize():
    """The vectorised driver must be scipy's L-BFGS-B exactly, only without the slow wrapper."""
    from scipy.optimize import Bounds, minimize

    from core.classic import box_lbfgsb

    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(80, 60))
    target = rng.normal(size=80) * 40 + 100  # pulls some variables past the box

    def value_and_gradient(x):
        residual = matrix @ x - target
        return float(residual @ residual), 2 * matrix.T @ residual

    start = rng.uniform(0, 255, size=60)
    seen = []
    ours, iterations = box_lbfgsb(value_and_gradient, start, 0.0, 255.0, max_iterations=15,
                                  max_evaluations=45, history=20,
                                  on_iteration=lambda x: seen.append(x.copy()) and False)
    theirs = []
    reference = minimize(value_and_gradient, start, jac=True, method="L-BFGS-B",
                         bounds=Bounds(0.0, 255.0),
                         callback=lambda xk: theirs.append(xk.copy()),
                         options={"maxiter": 15, "maxfun": 45, "maxcor": 20, "ftol": 0.0,
                                  "gtol": 0.0})
    assert iterations == reference.nit == 15
    np.testing.assert_array_equal(np.array(seen), np.array(theirs))
    np.testing.assert_array_equal(ours, reference.x)
    assert ours.min() == 0.0 and ours.max() <= 255.0  # the box is active and respected


def test_large_images_keep_fewer_lbfgs_pairs_small_ones_the_full_history():
    from core.classic import LBFGS_HISTORY, lbfgs_history

    assert lbfgs_history(512 * 342 * 3, 60) == LBFGS_HISTORY == 20
    assert lbfgs_history(512 * 342 * 3, 10) == 10  # never more pairs than iterations
    assert lbfgs_history(1080 * 720 * 3, 10) == 10  # the 1080 px refine stage: unchanged
    assert lbfgs_history(2048 * 1366 * 3, 10) == 4  # 4 x 134 MB instead of 10 x 134 MB
    assert lbfgs_history(4096 * 4096 * 3, 10) == 4  # the floor: L-BFGS, not gradient descent
    assert lbfgs_history(100, 1) == 1


def test_a_cancel_does_not_wait_for_a_slow_evaluation_to_finish():
    """At 1080 px one evaluation of the loss network takes seconds; a cancelled run must
    not sit through it. (The objective here only stands in for that slow evaluation: what
    is tested is the run's waiting, not the loss.)"""
    import threading
    import time

    from core.classic import PRESETS
    from core.classic.engine import Run
    from core.classic.optimisers import Cancelled

    def slow_objective(image):
        time.sleep(8)
        return None, image

    cancel = threading.Event()
    run = Run(PRESETS["recommended"], np.zeros((8, 8, 3), np.uint8), None, cancel)
    threading.Timer(0.2, cancel.set).start()
    started = time.perf_counter()
    with pytest.raises(Cancelled):
        run.evaluate(slow_objective, np.zeros((8, 8, 3), np.float32))
    # Well under the 8 s evaluation; loose enough for a loaded 2-core machine (1.5 s seen).
    assert time.perf_counter() - started < 3.0 and run.stopped_by == "cancel"
    run.close()

    quick = Run(PRESETS["recommended"], np.zeros((8, 8, 3), np.uint8), None,
                threading.Event())
    losses, gradient = quick.evaluate(lambda image: ("losses", image + 1), np.zeros(3))
    assert losses == "losses" and gradient.tolist() == [1, 1, 1]  # uncancelled: the result
    quick.close()


def test_settings_files_of_an_older_version_still_load_with_a_note():
    old = {**PRESETS["recommended"].to_dict(), "coarse_scales": [0.5], "coarse_iterations": 40}
    del old["base_size"], old["refine_iterations"]
    notes = []
    config = ClassicConfig.from_dict(old, notes)
    assert config.size == PRESETS["recommended"].size and config.base_size == 512
    assert [note.split(" is ")[0] for note in notes] == ["coarse_iterations", "coarse_scales"]
    with pytest.raises(ValueError, match="unknown classic settings: colour"):
        ClassicConfig.from_dict({**old, "colour": 1})


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"optimizer": "sgd"}, "optimizer must be one of lbfgs, adam"),
        ({"tv_weight": -1.0}, "tv_weight must be a finite number, zero or more"),
        ({"learning_rate": 0.0}, "learning_rate must be a finite number, more than zero"),
        ({"seed": -1}, "seed must be a whole number from 0 to 4294967295"),
        ({"content_weight": 0.0, "style_weight": 0.0}, "both be zero"),
        ({"style_scale": 5.0}, "style_scale must be between 0.1 and 4"),
    ],
)
def test_bad_settings_are_a_settings_error(changes, message):
    with pytest.raises(SettingsError, match=message):
        tiny(**changes)
    with pytest.raises(SettingsError, match="unknown classic settings"):
        ClassicConfig.from_dict({"colour": 1})
    with pytest.raises(SettingsError, match="preset must be one of"):
        preset("fastest")


def test_adam_resumed_from_its_saved_state_takes_the_same_steps():
    """What bench/report_recipe.py relies on: the pixels and ``AdamState`` are all a run is."""
    target = RNG.uniform(0, 255, (6, 5, 3)).astype(np.float32)

    def objective(image):
        return None, 2 * (image - target) + np.sin(image)

    def take(steps, count):
        return [image for image, _ in itertools.islice(steps, count)][-1]

    start = np.full((6, 5, 3), 128.0, np.float32)
    straight = take(adam_steps(objective, start, AdamState.zeros_like(start), 2.0), 9)
    state = AdamState.zeros_like(start)
    halfway = take(adam_steps(objective, start, state, 2.0), 4)
    saved = AdamState(state.first.copy(), state.second.copy(), state.step)
    resumed = take(adam_steps(objective, halfway.copy(), saved, 2.0), 5)
    np.testing.assert_array_equal(resumed, straight)


def test_lbfgs_says_whether_its_evaluation_budget_or_convergence_ended_a_scale(monkeypatch):
    from core.classic import Losses, optimisers
    from core.classic.engine import Run

    def objective(image):
        return Losses(float(np.sum(image)), 0.0, 0.0), np.ones_like(image)

    def spends_its_evaluations(value_and_gradient, start, lower, upper, *, max_evaluations,
                               **_):
        for _ in range(max_evaluations + 1):
            value_and_gradient(start)
        return start, 1

    def goes_no_further(value_and_gradient, start, lower, upper, **_):
        value_and_gradient(start)
        return start, 1

    start = np.full((4, 4, 3), 128.0, np.float32)
    for box, reason in ((spends_its_evaluations, "evaluations"), (goes_no_further, "converged")):
        monkeypatch.setattr(optimisers, "box_lbfgsb", box)
        run = Run(tiny(iterations=4), CONTENT, None, None)
        optimisers.lbfgs(objective, start, run)
        assert run.stopped_by == reason


def test_a_settings_file_size_written_as_text_is_a_number():
    """{"size": "1080"} passed every check and crashed the classic page later."""
    config = ClassicConfig.from_dict({"size": "1080", "base_size": "512"})
    assert (config.size, config.base_size) == (1080, 512)
    assert type(config.size) is int and type(config.base_size) is int
    with pytest.raises(SettingsError, match="size must be a whole number of pixels"):
        ClassicConfig.from_dict({"size": "large"})


def test_the_fast_start_is_the_any_painting_networks_picture_blended_as_the_run_blends():
    from core.classic.starts import fast_start, load_fast_networks
    from core.fast import arbitrary

    networks = load_fast_networks()
    other = np.ascontiguousarray(STYLE[:, ::-1, ::-1])
    _, events = run(tiny(base_size=32, iterations=1, refine_iterations=1, snapshot_every=1))
    start = next(e for e in events if isinstance(e, StartImage)).snapshot
    at_first_scale = images.resize_longest(CONTENT, 32)
    expected = arbitrary.paint_with_paintings(
        *networks, at_first_scale, [STYLE], None,
        arbitrary.ArbitraryConfig(size=32, dither=0.0, dehalo=False)).image
    np.testing.assert_array_equal(start, expected)  # painted at the first scale's size
    assert np.abs(start.astype(int) - at_first_scale).mean() > 10  # not the photo
    # two paintings: their style vectors blended by the run's weights, not only the first
    only_first = fast_start(at_first_scale, [STYLE, other], [1.0, 0.0], networks)
    half = fast_start(at_first_scale, [STYLE, other], [1.0, 1.0], networks)
    np.testing.assert_array_equal(only_first, expected)
    assert np.abs(half.astype(int) - expected).mean() > 2


def test_the_default_precision_follows_the_cpu():
    from core import machine

    assert machine.native_bfloat16(frozenset({"avx2", "avx512_bf16"}))
    assert machine.native_bfloat16(frozenset({"amx_bf16"}))
    assert not machine.native_bfloat16(frozenset({"avx2", "avx512f"}))
    expected = "bfloat16" if machine.native_bfloat16() else "float32"
    assert ClassicConfig().precision == expected == PRESETS["recommended"].precision
    assert PRESETS["report"].precision == "float32"  # the report's, whatever the CPU
