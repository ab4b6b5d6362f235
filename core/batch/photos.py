"""A batch's inputs: the photos under the files and folders a person named, each with the
name its output takes (``output_path``), no two the same."""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from core.errors import UserError

# The formats core.images reads (a GIF: its first frame), as every uploader of the app takes.
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif")


@dataclass(frozen=True)
class Photo:
    """One input file, and its name relative to what was named (``holiday/beach.jpg``)."""

    path: Path
    relative: str  # POSIX separators


def collect_photos(paths, skip: str | os.PathLike | None = None) -> list[Photo]:
    """The photos under ``paths``, in the order given, each folder's sorted.

    A file named directly is taken whatever its suffix, under its own name; a folder is
    walked (hidden files and folders left out) for files ending in ``PHOTO_SUFFIXES``, each
    named by its path under the folder. A file reached twice counts once; files under
    ``skip`` (the output folder) are left out. Where two photos would write the same output
    (two folders that both hold ``a.jpg``, or ``a.jpg`` beside ``a.png``), both names take
    their input's folder name in front, then, if that is not enough, a number.
    """
    skip_dir = Path(skip).resolve() if skip is not None else None
    photos, seen = [], set()
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
            photos.append((photo, prefix))
    return _unique([photo for photo, _ in photos], [prefix for _, prefix in photos])


def _walk(folder: Path) -> list[Path]:
    found = []
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        found += [Path(root) / name for name in sorted(files)
                  if not name.startswith(".") and name.lower().endswith(PHOTO_SUFFIXES)]
    return found


def _unique(photos: list[Photo], prefixes: list[str]) -> list[Photo]:
    """Photos renamed so that no two outputs share a path (compared case-insensitively:
    ``A.png`` and ``a.png`` are one file on macOS and Windows): those that clash take their
    input's folder name in front; any clash left, a number after the name (the first keeps
    its name)."""
    clashing = _clashes(photos)
    photos = [replace(photo, relative=f"{prefixes[i]}/{photo.relative}")
              if i in clashing and prefixes[i] else photo for i, photo in enumerate(photos)]
    taken, unique = set(), []
    for photo in photos:
        name, number = photo.relative, 1
        while _output_name(name).casefold() in taken:
            number += 1
            name = _numbered(photo.relative, number)
        taken.add(_output_name(name).casefold())
        unique.append(replace(photo, relative=name))
    return unique


def _clashes(photos: list[Photo]) -> set[int]:
    """Indices of photos whose output path another photo's equals."""
    groups = defaultdict(list)
    for i, photo in enumerate(photos):
        groups[_output_name(photo.relative).casefold()].append(i)
    return {i for group in groups.values() if len(group) > 1 for i in group}


def _numbered(relative: str, number: int) -> str:
    path = PurePosixPath(relative)
    return str(path.with_name(f"{path.stem}-{number}{path.suffix}"))


def _output_name(relative: str) -> str:
    return str(PurePosixPath(relative).with_suffix(".png"))


def output_path(out_dir: str | os.PathLike, photo: Photo) -> Path:
    """Where ``photo``'s painting goes: its relative path under ``out_dir``, as ``.png``."""
    return Path(out_dir) / _output_name(photo.relative)
