"""A batch's uploaded photos: image files and ZIPs of them, read in memory, refused when
absurd (the Batch page's uploader hands them over as ``(name, bytes)``).

Nothing here decodes a photo: each photo's bytes go to its own job (``core.batch.PaintTask``),
which decodes it through ``core.images`` like every other upload, so a damaged file fails
as that one photo, with its one-line reason, and the rest of the batch goes on. What is
refused here, before anything runs, is what no batch should hold: more photos than
``max_photos()``, more than ``MAX_TOTAL_MB`` in all, a file over the upload limit, a ZIP that
cannot be opened or that lists more than ``MAX_ZIP_ENTRIES`` entries. The totals run across
every uploaded file, and a ZIP's photos are counted from its directory before a byte is
inflated: a ZIP whose photos would take the batch past either limit is refused unread, so
ZIP bombs, one or many, never fill memory.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field

from core import images
from core.batch.photos import PHOTO_SUFFIXES, is_hidden
from core.validate import env_count

MAX_PHOTOS_ENV = "STYLE_STUDIO_MAX_BATCH_PHOTOS"
DEFAULT_MAX_PHOTOS = 40  # each result stays in the session's memory until the next batch
MAX_TOTAL_MB = 200  # the photos of one batch together, as files (ZIPs: inflated)
MAX_ZIP_ENTRIES = 2000  # entries a ZIP may list at all (folders and other files included)
ZIP_SUFFIX = ".zip"
SPLIT = "Remove some, or split them into several batches."


def max_photos() -> int:
    """Photos a batch may hold: ``$STYLE_STUDIO_MAX_BATCH_PHOTOS``, else 40."""
    return env_count(MAX_PHOTOS_ENV, DEFAULT_MAX_PHOTOS, 1, 1000)


@dataclass(frozen=True)
class UploadedPhoto:
    """One photo of a batch, as its file: not decoded yet."""

    name: str  # "beach.jpg", or its path inside a ZIP: "holiday/day 1/beach.jpg"
    data: bytes = field(repr=False)
    folder: str = ""  # its ZIP's name without ".zip": the prefix for output_names


@dataclass(frozen=True)
class Uploads:
    """What the uploads hold: the photos, why some files cannot be used, what was skipped."""

    photos: tuple[UploadedPhoto, ...] = ()
    problems: tuple[str, ...] = ()  # one line each; any problem holds the batch back
    skipped: tuple[str, ...] = ()  # ZIP entries that are not photos (read-me files, ...)

    @property
    def megabytes(self) -> float:
        return sum(len(photo.data) for photo in self.photos) / 2**20


def read_uploads(files: Iterable[tuple[str, bytes]], *, file_limit_mb: float,
                 limit: int | None = None) -> Uploads:
    """The photos in uploaded files (``(name, bytes)``: photos and ZIPs of photos), in the
    order given, and every reason the batch cannot run as it is."""
    reader = _Reader(file_limit_mb, max_photos() if limit is None else limit)
    for name, data in files:
        if name.lower().endswith(ZIP_SUFFIX):
            reader.read_zip(name, data)
        else:
            reader.read_photo(name, data)
    return reader.uploads()


class _Reader:
    """The photos read so far and their running totals (count and bytes)."""

    def __init__(self, file_limit_mb: float, limit: int):
        self.file_limit_mb, self.limit = file_limit_mb, limit
        self.photos: list[UploadedPhoto] = []
        self.problems: list[str] = []
        self.skipped: list[str] = []
        self.bytes = 0

    def add(self, photo: UploadedPhoto) -> None:
        self.photos.append(photo)
        self.bytes += len(photo.data)

    def read_photo(self, name: str, data: bytes) -> None:
        try:
            images.check_file_size(len(data), self.file_limit_mb, what=f"Photo {name}")
        except images.ImageError as error:
            self.problems.append(str(error))
            return
        self.add(UploadedPhoto(name, data))  # already in memory: the totals say if too much

    def read_zip(self, name: str, data: bytes) -> None:
        """Add the ZIP's photos (folders inside allowed) in the ZIP's order, unless they
        would take the batch over a limit: that is known from the ZIP's directory."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                wanted = self._photo_entries(name, archive)
                if wanted is None or self._too_much(name, wanted):
                    return
                for entry in wanted:
                    self._read_entry(archive, entry, name)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as error:
            self.problems.append(f"ZIP {name}: not a ZIP file we can read ({_one_line(error)}).")

    def _photo_entries(self, name: str, archive: zipfile.ZipFile
                       ) -> list[zipfile.ZipInfo] | None:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            self.problems.append(f"ZIP {name}: it lists {len(entries)} entries; at most "
                                 f"{MAX_ZIP_ENTRIES} are read.")
            return None
        wanted = []
        for entry in entries:
            if entry.is_dir() or is_hidden(entry.filename):
                continue
            if not entry.filename.lower().endswith(PHOTO_SUFFIXES):
                self.skipped.append(f"{name}/{entry.filename}")
                continue
            wanted.append(entry)
        return wanted

    def _too_much(self, name: str, wanted: list[zipfile.ZipInfo]) -> bool:
        """Refuse the ZIP, before inflating anything, if its photos as its directory
        declares them (zipfile never inflates an entry past its declared size) would take
        the batch past ``MAX_TOTAL_MB`` or its photo limit."""
        inflated = sum(entry.file_size for entry in wanted)
        if self.bytes + inflated > MAX_TOTAL_MB * 2**20:
            before = (f", {(self.bytes + inflated) / 2**20:.0f} MB with the photos before it"
                      if self.bytes else "")
            self.problems.append(f"ZIP {name}: its photos come to {inflated / 2**20:.0f} MB "
                                 f"unpacked{before}; a batch takes at most {MAX_TOTAL_MB} MB.")
            return True
        if len(self.photos) + len(wanted) > self.limit:
            before = (f", {len(self.photos) + len(wanted)} with the photos before it"
                      if self.photos else "")
            self.problems.append(f"ZIP {name}: it holds {len(wanted)} photos{before}; a batch "
                                 f"takes at most {self.limit}. {SPLIT}")
            return True
        return False

    def _read_entry(self, archive: zipfile.ZipFile, entry: zipfile.ZipInfo,
                    zip_name: str) -> None:
        what = f"Photo {entry.filename} in {zip_name}"
        try:
            images.check_file_size(entry.file_size, self.file_limit_mb, what=what)
            data = archive.read(entry)  # at most the size checked above (zipfile stops there)
        except images.ImageError as error:
            self.problems.append(str(error))
            return
        except RuntimeError as error:  # encrypted
            self.problems.append(f"{what}: cannot be read ({_one_line(error)}).")
            return
        except (NotImplementedError, zipfile.BadZipFile, OSError) as error:  # compression, CRC
            self.problems.append(f"{what}: cannot be unpacked ({_one_line(error)}).")
            return
        self.add(UploadedPhoto(entry.filename, data, folder=zip_name[:-len(ZIP_SUFFIX)]))

    def uploads(self) -> Uploads:
        problems = list(self.problems)
        if len(self.photos) > self.limit:
            problems.append(f"{len(self.photos)} photos: a batch takes at most {self.limit}. "
                            f"{SPLIT}")
        if self.bytes > MAX_TOTAL_MB * 2**20:
            problems.append(f"The photos come to {self.bytes / 2**20:.0f} MB: a batch takes at "
                            f"most {MAX_TOTAL_MB} MB. {SPLIT}")
        return Uploads(tuple(self.photos), tuple(problems), tuple(self.skipped))


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
