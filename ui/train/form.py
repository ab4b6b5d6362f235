"""The Train page's choices: the painting (bundled or uploaded), the new network's name and
its training settings, whose defaults are ``TrainConfig``'s; together a
``core.fast.training_job.TrainTask``, or the one line that says what to fix."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import streamlit as st

from core.errors import UserError
from core.fast.settings import MAX_STEPS, TrainConfig
from core.fast.training_job import TrainTask, slug
from ui import catalog, common, pickers, uploads

PAINTING = "train.painting"  # selectbox: an upload's id or a bundled painting's stem
UPLOAD = "train.painting_upload"
NAME = "train.name"
NAMED_FOR = "train.named_for"  # not a widget: the painting the name was made for
STEPS = "train.steps"
CROP = "train.crop"
STYLE_SIZE = "train.style_size"
LAPLACIAN_WEIGHT = "train.laplacian_weight"
GLOW_WEIGHT = "train.glow_weight"
TEXTURE_WEIGHT = "train.texture_weight"
SLEEVE_WEIGHT = "train.sleeve_weight"
TEACHER_WEIGHT = "train.teacher_weight"
PATTERN_WEIGHT = "train.pattern_weight"
CALM_SHARE = "train.calm_share"
BANDING_WEIGHT = "train.banding_weight"
LEARNING_RATE = "train.learning_rate"
BATCH = "train.batch"
PREVIEW_EVERY = "train.preview_every"
CREDIT_PREFIX = "train.credit."  # + upload id + "." + title, artist, year or licence
FRESH = "train.fresh"
CREDITS = (("title", "Title"), ("artist", "Artist"), ("year", "Year"), ("licence", "Licence"))
# The widgets' bounds: TrainConfig's own checks (core/fast/settings.py, TrainConfig's
# require_count calls: crop 32..1024, style_size 32..2048, batch 1..64) keep them; change
# both together.
CROP_RANGE = (32, 1024)
STYLE_SIZE_RANGE = (32, 2048)
BATCH_RANGE = (1, 64)
TERM_WEIGHT_RANGE = (0.0, 10.0)  # the Laplacian, glow and teacher terms: TrainConfig takes >= 0
TEXTURE_WEIGHT_RANGE = (0.0, 1000.0)  # the texture term's: at 300 Udnie's pattern covered all
SLEEVE_WEIGHT_RANGE = (0.0, 10000.0)  # the sleeve term's: a shortfall's share, squared
SLEEVE_HELP = ("Keeps the painting's strokes up to strong edges, where a pale band bare of them "
               "would otherwise run along a tower or a cable (a comb of a few px may be left "
               "there instead). 0 follows the any-painting network's picture there too, and "
               "paints that band. To resume a run paused before this setting existed, set it "
               "to 0.")
PATTERN_WEIGHT_RANGE = (0.0, 100000.0)  # the pattern term's: a rise in a share, squared
TEACHER_HELP = ("The new network starts as the any-painting network with your painting and "
                "learns the painting further; this holds each pixel near that network's "
                "picture, its halos taken out. Lower, and it drifts to an embossed, metallic "
                "look with muted colours.")
PATTERN_HELP = ("Above 0 (tried: 10000), works against a regular ripple or hatch (in skies, "
                "often lit from one side like hammered metal) that learning the painting's "
                "statistics rewards: no more of one than the any-painting network paints.")
CALM_SHARE_RANGE = (0.0, 0.9)  # TrainConfig takes 0 to below 1
CALM_HELP = ("Above 0 (0.3, the calmest 30 % of the painting, for four bundled networks), "
             "the photo's calm areas (skies, walls) are painted like the painting's own calm "
             "areas rather than like the painting as a whole, whose mean texture a plain sky "
             "can only match with a lit, embossed ripple. For paintings with plain areas (the "
             "Great Wave's paper sky); one textured all over (The Starry Night) loses its "
             "texture. 0: the whole painting everywhere.")
BANDING_WEIGHT_RANGE = (0.0, 10000.0)  # the banding term's: grey levels a px, squared
BANDING_HELP = ("Above 0 (300 for Udnie's and Composition VII's networks, with the calm "
                "guide), a sky's gentle change of tone stays gentle: painted as two tones, it "
                "meets at a seam that drips. Strokes finer than about 15 px (the term's "
                "smoothing) are free.")
# at 2e-3 a network that starts as the any-painting network's copy went 36 grey levels from
# its teacher's picture in 15 steps (core/fast/settings.py)
LEARNING_RATE_RANGE = (1e-5, 2e-3)
LEARNING_RATE_HELP = ("How far each step moves the network from the any-painting network it "
                      "starts as. Faster (Udnie's network: 0.001) took that network's fine "
                      "hatch out of Udnie's plain skies, at the cost of some of the painting's "
                      "colour; for a painting with no plain areas, the hatch came out more "
                      "regular instead.")
# Each preview is a PNG kept in the job's record: never more often than this (0: never).
MIN_PREVIEW_EVERY = 10


def _take_painting() -> None:
    """The uploader's on_change: keep the new painting and choose it."""
    added = uploads.absorb(UPLOAD, uploads.PAINTING)
    if added:
        st.session_state[PAINTING] = added[-1].id


