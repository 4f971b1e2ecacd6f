"""The process's memory: how much it holds, and giving back what it has freed.

On Linux, glibc's malloc keeps memory that Python and TensorFlow have freed in per-thread arenas
and reuses it; every training job runs in a new thread, so a server that trained a class holds
hundreds of megabytes of free pages that the next class may never reuse. `release_freed()` hands
whole free pages back to the system (glibc's `malloc_trim`); elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from pathlib import Path


def rss_mb() -> float:
    """Resident memory of this process in MB (0.0 where /proc is not there)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@functools.cache
def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl)
        return None


def release_freed() -> bool:
    """Give freed heap pages back to the system; True where that is possible here. ctypes lets go
    of the GIL during the call, so pages and training threads keep running while it works."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
