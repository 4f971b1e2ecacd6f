"""Dataset registry: shipped samples (offline), full sets through Keras or a local folder.

    from cnn_core.data import load_dataset
    ds = load_dataset("mnist")          # "auto": the full set when at hand, else the sample
    ds.x_train.shape, str(ds.source)    # (N, 28, 28, 1) uint8, "full MNIST: 60,000 training ..."

Sources:
- "sample": ~10,000 train / 2,000 test class-balanced images shipped in cnn_core/assets/
  (built by scripts/build_samples.py), always available.
- "full": the folder named by $CNN_DATASETS_DIR in the `mnist.npz` / `cifar10_jpeg.npz` format
  (how CI and benchmarks reach ../shared/datasets), else `keras.datasets.*.load_data()`, which
  downloads once into Keras' cache.
- "auto": "full" when it is already on disk (no network is ever waited on), else "sample".
Decoded CIFAR-10 JPEGs are cached under $CNN_CACHE_DIR (default ~/.cache/cnn_classroom).
Loading is cached per process: every caller shares the same read-only arrays.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cnn_core.i18n import N_, _
from cnn_core.messages import UserError, msg

ASSETS = Path(__file__).parent / "assets"
DATASETS_ENV = "CNN_DATASETS_DIR"
CACHE_ENV = "CNN_CACHE_DIR"
NAMES = ("mnist", "cifar10")
SOURCES = ("auto", "sample", "full")
SOURCE_LABELS = {"auto": N_("auto"), "sample": N_("sample"), "full": N_("full")}  # as shown (`_()` there)
# English, as data (labels, keys, records); CIFAR-10's are marked and translated where they are shown
# (ui.charts.class_labels).
CLASS_NAMES = {
    "mnist": [str(d) for d in range(10)],
    "cifar10": [N_("airplane"), N_("automobile"), N_("bird"), N_("cat"), N_("deer"),
                N_("dog"), N_("frog"), N_("horse"), N_("ship"), N_("truck")],
}
INPUT_SHAPES = {"mnist": (28, 28, 1), "cifar10": (32, 32, 3)}
TITLES = {"mnist": "MNIST", "cifar10": "CIFAR-10"}
_KERAS_CACHE_FILES = {"mnist": "mnist.npz", "cifar10": "cifar-10-batches-py"}
_SHARED_FILES = {"mnist": "mnist.npz", "cifar10": "cifar10_jpeg.npz"}
_DOWNLOAD_SIZES = {"mnist": "11 MB", "cifar10": "170 MB"}
Progress = Callable  # (message, done=0, total=0) -> None: what a load waits for, for a progress bar


@dataclass(frozen=True)
class Dataset:
    """Images as uint8 NHWC arrays with int labels; `source` says in words what was loaded."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list = field(default_factory=list)
    source: object = ""  # what was loaded, in words (a cnn_core.messages.Message)
    kind: str = ""  # "sample" or "full"

    @property
    def input_shape(self) -> tuple:
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def _check_name(name: str) -> None:
    if name not in NAMES:
        raise UserError("data.unknown_dataset", name=name)


def _local_full_file(name: str) -> Path | None:
    folder = os.environ.get(DATASETS_ENV)
    if folder:
        path = Path(folder) / _SHARED_FILES[name]
        if path.is_file():
            return path
    return None


def _keras_cache_path(name: str) -> Path:
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return home / "datasets" / _KERAS_CACHE_FILES[name]


def full_available(name: str) -> bool:
    """True when the full set is on this disk already (no network needed)."""
    _check_name(name)
    return _local_full_file(name) is not None or _keras_cache_path(name).exists()


def decode_jpegs(blob: np.ndarray, offsets: np.ndarray, progress: Progress | None = None,
                 message=None) -> np.ndarray:
    """JPEG files stored back to back -> uint8 array (N, H, W, 3); `progress(message, done, total)`
    is told every 1,000 images."""
    from PIL import Image

    data = blob.tobytes()
    n = len(offsets) - 1
    images = []
    for i in range(n):
        images.append(np.asarray(Image.open(io.BytesIO(data[offsets[i]:offsets[i + 1]])).convert("RGB")))
        if progress is not None and i % 1000 == 0:
            progress(message, i, n)
    return np.stack(images)


def _cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV, Path.home() / ".cache" / "cnn_classroom"))


def _decoded_cifar(path: Path, tag: str, progress: Progress | None = None) -> tuple:
    """Decode a cifar10_jpeg.npz once; later processes read the cached uint8 arrays."""
    st = path.stat()
    cache = _cache_dir() / f"cifar10_{tag}_{st.st_size}_{int(st.st_mtime)}.npz"
    if cache.exists():
        try:
            with np.load(cache) as c:
                return c["x_train"], c["y_train"], c["x_test"], c["y_test"]
        except (OSError, ValueError, KeyError):
            pass  # a half-written cache: decode again
    with np.load(path) as d:
        n_train = len(d["train_offsets"]) - 1
        total = n_train + len(d["test_offsets"]) - 1
        message = msg("data.phase_decoding", title=TITLES["cifar10"])

        def test_progress(m, done, _n):
            if progress is not None:
                progress(m, n_train + done, total)

        def train_progress(m, done, _n):
            if progress is not None:
                progress(m, done, total)

        arrays = (decode_jpegs(d["train_jpeg"], d["train_offsets"], train_progress, message), d["y_train"],
                  decode_jpegs(d["test_jpeg"], d["test_offsets"], test_progress, message), d["y_test"])
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        np.savez(tmp, x_train=arrays[0], y_train=arrays[1], x_test=arrays[2], y_test=arrays[3])
        tmp.replace(cache)
    except OSError:
        pass  # a read-only home still works, it just decodes every time
    return arrays