def painting_picker() -> pickers.Chosen | None:
    """One painting, bundled or uploaded (uploads are shared with the other pages)."""
    bundled = {picture.stem: picture for picture in catalog.paintings()}
    uploaded = {upload.id: upload for upload in uploads.library(uploads.PAINTING)}
    options = [*uploaded, *bundled]
    if st.session_state.get(PAINTING) not in options:
        st.session_state[PAINTING] = (catalog.DEFAULT_STYLE if catalog.DEFAULT_STYLE in bundled
                                      else options[0])

    def label(option: str) -> str:
        if option in uploaded:
            return f"Your painting: {uploaded[option].file_name}"
        return bundled[option].label

    choice = st.selectbox("Painting", options, key=PAINTING, format_func=label,
                          persist_state="session")
    st.file_uploader("…or upload your own painting", type=uploads.UPLOAD_TYPES, key=UPLOAD,
                     on_change=_take_painting, help=pickers.upload_help("It"))
    if uploads.show_problems(UPLOAD):
        return None
    chosen = pickers.chosen_painting(choice)
    for note in chosen.notes:
        st.info(f"{uploads.what(uploads.PAINTING, chosen.label)}: {note}")
    height, width = chosen.pixels.shape[:2]
    st.image(chosen.preview, caption=f"{chosen.label} · {width} × {height} px", width="stretch")
    return chosen


def file_name(chosen: pickers.Chosen) -> str:
    """'starry_night.jpg' for a bundled painting, the file's name for an upload."""
    return Path(chosen.name.removeprefix("upload: ")).name


def settings_panel(chosen: pickers.Chosen | None) -> tuple[TrainTask | None, str | None]:
    """The name and settings; (the task, None) or (None, what to fix)."""
    defaults = TrainConfig()
    if chosen is not None and st.session_state.get(NAMED_FOR) != chosen.name:
        st.session_state[NAME] = f"my_{slug(file_name(chosen))}"[:48]  # a new painting's
        st.session_state[NAMED_FOR] = chosen.name
    name = st.text_input("Network name", key=NAME, persist_state="session",
                         help="The fast page lists the network under its painting; this "
                              "names its files. Training again under a name replaces it.")
    steps = st.number_input("Steps", 1, MAX_STEPS, defaults.steps, step=100, key=STEPS,
                            persist_state="session",
                            help="Each step learns from a batch of crops of the bundled "
                                 "training photos.")
    advanced = _advanced(defaults)
    credits = (_credits(st.session_state.get(PAINTING))
               if chosen is not None and chosen.uploaded else {})
    if chosen is None:
        return None, "Choose a painting that can be used."
    if 0 < advanced["preview_every"] < MIN_PREVIEW_EVERY:
        return None, (f"Preview every is 0 (no previews) or at least "
                      f"{MIN_PREVIEW_EVERY} steps.")
    try:
        config = dataclasses.replace(defaults, steps=int(steps), **advanced,
                                     backbone=common.backbone_name())
        task = TrainTask(name=name.strip(), painting=chosen.pixels,
                         painting_file=file_name(chosen), config=config,
                         bundled=not chosen.uploaded, **credits)
    except UserError as error:
        return None, str(error)
    return task, None


