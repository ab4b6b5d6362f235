"""The compare page's sweep: one photo and one painting over a grid of two settings
(``core.sweep``), each cell cached, the grid downloadable as a labelled sheet
(``core.compare.sweep_sheet``), its whole state in the link (``ui.compare.link``).

Fast cells are the any-painting network's pictures from the fast page's cache
(``ui.fast.magenta.any_result``): a cell painted once is never painted again. Classic cells
are engine jobs (``ClassicTask``), one a cell, queued for the engine's slots: they run off the
script thread, survive reruns and page switches, can be cancelled, and show up as each one
finishes; a finished cell is kept in the session under its photo, painting and settings.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import streamlit as st

from core import compare, images
from core import sweep as core_sweep
from core.classic import ClassicConfig
from core.engine import ClassicTask
from core.errors import SettingsError
from core.progress import DONE, FAILED
from ui import catalog, common, pickers, shelf
from ui.classic import live
from ui.compare import link as compare_link
from ui.fast import magenta
from ui.text import fast_duration, plural

JOBS = "compare.sweep_jobs"  # not a widget: {cell key: job id} of classic cells under way
MADE = "compare.sweep_made"  # not a widget: {cell key: Made} of finished classic cells
FAILURES = "compare.sweep_failed"  # not a widget: {cell key: the job's error}
KEEP = 72  # finished classic cells a session keeps (two full 6 x 6 sweeps)
POLL_SECONDS = 1.0
METHODS = {core_sweep.FAST: ":material/bolt: Fast (any painting)",
           core_sweep.CLASSIC: ":material/brush: Classic"}
SHEET_CELL_WIDTH = 240  # px
SEED_HELP = ("Kept in the link and the sheet's title as this sweep's record. It changes the "
             "pictures only of a classic run that starts from noise; a sweep's classic cells "
             "start from the fast network's picture and the fast network never varies, so "
             "here another seed paints the same cells (and reruns none of them).")


@dataclass(frozen=True)
class Made:
    """A finished cell: its PNG, how long it took, (width, height)."""

    png: bytes
    seconds: float
    size: tuple[int, int]


def painting_picker() -> pickers.Chosen | None:
    """One bundled painting (a link can name it), shown small."""
    pictures = {picture.stem: picture for picture in catalog.paintings()}
    if not pictures:
        st.warning("No paintings are installed in styles/.")
        return None
    stem = st.selectbox("Painting", list(pictures), key=compare_link.SWEEP_PAINTING,
                        format_func=lambda s: pictures[s].label, persist_state="session")
    chosen = pickers.from_bundled(pictures[stem])
    st.image(chosen.preview, caption=chosen.label, width="stretch")
    return chosen


def _method_changed() -> None:
    """Another method sweeps other settings: its axes start at their defaults."""
    state = st.session_state
    state.update(compare_link.sweep_defaults(state[compare_link.SWEEP_METHOD]))


def settings() -> core_sweep.Sweep | None:
    """The method, both axes' values, the seed (and a classic sweep's size and iterations);
    None, with the reason shown, when a value cannot be used."""
    method = st.segmented_control(
        "Sweep", list(METHODS), format_func=METHODS.__getitem__, required=True,
        key=compare_link.SWEEP_METHOD, on_change=_method_changed, persist_state="session")
    row_axis, column_axis = core_sweep.AXES[method]
    classic = method == core_sweep.CLASSIC
    widths = [3, 3, 1.2, 1.2, 1.2] if classic else [3, 3, 1.2]
    boxes = st.columns(widths, vertical_alignment="bottom")
    hint = f"Up to {core_sweep.MAX_VALUES} numbers, separated by commas"
    rows = boxes[0].text_input(f"Rows: {row_axis.label.lower()}", key=compare_link.ROWS,
                               help=f"{hint}, from {row_axis.low:g} to {row_axis.high:g}.")
    columns = boxes[1].text_input(
        f"Columns: {column_axis.label.lower()}", key=compare_link.COLUMNS,
        help=f"{hint}, from {column_axis.low:g} to {column_axis.high:g}.")
    seed = boxes[2].number_input(
        "Seed", 0, core_sweep.MAX_SEED, step=1, key=compare_link.SEED,
        help=SEED_HELP)
    size, iterations = core_sweep.CLASSIC_SIZE, core_sweep.CLASSIC_ITERATIONS
    if classic:
        size = boxes[3].number_input("Size (px)", core_sweep.MIN_SIDE,
                                     core_sweep.MAX_CLASSIC_SIZE, step=8,
                                     key=compare_link.SWEEP_SIZE)
        iterations = boxes[4].number_input("Iterations", 1, core_sweep.MAX_SWEEP_ITERATIONS,
                                           step=5, key=compare_link.ITERATIONS)
    try:
        return core_sweep.Sweep(
            method, core_sweep.parse_values(rows, row_axis),
            core_sweep.parse_values(columns, column_axis), seed=int(seed), size=int(size),
            iterations=int(iterations))
    except SettingsError as error:
        st.error(f"This sweep cannot be painted: {error}.")
        return None


def show(photo: pickers.Chosen, painting: pickers.Chosen, plan: core_sweep.Sweep) -> None:
    """The sweep's grid (fast: painted now, from the cache; classic: jobs, as they finish)
    and its sheet."""
    rows, columns = plan.shape
    st.caption(f"{rows} × {columns} = {plural(rows * columns, 'cell')} · seed {plan.seed}. "
               + ("Each cell is cached: the same photo, painting and settings are never "
                  "painted twice." if plan.method == core_sweep.FAST else
                  f"Classic cells at {plan.size} px, {plan.iterations} iterations each, one "
                  "job a cell; finished cells are kept for this session."))
    if plan.method == core_sweep.FAST:
        grid = fast_grid(photo, painting, plan)
        draw(plan, grid)
        sheet_download(photo, painting, plan, grid)
    else:
        classic_section(photo, painting, plan)


def fast_grid(photo: pickers.Chosen, painting: pickers.Chosen,
              plan: core_sweep.Sweep) -> list[list[Made | None]]:
    """Each cell from the fast page's cache (painted there first if need be)."""
    grid = []
    with st.spinner("Painting the sweep…"):
        for row in plan.rows:
            grid.append([])
            for column in plan.columns:
                result = magenta.any_result(photo, [painting], [1.0],
                                            plan.fast_config(row, column))
                grid[-1].append(Made(result.png, result.seconds, result.size))
    return grid


