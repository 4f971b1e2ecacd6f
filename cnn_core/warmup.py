"""Get TensorFlow ready before the first learner presses Train.

    from cnn_core import warmup
    warmup.start_in_background()      # app.py, once per process; returns at once

A fresh server's first training used to take 7.5 s to its first loss point (the next one 0.7 s):
importing TensorFlow, its thread pools, oneDNN's kernels for the first convolution, tf.data, and
loading the dataset. One tiny training step on the default dataset, in a background thread when
the app starts, pays all of that before anyone waits for it. Set CNN_WARM_UP=0 to skip it (a
machine that only runs the labs keeps ~600 MB that TensorFlow would take).
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time

import numpy as np

log = logging.getLogger(__name__)
_started = threading.Event()
done = threading.Event()  # set when the warm-up has finished (or failed)
seconds: float | None = None  # how long it took


def warm_up(dataset: str = "mnist") -> float:
    """One tiny training step and a prediction on `dataset` ("auto" source); returns the seconds it took."""
    t = time.perf_counter()
    from cnn_core import data, models, pipeline, training

    ds = data.load_dataset(dataset, "auto")
    model = models.build_cnn([{"type": "conv", "filters": 8, "kernel": 3}, {"type": "pool"}], ds.input_shape,
                             ds.num_classes)
    training.compile_model(model, training.TrainConfig(dataset=dataset, epochs=1), 1)
    batch = pipeline.make_dataset(ds.x_train, ds.y_train, 128, indices=np.arange(256), shuffle=True)
    model.fit(batch, epochs=1, verbose=0)
    model.predict(pipeline.make_dataset(ds.x_test, ds.y_test, 128, indices=np.arange(128)), verbose=0)
    return time.perf_counter() - t


def freeze_what_is_loaded() -> int:
    """Keep what is loaded now (TensorFlow, Keras, plotly, Streamlit, the dataset: ~370,000
    objects that live as long as the server) out of the garbage collector's full passes. Each
    pass over them held the interpreter lock ~0.2 s, whichever thread it fell on, training
    threads included: with a class training, those were the lab's slowest answers. Garbage is
    collected first; frozen objects are still freed when nothing refers to them."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def start_in_background() -> bool:
    """Start the warm-up once per process (unless CNN_WARM_UP=0); True if this call started it."""
    if os.environ.get("CNN_WARM_UP", "1") == "0" or _started.is_set():
        return False
    _started.set()

    def run():
        global seconds
        from cnn_core.executors import lower_this_threads_priority

        lower_this_threads_priority()  # TensorFlow's thread pools are created here and inherit it
        try:
            seconds = warm_up()
            log.info("TensorFlow warmed up in %.1f s", seconds)
            freeze_what_is_loaded()
        except Exception:  # a warm-up must never take the app down; the first run just starts colder
            log.warning("warm-up failed", exc_info=True)
        finally:
            done.set()

    threading.Thread(target=run, name="warm-up", daemon=True).start()
    return True
