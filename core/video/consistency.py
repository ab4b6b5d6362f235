"""Temporal consistency for painted video: optical flow, occlusion masks, the warping error
and a steadier that keeps textures put on moving content.

Flow is OpenCV's DIS (Kroeger et al. 2016, "Fast Optical Flow using Dense Inverse Search") on
grey frames. Occlusions come from the forward-backward check of Sundaram et al. 2010 as used
by Ruder et al. 2016 ("Artistic style transfer for videos"), plus pixels whose flow leaves the
frame (a newly revealed border passes the plain check when both flows are extrapolated).

The flicker measure is the warping error of Lai et al. 2018 ("Learning Blind Video Temporal
Consistency"); departures are written in ``warping_error``.

The steadier is the blend of Ruder et al.'s short-term consistency done without optimisation:
the previous *output* warped along the flow replaces part of the fresh painting where the flow
is reliable, and none of it where the pixel is occluded or new, so nothing trails behind moving
things. It is recursive (an exponential average along the motion), which is what stops the
fast networks' texture from re-rolling every frame.

Everything here is numpy/cv2 on uint8 RGB frames, shape (height, width, 3).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import cv2
import numpy as np

from core.validate import require_between, require_choice, require_number

PRESETS = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
           "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
           "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}


@dataclass(frozen=True)
class ConsistencyConfig:
    """The steadier's knobs. ``weight=0`` paints every frame on its own (and still measures)."""

    weight: float = 0.7  # share of the warped previous output in reliable pixels (0..0.95)
    preset: str = "fast"  # DIS preset: ultrafast, fast or medium
    softness: float = 1.5  # px, Gaussian sigma that softens the mask's edges (0: hard edges)
    motion_boundaries: bool = True  # also distrust pixels on motion boundaries (Sundaram)

    def __post_init__(self):
        require_between("weight", self.weight, 0, 0.95)
        require_choice("preset", self.preset, PRESETS)
        require_number("softness", self.softness, allow_zero=True)


_local = threading.local()


def _dis(preset: str) -> cv2.DISOpticalFlow:
    """One DIS instance per thread and preset: creating one costs more than a small frame."""
    cache = getattr(_local, "dis", None)
    if cache is None:
        cache = _local.dis = {}
    if preset not in cache:
        cache[preset] = cv2.DISOpticalFlow_create(PRESETS[preset])
    return cache[preset]


def grey(frame: np.ndarray) -> np.ndarray:
    """A uint8 RGB frame as the uint8 grey image DIS reads (a grey frame passes through)."""
    return frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def flow(previous_rgb: np.ndarray, current_rgb: np.ndarray, preset: str = "fast") -> np.ndarray:
    """Dense flow that brings ``previous_rgb`` into ``current_rgb``'s frame.

    A float32 (height, width, 2) array of (dx, dy) per pixel of the *current* frame, such that
    ``current(x) ≈ previous(x + flow(x))``: ``warp(previous, flow(previous, current))`` is
    close to ``current``. (This is DIS run from current to previous: the backward flow.)
    Content that moves right by s px per frame gets a flow of about (-s, 0)."""
    return _dis(preset).calc(grey(current_rgb), grey(previous_rgb), None)


def warp(image: np.ndarray, flow_field: np.ndarray) -> np.ndarray:
    """``image`` sampled at x + flow(x) (bilinear, border replicated), same dtype and shape."""
    return _remap(image, _maps(flow_field))


