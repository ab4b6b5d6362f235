"""Temporal consistency on a synthetic pan: real DIS flow, real warps, a flickering painter."""

import cv2
import numpy as np
import pytest

from core.errors import SettingsError
from core.video.consistency import (
    ConsistencyConfig,
    Steadier,
    flow,
    occlusion_mask,
    warp,
    warping_error,
)

SHIFT = 2  # px per frame, to the right
HEIGHT, WIDTH, FRAMES = 64, 96, 12
INTERIOR = (slice(8, -8), slice(8, -8))


def texture(height: int, width: int, seed: int) -> np.ndarray:
    """Smooth blobs plus fine grain: something optical flow can lock on to."""
    rng = np.random.default_rng(seed)
    coarse = cv2.resize(rng.random((height // 4 + 1, width // 4 + 1, 3)).astype(np.float32),
                        (width, height), interpolation=cv2.INTER_CUBIC)
    fine = cv2.GaussianBlur(rng.random((height, width, 3)).astype(np.float32), (0, 0), 1.0)
    return np.clip((0.7 * coarse + 0.6 * fine - 0.15) * 255, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def pan() -> list[np.ndarray]:
    """A window sliding left over a wide picture: the content moves SHIFT px right a frame."""
    wide = texture(HEIGHT, WIDTH + SHIFT * FRAMES, seed=1)
    return [np.ascontiguousarray(wide[:, (FRAMES - t) * SHIFT:(FRAMES - t) * SHIFT + WIDTH])
            for t in range(FRAMES)]


def flickering_painting(frame: np.ndarray, t: int) -> np.ndarray:
    """A cheap painter that flickers: quantised to 8 levels with per-frame random dither."""
    dither = np.random.default_rng(100 + t).random(frame.shape)
    return np.clip(np.floor(frame / 32.0 + dither) * 32, 0, 255).astype(np.uint8)


def mean_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(float) - b).mean())


def test_flow_recovers_the_shift(pan):
    field = flow(pan[0], pan[1])
    assert field.shape == (HEIGHT, WIDTH, 2) and field.dtype == np.float32
    # current(x) = previous(x - SHIFT): the flow into the previous frame is -SHIFT
    dx, dy = field[INTERIOR].mean(axis=(0, 1))
    assert abs(dx + SHIFT) < 0.5 and abs(dy) < 0.5


def test_warping_the_previous_frame_gives_the_current_one(pan):
    warped = warp(pan[0], flow(pan[0], pan[1]))
    assert warped.shape == pan[0].shape and warped.dtype == np.uint8
    error = np.abs(warped[INTERIOR].astype(float) - pan[1][INTERIOR]).mean()
    unwarped = np.abs(pan[0][INTERIOR].astype(float) - pan[1][INTERIOR]).mean()
    assert error < 2 and error < unwarped / 5


def test_the_newly_revealed_border_is_unreliable(pan):
    reliable = occlusion_mask(flow(pan[0], pan[1]), flow(pan[1], pan[0]))
    assert reliable.shape == (HEIGHT, WIDTH) and reliable.dtype == bool
    assert not reliable[:, :SHIFT].any()  # the left columns are new in frame 1
    assert reliable[INTERIOR].mean() > 0.9


def test_the_warping_error_tells_a_steady_clip_from_a_flickering_one(pan):
    painted = [flickering_painting(frame, t) for t, frame in enumerate(pan)]
    assert warping_error(pan, pan) < 2
    assert warping_error(pan, painted) > 5
    assert warping_error(pan[:1], pan[:1]) == 0.0
    with pytest.raises(ValueError):
        warping_error(pan, pan[:-1])


def test_the_steadier_halves_the_flicker_and_keeps_the_painting(pan):
    painted = [flickering_painting(frame, t) for t, frame in enumerate(pan)]
    steadier = Steadier()
    steady = [steadier(frame, painting) for frame, painting in zip(pan, painted, strict=True)]
    assert all(out.shape == pan[0].shape and out.dtype == np.uint8 for out in steady)
    assert np.array_equal(steady[0], painted[0])
    before, after = warping_error(pan, painted), warping_error(pan, steady)
    assert after <= 0.5 * before
    assert steadier.warping_error == pytest.approx(after, abs=0.01)  # measured as it went
    # close to the per-frame painting: no more apart than the painting is from the source
    drift = np.mean([mean_difference(out, p) for out, p in zip(steady, painted, strict=True)])
    quantisation = np.mean([mean_difference(p, f) for p, f in zip(painted, pan, strict=True)])
    assert drift < quantisation


def test_no_ghost_in_the_revealed_border(pan):
    """Pixels that just came into view take the fresh painting, not the old output."""
    painted = [flickering_painting(frame, t) for t, frame in enumerate(pan)]
    steadier = Steadier()
    steady = [steadier(frame, painting) for frame, painting in zip(pan, painted, strict=True)]
    for out, painting in zip(steady[1:], painted[1:], strict=True):
        assert np.array_equal(out[:, :SHIFT], painting[:, :SHIFT])


def test_weight_zero_paints_each_frame_on_its_own_and_still_measures(pan):
    painted = [flickering_painting(frame, t) for t, frame in enumerate(pan)]
    steadier = Steadier(ConsistencyConfig(weight=0))
    steady = [steadier(frame, painting) for frame, painting in zip(pan, painted, strict=True)]
    assert all(np.array_equal(out, p) for out, p in zip(steady, painted, strict=True))
    assert steadier.warping_error == pytest.approx(warping_error(pan, painted), abs=0.01)
    steadier.reset()
    assert steadier.warping_error == 0.0


@pytest.mark.parametrize("bad", [{"weight": 1.0}, {"weight": -0.1}, {"preset": "slow"},
                                 {"softness": -1}])
def test_bad_settings_are_refused(bad):
    with pytest.raises(SettingsError):
        ConsistencyConfig(**bad)


def test_a_painting_of_another_size_is_refused(pan):
    with pytest.raises(ValueError):
        Steadier()(pan[0], pan[0][:32])
