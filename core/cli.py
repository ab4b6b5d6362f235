"""Command line: ``python -m core classic | fast | batch | video | styles | train-fast ...``.

Flags default to ``None`` and fall back to the chosen preset, so the dataclass stays the
only place where defaults live. Only the product's own lines are printed: TensorFlow's
start-up and log lines show with ``--verbose``. Progress goes to stdout line by line; the
last line is one JSON object a script can parse. A person's mistake (``core.errors``) ends
with a one-line message and exit code 2; a bug with its traceback and exit code 1.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import sys
import time
import traceback
from pathlib import Path

from core import batch_command, images, quiet, train_command, video_command
from core.backbone import BACKBONES, POOLINGS, PRECISIONS
from core.errors import UserError
from core.validate import numbers_list

USER_ERROR = 2
INTERNAL_ERROR = 1
RECIPE_HELP = ("a PNG the studio wrote: its recipe (settings, paintings) sets this run up "
               "again; flags given here override it")


def build_parser() -> argparse.ArgumentParser:
    from core.classic import PRESETS

    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser = functools.partial(commands.add_parser, parents=[_verbose_flag()])
    classic = commands.add_parser(
        "classic", help="paint a photo by optimisation (Gatys et al.)",
        description="Unset options take the preset's value "
                    f"(presets: {', '.join(PRESETS)}; default recommended).",
    )
    classic.add_argument("--content", required=True, help="photo to paint")
    classic.add_argument("--style", action="append",
                         help="painting; repeat for several styles (with --recipe: the "
                              "recipe's, where bundled)")
    classic.add_argument("--style-weights", type=float, nargs="+",
                         help="blend weight per --style, in order")
    classic.add_argument("--out", required=True, help="output PNG path")
    classic.add_argument("--preset", choices=list(PRESETS),
                         help="default: recommended, or the --recipe's settings")
    classic.add_argument("--recipe", metavar="FILE.png", help=RECIPE_HELP)
    classic.add_argument("--snapshots-dir", help="write snapshot PNGs here")
    _add_config_flags(classic)
    _add_fast_commands(commands)
    return parser


# The ClassicConfig fields the command line sets, with what their flags say. The flags are
# built from the dataclass (type, choices) and default to None: an unset flag takes the
# preset's value, so every default is written once, in core/classic/config.py.
CLASSIC_FLAGS = {
    "size": "longest side of the output, px",
    "optimizer": None,
    "iterations": None,
    "max_seconds": "time budget for the optimisation",
    "learning_rate": "Adam's step size",
    "init": None,
    "content_weight": None,
    "style_weight": None,
    "tv_weight": None,
    "style_scale": "style image's longest side relative to the output's",
    "base_size": "larger outputs start at this size, then refine; 0: one scale",
    "refine_iterations": "iterations at each scale above the base size",
    "snapshot_every": "iterations between snapshots",
    "seed": None,
    "backbone": None,
    "pooling": None,
    "precision": None,
    "preserve_colors": "keep the photo's colours",
}


def _add_config_flags(parser) -> None:
    from core.classic import INITS, OPTIMIZERS, ClassicConfig

    choices = {"optimizer": OPTIMIZERS, "init": [i for i in INITS if i != "image"],
               "backbone": BACKBONES, "pooling": POOLINGS, "precision": PRECISIONS}
    fields = {field.name: field for field in dataclasses.fields(ClassicConfig)}
    for name, help_text in CLASSIC_FLAGS.items():
        flag, kind = "--" + name.replace("_", "-"), str(fields[name].type)
        if kind == "bool":
            parser.add_argument(flag, action="store_true", default=None, help=help_text)
        elif name in choices:
            parser.add_argument(flag, choices=choices[name], help=help_text)
        else:
            number = int if kind.startswith("int") else float
            parser.add_argument(flag, type=number, help=help_text)


def _add_fast_commands(commands) -> None:
    from core.fast.apply import FastConfig

    fast = commands.add_parser(
        "fast", help="paint a photo in one pass with a bundled network, any painting, or a "
                     "mix of 26 fixed styles",
        description="Give one of --style, --style-image (repeat it to mix paintings) or "
                    "--multistyle.")
    fast.add_argument("--content", required=True, help="photo to paint")
    fast.add_argument("--recipe", metavar="FILE.png", help=RECIPE_HELP)
    fast.add_argument("--style", help="bundled style (see: python -m core styles)")
    fast.add_argument("--style-image", action="append", metavar="PAINTING",
                      help="any painting, through the arbitrary-style network; repeat to mix")
    fast.add_argument("--mix", metavar="W1,W2,...",
                      help="weight of each --style-image, in order (default: equal)")
    fast.add_argument("--multistyle", metavar="INDEX[:W],...",
                      help="styles 0-25 of the multi-style network, e.g. 3:0.5,12:0.5")
    fast.add_argument("--out", required=True, help="output PNG path")
    fast.add_argument("--size", type=int,
                      help=f"longest side of the output, px (default {FastConfig.size})")
    fast.add_argument("--strength", type=float,
                      help="0 keeps the photo, 1 is the full painting (with --style-image: "
                           f"0 paints with the photo's own style; default {FastConfig.strength})")
    fast.add_argument("--preserve-colors", action="store_true", default=None,
                      help="keep the photo's colours")
    fast.add_argument("--precision", choices=PRECISIONS,
                      help=f"default {FastConfig.precision}")

    commands.add_parser("styles", help="list the bundled style networks")
    batch_command.add_command(commands)
    video_command.add_command(commands)
    train_command.add_command(commands)


def run_classic(args) -> dict:
    from core.classic import Progress, Started, StartImage, preset, stylize
    from core.picture_recipe import PictureRecipe

    overrides = {name: getattr(args, name) for name in CLASSIC_FLAGS}
    if args.base_size == 0:  # "0: one scale"
        overrides["base_size"] = None
    recipe = _read_recipe(args.recipe, "classic")
    if recipe is not None and args.preset is None:
        config = dataclasses.replace(_recipe_config(recipe),
                                     **{k: v for k, v in overrides.items() if v is not None})
    else:
        config = preset(args.preset or "recommended", **overrides)
    out = _output_path(args.out)
    snapshots_dir = _snapshots_dir(args.snapshots_dir)
    content = images.load_image(args.content, what="content image")
    names, styles = _paintings(args.style, recipe, "--style")
    blend = args.style_weights if args.style_weights or recipe is None else recipe.mix
    made = PictureRecipe.of("classic", config, names, styles,
                            mix=tuple(blend) if blend else None)

    def report(event):
        if isinstance(event, Started):
            print(f"backbone: {event.backbone.label} ({event.backbone.reason}); "
                  f"precision {event.precision}; output {event.width}x{event.height}; "
                  f"set-up {event.setup_seconds:.1f}s", flush=True)
        elif isinstance(event, Progress):
            planned = f"/{event.total}" if event.total else ""
            losses = event.losses
            print(f"iteration {event.iteration}{planned}  {event.elapsed:7.1f}s  "
                  f"total {losses.total:.4g}  content {losses.content:.4g}  "
                  f"style {losses.style:.4g}  tv {losses.tv:.4g}", flush=True)
            if event.snapshot is not None and snapshots_dir is not None:
                made.save(event.snapshot, snapshots_dir / f"{event.iteration:05d}.png")
        elif isinstance(event, StartImage) and snapshots_dir is not None:
            # Iteration 0, the starting picture: a file, but no progress line (no losses yet).
            made.save(event.snapshot, snapshots_dir / f"{event.iteration:05d}.png")

    result = stylize(content, styles, config, style_blend=blend, on_event=report)
    dataclasses.replace(made, backbone=result.backbone.name).save(result.image, out)
    return {**result.summary(), "output": str(out)}


def _read_recipe(path: str | None, command: str):
    """The recipe in ``--recipe FILE.png``, or None; a recipe for another command is refused."""
    if path is None:
        return None
    from core import picture_recipe

    recipe = picture_recipe.read(path, what=f"--recipe {path}")
    wanted = ("classic",) if command == "classic" else ("arbitrary", "multistyle", "trained")
    if recipe.method not in wanted:
        other = "classic" if recipe.method == "classic" else "fast"
        raise UserError(f"--recipe {path} is a {recipe.method} picture's: repeat it with "
                        f"python -m core {other}")
    return recipe


def _recipe_config(recipe):
    notes: list[str] = []
    config = recipe.config(notes)
    for note in notes:
        print(f"recipe: {note}", flush=True)
    return config


def _paintings(paths, recipe, flag: str) -> tuple[list[str], list]:
    """(names, pixels) of the paintings: the flag's files, else the recipe's bundled ones."""
    if paths:
        several = len(paths) > 1
        return [Path(path).name for path in paths], [
            images.load_image(path, what=f"style image {i}" if several else "style image")
            for i, path in enumerate(paths, 1)]
    if recipe is None or not recipe.paintings:
        raise UserError(f"give the painting with {flag} (or a picture's recipe with --recipe)")
    missing = [ref for ref in recipe.paintings if ref.bundled_file is None]
    if missing:
        raise UserError(f"the recipe's painting {missing[0].name} (sha256 "
                        f"{missing[0].sha256[:12]}) is not bundled: give it with {flag}")
    files = [ref.bundled_file for ref in recipe.paintings]
    return [ref.name for ref in recipe.paintings], [images.load_image(p) for p in files]


FAST_METHODS = {"--style": "trained", "--style-image": "arbitrary", "--multistyle": "multistyle"}


def run_fast(args) -> dict:
    recipe = _read_recipe(args.recipe, "fast")
    chosen = [flag for flag, value in (("--style", args.style), ("--style-image", args.style_image),
                                       ("--multistyle", args.multistyle)) if value]
    if recipe is not None and not chosen:  # the recipe's method, paintings and settings
        method = recipe.method
        args.style, args.multistyle = recipe.style, recipe.multistyle
    elif len(chosen) != 1:
        raise UserError("give one of --style NAME, --style-image PAINTING or "
                         f"--multistyle INDEX[:W],... (got {' and '.join(chosen) or 'none'})")
    else:
        method = FAST_METHODS[chosen[0]]
    if args.mix is not None and method != "arbitrary":
        raise UserError("--mix weighs --style-image paintings; give those too")
    base = _recipe_config(recipe) if recipe is not None and recipe.method == method else None
    if method == "arbitrary":
        return run_arbitrary(args, recipe, base)
    if method == "multistyle":
        return run_multistyle(args, base)
    return run_bundled(args, base)


def _fast_config(config_class, args, base=None):
    """The recipe's settings (or the defaults) with the flags given laid over them."""
    given = {name: getattr(args, name) for name in ("size", "strength", "preserve_colors",
                                                    "precision")
             if getattr(args, name) is not None}
    return dataclasses.replace(base or config_class(), **given)


