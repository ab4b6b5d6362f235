"""What machine a figure was measured on, for benchmarks and network manifests."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_name() -> str:
    """'AMD EPYC 9R14' from /proc/cpuinfo, else the architecture."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe() -> str:
    """'AMD EPYC 9R14, 2 cores'."""
    return f"{cpu_name()}, {os.cpu_count()} cores"
