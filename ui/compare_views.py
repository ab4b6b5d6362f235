"""The compare page's sections: the styles grid, the before/after slider, a run's evolution.

Pictures come from the fast page's cache (``fast_results.paint_each``) and the session's
shelf (``ui.shelf``); sheets, strips and GIFs are made by ``core.compare``. Classic against
fast lives in ``ui.versus``.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core import compare, images
from core.fast import registry
from core.fast.apply import MAX_FAST_SIDE, FastConfig
from core.jobs import Snapshot
from ui import before_after, compare_link, fast_results, live, pickers, shelf

SECTIONS = {
    "grid": "Styles grid",
    "versus": "Classic vs fast",
    "slider": "Before/after",
    "evolution": "Evolution of a run",
}
GRID_COLUMNS = 3
BEFORE, AFTER = "compare.before", "compare.after"
EVOLUTION_RUN = "compare.evolution_run"
GIF_SECONDS = "compare.gif_seconds"
STRIP_FRAMES = 8  # a strip wider than this gets too small to read on a page
PHOTO_CHOICE = "photo"


def section_picker() -> str:
    return st.segmented_control(
        "Compare", list(SECTIONS), format_func=SECTIONS.__getitem__, key=compare_link.SECTION,
        required=True, persist_state="session", label_visibility="collapsed")


def style_labels(models: list[registry.StyleModel]) -> dict[str, str]:
    return {model.name: model.label for model in models}


def styles_picker(models: list[registry.StyleModel]) -> list[registry.StyleModel]:
    """The fast styles to paint with (all by default)."""
    labels = style_labels(models)
    picked = st.multiselect(
        "Fast styles", list(labels), key=compare_link.STYLES, format_func=labels.__getitem__,
        placeholder="Choose paintings", persist_state="session",
        help="Each chosen style paints the photo once; results from the fast page are reused.")
    return [model for model in models if model.name in picked]


def painting_picker(models: list[registry.StyleModel]) -> registry.StyleModel | None:
    """The one painting to compare classic and fast with."""
    if not models:
        return None
    labels = style_labels(models)
    name = st.selectbox("Painting", list(labels), key=compare_link.PAINTING,
                        format_func=labels.__getitem__, persist_state="session",
                        help="Only paintings with a fast network can be compared.")
    return next(model for model in models if model.name == name)


def settings_row() -> FastConfig:
    """Size, strength and colours of the fast results."""
    size_col, strength_col, colour_col = st.columns([2, 2, 1.5], vertical_alignment="bottom")
    size = size_col.slider("Fast output size (longest side, px)", compare_link.MIN_SIZE,
                           MAX_FAST_SIDE, step=compare_link.SIZE_STEP, key=compare_link.SIZE,
                           persist_state="session")
    strength = strength_col.slider("Strength", 0.0, 1.0, step=compare_link.STRENGTH_STEP,
                                   key=compare_link.STRENGTH, persist_state="session",
                                   help="0 keeps the photo, 1 is the network's full painting.")
    keep_colours = colour_col.toggle("Keep the photo's colours", key=compare_link.COLOURS,
                                     persist_state="session")
    return FastConfig(size=size, strength=strength, preserve_colors=keep_colours)


def time_text(seconds: float) -> str:
    """0.42 s, 12.3 s, 2 min 05 s: fast results need the hundredths."""
    return f"{seconds:.2f} s" if seconds < 10 else live.duration(seconds)


def caption(result: shelf.Result) -> str:
    """One line for a page: painting · method · time."""
    return f"{result.label} · {result.method} · {time_text(result.seconds)}"


def sheet_caption(result: shelf.Result) -> str:
    """Two lines for a sheet: painting, then method, time and size."""
    width, height = result.size
    return (f"{result.label}\n{result.method} · {time_text(result.seconds)} · "
            f"{width} × {height} px")


def sheet_cells(photo: pickers.Chosen, results: list[shelf.Result]) -> list[compare.Cell]:
    """The photo, then each result, as captioned cells of a contact sheet."""
    cells = [compare.Cell(photo.preview, f"Photo: {photo.label}")]
    cells += [compare.Cell(compare.decode_png(r.png), sheet_caption(r)) for r in results]
    return cells


def sheet_png(photo: pickers.Chosen, results: list[shelf.Result]) -> bytes:
    return images.encode_png(compare.contact_sheet(sheet_cells(photo, results), GRID_COLUMNS))


def sheet_download(photo: pickers.Chosen, results: list[shelf.Result], name: str) -> None:
    """A button that makes the sheet when clicked (not on every rerun)."""
    st.download_button(
        "Download the comparison (PNG sheet)", lambda: sheet_png(photo, results),
        file_name=f"style-studio-{name}.png", mime="image/png", key=f"compare.sheet.{name}",
        on_click="ignore", icon=":material/download:", type="primary")


def styles_grid(photo: pickers.Chosen, models: list[registry.StyleModel],
                config: FastConfig) -> list[shelf.Result]:
    """The photo through each chosen style, plus this session's classic runs of it with those
    paintings; returns what it showed."""
    if not models:
        st.info("Choose at least one fast style.")
        return []
    fast = fast_results.paint_each(photo, models, config)
    classic = classic_matches(fast)
    results = fast + classic
    if not results:
        return []
    note = f" and {len(classic)} classic run(s) from this session" if classic else ""
    st.caption(f"{len(fast)} fast result(s){note}. Fast results are cached: those made on the "
               "fast page with the same photo and settings are not painted again.")
    for start in range(0, len(results), GRID_COLUMNS):
        row = st.columns(GRID_COLUMNS, gap="medium")
        for column, result in zip(row, results[start:start + GRID_COLUMNS], strict=False):
            column.image(result.png, caption=caption(result), width="stretch")
    sheet_download(photo, results, "grid")
    return results


def classic_matches(fast: list[shelf.Result]) -> list[shelf.Result]:
    """Classic runs on the shelf of the same photo with the same paintings, one per painting."""
    found = (shelf.classic_for(result.photo_digest, result.painting) for result in fast)
    unique = {result.key: result for result in found if result is not None}
    return list(unique.values())  # two networks of one painting share its classic run


def before_after_section(photo: pickers.Chosen, results: list[shelf.Result]) -> None:
    """Pick any two pictures; a slider uncovers one over the other."""
    choices = picture_choices(photo, results)
    if len(choices) < 2:
        st.info("Paint the photo with a fast style (choose one above) or run a classic job "
                "to have something to compare it with.")
        return
    ids = list(choices)
    _keep_valid(BEFORE, ids, ids[0])
    _keep_valid(AFTER, ids, ids[1])
    left, right = st.columns(2)
    before = left.selectbox("Left", ids, key=BEFORE, format_func=lambda i: choices[i][0])
    after = right.selectbox("Right", ids, key=AFTER, format_func=lambda i: choices[i][0])
    before_label, before_pixels = choices[before]
    after_label, after_pixels = choices[after]
    before_after.show(before_pixels(), after_pixels(), before_label, after_label)
    st.caption("Drag across the picture (or focus it and use the arrow keys). The right picture "
               "is fitted to the left one's shape.")


def picture_choices(photo: pickers.Chosen, results: list[shelf.Result]) -> dict:
    """id -> (label, pixels loader): the photo, these results, the shelf and its snapshots."""
    choices = {PHOTO_CHOICE: (f"The photo: {photo.label}", lambda: photo.pixels)}
    on_shelf = shelf.items()
    digest = compare.digest(photo.pixels)
    for result in [*results, *on_shelf]:
        where = "" if result.photo_digest == digest else (
            f" (photo: {live.title(result.photo)})")
        choices.setdefault(f"result:{result.key}", (
            f"{result.method}: {result.label}{where}, {result.settings}",
            _loader(result.png)))
    for result in on_shelf:
        for snapshot in result.snapshots[:-1]:  # the last one is the result itself
            choices[f"snapshot:{result.key}:{snapshot.iteration}"] = (
                f"classic snapshot: {result.label}, iteration {snapshot.iteration}",
                _loader(snapshot.png))
    return choices


def _loader(png: bytes):
    return lambda: compare.decode_png(png)


def _keep_valid(key: str, options: list[str], default: str) -> None:
    if st.session_state.get(key) not in options:
        st.session_state[key] = default


def evolution_section() -> None:
    """A classic run's snapshots as a captioned strip and as an animated GIF."""
    runs = {run.key: run for run in shelf.classic_runs()}
    if not runs:
        st.info("No classic run has finished in this session yet. Run one on the classic page "
                "(or from *Classic vs fast*); its snapshots show up here.")
        st.page_link("pages/classic.py", label="Go to the classic page", icon=":material/brush:")
        return
    _keep_valid(EVOLUTION_RUN, list(runs), next(iter(runs)))
    key = st.selectbox("Classic run", list(runs), key=EVOLUTION_RUN,
                       format_func=lambda k: run_label(runs[k]))
    run = runs[key]
    if len(run.snapshots) < 2:
        st.info("This run kept no snapshots (its snapshot interval was 0 or longer than the "
                "run), so there is no evolution to show.")
        return
    captions = [frame_caption(snapshot) for snapshot in run.snapshots]
    strip_frames = live.evenly(run.snapshots, STRIP_FRAMES)
    strip = evolution_strip(tuple(s.png for s in strip_frames),
                            tuple(frame_caption(s) for s in strip_frames))
    st.image(strip, width="stretch",
             caption=f"{len(strip_frames)} of {len(run.snapshots)} snapshots, first to last")
    seconds = st.slider("Seconds per frame", 0.1, 2.0, 0.5, step=0.1, key=GIF_SECONDS)
    gif = evolution_gif(tuple(s.png for s in run.snapshots), tuple(captions), seconds)
    gif_col, about_col = st.columns([2, 1])
    gif_col.image(gif, caption=f"{len(run.snapshots)} frames, {seconds:g} s each")
    about_col.download_button(
        "Download the GIF", gif, file_name=f"style-studio-{run.style}-evolution.gif",
        mime="image/gif", key="compare.download_gif", on_click="ignore",
        icon=":material/animated_images:", type="primary")
    about_col.download_button(
        "Download the strip (PNG)", lambda: images.encode_png(strip),
        file_name=f"style-studio-{run.style}-strip.png",
        mime="image/png", key="compare.download_strip", on_click="ignore",
        icon=":material/download:")


def run_label(run: shelf.Result) -> str:
    return (f"{run.label} on {live.title(run.photo)} · {run.settings} · "
            f"{time_text(run.seconds)}")


def frame_caption(snapshot: Snapshot) -> str:
    return f"iteration {snapshot.iteration} · {live.duration(snapshot.elapsed)}"


@st.cache_data(show_spinner="Making the GIF…", max_entries=4)
def evolution_gif(pngs: tuple[bytes, ...], captions: tuple[str, ...], seconds: float) -> bytes:
    return compare.evolution_gif([compare.decode_png(png) for png in pngs], captions, seconds)


@st.cache_data(show_spinner=False, max_entries=4)
def evolution_strip(pngs: tuple[bytes, ...], captions: tuple[str, ...]) -> np.ndarray:
    return compare.evolution_strip([compare.decode_png(png) for png in pngs], captions)