def run_bundled(args, base=None) -> dict:
    from core.fast.apply import FastConfig, compiled, paint
    from core.fast.registry import find_model, load_transformer
    from core.picture_recipe import PictureRecipe

    config = _fast_config(FastConfig, args, base)
    out = _output_path(args.out)
    model = find_model(args.style)
    content = images.load_image(args.content, what="content image")
    started = time.perf_counter()
    transformer = compiled(load_transformer(model, config.precision))
    load_seconds = time.perf_counter() - started
    print(f"style network {model.name}: {model.label} (trained on "
          f"{model.manifest.get('backbone', 'unknown backbone')} features); "
          f"loaded in {load_seconds:.1f}s", flush=True)
    result = paint(transformer, content, config)
    PictureRecipe.of("trained", config, style=model.name).save(result.image, out)
    height, width = result.image.shape[:2]
    return {"style": model.name, "size": [width, height], "seconds": round(result.seconds, 3),
            "load_seconds": round(load_seconds, 3), "precision": config.precision,
            "output": str(out)}


def run_arbitrary(args, recipe=None, base=None) -> dict:
    from core.fast import arbitrary
    from core.fast.apply import compiled
    from core.picture_recipe import PictureRecipe

    config = _fast_config(arbitrary.ArbitraryConfig, args, base)
    out = _output_path(args.out)
    content = images.load_image(args.content, what="content image")
    names, paintings = _paintings(args.style_image, recipe, "--style-image")
    several = len(paintings) > 1
    if args.mix is not None:
        mix = numbers_list(args.mix, "--mix")
    else:
        mix = list(recipe.mix) if recipe is not None and recipe.mix and not args.style_image \
            else None
    if mix is not None and len(mix) != len(paintings):
        raise UserError(f"--mix needs one weight per --style-image ({len(paintings)}), "
                         f"got {len(mix)}")
    started = time.perf_counter()
    predictor = arbitrary.load_style_predictor()
    transformer = compiled(arbitrary.load_arbitrary_transformer(config.precision))
    load_seconds = time.perf_counter() - started
    source = arbitrary.converted_manifest(arbitrary.TRANSFORMER)["source"]
    print(f"arbitrary-style network (Magenta, Ghiasi et al. 2017; from {source['package']} "
          f"{source['version']}): {len(paintings)} painting{'s' if several else ''}"
          f"{' mixed ' + ', '.join(f'{w:g}' for w in mix) if mix else ''}; "
          f"loaded in {load_seconds:.1f}s", flush=True)
    result = arbitrary.paint_with_paintings(predictor, transformer, content, paintings, mix,
                                            config)
    PictureRecipe.of("arbitrary", config, names, paintings,
                     mix=tuple(mix) if mix else None).save(result.image, out)
    height, width = result.image.shape[:2]
    return {"network": arbitrary.TRANSFORMER, "paintings": names,
            "mix": mix, "strength": config.strength, "size": [width, height],
            "seconds": round(result.seconds, 3), "load_seconds": round(load_seconds, 3),
            "precision": config.precision, "output": str(out)}


