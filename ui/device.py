"""Which device training runs on, in one sentence, without making the page wait for TensorFlow."""

from __future__ import annotations

import importlib.metadata
import os
import sys

from cnn_core import executors


def _cpu_only_build() -> bool:
    """True when the installed TensorFlow is the CPU-only wheel (what requirements.txt pins on x86-64 Linux)."""
    try:
        importlib.metadata.distribution("tensorflow-cpu")
        return True
    except importlib.metadata.PackageNotFoundError:
        return False


def gpus() -> list[str] | None:
    """The GPUs TensorFlow sees, or None while TensorFlow is not loaded yet (it loads in the background)."""
    tf = sys.modules.get("tensorflow")
    if tf is None or not hasattr(tf, "config"):
        return None
    try:
        return [d.name for d in tf.config.list_physical_devices("GPU")]
    except Exception:
        return None


def sentence() -> str:
    where = executors.where_jobs_run()
    if where is not None:  # on a Ray cluster, or here because it could not be reached
        return str(where)
    cores = os.cpu_count() or 1
    if _cpu_only_build():
        return (f"Trains on this computer's CPU ({cores} cores): the TensorFlow installed here is the CPU-only "
                "build (the README says how to use an NVIDIA GPU).")
    found = gpus()
    if found:
        return f"Trains on the GPU ({', '.join(found)}), with float32 as everywhere in this app."
    if found is None:
        return f"Trains on a GPU if TensorFlow finds one, else on the CPU ({cores} cores)."
    return f"Trains on this computer's CPU ({cores} cores): TensorFlow found no GPU."
