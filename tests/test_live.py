"""The live painter (core.live) with the real any-painting and 26-style networks, and what the
Live page needs from its libraries: streamlit-webrtc loading beside TensorFlow, and the
server offering its loopback address. The page in a browser: tests/test_live_browser.py."""

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from core import images
from core.batch import BatchRecipe
from core.errors import SettingsError, UserError
from core.fast.arbitrary import ArbitraryConfig
from core.live import (
    CAMERA_QUIET,
    CAMERA_SLOW,
    PAINTING_FAILED,
    FrameRate,
    LiveConfig,
    LivePainter,
    next_side,
)
from tests.conftest import painting, photo
from ui.live.panel import trouble_text

ROOT = Path(__file__).resolve().parents[1]


class Clock:
    """Time that moves only when told (the painter's clock is a parameter)."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def any_painting(colour=(250, 200, 30), strength=1.0):
    canvas = painting(64)
    canvas[canvas.sum(-1) == 0] = colour
    return BatchRecipe("arbitrary", paintings=(canvas,),
                       config=ArbitraryConfig(size=1080, strength=strength))


# -- sizing


def test_next_side_shrinks_when_frames_are_slow_and_grows_when_fast():
    config = LiveConfig()  # budget 1 / (12 * 1.2) = 69 ms
    assert next_side(320, 0.200, config) == 224  # 30 % at most, in steps of 32
    assert next_side(256, 0.030, config) == 352 - 32  # 1.3x of 256 = 333 -> 320
    assert next_side(256, 0.069, config) == 256  # on budget: stays
    assert next_side(256, 0.080, config) == 256  # within the dead band: no hunting


def test_next_side_stays_within_bounds_and_the_camera():
    config = LiveConfig(min_side=128, max_side=640)
    assert next_side(128, 5.0, config) == 128
    assert next_side(640, 0.001, config) == 640
    assert next_side(320, 0.001, config, camera_side=352) == 352  # never above the camera
    assert next_side(320, 0.001, config, camera_side=100) == 128  # a tiny camera: the floor


def test_live_config_refuses_impossible_settings():
    with pytest.raises(SettingsError, match="target_fps"):
        LiveConfig(target_fps=0)
    with pytest.raises(SettingsError, match="min_side"):
        LiveConfig(min_side=512, start_side=256)


def test_frame_rate_counts_over_its_window():
    clock = Clock()
    rate = FrameRate(2.0, clock)
    assert rate.per_second() == 0.0
    for _ in range(30):  # 15 frames a second for 2 s
        clock.now += 1 / 15
        rate.tick()
    assert rate.per_second() == pytest.approx(15, abs=0.6)
    clock.now += 5  # nothing for 5 s
    assert rate.per_second() == 0.0


# -- painting, with the real networks


def test_frames_are_painted_at_the_governed_size_and_even():
    live = LivePainter(LiveConfig(start_side=128, min_side=64, step=16))
    live.recipe = any_painting()
    camera = photo(241, 321)
    painted = live.paint_frame(camera)
    assert painted.shape == (96, 128, 3)  # 321 -> 128 wide, 241 -> 96 (cut to even)
    assert painted.dtype == np.uint8
    shrunk = images.shrink_to(camera, 128)[:96]
    assert np.abs(painted.astype(int) - shrunk.astype(int)).mean() > 10  # painted, not shrunk
    reading = live.reading()
    assert reading.painted_size == (128, 96) and reading.camera_size == (321, 241)
    assert reading.frames == 1 and reading.trouble is None


def test_a_trained_network_paints_frames_too():
    live = LivePainter(LiveConfig(start_side=96, min_side=64, step=16))
    live.recipe = BatchRecipe("trained", style="starry_night")
    camera = photo(72, 96)
    painted = live.paint_frame(camera)
    assert painted.shape == (72, 96, 3)
    assert np.abs(painted.astype(int) - camera.astype(int)).mean() > 10
    assert live.reading().trouble is None


def test_a_new_recipe_changes_the_next_frames_without_a_new_painter():
    live = LivePainter(LiveConfig(start_side=96, min_side=64, step=16))
    camera = photo(96, 128)
    live.recipe = any_painting((250, 200, 30))
    yellow = live.paint_frame(camera)
    live.recipe = any_painting((20, 40, 200))
    blue = live.paint_frame(camera)
    assert np.abs(yellow.astype(int) - blue.astype(int)).mean() > 5
    assert blue[..., 2].mean() > yellow[..., 2].mean()  # the blue painting paints bluer
    live.recipe = any_painting((20, 40, 200), strength=0.0)  # the photo's own style
    own = live.paint_frame(camera)
    assert np.abs(own.astype(int) - blue.astype(int)).mean() > 5


def test_the_recipe_size_is_ignored_and_classic_is_refused():
    live = LivePainter()
    live.recipe = any_painting()
    assert live.recipe.config.size is None  # frames are sized by the painter
    with pytest.raises(UserError, match="fast methods"):
        live.recipe = BatchRecipe("classic", paintings=(painting(),))


def test_side_by_side_puts_the_camera_left_of_the_painting():
    live = LivePainter(LiveConfig(start_side=96, min_side=64, step=16))
    live.recipe = BatchRecipe("multistyle", multistyle="3", config=ArbitraryConfig())
    live.side_by_side = True
    camera = photo(72, 96)
    both = live.paint_frame(camera)
    assert both.shape == (72, 192, 3)
    assert np.array_equal(both[:, :96], camera)  # the camera as it came, at that size
    assert np.abs(both[:, 96:].astype(int) - camera.astype(int)).mean() > 10


def test_without_a_recipe_the_camera_shows_as_it_is():
    live = LivePainter(LiveConfig(start_side=64, min_side=64, step=16))
    camera = photo(48, 64)
    assert np.array_equal(live.paint_frame(camera), camera)
    assert live.reading().frames == 0


def test_a_painting_that_fails_shows_the_camera_and_says_why():
    live = LivePainter(LiveConfig(start_side=64, min_side=64, step=16))
    live.recipe = BatchRecipe("trained", style="no-such-network")
    camera = photo(48, 64)
    assert np.array_equal(live.paint_frame(camera), camera)
    trouble = live.reading().trouble
    assert trouble.kind == PAINTING_FAILED and "no-such-network" in trouble.detail
    assert trouble_text(trouble).startswith("The painting failed, so the camera is shown")
    live.recipe = any_painting()  # another painting gets a fresh chance
    assert live.reading().trouble is None
    assert not np.array_equal(live.paint_frame(camera), camera)
    live.recipe = BatchRecipe("trained", style="no-such-network")  # the failed one again
    assert live.reading().trouble.kind == PAINTING_FAILED
    assert np.array_equal(live.paint_frame(camera), camera)  # not tried again each frame


def test_snapshot_paints_the_newest_frame_at_the_camera_resolution():
    live = LivePainter(LiveConfig(start_side=64, min_side=64, step=16))
    with pytest.raises(UserError, match="no camera frame"):
        live.snapshot()
    live.recipe = any_painting()
    camera = photo(200, 300)
    live.paint_frame(camera)
    full = live.snapshot()
    assert full.shape[:2] == (200, 300)
    assert np.abs(full.astype(int) - camera.astype(int)).mean() > 10  # painted


def test_restart_forgets_the_last_streams_measurements():
    clock = Clock()
    live = LivePainter(LiveConfig(start_side=64, min_side=64, step=16), clock=clock)
    live.recipe = any_painting()
    live.paint_frame(photo(48, 64))
    clock.now += 10
    assert live.reading().trouble.kind == CAMERA_QUIET  # the stream stopped long ago
    live.restart()
    reading = live.reading()
    assert reading.trouble is None and not reading.started and reading.frames == 0
    assert reading.painted_size is None
    with pytest.raises(UserError, match="no camera frame"):
        live.snapshot()  # no frame from before STOP
    assert live.recipe is not None  # the painting stays chosen


def test_the_size_adapts_to_the_measured_frame_time():
    config = LiveConfig(start_side=256, min_side=64, step=32, adjust_every=3)
    slow = LivePainter(config, clock=_SlowClock(0.1))  # each frame seems to take 0.2-0.3 s
    slow.recipe = any_painting()
    camera = photo(360, 640)
    for _ in range(2):
        slow.paint_frame(camera)
    assert slow.side == 256  # not before adjust_every frames
    slow.paint_frame(camera)
    assert slow.side == 192  # 0.7x, the largest step down, in steps of 32
    assert slow.reading().painted_size == (256, 144)  # the frames painted before
    assert slow.paint_frame(camera).shape[:2] == (108, 192)


class _SlowClock(Clock):
    """Every reading is ``step`` s after the one before."""

    def __init__(self, step):
        super().__init__()
        self.step = step

    def __call__(self):
        self.now += self.step
        return self.now


# -- what the viewer is told


def test_a_camera_that_stops_sending_is_reported():
    clock = Clock()
    live = LivePainter(clock=clock)
    assert live.reading().trouble is None and not live.reading().started
    live.paint_frame(photo(48, 64))
    clock.now += 1
    assert live.reading().trouble is None
    clock.now += 3
    trouble = live.reading().trouble
    assert trouble.kind == CAMERA_QUIET and trouble.seconds == pytest.approx(4)
    assert trouble_text(trouble).startswith("No frames from the camera for 4 s")


def test_a_slow_camera_is_reported_once_it_has_been_measured():
    clock = Clock()
    live = LivePainter(clock=clock)
    for _ in range(8):  # 3 frames a second for 2.7 s: not judged yet (2 windows: 4 s)
        clock.now += 1 / 3
        live.paint_frame(photo(48, 64))
    assert live.reading().trouble is None
    for _ in range(6):
        clock.now += 1 / 3
        live.paint_frame(photo(48, 64))
    trouble = live.reading().trouble
    assert trouble.kind == CAMERA_SLOW and trouble.rate == pytest.approx(3.0)
    assert "reach the server at only 3.0 a second" in trouble_text(trouble)
    for _ in range(60):  # the connection recovers: 15 a second
        clock.now += 1 / 15
        live.paint_frame(photo(48, 64))
    assert live.reading().trouble is None


def test_a_slow_painting_is_not_blamed_on_the_camera():
    clock = Clock()
    live = LivePainter(clock=clock)
    for _ in range(20):  # painted 3 times a second, 5 camera frames each time: 15 a second
        clock.now += 1 / 3
        live.paint_frame(photo(48, 64), arrived=5)
    assert live.reading().camera_fps == pytest.approx(15, abs=1.5)
    assert live.reading().trouble is None


# -- the libraries under the page


def test_streamlit_webrtc_loads_after_tensorflow_and_encrypts():
    """pylibsrtp, loaded after TensorFlow, crashed the process (both carry OpenSSL); the
    page loads it first, bound to its own copy (ui.live.stream.load_webrtc)."""
    script = textwrap.dedent("""
        import os
        import tensorflow as tf
        from ui.live import stream
        stream.load_webrtc()
        from pylibsrtp import Policy, Session
        key = os.urandom(30)
        send = Session(policy=Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND))
        receive = Session(policy=Policy(key=key, ssrc_type=Policy.SSRC_ANY_INBOUND))
        packet = bytes.fromhex("8008000100000001deadbeef") + b"painted" * 20
        protected = send.protect(packet)
        assert protected != packet and receive.unprotect(protected) == packet
        print("sum", float(tf.reduce_sum(tf.ones((3, 3)))))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sum 9.0" in done.stdout