def _maps(flow_field: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sampling positions x + flow(x), y + flow(y), computed once per flow."""
    height, width = flow_field.shape[:2]
    key = (height, width)
    if key not in _grids:
        grid_y, grid_x = np.mgrid[0:height, 0:width].astype(np.float32)
        _grids[key] = (grid_x, grid_y)
    grid_x, grid_y = _grids[key]
    return grid_x + flow_field[..., 0], grid_y + flow_field[..., 1]


def _remap(image: np.ndarray, maps: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    return cv2.remap(image, maps[0], maps[1], interpolation=cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


_grids: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def occlusion_mask(flow_fw: np.ndarray, flow_bw: np.ndarray, *,
                   motion_boundaries: bool = False) -> np.ndarray:
    """Reliable pixels (bool, height x width) of the frame ``flow_fw`` is defined on.

    ``flow_fw`` goes from frame A to frame B (per pixel of A), ``flow_bw`` from B back to A
    (per pixel of B); for the steadier and the warping error, A is the current frame and
    ``flow_fw = flow(previous, current)``, ``flow_bw = flow(current, previous)``.
    A pixel x is reliable when (Sundaram et al. 2010; Ruder et al. 2016, eq. 7):

        |w_fw + w_bw(x + w_fw)|^2 <= 0.01 (|w_fw|^2 + |w_bw(x + w_fw)|^2) + 0.5

    and x + w_fw(x) lies inside the frame (our addition: a newly revealed border is otherwise
    "consistent" because both flows are extrapolated there). With ``motion_boundaries`` it
    must also pass |grad u|^2 + |grad v|^2 <= 0.01 |w_fw|^2 + 0.002 (their second test)."""
    maps = _maps(flow_fw)
    return _reliable(flow_fw, flow_bw, maps, motion_boundaries)


def _squared(field: np.ndarray) -> np.ndarray:
    return field[..., 0] ** 2 + field[..., 1] ** 2


def _reliable(flow_fw: np.ndarray, flow_bw: np.ndarray, maps: tuple[np.ndarray, np.ndarray],
              motion_boundaries: bool) -> np.ndarray:
    back = _remap(flow_bw, maps)
    lhs = _squared(flow_fw + back)
    length = _squared(flow_fw)
    reliable = lhs <= 0.01 * (length + _squared(back)) + 0.5
    height, width = flow_fw.shape[:2]
    target_x, target_y = maps
    reliable &= (target_x >= 0) & (target_x <= width - 1)
    reliable &= (target_y >= 0) & (target_y <= height - 1)
    if motion_boundaries:
        gradient = sum(cv2.Sobel(flow_fw[..., c], cv2.CV_32F, dx, dy, ksize=1) ** 2
                       for c in (0, 1) for dx, dy in ((1, 0), (0, 1))) / 4  # central diffs
        reliable &= gradient <= 0.01 * length + 0.002
    return reliable


def pair_error(output: np.ndarray, warped_previous: np.ndarray, mask: np.ndarray) -> float:
    """Mean over masked pixels of |O_t - warp(O_t-1)|, 0..255 scale, averaged over channels."""
    mask = mask.astype(np.uint8)
    if not mask.any():
        return 0.0
    difference = cv2.absdiff(output, warped_previous)
    channels = difference.shape[2] if difference.ndim == 3 else 1
    return float(np.mean(cv2.mean(difference, mask=mask)[:channels]))


def warping_error(inputs, outputs, preset: str = "fast") -> float:
    """The warping error of Lai et al. 2018 of ``outputs`` (painted frames) along ``inputs``.

    For each consecutive pair t-1, t: the flow between the INPUT frames,
    ``w = flow(I_t-1, I_t)`` (backward, so O_t-1 can be warped into frame t), the mask
    ``M_t = occlusion_mask(w, flow(I_t, I_t-1))``, and

        E_t = sum_x M_t(x) mean_c |O_t(x, c) - warp(O_t-1, w)(x, c)| / sum_x M_t(x)

    on the 0..255 scale; the result is the mean of E_t over the pairs (0.0 for one frame).
    Departure from Lai et al.: they use the squared L2 distance on the 0..1 scale; we use
    the mean absolute difference on 0..255, which reads as "grey levels of flicker".
    """
    inputs, outputs = list(inputs), list(outputs)
    if len(inputs) != len(outputs):
        raise ValueError(f"{len(inputs)} input frames but {len(outputs)} outputs")
    errors = []
    for t in range(1, len(inputs)):
        backward = flow(inputs[t - 1], inputs[t], preset)
        forward = flow(inputs[t], inputs[t - 1], preset)
        mask = occlusion_mask(backward, forward)
        errors.append(pair_error(outputs[t], warp(outputs[t - 1], backward), mask))
    return float(np.mean(errors)) if errors else 0.0


class Steadier:
    """Feed it (input frame, painted frame) in order; it returns the frame to write.

    Output_t = (1 - a) * painted_t + a * warp(Output_t-1, w), with a = weight x the reliable
    mask softened by a Gaussian (so no seam at occlusion edges; occluded and new pixels take
    the fresh painting). The flows are computed once per pair and also give the running
    warping error of what was written (``warping_error``), at no extra cost."""

    def __init__(self, config: ConsistencyConfig | None = None):
        self.config = config or ConsistencyConfig()
        self._previous_grey: np.ndarray | None = None
        self._previous_output: np.ndarray | None = None  # float32, no rounding build-up
        self._previous_written: np.ndarray | None = None  # uint8, what the error compares
        self._errors: list[float] = []

    def reset(self) -> None:
        """Forget the past (a cut, or a new clip)."""
        self._previous_grey = self._previous_output = self._previous_written = None
        self._errors = []

    @property
    def warping_error(self) -> float:
        """Mean warping error of the frames returned so far (0.0 before the second frame)."""
        return float(np.mean(self._errors)) if self._errors else 0.0

    def __call__(self, input_rgb: np.ndarray, painted_rgb: np.ndarray) -> np.ndarray:
        current_grey = grey(input_rgb)
        if painted_rgb.shape[:2] != current_grey.shape:
            raise ValueError(f"painted frame {painted_rgb.shape[:2]} differs from the input "
                             f"frame {current_grey.shape}")
        painted = painted_rgb.astype(np.float32)
        if self._previous_grey is None:
            output, written = painted, painted_rgb.astype(np.uint8)
        else:
            output, written = self._blend(current_grey, painted)
        self._previous_grey, self._previous_output = current_grey, output
        self._previous_written = written
        return written

    def _blend(self, current_grey: np.ndarray,
               painted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        config = self.config
        backward = flow(self._previous_grey, current_grey, config.preset)
        forward = flow(current_grey, self._previous_grey, config.preset)
        maps = _maps(backward)
        mask = _reliable(backward, forward, maps, config.motion_boundaries)
        warped = _remap(self._previous_output, maps)
        weight = mask.astype(np.float32)
        if config.softness > 0:
            # erode by the blur's reach first, so the softened edge lies wholly inside the
            # reliable area: occluded pixels keep weight 0 exactly (a half-weight there would
            # leave a faint ghost)
            radius = math.ceil(2 * config.softness)
            size = 2 * radius + 1
            weight = cv2.erode(weight, np.ones((size, size), np.uint8))
            weight = cv2.GaussianBlur(weight, (size, size), config.softness)
        weight = (config.weight * weight)[..., None]
        output = painted + weight * (warped - painted)
        written = np.clip(output + 0.5, 0, 255).astype(np.uint8)
        self._errors.append(pair_error(written, _remap(self._previous_written, maps), mask))
        return output, written
