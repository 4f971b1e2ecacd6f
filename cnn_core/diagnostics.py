"""What the process holds, for a teacher (or developer) chasing memory: CNN_DIAGNOSTICS=60 logs it
every 60 s to the terminal that runs the server.

    from cnn_core import diagnostics
    diagnostics.report()    # {"rss_mb": ..., "jobs": ..., "keras_models": ..., "tf_functions": ...}
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
import time

from cnn_core.memory import rss_mb

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
    out = {"rss_mb": round(rss_mb()), **counts, "threads": threading.active_count()}
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


def start_from_environment() -> bool:
    every = os.environ.get("CNN_DIAGNOSTICS", "")
    if not every.replace(".", "", 1).isdigit() or float(every) <= 0:
        return False
    start_logging(float(every))
    return True
