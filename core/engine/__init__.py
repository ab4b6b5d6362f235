"""Where jobs run: one interface (``Engine``, ``JobHandle``), two engines.

* ``local`` (the default): threads of this process, ``LocalEngine``. ``streamlit run app.py``
  and the command line need nothing else.
* ``ray``: a Ray cluster, ``RayEngine``: worker actors that keep their networks loaded,
  progress streamed back, job records kept in the cluster so that any Streamlit server finds
  a job again by its id.

``open_engine`` picks one from ``EngineSettings``: ``$STYLE_STUDIO_ENGINE`` and
``$STYLE_STUDIO_RAY_ADDRESS`` (or the CLI's ``--engine``/``--ray-address``), and the Ray
workers' resources from ``$STYLE_STUDIO_RAY_WORKER_CPUS``/``_GPUS``/``$STYLE_STUDIO_RAY_WORKERS``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from core.engine.base import Engine, JobHandle
from core.engine.tasks import ClassicTask
from core.errors import SettingsError
from core.validate import require_choice, require_count, require_number

ENGINES = ("local", "ray")
ENGINE_ENV = "STYLE_STUDIO_ENGINE"
RAY_ADDRESS_ENV = "STYLE_STUDIO_RAY_ADDRESS"
WORKER_CPUS_ENV = "STYLE_STUDIO_RAY_WORKER_CPUS"
WORKER_GPUS_ENV = "STYLE_STUDIO_RAY_WORKER_GPUS"
WORKERS_ENV = "STYLE_STUDIO_RAY_WORKERS"
MAX_WORKERS = 1024
# "auto" (the cluster this machine belongs to), HOST:PORT (its head), or ray://HOST:PORT
# (Ray Client, from outside the cluster's network).
RAY_ADDRESS = re.compile(r"auto|(ray://)?[A-Za-z0-9.\-]+:\d{1,5}|\[[0-9a-fA-F:]+\]:\d{1,5}")

__all__ = ["ClassicTask", "Engine", "EngineSettings", "JobHandle", "open_engine"]


@dataclass(frozen=True)
class EngineSettings:
    """Which engine runs jobs, and on Ray, where and with what per worker."""

    engine: str = "local"
    ray_address: str = "auto"
    worker_cpus: float = 1.0  # CPUs Ray reserves for each worker actor
    worker_gpus: float = 0.0  # GPUs each worker gets (e.g. 1, or 0.5 to share one)
    workers: int | None = None  # worker actors; None: as many as the cluster's CPUs allow

    def __post_init__(self):
        require_choice("engine", self.engine, ENGINES)
        if not RAY_ADDRESS.fullmatch(self.ray_address):
            raise SettingsError("the Ray address must be auto, HOST:PORT or ray://HOST:PORT "
                                f"(got {self.ray_address!r})")
        require_number("CPUs per Ray worker", self.worker_cpus)
        require_number("GPUs per Ray worker", self.worker_gpus, allow_zero=True)
        if self.workers is not None:
            require_count("Ray workers", self.workers, 1, MAX_WORKERS)

    @classmethod
    def from_env(cls, **overrides) -> EngineSettings:
        """Settings from the environment; ``overrides`` that are not None win (CLI flags)."""
        values = {
            "engine": os.environ.get(ENGINE_ENV, "").strip() or "local",
            "ray_address": os.environ.get(RAY_ADDRESS_ENV, "").strip() or "auto",
            "worker_cpus": _env_number(WORKER_CPUS_ENV, 1.0),
            "worker_gpus": _env_number(WORKER_GPUS_ENV, 0.0),
            "workers": _env_number(WORKERS_ENV, None, whole=True),
        }
        # Flags first, then one validation: a bad variable that a flag replaces is no error.
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _env_number(name: str, default, *, whole: bool = False):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw) if whole else float(raw)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise SettingsError(f"{name} must be {kind} (got {raw!r})") from None


def open_engine(settings: EngineSettings | None = None) -> Engine:
    """The engine ``settings`` (default: the environment's) name, ready to take jobs.

    Ray is imported only here, and only for the Ray engine: the local engine needs nothing
    beyond the app's own requirements.
    """
    settings = settings or EngineSettings.from_env()
    if settings.engine == "ray":
        from core.engine.cluster import RayEngine

        return RayEngine(settings)
    from core.engine.local import LocalEngine

    return LocalEngine()
