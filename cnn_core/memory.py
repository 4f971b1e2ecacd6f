"""The process's memory: how much it holds, and giving back what it has freed.

On Linux, glibc's malloc keeps memory that Python and TensorFlow have freed in per-thread arenas
and reuses it; every training job runs in a new thread, so a server that trained a class holds
hundreds of megabytes of free pages that the next class may never reuse. `release_freed()` hands
whole free pages back to the system (glibc's `malloc_trim`); `share_heaps()` keeps the threads to
two arenas, so what one thread freed is reused by the next instead of staying behind, in scraps
too small to hand back, in an arena of its own. Elsewhere (macOS, Windows, musl) both do nothing.
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


HEAPS = 2  # one per core of the laptop or server we plan for; glibc's default is up to 8 per core
_M_ARENA_MAX = -8  # glibc's mallopt() parameter for the most arenas it creates


@functools.cache
def _glibc(function: str):
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), function)
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl)
        return None


def release_freed() -> bool:
    """Give freed heap pages back to the system; True where that is possible here. ctypes lets go
    of the GIL during the call, so pages and training threads keep running while it works."""
    trim = _glibc("malloc_trim")
    if trim is None:
        return False
    trim(0)
    return True


@functools.cache
def share_heaps(heaps: int = HEAPS) -> bool:
    """From now on threads share at most `heaps` malloc arenas; True where that applies here. Call
    it once, first thing in the process: arenas made before stay. Why: glibc gives a thread that
    allocates while others do an arena of its own, and a class (30 page runs, the event loop,
    training and TensorFlow's pools at once) made 16 of them; after a class of 30 the server kept
    about 240 MB more than before it, with every job, model and session gone, most of it free
    memory in those arenas (`scripts/load_test.py`, 2026-12-06). With two it kept about 135 MB."""
    mallopt = _glibc("mallopt")
    return mallopt is not None and mallopt(_M_ARENA_MAX, heaps) == 1


def heap_count() -> int | None:
    """How many malloc arenas the process has (glibc's malloc_info), None where that is not known."""
    info, open_memstream, fclose = _glibc("malloc_info"), _glibc("open_memstream"), _glibc("fclose")
    if None in (info, open_memstream, fclose):
        return None
    text, size = ctypes.c_char_p(), ctypes.c_size_t()
    open_memstream.restype = ctypes.c_void_p  # a FILE*: ctypes' default int would cut it to 32 bits
    stream = ctypes.c_void_p(open_memstream(ctypes.byref(text), ctypes.byref(size)))
    if not stream.value:
        return None
    info(0, stream)
    fclose(stream)  # fills `text`, which glibc allocated for us
    count = (text.value or b"").count(b"<heap nr=")
    _glibc("free")(text)
    return count
