"""Temporary folders for a clip: ``core.video`` reads and writes paths, not bytes.

The one place the app's pages have files written (``tests/test_security.py`` keeps ui/ from it): an
uploaded clip is written into a fresh private folder only for as long as a probe, a preview
or a run needs it, under a name made safe from the upload's (``core.video``'s one-line
errors name the file, so a person sees their own file's name), and the folder is removed,
with whatever the run wrote into it, when the block ends: normally, on an error or a cancel.
No Streamlit here.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath

PREFIX = "style-studio-video-"
UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
LONGEST_NAME = 80


def safe_name(upload_name: str, default_suffix: str = ".mp4") -> str:
    """'holiday clip.mov' stays; '../x/ev!l.mp4' -> 'ev_l.mp4'; '' -> 'clip.mp4'."""
    name = PureWindowsPath(PurePosixPath(upload_name).name).name  # no folder of either kind
    name = UNSAFE.sub("_", name).strip(" .")
    stem, suffix = (name.rsplit(".", 1) + [""])[:2] if "." in name else (name, "")
    suffix = f".{suffix}" if suffix else default_suffix
    return (stem or "clip")[: LONGEST_NAME - len(suffix)] + suffix.lower()


@contextlib.contextmanager
def folder() -> Iterator[Path]:
    """A new private folder (mode 700), removed with its contents when the block ends."""
    path = Path(tempfile.mkdtemp(prefix=PREFIX))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def staged(data: bytes, upload_name: str) -> Iterator[Path]:
    """``data`` written as a file named after the upload, in its own folder, for the block."""
    with folder() as where:
        path = where / safe_name(upload_name)
        path.write_bytes(data)
        yield path