def draw(plan: core_sweep.Sweep, grid: list[list], status=None) -> None:
    """The grid as a table: column values on top, row values on the left; a cell without a
    picture shows ``status(row, column)``'s line."""
    row_axis, column_axis = plan.axes
    widths = [0.8] + [2] * len(plan.columns)
    header = st.columns(widths, vertical_alignment="bottom")
    header[0].caption(f"{row_axis.label} ↓  \n{column_axis.label} →")
    for box, value in zip(header[1:], plan.columns, strict=True):
        box.markdown(f"**{axis_label(column_axis, value)}**")
    for row_index, (value, cells) in enumerate(zip(plan.rows, grid, strict=True)):
        boxes = st.columns(widths, vertical_alignment="center")
        boxes[0].markdown(f"**{value:g}**" if row_axis.field != "size" else f"**{value} px**")
        for column_index, (box, made) in enumerate(zip(boxes[1:], cells, strict=True)):
            with box:
                if made is not None:
                    width, height = made.size
                    st.image(made.png, width="stretch",
                             caption=f"{fast_duration(made.seconds)} · {width} × {height} px")
                elif status is not None:
                    status(row_index, column_index)


def axis_label(axis: core_sweep.Axis, value: float) -> str:
    """'384 px', 'strength 0.5', 'weight 100'."""
    short = {"size": "{:g} px", "strength": "strength {:g}", "style_weight": "weight {:g}",
             "style_scale": "scale {:g}"}
    return short[axis.field].format(value)


def sheet_png(photo: pickers.Chosen, painting: pickers.Chosen, plan: core_sweep.Sweep,
              grid: list[list[Made | None]]) -> bytes:
    """The grid as a labelled PNG sheet (``core.compare.sweep_sheet``)."""
    row_axis, column_axis = plan.axes
    pictures = [[None if made is None else compare.decode_png(made.png) for made in row]
                for row in grid]
    return images.encode_png(compare.sweep_sheet(
        pictures, row_axis.label, [axis_label(row_axis, v) for v in plan.rows],
        column_axis.label, [axis_label(column_axis, v) for v in plan.columns],
        sheet_title(photo, painting, plan), cell_width=SHEET_CELL_WIDTH))


def sheet_title(photo: pickers.Chosen, painting: pickers.Chosen,
                plan: core_sweep.Sweep) -> str:
    how = ("fast, any-painting network" if plan.method == core_sweep.FAST else
           f"classic, {plan.size} px, {plan.iterations} iterations")
    return f"{photo.label} × {painting.label} · {how} · seed {plan.seed}"


def sheet_download(photo: pickers.Chosen, painting: pickers.Chosen, plan: core_sweep.Sweep,
                   grid: list[list[Made | None]]) -> None:
    """A button that makes the sheet when clicked (not on every rerun)."""
    stem = shelf.download_stem(photo.name, [painting.name], f"sweep-{plan.method}")
    st.download_button(
        "Download the sweep (PNG sheet)", lambda: sheet_png(photo, painting, plan, grid),
        file_name=f"{stem}.png", mime="image/png", key="compare.sweep_sheet",
        on_click="ignore", icon=":material/download:", type="primary")


# --------------------------------------------------------------------------- classic


def cell_key(photo: pickers.Chosen, painting: pickers.Chosen, config: ClassicConfig) -> str:
    """Equal for the same photo, painting and settings: a finished cell is never rerun."""
    settings = json.dumps(config.to_dict(), sort_keys=True).encode()
    return (f"{compare.digest(photo.pixels)[:16]}:{compare.digest(painting.pixels)[:16]}:"
            f"{hashlib.sha256(settings).hexdigest()[:16]}")


