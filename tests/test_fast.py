"""Fast style networks: the transformer, the trainer (tiny real runs), the registry, the CLI."""

import dataclasses
import json
import logging
import shutil
import threading

import keras
import numpy as np
import pytest

from core import cli, images
from core.backbone import FeatureExtractor, resolve_backbone
from core.fast import apply, registry
from core.fast import photos as training_photos
from core.fast import train as training
from core.fast.apply import FastConfig, compiled, paint, warm_up
from core.fast.network import build_transformer
from tests.conftest import (
    TINY,
    checker_strokes,
    logged,
    painting,
    photo,
    sky_ramp,
    tiny_config,
    two_tones,
)


@pytest.mark.parametrize("height,width", [(33, 47), (64, 64), (101, 37), (32, 33)])
def test_the_network_keeps_any_size(height, width):
    keras.utils.set_random_seed(0)  # the weights' draw, so the median below is repeatable
    net = build_transformer(TINY)
    rgb = np.random.default_rng(0).uniform(0, 255, (2, height, width, 3)).astype(np.float32)
    out = np.asarray(net(rgb))
    assert out.shape == (2, height, width, 3)
    assert np.isfinite(out).all()
    # Untrained, it starts near mid-grey: the output layer is linear around 127.5 (medians of
    # 109-140 over three seeds of random weights with 9x9 edges; 86-87 here with 5x5 ones).
    assert 127.5 - 50 <= np.median(out) <= 127.5 + 50


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_a_compiled_network_traces_once_for_every_size_and_batch(precision):
    net = build_transformer(TINY, precision)
    network = compiled(net)
    rng = np.random.default_rng(0)
    for shape in [(1, 33, 47, 3), (2, 64, 64, 3), (1, 101, 37, 3), (3, 32, 33, 3)]:
        rgb = rng.uniform(0, 255, shape).astype(np.float32)
        np.testing.assert_allclose(np.asarray(network(rgb), np.float32),
                                   np.asarray(net(rgb), np.float32), rtol=1e-4, atol=1e-3)
    assert network.function.experimental_get_tracing_count() == 1


