"""Batch painting: many photos, one recipe, each photo a job on the engine (local or Ray).

Parts: ``recipe`` (``BatchRecipe``: the method, its paintings and settings, validated once),
``painting`` (``PaintTask``, one photo as a job, and the networks a worker keeps loaded
between jobs), ``photos`` (the inputs under the files and folders named, and where each
output goes). ``python -m core batch`` (``core.batch_command``) drives them.
"""

from core.batch.painting import PaintResult, PaintTask, paint
from core.batch.photos import PHOTO_SUFFIXES, Photo, collect_photos, output_path
from core.batch.recipe import METHODS, BatchRecipe, default_config

__all__ = ["METHODS", "PHOTO_SUFFIXES", "BatchRecipe", "PaintResult", "PaintTask", "Photo",
           "collect_photos", "default_config", "output_path", "paint"]
