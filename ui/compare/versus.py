"""Classic against fast: one photo, one painting, three methods side by side with their times:
the classic optimisation, the studio's network trained for that painting, and the
any-painting network given the same painting.

The fast pictures come from the fast page's caches; the classic one from this session's
shelf. Without one, the page offers to start a classic job: the run a link names, else the
recommended preset.
That job is this page's own (its own owner and Session State key), so it never replaces
or cancels the classic page's job; it queues for a slot like any other.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from core import compare
from core.classic import PRESETS, ClassicConfig
from core.engine import ClassicTask, JobHandle
from core.fast import arbitrary, registry
from core.fast.apply import MAX_FAST_SIDE, FastConfig
from core.progress import FAILED
from ui import catalog, common, pickers, recipe, shelf
from ui.classic import live, settings
from ui.compare import link as compare_link
from ui.compare import views as compare_views
from ui.fast import magenta as arbitrary_results
from ui.fast import results as fast_results
from ui.text import fast_duration

JOB = "compare.job_id"  # not a widget: the id of this page's classic job
PRESET = "recommended"


def shelve_finished_jobs() -> None:
    """Shelve the session's finished classic jobs, the classic page's and this page's."""
    engine = common.engine()
    for key in (live.JOB, JOB):
        job = engine.get(st.session_state.get(key))
        if job is not None:
            live.shelve(job)


@dataclasses.dataclass(frozen=True)
class ClassicPick:
    """The classic result this view shows (None before there is one) and the run a link
    names (None without a link), looked up once per rerun: the lookup honours the link."""

    result: shelf.Result | None
    wanted: str | None

    @property
    def fast_size(self) -> int | None:
        """The size both fast networks paint at: the classic picture's, so that the times
        and pictures compare like with like (within what fast networks paint); None
        without a classic result (the page's size then)."""
        if self.result is None:
            return None
        return min(max(self.result.size), MAX_FAST_SIDE)


def pick_classic(photo: pickers.Chosen, model: registry.StyleModel) -> ClassicPick:
    """The run a link names, until it is shown; after that the newest run of this pair."""
    painting = fast_results.painting_name(model)
    state = st.session_state
    pending = state.get(compare_link.FROM_LINK, set())
    wanted = state.get(compare_link.CLASSIC) if compare_link.CLASSIC in pending else None
    classic = shelf.classic_for(compare.digest(photo.pixels), painting, wanted)
    state[compare_link.CLASSIC] = wanted if classic is None else classic.style
    if classic is not None:
        pending.discard(compare_link.CLASSIC)
    return ClassicPick(classic, wanted)


def classic_vs_fast(photo: pickers.Chosen, model: registry.StyleModel, config: FastConfig,
                    pick: ClassicPick) -> list[shelf.Result]:
    """The three pictures and their times; returns the results shown. ``config``'s size
    is ``pick.fast_size`` when there is a classic result (``views.settings_row(
    pick.fast_size)`` made it), so that all three compare like with like."""
    classic, wanted = pick.result, pick.wanted
    fast = fast_results.paint_each(photo, [model], config)
    picture = _painting_picture(model)
    any_painting = None
    if picture is not None and arbitrary_results.problem() is None:
        same = arbitrary.ArbitraryConfig(size=config.size, strength=config.strength,
                                         preserve_colors=config.preserve_colors,
                                         dehalo=config.dehalo)
        any_painting = arbitrary_results.paint_any(photo, [picture], [1.0], same)
    classic_col, fast_col, any_col = st.columns(3, gap="medium")
    with classic_col:
        st.markdown("**Classic** (Gatys et al.: optimise the pixels)")
        if classic is not None:
            st.image(classic.png, width="stretch", caption=_caption(classic))
        elif picture is None:
            st.warning(f"The painting {model.painting} is not installed, so the classic "
                       "method cannot use it.")
        else:
            offer_classic_run(photo, [picture], (1.0,), wanted_config(wanted))
    with fast_col:
        st.markdown("**Trained network** (Johnson et al.: one network per painting)")
        for result in fast:
            st.image(result.png, width="stretch", caption=_caption(result))
    with any_col:
        st.markdown("**Any painting** (Ghiasi et al.: one network for every painting)")
        if any_painting is not None:
            st.image(any_painting.png, width="stretch", caption=_caption(any_painting))
        else:
            st.info("The any-painting network or this painting is not installed.")
    shown = [result for result in (classic, *fast, any_painting) if result is not None]
    _timings(shown)
    if len(shown) > 1:
        compare_views.sheet_download(photo, shown, "classic-vs-fast")
    return shown