def test_warm_up_traces_the_graph_and_changes_no_result():
    net = build_transformer(TINY)
    weights = net.get_weights()
    content, config = photo(41, 57), FastConfig(size=None)
    expected = paint(compiled(net), content, config).image  # traced by the picture itself
    warm = compiled(net)
    assert warm.tracing_count == 0
    apply._build_halo_free_graph.cache_clear()  # as in a fresh process
    assert warm_up(warm) > 0 and warm.tracing_count == 1
    assert apply._halo_free_graph().experimental_get_tracing_count() == 1  # traced by it
    np.testing.assert_array_equal(paint(warm, content, config).image, expected)
    assert paint(warm, photo(60, 30), config).image.shape == (60, 30, 3)
    assert warm.tracing_count == 1  # the tiny warm-up image's trace serves every size
    # and so does the one graph that takes the halos out of every network's pictures
    assert apply._halo_free_graph().experimental_get_tracing_count() == 1
    assert np.abs(paint(net, content, config).image.astype(int) - expected).max() <= 1
    for before, after in zip(weights, net.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    warm_up(net)  # an eager network (other backends) is warmed up the same way


def test_warm_up_on_a_background_thread_shares_its_trace_with_a_picture_meanwhile():
    network = compiled(build_transformer(TINY))
    thread = threading.Thread(target=warm_up, args=(network,))
    thread.start()
    painted = paint(network, photo(), FastConfig(size=None)).image
    thread.join()
    assert network.tracing_count == 1 and painted.shape == (40, 48, 3)


def test_compiled_networks_at_many_sizes_trace_once_each_without_warnings(monkeypatch):
    # The compare page paints with every network; TensorFlow warned about "retracing" when
    # five networks' graphs (one lambda's code) were each traced for a photo's shape.
    from tensorflow.python.eager.polymorphic_function import polymorphic_function as tracing

    # It warns at most twice per function code and process: count from zero here.
    monkeypatch.setattr(tracing, "_frequent_tracing_detector_manager",
                        tracing._FrequentTracingDetectorManager())
    records = []
    catcher = logging.Handler()
    catcher.emit = records.append
    logger = logging.getLogger("tensorflow")
    logger.addHandler(catcher)
    try:
        networks = [compiled(build_transformer(TINY)) for _ in range(6)]
        for size in (48, 40, 64):
            for network in networks:
                paint(network, photo(), FastConfig(size=size))
    finally:
        logger.removeHandler(catcher)
    assert [network.tracing_count for network in networks] == [1] * 6
    assert not [record for record in records if "retracing" in record.getMessage()]


def test_compiled_is_the_network_itself_under_other_backends(monkeypatch):
    import keras

    net = build_transformer(TINY)
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    assert compiled(net) is net


def test_bfloat16_network_loads_the_same_weights_and_stays_close():
    float_net = build_transformer(TINY)
    bf16_net = build_transformer(TINY, precision="bfloat16")
    bf16_net.set_weights(float_net.get_weights())
    rgb = photo()[None].astype(np.float32)
    exact = np.asarray(float_net(rgb)).ravel()
    rounded = np.asarray(bf16_net(rgb), np.float32).ravel()
    # bfloat16 keeps 8 bits of mantissa: the same picture, slightly noisier (even through a
    # random, untrained network, whose activations are the least well conditioned).
    assert np.corrcoef(exact, rounded)[0, 1] > 0.97


def test_a_few_training_steps_lower_the_loss_on_a_fixed_batch():
    config = tiny_config(learning_rate=3e-3)
    extractor = FeatureExtractor(resolve_backbone("vgg16-hed"), config.loss_layers, "avg",
                                 "float32")
    grams = training.style_targets(extractor, painting(), config)
    transformer = build_transformer(config.network)
    trainer = training._make_trainer(transformer, extractor, grams, config)
    import keras

    trainer.compile(optimizer=keras.optimizers.Adam(config.learning_rate))
    batch = np.stack([photo(32, 32), photo(32, 32, shift=60)]).astype(np.float32)

    def loss():
        return float(trainer.compute_loss(batch, None, trainer(batch)))

    before = loss()
    for _ in range(25):
        trainer.train_on_batch(batch)
    after = loss()
    assert after < 0.7 * before  # measured: about 0.5


def test_layer_balance_puts_every_style_layer_on_the_same_footing():
    config = tiny_config(style_weight=10.0)
    extractor = FeatureExtractor(resolve_backbone("vgg16-hed"), config.loss_layers, "avg",
                                 "float32")
    grams = training.style_targets(extractor, painting(), config)
    photos = [photo(40, 48), photo(48, 40, shift=70)]
    balance = training.layer_balance(extractor, grams, photos, config)
    raw = sorted(balance.values())
    assert raw[-1] / raw[0] > 100  # unbalanced, the layers differ by orders of magnitude
    trainer = training._make_trainer(build_transformer(config.network), extractor, grams,
                                     config, balance)
    crops = np.stack([training_photos.centre_crop(p, config.crop)
                      for p in photos]).astype(np.float32)
    trainer.compute_loss(crops, None, crops)  # the photos themselves as the "painting"
    content, style, *_ = (float(term.result()) for term in trainer.terms)
    assert content == 0.0
    # Each balanced layer is exactly 1 on these photos: 10 x 4 layers.
    assert style == pytest.approx(10.0 * len(config.style_layers), rel=1e-3)


def test_the_laplacian_term_holds_the_picture_to_the_photo_not_to_the_teacher():
    from core import losses

    config = tiny_config(laplacian_weight=2.0)
    extractor = FeatureExtractor(resolve_backbone("vgg16-hed"), config.loss_layers, "avg",
                                 "float32")
    grams = training.style_targets(extractor, painting(), config)
    trainer = training._make_trainer(build_transformer(config.network), extractor, grams,
                                     config)
    crops = np.stack([photo(32, 32), photo(32, 32, shift=60)]).astype(np.float32)
    haloed = crops.copy()
    haloed[:, :, 8:16] += 40.0  # a light band, as a teacher's halo
    trainer.compute_loss(crops, haloed, haloed)  # the picture is the teacher's, halo and all
    content, laplacian = (logged(trainer)[name] for name in ("content", "laplacian"))
    assert content == 0.0  # the content term is satisfied by copying the teacher...
    expected = 2.0 * float(losses.laplacian_loss(haloed, crops, pool=4))
    assert expected > 100.0 and laplacian == pytest.approx(expected, rel=1e-5)  # ...this not


def term_with_and_without(config, term: str, photos, picture) -> list[float]:
    """Fine-tuning's logged ``term`` for ``picture`` of ``photos`` (as its own teacher's
    picture), with ``config`` and with the term's weight 0."""
    extractor = FeatureExtractor(resolve_backbone("vgg16-hed"), config.loss_layers, "avg",
                                 "float32")
    grams = training.style_targets(extractor, painting(), config)
    values = []
    for weighted in (config, dataclasses.replace(config, **{f"{term}_weight": 0.0})):
        trainer = training._make_trainer(build_transformer(weighted.network), extractor,
                                         grams, weighted)
        trainer.compute_loss(photos, picture, picture)
        values.append(logged(trainer)[term])
    return values


def post_on_a_wall():
    crops = np.full((2, 96, 96, 3), 170.0, np.float32)
    crops[:, :, 46:50] = 30.0  # a dark post on a plain light wall
    return crops


def test_the_glow_term_measures_the_picture_against_the_photo():
    from core import edges

    crops = post_on_a_wall()
    haloed = crops.copy()
    haloed[:, :, 34:44] += 30.0  # a light band on its left, as the teacher draws one
    glow, off = term_with_and_without(tiny_config(crop=96, glow_weight=0.5), "glow", crops,
                                      haloed)
    expected = 0.5 * float(edges.glow_loss(haloed, crops))
    assert expected > 10.0 and glow == pytest.approx(expected, rel=1e-5)
    assert off == 0.0


def test_the_sleeve_term_measures_the_picture_along_the_photos_edges_against_its_surroundings():
    from core import edges

    crops = post_on_a_wall()
    painted = crops + checker_strokes(96, 96, 12.0)
    painted[:, :, 36:58] = crops[:, :, 36:58]  # strokes everywhere but along the post
    sleeve, off = term_with_and_without(tiny_config(crop=96, sleeve_weight=100.0), "sleeve",
                                        crops, painted)
    expected = 100.0 * float(edges.sleeve_loss(painted, crops))
    assert expected > 80.0 and sleeve == pytest.approx(expected, rel=1e-5)
    assert off == 0.0


def test_the_banding_term_measures_the_pictures_seams_where_the_photos_sky_ramps():
    from core import losses

    sky = sky_ramp(batch=2, width=96)
    seam = two_tones(sky)
    banding, off = term_with_and_without(tiny_config(crop=96, banding_weight=20.0), "banding",
                                         sky, seam)
    expected = 20.0 * float(losses.banding_loss(seam, sky))
    assert expected > 20.0 and banding == pytest.approx(expected, rel=1e-5)
    assert off == 0.0


def test_the_pattern_term_measures_a_regular_pattern_beyond_the_teachers_picture():
    from core import losses

    rng = np.random.default_rng(0)
    crops = np.full((2, 64, 64, 3), 128.0, np.float32)
    teachers = crops + rng.normal(0.0, 12.0, crops.shape).astype(np.float32)  # strokes
    ripple = 12.0 * np.sin(2 * np.pi * np.arange(64) / 5.0)[None, None, :, None]
    rippled = (teachers + ripple).astype(np.float32)  # the same strokes, and a ripple
    config = tiny_config(crop=64, distil_steps=1, pattern_weight=1000.0)
    extractor = FeatureExtractor(resolve_backbone("vgg16-hed"), config.loss_layers, "avg",
                                 "float32")
    grams = training.style_targets(extractor, painting(), config)

    def pattern(config, teachers, picture) -> float:
        trainer = training._make_trainer(build_transformer(config.network), extractor, grams,
                                         config)
        trainer.compute_loss(crops, teachers, picture)
        return logged(trainer)["pattern"]

    expected = 1000.0 * float(losses.pattern_loss(rippled, teachers))
    assert expected > 50.0 and pattern(config, teachers, rippled) == pytest.approx(
        expected, rel=1e-5)
    assert pattern(config, teachers, teachers) == 0.0  # no more of one than the teacher's
    assert pattern(config, None, rippled) == 0.0  # no teacher's picture: no term
    off = dataclasses.replace(config, pattern_weight=0.0)
    assert pattern(off, teachers, rippled) == 0.0


def test_the_texture_term_measures_the_pictures_plain_areas_against_the_painting():
    from core import losses
    from core.fast.settings import TEXTURE_WINDOWS

    config = tiny_config(crop=64, texture_weight=50.0, style_layers=(("conv3_1", 1.0),))
    assert {"conv1_1", "conv2_1"} <= set(config.loss_layers)  # its layers, though not style's
    extractor = FeatureExtractor(resolve_backbone("vgg16-hed"), config.loss_layers, "avg",
                                 "float32")
    grams = training.style_targets(extractor, painting(), config)
    texture = training.texture_targets(extractor, painting(), config)
    trainer = training._make_trainer(build_transformer(config.network), extractor, grams,
                                     config, painting_texture=texture)
    photos = np.full((2, 64, 64, 3), 150.0, np.float32)  # a plain sky, painted bare
    trainer.compute_loss(photos, photos, photos)
    term = logged(trainer)["texture"]
    expected = 50.0 * float(losses.texture_shortfall_loss(extractor(photos), photos, texture,
                                                          TEXTURE_WINDOWS))
    assert expected > 40.0 and term == pytest.approx(expected, rel=1e-5)  # nearly all short
    # the sky painted with the painting itself (at its style size, tiled): no shortfall
    tile = images.resize_longest(painting(), config.style_size).astype(np.float32)
    painted = np.tile(tile, (2, 2, 1))[None, :64, :64].repeat(2, axis=0)
    for tracker in trainer.terms:
        tracker.reset_state()
    trainer.compute_loss(photos, painted, painted)
    assert logged(trainer)["texture"] < expected / 20
    off = dataclasses.replace(config, texture_weight=0.0)
    assert "conv1_1" not in off.loss_layers  # off, the loss network computes no more layers
    untextured = training._make_trainer(build_transformer(config.network), extractor, grams, off)
    untextured.compute_loss(photos, photos, photos)
    assert logged(untextured)["texture"] == 0.0


def test_the_calm_guide_holds_the_photos_calm_areas_to_the_paintings_calmest_share():
    from core import losses

    config = tiny_config(crop=64, calm_share=0.4, style_layers=(("conv1_1", 1.0), ("conv2_1", 1.0)))
    extractor = FeatureExtractor(resolve_backbone("vgg16-hed"), config.loss_layers, "avg",
                                 "float32")
    # a painting half plain paper, half strokes: its calmest 40 % is the paper
    paper = np.full((48, 48, 3), 230, np.uint8)
    paper[:, 24:] = painting()[:, 24:]
    grams = training.style_targets(extractor, paper, config)
    calm = training.calm_targets(extractor, paper, config)
    maps = extractor(paper[None].astype(np.float32))
    for name in calm:  # the paper's Grams, far from the strokes'
        columns = np.arange(maps[name].shape[2])
        side = maps[name].shape[2]

        def region(keep, name=name):
            mask = np.broadcast_to(keep, maps[name].shape[1:3]).astype(np.float32)
            return np.asarray(losses.masked_gram(maps[name], mask))

        of_paper, of_strokes = region(columns < side // 3), region(columns >= 2 * side // 3)
        assert (np.linalg.norm(calm[name] - of_paper)
                < 0.1 * np.linalg.norm(of_strokes - of_paper))
    trainer = training._make_trainer(build_transformer(config.network), extractor, grams,
                                     config, calm_grams=calm)
    sky = np.full((2, 64, 64, 3), 230.0, np.float32)  # a plain sky, painted as plain paper
    trainer.compute_loss(sky, sky, sky)
    guided = logged(trainer)["style"]
    unguided = training._make_trainer(build_transformer(config.network), extractor, grams,
                                      dataclasses.replace(config, calm_share=0.0))
    unguided.compute_loss(sky, sky, sky)
    # held to the whole painting, the plain sky is far from it; to the paper, close
    assert guided < logged(unguided)["style"] / 20
    expected = config.style_weight * float(losses.guided_style_loss(
        extractor(sky), grams, calm, losses.calm_mask(sky),
        {name: w / 1.0 for name, w in config.style_layers}))
    assert guided == pytest.approx(expected, rel=1e-4)
    with pytest.raises(ValueError, match="calm_share needs"):
        training._make_trainer(build_transformer(config.network), extractor, grams, config)


def test_training_resumes_exactly_where_the_checkpoint_left_off(tmp_path):
    photos = [photo(), photo(50, 40, shift=30), photo(45, 45, shift=90)]
    held_out = [photo(36, 44, shift=10)]
    straight, _ = training.train(painting(), photos, held_out, tiny_config(steps=3),
                                 tmp_path / "straight")
    events = []
    training.train(painting(), photos, held_out, tiny_config(steps=2), tmp_path / "split")
    resumed, result = training.train(painting(), photos, held_out, tiny_config(steps=3),
                                     tmp_path / "split", on_event=events.append)
    started = [e for e in events if isinstance(e, training.TrainStarted)]
    assert started[0].first_step == 2 and result.steps == 3
    assert [e.step for e in events if isinstance(e, training.TrainProgress)] == [3]
    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    preview = images.load_image(tmp_path / "split" / "preview_00002.png")
    assert preview.shape[0] == 2 * 256  # held-out photo above its painting


def test_a_warm_start_begins_from_the_given_weights(tmp_path):
    import threading

    from core.fast.network import NetworkShape

    first, _ = training.train(painting(), [photo()], [], tiny_config(steps=2), tmp_path / "a")
    first.save_weights(tmp_path / "first.weights.h5")
    stop = threading.Event()
    stop.set()  # stop before the first step: the network is exactly the warm start
    second, result = training.train(painting(), [photo()], [], tiny_config(steps=5),
                                    tmp_path / "b", cancel=stop,
                                    warm_start=tmp_path / "first.weights.h5")
    assert result.steps == 0 and result.stopped_early
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    wider = tiny_config(steps=1, network=NetworkShape(width=8, residual_blocks=1))
    with pytest.raises(ValueError, match="cannot warm-start"):
        training.train(painting(), [photo()], [], wider, tmp_path / "c",
                       warm_start=tmp_path / "first.weights.h5")


def test_a_checkpoint_with_other_settings_is_refused(tmp_path):
    photos = [photo()]
    training.train(painting(), photos, [], tiny_config(steps=1), tmp_path / "run")
    with pytest.raises(ValueError, match=r"other settings \(tv_weight, laplacian_weight\)"):
        training.train(painting(), photos, [],
                       tiny_config(steps=2, tv_weight=3.0, laplacian_weight=0.3), tmp_path / "run")


def test_held_out_photos_are_never_trained_on(tmp_path):
    from PIL import Image

    for index, name in enumerate(("a.jpg", training_photos.HELD_OUT[0], "b.png")):
        Image.fromarray(photo(shift=index * 40)).save(tmp_path / name)
    train_photos, held_out = training_photos.load_photos(tmp_path)
    assert len(train_photos) == 2 and len(held_out) == 1
    assert np.abs(held_out[0].astype(int) - photo(shift=40)).mean() < 8  # JPEG round trip


def test_registry_lists_loads_and_paints(tmp_path, make_bundle):
    make_bundle(tmp_path)
    (model,) = registry.bundled_models(tmp_path)
    assert model.label == "Tiny — Test, 2026" and model.network == TINY
    net = registry.load_transformer(model)
    result = paint(net, photo(41, 57), FastConfig(size=None))
    assert result.image.shape == (41, 57, 3) and result.image.dtype == np.uint8
    bigger = paint(net, photo(41, 57), FastConfig(size=114))
    assert bigger.image.shape == (82, 114, 3)


def test_strength_zero_gives_back_the_photo_and_colours_can_be_kept(tmp_path, make_bundle):
    make_bundle(tmp_path)
    net = registry.load_transformer(registry.bundled_models(tmp_path)[0])
    content = photo(40, 48)
    untouched = paint(net, content, FastConfig(size=None, strength=0.0)).image
    np.testing.assert_array_equal(untouched, content)
    full = paint(net, content, FastConfig(size=None)).image.astype(float)
    half = paint(net, content, FastConfig(size=None, strength=0.5)).image.astype(float)
    np.testing.assert_allclose(half, (full + content) / 2, atol=1.01)
    kept = paint(net, content, FastConfig(size=None, preserve_colors=True)).image
    chroma = lambda rgb: images._rgb_to_ycbcr(rgb)[..., 1:]  # noqa: E731
    assert np.abs(chroma(kept) - chroma(content)).mean() < np.abs(
        chroma(full.astype(np.uint8)) - chroma(content)).mean()


def test_a_checksum_mismatch_is_a_clear_error(tmp_path, make_bundle):
    weights = make_bundle(tmp_path)
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    (model,) = registry.bundled_models(tmp_path)
    with pytest.raises(registry.ModelError, match="damaged or was replaced"):
        registry.load_transformer(model)
    weights.unlink()
    with pytest.raises(registry.ModelError, match="missing"):
        registry.load_transformer(model)


@pytest.mark.parametrize("bad", [dict(strength=1.5), dict(strength=float("nan")),
                                 dict(size=10), dict(size=9000), dict(precision="half")])
def test_fast_settings_are_validated(bad):
    with pytest.raises(ValueError):
        FastConfig(**bad)


def test_every_bundled_model_matches_its_manifest():
    models = registry.bundled_models(registry.MODELS_DIR)
    # The report's four public-domain paintings and one more (the fast issue's promise).
    assert {"starry_night", "wave", "the_scream", "udnie"} <= {m.name for m in models}
    assert len(models) >= 5
    for model in models:
        registry.verify(model)
        assert (registry.MODELS_DIR.parent / model.painting).is_file()
        assert model.weights_path.stat().st_size < 7 * 2**20


def test_fast_cli_paints_and_reports_json(tmp_path, capsys, monkeypatch, make_bundle):
    make_bundle(tmp_path)
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(tmp_path))
    source = tmp_path / "photo.png"
    images.save_png(photo(40, 60), source)
    out = tmp_path / "out.png"
    code = cli.main(["fast", "--content", str(source), "--style", "tiny", "--size", "90",
                     "--out", str(out)])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and summary["style"] == "tiny" and summary["size"] == [90, 60]
    assert images.load_image(out).shape == (60, 90, 3)
    assert cli.main(["styles"]) == 0
    assert "tiny" in capsys.readouterr().out
    assert cli.main(["fast", "--content", str(source), "--style", "nope",
                     "--out", str(out)]) == cli.USER_ERROR
    assert "no style network named 'nope'" in capsys.readouterr().err


def test_a_network_paints_with_the_dither_it_was_trained_with(tmp_path, capsys, monkeypatch,
                                                              make_bundle):
    """Networks trained before training dithered its crops (no ``training.dither`` in the
    manifest) paint the photo as it is; newer ones paint it dithered, as they trained."""
    make_bundle(tmp_path)
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(tmp_path))
    source, out = tmp_path / "photo.png", tmp_path / "out.png"
    images.save_png(photo(40, 60), source)
    network = compiled(registry.load_transformer(registry.find_model("tiny")))

    def painted_by_the_cli():
        assert cli.main(["fast", "--content", str(source), "--style", "tiny", "--size", "60",
                         "--precision", "float32", "--out", str(out)]) == 0
        capsys.readouterr()
        return images.load_image(out)

    for levels in (0.0, 2.0):
        if levels:
            manifest = json.loads((tmp_path / "tiny.json").read_text())
            manifest["training"] = {"dither": levels}
            (tmp_path / "tiny.json").write_text(json.dumps(manifest))
        assert registry.find_model("tiny").dither == levels
        expected = paint(network, photo(40, 60), FastConfig(size=60, dither=levels)).image
        other = paint(network, photo(40, 60), FastConfig(size=60, dither=2.0 - levels)).image
        picture = painted_by_the_cli()
        assert np.array_equal(picture, expected) and not np.array_equal(picture, other)


