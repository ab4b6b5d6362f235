"""Regions (issue 20): masks, automatic regions, feathered joins, classic masked Grams."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from core import cli, images, losses, picture_recipe, regions
from core.classic import ClassicConfig, Objective, stylize
from core.classic.engine import region_terms
from core.errors import UserError


def two_colour_photo(height=48, width=64):
    """Sky over ground: a bright blue top half, a dark green bottom half, a little texture."""
    rng = np.random.default_rng(1)
    photo = np.zeros((height, width, 3), np.float32)
    photo[: height // 2] = (150, 190, 240)
    photo[height // 2:] = (40, 90, 30)
    photo += rng.normal(0, 6, photo.shape)
    return np.clip(photo, 0, 255).astype(np.uint8)


def halves(height=48, width=64):
    top = np.zeros((height, width), np.float32)
    top[: height // 2] = 1.0
    return [top, 1.0 - top]


def stripes(size=64):
    picture = np.full((size, size, 3), 235, np.uint8)
    picture[:, ::4] = (200, 30, 30)
    return picture


def dots(size=64):
    picture = np.full((size, size, 3), 20, np.uint8)
    picture[::6, ::6] = (40, 220, 90)
    picture[3::6, 3::6] = (250, 250, 120)
    return picture


def test_masks_of_another_size_are_resized_and_keep_their_shape():
    top, bottom = halves(12, 16)
    fitted = regions.fit_masks([top, bottom], 2, 48, 64)
    assert [mask.shape for mask in fitted] == [(48, 64), (48, 64)]
    assert fitted[0][:20].min() == 1.0 and fitted[0][28:].max() == 0.0
    assert np.allclose(fitted[0] + fitted[1], 1.0, atol=1e-5)


def test_an_empty_mask_or_a_wrong_count_is_a_one_line_error():
    top, _ = halves()
    with pytest.raises(UserError, match="mask 2 .*is empty") as empty:
        regions.fit_masks([top, np.zeros_like(top)], 2, 48, 64, names=["a.png", "b.png"])
    assert "\n" not in str(empty.value) and "b.png" in str(empty.value)
    with pytest.raises(UserError, match="2 paintings but 1 mask") as count:
        regions.fit_masks([top], 2, 48, 64)
    assert "\n" not in str(count.value)


def test_a_mask_file_reads_white_as_the_region_and_transparency_as_outside(tmp_path):
    from PIL import Image

    rgba = np.zeros((10, 20, 4), np.uint8)
    rgba[:, :10] = (255, 255, 255, 255)  # left: opaque white; right: transparent white
    rgba[:, 10:] = (255, 255, 255, 0)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "mask.png")
    mask = regions.load_mask(tmp_path / "mask.png")
    assert mask[:, :10].min() == 1.0 and mask[:, 10:].max() == 0.0
    with pytest.raises(UserError, match="not found"):
        regions.load_mask(tmp_path / "missing.png")


def test_masks_survive_their_text_form_exactly():
    soft = np.linspace(0, 1, 48 * 64, dtype=np.float32).reshape(48, 64)
    masks = [soft, 1 - soft]
    again = regions.decode(regions.encode(masks))
    worst = max(float(np.abs(a - b).max()) for a, b in zip(masks, again, strict=True))
    assert worst <= 0.5 / 255 + 1e-6
    small = regions.decode(regions.encode(masks, max_side=16))
    assert small[0].shape == (12, 16)
    with pytest.raises(UserError, match="mask 1"):
        regions.decode(["not a png"])


def test_automatic_regions_split_sky_from_ground_brightest_first():
    photo = two_colour_photo()
    truth = halves()
    for method in regions.AUTO_METHODS:
        found = regions.automatic(photo, 2, method)
        assert len(found) == 2
        for mask, expected in zip(found, truth, strict=True):
            overlap = np.logical_and(mask > 0.5, expected > 0.5).sum()
            union = np.logical_or(mask > 0.5, expected > 0.5).sum()
            assert overlap / union > 0.95, method
    three = regions.automatic(photo, 3, "colour")
    assert len(three) == 3 and np.allclose(np.sum(three, axis=0), 1.0)
    with pytest.raises(UserError, match="2 to 4"):
        regions.automatic(photo, 5)


def test_automatic_regions_leave_no_pixel_out_and_refuse_what_the_photo_lacks():
    photo = images.resize_exact(two_colour_photo(), 801, 603)  # enlarged: border pixels
    masks = regions.automatic(photo, 2, "colour")
    np.testing.assert_array_equal(np.sum(masks, axis=0), 1.0)
    flat = np.full((40, 60, 3), 128, np.uint8)
    with pytest.raises(UserError, match="no bright and dark parts") as uniform:
        regions.automatic(flat, 2, "brightness")
    assert "\n" not in str(uniform.value)
    two_tones = np.zeros((40, 60, 3), np.uint8)
    two_tones[20:] = (40, 90, 30)
    with pytest.raises(UserError, match="only 2 distinct parts"):
        regions.automatic(two_tones, 4, "colour")


def test_sixteen_bit_and_integer_masks_are_read_at_their_scale(tmp_path):
    from PIL import Image

    values = np.zeros((8, 8), np.uint16)
    values[:, 4:] = 32768
    Image.fromarray(values).save(tmp_path / "grey16.png")
    mask = regions.load_mask(tmp_path / "grey16.png")
    assert mask[:, :4].max() == 0.0 and abs(float(mask[0, 5]) - 0.5) < 0.01
    eight_bit = np.zeros((8, 8), np.uint8)
    eight_bit[:, 4:] = 51
    fitted = regions.fit_masks([eight_bit], 1, 8, 8)[0]
    assert abs(float(fitted[0, 5]) - 0.2) < 1e-6


def test_a_regions_layer_weight_is_the_layer_weight_times_its_share_and_strength():
    half = np.zeros((8, 8), np.float32)
    half[:4] = 1.0
    masks, weights = region_terms([half, 1 - half], {"conv1_1": (4, 4), "conv2_1": (2, 2)},
                                  {"conv1_1": 2.0, "conv2_1": 4.0}, [1.0, 0.5])
    assert masks[0]["conv1_1"].shape == (4, 4) and masks[1]["conv2_1"].shape == (2, 2)
    assert weights[0] == {"conv1_1": 1.0, "conv2_1": 2.0}  # half the picture, full strength
    assert weights[1] == {"conv1_1": 0.5, "conv2_1": 1.0}  # half, at half strength
    assert all(isinstance(w, np.float32) for w in weights[0].values())  # no retracing


def test_the_fast_join_keeps_the_photo_outside_the_regions_and_shows_no_seam():
    height, width = 64, 96
    photo = np.full((height, width, 3), 128, np.uint8)
    red = np.zeros_like(photo)
    red[..., 0] = 255
    blue = np.zeros_like(photo)
    blue[..., 2] = 255
    left = np.zeros((height, width), np.float32)
    left[:, :40] = 1.0
    right = np.zeros((height, width), np.float32)
    right[:, 40:80] = 1.0  # columns 80.. belong to no region
    joined = regions.composite(photo, [red, blue], [left, right]).astype(int)
    assert (joined[:, :30] == red[:, :30]).all()
    assert (joined[:, 50:70] == blue[:, 50:70]).all()
    assert (joined[:, 90:] == photo[:, 90:]).all()
    # Feathered: across the red-blue boundary no step between neighbours is large.
    steps = np.abs(np.diff(joined[height // 2, 30:50], axis=0)).max()
    assert steps < 255 / 4
    hard = np.where(left[..., None] > 0.5, red, blue).astype(int)
    assert np.abs(np.diff(hard[height // 2, 30:50], axis=0)).max() == 255


def test_a_full_mask_gives_the_plain_gram():
    features = np.random.default_rng(0).normal(size=(1, 6, 5, 4)).astype(np.float32)
    plain = np.asarray(losses.gram(features))
    masked = np.asarray(losses.masked_gram(features, np.ones((6, 5), np.float32)))
    assert np.allclose(plain, masked, atol=1e-5)
    half = np.zeros((6, 5), np.float32)
    half[:3] = 1.0
    assert np.allclose(np.asarray(losses.masked_gram(features, half)),
                       np.asarray(losses.gram(features[:, :3])), atol=1e-5)


TINY = ClassicConfig(size=64, iterations=25, snapshot_every=0, backbone="vgg16-hed",
                     init="content")


def region_style(image, painting, mask):
    objective = Objective(_extractor(), TINY, image, [painting], [1.0], [mask])
    return objective(image.astype(np.float32))[0].style


def _extractor():
    from core.backbone import feature_extractor, resolve_backbone

    return feature_extractor(resolve_backbone(TINY.backbone), TINY.loss_layers, TINY.pooling,
                             TINY.precision)


def test_each_region_ends_closer_to_its_own_painting_than_to_the_other():
    photo = two_colour_photo()
    top, bottom = halves()
    painted = stylize(photo, [stripes(), dots()], TINY, masks=[top, bottom]).image
    assert painted.shape == photo.shape
    assert region_style(painted, stripes(), top) < region_style(painted, dots(), top)
    assert region_style(painted, dots(), bottom) < region_style(painted, stripes(), bottom)
    # ... and the masks decide it: swapped, the verdict swaps.
    swapped = stylize(photo, [stripes(), dots()], TINY, masks=[bottom, top]).image
    assert region_style(swapped, stripes(), bottom) < region_style(swapped, dots(), bottom)
    assert region_style(swapped, dots(), top) < region_style(swapped, stripes(), top)


@pytest.mark.parametrize("init", ["content", "noise", "style"])
def test_what_no_mask_covers_keeps_the_photo(init):
    photo = two_colour_photo()
    top, _ = halves()
    config = dataclasses.replace(TINY, iterations=15, init=init)
    painted = stylize(photo, [stripes()], config, masks=[top]).image.astype(float)
    change = np.abs(painted - photo).mean(axis=-1)
    # The loss network's receptive field reaches a few pixels over the edge; far below it,
    # only the content loss (and TV) acts, from the photo whatever the start.
    assert change[:20].mean() > 3 * change[34:].mean()
    assert change[34:].mean() < 12


def test_regions_work_with_the_fast_start_and_several_scales():
    photo = two_colour_photo(60, 80)
    top, bottom = halves(12, 16)  # a mask drawn over a smaller copy
    config = dataclasses.replace(TINY, init="fast", size=80, base_size=48, iterations=4,
                                 refine_iterations=2, preserve_colors=True)
    result = stylize(photo, [stripes(), dots()], config, masks=[top, bottom])
    assert result.image.shape == (60, 80, 3) and result.iterations == 6
    with pytest.raises(UserError, match="1 mask"):
        stylize(photo, [stripes(), dots()], config, masks=[top])


# --- the command line: --masks for classic and every fast method, and the recipe ---------

ROOT = Path(__file__).resolve().parents[1]
WAVE, UDNIE = ROOT / "styles" / "wave.jpg", ROOT / "styles" / "udnie.jpg"


def run_cli(args, capsys):
    code = cli.main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out.strip().splitlines(), captured.err.strip()


@pytest.fixture
def files(tmp_path):
    from PIL import Image

    Image.fromarray(two_colour_photo(48, 64)).save(tmp_path / "photo.png")
    top, bottom = halves(24, 32)  # another size than the photo: resized
    for name, mask in (("top.png", top), ("bottom.png", bottom), ("empty.png", top * 0)):
        Image.fromarray((mask * 255).astype(np.uint8)).save(tmp_path / name)
    return tmp_path


def test_fast_masks_give_each_painting_its_region_and_the_recipe_keeps_them(files, capsys):
    out, again = files / "out.png", files / "again.png"
    code, lines, error = run_cli(
        ["fast", "--content", files / "photo.png", "--style-image", WAVE, "--style-image",
         UDNIE, "--masks", files / "top.png", files / "bottom.png", "--size", 64, "--out", out],
        capsys)
    assert code == 0, error
    painted = images.load_image(out).astype(float)
    alone = {}
    for name, painting in (("wave", WAVE), ("udnie", UDNIE)):
        path = files / f"{name}.png"
        assert run_cli(["fast", "--content", files / "photo.png", "--style-image", painting,
                        "--size", 64, "--out", path], capsys)[0] == 0
        alone[name] = images.load_image(path).astype(float)
    # far from the join each half is its own painting's picture, exactly
    assert np.abs(painted[:16] - alone["wave"][:16]).max() <= 1
    assert np.abs(painted[32:] - alone["udnie"][32:]).max() <= 1
    assert np.abs(painted[:16] - alone["udnie"][:16]).mean() > 10
    recipe = picture_recipe.read(out)
    assert [mask.shape for mask in recipe.masks] == [(48, 64), (48, 64)]
    code, _, error = run_cli(["fast", "--content", files / "photo.png", "--recipe", out,
                              "--out", again], capsys)
    assert code == 0, error
    np.testing.assert_array_equal(images.load_image(again), images.load_image(out))


def test_the_26_styles_and_a_trained_network_take_masks_too(files, capsys):
    out = files / "multi.png"
    code, _, error = run_cli(
        ["fast", "--content", files / "photo.png", "--multistyle", "3,12", "--masks",
         files / "top.png", files / "bottom.png", "--size", 64, "--out", out], capsys)
    assert code == 0, error
    assert len(picture_recipe.read(out).masks) == 2
    from core.fast.registry import bundled_models

    model = bundled_models()[0].name
    code, _, error = run_cli(
        ["fast", "--content", files / "photo.png", "--style", model, "--masks",
         files / "top.png", "--size", 64, "--out", out], capsys)
    assert code == 0, error
    painted, photo = images.load_image(out).astype(float), two_colour_photo(48, 64)
    assert np.abs(painted[36:] - photo[36:]).max() <= 1  # outside the mask: the photo
    assert np.abs(painted[:12] - photo[:12]).mean() > 10


def test_classic_masks_run_and_travel_in_the_recipe(files, capsys):
    out = files / "classic.png"
    code, lines, error = run_cli(
        ["classic", "--content", files / "photo.png", "--style", WAVE, "--style", UDNIE,
         "--masks", files / "top.png", files / "bottom.png", "--size", 48, "--iterations", 2,
         "--backbone", "vgg16-hed", "--out", out], capsys)
    assert code == 0, error
    masks = picture_recipe.read(out).masks
    assert masks[0][:10].min() == 1.0 and masks[0][26:].max() == 0.0
    # repeated: the recipe's regions come back with its paintings, not with other ones
    again = files / "again.png"
    code, _, error = run_cli(["classic", "--content", files / "photo.png", "--recipe", out,
                              "--iterations", 1, "--out", again], capsys)
    assert code == 0, error
    assert len(picture_recipe.read(again).masks) == 2
    code, _, error = run_cli(["classic", "--content", files / "photo.png", "--recipe", out,
                              "--style", WAVE, "--iterations", 1, "--out", again], capsys)
    assert code == 0, error
    assert picture_recipe.read(again).masks is None


@pytest.mark.parametrize("masks, message", [
    (["top.png"], "2 paintings but 1 mask"),
    (["top.png", "empty.png"], "mask 2 (empty.png) is empty"),
    (["top.png", "nowhere.png"], "not found"),
])
def test_a_mask_mistake_is_one_line_and_exit_2(files, capsys, masks, message):
    for command in (["classic", "--style", WAVE, "--style", UDNIE, "--iterations", 1],
                    ["fast", "--style-image", WAVE, "--style-image", UDNIE]):
        code, _, error = run_cli([*command, "--content", files / "photo.png", "--size", 48,
                                  "--masks", *(files / m for m in masks),
                                  "--out", files / "x.png"], capsys)
        assert code == 2 and message in error and "\n" not in error, (command, error)
