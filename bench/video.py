"""Video (issue 17): steady painting against per-frame painting, through the real CLI.

    python bench/video.py [--work /tmp/videobench] [--skip-1080] [--tune]
                          [--strip docs/video-strip.png] [--json OUT.json]

Makes test clips from real photos (../shared/data/photos), 24 fps, with a tone:
``pan`` (3 s, 640x360, a sideways pan like /tmp/makeclip.py), ``handheld`` (3 s, a random
walk of translation with slight rotation and zoom), ``object`` (3 s, a round cut-out of one
photo moving across another, for ghost trails) and ``pan1080`` (2 s, 1920x1080). Each clip
goes through ``python -m core video`` (a subprocess: decode, paint, flow, encode, end to end)
with ``--consistency on`` and ``off``: the any-painting network with three paintings, and the
26-style network once. Reported per run: warping error (the CLI's JSON) on/off and their
ratio, processing frames/s, and the style loss of every 8th output frame at 256 px against
the painting (VGG16-HED Grams, ``core.losses.style_loss`` with the classic method's layer
weights), on/off. The 26-style network has no painting file: its style loss is taken
against the mean Gram of its own per-frame painting (what "the style" is for it).

``--tune`` replays the steadier in-process on the decoded per-frame outputs with other
settings (weights, ...) and reports the same two figures for each, across all 640x360 runs.
Prints Markdown. Not a test; single runs on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import av  # noqa: E402
import cv2  # noqa: E402
import numpy as np  # noqa: E402

from core import images  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "data" / "photos"
PAINTINGS = ("starry_night.jpg", "the_scream.jpg", "wave.jpg")
MULTISTYLE = "3"
FPS = 24
LAYERS = (("conv1_1", 0.5), ("conv2_1", 1.0), ("conv3_1", 1.5), ("conv4_1", 3.0),
          ("conv5_1", 4.0))  # core.classic.config.REPORT_STYLE_LAYERS


# ---------------------------------------------------------------- clips

def write_clip(path: Path, frames, width: int, height: int) -> None:
    container = av.open(str(path), "w")
    video = container.add_stream("libx264", rate=FPS)
    video.width, video.height, video.pix_fmt = width, height, "yuv420p"
    video.options = {"crf": "16"}
    audio = container.add_stream("aac", rate=44100)
    count = 0
    for frame in frames:
        count += 1
        for packet in video.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame),
                                                              format="rgb24")):
            container.mux(packet)
    for packet in video.encode():
        container.mux(packet)
    t = np.arange(int(44100 * count / FPS)) / 44100
    tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    for k in range(0, len(tone), 1024):
        chunk = av.AudioFrame.from_ndarray(tone[None, k:k + 1024], format="flt", layout="mono")
        chunk.sample_rate = 44100
        for packet in audio.encode(chunk):
            container.mux(packet)
    for packet in audio.encode():
        container.mux(packet)
    container.close()


def photo(name: str) -> np.ndarray:
    return images.load_image(PHOTOS / name)


def pan(src, width, height, count):
    big = images.resize_longest(src, int(width * 1.6))
    if big.shape[0] < height:
        big = images.resize_exact(big, big.shape[1], height + 8)
    span = big.shape[1] - width
    top = (big.shape[0] - height) // 2
    for i in range(count):
        x = int(round(span * i / max(1, count - 1)))
        yield big[top:top + height, x:x + width]


def handheld(src, width, height, count, seed=17):
    """A random walk: about 1.5 px a frame of drift, +-0.6 deg rotation, +-2 % zoom."""
    rng = np.random.default_rng(seed)
    big = images.resize_exact(src, int(width * 1.25), int(height * 1.25))
    cx, cy = big.shape[1] / 2, big.shape[0] / 2
    dx = dy = angle = zoom = 0.0
    for _ in range(count):
        dx = float(np.clip(dx + rng.normal(0, 1.5), -width * 0.08, width * 0.08))
        dy = float(np.clip(dy + rng.normal(0, 1.5), -height * 0.08, height * 0.08))
        angle = float(np.clip(angle + rng.normal(0, 0.12), -0.6, 0.6))
        zoom = float(np.clip(zoom + rng.normal(0, 0.003), -0.02, 0.02))
        m = cv2.getRotationMatrix2D((cx + dx, cy + dy), angle, 1.0 + zoom)
        m[0, 2] += width / 2 - cx
        m[1, 2] += height / 2 - cy
        yield cv2.warpAffine(big, m, (width, height), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REFLECT)


def moving_object(background, thing, width, height, count):
    """A round cut-out (diameter 0.55 x height) crossing a still background, left to right."""
    back = images.resize_exact(background, width, height)
    size = int(height * 0.55)
    cut = images.resize_exact(thing, size, size)
    mask = np.zeros((size, size), np.float32)
    cv2.circle(mask, (size // 2, size // 2), size // 2 - 2, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (5, 5), 1.0)[..., None]
    y = (height - size) // 2
    for i in range(count):
        x = int(round(-size * 0.3 + (width - size * 0.4) * i / max(1, count - 1)))
        frame = back.astype(np.float32).copy()
        x0, x1 = max(0, x), min(width, x + size)
        region = frame[y:y + size, x0:x1]
        m = mask[:, x0 - x:x1 - x]
        region[:] = region * (1 - m) + cut[:, x0 - x:x1 - x] * m
        yield np.clip(frame + 0.5, 0, 255).astype(np.uint8)


def make_clips(work: Path, with_1080: bool) -> dict[str, Path]:
    work.mkdir(parents=True, exist_ok=True)
    specs = {
        "pan": lambda: pan(photo("explore_monuments_france_montStMichel.jpg"), 640, 360, 72),
        "handheld": lambda: handheld(photo("explore_world_animals_animals_giraffe.jpg"),
                                     640, 360, 72),
        "object": lambda: moving_object(photo("wallpaper_sunset_by_Aitzol_Berasategi.jpg"),
                                        photo("explore_world_animals_animals_panda.jpg"),
                                        640, 360, 72),
    }
    if with_1080:
        specs["pan1080"] = lambda: pan(photo("explore_monuments_germany_neuschwansteinCastle"
                                             ".jpg"), 1920, 1080, 48)
    clips = {}
    for name, frames in specs.items():
        path = work / f"{name}.mp4"
        if not path.exists():
            w, h = (1920, 1080) if name.endswith("1080") else (640, 360)
            write_clip(path, frames(), w, h)
        clips[name] = path
    return clips


def read_clip(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


# ---------------------------------------------------------------- style loss

class StyleMeter:
    """Style loss of frames against a target Gram set, VGG16-HED features at 256 px."""

    def __init__(self, side: int = 256):
        from core.backbone import feature_extractor, resolve_backbone

        self.side = side
        self.weights = dict(LAYERS)
        self.extractor = feature_extractor(resolve_backbone("vgg16-hed"),
                                           tuple(self.weights), "avg", "float32")

    def _features(self, rgb: np.ndarray) -> dict:
        small = images.resize_longest(rgb, self.side).astype(np.float32)
        return self.extractor(small[None])

    def grams(self, rgb: np.ndarray) -> dict:
        from core import losses

        features = self._features(rgb)
        return {name: np.asarray(losses.gram(features[name])) for name in self.weights}

    def mean_grams(self, frames) -> dict:
        grams = [self.grams(f) for f in frames]
        return {name: np.mean([g[name] for g in grams], axis=0) for name in self.weights}

    def loss(self, frames, target: dict) -> float:
        from core import losses

        return float(np.mean([float(losses.style_loss(self._features(f), target, self.weights))
                              for f in frames]))


# ---------------------------------------------------------------- runs

def run_cli(clip: Path, out: Path, style_args: list[str], consistency: str) -> dict:
    command = [sys.executable, "-m", "core", "video", "--input", str(clip), "--out", str(out),
               *style_args, "--consistency", consistency]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)}\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def every(frames, step=8):
    return frames[::step]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, default=Path("/tmp/videobench"))
    parser.add_argument("--skip-1080", action="store_true")
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--strip", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    clips = make_clips(args.work, not args.skip_1080)
    runs = []  # (clip, label, style_args, target painting or None)
    for clip in clips:
        paintings = PAINTINGS[:1] if clip.endswith("1080") else PAINTINGS
        for painting in paintings:
            runs.append((clip, painting.removesuffix(".jpg"),
                         ["--style-image", str(ROOT / "styles" / painting)], painting))
        if not clip.endswith("1080"):
            runs.append((clip, f"26-style #{MULTISTYLE}", ["--multistyle", MULTISTYLE], None))

    meter = StyleMeter()
    rows = []
    for clip, label, style_args, painting in runs:
        stem = f"{clip}-{label.replace(' ', '').replace('#', 'm')}"
        result = {}
        for mode in ("off", "on"):
            out = args.work / f"{stem}-{mode}.mp4"
            cached = out.with_suffix(".json")
            if cached.exists():
                result[mode] = json.loads(cached.read_text())
            else:
                result[mode] = run_cli(clips[clip], out, style_args, mode)
                cached.write_text(json.dumps(result[mode]))
            print(f"{clip} {label} {mode}: {result[mode]['warping_error']} "
                  f"{result[mode]['processing_fps']} fps", file=sys.stderr, flush=True)
        off = read_clip(args.work / f"{stem}-off.mp4")
        on = read_clip(args.work / f"{stem}-on.mp4")
        if painting:
            target = meter.grams(images.load_image(ROOT / "styles" / painting))
        else:
            target = meter.mean_grams(every(off))
        row = {"clip": clip, "style": label, "target": target is not None,
               "we_off": result["off"]["warping_error"], "we_on": result["on"]["warping_error"],
               "fps_off": result["off"]["processing_fps"],
               "fps_on": result["on"]["processing_fps"],
               "style_off": meter.loss(every(off), target),
               "style_on": meter.loss(every(on), target),
               "lapvar": _lap_ratio(every(on), every(off))}
        row["we_ratio"] = row["we_on"] / row["we_off"]
        row["style_ratio"] = row["style_on"] / row["style_off"]
        row["_frames"] = (clips[clip], off, target, painting)
        rows.append(row)

    print("| clip | style | warping error off | on | on/off | style loss off | on | on/off "
          "| texture (Laplacian var. on/off) | frames/s off | on |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['clip']} | {r['style']} | {r['we_off']:.2f} | {r['we_on']:.2f} | "
              f"{r['we_ratio']:.2f} | {r['style_off']:.3g} | {r['style_on']:.3g} | "
              f"{r['style_ratio']:.3f} | {r['lapvar']:.2f} | {r['fps_off']:.1f} | "
              f"{r['fps_on']:.1f} |")
    _summary(rows)

    if args.tune:
        tune(rows, meter)
    if args.strip:
        strip(args.work, args.strip)
    if args.json:
        args.json.write_text(json.dumps([{k: v for k, v in r.items() if k != "_frames"}
                                         for r in rows], indent=1))


def _lap_ratio(on, off) -> float:
    def var(frames):
        return np.mean([cv2.Laplacian(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), cv2.CV_32F).var()
                        for f in frames])
    return float(var(on) / var(off))


def _summary(rows) -> None:
    small = [r for r in rows if not r["clip"].endswith("1080")]
    print()
    print("| 640x360 runs | median | worst |")
    print("|---|---|---|")
    for key, name, worst in (("we_ratio", "warping error on/off", max),
                             ("style_ratio", "style loss on/off", max),
                             ("lapvar", "Laplacian variance on/off", min),
                             ("fps_on", "frames/s, consistency on", min),
                             ("fps_off", "frames/s, consistency off", min)):
        values = [r[key] for r in small]
        print(f"| {name} | {statistics.median(values):.2f} | {worst(values):.2f} |")


# ---------------------------------------------------------------- tuning

def _variants():
    from core.video.consistency import ConsistencyConfig

    return {
        "weight 0.7 (default)": ConsistencyConfig(weight=0.7),
        "weight 0.6": ConsistencyConfig(weight=0.6),
        "weight 0.5": ConsistencyConfig(weight=0.5),
        "weight 0.4": ConsistencyConfig(weight=0.4),
        "weight 0.7 + detail gain": (ConsistencyConfig(weight=0.7), "gain"),
        "weight 0.6 + detail gain": (ConsistencyConfig(weight=0.6), "gain"),
    }


def _detail_gain_steadier(config):
    """The steadier, but what it writes has its fine detail (above a 1 px Gaussian) scaled by
    1 / sqrt((1 - a)^2 + a^2), a the per-pixel blend weight: the factor by which averaging
    two uncorrelated textures with weights 1 - a, a shrinks their contrast. The recursive
    state stays unscaled, so the gain cannot build up from frame to frame."""
    from core.video import consistency as c

    class Gained(c.Steadier):
        def _blend(self, current_grey, painted):
            config = self.config
            backward = c.flow(self._previous_grey, current_grey, config.preset)
            forward = c.flow(current_grey, self._previous_grey, config.preset)
            maps = c._maps(backward)
            mask = c._reliable(backward, forward, maps, config.motion_boundaries)
            warped = c._remap(self._previous_output, maps)
            weight = mask.astype(np.float32)
            radius = math.ceil(2 * config.softness)
            size = 2 * radius + 1
            weight = cv2.erode(weight, np.ones((size, size), np.uint8))
            weight = cv2.GaussianBlur(weight, (size, size), config.softness)
            a = config.weight * weight
            output = painted + a[..., None] * (warped - painted)
            gain = 1.0 / np.sqrt((1 - a) ** 2 + a ** 2)
            low = cv2.GaussianBlur(output, (0, 0), 1.0)
            shown = low + (output - low) * gain[..., None]
            written = np.clip(shown + 0.5, 0, 255).astype(np.uint8)
            self._errors.append(c.pair_error(written, c._remap(self._previous_written, maps),
                                             mask))
            return output, written

    return Gained(config)


def tune(rows, meter) -> None:
    from core.video.consistency import Steadier, warping_error

    variants = _variants()
    table = {name: [] for name in variants}
    for r in rows:
        clip, off, target, painting = r["_frames"]
        if str(clip).endswith("1080.mp4"):
            continue
        source = read_clip(clip)
        we_off = warping_error(source, off)
        style_off = meter.loss(every(off), target)
        for name, config in variants.items():
            steadier = (_detail_gain_steadier(config[0]) if isinstance(config, tuple)
                        else Steadier(config))
            out = [steadier(s, o) for s, o in zip(source, off, strict=True)]
            table[name].append((warping_error(source, out) / we_off,
                                meter.loss(every(out), target) / style_off,
                                _lap_ratio(every(out), every(off))))
    print()
    print("Replayed in-process on the decoded per-frame outputs, all 640x360 runs:")
    print()
    print("| steadier | warping error on/off median | worst | style loss on/off median | "
          "worst | Laplacian var. median | worst |")
    print("|---|---|---|---|---|---|---|")
    for name, values in table.items():
        we, st, lv = zip(*values, strict=True)
        print(f"| {name} | {statistics.median(we):.2f} | {max(we):.2f} | "
              f"{statistics.median(st):.3f} | {max(st):.3f} | {statistics.median(lv):.2f} | "
              f"{min(lv):.2f} |")


# ---------------------------------------------------------------- strip

def strip(work: Path, path: Path, picks=(0, 12, 24, 36, 48), width=272) -> None:
    rows = [read_clip(work / "object.mp4"), read_clip(work / "object-starry_night-off.mp4"),
            read_clip(work / "object-starry_night-on.mp4")]
    lines = []
    for frames in rows:
        tiles = [images.resize_longest(frames[i], width) for i in picks]
        lines.append(np.concatenate([np.pad(t, ((2, 2), (2, 2), (0, 0)), constant_values=255)
                                     for t in tiles], axis=1))
    image = np.concatenate(lines, axis=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_PNG_COMPRESSION, 9])


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n({math.ceil(time.perf_counter() - started)} s)", file=sys.stderr)
