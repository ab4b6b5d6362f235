"""A classic run's settings in a few URL-safe characters, so that a link can name the run.

Only the settings that differ from the recommended preset travel (``size:320,iterations:20``;
"" is the preset itself), and only simple values: numbers, names, on/off. The loss network is
left out (each server picks its own), as are layer choices, which only a loaded settings
file can change: ``describe`` says so when a run had them. ``decode`` checks every value
(``ClassicConfig`` validates it) and ``encode(decode(text))`` is the one spelling of a
recipe, whatever order or redundant values a hand-written link uses.
"""

from __future__ import annotations

import dataclasses

from core.classic import PRESETS, ClassicConfig

BASE = PRESETS["recommended"]
_SIMPLE = (int, float, str, bool, type(None))
# The loss network (each server picks its own) and the layers (a settings file's business)
_LEFT_OUT = ("backbone", "content_layer")


def _travels(field: dataclasses.Field) -> bool:
    return field.name not in _LEFT_OUT and isinstance(getattr(BASE, field.name), _SIMPLE)


def _text(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "1" if value else "0"
    return f"{value:g}" if isinstance(value, float) else str(value)


def encode(config: ClassicConfig) -> str:
    """'size:320,iterations:20': the simple settings that differ from the recommended preset."""
    return ",".join(f"{field.name}:{_text(getattr(config, field.name))}"
                    for field in dataclasses.fields(config)
                    if _travels(field) and getattr(config, field.name) != getattr(BASE, field.name))


def decode(text: str) -> ClassicConfig:
    """The config a recipe names; ValueError (one line) for anything unknown or out of range."""
    fields = {field.name: field for field in dataclasses.fields(ClassicConfig) if _travels(field)}
    values = {}
    for part in filter(None, text.split(",")):
        name, _, raw = part.partition(":")
        if name not in fields:
            raise ValueError(f"no classic setting called {name!r}")
        values[name] = _value(name, raw, getattr(BASE, name))
    if values.get("init") == "image":
        raise ValueError("init 'image' needs a picture, which a link cannot carry")
    return dataclasses.replace(BASE, **values)


def _value(name: str, raw: str, like):
    if raw == "none":
        return None
    try:
        if isinstance(like, bool):
            return {"1": True, "0": False}[raw]
        if name in ("iterations", "size", "base_size", "seed", "snapshot_every",
                    "refine_iterations") or isinstance(like, int):
            return int(raw)
        if isinstance(like, float) or name == "max_seconds":
            return float(raw)
    except (KeyError, ValueError):
        raise ValueError(f"{name} cannot be {raw!r}") from None
    return raw


def describe(config: ClassicConfig) -> str:
    """'recommended preset, 512 px, 60 iterations (L-BFGS-B)', 'custom settings, 320 px, 20
    iterations (L-BFGS-B)' for a page."""
    changed = encode(config)
    stop = (f"{config.iterations} iterations" if config.iterations is not None
            else f"{config.max_seconds:g} s")
    optimiser = {"lbfgs": "L-BFGS-B", "adam": "Adam"}[config.optimizer]
    same = dataclasses.replace(config, backbone=BASE.backbone)
    base = next((f"{name} preset" for name, preset in PRESETS.items() if same == preset),
                "custom settings" if changed else "recommended preset")
    layers = ("" if (config.style_layers, config.content_layer) ==
              (BASE.style_layers, BASE.content_layer) else ", its own layer choice")
    return f"{base}, {config.size} px, {stop} ({optimiser}){layers}"
