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


def cpu_flags() -> frozenset[str]:
    """The instruction-set flags /proc/cpuinfo lists (empty where it does not exist)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def native_bfloat16(flags: frozenset[str] | None = None) -> bool:
    """Whether the CPU computes in bfloat16 itself (AVX512_BF16 or AMX). Without either,
    TensorFlow emulates bfloat16 and a VGG evaluation takes about 10x float32's time
    (BENCHMARKS.md, "bfloat16 on a CPU without it")."""
    flags = cpu_flags() if flags is None else flags
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def default_precision() -> str:
    """The network precision that is fastest here: bfloat16 where the CPU has it."""
    return "bfloat16" if native_bfloat16() else "float32"
