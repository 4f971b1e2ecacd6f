"""The server gives back memory that finished work freed (a class of 30 trains in 30 threads)."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cnn_core import memory

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim is Linux's")


def test_memory_freed_in_a_finished_thread_goes_back_to_the_system():
    kept = []

    def work():  # like a training thread: many mid-sized buffers in its own arena, one outlives it
        buffers = [bytearray(64 * 1024) for _ in range(3000)]  # ~200 MB, under malloc's mmap threshold
        kept.append(buffers[-1])

    before = memory.rss_mb()
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    held = memory.rss_mb()
    assert held - before > 150  # glibc keeps the freed pages in the thread's arena
    assert memory.release_freed()
    assert memory.rss_mb() - before < 50


THREADS_AT_ONCE = """
import sys, threading
from cnn_core import memory
if sys.argv[1] == "shared":
    assert memory.share_heaps()
together = threading.Barrier(8)

def page_run():  # 8 threads allocating at the same moment, as a class's page runs and training do
    scraps = [bytearray(1000) for _ in range(1000)]
    together.wait()

threads = [threading.Thread(target=page_run) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(memory.heap_count())
"""


def heaps_after_eight_threads_at_once(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    out = subprocess.run([sys.executable, "-c", THREADS_AT_ONCE, mode], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60, check=True)
    return int(out.stdout.split()[-1])


def test_threads_that_allocate_at_once_share_two_heaps():
    """What one thread freed is reused by the next, not kept in an arena of its own (glibc made one
    per thread here, 16 in a class, and the server kept ~240 MB more after one instead of ~135)."""
    assert heaps_after_eight_threads_at_once("default") > memory.HEAPS  # what glibc does unasked
    assert heaps_after_eight_threads_at_once("shared") <= memory.HEAPS

