"""A training run's checkpoint folder (``core.fast.train``): one run at a time holds it;
saves are atomic, so a run killed mid-save resumes from the previous complete one."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core import images
from core.errors import UserError
from core.fast.photos import PhotoSampler
from core.fast.settings import TrainConfig

_claims: set[Path] = set()  # checkpoint folders being trained in this process
_claims_lock = threading.Lock()


def _held_by_live_process(lock: Path) -> bool:
    try:
        pid = int(lock.read_text())
    except (OSError, ValueError):
        return False
    if pid == os.getpid():
        return False  # this process's own, left by a run that failed: _claims is the truth
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Checkpoint:
    """A training run's folder: weights, Adam's state, step and sampler state, previews.

    The weights and optimizer files carry the step in their names and ``state.json`` names
    them; it is replaced last, in one rename, so a run killed mid-save resumes from the
    previous complete checkpoint.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.state = self.folder / "state.json"

    def exists(self) -> bool:
        return self.state.is_file()

    @contextlib.contextmanager
    def claimed(self):
        """Holds the folder for one run at a time: a second run of the same painting and
        settings (another session, another process) would delete this one's files as it
        saved its own. A lock file names the holding process; one left by a process that
        has died is taken over."""
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = self.folder / "run.lock"
        with _claims_lock:
            if self.folder.resolve() in _claims or _held_by_live_process(lock):
                raise UserError(f"{self.folder} is being trained by another run right now; "
                                "wait for it to finish, or train with other settings")
            _claims.add(self.folder.resolve())
            lock.write_text(str(os.getpid()))
        try:
            yield self
        finally:
            with _claims_lock:
                _claims.discard(self.folder.resolve())
                lock.unlink(missing_ok=True)

    def read_state(self) -> dict:
        try:
            return json.loads(self.state.read_text())
        except (OSError, ValueError) as error:
            raise UserError(f"checkpoint {self.state} is unreadable: {error}") from None

    def resumable_state(self, config: TrainConfig, photos_digest: str) -> dict | None:
        """The saved state, when a run of ``config`` on these photos may resume it; None
        when there is none. Refuses one of other settings, photos or past the steps asked."""
        if not self.exists():
            return None
        saved = self.read_state()
        try:
            saved_config = TrainConfig.from_dict(saved["config"])
        except (KeyError, TypeError, ValueError):
            saved_config = None
        if saved_config is None or not saved_config.same_training(config):
            which = "" if saved_config is None else " ({})".format(
                ", ".join(saved_config.training_differences(config)))
            raise UserError(
                f"{self.folder} holds a run with other settings{which}; pass a new "
                "checkpoint folder, or start afresh (--fresh)")
        if saved.get("photos") != photos_digest:
            raise UserError(f"{self.folder} was trained on another set of photos; "
                             "pass the same folder of photos, or start afresh (--fresh)")
        if saved["step"] > config.steps:
            raise UserError(f"{self.folder} is already at step {saved['step']}, past "
                             f"the {config.steps} steps asked for")
        return saved

    def forget(self) -> None:
        """Start afresh: without its state file the old checkpoint is never resumed."""
        self.state.unlink(missing_ok=True)

    def save(self, trainer, transformer, step: int, elapsed: float, extra: dict,
             sampler: PhotoSampler) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        weights = f"transformer-{step:06d}.weights.h5"
        optimizer = f"optimizer-{step:06d}.npz"
        transformer.save_weights(self.folder / weights)
        with (self.folder / optimizer).open("wb") as handle:
            np.savez(handle, *[np.asarray(v) for v in trainer.optimizer.variables])
        state = {"step": step, "elapsed": elapsed, "weights": weights, "optimizer": optimizer,
                 "sampler": sampler.state(), **extra}
        temporary = self.folder / "state.tmp.json"
        temporary.write_text(json.dumps(state))
        temporary.replace(self.state)
        for old in (*self.folder.glob("transformer-*.weights.h5"),
                    *self.folder.glob("optimizer-*.npz")):
            if old.name not in (weights, optimizer):
                old.unlink()

    def save_preview(self, sheet: np.ndarray, step: int) -> Path:
        path = self.folder / f"preview_{step:05d}.png"
        self.folder.mkdir(parents=True, exist_ok=True)
        images.save_png(sheet, path)
        return path

    def restore(self, trainer_at: Callable[[int], object], transformer,
                sampler: PhotoSampler) -> tuple[int, float]:
        """Weights, the optimizer state of the phase saved in (``trainer_at(step)``'s),
        the sampler; returns (step, elapsed)."""
        state = self.read_state()
        trainer = trainer_at(state["step"])
        transformer.load_weights(self.folder / state["weights"])
        with np.load(self.folder / state["optimizer"]) as saved:
            arrays = [saved[f"arr_{i}"] for i in range(len(saved.files))]
        variables = trainer.optimizer.variables
        shapes_match = len(arrays) == len(variables) and all(
            tuple(v.shape) == a.shape for v, a in zip(variables, arrays, strict=False))
        if not shapes_match:
            raise UserError(f"checkpoint {self.folder} does not match this network")
        for variable, value in zip(variables, arrays, strict=True):
            variable.assign(value)
        sampler.restore(state["sampler"])
        return state["step"], state["elapsed"]
