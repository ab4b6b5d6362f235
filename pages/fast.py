"""Fast page: a photo painted in one pass, three ways.

* Any painting (the default): Magenta's arbitrary-style network takes any painting, bundled
  or uploaded, or a mix of several; ``ui.fast.magenta``.
* Trained networks: one network per painting, trained by this studio (Johnson et al.);
  ``ui.fast.results``.
* 26 styles: Magenta's multi-style network, as a gallery, blended by weights.

Widgets become a ``FastConfig`` / ``ArbitraryConfig``; the ``ui`` modules paint (cached per
photo, style and settings) and lay out the results.
"""

import streamlit as st

from core.fast import arbitrary
from core.fast.apply import FastConfig
from ui import frame, pickers
from ui import regions as regions_ui
from ui.fast import link, repeat
from ui.fast import magenta as arbitrary_results
from ui.fast import results as fast_results

frame.require_frame()  # a deep link on a fresh server runs this file alone

MODE = repeat.MODE
MODES = {
    "any": ":material/palette: Any painting",
    "trained": ":material/model_training: Trained networks",
    "multi": ":material/grid_view: 26 styles",
}

st.title("Fast style transfer")
st.caption(
    "A photo painted in one pass of a network, in about a second instead of minutes. "
    "**Any painting** works: upload your own, or mix several. The studio's own networks, each "
    "trained for one painting, and a network that knows 26 styles are one click away."
)
repeat.drop_zone()
link.read_once(MODE)
mode = st.segmented_control("Method", list(MODES), format_func=MODES.__getitem__, key=MODE,
                            default="any", required=True, persist_state="session",
                            label_visibility="collapsed")

models = []
if mode == "trained":
    try:
        models = fast_results.available_models()
    except ValueError as error:  # a damaged manifest
        st.error(str(error))
        st.stop()
    if not models:
        st.warning("No style networks are installed. Train one with `python -m core "
                   "train-fast` (see below), or use Any painting.")
elif (problem := arbitrary_results.problem()) is not None:
    st.error(f"The any-painting networks cannot be used: {problem}")
    st.stop()

photo_col, style_col = st.columns(2, gap="large")
with photo_col:
    st.subheader("1 · Photo")
    content = pickers.content_picker("fast")
with style_col:
    if mode == "any":
        st.subheader("2 · Painting")
        st.caption(arbitrary_results.ABOUT)
        painted_with = pickers.style_picker("fast.any")
    elif mode == "trained":
        st.subheader("2 · Painting")
        chosen = fast_results.style_picker(models)
    else:
        st.subheader("2 · Painting")
        st.caption("Dumoulin et al. (2017), from Google Magenta: one network, 26 styles (those "
                   "of TensorFlow's Android demo, unnamed there: numbered here 0 to 25). Tick "
                   "them in the gallery below, which shows your photo in each; several are "
                   "blended by their weights.")

masks = None
if mode == "any" and content is not None and painted_with is not None:
    masks = regions_ui.regions_panel("fast", content.pixels,
                                     [regions_ui.short_name(p.name) for p in painted_with[0]])
    if masks is not None and len(painted_with[0]) > 1:
        st.caption("By region, each painting paints its own part alone: the blend weights "
                   "are not used.")
elif mode != "any" and regions_ui.wanted("fast"):
    st.caption("Regions are on, but this page paints them with Any painting only: here "
               "this method paints the whole photo. The command line does regions with it "
               "too: `python -m core fast ... --masks a.png b.png`.")

st.subheader("3 · Settings")
size_col, strength_col, colour_col = st.columns([2, 2, 1.5], vertical_alignment="bottom")
size = size_col.slider("Size (longest side, px)", 256, fast_results.size_limit(),
                       FastConfig.size, step=8, key=fast_results.SIZE, persist_state="session")
strength_help = ("0 paints the photo in its own style, 1 in the painting's (Magenta's "
                 "interpolation of the two style vectors)." if mode == "any" else
                 "0 keeps the photo, 1 is the network's full painting.")
strength = strength_col.slider("Strength", 0.0, 1.0, FastConfig.strength, step=0.05,
                               key=fast_results.STRENGTH, persist_state="session",
                               help=strength_help)
keep_colours = colour_col.toggle("Keep photo colours", key=fast_results.PRESERVE_COLORS,
                                 persist_state="session")

if content is None:
    st.stop()  # the picker has said why
fast_results.print_size_note(content.pixels, size, mode)
if mode == "any":
    if painted_with is not None:
        paintings, mix = painted_with
        config = arbitrary.ArbitraryConfig(size=size, strength=strength,
                                           preserve_colors=keep_colours)
        if masks is not None:
            with st.spinner("Painting each region…"):
                result = arbitrary_results.paint_regions(content, paintings, masks, config)
        elif regions_ui.wanted("fast"):
            st.stop()  # regions on but not usable: the panel has said why
        else:
            with st.spinner("Painting…"):
                result = arbitrary_results.paint_any(content, paintings, mix, config)
        arbitrary_results.show(result, "any-painting", None if masks is not None else
                               arbitrary_results.any_sixteen_bits(content, paintings, mix, config))
        repeat.refine_button(content, paintings, mix, result, masks)
        if masks is not None:
            link.share(content, paintings, masks)
elif mode == "trained":
    config = FastConfig(size=size, strength=strength, preserve_colors=keep_colours)
    if chosen:
        fast_results.show(content, chosen, config, refine=repeat.refine_trained)
    elif models:
        st.info("Choose at least one painting.")
    with st.expander("Train a network for your own painting"):
        st.markdown(fast_results.TRAINING_HELP)
else:
    choices = arbitrary_results.multistyle_picker(content)
    if choices:
        config = arbitrary.ArbitraryConfig(size=size, strength=strength,
                                           preserve_colors=keep_colours)
        with st.spinner("Painting…"):
            result = arbitrary_results.paint_multistyle(content, choices, config)
        arbitrary_results.show(result, "26-styles",
                               arbitrary_results.multistyle_sixteen_bits(content, choices, config))