def _read_sample(name: str, progress: Progress | None) -> tuple:
    path = ASSETS / f"{name}_sample.npz"
    if not path.is_file():
        raise UserError("data.sample_missing", title=TITLES[name], path=str(path))
    if name == "cifar10":
        return _decoded_cifar(path, "sample", progress)
    with np.load(path) as d:
        return d["x_train"], d["y_train"], d["x_test"], d["y_test"]


def _read_full(name: str, progress: Progress | None) -> tuple:
    local = _local_full_file(name)
    if local is not None:
        if name == "cifar10":
            return _decoded_cifar(local, "full", progress)
        with np.load(local) as d:
            return d["x_train"], d["y_train"], d["x_test"], d["y_test"]
    import keras

    if progress is not None and not _keras_cache_path(name).exists():
        progress(msg("data.phase_downloading", title=TITLES[name]))
    loader = keras.datasets.mnist if name == "mnist" else keras.datasets.cifar10
    try:
        (xt, yt), (xv, yv) = loader.load_data()
    except Exception as exc:  # no network, a proxy, a half-downloaded file ...
        raise UserError("data.full_offline", title=TITLES[name], size=_DOWNLOAD_SIZES[name],
                        file=_SHARED_FILES[name]) from exc
    return xt, yt, xv, yv


def load_dataset(name: str, source: str = "auto", progress: Progress | None = None) -> Dataset:
    """Load `name` ("mnist" or "cifar10") from `source` ("auto", "sample" or "full").
    `progress(message, done=0, total=0)` hears what a first load waits for (decoding, downloading)."""
    _check_name(name)
    if source not in SOURCES:
        raise UserError("data.unknown_source", source=source)
    kind = source
    if source == "auto":
        kind = "full" if full_available(name) else "sample"
    return _load(name, kind, progress)  # "auto" shares the arrays of what it resolves to


_SHARED_IDS: set[int] = set()  # ids of the arrays _load hands out (they live as long as the process)


def is_shared(a) -> bool:
    """True for the process-wide, read-only dataset arrays that load_dataset returns."""
    return id(a) in _SHARED_IDS


def clear_cache() -> None:
    """Forget the loaded datasets (tests; a server never needs it)."""
    with _LOADING_LOCK:
        _LOADED.clear()
    _SHARED_IDS.clear()


_LOADED: dict[tuple, Dataset] = {}  # (name, kind) -> the process-wide copy
_LOADING: dict[tuple, threading.Lock] = {}  # one lock per (name, kind): a set is read once, even by 30 at once
_LOADING_LOCK = threading.Lock()


def _load(name: str, kind: str, progress: Progress | None) -> Dataset:
    key = (name, kind)
    if key in _LOADED:
        return _LOADED[key]
    with _LOADING_LOCK:
        lock = _LOADING.setdefault(key, threading.Lock())
    if progress is not None:
        progress(msg(f"data.phase_loading_{kind}", title=TITLES[name]))
    with lock:  # whoever comes second waits here for the first, then finds it loaded
        if key not in _LOADED:
            _LOADED[key] = _read(name, kind, progress)
        return _LOADED[key]


def read_arrays(name: str, kind: str, progress: Progress | None = None) -> tuple:
    """The four arrays of `name` ("full" or "sample"), read from disk: what `load_dataset` shares."""
    return _read_full(name, progress) if kind == "full" else _read_sample(name, progress)


_ARRAY_SOURCE: Callable | None = None  # (name, kind, progress) -> arrays, instead of read_arrays


def read_arrays_from(source: Callable | None) -> None:
    """Where this process's datasets come from (None: from disk). A Ray worker gets them from its
    node's shared copy, so a machine with several workers reads and holds each set once."""
    global _ARRAY_SOURCE
    _ARRAY_SOURCE = source


def _read(name: str, kind: str, progress: Progress | None) -> Dataset:
    xt, yt, xv, yv = (_ARRAY_SOURCE or read_arrays)(name, kind, progress)
    if xt.ndim == 3:  # MNIST is (N, 28, 28): give it its channel axis
        xt, xv = xt[..., None], xv[..., None]
    arrays = [np.ascontiguousarray(a) for a in (xt, yt.reshape(-1).astype(np.int64),
                                                xv, yv.reshape(-1).astype(np.int64))]
    for a in arrays:
        a.setflags(write=False)  # shared by every session of the process: read-only
        _SHARED_IDS.add(id(a))
    words = msg(f"data.source_{kind}", title=TITLES[name], train=len(arrays[0]), test=len(arrays[2]))
    return Dataset(name, *arrays, class_names=list(CLASS_NAMES[name]), source=words, kind=kind)


def to_float(x: np.ndarray) -> np.ndarray:
    """uint8 images -> float32 in [0, 1], the input every model of this project expects."""
    return np.asarray(x, dtype=np.float32) / np.float32(255.0)


def class_label(class_names, index) -> str:
    """Class `index` as the reader reads it: CIFAR-10's names (marked above) translated, digits as they are."""
    return _(str(class_names[int(index)]))
