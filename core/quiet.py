"""TensorFlow's start-up lines kept out of a person's terminal and the server's log.

Importing TensorFlow prints to the process's stderr from C++, before its logging settings
apply: "oneDNN custom operations are on", "Could not find cuda drivers", the CPU-feature
note, and on a machine with CUDA libraries but no GPU an error line, "failed call to
cuInit". None of it is actionable for a person painting a photo. ``import_tensorflow``
imports it (and lets it look for GPUs, where cuInit runs) with file descriptor 2 pointed at
a temporary file, then writes back everything else that arrived meanwhile (another thread's
log line, a warning): only the known start-up lines are dropped, and on a failed import
nothing is. ``STYLE_STUDIO_VERBOSE=1`` leaves stderr and TensorFlow's log level alone.

``install`` (called by ``core/__init__``) makes that happen on the first import of
TensorFlow or Keras from anywhere, and not before: importing ``core`` stays cheap, so a page
that only reads the paintings' record does not wait seconds for TensorFlow.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading

VERBOSE_ENV = "STYLE_STUDIO_VERBOSE"
# Pieces of the lines TensorFlow 2.21 prints while it starts on a CPU-only machine.
START_UP_LINES = ("All log messages before absl::InitializeLog()", "oneDNN custom operations",
                  "Could not find cuda drivers", "failed call to cuInit",
                  "cpu_feature_guard", "To enable the following instructions",
                  "rebuild TensorFlow with the appropriate compiler flags")
_lock = threading.Lock()


def import_tensorflow() -> None:
    """Import TensorFlow once, quietly (idempotent, thread-safe)."""
    if os.environ.get(VERBOSE_ENV):
        return
    # Its C++ info and warning lines after start-up too; errors still print.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _lock:
        if "tensorflow" in sys.modules:
            return
        with tempfile.TemporaryFile() as captured:
            sys.stderr.flush()
            saved = os.dup(2)
            os.dup2(captured.fileno(), 2)
            failed = True
            try:
                import tensorflow as tf

                tf.config.list_physical_devices("GPU")  # cuInit runs (and complains) here
                failed = False
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                captured.seek(0)
                _replay(captured.read().decode(errors="replace"), keep_all=failed)


class _QuietFirstImport:
    """A meta-path finder that, asked for TensorFlow or Keras the first time, imports
    TensorFlow quietly and steps aside; the import then goes on as usual."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("tensorflow", "keras"):
            sys.meta_path[:] = [finder for finder in sys.meta_path if finder is not self]
            import_tensorflow()
        return None


def install() -> None:
    """Quiet TensorFlow's start-up whenever something first imports it (idempotent)."""
    if "tensorflow" in sys.modules or any(isinstance(finder, _QuietFirstImport)
                                          for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, _QuietFirstImport())


def _replay(text: str, keep_all: bool) -> None:
    lines = text.splitlines(keepends=True)
    kept = lines if keep_all else [line for line in lines
                                   if not any(piece in line for piece in START_UP_LINES)]
    if kept:
        sys.stderr.write("".join(kept))
        sys.stderr.flush()
