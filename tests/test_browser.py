"""End to end in a real browser: `streamlit run app.py`, headless Chromium, a tiny classic job,
a fast painting with a bundled network, and a compare link opened in a fresh browser.

Drives Debian's Chromium through Playwright (no `playwright install`: that downloads browsers).
Without Chromium or Playwright the test is skipped on a workstation, but fails in CI ($CI set).
A screenshot of the finished page is kept in test-artifacts/classic.png; with
UPDATE_DOCS_SCREENSHOTS=1 the run is larger (a real photo, 256 px, 80 iterations) and the
screenshot is also copied to docs/screenshot-classic.png.
"""

import hashlib
import io
import json
import os
import re
import shutil
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from PIL import Image

from core import export
from tests.serving import CHROMIUM_ARGS, streamlit_server

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
DOCS_SCREENSHOT = ROOT / "docs" / "screenshot-classic.png"
DOCS_FAST_SCREENSHOT = ROOT / "docs" / "screenshot-fast.png"
DOCS_COMPARE_SCREENSHOT = ROOT / "docs" / "screenshot-compare.png"
DOCS_COMPARISON_SHEET = ROOT / "docs" / "comparison-sheet.png"
JOB_SECONDS = 240  # the first job of a fresh server loads TensorFlow and the network
UPDATE_DOCS = os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1"
VIEWPORT = {"width": 1400, "height": 1200}
NAV = '[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]'  # the app's page links


def chromium_path() -> str | None:
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_browser():
    """Playwright's sync API and a Chromium binary, or a skip (a failure in CI)."""
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "the playwright package is not installed (pip install -r requirements-dev.txt)"
    executable = chromium_path()
    if missing is None and executable is None:
        missing = "chromium is not installed (apt-get install chromium)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run in CI: {missing}")
        pytest.skip(missing)
    return sync_playwright, executable


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real `streamlit run app.py` on a free localhost port; always terminated.

    Its fast page serves one tiny real network (the bundled ones when updating the docs'
    screenshots), so the test does not depend on which networks are bundled.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    env = dict(os.environ)
    if not UPDATE_DOCS:
        from core.fast import registry
        from tests.conftest import build_tiny_bundle

        models = tmp_path_factory.mktemp("models")
        weights = build_tiny_bundle(models)
        # A second network (the same weights under another name), so grids have two cells.
        second = models / "second.weights.h5"
        shutil.copyfile(weights, second)
        registry.write_manifest(second, display_name="Second", painting="tiny.png",
                                artist="Test", year="2026", licence="CC0", steps=1, batch=2,
                                network=json.loads(models.joinpath("tiny.json").read_text())[
                                    "network"])
        env["STYLE_STUDIO_MODELS_DIR"] = str(models)
    env["STYLE_STUDIO_CLASSIC_SLOTS"] = "1"  # so that concurrent sessions must queue
    with streamlit_server(ARTIFACTS / "streamlit-server.log", env=env) as (url, _):
        yield url


def photo() -> tuple[str, bytes, str]:
    """(file name, bytes, MIME type) of the photo to upload."""
    if UPDATE_DOCS:
        return "lemurs.jpg", (ROOT / "examples" / "lemurs.jpg").read_bytes(), "image/jpeg"
    y, x = np.mgrid[0:96, 0:128]
    pixels = np.stack([x * 2, y * 2, np.full_like(x, 120)], -1).astype(np.uint8)
    pixels[24:60, 32:80] = (240, 230, 200)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "gradient.png", buffer.getvalue(), "image/png"


def labels(locator) -> list[str]:
    """Visible texts without the Material icon names that precede them."""
    return [text.split("\n")[-1].strip() for text in locator.all_inner_texts()]


