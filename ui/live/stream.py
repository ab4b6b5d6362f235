"""The camera stream: streamlit-webrtc's player (its own START and STOP), each camera frame
painted by the session's ``core.live.LivePainter`` on the stream's processing thread.

The painter lives in the session, so a rerun (a new painting, strength, colours) changes
what the running stream paints without reconnecting. streamlit-webrtc processes frames
asynchronously: frames that arrive while one is painted wait, and the callback gets them all
at once, paints the newest and counts them all (the camera's own rate, apart from the
painting's); the browser is sent the newest painting at the camera's pace. When the viewer
stops, or the browser session ends, streamlit-webrtc closes the connection and the
processing thread: nothing of that viewer runs on. Every viewer paints with the same loaded
networks (``core.batch.painting.loaded``, one per process).
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
from pathlib import Path

import av
import streamlit as st

from core.live import LivePainter
from ui.live import panel

PAINTER = "live.painter"
STREAM = "live.stream"
SECRETS_SECTION = "live"  # .streamlit/secrets.toml: [live] ice_servers = [...]
# Ask for a camera picture good enough for a snapshot; the painting itself is much smaller
# (core.live.next_side). 15 frames a second is above the painted rate this CPU can hold.
CONSTRAINTS = {
    "video": {"width": {"ideal": 1280}, "height": {"ideal": 720},
              "frameRate": {"ideal": 15, "max": 30}},
    "audio": False,
}


class VideoFrame:
    """A decoded WebRTC frame as ``core.live.CameraFrame``: scaled and turned into RGB by
    FFmpeg's swscale in one step, only at the size asked for."""

    def __init__(self, frame: av.VideoFrame):
        self.frame = frame
        self.width, self.height = frame.width, frame.height

    def rgb(self, width: int | None = None, height: int | None = None):
        return self.frame.reformat(width=width, height=height, format="rgb24",
                                   interpolation="AREA").to_ndarray()


def painter() -> LivePainter:
    """This browser session's painter (one per session, kept across reruns)."""
    if PAINTER not in st.session_state:
        st.session_state[PAINTER] = LivePainter()
    return st.session_state[PAINTER]


def ice_servers() -> list[dict]:
    """The STUN/TURN servers from the app's secrets (``[live] ice_servers``); none by
    default. A browser on the server's own machine or network connects directly; across
    the internet a TURN server relays the video (README, "Hosting the Live page")."""
    try:
        section = st.secrets.get(SECRETS_SECTION, {})
    except FileNotFoundError:  # no secrets file at all
        return []
    servers = section.get("ice_servers", [])
    if not isinstance(servers, (list, tuple)) or not all(
            hasattr(server, "get") and server.get("urls") for server in servers):
        st.error(f"[{SECRETS_SECTION}] ice_servers in the app's secrets must be a list of "
                 "tables, each with urls (and username, credential for TURN); ignored.")
        return []
    return [dict(server) for server in servers]


def load_webrtc():
    """streamlit_webrtc, imported so that it can live beside TensorFlow.

    aiortc encrypts the video with pylibsrtp, whose extension has OpenSSL linked in and
    exported. Loaded after TensorFlow, its own calls into OpenSSL bind to the copy that
    TensorFlow's libraries export, and the process dies (a segmentation fault at import).
    Loading it first with RTLD_DEEPBIND makes it bind to its own copy; the import then finds
    it loaded. Only that library is opened this way: the process's dlopen flags stay as
    they are."""
    spec = importlib.util.find_spec("pylibsrtp")  # finds the package without importing it
    deep_bind = getattr(os, "RTLD_DEEPBIND", None)  # glibc only; elsewhere nothing to do
    if spec is not None and spec.origin and deep_bind is not None:
        for binding in Path(spec.origin).parent.glob("_binding*.so"):
            ctypes.CDLL(str(binding), mode=os.RTLD_NOW | os.RTLD_LOCAL | deep_bind)
    import streamlit_webrtc

    offer_loopback()
    return streamlit_webrtc


def offer_loopback() -> None:
    """Let the server offer 127.0.0.1 to the browser as well.

    aioice, aiortc's ICE, offers every address of the machine except 127.0.0.1. With no
    network up (a laptop offline), that is all of them, and a browser on the same machine
    could never connect. Offered last, it costs a remote browser nothing (its own loopback
    answers no one)."""
    import aioice.ice as ice

    original = ice.get_host_addresses
    if getattr(original, "offers_loopback", False):
        return

    def with_loopback(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        found = original(use_ipv4, use_ipv6)
        return [*found, "127.0.0.1"] if use_ipv4 and "127.0.0.1" not in found else found

    with_loopback.offers_loopback = True
    ice.get_host_addresses = with_loopback


def stream(live: LivePainter):
    """The player: the camera painted by ``live``; streamlit-webrtc's context."""
    webrtc = load_webrtc()

    async def painted(frames: list[av.VideoFrame]) -> list[av.VideoFrame]:
        # The frames that came while the last one was painted: the newest is painted, all
        # are counted (the camera's own rate, apart from the painting's).
        painted = live.paint_frame(VideoFrame(frames[-1]), arrived=len(frames))
        return [av.VideoFrame.from_ndarray(painted, format="rgb24")]

    # An empty list, not None: with None streamlit-webrtc fills in Google's STUN server
    # or asks Twilio, Cloudflare or Hugging Face for TURN credentials.
    return webrtc.webrtc_streamer(
        key=STREAM, mode=webrtc.WebRtcMode.SENDRECV, queued_video_frames_callback=painted,
        rtc_configuration={"iceServers": ice_servers()}, media_stream_constraints=CONSTRAINTS,
        async_processing=True, translations=panel.PLAYER_MESSAGES,
        video_html_attrs={"autoPlay": True, "controls": False, "muted": True,
                          "style": {"width": "100%"}})
