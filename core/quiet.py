"""TensorFlow's start-up lines kept out of a person's terminal and the server's log.

Importing TensorFlow prints to the process's stderr from C++, before its logging settings
apply: "oneDNN custom operations are on", "Could not find cuda drivers", and on a machine
with CUDA libraries but no GPU an error line, "failed call to cuInit". None of it is
actionable for a person painting a photo. ``import_tensorflow`` imports it (and lets it look
for GPUs, where cuInit runs) with file descriptor 2 pointed at a temporary file, and replays
that file only if the import fails. ``STYLE_STUDIO_VERBOSE=1`` leaves stderr alone.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading

VERBOSE_ENV = "STYLE_STUDIO_VERBOSE"
_lock = threading.Lock()


def import_tensorflow() -> None:
    """Import TensorFlow once, quietly (idempotent, thread-safe)."""
    # Its C++ info and warning lines after start-up too; errors still print.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _lock:
        if "tensorflow" in sys.modules or os.environ.get(VERBOSE_ENV):
            return
        with tempfile.TemporaryFile() as captured:
            sys.stderr.flush()
            saved = os.dup(2)
            os.dup2(captured.fileno(), 2)
            try:
                import tensorflow as tf

                tf.config.list_physical_devices("GPU")  # cuInit runs (and complains) here
            except BaseException:
                os.dup2(saved, 2)
                captured.seek(0)
                sys.stderr.write(captured.read().decode(errors="replace"))
                raise
            finally:
                os.dup2(saved, 2)
                os.close(saved)
