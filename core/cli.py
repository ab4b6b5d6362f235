"""Command line: ``python -m core classic | fast | styles | train-fast ...``.

Flags default to ``None`` and fall back to the chosen preset, so the dataclass stays the
only place where defaults live. Progress goes to stdout line by line; the last line is one
JSON object a script can parse. A user mistake ends with a one-line message and exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
import traceback
from pathlib import Path

from core import images, paintings
from core.backbone import BACKBONES, POOLINGS, PRECISIONS
from core.errors import UserError
from core.machine import cpu_name

USER_ERROR = 2
INTERNAL_ERROR = 1


def build_parser() -> argparse.ArgumentParser:
    from core.classic import INITS, OPTIMIZERS, PRESETS

    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    classic = commands.add_parser(
        "classic", help="paint a photo by optimisation (Gatys et al.)",
        description="Unset options take the preset's value "
                    f"(presets: {', '.join(PRESETS)}; default recommended).",
    )
    classic.add_argument("--content", required=True, help="photo to paint")
    classic.add_argument("--style", required=True, action="append",
                         help="painting; repeat for several styles")
    classic.add_argument("--style-weights", type=float, nargs="+",
                         help="blend weight per --style, in order")
    classic.add_argument("--out", required=True, help="output PNG path")
    classic.add_argument("--preset", default="recommended", choices=list(PRESETS))
    classic.add_argument("--size", type=int, help="longest side of the output, px")
    classic.add_argument("--optimizer", choices=OPTIMIZERS)
    classic.add_argument("--iterations", type=int)
    classic.add_argument("--max-seconds", type=float, help="time budget for the optimisation")
    classic.add_argument("--learning-rate", type=float, help="Adam's step size")
    classic.add_argument("--init", choices=[i for i in INITS if i != "image"])
    classic.add_argument("--content-weight", type=float)
    classic.add_argument("--style-weight", type=float)
    classic.add_argument("--tv-weight", type=float)
    classic.add_argument("--style-scale", type=float,
                         help="style image's longest side relative to the output's")
    classic.add_argument("--base-size", type=int,
                         help="larger outputs start at this size, then refine; 0: one scale")
    classic.add_argument("--refine-iterations", type=int,
                         help="iterations at each scale above the base size")
    classic.add_argument("--snapshot-every", type=int, help="iterations between snapshots")
    classic.add_argument("--snapshots-dir", help="write snapshot PNGs here")
    classic.add_argument("--seed", type=int)
    classic.add_argument("--backbone", choices=BACKBONES)
    classic.add_argument("--pooling", choices=POOLINGS)
    classic.add_argument("--precision", choices=PRECISIONS)
    classic.add_argument("--preserve-colors", action="store_true", default=None,
                         help="keep the photo's colours")
    _add_fast_commands(commands)
    return parser


def _add_fast_commands(commands) -> None:
    from core.fast.apply import FastConfig

    fast = commands.add_parser(
        "fast", help="paint a photo in one pass with a bundled network, any painting, or a "
                     "mix of 26 fixed styles",
        description="Give one of --style, --style-image (repeat it to mix paintings) or "
                    "--multistyle.")
    fast.add_argument("--content", required=True, help="photo to paint")
    fast.add_argument("--style", help="bundled style (see: python -m core styles)")
    fast.add_argument("--style-image", action="append", metavar="PAINTING",
                      help="any painting, through the arbitrary-style network; repeat to mix")
    fast.add_argument("--mix", metavar="W1,W2,...",
                      help="weight of each --style-image, in order (default: equal)")
    fast.add_argument("--multistyle", metavar="INDEX[:W],...",
                      help="styles 0-25 of the multi-style network, e.g. 3:0.5,12:0.5")
    fast.add_argument("--out", required=True, help="output PNG path")
    fast.add_argument("--size", type=int, default=FastConfig.size,
                      help=f"longest side of the output, px (default {FastConfig.size})")
    fast.add_argument("--strength", type=float, default=FastConfig.strength,
                      help="0 keeps the photo, 1 is the full painting (with --style-image: "
                           "0 paints with the photo's own style)")
    fast.add_argument("--preserve-colors", action="store_true", help="keep the photo's colours")
    fast.add_argument("--precision", choices=PRECISIONS, default=FastConfig.precision)

    commands.add_parser("styles", help="list the bundled style networks")
    _add_train_command(commands)


def _add_train_command(commands) -> None:
    from core.fast.network import NetworkShape
    from core.fast.train import TrainConfig

    defaults, shape = TrainConfig(), NetworkShape()
    train = commands.add_parser(
        "train-fast", help="train a style network on a folder of photos",
        description="Checkpoints go to --checkpoint-dir; running the same command again "
                    "resumes from there (--fresh starts over).")
    train.add_argument("--style", required=True, help="the painting")
    train.add_argument("--photos", required=True, help="folder of training photos")
    train.add_argument("--out", required=True, help="weights file, NAME.weights.h5")
    train.add_argument("--checkpoint-dir", help="default: runs/NAME under the current folder")
    train.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint")
    train.add_argument("--warm-start", metavar="WEIGHTS",
                       help="start from another network's weights (same width and depth)")
    for flag, kind in (("steps", int), ("batch", int), ("crop", int), ("style_size", int),
                       ("content_layer", str), ("content_weight", float),
                       ("style_weight", float), ("tv_weight", float),
                       ("learning_rate", float), ("seed", int), ("checkpoint_every", int),
                       ("preview_every", int)):
        train.add_argument("--" + flag.replace("_", "-"), type=kind,
                           default=getattr(defaults, flag),
                           help=f"default {getattr(defaults, flag)}")
    train.add_argument("--style-layers", nargs="+", metavar="LAYER:WEIGHT",
                       default=[f"{n}:{w:g}" for n, w in defaults.style_layers],
                       help="default " + " ".join(f"{n}:{w:g}" for n, w in defaults.style_layers))
    train.add_argument("--width", type=int, default=shape.width, help="network width")
    train.add_argument("--residual-blocks", type=int, default=shape.residual_blocks)
    train.add_argument("--backbone", choices=BACKBONES, default=defaults.backbone)
    train.add_argument("--precision", choices=PRECISIONS, default=defaults.precision,
                       help="the loss network's compute precision")
    bundled = "default: a bundled painting's record (styles/paintings.json), else unknown"
    train.add_argument("--display-name", help="the painting's title (manifest); " + bundled)
    train.add_argument("--artist", help=bundled)
    train.add_argument("--year", help=bundled)
    train.add_argument("--licence", help="the painting's licence; " + bundled)
    train.add_argument("--note", help="a sentence for the manifest, e.g. how far it got")


def run_classic(args) -> dict:
    from core.classic import Progress, Started, StartImage, preset, stylize

    config = preset(
        args.preset,
        size=args.size, optimizer=args.optimizer, iterations=args.iterations,
        max_seconds=args.max_seconds, learning_rate=args.learning_rate, init=args.init,
        content_weight=args.content_weight, style_weight=args.style_weight,
        tv_weight=args.tv_weight, style_scale=args.style_scale,
        snapshot_every=args.snapshot_every, seed=args.seed, backbone=args.backbone,
        pooling=args.pooling, precision=args.precision, preserve_colors=args.preserve_colors,
        base_size=args.base_size or None, refine_iterations=args.refine_iterations,
    )
    if args.base_size == 0:
        config = dataclasses.replace(config, base_size=None)
    out = _output_path(args.out)
    snapshots_dir = _snapshots_dir(args.snapshots_dir)
    content = images.load_image(args.content, what="content image")
    styles = [
        images.load_image(path, what=f"style image {i}" if len(args.style) > 1 else "style image")
        for i, path in enumerate(args.style, 1)
    ]

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
                images.save_png(event.snapshot, snapshots_dir / f"{event.iteration:05d}.png")
        elif isinstance(event, StartImage) and snapshots_dir is not None:
            # Iteration 0, the starting picture: a file, but no progress line (no losses yet).
            images.save_png(event.snapshot, snapshots_dir / f"{event.iteration:05d}.png")

    result = stylize(content, styles, config, style_blend=args.style_weights, on_event=report)
    images.save_png(result.image, out)
    return {**result.summary(), "output": str(out)}


def run_fast(args) -> dict:
    chosen = [flag for flag, value in (("--style", args.style), ("--style-image", args.style_image),
                                       ("--multistyle", args.multistyle)) if value]
    if len(chosen) != 1:
        raise UserError("give one of --style NAME, --style-image PAINTING or "
                         f"--multistyle INDEX[:W],... (got {' and '.join(chosen) or 'none'})")
    if args.mix is not None and not args.style_image:
        raise UserError("--mix weighs --style-image paintings; give those too")
    if args.style_image:
        return run_arbitrary(args)
    if args.multistyle:
        return run_multistyle(args)
    return run_bundled(args)


def run_bundled(args) -> dict:
    from core.fast.apply import FastConfig, compiled, paint
    from core.fast.registry import find_model, load_transformer

    config = FastConfig(size=args.size, strength=args.strength,
                        preserve_colors=args.preserve_colors, precision=args.precision)
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
    images.save_png(result.image, out)
    height, width = result.image.shape[:2]
    return {"style": model.name, "size": [width, height], "seconds": round(result.seconds, 3),
            "load_seconds": round(load_seconds, 3), "precision": config.precision,
            "output": str(out)}


def run_arbitrary(args) -> dict:
    from core.fast import arbitrary
    from core.fast.apply import compiled

    config = arbitrary.ArbitraryConfig(size=args.size, strength=args.strength,
                                       preserve_colors=args.preserve_colors,
                                       precision=args.precision)
    mix = None if args.mix is None else _numbers(args.mix, "--mix")
    if mix is not None and len(mix) != len(args.style_image):
        raise UserError(f"--mix needs one weight per --style-image ({len(args.style_image)}), "
                         f"got {len(mix)}")
    out = _output_path(args.out)
    content = images.load_image(args.content, what="content image")
    several = len(args.style_image) > 1
    paintings = [images.load_image(path, what=f"style image {i}" if several else "style image")
                 for i, path in enumerate(args.style_image, 1)]
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
    images.save_png(result.image, out)
    height, width = result.image.shape[:2]
    return {"network": arbitrary.TRANSFORMER,
            "paintings": [Path(path).name for path in args.style_image],
            "mix": mix, "strength": config.strength, "size": [width, height],
            "seconds": round(result.seconds, 3), "load_seconds": round(load_seconds, 3),
            "precision": config.precision, "output": str(out)}


def run_multistyle(args) -> dict:
    from core.fast import arbitrary
    from core.fast.apply import compiled

    config = arbitrary.ArbitraryConfig(size=args.size, strength=args.strength,
                                       preserve_colors=args.preserve_colors,
                                       precision=args.precision)
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
    images.save_png(painted, out)
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


def run_train_fast(args) -> dict:
    import keras

    from core.fast import train as training
    from core.fast.photos import load_photos
    from core.fast.registry import WEIGHTS_SUFFIX, lineage, write_manifest

    out = Path(args.out)
    if not out.name.endswith(WEIGHTS_SUFFIX):
        raise UserError(f"--out must end in {WEIGHTS_SUFFIX} (got {args.out})")
    if not out.parent.is_dir():
        raise UserError(f"the folder for --out does not exist: {out.parent}")
    name = out.name.removesuffix(WEIGHTS_SUFFIX)
    config = _train_config(args)
    style = images.load_image(args.style, what="style image")
    photos, held_out = load_photos(args.photos)
    transformer, result = training.train(
        style, photos, held_out, config, Path(args.checkpoint_dir or Path("runs") / name),
        on_event=_train_reporter(max(1, min(25, config.steps // 20))),
        resume=not args.fresh, warm_start=args.warm_start)
    transformer.save_weights(out)
    manifest = write_manifest(
        out, **_painting_credits(args), backbone=result.backbone.name, steps=result.steps,
        batch=config.batch, training_seconds=round(result.seconds),
        machine=f"{cpu_name()}, {os.cpu_count()} cores, keras {keras.__version__} "
                f"({keras.backend.backend()} backend)",
        network=config.network.to_dict(), training=config.to_dict(),
        style_layer_balance=result.balance,
        **lineage(args.warm_start, result.steps, round(result.seconds)),
        trained=time.strftime("%Y-%m-%d"),
        **({"note": args.note} if args.note else {}),
    )
    return {"style": name, "weights": str(out), "manifest": str(manifest),
            "steps": result.steps, "seconds": round(result.seconds),
            "backbone": result.backbone.name}


def _train_config(args):
    from core.fast import train as training
    from core.fast.network import NetworkShape

    return training.TrainConfig(
        steps=args.steps, batch=args.batch, crop=args.crop, style_size=args.style_size,
        content_layer=args.content_layer, style_layers=_layer_weights(args.style_layers),
        content_weight=args.content_weight,
        style_weight=args.style_weight, tv_weight=args.tv_weight,
        learning_rate=args.learning_rate, seed=args.seed, backbone=args.backbone,
        precision=args.precision, checkpoint_every=args.checkpoint_every,
        preview_every=args.preview_every,
        network=NetworkShape(width=args.width, residual_blocks=args.residual_blocks),
    )


def _painting_credits(args) -> dict:
    """The manifest's painting fields: the flags, else the bundled painting's one record
    (styles/paintings.json), else the file name."""
    file_name = Path(args.style).name
    record = paintings.find(file_name)
    return {
        "painting": file_name,
        "display_name": args.display_name or (record.title if record else
                                              Path(file_name).stem.replace("_", " ").title()),
        "artist": args.artist or (record.artist if record else "unknown"),
        "year": args.year or (record.year if record else "unknown"),
        "licence": args.licence or (record.licence if record else "unknown"),
    }


def _train_reporter(every: int):
    """Prints training's start, every ``every``-th step and each preview, a line each."""
    from core.fast import train as training

    def report(event):
        if isinstance(event, training.TrainStarted):
            resumed = f"; resuming at step {event.first_step}" if event.first_step else ""
            print(f"backbone: {event.backbone.label} ({event.backbone.reason}); "
                  f"{event.photos} training photos, {event.held_out} held out; "
                  f"{event.parameters:,} parameters{resumed}", flush=True)
        elif isinstance(event, training.TrainProgress) and (
                event.step % every == 0 or event.step == event.steps):
            losses = event.losses
            print(f"step {event.step}/{event.steps}  {event.elapsed:7.0f}s  "
                  f"{event.seconds_per_step:.2f} s/step  ETA {event.eta_seconds / 60:.1f} min  "
                  f"content {losses.content:.4g}  style {losses.style:.4g}  tv {losses.tv:.4g}",
                  flush=True)
        elif isinstance(event, training.TrainPreview):
            print(f"preview: {event.path}", flush=True)

    return report


def _layer_weights(pairs: list[str]) -> tuple[tuple[str, float], ...]:
    """['conv1_2:1', 'conv2_2:0.5'] -> (('conv1_2', 1.0), ('conv2_2', 0.5))."""
    parsed = []
    for pair in pairs:
        name, _, weight = pair.partition(":")
        try:
            parsed.append((name, float(weight or 1.0)))
        except ValueError:
            raise UserError(f"--style-layers takes LAYER:WEIGHT pairs (got {pair!r})") from None
    return tuple(parsed)


def _numbers(text: str, flag: str) -> list[float]:
    """'0.7,0.3' -> [0.7, 0.3]."""
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise UserError(f"{flag} takes numbers separated by commas, e.g. 0.7,0.3 "
                         f"(got {text!r})") from None


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


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    commands = {"classic": run_classic, "fast": run_fast, "styles": run_styles,
                "train-fast": run_train_fast}
    try:
        summary = commands[args.command](args)
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
    print(json.dumps(summary), flush=True)
    return 0
