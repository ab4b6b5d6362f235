"""TensorFlow's start-up lines stay out of the CLI's output and the server's log."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHATTER = ("oneDNN custom operations", "Could not find cuda drivers", "cuInit")


def stderr_of_importing_core(**env: str) -> str:
    environment = {**os.environ, **env}
    environment.pop("TF_CPP_MIN_LOG_LEVEL", None)
    code = "import core; import tensorflow as tf; tf.config.list_physical_devices('GPU')"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                          capture_output=True, text=True, env=environment, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_importing_core_prints_nothing_of_tensorflow():
    stderr = stderr_of_importing_core(STYLE_STUDIO_VERBOSE="")
    assert not [line for line in stderr.splitlines() if any(c in line for c in CHATTER)], stderr


def test_verbose_shows_what_is_kept_quiet():  # the test above can fail: the lines exist
    stderr = stderr_of_importing_core(STYLE_STUDIO_VERBOSE="1")
    # Which lines TensorFlow writes depends on the CPU (oneDNN's only with AVX-512).
    assert any(chatter in stderr for chatter in CHATTER), stderr


def test_other_lines_written_during_the_import_are_kept(capsys):
    from core import quiet

    text = ("I0000 port.cc:153] oneDNN custom operations are on.\n"
            "WARNING streamlit: a session's own line\n"
            "E0000 cuda_platform.cc:52] failed call to cuInit: UNKNOWN ERROR (303)\n")
    quiet._replay(text, keep_all=False)
    assert capsys.readouterr().err == "WARNING streamlit: a session's own line\n"
    quiet._replay(text, keep_all=True)  # a failed import: everything, to explain it
    assert capsys.readouterr().err == text


def test_importing_core_alone_does_not_wait_for_tensorflow():
    """The home page reads the paintings' record through core: that must not import
    TensorFlow (seconds on a first visit); the first real use of Keras does, quietly."""
    code = ("import sys, core.paintings; assert 'tensorflow' not in sys.modules; "
            "import core.losses; assert 'tensorflow' in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "STYLE_STUDIO_VERBOSE": ""})
    assert done.returncode == 0, done.stderr
    assert not [line for line in done.stderr.splitlines() if any(c in line for c in CHATTER)]


def test_the_cli_prints_only_its_own_lines_unless_asked_to_be_verbose():
    def run(*flags):
        done = subprocess.run([sys.executable, "-m", "core", "styles", *flags], cwd=ROOT,
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "STYLE_STUDIO_VERBOSE": ""})
        assert done.returncode == 0, done.stderr
        return done.stderr

    assert run() == ""
    verbose = run("--verbose")
    assert any(chatter in verbose for chatter in CHATTER), verbose
