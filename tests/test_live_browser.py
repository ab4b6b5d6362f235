"""The Live page end to end: a real `streamlit run app.py`, Debian's Chromium with a fake
camera filming a real photo, WebRTC between them, all inside a network namespace of its own
holding only loopback (tests/live_session.py says how), so no packet can leave it.

One session checks what a viewer sees and what the server does: painted frames at a steady
rate, in the painting's colours; a switch of painting while streaming; STOP and a closed tab
leaving the server idle; and a clear message for each fault: the camera refused, the camera
gone, a camera whose frames arrive slowly. Skipped on a workstation without Chromium,
Playwright or unshare; a failure in CI ($CI set).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live_session import private_network

ROOT = Path(__file__).resolve().parents[1]
SESSION_SECONDS = 480


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    missing = [tool for tool in ("chromium", "unshare", "ip") if shutil.which(tool) is None]
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright")
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the live browser test cannot run in CI: missing {missing}")
        pytest.skip(f"missing {missing}")
    workdir = tmp_path_factory.mktemp("live")
    out = workdir / "result.json"
    done = subprocess.run(
        private_network([sys.executable, "-m", "tests.live_session", "check", "--json",
                         str(out), "--workdir", str(workdir)]),
        cwd=ROOT, capture_output=True, text=True, timeout=SESSION_SECONDS)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    shutil.copy(workdir / "live.png", ROOT / "test-artifacts" / "live.png")
    return json.loads(out.read_text())


def test_painted_frames_arrive_at_a_live_rate(session):
    assert session["browser_fps"] >= 10  # what the video element received
    # streamlit-webrtc sends the newest painting again for each camera frame that came while
    # the next was painted: new paintings are the frames that changed. Measured: a frame
    # sent again moves under 1 level (codec noise), a new painting of the panning camera
    # 4.9-28.
    presented = session["presented"]
    new = sum(change > 2.5 for change in presented["changes"]) / presented["seconds"]
    assert new >= 9
    assert session["page_fps"] >= 9  # what the page reports painting ("N fps")
    assert "fps · painted at" in session["status"]


def test_frames_are_painted_in_the_paintings_colours(session):
    first = session["first"]
    assert first["camera_difference"] > 20  # not the camera's picture
    # Nearer the painting's palette than the camera ever is, and nearer it than the other's.
    assert first["to_first_palette"] < first["camera_to_first_palette"] - 8
    assert first["to_first_palette"] < first["to_second_palette"] - 5


def test_a_snapshot_is_painted_at_the_cameras_resolution(session):
    snapshot = session["snapshot"]
    assert snapshot["size"] == snapshot["camera"]  # e.g. 960 x 540, not the painted size
    assert min(snapshot["size"]) >= 240
    assert snapshot["name"].startswith("live-") and snapshot["name"].endswith(".png")


def test_switching_painting_changes_the_frames_while_streaming(session):
    second = session["second"]
    assert second["to_second_palette"] < second["to_first_palette"] - 5
    assert second["change_from_first"] > 15
    assert second["still_playing"]  # the same stream: no reconnection
    assert second["frames_since_start"] > session["frames_before_switch"]
    styles = session["styles"]  # then the 26-style network (style 0, the default tick)
    assert styles["change_from_second"] > 15
    assert styles["still_playing"] and "fps · painted at" in styles["status"]


def test_the_server_works_only_while_someone_watches(session):
    assert session["idle_cores"] < 0.1
    assert session["streaming_cores"] > 0.3
    assert session["stopped_cores"] < 0.1 and session["stopped_after_s"] <= 20  # STOP
    assert session["restarted_fps"] > 0
    # The tab closed mid-stream: streamlit-webrtc ends the stream with the session.
    assert session["left_cores"] < 0.1 and session["left_after_s"] <= 20


def test_each_fault_gets_a_clear_message(session):
    assert "refused this page the camera" in session["refused"]
    assert "Allow it" in session["refused"]
    assert session["unplugged"].startswith("No frames from the camera for")
    assert "reach the server at only" in session["slow"]
    rate = float(session["slow"].split("only ")[1].split(" ")[0])
    assert rate < 5  # the slow camera films 3 frames a second
