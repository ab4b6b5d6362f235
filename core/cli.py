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
import traceback
from pathlib import Path

from core import batch_command, fast_command, images, quiet, train_command, video_command
from core.backbone import BACKBONES, POOLINGS, PRECISIONS
from core.command_inputs import (
    MASKS_HELP,
    RECIPE_HELP,
    add_output_flags,
    finest,
    load_masks,
    load_paintings,
    output_path,
    read_recipe,
    recipe_config,
)
from core.errors import UserError

USER_ERROR = 2
INTERNAL_ERROR = 1


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
                         help="blend weight per --style, in order (with --masks: each "
                              "region's style strength)")
    classic.add_argument("--masks", nargs="+", metavar="MASK", help=MASKS_HELP.format(
        what="--style"))
    add_output_flags(classic)
    classic.add_argument("--preset", choices=list(PRESETS),
                         help="default: recommended, or the --recipe's settings")
    classic.add_argument("--recipe", metavar="FILE.png", help=RECIPE_HELP)
    classic.add_argument("--snapshots-dir", help="write snapshot PNGs here")
    _add_config_flags(classic)
    fast_command.add_command(commands)
    batch_command.add_command(commands)
    video_command.add_command(commands)
    train_command.add_command(commands)
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


def run_classic(args) -> dict:
    from core.classic import Progress, Started, StartImage, preset, stylize
    from core.picture_recipe import PictureRecipe

    overrides = {name: getattr(args, name) for name in CLASSIC_FLAGS}
    if args.base_size == 0:  # "0: one scale"
        overrides["base_size"] = None
    recipe = read_recipe(args.recipe, "classic")
    if recipe is not None and args.preset is None:
        config = dataclasses.replace(recipe_config(recipe),
                                     **{k: v for k, v in overrides.items() if v is not None})
    else:
        config = preset(args.preset or "recommended", **overrides)
    out = output_path(args.out, args.bit_depth)
    snapshots_dir = _snapshots_dir(args.snapshots_dir)
    content = images.load_image(args.content, what="content image")
    names, styles = load_paintings(args.style, recipe, "--style")
    blend = args.style_weights if args.style_weights or recipe is None else recipe.mix
    # the recipe's regions only with its paintings (no --style given)
    masks = load_masks(args.masks, None if args.style else recipe, content, names)
    made = PictureRecipe.of("classic", config, names, styles, masks,
                            mix=tuple(blend) if blend else None)
    estimate = estimate_line(config, content, masks is not None)  # refuses what cannot fit

    def report(event):
        if isinstance(event, Started):
            print(f"backbone: {event.backbone.label} ({event.backbone.reason}); "
                  f"precision {event.precision}; output {event.width}x{event.height}; "
                  f"set-up {event.setup_seconds:.1f}s", flush=True)
            print(estimate, flush=True)
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

    result = stylize(content, styles, config, style_blend=blend, masks=masks, on_event=report)
    dataclasses.replace(made, backbone=result.backbone.name).save(
        finest(result, args.bit_depth), out, args.bit_depth)
    return {**result.summary(), "output": str(out), "bit_depth": args.bit_depth}


def estimate_line(config, content, regions: bool) -> str:
    """'estimate: about 14 min; about 5.1 GiB of memory at its peak (...)', or a UserError
    when this machine cannot hold the run."""
    from core import memory
    from core.estimates import estimate_seconds

    height, width = content.shape[:2]
    peak = memory.classic_peak(config, width, height, regions)
    memory.check_fits(peak, "This run")
    seconds = estimate_seconds(config, width, height).seconds
    took = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
    return f"estimate: about {took} on a 2-core AMD EPYC (BENCHMARKS.md); {peak.text()}"


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
    commands = {"classic": run_classic, "fast": fast_command.run, "styles": fast_command.run_styles,
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
