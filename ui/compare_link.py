"""The compare page's state in its URL, so that a copied link opens the same view.

On the first run of the page in a session the query string is read into the widgets'
Session State (every value checked; a bad one is ignored and named in a warning); after
that the widgets lead and each run writes their values back to ``st.query_params``.

A link such as ``compare?view=grid&photo=lemurs&styles=starry_night,wave&size=512``
names an example photo by its file stem and fast styles by their network names. An
uploaded photo cannot travel in a link; the page says so and offers downloads instead.

(Streamlit's own ``bind="query-params"`` drops bad values silently and uses one parameter
per selected option; this module keeps the short links and tells people what it ignored.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import streamlit as st

from core.fast.apply import MAX_FAST_SIDE, FastConfig
from ui import catalog, fast_results

READ = "compare.link_read"  # not a widget: the URL was read into the widgets this session
SECTION = "compare.section"
PHOTO = "compare.example"  # the key ui.pickers.content_picker("compare") gives its selectbox
STYLES = "compare.styles"
PAINTING = "compare.painting"
SIZE = "compare.size"
STRENGTH = "compare.strength"
COLOURS = "compare.preserve_colors"
# query parameter -> widget key
PARAMETERS = {"view": SECTION, "photo": PHOTO, "styles": STYLES, "painting": PAINTING,
              "size": SIZE, "strength": STRENGTH, "colours": COLOURS}
MIN_SIZE, SIZE_STEP = 256, 8  # the size slider's bounds, as on the fast page
STRENGTH_STEP = 0.05
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class Choices:
    """What a link may name: the page's sections, example photo stems, fast style names."""

    sections: tuple[str, ...]
    photos: tuple[str, ...]
    styles: tuple[str, ...]


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


def _styles(raw: str, choices: Choices) -> tuple[list[str] | None, str | None]:
    names = list(dict.fromkeys(name.strip() for name in raw.split(",") if name.strip()))
    known = [name for name in names if name in choices.styles]
    unknown = [name for name in names if name not in choices.styles]
    problem = None
    if unknown:
        problem = (f"no fast style named {', '.join(unknown)} "
                   f"(known: {', '.join(choices.styles) or 'none'})")
    # "styles=" chooses none on purpose; a list of only unknown names chooses nothing.
    return (known if known or not names else None), problem


def _size(raw: str, _: Choices) -> tuple[int | None, str | None]:
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not MIN_SIZE <= size <= MAX_FAST_SIDE:
        return None, f"size must be a whole number from {MIN_SIZE} to {MAX_FAST_SIDE}"
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


_PARSERS = {
    "view": lambda raw, choices: _choice(raw, choices.sections, "view"),
    "photo": lambda raw, choices: _choice(raw, choices.photos, "example photo"),
    "styles": _styles,
    "painting": lambda raw, choices: _choice(raw, choices.styles, "fast style"),
    "size": _size,
    "strength": _strength,
    "colours": _colours,
}


def encode(state: Mapping, *, with_photo: bool = True) -> dict[str, str]:
    """The query parameters for the widgets' values (the photo left out for an upload)."""
    query = {
        "view": state[SECTION],
        "photo": state[PHOTO],
        "styles": ",".join(state[STYLES]),
        "painting": state[PAINTING],
        "size": str(int(state[SIZE])),
        "strength": f"{float(state[STRENGTH]):g}",
        "colours": "1" if state[COLOURS] else "0",
    }
    if not with_photo:
        del query["photo"]
    return {name: value for name, value in query.items() if value is not None}


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
    }


def init_state(choices: Choices) -> None:
    """Read the link once per session (warning about what it ignores), then fill the rest."""
    state = st.session_state
    if not state.get(READ):
        state[READ] = True
        values, problems = parse(st.query_params.to_dict(), choices)
        state.update(values)
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
    if key == PHOTO:
        return value in choices.photos
    return True


def write(*, with_photo: bool) -> dict[str, str]:
    """Put the widgets' values into the URL (only what changed); returns the query."""
    query = encode(st.session_state, with_photo=with_photo)
    for name, value in query.items():
        if st.query_params.get(name) != value:
            st.query_params[name] = value
    if not with_photo and "photo" in st.query_params:
        del st.query_params["photo"]
    return query


def share_hint(query: Mapping[str, str], *, uploaded: bool) -> None:
    st.caption("**Share this view:** the address bar holds it (view, photo, paintings and "
               "settings); copy it, and the link opens this same comparison.")
    st.code(f"compare?{query_string(query)}", language=None)
    if uploaded:
        st.info("Your photo is an upload, and uploads cannot travel in a link (they are never "
                "stored on the server): the link opens with an example photo. Download the "
                "sheet or the pictures to share this comparison.", icon=":material/upload:")
