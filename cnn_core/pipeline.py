"""Images -> tf.data pipelines for training: shared tensors, per-batch scaling, augmentation, splits.

    from cnn_core import pipeline
    train = pipeline.make_dataset(ds.x_train, ds.y_train, 128, shuffle=True, augment=True)

Imports TensorFlow when a pipeline is made. Every pipeline reads the process-wide dataset arrays
(cnn_core.data) through one shared tensor each, so 30 runs of a class hold one copy of MNIST.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from cnn_core import data as data_mod

if TYPE_CHECKING:
    from cnn_core.training import TrainConfig


def _augment_fn(flip: bool, pad: int):
    """A batch -> the same batch, each image flipped (CIFAR-10) and shifted by up to `pad`
    pixels on its own random offset (reflected borders)."""
    import tensorflow as tf

    def augment(x, y):
        if flip:  # on a 4-D batch, each image is flipped or not independently
            x = tf.image.random_flip_left_right(x)
        n, h, w = tf.shape(x)[0], x.shape[1], x.shape[2]
        x = tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="REFLECT")
        dy = tf.random.uniform([n, 1], 0, 2 * pad + 1, dtype=tf.int32)
        dx = tf.random.uniform([n, 1], 0, 2 * pad + 1, dtype=tf.int32)
        x = tf.gather(x, dy + tf.range(h)[None, :], axis=1, batch_dims=1)  # rows of each image's window
        x = tf.gather(x, dx + tf.range(w)[None, :], axis=2, batch_dims=1)  # then its columns
        return x, y

    return augment


_TENSORS: dict[int, tuple] = {}  # id(shared array) -> (array, tensor), see _tensor
_TENSORS_LOCK = threading.Lock()


def _tensor(a: np.ndarray):
    """`a` as a TensorFlow constant. The process-wide datasets (cnn_core.data) are converted once
    and shared by every job, so a run neither waits for nor holds its own copy of them."""
    import tensorflow as tf

    if not data_mod.is_shared(a):
        return tf.constant(a)
    with _TENSORS_LOCK:
        if id(a) not in _TENSORS:  # shared arrays live as long as the process: ids are never reused
            _TENSORS[id(a)] = (a, tf.constant(a))
        return _TENSORS[id(a)][1]


def make_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, *, indices: np.ndarray | None = None,
                 one_hot: int = 0, shuffle: bool = False, augment: bool = False, flip: bool = True,
                 mirror: bool = False, seed: int = 0):
    """uint8 images -> a batched tf.data pipeline of float32 in [0, 1] (scaled per batch,
    so no float copy of the whole set sits in memory). `indices` picks the images to use
    (default: all); `one_hot` = number of classes turns labels into one-hot rows; `mirror`
    gives every image left-right mirrored (test-time flips)."""
    import tensorflow as tf

    images, labels = _tensor(x), _tensor(y)
    ds = tf.data.Dataset.range(len(x)) if indices is None else tf.data.Dataset.from_tensor_slices(indices)
    if shuffle:  # shuffle indices, not images: the buffer fills in milliseconds
        ds = ds.shuffle(len(x) if indices is None else len(indices), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size).map(lambda i: (tf.gather(images, i), tf.gather(labels, i)))
    if x.dtype == np.uint8:  # images: scale per batch; float inputs (cached features) pass as they are
        ds = ds.map(lambda a, b: (tf.cast(a, tf.float32) / 255.0, b), num_parallel_calls=tf.data.AUTOTUNE)
    if one_hot:
        ds = ds.map(lambda a, b: (a, tf.one_hot(b, one_hot)))
    if augment:
        ds = ds.map(_augment_fn(flip, 2 if x.shape[1] <= 28 else 3), num_parallel_calls=tf.data.AUTOTUNE)
    if mirror:
        ds = ds.map(lambda a, b: (tf.reverse(a, axis=[2]), b))  # NHWC: axis 2 is the width
    return ds.prefetch(tf.data.AUTOTUNE)


def split_indices(n: int, cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray | None]:
    """(train, validation) indices into the first `n` training images: a seeded held-out share
    for per-epoch validation (None when the share is 0), `cfg.max_train_images` applied."""
    if cfg.max_train_images:
        n = min(n, cfg.max_train_images)
    n_val = int(n * cfg.validation_fraction)
    if n_val == 0:
        return np.arange(n), None
    order = np.random.default_rng(cfg.seed).permutation(n)
    return np.sort(order[n_val:]), order[:n_val]


def split_train(ds: data_mod.Dataset, cfg: TrainConfig):
    """(x_train, y_train, x_val, y_val) as arrays (copies), split as `split_indices` does."""
    train, val = split_indices(len(ds.x_train), cfg)
    x, y = ds.x_train[train], ds.y_train[train]
    if val is None:
        return x, y, None, None
    return x, y, ds.x_train[val], ds.y_train[val]
