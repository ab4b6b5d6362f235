"""``python -m core fast`` (and ``styles``): a photo painted in one pass by a bundled
network (``--style``), any painting (``--style-image``, mixed with ``--mix``) or the 26-style
network (``--multistyle``), optionally one painting per region (``--masks``)."""

from __future__ import annotations

import argparse
import dataclasses
import time

from core import images
from core.backbone import PRECISIONS
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
from core.validate import numbers_list


def add_command(commands) -> None:
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
    fast.add_argument("--masks", nargs="+", metavar="MASK", help=MASKS_HELP.format(
        what="--style-image (or --multistyle index, or the one --style)"))
    add_output_flags(fast)
    fast.add_argument("--size", type=int,
                      help=f"longest side of the output, px (default {FastConfig.size})")
    fast.add_argument("--strength", type=float,
                      help="0 keeps the photo, 1 is the full painting (with --style-image: "
                           f"0 paints with the photo's own style; default {FastConfig.strength})")
    fast.add_argument("--preserve-colors", action="store_true", default=None,
                      help="keep the photo's colours")
    fast.add_argument("--precision", choices=PRECISIONS,
                      help=f"default {FastConfig.precision}")
    fast.add_argument("--keep-halos", action=argparse.BooleanOptionalAction, default=None,
                      help="leave the band of colour the network paints along strong edges "
                           "(taken out by default; --no-keep-halos takes them out of a "
                           "recipe's picture that kept them)")

    commands.add_parser("styles", help="list the bundled style networks")


FAST_METHODS = {"--style": "trained", "--style-image": "arbitrary", "--multistyle": "multistyle"}


def run(args) -> dict:
    recipe = read_recipe(args.recipe, "fast")
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
    base = recipe_config(recipe) if recipe is not None and recipe.method == method else None
    if method == "arbitrary":
        return run_arbitrary(args, recipe, base)
    # the recipe's regions only where its styles are used too (no style flag given)
    same = recipe if base is not None and not chosen else None
    if method == "multistyle":
        return run_multistyle(args, same, base)
    return run_bundled(args, same, base)


def _fast_config(config_class, args, base=None):
    """The recipe's settings (or the defaults) with the flags given laid over them."""
    given = {name: getattr(args, name) for name in ("size", "strength", "preserve_colors",
                                                    "precision")
             if getattr(args, name) is not None}
    if args.keep_halos is not None:
        given["dehalo"] = not args.keep_halos
    return dataclasses.replace(base or config_class(), **given)


def check_memory(content, size: int | None, method: str) -> str | None:
    """Refuse, before anything loads, a picture whose painting this machine cannot hold; for
    a print-size one, the line that says how long it should take and how much memory."""
    from core import memory
    from core.estimates import fast_seconds, output_shape
    from core.fast import tiling

    height, width = content.shape[:2]
    if size is not None:
        width, height = output_shape(width, height, size)
    estimate = memory.fast_peak(width, height)
    memory.check_fits(estimate, "This picture")
    if not tiling.needs_tiles(height, width):  # a second or two: nothing worth saying
        return None
    return (f"estimate: about {fast_seconds(method, width, height):.0f} s on a 2-core AMD "
            f"EPYC (BENCHMARKS.md); {estimate.text()}")


def _say(line: str | None) -> None:
    if line is not None:  # after the line naming the network, which comes first
        print(line, flush=True)


def _joined(content, results, masks, bits: int = 8):
    """The fast picture: the one painted (unrounded for a 16-bit file), or with regions each
    region's joined over the photo (``core.regions.composite``, feathered, in 8 bits)."""
    from core import regions

    if masks is None:
        return finest(results[0], bits)
    if bits == 16:
        print("note: regions are joined at 8 bits per channel; the 16-bit file holds those "
              "levels", flush=True)
    return regions.composite(content, [result.image for result in results], masks)


def run_bundled(args, recipe=None, base=None) -> dict:
    from core.fast.apply import FastConfig, compiled, paint
    from core.fast.registry import find_model, load_transformer
    from core.picture_recipe import PictureRecipe

    config = _fast_config(FastConfig, args, base)
    out = output_path(args.out, args.bit_depth)
    model = find_model(args.style)
    config = dataclasses.replace(config, dither=model.dither)  # as it was trained
    content = images.load_image(args.content, what="content image")
    estimate = check_memory(content, config.size, "trained")
    masks = load_masks(args.masks, recipe, content, [model.name])  # before the slow part
    started = time.perf_counter()
    transformer = compiled(load_transformer(model, config.precision))
    load_seconds = time.perf_counter() - started
    print(f"style network {model.name}: {model.label} (trained on "
          f"{model.manifest.get('backbone', 'unknown backbone')} features); "
          f"loaded in {load_seconds:.1f}s", flush=True)
    _say(estimate)
    result = paint(transformer, content, config)
    picture = _joined(content, [result], masks, args.bit_depth)
    PictureRecipe.of("trained", config, masks=masks, style=model.name).save(picture, out,
                                                                          args.bit_depth)
    height, width = picture.shape[:2]
    return {"style": model.name, "size": [width, height], "seconds": round(result.seconds, 3),
            "load_seconds": round(load_seconds, 3), "precision": config.precision,
            "output": str(out)}