def _advanced(defaults: TrainConfig) -> dict:
    """The advanced settings, as TrainConfig's fields."""
    with st.expander("Advanced settings"):
        teacher_col, size_col = st.columns(2)  # rows of two: the labels are long
        laplacian_col, glow_col = st.columns(2)
        texture_col, sleeve_col = st.columns(2)
        crop_col, batch_col = st.columns(2)
        teacher = teacher_col.number_input(
            "Stay close to the any-painting network", *TERM_WEIGHT_RANGE,
            defaults.teacher_weight, step=0.1, key=TEACHER_WEIGHT, persist_state="session",
            help=TEACHER_HELP)
        style_size = size_col.number_input(
            "Painting size (px)", *STYLE_SIZE_RANGE, defaults.style_size, step=8,
            key=STYLE_SIZE, persist_state="session",
            help="The painting's longest side as the network learns it: the size of its brush "
                 "marks in the pictures. Fine strokes (The Starry Night, The Great Wave) "
                 "want about the size you will paint at, 1080; broad, smooth paintings "
                 "(The Scream) stay sharper at the default.")
        laplacian = laplacian_col.number_input(
            "Hold to the photo's shapes", *TERM_WEIGHT_RANGE, defaults.laplacian_weight,
            step=0.1, key=LAPLACIAN_WEIGHT, persist_state="session",
            help="Above 0 (the Wave's network: 0.15), the picture keeps "
                 "the photo's shapes at 4 px and coarser: less embossed relief in flat areas, "
                 "but paintings of broad shapes (Udnie, Composition VII) flatten.")
        glow = glow_col.number_input(
            "No glow along edges", *TERM_WEIGHT_RANGE, defaults.glow_weight, step=0.1,
            key=GLOW_WEIGHT, persist_state="session",
            help="Takes out the light glow that fast networks draw along strong edges (a "
                 "tower against the sky). 0 keeps what is left of the any-painting "
                 "network's.")
        texture = texture_col.number_input(
            "Texture in plain areas", *TEXTURE_WEIGHT_RANGE, defaults.texture_weight, step=10.0,
            key=TEXTURE_WEIGHT, persist_state="session",
            help="Above 0 (Udnie's network: 100), the picture keeps the painting's texture "
                 "where the photo is plain (a sky), so that taking out the glow cannot leave "
                 "those areas bare. Too high (300) covers everything in the painting's pattern.")
        sleeve = sleeve_col.number_input(
            "Strokes up to edges", *SLEEVE_WEIGHT_RANGE, defaults.sleeve_weight, step=100.0,
            key=SLEEVE_WEIGHT, persist_state="session", help=SLEEVE_HELP)
        crop = crop_col.number_input("Crop (px)", *CROP_RANGE, defaults.crop, step=32,
                                     key=CROP, persist_state="session")
        batch = batch_col.number_input("Batch", *BATCH_RANGE, defaults.batch, key=BATCH,
                                       persist_state="session")
        flat_areas = _flat_areas(defaults)
    return {"style_size": int(style_size), "crop": int(crop), "batch": int(batch),
            "laplacian_weight": float(laplacian), "glow_weight": float(glow),
            "texture_weight": float(texture), "sleeve_weight": float(sleeve),
            "teacher_weight": float(teacher), **flat_areas}


def _flat_areas(defaults: TrainConfig) -> dict:
    """The last rows of the advanced settings: the pattern term, the calm guide, the banding
    term, the learning rate, previews."""
    pattern_col, calm_col = st.columns(2)
    banding_col, rate_col = st.columns(2)
    preview_col, _ = st.columns(2)
    pattern = pattern_col.number_input(
        "No regular pattern", *PATTERN_WEIGHT_RANGE, defaults.pattern_weight, step=1000.0,
        key=PATTERN_WEIGHT, persist_state="session", help=PATTERN_HELP)
    calm = calm_col.number_input(
        "Calm areas like the painting's", *CALM_SHARE_RANGE, defaults.calm_share, step=0.1,
        key=CALM_SHARE, persist_state="session", help=CALM_HELP)
    banding = banding_col.number_input(
        "No bands in skies", *BANDING_WEIGHT_RANGE, defaults.banding_weight, step=100.0,
        key=BANDING_WEIGHT, persist_state="session", help=BANDING_HELP)
    rate = rate_col.number_input(
        "Learning rate", *LEARNING_RATE_RANGE, defaults.learning_rate, step=1e-4,
        format="%g", key=LEARNING_RATE, persist_state="session", help=LEARNING_RATE_HELP)
    preview_every = preview_col.number_input(
        "Preview every (steps)", 0, MAX_STEPS, defaults.preview_every, step=10,
        key=PREVIEW_EVERY, persist_state="session",
        help=f"How often the held-out photos are painted for the preview: every "
             f"{MIN_PREVIEW_EVERY} steps or more, and at the end (0: never).")
    return {"pattern_weight": float(pattern), "calm_share": float(calm),
            "banding_weight": float(banding), "learning_rate": float(rate),
            "preview_every": int(preview_every)}


def _credits(painting_id: str | None) -> dict:
    """An uploaded painting's title, artist, year and licence, for the network's manifest;
    each upload has its own fields (``painting_id``: the Painting selectbox's value)."""
    with st.expander("About your painting (for the network's manifest)"):
        columns = st.columns(len(CREDITS))
        values = {field: column.text_input(label, key=f"{CREDIT_PREFIX}{painting_id}.{field}",
                                           placeholder="unknown", persist_state="session")
                  for column, (field, label) in zip(columns, CREDITS, strict=True)}
    return {field: value.strip() or None for field, value in values.items()}


def fresh_choice(task: TrainTask, saved_step: int) -> TrainTask:
    """Offer to start afresh when a checkpoint of this painting and settings exists."""
    fresh = st.checkbox(f"Start afresh (forget the checkpoint at step {saved_step})",
                        key=FRESH)
    return dataclasses.replace(task, fresh=True) if fresh else task
