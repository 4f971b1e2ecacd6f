"""The server gives back memory that finished work freed (a class of 30 trains in 30 threads)."""

import sys
import threading

import pytest

from cnn_core import memory

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
