"""What the Live page shows of a running stream: frames a second and the size in use, what
is wrong if anything is, and snapshots painted at the camera's full resolution.

A fragment that reruns itself every ``POLL_SECONDS`` while the stream plays, so the figures
move without rerunning the page (which would redraw the player)."""

from __future__ import annotations

import json

import streamlit as st

from core import images
from core.errors import UserError
from core.live import LivePainter, LiveReading

POLL_SECONDS = 1.0
SNAPSHOT = "live.snapshot"  # (png bytes, caption, file stem) of the newest snapshot
CAMERA_REFUSED = ("The browser refused this page the camera. Allow it (the camera icon in "
                  "the address bar, or this site's settings), then press START.")
NO_CAMERA = ("The browser finds no camera. Plug one in (or close the program that holds "
             "it), then press START.")
# The player says only "NotAllowedError: Permission denied", and tells the server nothing:
# the browser itself is asked (Permissions API, and the list of devices, which also changes
# when a camera is unplugged), and the page says what to do in its own words.
CAMERA_CHECK = """
<div id="live-camera-note" role="alert" style="display:none; padding: 0.75rem 1rem;
     border-radius: 0.5rem; background: rgba(255, 189, 69, 0.2); color: rgb(146, 108, 5);"></div>
<script>
(() => {
  const note = document.getElementById("live-camera-note");
  const say = (text) => { note.textContent = text; note.style.display = text ? "block" : "none"; };
  const messages = MESSAGES;
  async function look() {
    try {
      const status = await navigator.permissions.query({name: "camera"});
      status.onchange = look;
      if (status.state === "denied") return say(messages.refused);
      const devices = await navigator.mediaDevices.enumerateDevices();
      say(devices.some((device) => device.kind === "videoinput") ? "" : messages.missing);
    } catch (error) {
      say("");  // no Permissions API here: the player shows the browser's own error
    }
  }
  look();
  if (navigator.mediaDevices) navigator.mediaDevices.addEventListener("devicechange", look);
})();
</script>
""".replace("MESSAGES", json.dumps({"refused": CAMERA_REFUSED, "missing": NO_CAMERA}))


def camera_note() -> None:
    """A message, in the browser, when it has refused the camera or finds none."""
    st.html(CAMERA_CHECK, unsafe_allow_javascript=True)


def status_line(reading: LiveReading) -> str:
    """'12.3 fps · painted at 256 × 144 px · camera 1280 × 720', or how it starts."""
    if not reading.started:
        return "Waiting for the camera's first frame…"
    if reading.painted_size is None:
        return f"Camera {reading.camera_size[0]} × {reading.camera_size[1]}: loading the painting…"
    width, height = reading.painted_size
    camera_width, camera_height = reading.camera_size
    return (f"**{reading.fps:.1f} fps** · painted at {width} × {height} px · camera "
            f"{camera_width} × {camera_height}")


def status(live: LivePainter, playing: bool, problem: str | None, stem: str) -> None:
    """The figures while the stream plays, what holds it back, and the snapshot button."""
    if problem is not None:
        st.warning(problem)

    @st.fragment(run_every=POLL_SECONDS if playing else None)
    def figures() -> None:
        if not playing:
            st.caption("Press **START** and allow the camera. The size adapts to keep at "
                       f"least {live.config.target_fps:g} painted frames a second.")
        else:
            reading = live.reading()
            st.markdown(status_line(reading))
            if reading.problem:
                st.warning(reading.problem)
        snapshot_button(live, playing, stem)

    figures()


def snapshot_button(live: LivePainter, playing: bool, stem: str) -> None:
    if st.button("Snapshot", icon=":material/photo_camera:", key="live.snap",
                 disabled=not playing or live.recipe is None,
                 help="Paints the current frame at the camera's full resolution."):
        try:
            with st.spinner("Painting the frame at full size…"):
                painted = live.snapshot()
        except UserError as error:
            st.warning(str(error))
        else:
            height, width = painted.shape[:2]
            st.session_state[SNAPSHOT] = (images.encode_png(painted),
                                          f"Snapshot · {width} × {height} px", stem)
    if SNAPSHOT in st.session_state:
        png, caption, snap_stem = st.session_state[SNAPSHOT]
        st.image(png, caption=caption, width="stretch")
        st.download_button("Download snapshot (PNG)", png, file_name=f"{snap_stem}.png",
                           mime="image/png", key="live.snap.download", on_click="ignore",
                           icon=":material/download:")
