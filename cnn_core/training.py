"""How to train: the settings (TrainConfig), optimizer and loss, the live-metrics callback,
batch norm's statistics re-estimated after training, and scoring on the test set.

    from cnn_core import training
    cfg = training.TrainConfig(dataset="mnist", epochs=2).validate()
    training.compile_model(model, cfg, steps_per_epoch=422)
    training.evaluate(model, dataset)          # test accuracy, confusion matrix, mistakes ...

cnn_core.runner puts these together into one training run; Keras is imported when they are used.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from cnn_core import data as data_mod
from cnn_core.i18n import N_
from cnn_core.messages import UserError
from cnn_core.pipeline import make_dataset

OPTIMIZERS = ("adam", "sgd", "rmsprop")
SCHEDULES = ("constant", "warmup_cosine", "one_cycle")
SCHEDULE_LABELS = {"constant": N_("constant"), "warmup_cosine": N_("warm-up, then cosine"),
                   "one_cycle": N_("one-cycle")}  # as a learner reads them (`_()` where shown)
WATCH_EVERY_S = 2.0  # the live view's pace: filters change visibly within a few seconds of training
BN_BATCHES = 8  # batches of training images (of 256) that re-estimate batch norm's statistics: 2,048 images


@dataclass
class TrainConfig:
    """Everything a run needs besides the architecture. Checked by `validate()`."""

    dataset: str = "mnist"  # "mnist" or "cifar10"
    source: str = "auto"  # "auto", "sample" or "full" (see cnn_core.data)
    epochs: int = 2  # passes over the training images
    batch_size: int = 128  # 128 or more keeps 2 CPU cores busy
    optimizer: str = "adam"  # "adam", "sgd" (momentum 0.9) or "rmsprop"
    learning_rate: float = 1e-3  # the peak rate when a schedule is used
    schedule: str = "constant"  # "constant", "warmup_cosine" or "one_cycle"
    augment: bool = False  # random flips (CIFAR-10 only) and small shifts
    label_smoothing: float = 0.0  # 0.1 helps CIFAR-10 a little
    validation_fraction: float = 0.1  # held out of the training images for per-epoch validation
    test_time_flip: bool = False  # score each image as the mean of the model's answers for it and its mirror
    max_train_images: int = 0  # 0: all; a small number for a quick try
    seed: int = 0  # same seed, same weights and data order
    watch: bool = False  # copy the first layer's filters and one image's maps out every few seconds (live view)

    def validate(self) -> TrainConfig:
        """Return self, or raise UserError with a sentence a learner can act on."""
        if self.dataset not in data_mod.NAMES:
            raise UserError("train.unknown_dataset", value=self.dataset)
        if self.source not in data_mod.SOURCES:
            raise UserError("train.unknown_source", value=self.source)
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or not 1 <= self.epochs <= 100:
            raise UserError("train.epochs", value=self.epochs)
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or not 1 <= self.batch_size <= 4096:
            raise UserError("train.batch_size", value=self.batch_size)
        lr = self.learning_rate
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or not 0 < lr <= 1:
            raise UserError("train.learning_rate", value=lr)
        if self.optimizer not in OPTIMIZERS:
            raise UserError("train.optimizer", value=self.optimizer, choices=", ".join(OPTIMIZERS))
        if self.schedule not in SCHEDULES:
            raise UserError("train.schedule", value=self.schedule, choices=", ".join(SCHEDULES))
        if not 0 <= self.label_smoothing < 0.5:
            raise UserError("train.label_smoothing")
        if not 0 <= self.validation_fraction <= 0.5:
            raise UserError("train.validation")
        if self.max_train_images < 0:
            raise UserError("train.max_images")
        if self.test_time_flip and self.dataset == "mnist":
            raise UserError("train.flip_digits")
        return self


def make_optimizer(cfg: TrainConfig, steps_per_epoch: int):
    import keras

    total = max(1, cfg.epochs * steps_per_epoch)
    lr = cfg.learning_rate
    if cfg.schedule == "warmup_cosine":
        warm = max(1, int(0.1 * total))
        lr = keras.optimizers.schedules.CosineDecay(
            cfg.learning_rate / 10, total - warm, alpha=0.01, warmup_target=cfg.learning_rate,
            warmup_steps=warm)
    elif cfg.schedule == "one_cycle":
        from cnn_core.schedules import OneCycle

        lr = OneCycle(cfg.learning_rate, total)
    if cfg.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=0.9, nesterov=True)
    if cfg.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(lr)
    return keras.optimizers.Adam(lr)


def compile_model(model, cfg: TrainConfig, steps_per_epoch: int) -> None:
    import keras

    loss = (keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing)
            if cfg.label_smoothing else keras.losses.SparseCategoricalCrossentropy())
    metric = "categorical_accuracy" if cfg.label_smoothing else "sparse_categorical_accuracy"
    model.compile(optimizer=make_optimizer(cfg, steps_per_epoch), loss=loss, metrics=[metric])


def build_training_state(model, x, y) -> None:
    """Create the optimizer's and the metrics' variables now, eagerly, from one batch.

    Why: left alone, Keras creates them while TensorFlow traces the first training step, and
    TensorFlow then keeps about 20 small graph functions per run (the variables' initialisers) in
    its process-wide registry for good: ~5 MB per run, measured, on a server that trains all day."""
    model.optimizer.build(model.trainable_variables)
    model.compute_metrics(x, y, model(x, training=False))
    model.reset_metrics()


def live_metrics_callback(reporter):
    """A Keras callback: each batch's loss and accuracy to `reporter` (cnn_core.runner.Reporter),
    and the stop flag checked after every batch. (Built on first use, so importing this module
    does not import Keras.)"""
    import keras

    class LiveMetrics(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            reporter.fit_started()

        def on_epoch_begin(self, epoch, logs=None):
            self._loss_sum, self._acc_sum = 0.0, 0.0
            self._epoch_t0 = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            logs = logs or {}
            # Keras reports the running mean over the epoch; recover this batch's own value
            # (exact for equal-size batches; the short last batch of an epoch is approximate).
            n = batch + 1
            mean_loss = float(logs.get("loss", math.nan))
            mean_acc = float(next((v for k, v in logs.items() if "accuracy" in k), math.nan))
            loss = mean_loss * n - self._loss_sum
            acc = mean_acc * n - self._acc_sum
            self._loss_sum, self._acc_sum = mean_loss * n, mean_acc * n
            reporter.batch(loss, acc)
            if reporter.should_stop():
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            val_loss = logs.get("val_loss")
            val_acc = next((v for k, v in logs.items() if k.startswith("val_") and "accuracy" in k), None)
            reporter.epoch(time.perf_counter() - self._epoch_t0,
                           None if val_loss is None else float(val_loss), None if val_acc is None else float(val_acc))

    return LiveMetrics()


def watch_callback(model, image: np.ndarray, reporter, every_s: float = WATCH_EVERY_S):
    """A Keras callback for the live view: every `every_s` seconds (and at the start and the end)
    the first convolution's filters and `image`'s feature maps through it go to
    `reporter.watch`. One image's forward pass through one layer: a millisecond or two. A model
    without a convolution reports nothing."""
    import keras

    from cnn_core import inside
    from cnn_core.metrics import Watched

    names = inside.conv_layer_names(model)
    conv = model.get_layer(names[0]) if names else None
    probe = keras.Model(model.input, conv.output) if conv is not None else None
    x = inside.as_batch(image)

    class WatchFirstLayer(keras.callbacks.Callback):
        def _report(self):
            self._last = time.perf_counter()
            if probe is not None:
                maps = np.asarray(probe(x, training=False))[0]
                reporter.watch(Watched(reporter.trained_batches, inside.filters(model, conv.name)[0].copy(), maps, image,
                                    conv.name))

        def on_train_begin(self, logs=None):
            self._report()

        def on_train_batch_end(self, batch, logs=None):
            if time.perf_counter() - self._last >= every_s:
                self._report()

        def on_train_end(self, logs=None):
            self._report()

    return WatchFirstLayer()


def batch_norm_layers(model) -> list:
    """The model's own trainable BatchNormalization layers (frozen ones keep their statistics)."""
    from keras import layers

    return [layer for layer in model.layers if isinstance(layer, layers.BatchNormalization) and layer.trainable]


def recalibrate_batch_norm(model, x: np.ndarray, indices: np.ndarray, batch_size: int = 256,
                           batches: int = BN_BATCHES, seed: int = 0) -> int:
    """Set every trainable batch norm's moving mean and variance to the statistics of its inputs
    over a sample of training images ("precise BN"); returns how many layers it set.

    Why: Keras updates the moving statistics with momentum 0.99, so after a short run (a few
    hundred steps) they still remember the first, untrained batches, and the model scores far
    worse at test time than it does on the same images in training mode. The forward passes run
    in training mode (each batch norm normalises with its batch's statistics, as in training)
    while the statistics are averaged over `batches` batches: E[x] and E[x^2] - E[x]^2."""
    import keras

    bns = batch_norm_layers(model)
    if not bns:
        return 0
    probe = keras.Model(model.input, [bn.input for bn in bns])
    sample = np.random.default_rng(seed).permutation(indices)[: batch_size * batches]
    dummy = np.zeros(len(x), dtype=np.int64)
    sums = [None] * len(bns)
    n = 0
    for xb, _ in make_dataset(x, dummy, batch_size, indices=np.sort(sample)):
        outs = probe(xb, training=True)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        for j, o in enumerate(outs):
            o = np.asarray(o, dtype=np.float64)
            axes = tuple(range(o.ndim - 1))
            moments = np.stack([o.mean(axis=axes), (o * o).mean(axis=axes)])
            sums[j] = moments if sums[j] is None else sums[j] + moments
        n += 1
    for bn, s in zip(bns, sums, strict=True):
        mean, mean_sq = s / n
        bn.moving_mean.assign(mean.astype("float32"))
        bn.moving_variance.assign(np.maximum(mean_sq - mean * mean, 0.0).astype("float32"))
    return len(bns)


def _predict(model, x: np.ndarray, y: np.ndarray, batch_size: int, indices=None, flip: bool = False) -> np.ndarray:
    probs = model.predict(make_dataset(x, y, batch_size, indices=indices), verbose=0)
    if flip:  # test-time flips: the mean of the answers for each image and its mirror
        probs = (probs + model.predict(make_dataset(x, y, batch_size, indices=indices, mirror=True), verbose=0)) / 2
    return probs


def evaluate(model, ds: data_mod.Dataset, train_indices: np.ndarray | None = None, batch_size: int = 512,
             train_sample: int = 1000, flip: bool = False) -> dict:
    """Test loss and accuracy, confusion matrix, per-class accuracy, the misclassified indices;
    with `train_indices`, also the accuracy on up to `train_sample` of the training images scored
    the same way (inference mode), so a gap between the two can be explained (overfitting).
    `flip` scores each image as the mean of the answers for it and its mirror image."""
    probs = _predict(model, ds.x_test, ds.y_test, batch_size, flip=flip)
    pred = probs.argmax(axis=1)
    y = ds.y_test
    nc = ds.num_classes
    eps = 1e-7
    loss = float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y], eps, 1.0))))
    cm = np.zeros((nc, nc), dtype=np.int64)
    np.add.at(cm, (y, pred), 1)
    per_class = cm.diagonal() / np.maximum(cm.sum(axis=1), 1)
    wrong = np.flatnonzero(pred != y)
    train_accuracy = None
    if train_indices is not None and len(train_indices):
        sample = np.sort(np.random.default_rng(0).permutation(train_indices)[:train_sample])
        train_probs = _predict(model, ds.x_train, ds.y_train, batch_size, indices=sample, flip=flip)
        train_accuracy = float((train_probs.argmax(axis=1) == ds.y_train[sample]).mean())
    return {
        "accuracy": float((pred == y).mean()), "loss": loss, "confusion": cm,
        "per_class": per_class, "predictions": pred, "wrong": wrong,
        "confidence": probs.max(axis=1), "train_accuracy": train_accuracy,
    }


def predict_images(model, images: np.ndarray, flip: bool = False) -> np.ndarray:
    """Class probabilities for uint8 images (N, H, W, C); `flip`: averaged with their mirror images'."""
    x = data_mod.to_float(images)
    probs = np.asarray(model(x, training=False))
    if flip:
        probs = (probs + np.asarray(model(x[:, :, ::-1], training=False))) / 2
    return probs
