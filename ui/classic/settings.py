"""Classic settings widgets, built from ``ClassicConfig`` and its presets.

The preset (or a loaded settings file) is the *base* config; the widgets hold the values a
person may change, and ``current_config`` lays them over the base. Fields without a widget
(layers, precision, style scale) therefore always come from the base, so a preset or a
loaded run is reproduced exactly. Switching preset rewrites every widget to its values.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import streamlit as st

from core.backbone import BACKBONES, POOLINGS
from core.classic import INITS, MAX_ITERATIONS, OPTIMIZERS, PRESETS, ClassicConfig
from core.validate import MAX_OUTPUT_SIDE, env_count

MAX_SIZE_ENV = "STYLE_STUDIO_MAX_CLASSIC_SIZE"
MAX_ITERATIONS_ENV = "STYLE_STUDIO_MAX_CLASSIC_ITERATIONS"
DEFAULT_PRESET = "recommended"

PRESET = "classic.preset"
BASE = "classic.base_config"  # not a widget: the ClassicConfig the widgets are laid over
LOADED = "classic.settings_loaded"  # not a widget: message about a loaded settings file
SIZE = "classic.size"
STOP_BY = "classic.stop_by"
ITERATIONS = "classic.iterations"
MAX_SECONDS = "classic.max_seconds"
PRESERVE_COLORS = "classic.preserve_colors"
CONTENT_WEIGHT = "classic.content_weight"
STYLE_WEIGHT = "classic.style_weight"
TV_WEIGHT = "classic.tv_weight"
OPTIMIZER = "classic.optimizer"
LEARNING_RATE = "classic.learning_rate"
INIT = "classic.init"
POOLING = "classic.pooling"
SNAPSHOT_EVERY = "classic.snapshot_every"
SEED = "classic.seed"
BACKBONE = "classic.backbone"
SETTINGS_UPLOAD = "classic.settings_upload"

PRESET_LABELS = {"recommended": "Recommended", "report": "Report"}
PRESET_CAPTIONS = {
    "recommended": "Best quality per second on a CPU",
    "report": "The course report's recipe: Adam, 1000 iterations, 1080 px",
}
OPTIMIZER_LABELS = {"lbfgs": "L-BFGS-B (pixels kept in 0..255)", "adam": "Adam (as the report)"}
INIT_LABELS = {
    "fast": "the fast picture (any-painting network)",
    "content": "the photo",
    "noise": "noise",
    "report-noise": "70% noise + 30% photo (report)",
    "style": "the painting",
}
BACKBONE_LABELS = {
    "auto": "automatic (see sidebar)",
    "vgg19": "VGG19 (ImageNet)",
    "vgg16-hed": "VGG16-HED (offline)",
}
MIN_SIZE = 64
SIZE_STEP = 8
DEFAULT_SECONDS = 60.0
MAX_SECONDS_LIMIT = 3600.0
_PERSIST = {"persist_state": "session"}  # keep values across page switches


@dataclass(frozen=True)
class Limits:
    """What the page lets a person ask for; hosted demos lower them by environment."""

    # Print size (issue 22): the page refuses, with the reason, a run whose peak memory this
    # server cannot hold (core.memory); a hosted demo lowers this by environment.
    max_size: int = 6000
    max_iterations: int = 3000
    min_size: int = MIN_SIZE
    max_seconds: float = MAX_SECONDS_LIMIT


def limits() -> Limits:
    """Limits from ``$STYLE_STUDIO_MAX_CLASSIC_SIZE`` / ``..._ITERATIONS``, or the defaults."""
    default = Limits()
    return Limits(
        max_size=env_count(MAX_SIZE_ENV, default.max_size, MIN_SIZE, MAX_OUTPUT_SIDE),
        max_iterations=env_count(MAX_ITERATIONS_ENV, default.max_iterations, 1, MAX_ITERATIONS),
    )


def _clamp(value, low, high):
    return max(low, min(high, value))


def widget_values(config: ClassicConfig, lim: Limits) -> dict:
    """The value of every settings widget for ``config``, clamped to the page's limits."""
    size = _clamp(config.size, lim.min_size, lim.max_size)
    size -= (size - lim.min_size) % SIZE_STEP
    iterations = config.iterations or PRESETS[DEFAULT_PRESET].iterations
    return {
        SIZE: size,
        STOP_BY: "time" if config.iterations is None else "iterations",
        ITERATIONS: _clamp(iterations, 1, lim.max_iterations),
        MAX_SECONDS: float(_clamp(config.max_seconds or DEFAULT_SECONDS, 1.0, lim.max_seconds)),
        PRESERVE_COLORS: config.preserve_colors,
        CONTENT_WEIGHT: float(config.content_weight),
        STYLE_WEIGHT: float(config.style_weight),
        TV_WEIGHT: float(config.tv_weight),
        OPTIMIZER: config.optimizer,
        LEARNING_RATE: float(config.learning_rate),
        INIT: config.init if config.init in INIT_LABELS else "fast",
        POOLING: config.pooling,
        SNAPSHOT_EVERY: config.snapshot_every,
        SEED: config.seed,
        BACKBONE: config.backbone,
    }


