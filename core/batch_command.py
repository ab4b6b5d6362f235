"""``python -m core batch``: paint every photo under files and folders with one recipe, on the
local engine or a Ray cluster, into an output folder that mirrors the input's.

Outputs already in the folder are skipped, so running the same command again resumes; each
is written to a temporary file and renamed, so an interrupted run never leaves half a PNG
that a rerun would skip. A photo that cannot be painted costs one line on stderr and the
rest go on; the exit code is then 2. A progress bar (tqdm) goes to stderr; stdout gets only
the final JSON line.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from core import images
from core.backbone import BACKBONES, PRECISIONS
from core.errors import UserError

METHOD_FLAGS = ("--style NAME, --style-image PAINTING, --multistyle INDEX[:W],... "
                "or --classic --style PAINTING")


def add_command(commands) -> None:
    from core.batch import PHOTO_SUFFIXES

    batch = commands.add_parser(
        "batch", help="paint every photo in files and folders with one method",
        description="Give exactly one method: --style NAME (a trained network), --style-image "
                    "PAINTING (any painting; repeat it and use --mix to mix several), "
                    "--multistyle SPEC (the 26-style network), or --classic with the "
                    "paintings as --style or --style-image files (repeat to blend; --mix "
                    "weighs them). Folders are walked for "
                    f"{'/'.join(PHOTO_SUFFIXES)} files and their layout is kept "
                    "under --out; an output that is already there is skipped, so the same "
                    "command resumes. A photo that fails is reported on stderr and the rest "
                    "go on (exit code 2). The last line on stdout is a JSON summary.")
    batch.add_argument("--content", required=True, nargs="+", metavar="PATH",
                       help="photos and folders of photos")
    batch.add_argument("--out", required=True, metavar="DIR", help="output folder")
    add_method_flags(batch, classic=True)
    add_engine_flags(batch)


def add_engine_flags(parser) -> None:
    """--engine and --ray-address, shared by ``batch`` and ``video``."""
    from core.engine import ENGINES

    parser.add_argument("--engine", choices=ENGINES,
                        help="where the work is done: local (this process, the default) or "
                             "ray (a Ray cluster); default $STYLE_STUDIO_ENGINE")
    parser.add_argument("--ray-address", metavar="ADDRESS",
                        help="auto, HOST:PORT or ray://HOST:PORT (default "
                             "$STYLE_STUDIO_RAY_ADDRESS, else auto)")


def add_method_flags(parser, *, classic: bool) -> None:
    """The flags that choose how pictures are painted, shared by ``batch`` and ``video``
    (``classic``: also --classic and its settings); ``batch_recipe`` reads them."""
    from core.classic import PRESETS
    from core.fast.apply import FastConfig

    preset = PRESETS["recommended"]
    parser.add_argument("--style", action="append", metavar="NAME",
                        help="a trained network (see: python -m core styles)"
                             + ("; with --classic, a painting file (repeatable)" if classic
                                else ""))
    parser.add_argument("--style-image", action="append", metavar="PAINTING",
                        help="any painting, through the arbitrary-style network"
                             + (" (or the classic method, with --classic)" if classic else "")
                             + "; repeat to mix")
    parser.add_argument("--mix", metavar="W1,W2,...",
                        help="weight of each painting, in order (default: equal)")
    parser.add_argument("--multistyle", metavar="INDEX[:W],...",
                        help="styles 0-25 of the multi-style network, e.g. 3:0.5,12:0.5")
    parser.add_argument("--size", type=int,
                        help=f"longest side of the output, px (default {FastConfig.size}"
                             + (f"; classic {preset.size})" if classic else ")"))
    parser.add_argument("--strength", type=float,
                        help="fast methods: 0 keeps the photo, 1 is the full painting "
                             f"(default {FastConfig.strength:g})")
    parser.add_argument("--preserve-colors", action="store_true", help="keep the colours")
    parser.add_argument("--keep-halos", action="store_true",
                        help="fast methods: leave the band of colour the network paints along "
                             "strong edges (taken out by default)")
    parser.add_argument("--precision", choices=PRECISIONS,
                        help=f"default {FastConfig.precision}"
                             + (f"; classic {preset.precision}" if classic else ""))
    if not classic:
        parser.set_defaults(classic=False, iterations=None, backbone=None)
        return
    parser.add_argument("--classic", action="store_true",
                        help="paint by optimisation (Gatys et al.; the recommended preset)")
    parser.add_argument("--iterations", type=int,
                        help=f"classic only: iterations (default {preset.iterations})")
    parser.add_argument("--backbone", choices=BACKBONES,
                        help=f"classic only (default {preset.backbone})")


def run(args) -> tuple[dict, int]:
    """Paint what is not painted yet; the summary and the exit code (2 if a photo failed)."""
    from core.batch import PHOTO_SUFFIXES, collect_photos, output_path
    from core.cli import USER_ERROR

    recipe = batch_recipe(args)
    settings = engine_settings(args)
    out_dir = Path(args.out)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out must be a folder (got the file {out_dir})")
    photos = collect_photos(args.content, skip=out_dir)
    if not photos:
        raise UserError("no photos found (looked for "
                        + ", ".join(s.lstrip(".") for s in PHOTO_SUFFIXES) + " files)")
    out_dir.mkdir(parents=True, exist_ok=True)
    todo = [photo for photo in photos if not output_path(out_dir, photo).exists()]
    started = time.perf_counter()
    if todo:
        engine_name, connect_seconds, tally = open_and_paint(settings, recipe, todo, out_dir)
    else:  # nothing to paint: no engine opened, no cluster joined
        engine_name, connect_seconds = settings.engine, 0.0
        tally = {"done": 0, "failed": 0, "nodes": set()}
    seconds = time.perf_counter() - started
    done = tally["done"]
    summary = {"engine": engine_name, "nodes": len(tally["nodes"]), "done": done,
               "skipped": len(photos) - len(todo), "failed": tally["failed"],
               "seconds": round(seconds, 3),
               "per_image_seconds": round(seconds / done, 3) if done else None,
               "output": str(out_dir), "connect_seconds": round(connect_seconds, 3),
               "method": recipe.method, "photos": len(photos), "recipe": recipe.key()}
    # The run goes on past photos it cannot paint; any of them makes it a failure.
    return summary, USER_ERROR if tally["failed"] else 0


def engine_settings(args):
    """The engine the flags and the environment name; --ray-address only with Ray."""
    from core.engine import EngineSettings

    settings = EngineSettings.from_env(engine=args.engine, ray_address=args.ray_address)
    if args.ray_address is not None and settings.engine != "ray":
        raise UserError(f"--ray-address needs --engine ray (the engine is {settings.engine})")
    return settings


def open_and_paint(settings, recipe, photos, out_dir: Path) -> tuple[str, float, dict]:
    """The engine's name, how long opening it took (on Ray: joining the cluster), and
    ``paint_all``'s tally."""
    from core.engine import open_engine

    started = time.perf_counter()
    engine = open_engine(settings)
    connect_seconds = time.perf_counter() - started
    try:
        return engine.name, connect_seconds, paint_all(engine, recipe, photos, out_dir)
    finally:
        engine.close()


