"""Per-process resources every page shares: the job engine, the loss network's choice."""

from __future__ import annotations

import uuid

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

# TensorFlow, imported here on the script thread. The core imports it lazily (core.lazy: the
# CLI's --help needs none of it), but the app must import it before ui.warmup's thread, which
# the sidebar starts after importing this module, and before a page's Ray calls: with
# TensorFlow imported by the warm-up thread while the script thread used Ray, a page on the
# Ray engine hung (its test waited minutes for an upload's caption).
import core.classic.engine  # noqa: F401  (for its import of TensorFlow)
from core.backbone import BackboneChoice, resolve_backbone
from core.engine import Engine, open_engine

OWNER = "studio.owner"  # not a widget: this browser session's id, the owner of its jobs


@st.cache_resource(show_spinner=False, on_release=Engine.close)
def engine() -> Engine:
    """The one job engine of this server process, shared by every session: the local one
    unless ``$STYLE_STUDIO_ENGINE`` names Ray (``core.engine.open_engine``).

    On the local engine, jobs belong to browser sessions: a session whose tab has closed has
    its job cancelled (``LocalEngine.reap``), so strangers' abandoned runs never hold the
    slots, and the record is kept as long as Streamlit keeps the session for a reconnect. On
    Ray, jobs live in the cluster and outlive sessions and servers: a reload or a shared link
    (the job's id rides in the page's address) reaches them.
    """
    chosen = open_engine()
    chosen.watch_owners(session_connected,
                        forget_after=float(st.get_option("server.disconnectedSessionTTL")))
    return chosen


def engine_or_stop() -> Engine:
    """``engine()``, or the page stops with the reason when the server's environment names a
    bad engine setting (a slot count that is not a number, say): the pages that run jobs."""
    try:
        return engine()
    except ValueError as error:
        st.error(f"Server configuration: {error}")
        st.stop()


def session_connected(owner: str) -> bool:
    """Whether the browser session that owns a job (``<session id>[.<part>]``) is connected.

    Outside a served app (scripts, AppTest) there is no runtime to ask: always True.
    """
    if not runtime.exists():
        return True
    return runtime.get_instance().is_active_session(owner.split(".", 1)[0])


@st.cache_resource(show_spinner=False)  # also called by ui.warmup's thread: no spinner there
def active_backbone() -> BackboneChoice:
    """Which VGG runs when a person leaves the loss network on automatic.

    Decided once per process: without a network the probe takes up to two seconds.
    """
    return resolve_backbone("auto")


def session_owner() -> str:
    """This browser session's id: Streamlit's own, so the job reaper can ask if it is open."""
    if OWNER not in st.session_state:
        context = get_script_run_ctx()
        st.session_state[OWNER] = context.session_id if context else uuid.uuid4().hex
    return st.session_state[OWNER]


def backbone_name() -> str:
    """The automatic loss network's name, or "auto" (the job then explains any problem)."""
    try:
        return active_backbone().name
    except ValueError:
        return "auto"
