"""Home: what the studio does, shown with one finished example."""

import streamlit as st

from ui import catalog, frame

frame.require_frame()  # a deep link on a fresh server runs this file alone

EXAMPLE_RESULT = catalog.ROOT / "docs" / "example_castle_starry.png"

st.title("Style Studio")
st.markdown(
    "Paint your photo in the manner of a famous painting. Pick a photo, pick one or more "
    "paintings, press **Run**, and watch the picture form iteration by iteration, with the "
    "losses charted live. Everything runs on this server; nothing you upload is stored."
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
classic, fast, compare, batch, video = st.columns(5, gap="medium")
with classic:
    st.markdown("**Classic**: optimises the picture itself (Gatys et al.). Minutes on a "
                "CPU, any painting, every setting adjustable.")
    st.page_link("pages/classic.py", label="Classic", icon=":material/brush:")
with fast:
    st.markdown("**Fast**: any painting, yours too, in one pass of a network (Ghiasi et "
                "al.), or the studio's networks trained per painting (Johnson et al.). About "
                "a second per photo.")
    st.page_link("pages/fast.py", label="Fast", icon=":material/bolt:")
with compare:
    st.markdown("**Compare**: results side by side, before/after, and how a classic run "
                "evolves; every view can be shared as a link.")
    st.page_link("pages/compare.py", label="Compare", icon=":material/compare:")
with batch:
    st.markdown("**Batch**: many photos, or ZIPs of them, painted the same way, by any of "
                "the methods; one ZIP to download.")
    st.page_link("pages/batch.py", label="Batch", icon=":material/photo_library:")
with video:
    st.markdown("**Video**: a short clip painted frame by frame by the fast methods, kept "
                "steady from frame to frame, with its sound; one MP4 to download.")
    st.page_link("pages/video.py", label="Video", icon=":material/movie:")
