"""The `this-machine` hardware profile: cores, memory and GPU detected at run time.

Until a live run measures it, memory bandwidth comes from a short numpy copy test and peak compute from the
core count and clock (32 FP32 FLOPs per cycle per core: two 256-bit FMA pipes, as on AVX2 / Zen 4 cores).
The copy test takes about a second; its result is kept in <advisor data dir>/this-machine.json for the same
processor, core count and memory, so later processes reuse it.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import shutil
import subprocess
import time

from advisor.schema.catalog import HardwareProfile

FLOPS_PER_CYCLE_PER_CORE = 32
USABLE_RAM_FRACTION = 0.8
"""Leave a fifth of RAM to the OS and other processes (the same fraction the catalog's CPU profiles use)."""


def _memory_gb() -> float:
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        page_size = os.sysconf("SC_PAGE_SIZE")
        return pages * page_size / 1e9
    except (ValueError, OSError, AttributeError):
        return 8.0


def _clock_ghz() -> float:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("cpu MHz"):
                    return float(line.split(":")[1]) / 1000
    except OSError:
        pass
    return 2.5


def _nvidia_gpu() -> tuple[str, float] | None:
    """(name, memory GB) of the first NVIDIA GPU, when nvidia-smi is present."""
    if not shutil.which("nvidia-smi"):
        return None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if not out:
        return None
    name, memory_mib = out.splitlines()[0].rsplit(",", 1)
    return name.strip(), float(memory_mib) / 1024 * 1.073741824


def measure_copy_bandwidth_gbs(megabytes: int = 256, repeats: int = 8) -> float:
    """Best-of-N numpy copy rate (bytes read + written per second), a floor for what decode can stream.

    Both buffers are written once before timing: a fresh allocation's first touch costs page faults, which would
    make the figure depend on what the process did before (seen: 22 instead of 37 GB/s inside a busy process).
    """
    import numpy as np

    source = np.ones(megabytes * 1024 * 1024 // 8)
    target = np.ones_like(source)
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(target, source)
        elapsed = time.perf_counter() - start
        best = max(best, 2 * source.nbytes / elapsed / 1e9)
    return best


def _processor() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _kept_bandwidth_gbs(cores: int, memory_gb: float) -> tuple[float, str]:
    """The copy test's result for this machine, measured now or kept from an earlier process; and when."""
    from advisor.data.paths import data_dir

    machine = {"processor": _processor(), "cores": cores, "memory_gb": round(memory_gb, 1)}
    path = data_dir() / "this-machine.json"
    try:
        kept = json.loads(path.read_text(encoding="utf-8")[:10_000])
        if kept.get("machine") == machine and 0 < float(kept["copy_bandwidth_gbs"]) < 1e5:
            return float(kept["copy_bandwidth_gbs"]), str(kept["measured_on"])[:10]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        pass  # not measured yet here, or a file this code did not write: measure again
    bandwidth = measure_copy_bandwidth_gbs()
    today = time.strftime("%Y-%m-%d")
    record = {"machine": machine, "copy_bandwidth_gbs": bandwidth, "measured_on": today}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(record), encoding="utf-8")
        temporary.replace(path)
    except OSError:
        pass  # a read-only data folder: the next process measures again
    return bandwidth, today


@functools.cache
def _detect() -> HardwareProfile:
    cores = os.cpu_count() or 1
    memory = _memory_gb()
    gpu = _nvidia_gpu()
    bandwidth, measured_on = _kept_bandwidth_gbs(cores, memory)
    clock = _clock_ghz()
    description = f"{platform.machine()} {cores} cores, {memory:.0f} GB RAM"
    sources = {
        "memory": "detected at run time (os.sysconf)",
        "bandwidth": f"measured on this machine on {measured_on} (numpy copy test, advisor.data.this_machine)",
        "fp16_tflops": f"cores x {clock:.2f} GHz x {FLOPS_PER_CYCLE_PER_CORE} FLOP/cycle (advisor.data.this_machine)",
        "power": "assumed 15 W per core (a typical server core under load)",
        "usable_memory": "advisor.data.this_machine.USABLE_RAM_FRACTION",
    }
    if gpu:
        description += f", GPU {gpu[0]} ({gpu[1]:.0f} GB, not yet used by estimates)"
    return HardwareProfile(
        id="this-machine",
        name=f"This machine ({description})",
        kind="cpu",
        memory_gb=round(memory, 2),
        usable_memory_fraction=USABLE_RAM_FRACTION,
        memory_bandwidth_gbs=round(bandwidth, 1),
        fp16_tflops=round(cores * clock * FLOPS_PER_CYCLE_PER_CORE / 1000, 4),
        power_w=15.0 * cores,
        cpu_cores=cores,
        as_of=time.strftime("%Y-%m"),
        sources=sources,
    )


def detect_this_machine() -> HardwareProfile:
    """The profile of the machine the advisor runs on (detected once per process)."""
    return _detect()
