"""Classic style transfer by optimisation (Gatys, Ecker & Bethge, 2016).

* ``config``: ``ClassicConfig`` (every default), ``PRESETS`` (``report``: the course report's
  recipe exactly; ``recommended``: the best quality per second measured, BENCHMARKS.md) and
  their validation.
* ``optimisers``: Adam on raw pixels, resumable (``AdamState``, ``adam_steps``), and the
  box-bounded L-BFGS-B driver (``box_lbfgsb``).
* ``engine``: ``stylize``, the report's ``Objective`` (with regions: masked Grams), and the
  progress events; ``starts``: the starting pictures, the fast one included.

Everything a caller needs is importable from ``core.classic`` itself.
"""

from core import lazy
from core.classic.config import (
    INITS,
    MAX_ITERATIONS,
    MAX_SCALE_STEP,
    OPTIMIZERS,
    PRESETS,
    REPORT_STYLE_LAYERS,
    RETIRED_SETTINGS,
    ClassicConfig,
    preset,
)

# The engine and the optimisers import TensorFlow (seconds): they load on first use, so that
# reading a config or a preset (the CLI's --help, the settings widgets) stays instant.
__getattr__ = lazy.exports(__name__, {
    "core.classic.engine": ("Objective", "Progress", "Started", "StartImage", "StylizeResult",
                            "stylize"),
    "core.classic.starts": ("initial_image",),
    "core.classic.optimisers": ("LBFGS_HISTORY", "AdamState", "adam_steps", "adam_update",
                                "box_lbfgsb", "lbfgs_history"),
    "core.losses": ("Losses",),
})

__all__ = [
    "INITS", "LBFGS_HISTORY", "MAX_ITERATIONS", "MAX_SCALE_STEP", "OPTIMIZERS", "PRESETS",
    "REPORT_STYLE_LAYERS", "RETIRED_SETTINGS", "AdamState", "ClassicConfig", "Losses",
    "Objective", "Progress", "Started", "StartImage", "StylizeResult", "adam_steps",
    "adam_update", "box_lbfgsb", "initial_image", "lbfgs_history", "preset", "stylize",
]
