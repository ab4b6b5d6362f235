"""What the Live page shows of a stream: frames a second and the size in use, what is wrong
if anything is (in the page's words: ``core.live`` only says what kind of trouble), and
snapshots painted at the frame's full resolution.

The figures are a fragment that reruns itself every ``POLL_SECONDS`` while the stream plays,
so they move without rerunning the page (which would redraw the player). A snapshot is shown
outside it, so its PNG is not sent again every second.
"""

from __future__ import annotations

import json
import logging

import streamlit as st

from core import images
from core.errors import UserError
from core.live import CAMERA_QUIET, CAMERA_SLOW, PAINTING_FAILED, LivePainter, LiveReading, Trouble

POLL_SECONDS = 1.0
SNAPSHOT = "live.snapshot"  # (png bytes, caption, file stem) of the newest snapshot
# What the browser's camera does wrong, in one place: the player's own device form
# (streamlit-webrtc's translations) and the page's note (CAMERA_CHECK) both say these.
CAMERA_REFUSED = ("The browser refused this page the camera. Allow it (the camera icon in "
                  "the address bar, or this site's settings), then press START.")
NO_CAMERA = ("The browser finds no camera. Plug one in (or close the program that holds "
             "it), then press START.")
NO_CAMERA_API = ("This browser cannot share a camera with this page: open it on localhost "
                 "or over https.")
PLAYER_MESSAGES = {
    "device_access_denied": CAMERA_REFUSED,
    "device_not_available": NO_CAMERA,
    "media_api_not_available": NO_CAMERA_API,
    "device_ask_permission": "Allow the camera when the browser asks.",
}
# The player says only "NotAllowedError: Permission denied", and tells the server nothing:
# the browser itself is asked (Permissions API, and the list of devices, which also changes
# when a camera is unplugged), and the page says what to do in its own words. The listeners
# are set once per page, however often Streamlit redraws this.
CAMERA_CHECK = """
<div id="live-camera-note" role="alert" style="display:none; padding: 0.75rem 1rem;
     border-radius: 0.5rem; background: rgba(255, 189, 69, 0.2); color: rgb(146, 108, 5);"></div>
<script>
(async () => {
  const messages = MESSAGES;
  const say = (text) => {
    const note = document.getElementById("live-camera-note");
    if (note) { note.textContent = text; note.style.display = text ? "block" : "none"; }
  };
  let permission = null;
  try { permission = await navigator.permissions.query({name: "camera"}); } catch (error) {}
  async function look() {
    if (permission && permission.state === "denied") return say(messages.refused);
    try {
      const devices = await navigator.mediaDevices.enumerateDevices();
      say(devices.some((device) => device.kind === "videoinput") ? "" : messages.missing);
    } catch (error) {
      say("");  // no device list here: the player shows the browser's own error
    }
  }
  window.liveCameraLook = look;
  if (!window.liveCameraWatched) {
    window.liveCameraWatched = true;
    if (permission) permission.addEventListener("change", () => window.liveCameraLook());
    if (navigator.mediaDevices) {
      navigator.mediaDevices.addEventListener("devicechange", () => window.liveCameraLook());
    }
  }
  look();
})();
</script>
""".replace("MESSAGES", json.dumps({"refused": CAMERA_REFUSED, "missing": NO_CAMERA}))

log = logging.getLogger(__name__)


def camera_note() -> None:
    """A message, in the browser, when it has refused the camera or finds none."""
    st.html(CAMERA_CHECK, unsafe_allow_javascript=True)


def trouble_text(trouble: Trouble) -> str:
    """What is wrong with the stream and what to do, in a line or two."""
    if trouble.kind == PAINTING_FAILED:
        return f"The painting failed, so the camera is shown as it is: {trouble.detail}"
    if trouble.kind == CAMERA_QUIET:
        return (f"No frames from the camera for {trouble.seconds:.0f} s: it was unplugged, "
                "switched off or taken by another program. Press STOP, then START (SELECT "
                "DEVICE picks another camera).")
    if trouble.kind == CAMERA_SLOW:
        return (f"Camera frames reach the server at only {trouble.rate:.1f} a second, so the "
                "painting cannot move more smoothly than that. A slow connection, or a busy "
                "computer at either end, holds them back; closing other tabs or programs "
                "helps, and so does a wired connection.")
    raise ValueError(f"no words for {trouble.kind!r}")


def status_line(reading: LiveReading) -> str:
    """'12.3 fps · painted at 256 × 144 px · camera 1280 × 720', or how it starts."""
    if not reading.started:
        return "Waiting for the camera's first frame…"
    camera_width, camera_height = reading.camera_size
    if reading.painted_size is None:
        return f"Camera {camera_width} × {camera_height}: loading the painting…"
    width, height = reading.painted_size
    return (f"**{reading.fps:.1f} fps** · painted at {width} × {height} px · camera "
            f"{camera_width} × {camera_height}")


def status(live: LivePainter, playing: bool, problem: str | None, stem: str) -> None:
    """The figures while the stream plays, what holds it back, the snapshot button, and
    the newest snapshot."""
    if problem is not None:
        st.warning(problem)

    @st.fragment(run_every=POLL_SECONDS if playing else None)
    def figures() -> None:
        if not playing:
            st.caption("Press **START** and allow the camera. The size adapts to keep "
                       f"{live.config.target_fps:g} painted frames a second where it can.")
        else:
            reading = live.reading()
            st.markdown(status_line(reading))
            if reading.trouble is not None:
                st.warning(trouble_text(reading.trouble))
        snapshot_button(live, playing, stem)

    figures()
    if SNAPSHOT in st.session_state:
        png, caption, snap_stem = st.session_state[SNAPSHOT]
        st.image(png, caption=caption, width="stretch")
        st.download_button("Download snapshot (PNG)", png, file_name=f"{snap_stem}.png",
                           mime="image/png", key="live.snap.download", on_click="ignore",
                           icon=":material/download:")


def snapshot_button(live: LivePainter, playing: bool, stem: str) -> None:
    if not st.button("Snapshot", icon=":material/photo_camera:", key="live.snap",
                     disabled=not playing or live.recipe is None,
                     help="Paints the current frame at its full resolution: the camera's, "
                          "or what the browser sends when it scales its stream down."):
        return
    try:
        with st.spinner("Painting the frame at full size…"):
            painted = live.snapshot()
    except UserError as error:
        st.warning(str(error))
        return
    except Exception as error:  # noqa: BLE001 - the stream goes on; say what happened
        log.exception("live snapshot failed")
        st.error(f"The snapshot could not be painted ({type(error).__name__}: {error}).")
        return
    height, width = painted.shape[:2]
    recipe = live.recipe  # the one it was painted with; a PNG download carries it
    png = recipe.picture_recipe().png(painted) if recipe else images.encode_png(painted)
    st.session_state[SNAPSHOT] = (png,
                                  f"Snapshot · {width} × {height} px", stem)
    st.rerun(scope="app")  # the snapshot is drawn outside this fragment
