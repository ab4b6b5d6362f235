"""Screenshots of every page of the app, for docs/ and for looking at: a real server with the
bundled networks, driven by headless Chromium (Debian's, through Playwright).

    python scripts/page_screenshots.py [--out docs] [--size 256 --iterations 40] [--only batch]

Writes screenshot-home.png, -classic.png (after a short real run and a second one, so the
earlier-runs list shows), -fast.png (Any painting), -fast-trained.png, -fast-26-styles.png,
-fast-regions.png (two paintings by colour regions, touched up with
a brush stroke), -compare.png (styles grid, any painting), -compare-sweep.png (strength x
size), -compare-versus.png, -compare-slider.png and -compare-evolution.png (not with
``--only compare``: it needs the classic page's run), -batch.png (a small batch of the
example photos, one of them in a ZIP, one file broken) and -video.png (a two-second pan
across an example photo, with a tone, previewed and painted, the original beside the painted
clip), -train-running.png and -train.png (a short training run for The Starry Night,
while it trains and done). ``--only PAGE`` shoots one page's screenshots. Stops only the
server it started.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import test_browser as helpers  # noqa: E402 - the browser tests' own helpers
from tests.serving import CHROMIUM_ARGS, streamlit_server  # noqa: E402

LONG = 600_000  # ms: a first fast picture on a cold 2-core server, a classic run
ONLY = ("home", "classic", "fast", "compare", "batch", "video", "train")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--only", choices=ONLY, help="shoot only this page")
    args = parser.parse_args()
    args.out.mkdir(exist_ok=True)
    # Networks the Train page's shot trains go to a temporary folder, not runs/trained.
    os.environ.setdefault("STYLE_STUDIO_TRAINED_DIR", tempfile.mkdtemp(prefix="shots-"))
    with streamlit_server(ROOT / "runs" / "screenshots-server.log") as (url, _):
        shoot_every_page(url, args)


def shoot_every_page(url: str, args) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=helpers.chromium_path(),
                                             args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=helpers.VIEWPORT).new_page()

        def shot(name: str) -> None:
            helpers.save_screenshot(page, args.out / f"screenshot-{name}.png")
            print(f"wrote {args.out / f'screenshot-{name}.png'}", flush=True)

        def nav(where: str, heading: str) -> None:
            helpers.nav_link(page, where).click()
            page.get_by_role("heading", name=heading).wait_for(timeout=LONG)

        page.goto(url)
        page.get_by_role("heading", name="Style Studio").wait_for(timeout=LONG)
        page.get_by_text("Loss network:").wait_for(timeout=LONG)
        if args.only in (None, "home"):
            shot("home")
        if args.only in (None, "classic"):
            shoot_classic(page, nav, shot, args)
        if args.only in (None, "fast"):
            shoot_fast(page, nav, shot)
        if args.only in (None, "compare"):
            # Evolution needs the classic page's run: only with the rest.
            shoot_compare(page, nav, shot, evolution=args.only is None)
        if args.only in (None, "batch"):
            shoot_batch(page, nav, shot)
        if args.only in (None, "video"):
            shoot_video(page, nav, shot)
        if args.only in (None, "train"):
            shoot_train(page, nav, shot)
        browser.close()


def shoot_classic(page, nav, shot, args) -> None:
    nav("Classic", "Classic style transfer")
    page.get_by_role("slider").first.focus()
    page.keyboard.press("Home")
    for _ in range((args.size - 64) // 8):
        page.keyboard.press("ArrowRight")
    helpers.set_number(page, "Iterations", args.iterations)
    done = page.get_by_text(re.compile(rf"^Done: {args.iterations} iterations in "))
    page.get_by_role("button", name="Run", exact=True).click()
    done.wait_for(timeout=LONG)
    page.locator(".st-key-classic-pick-wave label").click()  # a blend next
    time.sleep(2)
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text("Earlier runs in this session").wait_for(timeout=LONG)  # it started
    done.wait_for(timeout=LONG)
    shot("classic")


def shoot_fast(page, nav, shot) -> None:
    nav("Fast", "Fast style transfer")
    page.get_by_text(re.compile(r" · painted in \d+\.\d+ s · ")).first.wait_for(timeout=LONG)
    shot("fast")
    page.get_by_text("Trained networks", exact=True).click()
    page.get_by_text(re.compile(r" · painted in \d+\.\d+ s$")).first.wait_for(timeout=LONG)
    shot("fast-trained")
    page.get_by_text("26 styles", exact=True).click()
    page.get_by_text(re.compile(r"26-style network, styles ")).first.wait_for(timeout=LONG)
    shot("fast-26-styles")
    shoot_fast_regions(page, shot)


def shoot_fast_regions(page, shot) -> None:
    """Any painting with two paintings, a painting per colour region, and a wave stroke drawn
    across the canvas; then regions off and one painting again, as the page was."""
    page.get_by_role("radio", name="Any painting").click()
    page.locator(".st-key-fast-any-pick-wave label").click()
    page.get_by_text("A painting per region").click(timeout=LONG)
    painted = page.get_by_text(re.compile(r" \| .* · painted in \d+\.\d+ s · "))
    painted.first.wait_for(timeout=LONG)
    page.get_by_role("radiogroup", name="Brush").get_by_text("wave").last.click()
    canvas = page.locator('[class*="st-key-fast-regions-canvas"] canvas').last
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    for step in range(1, 25):
        page.mouse.move(box["x"] + box["width"] * (0.15 + step * 0.02),
                        box["y"] + box["height"] * (0.2 + step * 0.01), steps=2)
    page.mouse.up()
    time.sleep(3)
    painted.first.wait_for(timeout=LONG)
    shot("fast-regions")
    page.get_by_text("A painting per region").click()
    page.locator(".st-key-fast-any-pick-wave label").click()


def shoot_compare(page, nav, shot, *, evolution: bool = True) -> None:
    nav("Compare", "Compare")
    page.get_by_text(re.compile(r" · any-painting · \d+\.\d+ s$")).first.wait_for(timeout=LONG)
    shot("compare")
    page.get_by_text("Sweep", exact=True).click()
    page.get_by_text(re.compile(r"^\d+\.\d+ s · 768 × \d+ px$")).nth(3).wait_for(timeout=LONG)
    time.sleep(2)  # the last pictures load
    shot("compare-sweep")
    views = [("Classic vs fast", "compare-versus", r" · any-painting · "),
             ("Before/after", "compare-slider", r"Drag across the picture")]
    if evolution:
        views.append(("Evolution of a run", "compare-evolution", r" snapshots, first to last"))
    for view, name, ready in views:
        page.get_by_text(view, exact=True).click()
        page.get_by_text(re.compile(ready)).first.wait_for(timeout=LONG)
        shot(name)


def shoot_batch(page, nav, shot) -> None:
    """Three example photos (two in a ZIP's folder) and a broken file, at 512 px."""
    nav("Batch", "Batch")
    examples = ROOT / "examples"
    album = io.BytesIO()
    with zipfile.ZipFile(album, "w") as archive:
        for name in ("castle.jpg", "lemurs.jpg"):
            archive.writestr(f"holiday/{name}", (examples / name).read_bytes())
    files = [("eiffel_tower.jpg", (examples / "eiffel_tower.jpg").read_bytes(), "image/jpeg"),
             ("holiday.zip", album.getvalue(), "application/zip"),
             ("notes.jpg", b"shopping list: bread, milk", "image/jpeg")]
    page.locator('.st-key-batch-photos_upload input[type="file"]').set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data} for name, data, mime in files])
    page.get_by_text("4 photos", exact=False).first.wait_for(timeout=LONG)
    page.get_by_role("slider").first.focus()  # the size
    page.keyboard.press("Home")
    for _ in range((512 - 256) // 8):
        page.keyboard.press("ArrowRight")
    time.sleep(2)
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text(re.compile(r"^Done: 3 of 4 painted in ")).wait_for(timeout=LONG)
    shot("batch")


def pan_clip(photo: Path, frames: int = 48, width: int = 480, height: int = 270) -> bytes:
    """A pan across ``photo``, 24 fps, with a tone: an MP4's bytes."""
    import av
    import numpy as np
    from PIL import Image

    from tests.test_video_io import SAMPLE_RATE, add_tone

    picture = Image.open(photo).convert("RGB")
    wide = max(width * 5 // 4, round(picture.width * height / picture.height))
    picture = np.asarray(picture.resize((wide, height)))
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        sound = container.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        for index in range(frames):
            left = index * (picture.shape[1] - width) // frames
            rgb = np.ascontiguousarray(picture[:height, left:left + width])
            container.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        container.mux(stream.encode(None))
        add_tone(container, frames / 24, stream=sound)
    return buffer.getvalue()


def shoot_video(page, nav, shot) -> None:
    """A pan across the castle, at 384 px, previewed, then painted with the side by side."""
    nav("Video", "Video")
    page.locator('.st-key-video-clip_upload input[type="file"]').set_input_files(
        files=[{"name": "castle-pan.mp4", "mimeType": "video/mp4",
                "buffer": pan_clip(ROOT / "examples" / "castle.jpg")}])
    page.get_by_text(re.compile(r"480 × 270 px · 48 frames at 24 fps")).wait_for(timeout=LONG)
    page.get_by_role("slider").first.focus()  # the size
    page.keyboard.press("Home")
    for _ in range((384 - 256) // 8):
        page.keyboard.press("ArrowRight")
    page.get_by_text("Original beside painted", exact=True).click()
    time.sleep(2)
    page.get_by_role("button", name="Preview first frame").click()
    page.get_by_text("First frame", exact=True).wait_for(timeout=LONG)
    page.get_by_role("button", name="Paint the video").click()
    page.get_by_text(re.compile(r"^Done: 48 frames in ")).wait_for(timeout=LONG)
    shot("video")


def shoot_train(page, nav, shot) -> None:
    """The Train page on The Starry Night, a short run (small crops, a preview every 10
    steps): once while it trains (screenshot-train-running.png), once done. The server saves
    the network in its trained-networks folder (main sets a temporary one)."""
    nav("Train", "Train a network")
    helpers.set_number(page, "Steps", 60)
    page.get_by_text("Advanced settings").click()
    for name, value in (("Crop (px)", 128), ("Preview every (steps)", 10)):
        helpers.set_number(page, name, value)
    time.sleep(2)
    page.get_by_role("button", name="Start", exact=True).click()
    page.get_by_text(re.compile(r"Held-out photos .*step [2-5]0$")).wait_for(timeout=LONG)
    shot("train-running")
    page.get_by_text(re.compile(r"^Done: 60 steps in ")).wait_for(timeout=LONG)
    time.sleep(1)
    shot("train")


if __name__ == "__main__":
    main()
