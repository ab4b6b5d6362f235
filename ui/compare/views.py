"""The compare page's sections and what they share: the section and style pickers, the fast
settings row, captions and contact sheets, the before/after slider, a run's evolution.

Pictures come from the fast page's cache and the session's shelf (``ui.shelf``); sheets,
strips and GIFs are made by ``core.compare``. The styles grid lives in ``ui.compare.grid``,
the sweep in ``ui.compare.sweep``, classic against fast in ``ui.compare.versus``.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core import compare, images
from core.fast import registry
from core.fast.apply import FastConfig
from core.progress import Snapshot
from ui import catalog, pickers, recipe, shelf
from ui.classic import live
from ui.compare import before_after
from ui.compare import link as compare_link
from ui.text import duration, fast_duration

SECTIONS = {
    "grid": "Styles grid",
    "sweep": "Sweep",
    "versus": "Classic vs fast",
    "slider": "Before/after",
    "evolution": "Evolution of a run",
}
GRID_COLUMNS = 3
BEFORE, AFTER = compare_link.LEFT, compare_link.RIGHT
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
    # Pills, not a multiselect: they wrap onto more lines, where a multiselect's tags were cut
    # off after the second painting.
    titles = {model.name: model.display_name for model in models}
    picked = st.pills(
        "Paintings (fast networks)", list(titles), selection_mode="multi",
        key=compare_link.STYLES, format_func=titles.__getitem__, persist_state="session",
        wrap=True,
        help="Each chosen painting's network paints the photo once; results from the fast "
             "page are reused.") or []
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


def settings_row(fixed_size: int | None = None) -> FastConfig:
    """Size, strength and colours of the fast results; ``fixed_size``: a size another
    picture sets (classic against fast: the classic picture's), said instead of a slider
    that would do nothing."""
    size_col, strength_col, colour_col = st.columns([2, 2, 1.5], vertical_alignment="bottom")
    if fixed_size is not None:
        size = fixed_size
        size_col.caption(f"Size: {fixed_size} px on the longest side, the classic picture's, "
                         "so that the three pictures and their times compare like with like.")
    else:
        size = size_col.slider("Size (longest side, px)", compare_link.MIN_SIZE,
                               compare_link.MAX_SIZE, step=compare_link.SIZE_STEP,
                               key=compare_link.SIZE, persist_state="session")
    strength = strength_col.slider("Strength", 0.0, 1.0, step=compare_link.STRENGTH_STEP,
                                   key=compare_link.STRENGTH, persist_state="session",
                                   help="0 keeps the photo, 1 is the network's full painting.")
    keep_colours = colour_col.toggle("Keep photo colours", key=compare_link.COLOURS,
                                     persist_state="session")
    return FastConfig(size=size, strength=strength, preserve_colors=keep_colours)


def caption(result: shelf.Result) -> str:
    """One line for a page: painting · method · time."""
    return f"{result.label} · {result.method} · {fast_duration(result.seconds)}"


def sheet_caption(result: shelf.Result) -> str:
    """Two lines for a sheet: painting, then method, time and size."""
    width, height = result.size
    return (f"{result.label}\n{result.method} · {fast_duration(result.seconds)} · "
            f"{width} × {height} px")


def sheet_cells(photo: pickers.Chosen, results: list[shelf.Result]) -> list[compare.Cell]:
    """The photo, then each result, as captioned cells of a contact sheet."""
    cells = [compare.Cell(photo.preview, f"Photo: {photo.label}")]
    cells += [compare.Cell(compare.decode_png(r.png), sheet_caption(r)) for r in results]
    return cells


def sheet_png(photo: pickers.Chosen, results: list[shelf.Result],
              columns: int = GRID_COLUMNS) -> bytes:
    return images.encode_png(compare.contact_sheet(sheet_cells(photo, results), columns))


def sheet_download(photo: pickers.Chosen, results: list[shelf.Result], name: str,
                   columns: int = GRID_COLUMNS) -> None:
    """A button that makes the sheet when clicked (not on every rerun)."""
    st.download_button(
        "Download the comparison (PNG sheet)", lambda: sheet_png(photo, results, columns),
        file_name=f"{shelf.download_stem(photo.name, (), name)}.png", mime="image/png",
        key=f"compare.sheet.{name}",
        on_click="ignore", icon=":material/download:", type="primary")


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
    for key, side, default in ((BEFORE, "left", ids[0]), (AFTER, "right", ids[1])):
        wanted = st.session_state.get(key)
        if wanted is not None and wanted not in choices:
            st.warning(f"This link's {side} picture is not in this session: "
                       f"{describe_missing(wanted)}. Showing {choices[default][0]} instead.",
                       icon=":material/link_off:")
        _keep_valid(key, ids, default)
    left, right = st.columns(2)
    before = left.selectbox("Left", ids, key=BEFORE, format_func=lambda i: choices[i][0])
    after = right.selectbox("Right", ids, key=AFTER, format_func=lambda i: choices[i][0])
    before_label, before_pixels = choices[before]
    after_label, after_pixels = choices[after]
    before_after.show(before_pixels(), after_pixels(), before_label, after_label)
    st.caption("Drag across the picture (or focus it and use the arrow keys). The right picture "
               "is fitted to the left one's shape.")


def describe_missing(picture_id: str) -> str:
    """What a slider id names, for a person: which picture a link asked for."""
    kind, _, key = picture_id.partition(":")  # "result:<key>" or "snapshot:<key>:<iteration>"
    if kind == "snapshot":
        key = key.rsplit(":", 1)[0]
    method = key.split(":", 1)[0]
    if method == shelf.CLASSIC:  # see shelf.Result.key: only the recipe holds colons
        parts = key.split(":", 3)
        recipe_text = parts[3].rsplit(":", 2)[0] if len(parts) == 4 else "?"
        try:
            settings = recipe.describe(recipe.decode(recipe_text))
        except ValueError:
            settings = "settings this page cannot read"
        what = "a snapshot of a classic run" if kind == "snapshot" else "a classic run"
        return (f"{what} ({settings}); pictures do not travel in links: run it under "
                "Classic vs fast or on the classic page, then pick it here")
    return (f"a {method or 'picture'} picture of a photo or with settings this view does not "
            "have")


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


def evolution_section(photo: pickers.Chosen | None) -> None:
    """A classic run's snapshots as a captioned strip and as an animated GIF.

    A link names its run by photo, paintings and recipe; a session without that run is
    offered to run it.
    """
    runs = {run.key: run for run in shelf.classic_runs()}
    linked = _linked_run(photo, runs)
    if linked is False:
        return  # the offer to run it is shown
    if not runs:
        st.info("No classic run has finished in this session yet. Run one on the classic page "
                "(or from *Classic vs fast*); its snapshots show up here.")
        st.page_link("pages/classic.py", label="Go to the classic page", icon=":material/brush:")
        return
    if linked is not None:
        st.session_state[EVOLUTION_RUN] = linked
    _keep_valid(EVOLUTION_RUN, list(runs), next(iter(runs)))
    key = st.selectbox("Classic run", list(runs), key=EVOLUTION_RUN,
                       format_func=lambda k: run_label(runs[k]))
    run = runs[key]
    _remember_in_link(run)
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
        "Download the GIF", gif, file_name=f"{run.file_stem}-evolution.gif",
        mime="image/gif", key="compare.download_gif", on_click="ignore",
        icon=":material/animated_images:", type="primary")
    about_col.download_button(
        "Download the strip (PNG)", lambda: images.encode_png(strip),
        file_name=f"{run.file_stem}-strip.png",
        mime="image/png", key="compare.download_strip", on_click="ignore",
        icon=":material/download:")


def _linked_run(photo: pickers.Chosen | None, runs: dict[str, shelf.Result]):
    """The key of the run a link names (None: no link, or it names none); False when this
    session lacks it and the offer to run it is shown instead."""
    state = st.session_state
    pending = state.get(compare_link.FROM_LINK, set())
    wanted, mix = state.get(compare_link.CLASSIC), state.get(compare_link.PAINTINGS)
    if not {compare_link.PAINTINGS, compare_link.CLASSIC} <= pending or not mix or photo is None:
        return None
    painting_names = " + ".join(f"{catalog.STYLES_DIR.name}/{catalog.painting(stem).path.name}"
                                for stem in mix)
    digest = compare.digest(photo.pixels)
    weights = tuple(mix.values())
    for key, run in runs.items():
        if (run.photo_digest, run.painting, run.style) == (digest, painting_names, wanted) \
                and (run.weights or (1.0,) * len(mix)) == weights:
            pending.discard(compare_link.PAINTINGS)  # honoured: the person leads from here
            pending.discard(compare_link.CLASSIC)
            return key
    from ui.compare import versus  # versus draws on this module: imported here, not at the top

    st.markdown(f"**Evolution of a classic run** of {photo.label}")
    versus.offer_classic_run(photo, [pickers.from_bundled(catalog.painting(stem)) for stem in mix],
                             tuple(mix.values()), versus.wanted_config(wanted))
    return False


def _remember_in_link(run: shelf.Result) -> None:
    """Name the shown run in the link, if its photo and paintings can travel in one."""
    state = st.session_state
    stems = {picture.path.name: picture.stem for picture in catalog.paintings()}
    names = [name.removeprefix(f"{catalog.STYLES_DIR.name}/") for name in run.painting.split(" + ")]
    photo_stem = run.photo.removeprefix(f"{catalog.EXAMPLES_DIR.name}/").rsplit(".", 1)[0]
    travels = run.photo.startswith(f"{catalog.EXAMPLES_DIR.name}/") and all(
        name in stems for name in names)
    if not travels:
        state[compare_link.CLASSIC] = state[compare_link.PAINTINGS] = None
        st.caption("This run used an upload, which cannot travel in a link: the link opens "
                   "on this view without it. Download the GIF or the strip to share it.")
        return
    weights = run.weights or (1.0,) * len(names)
    state[compare_link.CLASSIC] = run.style
    state[compare_link.PAINTINGS] = {stems[name]: w for name, w in zip(names, weights,
                                                                        strict=True)}
    state[compare_link.PHOTO] = photo_stem


def run_label(run: shelf.Result) -> str:
    return (f"{run.label} on {live.title(run.photo)} · {run.settings} · "
            f"{duration(run.seconds)}")


def frame_caption(snapshot: Snapshot) -> str:
    return f"iteration {snapshot.iteration} · {duration(snapshot.elapsed)}"


@st.cache_data(show_spinner="Making the GIF…", max_entries=4)
def evolution_gif(pngs: tuple[bytes, ...], captions: tuple[str, ...], seconds: float) -> bytes:
    return compare.evolution_gif([compare.decode_png(png) for png in pngs], captions, seconds)


@st.cache_data(show_spinner=False, max_entries=4)
def evolution_strip(pngs: tuple[bytes, ...], captions: tuple[str, ...]) -> np.ndarray:
    return compare.evolution_strip([compare.decode_png(png) for png in pngs], captions)
