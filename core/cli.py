"""Command line: ``python -m core classic ...``.

Flags default to ``None`` and fall back to the chosen preset, so the dataclass stays the
only place where defaults live. Progress goes to stdout line by line; the last line is one
JSON object a script can parse. A user mistake ends with a one-line message and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core import images
from core.backbone import BACKBONES, POOLINGS, PRECISIONS

USER_ERROR = 2


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
    classic.add_argument("--snapshot-every", type=int, help="iterations between snapshots")
    classic.add_argument("--snapshots-dir", help="write snapshot PNGs here")
    classic.add_argument("--seed", type=int)
    classic.add_argument("--backbone", choices=BACKBONES)
    classic.add_argument("--pooling", choices=POOLINGS)
    classic.add_argument("--precision", choices=PRECISIONS)
    classic.add_argument("--preserve-colors", action="store_true", default=None,
                         help="keep the photo's colours")
    return parser


def run_classic(args) -> dict:
    from core.classic import Progress, Started, preset, stylize

    config = preset(
        args.preset,
        size=args.size, optimizer=args.optimizer, iterations=args.iterations,
        max_seconds=args.max_seconds, learning_rate=args.learning_rate, init=args.init,
        content_weight=args.content_weight, style_weight=args.style_weight,
        tv_weight=args.tv_weight, style_scale=args.style_scale,
        snapshot_every=args.snapshot_every, seed=args.seed, backbone=args.backbone,
        pooling=args.pooling, precision=args.precision, preserve_colors=args.preserve_colors,
    )
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

    result = stylize(content, styles, config, style_blend=args.style_weights, on_event=report)
    images.save_png(result.image, out)
    return {**result.summary(), "output": str(out)}


def _output_path(path: str) -> Path:
    out = Path(path)
    if out.suffix.lower() != ".png":
        raise ValueError(f"--out must name a .png file (got {path})")
    if not out.parent.is_dir():
        raise ValueError(f"the folder for --out does not exist: {out.parent}")
    return out


def _snapshots_dir(path: str | None) -> Path | None:
    if path is None:
        return None
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        summary = run_classic(args)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    print(json.dumps(summary), flush=True)
    return 0
