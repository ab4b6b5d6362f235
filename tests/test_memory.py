"""Peak-memory estimates (core.memory), time estimates over tiles, and the refusals that use
them: the command line's and the classic page's."""

import subprocess
import sys

import pytest

from core import memory
from core.classic import PRESETS, ClassicConfig, preset
from core.errors import UserError
from core.estimates import estimate_seconds
from tests.apptest_helpers import ROOT, open_app, texts

GIB = memory.GIB


def test_classic_peaks_grow_with_size_and_stay_inside_8_gb_at_print_sizes():
    recommended = PRESETS["recommended"]
    peaks = {size: memory.classic_peak(preset("recommended", size=size), 1500, 1000)
             for size in (512, 1080, 2048, 4096, 6000)}
    values = [peaks[size].peak_bytes for size in sorted(peaks)]
    assert values == sorted(values) and len(set(values)) == len(values)
    assert peaks[4096].peak_bytes < 8e9 and peaks[6000].peak_bytes < 8e9
    assert "over tiles" in peaks[4096].detail and "6000x4000" in peaks[6000].detail
    assert "in one pass" in peaks[512].detail
    # without tiles, a 4096 px scale would need far more than 8 GB
    one_pass = memory.CLASSIC_ONE_PASS_BYTES_PER_PIXEL * 4096 * 2731
    assert one_pass > 15 * GIB
    assert recommended.size == 512


def test_fast_peaks_stay_inside_4_gb_up_to_7680_px():
    assert memory.fast_peak(7680, 5120).peak_bytes < 4 * GIB
    assert memory.fast_peak(4096, 2731).peak_bytes < 4 * GIB
    assert memory.fast_peak(1080, 720).peak_bytes < memory.fast_peak(4096, 2731).peak_bytes


def test_tiled_scales_take_longer_per_pixel_in_the_time_estimate():
    """4x the pixels of a 2048 px scale take more than 4x the time at 4096 px: both passes
    over tiles with their margins, and Adam where L-BFGS-B's arrays would not fit."""
    one = ClassicConfig(size=1024, base_size=None, iterations=10)
    two = ClassicConfig(size=4096, base_size=None, iterations=10)
    small, large = (estimate_seconds(c, 1500, 1000).iteration_seconds for c in (one, two))
    assert large / small > 16 * 1.5  # 16x the pixels, more than 1.5x the work per pixel


