"""Dataset registry: shipped samples (offline), full sets through Keras or a local folder.

    from cnn_core.data import load_dataset
    ds = load_dataset("mnist")          # "auto": the full set when at hand, else the sample
    ds.x_train.shape, ds.source         # (N, 28, 28, 1) uint8, "full MNIST (60,000 train ...)"

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

import functools
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ASSETS = Path(__file__).parent / "assets"
DATASETS_ENV = "CNN_DATASETS_DIR"
CACHE_ENV = "CNN_CACHE_DIR"
NAMES = ("mnist", "cifar10")
SOURCES = ("auto", "sample", "full")
CLASS_NAMES = {
    "mnist": [str(d) for d in range(10)],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer",
                "dog", "frog", "horse", "ship", "truck"],
}
INPUT_SHAPES = {"mnist": (28, 28, 1), "cifar10": (32, 32, 3)}
TITLES = {"mnist": "MNIST", "cifar10": "CIFAR-10"}
_KERAS_CACHE_FILES = {"mnist": "mnist.npz", "cifar10": "cifar-10-batches-py"}
_SHARED_FILES = {"mnist": "mnist.npz", "cifar10": "cifar10_jpeg.npz"}


@dataclass(frozen=True)
class Dataset:
    """Images as uint8 NHWC arrays with int labels; `source` says in words what was loaded."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list = field(default_factory=list)
    source: str = ""
    kind: str = ""  # "sample" or "full"

    @property
    def input_shape(self) -> tuple:
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def _check_name(name: str) -> None:
    if name not in NAMES:
        raise ValueError(f"Unknown dataset {name!r}; choose 'mnist' or 'cifar10'.")


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


def decode_jpegs(blob: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """JPEG files stored back to back -> uint8 array (N, H, W, 3)."""
    from PIL import Image

    data = blob.tobytes()
    images = [
        np.asarray(Image.open(io.BytesIO(data[offsets[i]:offsets[i + 1]])).convert("RGB"))
        for i in range(len(offsets) - 1)
    ]
    return np.stack(images)


def _cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV, Path.home() / ".cache" / "cnn_classroom"))


def _decoded_cifar(path: Path, tag: str) -> tuple:
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
        arrays = (decode_jpegs(d["train_jpeg"], d["train_offsets"]), d["y_train"],
                  decode_jpegs(d["test_jpeg"], d["test_offsets"]), d["y_test"])
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        np.savez(tmp, x_train=arrays[0], y_train=arrays[1], x_test=arrays[2], y_test=arrays[3])
        tmp.replace(cache)
    except OSError:
        pass  # a read-only home still works, it just decodes every time
    return arrays


def _read_sample(name: str) -> tuple:
    path = ASSETS / f"{name}_sample.npz"
    if not path.is_file():
        raise ValueError(
            f"The shipped {TITLES[name]} sample is missing ({path}); run scripts/build_samples.py."
        )
    if name == "cifar10":
        return _decoded_cifar(path, "sample")
    with np.load(path) as d:
        return d["x_train"], d["y_train"], d["x_test"], d["y_test"]


def _read_full(name: str) -> tuple:
    local = _local_full_file(name)
    if local is not None:
        if name == "cifar10":
            return _decoded_cifar(local, "full")
        with np.load(local) as d:
            return d["x_train"], d["y_train"], d["x_test"], d["y_test"]
    import keras

    loader = keras.datasets.mnist if name == "mnist" else keras.datasets.cifar10
    try:
        (xt, yt), (xv, yv) = loader.load_data()
    except Exception as exc:  # no network, a proxy, a half-downloaded file ...
        raise ValueError(
            f"The full {TITLES[name]} set is not on this machine and could not be downloaded "
            f"({type(exc).__name__}). Use the shipped sample, or connect once to download it."
        ) from exc
    return xt, yt, xv, yv


def load_dataset(name: str, source: str = "auto") -> Dataset:
    """Load `name` ("mnist" or "cifar10") from `source` ("auto", "sample" or "full")."""
    _check_name(name)
    if source not in SOURCES:
        raise ValueError(f"Unknown source {source!r}; choose 'auto', 'sample' or 'full'.")
    kind = source
    if source == "auto":
        kind = "full" if full_available(name) else "sample"
    return _load(name, kind)  # "auto" shares the arrays of what it resolves to


_SHARED_IDS: set[int] = set()  # ids of the arrays _load hands out (they live as long as the process)


def is_shared(a) -> bool:
    """True for the process-wide, read-only dataset arrays that load_dataset returns."""
    return id(a) in _SHARED_IDS


def clear_cache() -> None:
    """Forget the loaded datasets (tests; a server never needs it)."""
    _load.cache_clear()
    _SHARED_IDS.clear()


@functools.cache
def _load(name: str, kind: str) -> Dataset:
    xt, yt, xv, yv = _read_full(name) if kind == "full" else _read_sample(name)
    if xt.ndim == 3:  # MNIST is (N, 28, 28): give it its channel axis
        xt, xv = xt[..., None], xv[..., None]
    arrays = [np.ascontiguousarray(a) for a in (xt, yt.reshape(-1).astype(np.int64),
                                                xv, yv.reshape(-1).astype(np.int64))]
    for a in arrays:
        a.setflags(write=False)  # shared by every session of the process: read-only
        _SHARED_IDS.add(id(a))
    what = "full" if kind == "full" else "shipped sample of"
    words = (f"{what} {TITLES[name]}: {len(arrays[0]):,} training and "
             f"{len(arrays[2]):,} test images")
    return Dataset(name, *arrays, class_names=list(CLASS_NAMES[name]), source=words, kind=kind)


def to_float(x: np.ndarray) -> np.ndarray:
    """uint8 images -> float32 in [0, 1], the input every model of this project expects."""
    return np.asarray(x, dtype=np.float32) / np.float32(255.0)