def current_config(state, resolved_backbone: str) -> ClassicConfig:
    """The widgets' values over the base config; raises ValueError for a bad combination."""
    by_time = state[STOP_BY] == "time"
    backbone = state[BACKBONE]
    return dataclasses.replace(
        state[BASE],
        size=int(state[SIZE]),
        iterations=None if by_time else int(state[ITERATIONS]),
        max_seconds=float(state[MAX_SECONDS]) if by_time else None,
        preserve_colors=bool(state[PRESERVE_COLORS]),
        content_weight=float(state[CONTENT_WEIGHT]),
        style_weight=float(state[STYLE_WEIGHT]),
        tv_weight=float(state[TV_WEIGHT]),
        optimizer=state[OPTIMIZER],
        learning_rate=float(state[LEARNING_RATE]),
        init=state[INIT],
        pooling=state[POOLING],
        snapshot_every=int(state[SNAPSHOT_EVERY]),
        seed=int(state[SEED]),
        # "auto" is decided once per process (sidebar); the job then skips the network probe.
        backbone=resolved_backbone if backbone == "auto" else backbone,
    )


def _use(config: ClassicConfig, lim: Limits) -> None:
    st.session_state[BASE] = config
    st.session_state.update(widget_values(config, lim))


def _apply_preset(lim: Limits) -> None:
    st.session_state[LOADED] = None
    _use(PRESETS[st.session_state[PRESET]], lim)


def _load_settings_file(lim: Limits) -> None:
    upload = st.session_state.get(SETTINGS_UPLOAD)
    if upload is None:
        return
    try:
        record = json.loads(upload.getvalue())
        values = record.get("config", record) if isinstance(record, dict) else None
        if not isinstance(values, dict):
            raise ValueError("it holds no classic settings")
        notes: list[str] = []
        config = ClassicConfig.from_dict(values, notes)
    except (ValueError, TypeError) as error:  # JSONDecodeError is a ValueError
        st.session_state[LOADED] = ("error", f"settings file {upload.name}: {error}")
        return
    _use(config, lim)
    st.session_state[LOADED] = ("info", " ".join([f"Settings loaded from {upload.name}.",
                                                  *(f"{note}." for note in notes)]))


def apply_recipe(recipe, notes: list[str], lim: Limits) -> str:
    """Set every widget and the paintings from a picture's recipe (``ui.recipe_drop``)."""
    from ui import recipe_drop
    from ui import regions as regions_ui

    config = recipe.config(notes)
    st.session_state[LOADED] = None
    _use(config, lim)
    if st.session_state[SIZE] != config.size:
        notes.append(f"its size, {config.size} px, is beyond this server's "
                     f"{lim.min_size}-{lim.max_size} px: {st.session_state[SIZE]} px instead")
    found, missing = recipe_drop.painted_by(recipe)
    if found:
        recipe_drop.set_paintings("classic", found)
    if missing:
        notes.append(recipe_drop.missing_note(missing))
    regions = regions_ui.from_recipe("classic", recipe)
    return f"every setting and {len(found)} of {len(recipe.paintings)} paintings{regions}"


def init_state(lim: Limits) -> None:
    """Give every settings widget its preset value, once per session."""
    state = st.session_state
    if PRESET not in state:
        state[PRESET] = DEFAULT_PRESET
    if BASE not in state:
        state[BASE] = PRESETS[state[PRESET]]
    for key, value in widget_values(state[BASE], lim).items():
        if key not in state:
            state[key] = value