def test_the_server_offers_its_loopback_address():
    """aioice gathers its host candidates for real (no packet is sent): 127.0.0.1 is one."""
    import asyncio

    import aioice

    from ui.live import stream

    stream.load_webrtc()
    stream.offer_loopback()  # twice: wrapped once

    async def gathered() -> list[str]:
        connection = aioice.Connection(ice_controlling=True, components=1)
        try:
            await connection.gather_candidates()
            return [candidate.host for candidate in connection.local_candidates]
        finally:
            await connection.close()

    hosts = asyncio.run(gathered())
    assert hosts.count("127.0.0.1") == 1


def test_a_webrtc_frame_is_scaled_and_converted_in_one_step_and_painted():
    import av
    from PIL import Image

    from ui.live.stream import VideoFrame

    with Image.open(ROOT / "examples" / "castle.jpg") as picture:  # a real, smooth photo
        camera = np.asarray(picture.convert("RGB").resize((640, 360)))
    decoded = av.VideoFrame.from_ndarray(camera, format="rgb24").reformat(format="yuv420p")
    frame = VideoFrame(decoded)
    assert (frame.width, frame.height) == (640, 360)
    small = frame.rgb(128, 72)
    assert small.shape == (72, 128, 3) and small.dtype == np.uint8
    # yuv420p and back: within a few levels of the photo shrunk the usual way
    assert np.abs(small.astype(int) - images.resize_exact(camera, 128, 72).astype(int)).mean() < 6
    live = LivePainter(LiveConfig(start_side=128, min_side=64, step=16))
    live.recipe = any_painting()
    assert live.paint_frame(frame).shape == (72, 128, 3)
    assert live.reading().camera_size == (640, 360)
    assert live.snapshot().shape == (360, 640, 3)