def run_multistyle(args, base=None) -> dict:
    from core.fast import arbitrary
    from core.fast.apply import compiled
    from core.picture_recipe import PictureRecipe

    config = _fast_config(arbitrary.ArbitraryConfig, args, base)
    choices = arbitrary.multistyle_choices(args.multistyle)
    weights = arbitrary.multistyle_weights(choices)
    out = _output_path(args.out)
    content = images.load_image(args.content, what="content image")
    started = time.perf_counter()
    network = compiled(arbitrary.load_multistyle_transformer(config.precision))
    load_seconds = time.perf_counter() - started
    print(f"multi-style network (Dumoulin et al. 2017, {arbitrary.MULTISTYLE_COUNT} styles): "
          + ", ".join(f"style {i} {weights[i]:.2g}" for i in sorted(choices))
          + f"; loaded in {load_seconds:.1f}s", flush=True)
    started = time.perf_counter()
    painted = arbitrary.paint_multistyle(network, content, weights, config)
    seconds = time.perf_counter() - started
    PictureRecipe.of("multistyle", config, multistyle=args.multistyle).save(painted, out)
    height, width = painted.shape[:2]
    return {"network": arbitrary.MULTISTYLE,
            "styles": {str(i): round(float(weights[i]), 4) for i in sorted(choices)},
            "strength": config.strength, "size": [width, height], "seconds": round(seconds, 3),
            "load_seconds": round(load_seconds, 3), "precision": config.precision,
            "output": str(out)}