def test_train_fast_cli_writes_weights_and_a_verified_manifest(tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    for index in range(2):
        images.save_png(photo(48, 64, shift=index * 50), photos / f"p{index}.png")
    style = tmp_path / "paint.png"
    images.save_png(painting(), style)
    models = tmp_path / "models"
    models.mkdir()
    code = cli.main(["train-fast", "--style", str(style), "--photos", str(photos),
                     "--out", str(models / "paint.weights.h5"), "--steps", "2", "--crop", "32",
                     "--distil-steps", "1", "--design", "johnson",
                     "--style-size", "48", "--width", "4", "--residual-blocks", "1",
                     "--backbone", "vgg16-hed", "--checkpoint-dir", str(tmp_path / "ckpt"),
                     "--artist", "Me", "--year", "2026", "--licence", "CC0"])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and summary["steps"] == 2
    (model,) = registry.bundled_models(models)
    registry.verify(model)
    assert model.manifest["steps"] == 2 and model.manifest["backbone"] == "vgg16-hed"
    assert model.manifest["training"]["distil_steps"] == 1
    # Johnson et al.'s design, from random weights: its own learning rate unless given one
    assert model.manifest["training"]["network"]["design"] == "johnson"
    assert model.manifest["training"]["learning_rate"] == 2e-3
    # A network started from another one carries its steps and time in the totals.
    assert cli.main(["train-fast", "--style", str(style), "--photos", str(photos),
                     "--out", str(models / "next.weights.h5"), "--steps", "1", "--crop", "32",
                     "--distil-steps", "0", "--teacher-weight", "0", "--design", "johnson",
                     "--style-size", "48", "--width", "4", "--residual-blocks", "1",
                     "--backbone", "vgg16-hed", "--checkpoint-dir", str(tmp_path / "next"),
                     "--warm-start", str(models / "paint.weights.h5"),
                     "--learning-rate", "0.001", "--note", "one step more"]) == 0
    follow_up = json.loads((models / "next.json").read_text())
    assert follow_up["training"]["learning_rate"] == 0.001  # given: not the design's
    assert follow_up["warm_start"] == "the paint network (2 steps)"
    assert follow_up["total_steps"] == 3 and follow_up["note"] == "one step more"
    assert follow_up["total_training_seconds"] >= model.manifest["training_seconds"]
    shutil.rmtree(tmp_path / "ckpt")
    assert cli.main(["train-fast", "--style", str(style), "--photos", str(tmp_path / "none"),
                     "--out", str(models / "x.weights.h5")]) == cli.USER_ERROR


def test_a_size_written_as_text_becomes_a_number():
    """A settings file may say "size": "1080": the config holds 1080, or it crashed later."""
    from core.fast.arbitrary import ArbitraryConfig

    assert FastConfig(size="1080").size == 1080 and type(FastConfig(size="1080").size) is int
    assert ArbitraryConfig(size="720", style_size="256").size == 720
    with pytest.raises(ValueError, match="size must be a whole number of pixels"):
        FastConfig(size="big")
