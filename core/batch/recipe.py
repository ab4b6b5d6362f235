"""``BatchRecipe``: one method and its settings, the same for every photo of a batch.

The recipe carries the paintings themselves (arbitrary style and classic), shrunk once when
it is made to what the method ever looks at, so that each of a thousand tasks does not carry
a 6000 px scan: the arbitrary-style network sees only the painting's centre square at
``ArbitraryConfig.style_size`` (``core.fast.arbitrary.style_vector``), the classic method the
painting at ``style_scale`` times the output size (``core.classic.engine.fit_style``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field

import numpy as np

from core import images
from core.classic import PRESETS, ClassicConfig
from core.errors import SettingsError
from core.fast.apply import FastConfig
from core.fast.arbitrary import ArbitraryConfig, multistyle_choices
from core.picture_recipe import PaintingRef, PictureRecipe, painting_sha256, plain_settings
from core.validate import MAX_OUTPUT_SIDE, require_choice

METHODS = ("trained", "arbitrary", "multistyle", "classic")
CONFIGS = {"trained": FastConfig, "arbitrary": ArbitraryConfig, "multistyle": ArbitraryConfig,
           "classic": ClassicConfig}


def default_config(method: str):
    """The settings a method starts from: the dataclass defaults; classic: "recommended"."""
    require_choice("method", method, METHODS)
    return PRESETS["recommended"] if method == "classic" else CONFIGS[method]()


@dataclass(frozen=True, eq=False)
class BatchRecipe:
    """How every photo of a batch is painted. Arrays are uint8 RGB and never modified."""

    method: str  # one of METHODS
    style: str | None = None  # trained: the network's name (core.fast.registry.find_model)
    paintings: tuple[np.ndarray, ...] = field(default=(), repr=False)  # arbitrary, classic
    painting_names: tuple[str, ...] = ()  # for records; default painting-1, painting-2, ...
    mix: tuple[float, ...] | None = None  # a weight per painting; None: equal
    multistyle: str | None = None  # multistyle: "3:0.5,12:0.5" (multistyle_choices)
    # FastConfig (trained), ArbitraryConfig (arbitrary, multistyle) or ClassicConfig;
    # None: the method's default (default_config)
    config: FastConfig | ArbitraryConfig | ClassicConfig | None = None
    # core.picture_recipe.painting_sha256 of each painting as given (before it is shrunk);
    # computed when empty. Written into every picture's recipe.
    painting_sha256: tuple[str, ...] = ()
    _key: str = field(init=False, repr=False, default="")

    def __post_init__(self):
        require_choice("method", self.method, METHODS)
        config = default_config(self.method) if self.config is None else self.config
        if not isinstance(config, CONFIGS[self.method]):
            raise TypeError(f"the {self.method} method takes a {CONFIGS[self.method].__name__}, "
                            f"not a {type(config).__name__}")
        object.__setattr__(self, "config", config)
        self._check_style()
        if not self.painting_sha256:
            object.__setattr__(self, "painting_sha256",
                               tuple(painting_sha256(painting) for painting in self.paintings))
        paintings = tuple(self._fitted(painting) for painting in self.paintings)
        object.__setattr__(self, "paintings", paintings)
        names = tuple(self.painting_names) or tuple(
            f"painting-{i}" for i in range(1, len(paintings) + 1))
        if len(names) != len(paintings):
            raise SettingsError(f"give one name per painting ({len(paintings)}), "
                                f"got {len(names)}")
        object.__setattr__(self, "painting_names", names)
        if self.mix is not None:
            object.__setattr__(self, "mix", _checked_mix(self.mix, len(paintings)))
        object.__setattr__(self, "_key", self._digest())

    def _check_style(self) -> None:
        wants = {"trained": "style", "multistyle": "multistyle"}.get(self.method)
        for name in ("style", "multistyle"):
            if name != wants and getattr(self, name) is not None:
                raise SettingsError(f"the {self.method} method takes no {name} "
                                    f"(got {getattr(self, name)!r})")
        if wants and not getattr(self, wants):
            raise SettingsError(f"the {self.method} method needs a {wants}")
        if self.method == "multistyle":
            multistyle_choices(self.multistyle)  # its own one-line SettingsError
        takes_paintings = self.method in ("arbitrary", "classic")
        if takes_paintings and not self.paintings:
            raise SettingsError(f"the {self.method} method needs at least one painting")
        if not takes_paintings and (self.paintings or self.mix is not None):
            raise SettingsError(f"the {self.method} method takes no paintings and no mix")

    def _fitted(self, painting: np.ndarray) -> np.ndarray:
        """The painting shrunk to what the method ever looks at (never enlarged)."""
        painting = np.asarray(painting)
        if painting.dtype != np.uint8 or painting.ndim != 3 or painting.shape[2] != 3:
            raise TypeError(f"paintings are uint8 RGB arrays (got {painting.dtype} "
                            f"{painting.shape})")
        height, width = painting.shape[:2]
        if self.method == "arbitrary":
            # style_vector: the largest centred square, resized to style_size. Done here
            # exactly as there, so its own resize then finds the size already right.
            side = min(height, width)
            top, left = (height - side) // 2, (width - side) // 2
            size = self.config.style_size
            return images.resize_exact(painting[top:top + side, left:left + side], size, size)
        config = self.config
        if config.style_scale is None:  # squashed to the output's shape: keep the short side
            longest = math.ceil(config.size * max(height, width) / min(height, width))
        else:
            longest = math.ceil(config.style_scale * config.size)
        return images.shrink_to(painting, min(longest, MAX_OUTPUT_SIDE))

    def _digest(self) -> str:
        digest = hashlib.sha256(json.dumps(self._settings(), sort_keys=True).encode())
        for painting in self.paintings:
            digest.update(str(painting.shape).encode())
            digest.update(np.ascontiguousarray(painting).tobytes())
        return digest.hexdigest()[:16]

    def _settings(self) -> dict:
        return {"method": self.method, "style": self.style,
                "paintings": list(self.painting_names),
                "mix": list(self.mix) if self.mix is not None else None,
                "multistyle": self.multistyle, "config": dataclasses.asdict(self.config)}

    def key(self) -> str:
        """A short digest of everything that decides the pictures (paintings' pixels too):
        equal keys paint a photo the same way."""
        return self._key

    def picture_recipe(self, backbone: str | None = None) -> PictureRecipe:
        """What each picture of the batch carries in its PNG (``core.picture_recipe``)."""
        refs = tuple(PaintingRef(name, sha) for name, sha in
                     zip(self.painting_names, self.painting_sha256, strict=True))
        return PictureRecipe(self.method, plain_settings(self.config), refs, self.mix,
                             self.style, self.multistyle, backbone)

    def describe(self) -> dict:
        """The recipe as JSON, for a job's record."""
        return {**self._settings(), "key": self.key()}


def _checked_mix(mix, count: int) -> tuple[float, ...]:
    try:
        weights = tuple(float(weight) for weight in mix)
    except (TypeError, ValueError):
        raise SettingsError(f"mix weights must be numbers (got {mix!r})") from None
    if len(weights) != count:
        raise SettingsError(f"give one mix weight per painting ({count}), got {len(weights)}")
    if any(not math.isfinite(w) or w < 0 for w in weights) or sum(weights) <= 0:
        raise SettingsError("mix weights must be non-negative numbers, not all zero")
    return weights
