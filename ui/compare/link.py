"""The compare page's state in its URL, so that a copied link opens the same view.

On the first run of the page in a session the query string is read into the widgets'
Session State (every value checked; a bad one is ignored and named in a warning); after
that the widgets lead and each run writes their values back to ``st.query_params``.

A link such as ``compare?view=grid&photo=lemurs&method=trained&styles=starry_night,wave&size=512``
names an example photo by its file stem, the grid's method, fast styles by their network
names and bundled paintings by their stems (``art=wave,udnie``); a sweep by its method,
painting, axes and seed (``view=sweep&sweep=fast&sweep_art=wave&rows=0.5,1&cols=384,512
&seed=0``, see ``core.sweep``); a classic
run by its photo, paintings and recipe (``classic=size:320,iterations:20``, see
``ui.recipe``); the slider's two pictures by their ids (``left=photo&right=...``). Pictures
never travel: a session that lacks one recomputes it (fast results) or says exactly which
classic run is missing and offers to run it. An uploaded photo cannot travel in a link
either; the page says so and offers downloads instead. The link shown is the full address.

(Streamlit's own ``bind="query-params"`` drops bad values silently and uses one parameter
per selected option; this module keeps the short links and tells people what it ignored.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import streamlit as st

from core import sweep as core_sweep
from core.fast.apply import FastConfig
from ui import catalog, frame, recipe, uploads
from ui.fast import results as fast_results

READ = "compare.link_read"  # not a widget: the URL was read into the widgets this session
FROM_LINK = "compare.from_link"  # not a widget: keys a link set that a view has yet to honour
SECTION = "compare.section"
PHOTO = "compare.photo"  # the key ui.pickers.content_picker("compare") gives its selectbox
STYLES = "compare.styles"
PAINTING = "compare.painting"
SIZE = "compare.size"
STRENGTH = "compare.strength"
COLOURS = "compare.preserve_colors"
LEFT, RIGHT = "compare.before", "compare.after"  # the slider's two pictures (selectboxes)
CLASSIC = "compare.classic"  # not a widget: the recipe of the classic run the view shows
PAINTINGS = "compare.paintings"  # not a widget: the evolution run's {painting stem: weight}
# query parameter -> Session State key
GRID_METHOD = "compare.grid_method"  # the styles grid's method: one of GRID_METHODS
ART = "compare.art"  # the grid's bundled paintings (stems), for the any-painting network
SWEEP_METHOD = "compare.sweep_method"  # core.sweep.FAST or CLASSIC
SWEEP_PAINTING = "compare.sweep_painting"  # a bundled painting's stem
ROWS, COLUMNS = "compare.sweep_rows", "compare.sweep_columns"  # text: "0.25, 0.5, 1"
SEED = "compare.sweep_seed"
SWEEP_SIZE, ITERATIONS = "compare.sweep_size", "compare.sweep_iterations"  # classic sweeps
GRID_METHODS = {  # the styles grid's methods (the first is the default) and their labels
    "any": ":material/palette: Any painting",
    "trained": ":material/model_training: Trained networks",
    "multi": ":material/grid_view: 26 styles",
    "classic": ":material/brush: Classic results",
}
OLD_GRID_METHOD = "trained"  # a grid link with styles= but no method= predates the choice
# query parameter -> Session State key
PARAMETERS = {"view": SECTION, "photo": PHOTO, "method": GRID_METHOD, "styles": STYLES,
              "art": ART, "painting": PAINTING, "size": SIZE, "strength": STRENGTH,
              "colours": COLOURS, "left": LEFT, "right": RIGHT, "classic": CLASSIC,
              "paintings": PAINTINGS, "sweep": SWEEP_METHOD, "sweep_art": SWEEP_PAINTING,
              "rows": ROWS, "cols": COLUMNS, "seed": SEED, "sweep_size": SWEEP_SIZE,
              "iterations": ITERATIONS}
SWEEP_ONLY = ("sweep", "sweep_art", "rows", "cols", "seed", "sweep_size", "iterations")
GRID_SETTINGS = ("size", "strength", "colours")  # the fast settings row (not in a sweep)
# parameters that belong to one view only
VIEW_ONLY = {"left": ("slider",), "right": ("slider",), "classic": ("versus", "evolution"),
             "paintings": ("evolution",), "styles": ("grid", "slider"),
             "painting": ("versus",), "method": ("grid",), "art": ("grid",),
             **{name: ("sweep",) for name in SWEEP_ONLY},
             **{name: ("grid", "versus", "slider", "evolution") for name in GRID_SETTINGS}}
MIN_SIZE, SIZE_STEP = 256, 8  # the size slider's bounds, as on the fast page
# A grid paints every cell at this size: print sizes (core.fast.apply.MAX_FAST_SIDE) belong
# to the fast page, one picture at a time.
MAX_SIZE = 2048
STRENGTH_STEP = 0.05
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class Choices:
    """What a link may name: the page's sections, example photo stems, fast style names,
    bundled painting stems."""

    sections: tuple[str, ...]
    photos: tuple[str, ...]
    styles: tuple[str, ...]
    paintings: tuple[str, ...] = ()


def parse(params: Mapping[str, str], choices: Choices) -> tuple[dict, list[str]]:
    """Widget values (by key) for the valid query values, and one note per ignored one.

    Unknown parameters are left alone (Streamlit and proxies add their own).
    """
    values: dict = {}
    problems: list[str] = []
    for name, raw in params.items():
        if name not in PARAMETERS:
            continue
        value, problem = _PARSERS[name](raw.strip(), choices)
        if problem:
            problems.append(f"{name}={raw!r}: {problem}")
        if value is not None:
            values[PARAMETERS[name]] = value
    return values, problems


def _choice(raw: str, options: tuple[str, ...], what: str) -> tuple[str | None, str | None]:
    if raw in options:
        return raw, None
    return None, f"no {what} of that name (known: {', '.join(options) or 'none'})"


def _names(raw: str, options: tuple[str, ...], what: str) -> tuple[list[str] | None, str | None]:
    names = list(dict.fromkeys(name.strip() for name in raw.split(",") if name.strip()))
    known = [name for name in names if name in options]
    unknown = [name for name in names if name not in options]
    problem = None
    if unknown:
        problem = f"no {what} named {', '.join(unknown)} (known: {', '.join(options) or 'none'})"
    # "styles=" chooses none on purpose; a list of only unknown names chooses nothing.
    return (known if known or not names else None), problem


def _styles(raw: str, choices: Choices) -> tuple[list[str] | None, str | None]:
    return _names(raw, choices.styles, "fast style")


def _axis(raw: str, _: Choices) -> tuple[str | None, str | None]:
    """Numbers, as the sweep's text box holds them, each in the link's own spelling (so
    that a link opens the very same cells); checked against the axis there."""
    parts = raw.replace(",", " ").split()
    try:
        values = [float(part) for part in parts]
    except ValueError:
        values = []
    if not 1 <= len(values) <= core_sweep.MAX_VALUES or not all(map(math.isfinite, values)):
        return None, f"give 1 to {core_sweep.MAX_VALUES} numbers, separated by commas"
    return ", ".join(parts), None


def _whole(raw: str, low: int, high: int, what: str) -> tuple[int | None, str | None]:
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        return None, f"{what} must be a whole number from {low} to {high}"
    return value, None


def _size(raw: str, _: Choices) -> tuple[int | None, str | None]:
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not MIN_SIZE <= size <= MAX_SIZE:
        return None, f"size must be a whole number from {MIN_SIZE} to {MAX_SIZE}"
    return MIN_SIZE + round((size - MIN_SIZE) / SIZE_STEP) * SIZE_STEP, None


def _strength(raw: str, _: Choices) -> tuple[float | None, str | None]:
    try:
        strength = float(raw)
    except ValueError:
        strength = math.nan
    if not 0 <= strength <= 1:  # NaN fails too
        return None, "strength must be a number from 0 to 1"
    return round(round(strength / STRENGTH_STEP) * STRENGTH_STEP, 2), None


def _colours(raw: str, _: Choices) -> tuple[bool | None, str | None]:
    if raw.lower() in _TRUE:
        return True, None
    if raw.lower() in _FALSE:
        return False, None
    return None, "colours must be 1 or 0"


def _picture(raw: str, _: Choices) -> tuple[str | None, str | None]:
    # Checked against what the slider can offer once the page has painted its pictures.
    return (raw, None) if raw and len(raw) <= 300 else (None, "not a picture of this page")


def _recipe(raw: str, _: Choices) -> tuple[str | None, str | None]:
    try:
        config = recipe.decode(raw)
    except ValueError as error:
        return None, str(error)
    return recipe.encode(config), None  # one spelling, so that it matches the shelf's runs


def _paintings(raw: str, choices: Choices) -> tuple[dict | None, str | None]:
    mix = {}
    for part in filter(None, raw.split(",")):
        stem, _, weight = part.partition(":")
        if stem not in choices.paintings:
            return None, f"no bundled painting named {stem}"
        try:
            mix[stem] = float(weight or 1)
        except ValueError:
            return None, f"the weight of {stem} must be a number"
        if not 0 <= mix[stem] <= 1:
            return None, f"the weight of {stem} must be from 0 to 1"
    return (mix or None), (None if mix else "no paintings named")


_PARSERS = {
    "view": lambda raw, choices: _choice(raw, choices.sections, "view"),
    "photo": lambda raw, choices: _choice(raw, choices.photos, "example photo"),
    "method": lambda raw, choices: _choice(raw, tuple(GRID_METHODS), "grid method"),
    "styles": _styles,
    "art": lambda raw, choices: _names(raw, choices.paintings, "bundled painting"),
    "sweep": lambda raw, choices: _choice(raw, core_sweep.METHODS, "sweep method"),
    "sweep_art": lambda raw, choices: _choice(raw, choices.paintings, "bundled painting"),
    "rows": _axis,
    "cols": _axis,
    "seed": lambda raw, choices: _whole(raw, 0, core_sweep.MAX_SEED, "seed"),
    "sweep_size": lambda raw, choices: _whole(raw, core_sweep.MIN_SIDE,
                                              core_sweep.MAX_CLASSIC_SIZE, "sweep_size"),
    "iterations": lambda raw, choices: _whole(raw, 1, core_sweep.MAX_SWEEP_ITERATIONS,
                                              "iterations"),
    "painting": lambda raw, choices: _choice(raw, choices.styles, "fast style"),
    "size": _size,
    "strength": _strength,
    "colours": _colours,
    "left": _picture,
    "right": _picture,
    "classic": _recipe,
    "paintings": _paintings,
}


def encode(state: Mapping, *, with_photo: bool = True,
           size_from_classic: bool = False) -> dict[str, str]:
    """The query parameters for the page's state: those of the view shown, the photo left
    out for an upload, the size left out when a classic picture shown sets it (classic
    against fast)."""
    view = state[SECTION]
    paintings = state.get(PAINTINGS) or {}
    method = state.get(GRID_METHOD)
    classic_sweep = state.get(SWEEP_METHOD) == core_sweep.CLASSIC
    query = {
        "view": view,
        "photo": state[PHOTO] if with_photo else None,
        "method": method,
        # the networks only where the grid shows them (a link without a method: before it)
        "styles": ",".join(state[STYLES]) if view != "grid" or method in (
            None, "trained") else None,
        "art": ",".join(state.get(ART) or ()) if method == "any" else None,
        "painting": state[PAINTING],
        "size": None if size_from_classic else str(int(state[SIZE])),
        "strength": f"{float(state[STRENGTH]):g}",
        "colours": "1" if state[COLOURS] else "0",
        "left": state.get(LEFT),
        "right": state.get(RIGHT),
        "classic": state.get(CLASSIC),
        "paintings": ",".join(f"{stem}:{weight:g}" for stem, weight in paintings.items()),
        "sweep": state.get(SWEEP_METHOD),
        "sweep_art": state.get(SWEEP_PAINTING),
        "rows": _compact(state.get(ROWS)),
        "cols": _compact(state.get(COLUMNS)),
        "seed": None if state.get(SEED) is None else str(int(state[SEED])),
        "sweep_size": str(int(state[SWEEP_SIZE])) if classic_sweep else None,
        "iterations": str(int(state[ITERATIONS])) if classic_sweep else None,
    }
    def belongs(name: str, value) -> bool:
        if view not in VIEW_ONLY.get(name, (view,)):
            return False
        if name == "styles" and value is not None:
            return True  # "styles=": none, on purpose
        return value not in (None, "")

    return {name: value for name, value in query.items() if belongs(name, value)}


def _compact(values: str | None) -> str | None:
    """'0.25, 0.5' -> '0.25,0.5': a sweep axis as a link writes it."""
    return None if values is None else ",".join(values.replace(",", " ").split())


def query_string(query: Mapping[str, str]) -> str:
    return urlencode(query, safe=",")


def defaults(choices: Choices) -> dict:
    """Widget values for a visit without a link: the fast page's settings where it has them,
    so that its cached results serve this page too."""
    state = st.session_state
    return {
        SECTION: choices.sections[0],
        PHOTO: choices.photos[0] if choices.photos else None,
        STYLES: list(choices.styles),
        PAINTING: (catalog.DEFAULT_STYLE if catalog.DEFAULT_STYLE in choices.styles
                   else choices.styles[0] if choices.styles else None),
        SIZE: state.get(fast_results.SIZE, FastConfig.size),
        STRENGTH: state.get(fast_results.STRENGTH, FastConfig.strength),
        COLOURS: state.get(fast_results.PRESERVE_COLORS, FastConfig.preserve_colors),
        GRID_METHOD: next(iter(GRID_METHODS)),
        ART: list(choices.paintings),
        **sweep_defaults(state.get(SWEEP_METHOD, core_sweep.FAST)),
        SWEEP_PAINTING: (catalog.DEFAULT_STYLE if catalog.DEFAULT_STYLE in choices.paintings
                         else choices.paintings[0] if choices.paintings else None),
        SEED: 0,
        SWEEP_SIZE: core_sweep.CLASSIC_SIZE,
        ITERATIONS: core_sweep.CLASSIC_ITERATIONS,
    }


def sweep_defaults(method: str) -> dict:
    """The sweep's method and its axes' default values (as the text boxes hold them)."""
    rows, columns = core_sweep.AXES[method]
    return {SWEEP_METHOD: method, ROWS: core_sweep.format_values(rows.default),
            COLUMNS: core_sweep.format_values(columns.default)}


def read(params: Mapping[str, str], choices: Choices) -> tuple[dict, list[str]]:
    """``parse``, and a styles grid's link from before the method choice (``styles=`` and
    no ``method=``) opens the networks it names: the grid's method is ``OLD_GRID_METHOD``."""
    values, problems = parse(params, choices)
    view = params.get("view", "").strip() or (choices.sections[:1] or ("grid",))[0]
    if "styles" in params and "method" not in params and view == "grid":
        values[GRID_METHOD] = OLD_GRID_METHOD
    return values, problems


