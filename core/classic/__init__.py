"""Classic style transfer by optimisation (Gatys, Ecker & Bethge, 2016).

* ``config``: ``ClassicConfig`` (every default), ``PRESETS`` (``report``: the course report's
  recipe exactly; ``recommended``: the best quality per second measured, BENCHMARKS.md) and
  their validation.
* ``optimisers``: Adam on raw pixels, resumable (``AdamState``, ``adam_steps``), and the
  box-bounded L-BFGS-B driver (``box_lbfgsb``).
* ``engine``: ``stylize``, the report's ``Objective``, and the progress events.

Everything a caller needs is importable from ``core.classic`` itself.
"""

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
from core.classic.engine import (
    Objective,
    Progress,
    Started,
    StartImage,
    StylizeResult,
    initial_image,
    stylize,
)
from core.classic.optimisers import (
    LBFGS_HISTORY,
    AdamState,
    adam_steps,
    adam_update,
    box_lbfgsb,
    lbfgs_history,
)
from core.losses import Losses

__all__ = [
    "INITS", "LBFGS_HISTORY", "MAX_ITERATIONS", "MAX_SCALE_STEP", "OPTIMIZERS", "PRESETS",
    "REPORT_STYLE_LAYERS", "RETIRED_SETTINGS", "AdamState", "ClassicConfig", "Losses",
    "Objective", "Progress", "Started", "StartImage", "StylizeResult", "adam_steps",
    "adam_update", "box_lbfgsb", "initial_image", "lbfgs_history", "preset", "stylize",
]