def settings_panel(lim: Limits, resolved_backbone: str) -> ClassicConfig | None:
    """Draw the settings; return the config they describe, or None after showing why not."""
    init_state(lim)
    state = st.session_state
    preset_col, size_col, stop_col, colour_col = st.columns([1.2, 1.2, 1.2, 1], gap="medium")
    preset_col.radio(
        "Preset", list(PRESETS), format_func=PRESET_LABELS.get, key=PRESET,
        captions=[PRESET_CAPTIONS[name] for name in PRESETS],
        on_change=_apply_preset, args=(lim,), **_PERSIST,
        help="Choosing a preset resets every setting to its values.",
    )
    size_col.slider(
        "Size (longest side, px)", lim.min_size, lim.max_size, step=SIZE_STEP, key=SIZE,
        help="The output's longest side; time grows with the number of pixels.", **_PERSIST,
    )
    stop_col.radio(
        "Stop after", ["iterations", "time"], key=STOP_BY, horizontal=True, **_PERSIST,
        format_func={"iterations": "Iterations", "time": "Time budget"}.get,
    )
    if state[STOP_BY] == "iterations":
        stop_col.number_input("Iterations", 1, lim.max_iterations, step=10, key=ITERATIONS,
                              **_PERSIST)
    else:
        stop_col.number_input("Seconds of optimisation", 1.0, lim.max_seconds, step=10.0,
                              key=MAX_SECONDS, format="%g", **_PERSIST)
    base = state[BASE]
    if base.base_size is not None and state[STOP_BY] == "iterations" and (
            state[SIZE] > base.base_size):
        sizes = dataclasses.replace(base, size=state[SIZE], iterations=1).stage_sizes
        larger = " and ".join(f"{size} px" for size in sizes[1:])
        stop_col.caption(f"These run at {base.base_size} px, where they are cheap; then "
                         f"{base.refine_iterations} more at {larger} add the detail.")
    colour_col.toggle("Keep photo colours", key=PRESERVE_COLORS, width="stretch",
                      **_PERSIST)
    colour_col.caption("Takes only light and texture from the painting.")
    with st.expander("Advanced settings"):
        _advanced(lim)
    try:
        return current_config(state, resolved_backbone)
    except ValueError as error:
        st.error(f"Settings: {error}")
        return None


def _advanced(lim: Limits) -> None:
    weights, optimiser, network = st.columns(3, gap="medium")
    weights.number_input("Content weight", min_value=0.0, step=1.0, format="%g",
                         key=CONTENT_WEIGHT, help="How much the photo's layout counts.",
                         **_PERSIST)
    weights.number_input("Style weight", min_value=0.0, step=10.0, format="%g",
                         key=STYLE_WEIGHT, help="How much the painting's textures count.",
                         **_PERSIST)
    weights.number_input("Total-variation weight", min_value=0.0, step=1e-4, format="%g",
                         key=TV_WEIGHT, help="Smooths away high-frequency noise.", **_PERSIST)
    optimiser.selectbox("Optimiser", OPTIMIZERS, format_func=OPTIMIZER_LABELS.get,
                        key=OPTIMIZER, **_PERSIST)
    optimiser.number_input("Learning rate (Adam)", min_value=0.01, step=0.5, format="%g",
                           key=LEARNING_RATE, disabled=st.session_state[OPTIMIZER] != "adam",
                           **_PERSIST)
    optimiser.selectbox("Start from", [i for i in INITS if i != "image"],
                        format_func=lambda init: INIT_LABELS.get(init, init),
                        key=INIT, **_PERSIST)
    optimiser.number_input("Seed (noise start)", 0, 2**32 - 1, step=1, key=SEED, **_PERSIST)
    network.selectbox("Loss network", BACKBONES, format_func=BACKBONE_LABELS.get,
                      key=BACKBONE, **_PERSIST)
    network.selectbox("Pooling", POOLINGS, key=POOLING, **_PERSIST,
                      format_func={"avg": "average (report)", "max": "max (VGG's own)"}.get)
    network.number_input("Snapshot every (iterations; 0: none)", 0, lim.max_iterations,
                         step=5, key=SNAPSHOT_EVERY, **_PERSIST)
    st.file_uploader(
        "Repeat a run: load its settings.json", type=["json"], key=SETTINGS_UPLOAD,
        on_change=_load_settings_file, args=(lim,),
        help="The settings file that a finished run offers for download.",
    )
    message = st.session_state.get(LOADED)
    if message:
        kind, text = message
        (st.error if kind == "error" else st.info)(text)