def set_number(page, name: str, value) -> None:
    field = page.get_by_role("spinbutton", name=name)
    field.fill(str(value))
    field.press("Enter")
    page.wait_for_function(
        "([name, value]) => [...document.querySelectorAll('input[type=number]')]"
        ".some(e => e.getAttribute('aria-label') === name && Number(e.value) === value)",
        arg=[name, value],
    )


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for this module; each test opens its own contexts in it."""
    sync_playwright, executable = require_browser()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def fresh_page(browser, failure_screenshot: str):
    """A page in a new browser context (no cookies: a new Streamlit session); when the test
    fails inside it, a screenshot of the page goes to test-artifacts/."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        yield page
    except Exception:
        save_screenshot(page, ARTIFACTS / failure_screenshot)
        raise
    finally:
        context.close()


def test_a_first_visit_shows_the_real_navigation_and_the_home_page_at_once(browser):
    """The first visit to a fresh server: never Streamlit's legacy listing of pages/ ("app,
    classic, compare, fast, home"), and the home page without waiting for TensorFlow.

    Its own server, which has served no session yet (the legacy listing came only then).
    """
    with (streamlit_server(ARTIFACTS / "first-visit-server.log") as (url, _),
          fresh_page(browser, "first-visit-failure.png") as page):
        started = time.monotonic()
        page.goto(url)
        nav = page.locator(NAV)
        seen = []
        while time.monotonic() - started < 20:
            names = labels(nav)
            if names and names not in seen:
                seen.append(names)
            if page.get_by_role("heading", name="Style Studio").count() and names:
                break
            time.sleep(0.05)
        shown_after = time.monotonic() - started
        assert seen == [["Home", "Classic", "Fast", "Compare", "Batch", "Video", "Live",
                          "Train"]], seen
        # The TensorFlow import alone takes longer than this on a 2-core machine.
        assert shown_after < 6, f"home page and navigation took {shown_after:.1f} s"
        page.get_by_text("Loss network:").wait_for(timeout=60_000)  # the sidebar follows


def test_uploads_and_choices_stay_when_moving_between_pages(server, browser):
    """An uploaded photo and painting and the ticked paintings survive a visit to another
    page, and the photo is offered (and chosen) on the fast and compare pages."""
    name, data, mime = photo()
    with fresh_page(browser, "persistence-failure.png") as page:
        open_classic(page, server)
        page.locator('.st-key-classic-content_upload input[type="file"]').set_input_files(
            files=[{"name": name, "mimeType": mime, "buffer": data}])
        page.get_by_text(re.compile(rf"^{re.escape(name)} · \d+ × \d+ px$")).wait_for()
        page.locator('.st-key-classic-style_upload input[type="file"]').set_input_files(
            files=[{"name": "my-painting.png", "mimeType": "image/png", "buffer": data}])
        page.get_by_text("my-painting.png", exact=True).first.wait_for()
        page.wait_for_function(  # the upload, ticked, replaced the untouched default
            "() => !document.querySelector('.st-key-classic-pick-starry_night input').checked",
            timeout=30_000)
        page.locator(".st-key-classic-pick-wave label").click()  # tick a bundled painting too
        page.wait_for_function("() => document.querySelector("
                               "'.st-key-classic-pick-wave input').checked")
        # The rerun that takes the tick in must finish before the page changes: on a busy
        # 2-core machine a page link clicked during it lost the tick once (CI).
        settled(page)
        for where, heading in (("Home", "Style Studio"), ("Classic", "Classic style transfer")):
            nav_link(page, where).click()
            page.get_by_role("heading", name=heading).wait_for(timeout=60_000)
        def ticked(item: str) -> bool:
            box = page.locator(f".st-key-classic-pick-{item} input")
            box.wait_for(state="attached", timeout=60_000)
            return box.is_checked()

        assert ticked(f"upload-{sha12(data)}") and ticked("wave")
        page.wait_for_function(  # the upload replaced the default: it stays unticked
            "() => !document.querySelector('.st-key-classic-pick-starry_night input').checked",
            timeout=10_000)
        assert page.get_by_role("combobox", name="Photo").input_value() == f"Your photo: {name}"
        assert page.get_by_role("button", name="Run", exact=True).is_enabled()
        for where in ("Fast", "Compare"):
            nav_link(page, where).click()
            page.get_by_role("combobox", name="Photo").first.wait_for(timeout=60_000)
            page.wait_for_function(
                "v => [...document.querySelectorAll('input[aria-label=Photo]')]"
                ".some(e => e.value === v)", arg=f"Your photo: {name}", timeout=60_000)


