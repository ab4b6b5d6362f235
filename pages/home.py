"""Home: what the studio does, shown with one finished example."""

import streamlit as st

from ui import catalog, frame

frame.require_frame()  # a deep link on a fresh server runs this file alone

EXAMPLE_RESULT = catalog.ROOT / "docs" / "example_castle_starry.png"

st.title("Style Studio")
st.markdown(
    "Paint your photo in the manner of a famous painting. Pick a photo, pick one or more "
    "paintings, press **Run**, and watch the picture form iteration by iteration, with the "
    "losses charted live. Everything runs on this server; nothing you upload is stored, "
    "except a painting you train a network for on the Train page, kept with that network."
)

photo, painting, result = st.columns(3, gap="medium")
photo.image(str(catalog.EXAMPLES_DIR / "castle.jpg"), width="stretch",
            caption="Photo: Neuschwanstein Castle (cameralends, CC0)")
starry_night = catalog.painting(catalog.DEFAULT_STYLE)
painting.image(str(starry_night.path), width="stretch", caption=f"Painting: {starry_night.label}")
if EXAMPLE_RESULT.is_file():
    result.image(str(EXAMPLE_RESULT), width="stretch",
                 caption="Result: classic method, 512 px, recommended preset")
else:
    result.info("The example result is made with: `python -m core classic --content "
                "examples/castle.jpg --style styles/starry_night.jpg --size 512 "
                "--out docs/example_castle_starry.png`")

if st.button("Paint a photo now", type="primary", icon=":material/brush:", key="home.start"):
    st.switch_page("pages/classic.py")

st.subheader("Ways to paint")
WAYS = [
    ("pages/classic.py", "Classic", ":material/brush:",
     "**Classic**: optimises the picture itself (Gatys et al.). Minutes on a CPU, any "
     "painting, every setting adjustable."),
    ("pages/fast.py", "Fast", ":material/bolt:",
     "**Fast**: any painting, yours too, in one pass of a network (Ghiasi et al.), or the "
     "studio's networks trained per painting (Johnson et al.). About a second per photo."),
    ("pages/compare.py", "Compare", ":material/compare:",
     "**Compare**: results side by side, a sweep over two settings, before/after, and how a "
     "classic run evolves; every view can be shared as a link."),
    ("pages/batch.py", "Batch", ":material/photo_library:",
     "**Batch**: many photos, or ZIPs of them, painted the same way, by any of the methods; "
     "one ZIP to download."),
    ("pages/video.py", "Video", ":material/movie:",
     "**Video**: a short clip painted frame by frame by the fast methods, kept steady from "
     "frame to frame, with its sound; one MP4 to download."),
    ("pages/live.py", "Live", ":material/videocam:",
     "**Live**: your camera painted as it films, in the browser, by the fast methods; change "
     "the painting while it runs, snapshot a frame at full size."),
    ("pages/train.py", "Train", ":material/model_training:",
     "**Train**: a network of your own for a painting, trained in the background with "
     "previews; it then paints any photo in a fraction of a second on the Fast page."),
]
for row in range(0, len(WAYS), 3):
    for column, (page, label, icon, about) in zip(st.columns(3, gap="medium"),
                                                  WAYS[row:row + 3], strict=False):
        with column:
            st.markdown(about)
            st.page_link(page, label=label, icon=icon)
