"""Names a package exports but imports only on first use (PEP 562's module ``__getattr__``).

The networks' modules import TensorFlow and Keras, which takes seconds; a package that also
holds configs and presets (``core.classic``, ``core.fast.arbitrary``) exports those modules'
names through ``exports``, so that reading a config (the CLI's ``--help``, a page's widgets)
does not pay for TensorFlow.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


def exports(package: str, homes: dict[str, tuple[str, ...]]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: each name in ``homes[module]`` is imported
    from that module on first use, then kept as a plain attribute of the package."""
    home_of = {name: module for module, names in homes.items() for name in names}

    def __getattr__(name: str):
        if name not in home_of:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home_of[name]), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
