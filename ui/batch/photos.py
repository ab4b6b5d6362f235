"""A batch's photos: image files and ZIPs of them, read in memory, refused when absurd.

Nothing here decodes a photo: each photo's bytes go to its own job (``core.batch.PaintTask``),
which decodes it through ``core.images`` like every other upload, so a damaged file fails
as that one photo, with its one-line reason, and the rest of the batch goes on. What is
refused here, before anything runs, is what no batch should hold: more photos than
``MAX_PHOTOS``, more than ``MAX_TOTAL_MB`` in all, a file over the upload limit, a ZIP that
cannot be opened or that lists more than ``MAX_ZIP_ENTRIES`` entries (a ZIP bomb's sizes are
read from its directory before a byte is inflated).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from core import images
from core.validate import env_count

MAX_PHOTOS_ENV = "STYLE_STUDIO_MAX_BATCH_PHOTOS"
DEFAULT_MAX_PHOTOS = 40  # each result stays in the session's memory until the next batch
MAX_TOTAL_MB = 200  # the photos of one batch together, as files (ZIPs: inflated)
MAX_ZIP_ENTRIES = 2000  # entries a ZIP may list at all (folders and other files included)
PHOTO_SUFFIXES = images.UPLOAD_SUFFIXES  # what every uploader of the app takes
ZIP_SUFFIX = ".zip"


def max_photos() -> int:
    """Photos a batch may hold: ``$STYLE_STUDIO_MAX_BATCH_PHOTOS``, else 40."""
    return env_count(MAX_PHOTOS_ENV, DEFAULT_MAX_PHOTOS, 1, 1000)


@dataclass(frozen=True)
class Photo:
    """One photo of a batch, as its file: not decoded yet."""

    name: str  # "beach.jpg", or its path inside a ZIP: "holiday/day 1/beach.jpg"
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Photos:
    """What the uploads hold: the photos, why some files cannot be used, what was skipped."""

    photos: tuple[Photo, ...] = ()
    problems: tuple[str, ...] = ()  # one line each; any problem holds the batch back
    skipped: tuple[str, ...] = ()  # ZIP entries that are not photos (read-me files, ...)

    @property
    def megabytes(self) -> float:
        return sum(len(photo.data) for photo in self.photos) / 2**20


def read_uploads(files: Iterable[tuple[str, bytes]], *, file_limit_mb: float,
                 limit: int | None = None) -> Photos:
    """The photos in uploaded files (``(name, bytes)``: photos and ZIPs of photos), in the
    order given, and every reason the batch cannot run as it is."""
    limit = max_photos() if limit is None else limit
    photos: list[Photo] = []
    problems: list[str] = []
    skipped: list[str] = []
    for name, data in files:
        if name.lower().endswith(ZIP_SUFFIX):
            _read_zip(name, data, file_limit_mb, photos, problems, skipped)
        else:
            try:
                images.check_file_size(len(data), file_limit_mb, what=f"Photo {name}")
            except images.ImageError as error:
                problems.append(str(error))
                continue
            photos.append(Photo(name, data))
    problems += _totals(photos, limit)
    return Photos(tuple(photos), tuple(problems), tuple(skipped))


def _totals(photos: list[Photo], limit: int) -> list[str]:
    problems = []
    if len(photos) > limit:
        problems.append(f"{len(photos)} photos: a batch takes at most {limit}. Remove some, "
                        "or split them into several batches.")
    megabytes = sum(len(photo.data) for photo in photos) / 2**20
    if megabytes > MAX_TOTAL_MB:
        problems.append(f"The photos come to {megabytes:.0f} MB: a batch takes at most "
                        f"{MAX_TOTAL_MB} MB. Remove some, or split them into several batches.")
    return problems


def _read_zip(name: str, data: bytes, file_limit_mb: float, photos: list[Photo],
              problems: list[str], skipped: list[str]) -> None:
    """Append the ZIP's photos (folders inside allowed) in the ZIP's order."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                problems.append(f"ZIP {name}: it lists {len(entries)} entries; at most "
                                f"{MAX_ZIP_ENTRIES} are read.")
                return
            wanted = []
            for entry in entries:
                if entry.is_dir() or _hidden(entry.filename):
                    continue
                if not entry.filename.lower().endswith(PHOTO_SUFFIXES):
                    skipped.append(f"{name}/{entry.filename}")
                    continue
                wanted.append(entry)
            inflated = sum(entry.file_size for entry in wanted) / 2**20
            if inflated > MAX_TOTAL_MB:  # before inflating anything: a ZIP bomb stops here
                problems.append(f"ZIP {name}: its photos come to {inflated:.0f} MB unpacked; "
                                f"a batch takes at most {MAX_TOTAL_MB} MB.")
                return
            for entry in wanted:
                _read_entry(archive, entry, name, file_limit_mb, photos, problems)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as error:
        problems.append(f"ZIP {name}: not a ZIP file we can read ({_one_line(error)}).")


def _read_entry(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, zip_name: str,
                file_limit_mb: float, photos: list[Photo], problems: list[str]) -> None:
    what = f"Photo {entry.filename} in {zip_name}"
    try:
        images.check_file_size(entry.file_size, file_limit_mb, what=what)
        data = archive.read(entry)  # at most the size checked above (zipfile stops there)
    except images.ImageError as error:
        problems.append(str(error))
        return
    except RuntimeError as error:  # encrypted
        problems.append(f"{what}: cannot be read ({_one_line(error)}).")
        return
    except (NotImplementedError, zipfile.BadZipFile, OSError) as error:  # compression, CRC
        problems.append(f"{what}: cannot be unpacked ({_one_line(error)}).")
        return
    photos.append(Photo(entry.filename, data))


def _hidden(path: str) -> bool:
    """macOS's resource forks (__MACOSX/, ._name) and dot files: never photos."""
    parts = PurePosixPath(path).parts
    return any(part == "__MACOSX" or part.startswith(".") for part in parts)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def output_names(names: Iterable[str]) -> list[str]:
    """Each photo's result file in the batch's ZIP: its name (folders kept) with ``.png``;
    a name that comes twice ("a.jpg" and "a.png") gets "-2", "-3"."""
    taken: set[str] = set()
    result = []
    for name in names:
        parts = [part for part in PurePosixPath(name.replace("\\", "/")).parts
                 if part not in ("", ".", "..", "/")]
        path = PurePosixPath(*parts) if parts else PurePosixPath("photo")
        stem = path.with_suffix("") if path.suffix else path
        candidate, number = f"{stem}.png", 1
        while candidate.lower() in taken:
            number += 1
            candidate = f"{stem}-{number}.png"
        taken.add(candidate.lower())
        result.append(candidate)
    return result