def wanted_config(wanted: str | None) -> ClassicConfig:
    """The run a link names, else the recommended preset; within the server's limits."""
    config = recipe.decode(wanted) if wanted else PRESETS[PRESET]
    limits = settings.limits()
    return dataclasses.replace(
        config, size=min(config.size, limits.max_size),
        iterations=None if config.iterations is None else min(config.iterations,
                                                              limits.max_iterations),
        # "auto" is decided once per process (sidebar); the job then skips the probe.
        backbone=common.backbone_name())


def _caption(result: shelf.Result) -> str:
    width, height = result.size
    return (f"{result.label} · {result.method} · {fast_duration(result.seconds)} · "
            f"{width} × {height} px · {result.settings}")


METHOD_NAMES = {shelf.CLASSIC: "Classic", shelf.FAST: "Trained network",
                shelf.ARBITRARY: "Any painting"}


def _timings(shown: list[shelf.Result]) -> None:
    """One metric per method; "N× quicker" only between pictures of the same size."""
    if len(shown) < 2:
        return
    sizes = {result.size for result in shown}
    slowest = max(result.seconds for result in shown)
    for column, result in zip(st.columns(len(shown)), shown, strict=True):
        quicker = slowest / max(result.seconds, 1e-9)
        badge = f"{quicker:,.0f}× quicker" if quicker >= 1.5 and len(sizes) == 1 else None
        column.metric(METHOD_NAMES.get(result.method, result.method),
                      fast_duration(result.seconds), delta=badge)
    together = {2: "Both", 3: "All three"}[len(shown)]  # classic, trained, any painting
    size_note = (f"{together} at {' × '.join(map(str, next(iter(sizes))))} px. "
                 if len(sizes) == 1 else "The pictures are at different sizes (see the "
                 "captions), so no speed-up is claimed. ")
    st.caption(size_note + "Times of the painting itself, with every network already loaded: "
               "the classic optimisation (its first iteration also traces its graph), each "
               "fast network's one pass, traced at start-up (the any-painting one including "
               "reading the painting).")


def offer_classic_run(photo: pickers.Chosen, paintings: list[pickers.Chosen],
                      weights: tuple[float, ...], config: ClassicConfig) -> None:
    """Say which classic run this view needs and offer to run it (this page's own job)."""
    engine = common.engine()
    job = engine.get(st.session_state.get(JOB))
    if job is not None and job.active:
        _progress(job)
        return
    if job is not None and job.status == FAILED:
        st.error(f"The last classic run failed: {job.error}")
    height, width = photo.pixels.shape[:2]
    estimate = live.estimate_text(config, width, height)
    names = " + ".join(painting.label for painting in paintings)
    st.info(f"This view needs a classic run of {photo.label} with {names} "
            f"({recipe.describe(config)}) that this session does not have yet: pictures do "
            f"not travel in links. Run it here ({estimate}), or on the classic page.")
    if st.button("Run classic", key="compare.run_classic", icon=":material/play_arrow:",
                 type="primary"):
        task = ClassicTask(
            content=photo.pixels, styles=tuple(p.pixels for p in paintings), config=config,
            style_blend=weights if len(paintings) > 1 else None, content_name=photo.name,
            style_names=tuple(p.name for p in paintings), requested_backbone="auto")
        owner = f"{common.session_owner()}.compare"  # not the classic page's job
        st.session_state[JOB] = engine.submit(owner, task).id
        st.session_state[compare_link.CLASSIC] = recipe.encode(config)
        st.rerun()


def _painting_picture(model: registry.StyleModel) -> pickers.Chosen | None:
    """The painting the network learned (``model.painting_path``: an uploaded painting's
    copy beside a trained-here network, else the bundled one), None when it is missing."""
    from core import images
    from core.errors import UserError

    path = model.painting_path
    if not path.is_file():
        return None
    if path.parent.resolve() == catalog.STYLES_DIR.resolve():
        picture = catalog.painting(path.name)
        if picture is not None:
            return pickers.from_bundled(picture)
    try:
        pixels = images.load_image(path, what=f"painting {path.name}")
    except UserError:
        return None
    return pickers.Chosen(pixels, images.shrink_to(pixels, pickers.PREVIEW_SIDE),
                          f"{path.parent.name}/{path.name}", model.label)


def _progress(job: JobHandle) -> None:
    task = job.task
    st.caption(f"Classic run of {live.title(task.content_name)} with "
               f"{' + '.join(live.title(name) for name in task.style_names)}:")

    # only called while it runs; its end reruns the page, which shelves and shows it
    live.job_panel(job, active=True, compact=True)
    if st.button("Cancel", key="compare.cancel_classic", icon=":material/stop:"):
        job.cancel()
        st.rerun()
