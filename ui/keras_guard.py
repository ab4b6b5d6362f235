"""Keep Streamlit from resetting Keras under a running job.

After every script run (and every fragment rerun, so twice a second while a page polls a
job) Streamlit 1.67 calls ``keras.backend.clear_session()`` in
``streamlit.runtime.scriptrunner.script_runner._clean_problem_modules``, a convenience for
apps that build models in the script itself. Here networks live for minutes in worker
threads, and the reset breaks them: it swaps out Keras' global state while a worker builds
its VGG (``The name "average_pooling2d" is used 4 times in the model``), and clearing the
kernel cache and collecting garbage on every poll slows each iteration by about a quarter.

``install()`` replaces that hook with one that does everything else it did (closing
matplotlib figures) but leaves Keras alone. It uses a private Streamlit name, so a test
checks that the hook is still where we expect it (streamlit is pinned in requirements.txt).
"""

from __future__ import annotations

import sys

from streamlit.runtime.scriptrunner import script_runner

HOOK = "_clean_problem_modules"


def _close_matplotlib_figures() -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        try:
            pyplot.close("all")
        except Exception:  # noqa: S110 - like Streamlit's hook: never break a script run
            pass


_close_matplotlib_figures.keeps_keras = True


def install() -> None:
    """Idempotent; call it before the first script run ends (app.py does)."""
    if not hasattr(script_runner, HOOK):
        raise RuntimeError(f"streamlit changed: script_runner.{HOOK} is gone; "
                           "re-check ui/keras_guard.py")
    setattr(script_runner, HOOK, _close_matplotlib_figures)


def installed() -> bool:
    return getattr(getattr(script_runner, HOOK, None), "keeps_keras", False)
