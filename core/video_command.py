"""``python -m core video``: paint a clip frame by frame, steady along the optical flow, with
its sound; a progress bar on stderr, one JSON line on stdout (frames, the source's fps,
processing_fps, seconds, warping_error, ...)."""

from __future__ import annotations

import sys
from pathlib import Path

from core.errors import UserError


def add_command(commands) -> None:
    from core.batch_command import add_engine_flags, add_method_flags
    from core.video.chunks import CHUNK_FRAMES, OVERLAP_FRAMES

    video = commands.add_parser(
        "video", help="paint a video clip frame by frame, without flicker, sound kept",
        description="Give one of --style NAME, --style-image PAINTING (repeat it and use "
                    "--mix to mix several) or --multistyle SPEC. The output is H.264 in MP4 "
                    "with the source's frame times and sound. --size defaults to the "
                    "source's own size.")
    video.add_argument("--input", required=True, metavar="CLIP", help="the video to paint")
    video.add_argument("--out", required=True, metavar="OUT.mp4", help="output MP4")
    add_method_flags(video, classic=False)
    add_engine_flags(video)
    video.add_argument("--chunk-frames", type=int, default=CHUNK_FRAMES, metavar="N",
                       help=f"with --engine ray: frames per worker job (default "
                            f"{CHUNK_FRAMES}; each also paints {OVERLAP_FRAMES} frames "
                            "before it to join its neighbour smoothly)")
    video.add_argument("--consistency", choices=("on", "off"), default="on",
                       help="on (default): blend the previous painted frame in along the "
                            "optical flow where it is reliable; off: each frame on its own")


def run(args) -> dict:
    from tqdm import tqdm

    from core.batch_command import batch_recipe, engine_settings
    from core.validate import require_count
    from core.video import probe
    from core.video.consistency import ConsistencyConfig
    from core.video.painting import paint_clip

    out = Path(args.out)
    if out.suffix.lower() != ".mp4":
        raise UserError(f"--out must name an .mp4 file (got {args.out})")
    info = probe(args.input)  # refused here, from the header, before anything is painted
    if args.size is None:
        args.size = max(info.width, info.height)
    recipe = batch_recipe(args)
    bar = tqdm(total=info.frame_count or None, file=sys.stderr, unit="frame",
               dynamic_ncols=True, desc=f"{recipe.method} video")

    def advance(done: int, expected: int) -> None:
        bar.update(done - bar.n)

    consistency = ConsistencyConfig() if args.consistency == "on" else None
    settings = engine_settings(args)
    try:
        if settings.engine == "local":  # frame after frame in this process: no overlap
            result, nodes = paint_clip(args.input, out, recipe, consistency, advance), 1
        else:  # chunks of frames on the cluster's workers
            from core.engine import open_engine
            from core.video.chunks import paint_clip_on

            engine = open_engine(settings)
            try:
                result, nodes = paint_clip_on(engine, args.input, out, recipe, consistency,
                                              advance, require_count("--chunk-frames",
                                                                     args.chunk_frames, 1,
                                                                     100_000))
            finally:
                engine.close()
    finally:
        bar.close()
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    return {**result.summary(), "method": recipe.method, "engine": settings.engine,
            "nodes": nodes}