def run_styles(args) -> dict:
    from core.fast.registry import bundled_models

    models = bundled_models()
    for model in models:
        steps = model.manifest.get("total_steps", model.manifest.get("steps", "?"))
        print(f"{model.name:24s} {model.label}  ({steps} training steps)")
    if not models:
        print("no style networks bundled (train one: python -m core train-fast --help)")
    return {"styles": [model.name for model in models]}


def _output_path(path: str) -> Path:
    out = Path(path)
    if out.suffix.lower() != ".png":
        raise UserError(f"--out must name a .png file (got {path})")
    if not out.parent.is_dir():
        raise UserError(f"the folder for --out does not exist: {out.parent}")
    return out


def _snapshots_dir(path: str | None) -> Path | None:
    if path is None:
        return None
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _verbose_flag() -> argparse.ArgumentParser:
    flag = argparse.ArgumentParser(add_help=False)
    flag.add_argument("--verbose", action="store_true",
                      help="also show TensorFlow's own start-up and log lines")
    return flag


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--verbose" in argv:  # before anything imports TensorFlow (building the parser does)
        os.environ[quiet.VERBOSE_ENV] = "1"
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0")
    args = build_parser().parse_args(argv)
    commands = {"classic": run_classic, "fast": run_fast, "styles": run_styles,
                "batch": batch_command.run, "video": video_command.run,
                "train-fast": train_command.run}
    try:
        outcome = commands[args.command](args)
    except (UserError, OSError) as error:  # a mistake, or a file the person named: one line
        print(f"error: {error}", file=sys.stderr)
        return USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug (a stray ValueError from a library too): say so
        traceback.print_exc()
        print(f"internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return INTERNAL_ERROR
    # A command returns its summary, or (summary, exit code) where a run that went to the
    # end can still fail (a batch with photos it could not paint).
    summary, code = outcome if isinstance(outcome, tuple) else (outcome, 0)
    print(json.dumps(summary), flush=True)
    return code
