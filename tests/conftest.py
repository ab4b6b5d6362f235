"""Shared fixtures."""

import dataclasses
import os
import tempfile

import numpy as np
import pytest

from core.fast import arbitrary, registry
from core.fast import train as training
from core.fast.network import NetworkShape

TINY = NetworkShape(width=4, residual_blocks=1)
# Networks trained by the tests (the Train page, its task) go to a folder of this run, never
# into the app's runs/trained, and the app under test lists none trained before; set here, at
# import, so that servers the tests start inherit it; always (not setdefault), so that a
# developer's own STYLE_STUDIO_TRAINED_DIR never receives the tests' networks.
os.environ[registry.TRAINED_DIR_ENV] = tempfile.mkdtemp(prefix="trained-networks-")


@pytest.fixture(scope="module")
def predictor():
    """Magenta's style predictor, as the app loads it."""
    return arbitrary.load_style_predictor()


@pytest.fixture(scope="module")
def transformer():
    """The any-painting network, in float32 (the tests compare values)."""
    return arbitrary.load_arbitrary_transformer("float32")


def photo(height=40, width=48, shift=0):
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([(x * 5 + shift) % 256, y * 6, np.full_like(x, 90)], -1).astype(np.uint8)


def checker_strokes(rows: int, columns: int, amplitude: float) -> np.ndarray:
    """(1, rows, columns, 1): a fine checker of 2 px squares, +-``amplitude``: a painting's
    strokes, even everywhere."""
    down, across = np.meshgrid(np.arange(rows), np.arange(columns), indexing="ij")
    return np.where((down // 2 + across // 2) % 2 == 0, amplitude, -amplitude)[None, :, :, None]


def haloed_teacher(rows: int = 48):
    """A photo with a strong edge (column 127 dark, 128 light), the teacher's picture of it
    (dark 60, light 150, a fine checker of +-10 for strokes) with a light halo on the light
    side, +40 at the edge fading to 0 at column 160, and that picture without the halo."""
    edge = np.full((1, rows, 256, 3), 40.0, np.float32)
    edge[:, :, 128:] = 200.0
    clean = (np.where(np.arange(256) < 128, 60.0, 150.0)[None, None, :, None]
             + checker_strokes(rows, 256, 10.0))
    clean = np.broadcast_to(clean, edge.shape).astype(np.float32)
    haloed = clean.copy()
    haloed[:, :, 128:160] += np.linspace(40.0, 0.0, 32, endpoint=False)[None, None, :, None]
    return edge, haloed, clean


def sky_ramp(batch=1, height=96, width=64, top=60.0, bottom=200.0) -> np.ndarray:
    """(batch, H, W, 3): a calm sky from deep (``top``) to pale (``bottom``), top to bottom."""
    column = np.linspace(top, bottom, height, dtype=np.float32)[:, None]
    return np.broadcast_to(column[None, :, :, None], (batch, height, width, 3)).copy()


def two_tones(sky: np.ndarray, top=60.0, bottom=200.0) -> np.ndarray:
    """``sky``'s shape in two tones, ``top`` above its middle row and ``bottom`` below:
    a ramp's change of tone all at one seam."""
    rows = np.arange(sky.shape[1])[None, :, None, None]
    return (np.where(rows < sky.shape[1] // 2, top, bottom) * np.ones_like(sky)).astype(np.float32)


def painting(side=48):
    image = np.zeros((side, side, 3), np.uint8)
    image[:, ::4] = (250, 200, 30)
    image[::6, :] = (20, 40, 200)
    return image


def tiny_config(**changes):
    config = training.TrainConfig(steps=3, distil_steps=0, batch=2, crop=32, style_size=48,
                                  network=TINY, backbone="vgg16-hed", checkpoint_every=1,
                                  preview_every=2, teacher_weight=0.0, sleeve_weight=0.0,
                                  learning_rate=1e-2)
    return dataclasses.replace(config, **changes)


def logged(trainer) -> dict:
    """A fine-tuning trainer's logged terms, by name, as its last compute_loss left them."""
    return {tracker.name: float(tracker.result()) for tracker in trainer.terms}


def build_tiny_bundle(folder, steps=1):
    """A real (tiny, barely trained) style network and its manifest in ``folder``."""
    transformer, _ = training.train(painting(), [photo()], [], tiny_config(steps=steps),
                                    folder / "ckpt")
    weights = folder / "tiny.weights.h5"
    transformer.save_weights(weights)
    registry.write_manifest(weights, display_name="Tiny", painting="tiny.png",
                            artist="Test", year="2026", licence="CC0", steps=steps,
                            batch=2, network=TINY.to_dict())
    return weights


@pytest.fixture
def make_bundle():
    """make(folder) -> weights path of a tiny real style network with its manifest."""
    return build_tiny_bundle