def test_a_run_that_does_not_fit_is_refused_with_the_reason(monkeypatch):
    monkeypatch.setenv(memory.MEMORY_LIMIT_ENV, str(memory.resident_bytes() + GIB))
    small = memory.classic_peak(preset("recommended", size=256), 400, 300)
    huge = memory.classic_peak(preset("recommended", size=6000), 6000, 4000)
    held = memory.resident_bytes()  # a run's fixed part this process holds already
    assert memory.fits(memory.MemoryEstimate(held + GIB // 2, "x", base_bytes=held))
    assert not memory.fits(huge)
    with pytest.raises(UserError, match=r"needs about .* GiB .* choose a smaller size"):
        memory.check_fits(huge, "This run")
    memory.check_fits(memory.MemoryEstimate(0, "nothing"), "This run")
    assert small.peak_bytes < huge.peak_bytes
    monkeypatch.setenv(memory.MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(UserError, match=memory.MEMORY_LIMIT_ENV):
        memory.free_bytes()


def test_the_command_line_refuses_a_classic_run_that_does_not_fit(tmp_path):
    env = {"PATH": "/usr/bin:/bin", memory.MEMORY_LIMIT_ENV: str(2 * GIB),
           "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "core", "classic", "--content", "examples/castle.jpg",
         "--style", "styles/wave.jpg", "--size", "6000", "--out", str(tmp_path / "big.png")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "needs about" in done.stderr and "choose a smaller size" in done.stderr
    assert not (tmp_path / "big.png").exists()


def test_the_classic_page_refuses_a_size_the_server_cannot_hold(monkeypatch):
    app = open_app("pages/classic.py")
    # 1.5 GiB more than this process holds (in a full test run, several GiB already)
    monkeypatch.setenv(memory.MEMORY_LIMIT_ENV, str(memory.resident_bytes() + 3 * GIB // 2))
    app.slider(key="classic.size").set_value(4096).run()
    assert app.button(key="classic.run").disabled
    assert "choose a smaller size" in texts(app.caption)
    app.slider(key="classic.size").set_value(512).run()
    assert not app.button(key="classic.run").disabled
    assert "GiB of memory at its peak" in texts(app.caption)


def test_the_command_line_paints_a_print_size_after_saying_what_it_costs(tmp_path):
    """Above 2048x2048 px: the network's line, then the estimate, then a picture that size;
    and a size this machine's memory limit cannot hold is refused before anything loads."""
    from core import images

    command = [sys.executable, "-m", "core", "fast", "--content", "examples/castle.jpg",
               "--style-image", "styles/wave.jpg"]
    done = subprocess.run(command + ["--size", "3000", "--out", str(tmp_path / "print.png")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("arbitrary-style network")
    assert lines[1].startswith("estimate: about") and "GiB of memory at its peak" in lines[1]
    assert "over tiles" in lines[1]
    assert max(images.load_image(tmp_path / "print.png").shape[:2]) == 3000
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           memory.MEMORY_LIMIT_ENV: str(2 * GIB)}
    refused = subprocess.run(command + ["--size", "8192", "--out", str(tmp_path / "x.png")],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "choose a smaller size" in refused.stderr
    assert not (tmp_path / "x.png").exists()


def test_the_fast_page_offers_what_memory_allows_and_says_what_a_print_size_costs(monkeypatch):
    app = open_app("pages/fast.py")
    offered = app.slider(key="fast.size").max  # what this machine's free memory holds
    assert offered >= 4096 and offered % 256 == 0
    app.slider(key="fast.size").set_value(3072).run()
    assert not app.exception
    # the castle, 1024x683 px
    assert "Print size, 3072x2049 px: painted in tiles, in about" in texts(app.caption)
    assert "GiB of memory at its peak (3072x2049, over tiles)" in texts(app.caption)
    # a server that may give a run 2 GiB more than the page holds: a smaller slider
    # One reading of what this process holds, for the page and this test alike: it grows
    # (and shrinks) while the page runs, and two readings raced that once in CI.
    held = memory.resident_bytes()
    monkeypatch.setattr(memory, "resident_bytes", lambda: held)
    monkeypatch.setenv(memory.MEMORY_LIMIT_ENV, str(held + 2 * GIB))
    small = open_app("pages/fast.py")
    largest = small.slider(key="fast.size").max
    assert 2048 <= largest < 8192
    assert largest == memory.largest_fast_side(1024, 8192, 256, free=2 * GIB)
    assert memory.fits(memory.fast_peak(largest, largest), 2 * GIB)
    assert not memory.fits(memory.fast_peak(largest + 256, largest + 256), 2 * GIB)


def test_total_variation_by_bands_is_the_whole_pictures():
    """The banded value and gradient (bands of 7 rows, so many band edges) against
    ``losses.total_variation`` and its gradient by TensorFlow."""
    import numpy as np
    import tensorflow as tf

    from core import losses
    from core.classic.tiles import total_variation_into

    image = np.random.default_rng(3).uniform(0, 255, (37, 29, 3)).astype(np.float32)
    gradient = np.zeros_like(image)
    value = total_variation_into(image, 0.5, gradient, band=7)
    tensor = tf.constant(image[None])
    with tf.GradientTape() as tape:
        tape.watch(tensor)
        expected = losses.total_variation(tensor)
    expected_gradient = 0.5 * tape.gradient(expected, tensor).numpy()[0]
    assert value == pytest.approx(float(expected), rel=1e-5)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-4, atol=1e-7)


def test_a_containers_memory_limit_is_read_from_its_cgroup_files(tmp_path):
    """cgroup v2 and v1 files as the kernel writes them: the room left is the limit less
    the usage, page cache the kernel can drop not counted; no limit reads as none."""
    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "memory.max").write_text(f"{4 * GIB}\n")
    (v2 / "memory.current").write_text(f"{3 * GIB}\n")
    (v2 / "memory.stat").write_text(f"anon 100\ninactive_file {GIB}\nactive_file 5\n")
    assert memory._cgroup_room(v2, *memory._CGROUP_FILES["v2"]) == 2 * GIB
    (v2 / "memory.max").write_text("max\n")
    assert memory._cgroup_room(v2, *memory._CGROUP_FILES["v2"]) is None
    v1 = tmp_path / "v1"
    v1.mkdir()
    (v1 / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    (v1 / "memory.usage_in_bytes").write_text("1000\n")
    (v1 / "memory.stat").write_text("total_inactive_file 10\n")
    assert memory._cgroup_room(v1, *memory._CGROUP_FILES["v1"]) is None
    (v1 / "memory.limit_in_bytes").write_text(f"{GIB}\n")
    assert memory._cgroup_room(v1, *memory._CGROUP_FILES["v1"]) == GIB - 990


def test_a_print_size_jobs_eta_counts_its_tiled_scales_dearer():
    """The live ETA's unit costs (the job's plan): a 4096 px scale over tiles, with Adam,
    costs more than its 64x the pixels of the 512 px scale, as the estimate before Run."""
    import numpy as np

    from core.engine import ClassicTask
    from core.engine.records import plan_of
    from core.estimates import stage_costs

    config = preset("recommended", size=4096)
    photo = np.zeros((683, 1024, 3), np.uint8)
    plan = plan_of(ClassicTask(content=photo, styles=(photo,), config=config))
    assert plan.stage_costs == stage_costs(config, 1024, 683)
    assert [count for count, _ in plan.stage_costs] == [60, 10, 10, 10]
    assert plan.stage_costs[-1][1] > 64 * 1.5 and plan.stage_costs[1][1] == pytest.approx(4, 0.01)