def init_state(choices: Choices) -> None:
    """Read the link once per session (warning about what it ignores), then fill the rest."""
    state = st.session_state
    if not state.get(READ):
        state[READ] = True
        values, problems = read(st.query_params.to_dict(), choices)
        state.update(values)
        state[FROM_LINK] = set(values)
        if problems:
            st.warning("Some of this link's settings were ignored: " + "; ".join(problems),
                       icon=":material/link_off:")
    for key, value in defaults(choices).items():
        if key not in state or not _still_valid(key, state[key], choices):
            state[key] = value


def _still_valid(key: str, value, choices: Choices) -> bool:
    # Networks and photos can come and go between runs (a new network, another models folder).
    if key == STYLES:
        return all(name in choices.styles for name in value)
    if key == PAINTING:
        return value in choices.styles
    if key == ART:
        return all(name in choices.paintings for name in value)
    if key == SWEEP_PAINTING:
        return value in choices.paintings
    if key == PHOTO:  # an example, or one of this session's uploads
        return value in choices.photos or uploads.find(uploads.PHOTO, value) is not None
    return True


def write(*, with_photo: bool, size_from_classic: bool = False) -> dict[str, str]:
    """Put the page's state into the URL (only what changed); returns the query."""
    query = encode(st.session_state, with_photo=with_photo,
                   size_from_classic=size_from_classic)
    for name, value in query.items():
        if st.query_params.get(name) != value:
            st.query_params[name] = value
    for name in PARAMETERS:
        if name not in query and name in st.query_params:
            del st.query_params[name]
    return query


def share_hint(query: Mapping[str, str], *, uploaded: bool) -> None:
    st.caption("**Share this view:** copy this link (the address bar holds it too). It "
               "opens this same comparison: pictures do not travel in a link, so a new "
               "session paints the fast ones again and offers to run a classic one.")
    st.code(frame.page_address("compare", query), language=None, wrap_lines=True)
    if uploaded:
        st.info("Your photo is an upload, and uploads cannot travel in a link (they are never "
                "stored on the server): the link opens with an example photo. Download the "
                "sheet or the pictures to share this comparison.", icon=":material/upload:")
