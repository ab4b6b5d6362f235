"""A live camera session in a real browser: `streamlit run app.py`, Debian's Chromium with a
fake camera that films a real photo (a slow pan, from a Y4M file), the Live page, START.

Used by tests/test_live_browser.py (``check``: one short session, each fault once) and by
bench/live.py (``soak``: minutes of streaming, the server's memory sampled). Run inside a
network namespace of its own that holds only a loopback interface (``private_network``), so
no WebRTC packet can go to any other address, this machine's own network address included:
Chromium is told to offer its loopback address (--allow-loopback-in-peer-connection) and the
app offers 127.0.0.1 (ui.live.stream.offer_loopback).

    unshare --net --map-root-user sh -c 'ip link set lo up && exec "$@"' sh \
        python -m tests.live_session check --json out.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

from tests.serving import CHROMIUM_ARGS, streamlit_server

ROOT = Path(__file__).resolve().parents[1]
CAMERA_PHOTO = ROOT / "examples" / "castle.jpg"
FIRST_PAINTING = ("starry_night.jpg", "The Starry Night")  # the pickers' default
SECOND_PAINTING = ("wave.jpg", "The Great Wave off Kanagawa")
CAMERA_SIZE = (960, 540)
FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--allow-loopback-in-peer-connection"]
ALLOW_CAMERA = "--use-fake-ui-for-media-stream"  # without it, headless Chromium refuses
SAMPLE_SIDE = 96  # px: received frames are read back this small
PAGE_SECONDS = 240  # a fresh server imports TensorFlow and loads the networks first
FAILURES = ROOT / "test-artifacts"  # where a screenshot of a page that failed a check goes


def private_network(argv: list[str]) -> list[str]:
    """``argv`` run in a new network namespace whose only interface is loopback, brought up."""
    return ["unshare", "--net", "--map-root-user", "sh", "-c",
            'ip link set lo up && exec "$@"', "sh", *argv]


def camera_frames(photo: Path = CAMERA_PHOTO, size: tuple[int, int] = CAMERA_SIZE,
                  count: int = 30) -> list[np.ndarray]:
    """A slow pan across ``photo``: ``count`` RGB frames of ``size``, the last one back
    near the first, so the looping camera does not jump."""
    picture = Image.open(photo).convert("RGB")
    width, height = size
    scale = max(width * 1.25 / picture.width, height * 1.1 / picture.height)
    picture = picture.resize((round(picture.width * scale), round(picture.height * scale)),
                             Image.Resampling.LANCZOS)
    travel = picture.width - width
    frames = []
    for index in range(count):
        left = round(travel * (1 - np.cos(2 * np.pi * index / count)) / 2)
        frames.append(np.asarray(picture.crop((left, 0, left + width, height))))
    return frames


def write_y4m(frames: list[np.ndarray], path: Path, fps: int) -> Path:
    """The frames as a Y4M file (4:2:0, full-range), what Chromium's fake camera plays."""
    height, width = frames[0].shape[:2]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for rgb in frames:
            y, cb, cr = Image.fromarray(rgb).convert("YCbCr").split()
            out.write(b"FRAME\n")
            out.write(y.tobytes())
            for plane in (cb, cr):
                out.write(plane.resize((width // 2, height // 2), Image.Resampling.BOX).tobytes())
    return path


def palette(path: Path, colours: int = 8) -> np.ndarray:
    """A painting's main colours (median cut), as (colours, 3) floats."""
    picture = Image.open(path).convert("RGB")
    picture.thumbnail((256, 256))
    quantised = picture.quantize(colours, method=Image.Quantize.MEDIANCUT)
    return np.asarray(quantised.getpalette()[: 3 * colours], np.float64).reshape(-1, 3)


def palette_distance(rgb: np.ndarray, colours: np.ndarray) -> float:
    """Mean distance (RGB levels) from each pixel to the nearest of ``colours``."""
    pixels = rgb.reshape(-1, 3).astype(np.float64)
    return float(np.sqrt(((pixels[:, None] - colours[None]) ** 2).sum(-1)).min(1).mean())


def small(rgb: np.ndarray, side: int = SAMPLE_SIDE) -> np.ndarray:
    picture = Image.fromarray(rgb)
    picture.thumbnail((side, side), Image.Resampling.BOX)
    return np.asarray(picture)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    import os

    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_share(pid: int, seconds: float) -> float:
    """Cores the process kept busy on average over the next ``seconds``."""
    before, started = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.monotonic() - started)


def until_idle(pid: int, within: float = 30, idle: float = 0.1,
               window: float = 2) -> tuple[float, float]:
    """(seconds until the process kept under ``idle`` cores busy for a ``window``, that
    window's share); the last share if it never did within ``within`` s."""
    started = time.monotonic()
    while True:
        share = cpu_share(pid, window)
        waited = time.monotonic() - started
        if share < idle or waited >= within:
            return round(waited, 1), share


class LivePage:
    """The Live page in one browser, with helpers that read what it shows."""

    def __init__(self, page):
        self.page = page

    @property
    def player(self):
        return self.page.frame_locator('iframe[title="streamlit_webrtc.component.webrtc_streamer"]')

    def open(self, url: str) -> None:
        self.page.goto(f"{url}/live", wait_until="domcontentloaded")
        self.page.get_by_role("heading", name="Live").wait_for(timeout=PAGE_SECONDS * 1000)
        self.player.get_by_role("button", name="START").wait_for(timeout=PAGE_SECONDS * 1000)

    def start(self) -> None:
        self.player.get_by_role("button", name="START").click()

    def stop(self) -> None:
        self.player.get_by_role("button", name="STOP").click()

    def status(self) -> str:
        return self.page.locator('[data-testid="stMarkdownContainer"]').filter(
            has_text=re.compile(r"fps|Waiting for|loading the painting")).first.inner_text()

    def painted_fps(self) -> float:
        match = re.search(r"([\d.]+) fps", self.status())
        return float(match.group(1)) if match else 0.0

    def wait_painting(self, seconds: float = PAGE_SECONDS) -> None:
        """Until the page reports painted frames (the networks are loaded and warm)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if self.painted_fps() > 0:
                    return
            except Exception:  # noqa: BLE001 - the status line is not there yet
                pass
            time.sleep(0.5)
        raise RuntimeError(f"no painted frames after {seconds:.0f} s")

    def wait_idle(self, seconds: float = 120) -> None:
        """Until the page's script has finished its run (Streamlit's "Running" sign)."""
        self.page.locator('[data-testid="stStatusWidget"]').wait_for(
            state="hidden", timeout=seconds * 1000)

    def frames_received(self) -> int:
        return self.player.locator("video").evaluate(
            "v => v.getVideoPlaybackQuality().totalVideoFrames")

    def browser_fps(self, seconds: float) -> float:
        """Frames the browser's video element received a second, over ``seconds``."""
        before, started = self.frames_received(), time.monotonic()
        time.sleep(seconds)
        return (self.frames_received() - before) / (time.monotonic() - started)

    def distinct_frames(self, seconds: float) -> dict:
        """Over ``seconds``: the frames the video element presented, and how far each was
        from the one before (mean absolute difference, 0..255, on a 48 px thumbnail).
        streamlit-webrtc sends the newest painting again for every camera frame that came
        while the next was painted, so only frames that changed are new paintings."""
        return self.player.locator("video").evaluate(
            """(v, seconds) => new Promise((resolve) => {
                const canvas = document.createElement('canvas');
                canvas.width = 48; canvas.height = 27;
                const context = canvas.getContext('2d', {willReadFrequently: true});
                let previous = null, started = null;
                const changes = [];
                const step = (now) => {
                    if (started === null) started = now;
                    context.drawImage(v, 0, 0, 48, 27);
                    const data = context.getImageData(0, 0, 48, 27).data;
                    if (previous) {
                        let total = 0;
                        for (let i = 0; i < data.length; i += 4) {
                            total += Math.abs(data[i] - previous[i])
                                + Math.abs(data[i + 1] - previous[i + 1])
                                + Math.abs(data[i + 2] - previous[i + 2]);
                        }
                        changes.push(total / (48 * 27 * 3));
                    }
                    previous = data;
                    if (now - started < seconds * 1000) v.requestVideoFrameCallback(step);
                    else resolve({seconds: (now - started) / 1000, changes});
                };
                v.requestVideoFrameCallback(step);
            })""", seconds)

    def video_frame(self) -> np.ndarray:
        """What the video element shows now, read back SAMPLE_SIDE px wide (RGB)."""
        data = self.player.locator("video").evaluate(
            """(v, side) => {
                const scale = side / Math.max(v.videoWidth, v.videoHeight);
                const w = Math.max(1, Math.round(v.videoWidth * scale));
                const h = Math.max(1, Math.round(v.videoHeight * scale));
                const canvas = document.createElement('canvas');
                canvas.width = w; canvas.height = h;
                const context = canvas.getContext('2d');
                context.drawImage(v, 0, 0, w, h);
                return {w, h, pixels: Array.from(context.getImageData(0, 0, w, h).data)};
            }""", SAMPLE_SIDE)
        rgba = np.asarray(data["pixels"], np.uint8).reshape(data["h"], data["w"], 4)
        return rgba[..., :3]

    def snapshot(self, workdir: Path) -> dict:
        """Snapshot, then the PNG the page offers: its size against the camera's."""
        self.page.get_by_role("button", name="Snapshot").click()
        download = self.page.get_by_role("button", name="Download snapshot (PNG)")
        download.wait_for(timeout=60_000)
        camera = re.search(r"camera (\d+) × (\d+)", self.status())
        with self.page.expect_download() as started:
            download.click()
        path = workdir / "snapshot.png"
        started.value.save_as(path)
        with Image.open(path) as picture:
            size = list(picture.size)
        return {"size": size, "camera": [int(camera.group(1)), int(camera.group(2))],
                "name": started.value.suggested_filename}

    def tick_painting(self, title: str) -> None:
        self.page.get_by_label(title, exact=True).first.click(force=True)

    def message(self, pattern: str, seconds: float = 20) -> str:
        """The text of the first alert on the page or in the player matching ``pattern``."""
        deadline = time.monotonic() + seconds
        regex = re.compile(pattern)
        while time.monotonic() < deadline:
            for where in (self.page, self.player):
                found = where.get_by_text(regex)
                if found.count():
                    return found.first.inner_text()
            time.sleep(0.5)
        self.page.screenshot(path=str(FAILURES / "live-no-message.png"), full_page=True)
        raise RuntimeError(f"no message matching {pattern!r} within {seconds:.0f} s "
                           f"(the page: {FAILURES / 'live-no-message.png'})")


@contextmanager
def app_server(workdir: Path):
    with streamlit_server(workdir / "streamlit.log") as (url, process):
        yield url, process


@contextmanager
def browser(playwright, camera: Path | None, allow: bool = True):
    import shutil

    args = [*CHROMIUM_ARGS, *FAKE_CAMERA]
    if allow:
        args.append(ALLOW_CAMERA)
    if camera is not None:
        args.append(f"--use-file-for-fake-video-capture={camera}")
    instance = playwright.chromium.launch(
        executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=args)
    try:
        yield instance
    finally:
        instance.close()


def closest_camera_difference(seen: np.ndarray, camera: list[np.ndarray]) -> float:
    """Mean absolute difference (levels) between ``seen`` and the camera frame nearest it."""
    return min(float(np.abs(seen.astype(int) - small(frame)[: seen.shape[0], : seen.shape[1]]
                            .astype(int)).mean())
               for frame in camera if small(frame).shape == seen.shape)


def check(workdir: Path) -> dict:
    """One short session: painted frames, their rate, a switch of painting, STOP, a viewer
    leaving, and each fault once (camera refused, camera gone, a slow camera)."""
    from playwright.sync_api import sync_playwright

    frames = camera_frames()
    camera = write_y4m(frames, workdir / "camera.y4m", fps=15)
    slow_camera = write_y4m(frames[::6], workdir / "slow-camera.y4m", fps=3)
    first = palette(ROOT / "styles" / FIRST_PAINTING[0])
    second = palette(ROOT / "styles" / SECOND_PAINTING[0])
    result: dict = {}
    with app_server(workdir) as (url, server), sync_playwright() as playwright:
        result["idle_cores"] = cpu_share(server.pid, 2)
        with browser(playwright, camera) as chromium:
            context = chromium.new_context(viewport={"width": 1400, "height": 1000})
            live = LivePage(context.new_page())
            live.open(url)
            live.start()
            live.wait_painting()
            time.sleep(6)  # the size settles (core.live.next_side)
            result["page_fps"] = live.painted_fps()
            result["status"] = live.status()
            result["browser_fps"] = live.browser_fps(5)
            result["presented"] = live.distinct_frames(5)
            result["streaming_cores"] = cpu_share(server.pid, 3)
            seen = live.video_frame()
            result["snapshot"] = live.snapshot(workdir)
            time.sleep(4)  # painting the snapshot took the CPU for a moment: the rate recovers
            live.page.get_by_role("heading", name="Live").scroll_into_view_if_needed()
            live.page.screenshot(path=str(workdir / "live.png"))
            result["first"] = {
                "camera_difference": closest_camera_difference(seen, frames),
                "to_first_palette": palette_distance(seen, first),
                "to_second_palette": palette_distance(seen, second),
                "camera_to_first_palette": float(np.mean(
                    [palette_distance(small(f), first) for f in frames])),
                "camera_to_second_palette": float(np.mean(
                    [palette_distance(small(f), second) for f in frames])),
            }
            result["frames_before_switch"] = live.frames_received()
            live.tick_painting(SECOND_PAINTING[1])
            time.sleep(1.5)
            live.tick_painting(FIRST_PAINTING[1])
            time.sleep(5)
            switched = live.video_frame()
            result["second"] = {
                "to_first_palette": palette_distance(switched, first),
                "to_second_palette": palette_distance(switched, second),
                "change_from_first": float(np.abs(switched.astype(int) - seen.astype(int)).mean()),
                "frames_since_start": live.frames_received(),
                "still_playing": live.player.get_by_role("button", name="STOP").count() == 1,
            }
            # Another method while the stream goes on.
            live.page.get_by_text("26 styles", exact=True).click()
            time.sleep(2)
            live.wait_idle()  # the page paints its gallery of the 26 styles first
            time.sleep(4)
            styles = live.video_frame()
            result["styles"] = {
                "change_from_second": float(np.abs(styles.astype(int)
                                                   - switched.astype(int)).mean()),
                "status": live.status(),
                "still_playing": live.player.get_by_role("button", name="STOP").count() == 1,
            }
            live.stop()
            result["stopped_after_s"], result["stopped_cores"] = until_idle(server.pid)
            # A viewer who closes the tab while streaming.
            live.start()
            live.wait_painting(60)
            result["restarted_fps"] = live.painted_fps()
            context.close()
            result["left_after_s"], result["left_cores"] = until_idle(server.pid)
            # The camera unplugged: its track ends, as Chromium ends it when a device goes.
            context = chromium.new_context()
            context.add_init_script("""
                const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
                navigator.mediaDevices.getUserMedia = async (constraints) => {
                    const stream = await original(constraints);
                    window.top.__cameras = (window.top.__cameras || []).concat([stream]);
                    return stream;
                };""")
            live = LivePage(context.new_page())
            live.open(url)
            live.start()
            live.wait_painting(60)
            live.page.evaluate("""() => window.__cameras.forEach(
                s => s.getVideoTracks().forEach(t => t.stop()))""")
            result["unplugged"] = live.message(r"No frames from the camera")
            context.close()
        with browser(playwright, camera, allow=False) as chromium:
            # A person who blocked the camera for this site (the browser's own setting).
            page = chromium.new_page()
            page.context.new_cdp_session(page).send("Browser.setPermission", {
                "origin": url, "permission": {"name": "camera"}, "setting": "denied"})
            live = LivePage(page)
            live.open(url)
            live.start()
            result["refused"] = live.message(r"refused this page the camera")
            result["refused_player"] = live.player.locator("body").inner_text()
        with browser(playwright, slow_camera) as chromium:
            live = LivePage(chromium.new_page())
            live.open(url)
            live.start()
            live.wait_painting(60)
            result["slow"] = live.message(r"reach the server at only", seconds=30)
    return result


def soak(workdir: Path, minutes: float, every: float = 10.0, viewers: int = 1) -> dict:
    """``viewers`` browser sessions streaming at once for ``minutes``; the server's resident
    memory and each viewer's figures every ``every`` s."""
    from playwright.sync_api import sync_playwright

    camera = write_y4m(camera_frames(), workdir / "camera.y4m", fps=15)
    samples = []
    with app_server(workdir) as (url, server), sync_playwright() as playwright:
        with browser(playwright, camera) as chromium:
            pages, joined = [], []
            for _ in range(viewers):  # a context each: a browser session each
                context = chromium.new_context(viewport={"width": 1400, "height": 1000})
                live = LivePage(context.new_page())
                live.open(url)
                live.start()
                live.wait_painting()
                pages.append(live)
                time.sleep(10)
                joined.append({"viewers": len(pages), "rss_mib": round(memory_mib(server.pid), 1)})
            started = time.monotonic()
            while time.monotonic() - started < minutes * 60:
                statuses = [live.status() for live in pages]
                samples.append({"seconds": round(time.monotonic() - started, 1),
                                "rss_mib": round(memory_mib(server.pid), 1),
                                "page_fps": min(live.painted_fps() for live in pages),
                                "status": statuses[0], "statuses": statuses})
                time.sleep(every)
            browser_fps = min(live.browser_fps(5) for live in pages)
            cores = cpu_share(server.pid, 5)
            for live in pages:
                live.stop()
    return {"minutes": minutes, "viewers": viewers, "samples": samples, "joined": joined,
            "browser_fps": browser_fps, "streaming_cores": cores}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=("check", "soak"))
    parser.add_argument("--minutes", type=float, default=5.0, help="soak: how long")
    parser.add_argument("--viewers", type=int, default=1, help="soak: browser sessions")
    parser.add_argument("--json", required=True, help="write the results here")
    parser.add_argument("--workdir", help="keep the camera file, log and screenshot here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(args.workdir or scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        result = (check(workdir) if args.scenario == "check" else
                  soak(workdir, args.minutes, viewers=args.viewers))
    Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