def paint_all(engine, recipe, photos, out_dir: Path) -> dict:
    """Paint ``photos`` on ``engine``, writing each output as it arrives; reading each file
    only when the engine has room for it. Returns counts and the nodes that painted."""
    from tqdm import tqdm

    from core.batch import PaintTask, output_path
    from core.progress import DONE

    tally = {"done": 0, "failed": 0, "nodes": set()}
    submitted = []
    bar = tqdm(total=len(photos), file=sys.stderr, unit="photo", dynamic_ncols=True,
               desc=f"{recipe.method} ({engine.name})")

    def fail(name: str, error: str) -> None:
        tally["failed"] += 1
        bar.write(f"failed: {name}: {error.removeprefix(f'photo {name}: ')}", file=sys.stderr)
        bar.update()

    def tasks():
        for photo in photos:
            try:
                data = read_photo(photo)
            except (UserError, OSError) as error:
                fail(photo.relative, str(error))
                continue
            submitted.append(photo)
            yield PaintTask(recipe, data, photo.relative)

    owner = f"cli-batch-{os.getpid()}"
    try:
        for index, view in engine.run_all(owner, tasks()):
            photo = submitted[index]
            if view.status != DONE:
                fail(photo.relative, view.error or view.status)
                continue
            path = output_path(out_dir, photo)
            path.parent.mkdir(parents=True, exist_ok=True)
            images.write_atomically(path, view.result.png)
            tally["done"] += 1
            tally["nodes"].add(view.node)
            bar.update()
    finally:
        bar.close()
    return tally


