"""Batch painting: many photos, one recipe, each photo a job on the engine (local or Ray).

Parts: ``recipe`` (``BatchRecipe``: the method, its paintings and settings, validated once),
``painting`` (``PaintTask``, one photo as a job, and the networks a worker keeps loaded
between jobs), ``photos`` (the inputs under the files and folders named, and
``output_names``, the one rule that names every output), ``uploads`` (the Batch page's
uploaded photos and ZIPs, read with their limits). ``python -m core batch``
(``core.batch_command``) and the Batch page (``ui.batch``) drive them.
"""

from core.batch.painting import PaintResult, PaintTask, paint
from core.batch.photos import PHOTO_SUFFIXES, Photo, collect_photos, output_names, output_path
from core.batch.recipe import METHODS, BatchRecipe, default_config
from core.batch.uploads import (
    MAX_PHOTOS_ENV,
    MAX_TOTAL_MB,
    UploadedPhoto,
    Uploads,
    max_photos,
    read_uploads,
)

__all__ = ["MAX_PHOTOS_ENV", "MAX_TOTAL_MB", "METHODS", "PHOTO_SUFFIXES", "BatchRecipe",
           "PaintResult", "PaintTask", "Photo", "UploadedPhoto", "Uploads", "collect_photos",
           "default_config", "max_photos", "output_names", "output_path", "paint",
           "read_uploads"]
