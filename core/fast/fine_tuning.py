"""Fine-tuning's terms beyond the objective (``core.losses.weighted_terms``), each weighted
by its ``TrainConfig`` weight: the calm guide's style term, the terms against the photo and
those against the teacher's picture. Used by ``core.fast.train``'s trainer, inside its
traced loss; a term that is off costs nothing.
"""

from __future__ import annotations

from keras import ops

from core import edges, losses
from core.fast.settings import TEXTURE_WINDOWS, TrainConfig


def with_calm_guide(weighted, config: TrainConfig, features: dict, grams: dict,
                    calm_grams: dict | None, calm, layer_weights: dict) -> tuple:
    """The objective's (content, style, tv) terms, the style term guided (the photo's calm
    areas held to the painting's calm areas, ``losses.guided_style_loss``) when there are
    ``calm_grams`` (``calm``: the photo's ``losses.calm_mask``)."""
    content, style, tv = ops.unstack(weighted)
    if calm_grams is not None:
        style = config.style_weight * losses.guided_style_loss(
            features, grams, calm_grams, calm, layer_weights)
    return content, style, tv


def _switched(weight: float, term):
    """``weight`` times ``term()`` (a callable, called only then), or 0 when the weight is:
    a term that is off costs nothing, the branch taken once, when traced."""
    return weight * term() if weight else ops.zeros(())


def photo_terms(config: TrainConfig, picture, photo, features: dict,
                painting_texture: dict | None, calm=None) -> tuple:
    """Fine-tuning's weighted Laplacian, glow, texture, sleeve and banding terms. Each looks
    at the photo, not the teacher's picture, which has the halos: the Laplacian, glow and
    banding terms measure the picture against it, the texture term the picture against
    ``painting_texture`` where the photo is plain, the sleeve term the picture along the
    photo's edges against the picture around them. ``calm``: the photo's
    ``losses.calm_mask`` when the trainer has it already."""
    return (
        _switched(config.laplacian_weight,
                  lambda: losses.laplacian_loss(picture, photo, config.laplacian_pool)),
        # a glow is a lift beyond the photo's own along its edges
        _switched(config.glow_weight, lambda: edges.glow_loss(picture, photo)),
        # a shortfall of texture where the photo is plain: its own detail cannot fill the quota
        _switched(config.texture_weight, lambda: losses.texture_shortfall_loss(
            features, photo, painting_texture, TEXTURE_WINDOWS)),
        # a sleeve bare of strokes along the photo's edges
        _switched(config.sleeve_weight, lambda: edges.sleeve_loss(picture, photo)),
        # a seam where the photo's calm areas change tone gently
        _switched(config.banding_weight, lambda: losses.banding_loss(picture, photo, calm)),
    )


def teacher_terms(config: TrainConfig, picture, teacher_picture, photo, calm=None) -> tuple:
    """Fine-tuning's weighted teacher and pattern terms, against the teacher's picture
    (zeros without one: Johnson et al.'s design from random weights); ``calm``, the calm
    guide's mask of the photo, or None without the guide."""
    if teacher_picture is None:
        return ops.zeros(()), ops.zeros(())
    return (
        # each pixel near the teacher's halo-free picture, but those left to the sleeve term
        # and, with the calm guide on, the photo's calm areas, left to it
        _switched(config.teacher_weight, lambda: edges.teacher_loss(
            picture, teacher_picture, photo, leave_sleeve=bool(config.sleeve_weight),
            leave=calm)),
        # no more of a regular pattern than the teacher's picture has
        _switched(config.pattern_weight, lambda: losses.pattern_loss(picture, teacher_picture)),
    )