def read_photo(photo) -> bytes:
    """The file's bytes, refusing one over the size limit before reading it."""
    what = f"photo {photo.relative}"
    images.check_file_size(photo.path.stat().st_size, images.MAX_FILE_MB, what=what,
                           name=photo.path.name)
    return photo.path.read_bytes()


def batch_recipe(args):
    """The recipe the flags describe, or UserError naming the flags that do not fit."""
    from core.batch import BatchRecipe
    from core.validate import numbers_list

    method = chosen_method(args)
    files = [*(args.style or []), *(args.style_image or [])] if method == "classic" else (
        args.style_image or [])
    mix = None if args.mix is None else tuple(numbers_list(args.mix, "--mix"))
    if mix is not None and len(mix) != len(files):
        raise UserError(f"--mix needs one weight per painting ({len(files)}), got {len(mix)}")
    several = len(files) > 1
    paintings = tuple(images.load_image(path, what=f"style image {i}" if several else
                                        "style image") for i, path in enumerate(files, 1))
    style = args.style[0] if method == "trained" else None
    if style is not None:
        from core.fast.registry import find_model

        find_model(style)  # an unknown name is refused now, not once per photo
    return BatchRecipe(method, style=style, paintings=paintings,
                       painting_names=tuple(Path(path).name for path in files), mix=mix,
                       multistyle=args.multistyle, config=_config(method, args))


def chosen_method(args) -> str:
    if args.classic:
        if args.multistyle:
            raise UserError("--classic paints with paintings (--style or --style-image "
                            "files), not with --multistyle")
        if not (args.style or args.style_image):
            raise UserError("--classic needs at least one painting: --style PAINTING")
        return "classic"
    chosen = [flag for flag, value in (("--style", args.style), ("--style-image", args.style_image),
                                       ("--multistyle", args.multistyle)) if value]
    if len(chosen) != 1:
        raise UserError(f"give one of {METHOD_FLAGS} (got {' and '.join(chosen) or 'none'})")
    if args.style and len(args.style) > 1:
        raise UserError("--style names one trained network; to mix paintings give them as "
                        "--style-image, or use --classic")
    if args.mix is not None and not args.style_image:
        raise UserError("--mix weighs paintings; give them with --style-image")
    for flag, value in (("--iterations", args.iterations), ("--backbone", args.backbone)):
        if value is not None:
            raise UserError(f"{flag} is for the classic method (--classic)")
    return {"--style": "trained", "--style-image": "arbitrary"}.get(chosen[0], "multistyle")


def _config(method: str, args):
    import dataclasses

    from core.batch import default_config
    from core.classic import preset

    if method == "classic":
        for flag, value in (("--strength", args.strength), ("--keep-halos", args.keep_halos)):
            if value not in (None, False):
                raise UserError(f"{flag} is for the fast methods, not --classic")
        # No snapshots: nobody watches a batch item's run, and each would be encoded.
        return preset("recommended", size=args.size, precision=args.precision,
                      preserve_colors=args.preserve_colors or None, iterations=args.iterations,
                      backbone=args.backbone, snapshot_every=0)
    given = {"size": args.size, "strength": args.strength, "precision": args.precision,
             "preserve_colors": args.preserve_colors or None,
             "dehalo": False if args.keep_halos else None}
    return dataclasses.replace(default_config(method),
                               **{k: v for k, v in given.items() if v is not None})
