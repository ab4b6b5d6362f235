"""``python -m core train-fast``: its flags, built from ``TrainConfig`` and ``NetworkShape``
(a default is written once, there), and its run: train, save, write the manifest."""

from __future__ import annotations

from pathlib import Path

from core import images, paintings
from core.backbone import BACKBONES, PRECISIONS
from core.errors import UserError

# train-fast's flags for TrainConfig's fields, and for NetworkShape's (the network's)
FIELDS = (("steps", int), ("distil_steps", int), ("distil_batch", int), ("dither", float),
          ("batch", int), ("crop", int), ("style_size", int), ("content_layer", str),
          ("content_weight", float), ("style_weight", float), ("tv_weight", float),
          ("laplacian_weight", float), ("laplacian_pool", int), ("glow_weight", float),
          ("texture_weight", float), ("sleeve_weight", float), ("teacher_weight", float),
          ("pattern_weight", float), ("calm_share", float), ("banding_weight", float),
          ("frozen_depth", int),
          ("learning_rate", float),
          ("seed", int), ("checkpoint_every", int), ("preview_every", int))
SHAPE_FIELDS = (("width", int, "network width"), ("residual_blocks", int, ""),
                ("edge_kernel", int, "the first and last convolution's kernel"))


def add_command(commands) -> None:
    from core.fast.settings import DESIGNS, JOHNSON, TrainConfig

    # A flag left out takes the chosen design's default (TrainConfig.of_design); the help
    # says both where they differ.
    designs = {design: TrainConfig.of_design(design) for design in DESIGNS}
    default_design = TrainConfig().network.design

    def default_text(read) -> str:
        values = {design: read(config) for design, config in designs.items()}
        if len(set(map(str, values.values()))) == 1:
            return f"default {values[default_design]}"
        return "default " + ", ".join(f"{value} ({design})" for design, value in values.items())

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
                       help="start from another network's weights (same design and shape)")
    train.add_argument("--design", choices=DESIGNS, default=default_design,
                       help=f"default {default_design}: the any-painting network's layers, "
                            f"starting from its weights; {JOHNSON}: Johnson et al.'s, from "
                            "random weights, learning first from the any-painting network "
                            "(--distil-steps) as the first recipe of issue 21 did")
    for name, kind in FIELDS:
        train.add_argument("--" + name.replace("_", "-"), type=kind,
                           help=default_text(lambda config, name=name: getattr(config, name)))
    for name, kind, what in SHAPE_FIELDS:
        help_text = default_text(lambda config, name=name: getattr(config.network, name))
        train.add_argument("--" + name.replace("_", "-"), type=kind,
                           help=f"{what}; {help_text}" if what else help_text)
    defaults = designs[default_design]
    train.add_argument("--style-layers", nargs="+", metavar="LAYER:WEIGHT",
                       default=[f"{n}:{w:g}" for n, w in defaults.style_layers],
                       help="default " + " ".join(f"{n}:{w:g}" for n, w in defaults.style_layers))
    train.add_argument("--backbone", choices=BACKBONES, default=defaults.backbone)
    train.add_argument("--precision", choices=PRECISIONS, default=defaults.precision,
                       help="the loss network's compute precision")
    bundled = "default: a bundled painting's record (styles/paintings.json), else unknown"
    train.add_argument("--display-name", help="the painting's title (manifest); " + bundled)
    train.add_argument("--artist", help=bundled)
    train.add_argument("--year", help=bundled)
    train.add_argument("--licence", help="the painting's licence; " + bundled)
    train.add_argument("--note", help="a sentence for the manifest, e.g. how far it got")


def run(args) -> dict:
    from core.fast import train as training
    from core.fast.photos import load_photos
    from core.fast.registry import WEIGHTS_SUFFIX, save_network

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
    style_path = Path(args.style).resolve()
    bundled = style_path.parent == paintings.RECORD.parent  # a painting in styles/
    credits = paintings.credits(style_path.name, bundled=bundled,
                                title=args.display_name,
                                artist=args.artist, year=args.year, licence=args.licence)
    manifest = save_network(transformer, result, config, out, credits,
                            warm_start=args.warm_start, note=args.note)
    return {"style": name, "weights": str(out), "manifest": str(manifest),
            "steps": result.steps, "seconds": round(result.seconds),
            "backbone": result.backbone.name}


def _train_config(args):
    """TrainConfig from the flags given, the design's defaults for the rest."""
    import dataclasses

    from core.fast import train as training

    defaults = training.TrainConfig.of_design(args.design)
    given = {name: getattr(args, name) for name, _ in FIELDS if getattr(args, name) is not None}
    shape = {name: getattr(args, name) for name, _, _ in SHAPE_FIELDS
             if getattr(args, name) is not None}
    return dataclasses.replace(
        defaults, **given, style_layers=_layer_weights(args.style_layers),
        backbone=args.backbone, precision=args.precision,
        network=dataclasses.replace(defaults.network, **shape))


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
            measured = (f"pixel error {event.pixel_error:.2f}" if losses is None else
                        f"content {losses.content:.4g}  style {losses.style:.4g}  "
                        f"tv {losses.tv:.4g}")
            for term in training.OPTIONAL_TERMS:
                if getattr(event, term) is not None:
                    measured += f"  {term} {getattr(event, term):.4g}"
            print(f"step {event.step}/{event.steps}  {event.elapsed:7.0f}s  "
                  f"{event.seconds_per_step:.2f} s/step  ETA {event.eta_seconds / 60:.1f} min  "
                  f"{measured}", flush=True)
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
