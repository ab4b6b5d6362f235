"""Train page: train a network for a bundled or uploaded painting, in the background.

Widgets become a ``core.fast.training_job.TrainTask`` (``ui.train.form``); the job runs on
the server's engine like every other job, its id in Session State, so it outlives reruns and
page switches; ``ui.train.job`` shows its progress, previews and, when it is done, the
network's manifest. The network is saved beside the app's other trained networks
(``core.fast.registry.trained_dir``) and the fast page lists it.
"""

import streamlit as st

from ui import common, frame
from ui.train import form
from ui.train import job as train_job

frame.require_frame()  # a deep link on a fresh server runs this file alone

st.title("Train a network")
st.caption(
    "A network for one painting, which then paints any photo in one pass on the fast page "
    "(Johnson et al., 2016). It starts as the any-painting network with your painting, "
    "without that network's painting reader, and learns the painting further while its "
    "halos are taken out; previews of photos it never trained on show how far it has got. "
    "Training saves a checkpoint as it goes: Cancel, and Resume later."
)
engine = common.engine_or_stop()
job = train_job.followed_job(engine)

painting_col, settings_col = st.columns(2, gap="large")
with painting_col:
    st.subheader("1 · Painting")
    chosen = form.painting_picker()
with settings_col:
    st.subheader("2 · Network")
    task, problem = form.settings_panel(chosen)

busy = train_job.controls(engine, job, task, problem)
if job is not None:
    train_job.job_panel(job, busy)