def run_arbitrary(args, recipe=None, base=None) -> dict:
    from core.fast import arbitrary
    from core.fast.apply import compiled
    from core.picture_recipe import PictureRecipe

    config = _fast_config(arbitrary.ArbitraryConfig, args, base)
    out = output_path(args.out, args.bit_depth)
    content = images.load_image(args.content, what="content image")
    estimate = check_memory(content, config.size, "any")
    names, paintings = load_paintings(args.style_image, recipe, "--style-image")
    several = len(paintings) > 1
    if args.mix is not None:
        mix = numbers_list(args.mix, "--mix")
    else:
        mix = list(recipe.mix) if recipe is not None and recipe.mix and not args.style_image \
            else None
    if mix is not None and len(mix) != len(paintings):
        raise UserError(f"--mix needs one weight per --style-image ({len(paintings)}), "
                         f"got {len(mix)}")
    from_recipe = recipe is not None and recipe.method == "arbitrary" and not args.style_image
    masks = load_masks(args.masks, recipe if from_recipe else None, content, names)
    if masks is not None and args.mix is not None:
        raise UserError("--mix blends paintings everywhere; with --masks each painting "
                        "has its own region: give one or the other")
    started = time.perf_counter()
    predictor = arbitrary.load_style_predictor()
    transformer = compiled(arbitrary.load_arbitrary_transformer(config.precision))
    load_seconds = time.perf_counter() - started
    source = arbitrary.converted_manifest(arbitrary.TRANSFORMER)["source"]
    print(f"arbitrary-style network (Magenta, Ghiasi et al. 2017; from {source['package']} "
          f"{source['version']}): {len(paintings)} painting{'s' if several else ''}"
          f"{' mixed ' + ', '.join(f'{w:g}' for w in mix) if mix else ''}; "
          f"loaded in {load_seconds:.1f}s", flush=True)
    _say(estimate)
    if masks is None:
        parts = [arbitrary.paint_with_paintings(predictor, transformer, content, paintings,
                                                mix, config)]
    else:  # each painting alone (at full strength of its own), joined by region
        mix = None
        parts = [arbitrary.paint_with_paintings(predictor, transformer, content, [painting],
                                                None, config) for painting in paintings]
    seconds = sum(part.seconds for part in parts)
    picture = _joined(content, parts, masks, args.bit_depth)
    PictureRecipe.of("arbitrary", config, names, paintings, masks,
                     mix=tuple(mix) if mix else None).save(picture, out, args.bit_depth)
    height, width = picture.shape[:2]
    return {"network": arbitrary.TRANSFORMER, "paintings": names,
            "mix": mix, "strength": config.strength, "size": [width, height],
            "seconds": round(seconds, 3), "load_seconds": round(load_seconds, 3),
            "precision": config.precision, "output": str(out)}


def run_multistyle(args, recipe=None, base=None) -> dict:
    from core.fast import arbitrary
    from core.fast.apply import compiled
    from core.picture_recipe import PictureRecipe

    config = _fast_config(arbitrary.ArbitraryConfig, args, base)
    choices = arbitrary.multistyle_choices(args.multistyle)
    weights = arbitrary.multistyle_weights(choices)
    out = output_path(args.out, args.bit_depth)
    content = images.load_image(args.content, what="content image")
    estimate = check_memory(content, config.size, "26-style")
    masks = load_masks(args.masks, recipe, content, [f"style {i}" for i in choices])
    started = time.perf_counter()
    network = compiled(arbitrary.load_multistyle_transformer(config.precision))
    load_seconds = time.perf_counter() - started
    print(f"multi-style network (Dumoulin et al. 2017, {arbitrary.MULTISTYLE_COUNT} styles): "
          + ", ".join(f"style {i} {weights[i]:.2g}" for i in sorted(choices))
          + f"; loaded in {load_seconds:.1f}s", flush=True)
    _say(estimate)
    started = time.perf_counter()
    # with regions each chosen style alone in its region, in the order --multistyle names them
    mixes = [weights] if masks is None else [arbitrary.multistyle_weights({index: 1.0})
                                             for index in choices]
    painted = _joined(content, [arbitrary.paint_with_styles(network, content, mix, config)
                                for mix in mixes], masks, args.bit_depth)
    seconds = time.perf_counter() - started
    PictureRecipe.of("multistyle", config, masks=masks,
                     multistyle=args.multistyle).save(painted, out, args.bit_depth)
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
