"""A before/after slider: two pictures stacked, a range input uncovers one over the other.

Streamlit has no such widget, so this is a small self-contained page in an ``st.iframe``:
both pictures travel inside it as base64 data URIs, the script is inline, and nothing is
fetched from anywhere (it works offline). Labels can come from upload file names, so they
are HTML-escaped; the pictures are our own JPEG bytes.
"""

from __future__ import annotations

import base64
import html

import numpy as np
import streamlit as st

from core import compare

DISPLAY_SIDE = 960  # px; the pictures are sent to the browser at most this large

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><style>
  body {{ margin: 0; font-family: "Source Sans Pro", sans-serif; color: #31333f; }}
  .slider {{ position: relative; width: 100%; aspect-ratio: {width} / {height};
             overflow: hidden; user-select: none; border-radius: 4px; --cut: 50%; }}
  .slider img {{ position: absolute; inset: 0; width: 100%; height: 100%; display: block; }}
  .slider .before {{ clip-path: inset(0 calc(100% - var(--cut)) 0 0); }}
  .slider .line {{ position: absolute; top: 0; bottom: 0; left: var(--cut); width: 2px;
                   margin-left: -1px; background: #fff; box-shadow: 0 0 4px #0009;
                   pointer-events: none; }}
  .slider .line::after {{ content: "⇔"; position: absolute; top: 50%; left: 50%;
                          transform: translate(-50%, -50%); background: #fff;
                          border-radius: 50%; width: 32px; height: 32px; line-height: 32px;
                          text-align: center; font-size: 20px; box-shadow: 0 0 4px #0009; }}
  .slider input {{ position: absolute; inset: 0; width: 100%; height: 100%; margin: 0;
                   opacity: 0; cursor: ew-resize; }}
  .labels {{ display: flex; justify-content: space-between; font-size: 14px;
             padding: 4px 2px; }}
</style></head><body>
<div class="slider">
  <img class="after" alt="{after_label}" src="data:image/jpeg;base64,{after}">
  <img class="before" alt="{before_label}" src="data:image/jpeg;base64,{before}">
  <div class="line"></div>
  <input type="range" min="0" max="100" step="0.1" value="50"
         aria-label="Share of the picture that shows {before_label}">
</div>
<div class="labels"><span>◀ {before_label}</span><span>{after_label} ▶</span></div>
<script>
  const slider = document.querySelector(".slider");
  const range = slider.querySelector("input");
  range.addEventListener("input", () => slider.style.setProperty("--cut", range.value + "%"));
</script>
</body></html>
"""


def slider_page(before: np.ndarray, after: np.ndarray, before_label: str,
                after_label: str) -> str:
    """The slider as one HTML page; ``after`` is fitted to ``before``'s shape."""
    before, after = compare.matched_pair(before, after, DISPLAY_SIDE)
    height, width = before.shape[:2]
    return _PAGE.format(
        width=width, height=height,
        before=_base64_jpeg(before), after=_base64_jpeg(after),
        before_label=html.escape(before_label), after_label=html.escape(after_label),
    )


def show(before: np.ndarray, after: np.ndarray, before_label: str, after_label: str) -> None:
    st.iframe(slider_page(before, after, before_label, after_label), height="content",
              alt=f"Before/after slider: {before_label} against {after_label}")


def _base64_jpeg(pixels: np.ndarray) -> str:
    return base64.b64encode(compare.encode_jpeg(pixels)).decode("ascii")
