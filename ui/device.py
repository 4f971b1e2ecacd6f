"""Which device training runs on, in one sentence, without making the page wait for TensorFlow."""

from __future__ import annotations

import importlib.metadata
import os
import sys

from cnn_core import executors
from cnn_core.i18n import _, ngettext


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
    """Where training runs, in the reader's language."""
    where = executors.where_jobs_run()
    if where is not None:  # on a Ray cluster, or here because it could not be reached
        return str(where)
    cores = os.cpu_count() or 1
    if _cpu_only_build():
        return ngettext("Trains on this computer's CPU ({cores} core): the TensorFlow installed here is the CPU-only "
                        "build (the README says how to use an NVIDIA GPU).",
                        "Trains on this computer's CPU ({cores} cores): the TensorFlow installed here is the CPU-only "
                        "build (the README says how to use an NVIDIA GPU).", cores).format(cores=cores)
    found = gpus()
    if found:
        return _("Trains on the GPU ({gpus}), with float32 as everywhere in this app.").format(gpus=", ".join(found))
    if found is None:
        return ngettext("Trains on a GPU if TensorFlow finds one, else on the CPU ({cores} core).",
                        "Trains on a GPU if TensorFlow finds one, else on the CPU ({cores} cores).",
                        cores).format(cores=cores)
    return ngettext("Trains on this computer's CPU ({cores} core): TensorFlow found no GPU.",
                    "Trains on this computer's CPU ({cores} cores): TensorFlow found no GPU.", cores).format(cores=cores)