def classic_plan(photo: pickers.Chosen, painting: pickers.Chosen, plan: core_sweep.Sweep
                 ) -> list[list[tuple[str, ClassicConfig]]]:
    """(cell key, config) of every cell, row by row; the loss network as the sidebar says."""
    base = ClassicConfig(backbone=common.backbone_name())
    return [[(cell_key(photo, painting, config), config)
             for column in plan.columns
             for config in [plan.classic_config(row, column, base)]] for row in plan.rows]


def classic_section(photo: pickers.Chosen, painting: pickers.Chosen,
                    plan: core_sweep.Sweep) -> None:
    """Run the cells not made yet (one job each), follow them, draw the grid and the sheet."""
    engine = common.engine()
    cells = [cell for row in classic_plan(photo, painting, plan) for cell in row]
    harvest(engine)
    made, jobs = _store(MADE), _store(JOBS)
    under_way = [key for key, _ in cells if key in jobs]
    missing = [(key, config) for key, config in cells if key not in made and key not in jobs]
    done = sum(key in made for key, _ in cells)
    st.caption(f"{done} of {plural(len(cells), 'cell')} made"
               + (f", {len(under_way)} under way" if under_way else "")
               + (" (each cell is a job: they queue for the engine's "
                  f"{plural(engine.slots, 'slot')})." if missing or under_way else "."))
    if missing or under_way:
        _buttons(engine, photo, painting, missing, under_way)
    live_grid(engine, plan, [key for key, _ in cells], active=bool(under_way))
    if done:
        width = len(plan.columns)
        grid = [[made.get(key) for key, _ in cells[r * width:(r + 1) * width]]
                for r in range(len(plan.rows))]
        sheet_download(photo, painting, plan, grid)


def _buttons(engine, photo: pickers.Chosen, painting: pickers.Chosen,
             missing: list[tuple[str, ClassicConfig]], under_way: list[str]) -> None:
    """Run the cells not made yet; cancel those under way."""
    run_col, cancel_col, _ = st.columns([1.2, 1, 3], vertical_alignment="center")
    if missing and run_col.button(f"Run {plural(len(missing), 'cell')}", type="primary",
                                  key="compare.sweep_run", icon=":material/play_arrow:"):
        submit(engine, photo, painting, missing)
        st.rerun()
    if under_way and cancel_col.button("Cancel the sweep", key="compare.sweep_cancel",
                                       icon=":material/stop:"):
        jobs = _store(JOBS)
        for key in under_way:
            job = engine.get(jobs.pop(key, None))
            if job is not None:
                job.cancel()
        st.rerun()


def _store(key: str) -> dict:
    return st.session_state.setdefault(key, {})


def submit(engine, photo: pickers.Chosen, painting: pickers.Chosen,
           cells: list[tuple[str, ClassicConfig]]) -> None:
    """One classic job a cell, this session's sweep's own (never the classic page's job)."""
    owner = f"{common.session_owner()}.compare.sweep"
    jobs = _store(JOBS)
    _store(FAILURES).clear()
    for key, config in cells:
        task = ClassicTask(content=photo.pixels, styles=(painting.pixels,), config=config,
                           content_name=photo.name, style_names=(painting.name,),
                           requested_backbone="auto")
        jobs[key] = engine.submit(owner, task, replace=False).id


def harvest(engine) -> None:
    """Move the session's finished cell jobs into the made cells (or their failures)."""
    made, jobs, failures = _store(MADE), _store(JOBS), _store(FAILURES)
    for key, job_id in list(jobs.items()):
        job = engine.get(job_id)
        view = None if job is None else job.view()
        if view is not None and view.active:
            continue
        del jobs[key]
        if view is not None and view.status == DONE and view.result is not None:
            result = view.result
            height, width = result.image.shape[:2]
            png = job.task.picture_recipe(result.backbone.name).png(result.image)
            made[key] = Made(png, result.seconds, (width, height))
        elif view is not None and view.status == FAILED:
            failures[key] = view.error or "unknown error"
    for key in list(made)[:-KEEP]:  # the oldest go first
        del made[key]


def live_grid(engine, plan: core_sweep.Sweep, keys: list[str], *, active: bool) -> None:
    """The grid, redrawn every POLL_SECONDS while cells run; one full rerun when all end."""
    columns = len(plan.columns)

    @st.fragment(run_every=POLL_SECONDS if active else None)
    def live() -> None:
        harvest(engine)
        made, jobs = _store(MADE), _store(JOBS)
        if active and not any(key in jobs for key in keys):
            st.rerun()  # the last one just ended: the sheet's button comes with a full rerun
        grid = [[made.get(key) for key in keys[r * columns:(r + 1) * columns]]
                for r in range(len(plan.rows))]
        draw(plan, grid, lambda r, c: cell_status(engine, keys[r * columns + c]))

    live()


def cell_status(engine, key: str) -> None:
    """A cell without its picture: its job's progress, its failure, or not run yet."""
    job = engine.get(_store(JOBS).get(key))
    if job is not None:
        view = job.view()
        st.progress(view.fraction(), text=live.progress_text(view))
    elif key in _store(FAILURES):
        st.error(f"Failed: {_store(FAILURES)[key]}")
    else:
        st.caption("Not run yet.")
