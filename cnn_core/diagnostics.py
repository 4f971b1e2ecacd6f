"""What the process holds, for a teacher (or developer) chasing memory: CNN_DIAGNOSTICS=60 logs it
every 60 s to the terminal that runs the server. CNN_PAUSES=1 logs what makes a server slow to
answer: garbage collections over 50 ms, every time a thread that asks to run every 10 ms got
to run 200 ms late or more (the interpreter held by other threads, or no CPU for the process),
and page runs that took 300 ms or more (which page, how long).

    from cnn_core import diagnostics
    diagnostics.report()    # {"rss_mb": ..., "jobs": ..., "keras_models": ..., "malloc_arenas": ..., "tf_functions": ...}
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from cnn_core.memory import heap_count, rss_mb

log = logging.getLogger(__name__)


def report() -> dict:
    """Resident memory and the objects that usually explain it (a full garbage collection first)."""
    gc.collect()
    counts = {"jobs": 0, "jobs_with_models": 0, "keras_models": 0}
    keras = sys.modules.get("keras")
    for obj in gc.get_objects():
        name = type(obj).__name__
        if name == "Job":
            counts["jobs"] += 1
            counts["jobs_with_models"] += getattr(obj, "model", None) is not None
        elif keras is not None and isinstance(obj, keras.Model):
            counts["keras_models"] += 1
    out = {"rss_mb": round(rss_mb()), **counts, "threads": threading.active_count(),
           "malloc_arenas": heap_count()}
    if "tensorflow" in sys.modules:
        from tensorflow.python.eager import context

        out["tf_functions"] = len(context.context().list_function_names())
    return out


def start_logging(every_s: float) -> None:
    def loop():
        while True:
            time.sleep(every_s)
            log.info("diagnostics: %s", report())

    threading.Thread(target=loop, name="diagnostics", daemon=True).start()


def watch_pauses(gc_ms: float = 50.0, late_ms: float = 200.0) -> None:
    """Log garbage collections longer than `gc_ms` and wake-ups later than `late_ms`."""
    started: dict[str, float] = {}

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            started["t"] = time.perf_counter()
        elif "t" in started:
            ms = (time.perf_counter() - started.pop("t")) * 1000
            if ms >= gc_ms:
                log.info("pause: garbage collection of generation %d took %.0f ms (%d collected)",
                         info["generation"], ms, info["collected"])

    def heartbeat() -> None:
        while True:
            t = time.perf_counter()
            time.sleep(0.01)
            late = (time.perf_counter() - t - 0.01) * 1000
            if late >= late_ms:
                log.info("pause: a thread asking to run every 10 ms ran %.0f ms late", late)

    gc.callbacks.append(on_gc)
    threading.Thread(target=heartbeat, name="pause-watch", daemon=True).start()


_watching = threading.Event()
SLOW_RUN_S = 0.3


@contextmanager
def timed_run(what: str) -> Iterator[None]:
    """Log `what` (a page's run) when it took SLOW_RUN_S or more, while pauses are watched."""
    if not _watching.is_set():
        yield
        return
    t = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - t
        if seconds >= SLOW_RUN_S:
            log.info("pause: a run of %s took %.0f ms", what, seconds * 1000)


def start_from_environment() -> bool:
    if os.environ.get("CNN_PAUSES"):
        _watching.set()
        watch_pauses()
    every = os.environ.get("CNN_DIAGNOSTICS", "")
    if not every.replace(".", "", 1).isdigit() or float(every) <= 0:
        return False
    start_logging(float(every))
    return True