def settled(page) -> None:
    """Waits for the rerun a widget just asked for to end. Streamlit's status widget shows
    while a script runs; a quick rerun may be over before it shows, so it gets 2 s to."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    status = page.locator('[data-testid="stStatusWidget"]')
    try:
        status.wait_for(state="attached", timeout=2_000)
    except PlaywrightTimeout:
        pass
    status.wait_for(state="detached", timeout=60_000)


def nav_link(page, label: str):
    """The sidebar's link to a page. Its text is the icon's name, then the label: "Video"
    is also in Live's "videocam", so the label is matched at the end."""
    return page.locator(NAV).filter(has_text=re.compile(f"{re.escape(label)}$"))


def sha12(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def test_a_tiny_classic_job_in_a_real_browser(server, browser):
    size, iterations, snapshot_every = (256, 80, 8) if UPDATE_DOCS else (64, 6, 1)
    with fresh_page(browser, "classic-failure.png") as page:
        open_classic(page, server)
        set_up_run(page, size, iterations, snapshot_every)
        run_to_the_end(page, size, iterations)
        save_screenshot(page, ARTIFACTS / "classic.png")
        if UPDATE_DOCS:
            shutil.copyfile(ARTIFACTS / "classic.png", DOCS_SCREENSHOT)
        check_download(page, size)
        watch_live_then_cancel(page)


def test_the_fast_page_paints_any_painting_and_with_a_style_network_in_a_real_browser(
        server, browser):
    with fresh_page(browser, "fast-failure.png") as page:
        page.goto(f"{server}/fast")
        page.get_by_role("heading", name="Fast style transfer").wait_for(timeout=60_000)
        # It opens on Any painting: the default painting, at the default size.
        page.get_by_text(re.compile(r" · painted in \d+\.\d+ s · 1080 × \d+ px")).wait_for(
            timeout=JOB_SECONDS * 1000)
        save_screenshot(page, ARTIFACTS / "fast.png")
        if UPDATE_DOCS:
            shutil.copyfile(ARTIFACTS / "fast.png", DOCS_FAST_SCREENSHOT)
        with page.expect_download() as event:
            page.get_by_role("button", name="Download PNG").first.click()
        data = Path(event.value.path()).read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "PNG" and max(image.size) == 1080
        # The 16-bit file is painted again and encoded only now, on the click (ui.export).
        with page.expect_download() as event:
            page.get_by_role("button", name="PNG, 16-bit").first.click()
        assert event.value.suggested_filename.endswith("-16bit.png")
        sixteen = export.decode_picture(Path(event.value.path()).read_bytes())
        assert sixteen.dtype == np.uint16 and max(sixteen.shape) == 1080

        page.get_by_text("Trained networks", exact=True).click()
        painted = page.get_by_text(re.compile(r" · painted in \d+\.\d+ s$"))
        painted.first.wait_for(timeout=JOB_SECONDS * 1000)
        save_screenshot(page, ARTIFACTS / "fast-trained.png")


def test_a_compare_link_opens_the_same_grid_in_a_fresh_browser(server, browser):
    """Choose a photo on the compare page; its address, opened by a stranger (a new browser
    context: no cookies, a new Streamlit session), shows the same grid, pixel for pixel: the
    any-painting network's picture with each bundled painting (the grid opens on it)."""
    networks = len([p for p in (ROOT / "styles").iterdir()
                    if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp")])
    with fresh_page(browser, "compare-failure.png") as page:
        page.goto(f"{server}/compare")
        page.get_by_role("heading", name="Compare").wait_for(timeout=60_000)
        page.locator(".st-key-compare-photo button[aria-label=Open]").click()
        page.get_by_role("option", name="Lemurs").click()
        page.wait_for_url(re.compile(r"photo=lemurs"), timeout=JOB_SECONDS * 1000)
        shown = grid(page, networks)
        link = page.url
        # The link shown on the page is the full address, the same as the address bar's.
        shown_link = page.locator('[data-testid="stCode"]').last.inner_text().strip()
        assert shown_link.startswith(f"{server}/compare?") and "photo=lemurs" in shown_link
        assert parse_qs(urlsplit(shown_link).query) == parse_qs(urlsplit(link).query)
        with page.expect_download() as event:
            page.get_by_role("button", name="Download the comparison (PNG sheet)").click()
        sheet = Path(event.value.path())
        with Image.open(sheet) as picture:  # the photo and each painting, 3 to a row
            assert picture.format == "PNG" and picture.width > 600
        if UPDATE_DOCS:
            shutil.copyfile(sheet, DOCS_COMPARISON_SHEET)
        save_screenshot(page, ARTIFACTS / "compare.png")
        if UPDATE_DOCS:
            shutil.copyfile(ARTIFACTS / "compare.png", DOCS_COMPARE_SCREENSHOT)
    with fresh_page(browser, "compare-link-failure.png") as opened:
        opened.goto(link)
        opened.get_by_role("heading", name="Compare").wait_for(timeout=60_000)
        assert grid(opened, networks) == shown
        assert opened.get_by_role("combobox", name="Photo").input_value() == "Lemurs"


def grid(page, count: int) -> list[tuple[str, bytes]]:
    """The compare grid's captions (times left out: they differ per run) and image bytes."""
    figures = page.locator('[data-testid="stImage"]').filter(
        has_text=re.compile(r" · any-painting · \d+\.\d+ s$"))
    figures.nth(count - 1).wait_for(timeout=JOB_SECONDS * 1000)
    assert figures.count() == count
    cells = []
    for index in range(count):
        figure = figures.nth(index)
        caption = figure.locator('[data-testid="stImageCaption"]').inner_text()
        reply = page.request.get(figure.locator("img").get_attribute("src"))
        assert reply.ok
        cells.append((caption.rsplit(" · ", 1)[0], reply.body()))
    return cells


def open_classic(page, url: str) -> None:
    page.goto(f"{url}/classic")
    page.get_by_role("heading", name="Classic style transfer").wait_for(timeout=60_000)
    # The app's own navigation only: four pages, no legacy pages/ listing.
    nav = page.locator(NAV)
    nav.first.wait_for()
    assert labels(nav) == ["Home", "Classic", "Fast", "Compare", "Batch", "Video", "Live", "Train"]
    page.get_by_text("Loss network:").wait_for()


def set_up_run(page, size: int, iterations: int, snapshot_every: int) -> None:
    name, data, mime = photo()
    # Streamlit marks each keyed widget's container with the class st-key-<key>.
    page.locator('.st-key-classic-content_upload input[type="file"]').set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.get_by_text(re.compile(rf"^{re.escape(name)} · \d+ × \d+ px$")).wait_for()

    page.get_by_role("slider").first.focus()
    page.keyboard.press("Home")
    for _ in range((size - 64) // 8):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("v => document.querySelector('input[type=range]')?.value == v",
                           arg=str(size))
    set_number(page, "Iterations", iterations)
    page.get_by_text("Advanced settings").click()
    set_number(page, "Snapshot every (iterations; 0: none)", snapshot_every)
    page.get_by_text("Advanced settings").click()  # fold it again for a tidy screenshot


def run_to_the_end(page, size: int, iterations: int) -> None:
    page.get_by_role("button", name="Run", exact=True).click()
    page.locator('[data-testid="stProgress"]').wait_for(timeout=30_000)
    page.get_by_text(re.compile(rf"^Done: {iterations} iterations in ")).wait_for(
        timeout=JOB_SECONDS * 1000)
    # The finished page: result, downloads, the loss chart and the snapshot gallery.
    page.get_by_text(re.compile(rf"^Result · {size} × \d+ px$")).wait_for()
    downloads = page.locator('[data-testid="stDownloadButton"]')
    downloads.first.wait_for()
    assert labels(downloads) == [
        "Download PNG", "Download snapshots (ZIP)", "Download settings (JSON)", "PNG, 16-bit",
        "TIFF, 16-bit"]
    chart = page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot')
    chart.first.wait_for()  # plotly draws after the page's elements arrive
    assert chart.count() == 1
    assert page.get_by_text(re.compile(r"^iteration \d+ · ")).count() >= 1
    assert page.get_by_role("button", name="Run", exact=True).is_enabled()


def watch_live_then_cancel(page) -> None:
    """A long run: the bar counts, chart and gallery fill in live; Cancel stops it soon."""
    set_number(page, "Iterations", 3000)
    page.get_by_role("button", name="Run", exact=True).click()
    live = page.get_by_text(re.compile(r"^Iteration \d+ / 3000 · "))
    live.wait_for(timeout=JOB_SECONDS * 1000)
    page.get_by_text(re.compile(r"^Now: iteration \d+$")).wait_for()
    page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').first.wait_for()
    first = iteration_shown(live)
    page.wait_for_function(
        "n => [...document.querySelectorAll('[data-testid=stProgress]')]"
        ".some(e => Number((/Iteration (\\d+) \\//.exec(e.textContent) || [0, 0])[1]) > n)",
        arg=first, timeout=60_000)  # the bar moves
    # The gallery grows: a second snapshot appears (a snapshot comes every N iterations).
    page.get_by_text(re.compile(r"^iteration \d+ · ")).nth(1).wait_for(timeout=60_000)
    pressed = time.monotonic()
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text(re.compile(r"^Cancelled at iteration \d+")).wait_for(timeout=30_000)
    assert time.monotonic() - pressed < 10  # tiny iterations: polling dominates
    assert page.get_by_role("button", name="Run", exact=True).is_enabled()


def iteration_shown(locator) -> int:
    return int(re.match(r"Iteration (\d+)", locator.inner_text()).group(1))


def save_screenshot(page, target: Path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the window first."""
    time.sleep(1)  # images and the chart finish drawing
    height = page.evaluate(
        "() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 1200")
    page.set_viewport_size({"width": 1400, "height": min(max(height + 40, 1200), 6000)})
    time.sleep(0.5)
    page.screenshot(path=str(target), full_page=True)
    page.set_viewport_size(VIEWPORT)


def check_download(page, size: int) -> None:
    with page.expect_download() as event:
        page.get_by_role("button", name="Download PNG").first.click()
    # Named after what is in it: photo, painting, method and size.
    stem = Path(photo()[0]).stem
    assert re.fullmatch(rf"{stem}-starry-night-classic-{size}x\d+\.png",
                        event.value.suggested_filename), event.value.suggested_filename
    data = Path(event.value.path()).read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and max(image.size) == size


class HealthWatch:
    """Asks /_stcore/health every 0.25 s on a thread; the slowest answer, and failures."""

    def __init__(self, url: str):
        self.url, self.slowest, self.failures = url, 0.0, 0
        self.slow: list[tuple[float, float]] = []  # (seconds since start, answer time) > 0.5 s
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._ask, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _ask(self):
        while not self._stop.wait(0.25):
            asked = time.perf_counter()
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=5) as reply:
                    assert reply.status == 200
                answer = time.perf_counter() - asked
                self.slowest = max(self.slowest, answer)
                if answer > 0.5:
                    self.slow.append((round(time.monotonic() - self._started, 1), answer))
            except (OSError, AssertionError):
                self.failures += 1


def test_four_sessions_at_once_queue_finish_and_a_closed_tab_frees_its_slot(server, browser):
    """Four strangers start classic jobs at once (64 px, 40 iterations) on a one-slot server
    and paint with the fast page meanwhile: the queue holds, every job finishes, the health
    check answers within 1 s. Then a tab closed mid-job: its job is cancelled and the server
    is idle again."""
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(4)]
    pages = [context.new_page() for context in contexts]
    try:
        with HealthWatch(server) as health:
            for page in pages:
                open_classic(page, server)
                set_up_run(page, 64, 40, 0)  # long enough to overlap: a queue forms
            shown = []
            for page in pages:
                page.get_by_role("button", name="Run", exact=True).click()
                bar = page.locator('[data-testid="stProgress"]')
                bar.wait_for(timeout=60_000)
                shown.append(bar.inner_text())
            assert any(text.startswith("Waiting for a free slot") for text in shown), shown
            for page in pages:  # the fast page works while the classic jobs queue
                nav_link(page, "Fast").click()
                page.get_by_text(re.compile(r" · painted in \d+\.\d+ s")).first.wait_for(
                    timeout=JOB_SECONDS * 1000)
            for page in pages:
                nav_link(page, "Classic").click()
                page.get_by_text(re.compile(r"^Done: 40 iterations in ")).wait_for(
                    timeout=JOB_SECONDS * 1000)

            closing = contexts.pop()
            page = pages.pop()
            set_number(page, "Iterations", 3000)
            page.get_by_role("button", name="Run", exact=True).click()
            page.get_by_text(re.compile(r"^Iteration \d+ / 3000 · ")).wait_for(
                timeout=JOB_SECONDS * 1000)
            closing.close()
            observer = pages[0]
            deadline = time.monotonic() + 60  # 10 s of grace, a reap every 2 s, reruns
            idle = re.compile(r"Jobs on this server: 0 of 1 running, 0 waiting")
            while not observer.get_by_text(idle).count():
                assert time.monotonic() < deadline, "the closed tab's job still holds the slot"
                time.sleep(1)
                observer.reload()
                observer.get_by_text("Jobs on this server").wait_for(timeout=60_000)
        assert health.failures == 0 and health.slowest < 1.0, vars(health)
    except Exception:
        for number, page in enumerate(pages):
            save_screenshot(page, ARTIFACTS / f"sessions-failure-{number}.png")
        raise
    finally:
        for context in contexts:
            context.close()


def test_the_server_log_holds_no_tensorflow_noise(server):
    """After every page and job above: no cuInit error, no start-up chatter, no retracing."""
    log = (ARTIFACTS / "streamlit-server.log").read_text(errors="replace")
    noise = [line for line in log.splitlines()
             if any(word in line for word in ("cuInit", "cuda drivers", "oneDNN", "retracing",
                                              "missing ScriptRunContext"))]
    assert not noise, noise[:5]


def test_the_video_page_plays_its_painted_clip_in_a_real_browser(server, browser, tmp_path):
    """Chromium decodes and plays what the Video page made (H.264, yuv420p, faststart)."""
    from tests.test_video import pan_clip

    clip = pan_clip(tmp_path / "pan.mp4", frames=12).read_bytes()
    with fresh_page(browser, "video-failure.png") as page:
        page.goto(f"{server}/video")
        page.get_by_role("heading", name="Video").wait_for(timeout=60_000)
        page.locator('.st-key-video-clip_upload input[type="file"]').set_input_files(
            files=[{"name": "pan.mp4", "mimeType": "video/mp4", "buffer": clip}])
        page.get_by_text(re.compile(r"96 × 64 px · 12 frames at [\d.]+ fps")).wait_for(
            timeout=60_000)
        page.get_by_role("button", name="Paint the video").click()
        page.get_by_text(re.compile(r"^Done: 12 frames in ")).wait_for(timeout=JOB_SECONDS * 1000)
        video = page.locator("video").first
        video.wait_for(timeout=30_000)
        played = page.evaluate(
            """async (element) => {
                element.muted = true;
                await element.play();
                await new Promise(r => setTimeout(r, 300));
                return {error: element.error && element.error.code, duration: element.duration,
                        time: element.currentTime, width: element.videoWidth,
                        height: element.videoHeight};
            }""", video.element_handle())
        assert played["error"] is None, played
        assert (played["width"], played["height"]) == (96, 64)
        assert abs(played["duration"] - 0.5) < 0.1 and played["time"] > 0, played
