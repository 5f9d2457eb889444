"""What the machine's CPU can do fast (chooses dtypes for CPU runs)."""

from __future__ import annotations

from pathlib import Path


def cpu_has_amx_bf16() -> bool:
    """Whether the CPU has AMX bf16 tiles (Linux `/proc/cpuinfo`).

    Only AMX makes bf16 pay on a CPU: with it a SmolLM2-135M training step takes about half its fp32
    time; with AVX512-BF16 alone the same forward+backward took 1.75x the fp32 time (docs/BENCHMARKS.md).
    """
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return False
    return {"amx_bf16", "amx_tile"} <= flags
