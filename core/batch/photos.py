"""A batch's photos on disk, and the one rule that names every batch output.

``collect_photos`` finds the photos under the files and folders a person named (the
command line); ``output_names`` gives each photo of a batch, wherever it came from (a folder
on disk, or the Batch page's uploads and ZIPs, ``core.batch.uploads``), the name its picture
takes, no two the same.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from core import images
from core.errors import UserError

# The formats core.images reads (a GIF: its first frame), as every uploader of the app takes.
PHOTO_SUFFIXES = images.UPLOAD_SUFFIXES


@dataclass(frozen=True)
class Photo:
    """One input file, its name relative to what was named (``holiday/beach.jpg``, POSIX
    separators) and its output's (``output_names``: ``holiday/beach.png``)."""

    path: Path
    relative: str
    output: str = ""


def collect_photos(paths, skip: str | os.PathLike | None = None) -> list[Photo]:
    """The photos under ``paths``, in the order given, each folder's sorted.

    A file named directly is taken whatever its suffix, under its own name; a folder is
    walked (hidden files and folders left out) for files ending in ``PHOTO_SUFFIXES``, each
    named by its path under the folder. A file reached twice counts once; files under
    ``skip`` (the output folder) are left out. Outputs are named by ``output_names``, with
    the input's folder name as the prefix that tells clashing outputs apart.
    """
    skip_dir = Path(skip).resolve() if skip is not None else None
    photos, prefixes, seen = [], [], set()
    for given in map(Path, paths):
        if not given.exists():
            raise UserError(f"no such file or folder: {given}")
        if given.is_dir():
            found = [Photo(path, path.relative_to(given).as_posix()) for path in _walk(given)]
            prefix = given.resolve().name
        else:
            found, prefix = [Photo(given, given.name)], given.resolve().parent.name
        for photo in found:
            where = photo.path.resolve()
            if where in seen or (skip_dir is not None and where.is_relative_to(skip_dir)):
                continue
            seen.add(where)
            photos.append(photo)
            prefixes.append(prefix)
    outputs = output_names([photo.relative for photo in photos], prefixes)
    return [Photo(photo.path, photo.relative, output)
            for photo, output in zip(photos, outputs, strict=True)]


def _walk(folder: Path) -> list[Path]:
    found = []
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if not is_hidden(name))
        found += [Path(root) / name for name in sorted(files)
                  if not is_hidden(name) and name.lower().endswith(PHOTO_SUFFIXES)]
    return found


def is_hidden(path: str) -> bool:
    """Dot files and folders, and macOS's resource forks (``__MACOSX/``): never photos."""
    return any(part == "__MACOSX" or part.startswith(".") for part in PurePosixPath(path).parts)


def output_names(names: Sequence[str], prefixes: Sequence[str] | None = None) -> list[str]:
    """Each photo's picture, relative to the output folder (or the page's ZIP): its name,
    folders kept, made safe (no ``..``, no leading ``/``), with ``.png``.

    Outputs are compared case-insensitively (``A.png`` and ``a.png`` are one file on macOS
    and Windows). Where several would be the same, each takes its prefix in front (the
    folder or ZIP it came from; ``""``: none); any clash left, a number after the name
    (``-2``, ``-3``; the first keeps its name).
    """
    prefixes = list(prefixes) if prefixes is not None else [""] * len(names)
    paths = [_safe(name) for name in names]
    counts = Counter(_png(path).casefold() for path in paths)
    paths = [_safe(f"{prefix}/{path}") if prefix and counts[_png(path).casefold()] > 1
             else path for path, prefix in zip(paths, prefixes, strict=True)]
    taken: set[str] = set()
    outputs = []
    for path in paths:
        output, number = _png(path), 1
        while output.casefold() in taken:
            number += 1
            output = _png(path, f"-{number}")
        taken.add(output.casefold())
        outputs.append(output)
    return outputs


def _safe(name: str) -> PurePosixPath:
    """``name`` as a relative path that stays inside the folder it is written to."""
    parts = [part for part in PurePosixPath(name.replace("\\", "/")).parts
             if part not in ("/", ".", "..")]
    return PurePosixPath(*parts) if parts else PurePosixPath("photo")


def _png(path: PurePosixPath, tail: str = "") -> str:
    stem = path.with_suffix("") if path.suffix else path
    return f"{stem}{tail}.png"


def output_path(out_dir: str | os.PathLike, photo: Photo) -> Path:
    """Where ``photo``'s painting goes under ``out_dir``."""
    return Path(out_dir) / photo.output
