"""The training runner: what to train (plain data) in, a trained model and its scores out.

    from cnn_core import runner, training
    request = runner.TrainRequest(spec, training.TrainConfig(dataset="mnist", epochs=1))
    outcome = runner.run(request, reporter)        # reporter: a cnn_core.metrics.MetricsBuffer
    outcome.evaluation["accuracy"], outcome.model

`run` is one ordinary function call: no threads, no queue, no UI. Executors (cnn_core.executors)
call it where they like (a local thread today); a request is plain data (a spec, a TrainConfig,
names), so it can be sent to another process or machine. Requests of other kinds (transfer
learning: cnn_core.transfer.TransferRequest) only need `config`, `prepare(reporter)` and `images()`.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from cnn_core import data as data_mod
from cnn_core import spec as spec_mod
from cnn_core import training
from cnn_core.messages import Message, UserError, msg
from cnn_core.pipeline import make_dataset, split_indices

log = logging.getLogger(__name__)
WATCHED_IMAGE = 0  # the test image the live view follows through the first layer (the same every run)


class Reporter(Protocol):
    """Where a run reports what it does (cnn_core.metrics.MetricsBuffer is the one in use)."""

    trained_batches: int  # batches reported so far

    def phase(self, message: Message | None, done: int = 0, total: int = 0) -> None: ...
    def begin(self, epochs: int, steps_per_epoch: int, dataset_source: str) -> None: ...
    def untrained(self, loss: float, accuracy: float) -> None: ...
    def fit_started(self) -> None: ...
    def batch(self, loss: float, accuracy: float) -> None: ...
    def epoch(self, seconds: float, val_loss: float | None, val_accuracy: float | None) -> None: ...
    def fit_ended(self, fit_seconds: float) -> None: ...
    def watch(self, watched) -> None: ...  # a cnn_core.metrics.Watched, when the config asks for it
    def should_stop(self) -> bool: ...


@dataclass
class Prepared:
    """What a request hands the runner: the data `model.fit` sees and the model to fit."""

    data: data_mod.Dataset  # what the model is fitted on (images, or features computed from them)
    model: Any  # the keras.Model to fit
    keep: Any = None  # the model the learner gets afterwards, when it is not `model` (the whole classifier)
    images: data_mod.Dataset | None = None  # the images behind `data`, when `data` holds features


@dataclass
class Outcome:
    """A finished (or stopped) run: the model, its scores, and what it trained on."""

    model: Any  # the trained keras.Model the learner keeps (predict, download, inspect)
    evaluation: dict  # cnn_core.training.evaluate's dict
    images: data_mod.Dataset  # the images it trained and was tested on (galleries, try-it)
    fit_seconds: float
    batch_norm_recalibrated: int = 0  # batch norm layers whose statistics were re-estimated
    extra: dict = field(default_factory=dict)  # what a request kind adds (e.g. transfer's parameter counts)


@dataclass(frozen=True)
class TrainRequest:
    """Train the CNN `spec` (cnn_core.spec format) as `config` says."""

    spec: tuple  # layer dicts
    config: training.TrainConfig

    def __post_init__(self):
        object.__setattr__(self, "spec", tuple(dict(layer) for layer in self.spec))
        self.config.validate()
        shape = data_mod.INPUT_SHAPES[self.config.dataset]
        spec_mod.infer(list(self.spec), shape, len(data_mod.CLASS_NAMES[self.config.dataset]))  # fail now

    def prepare(self, reporter: Reporter) -> Prepared:
        from cnn_core.models import build_cnn

        ds = load_with_progress(self.config.dataset, self.config.source, reporter)
        reporter.phase(msg("train.phase_building"))
        return Prepared(ds, build_cnn(list(self.spec), ds.input_shape, ds.num_classes))

    def images(self) -> data_mod.Dataset:
        """The images it trains and is tested on, loaded here: an executor whose run happened
        elsewhere gets the outcome without them (they are on every machine already)."""
        return data_mod.load_dataset(self.config.dataset, self.config.source)


def load_with_progress(name: str, source: str, reporter: Reporter) -> data_mod.Dataset:
    """cnn_core.data.load_dataset, telling the reporter what it waits for (decoding, downloading)."""
    return data_mod.load_dataset(name, source, progress=reporter.phase)


def run(request, reporter: Reporter) -> Outcome:
    """Train as `request` says, reporting every batch; stops after the batch in which
    `reporter.should_stop()` turns true, keeping what was learned. Raises UserError for what the
    learner can fix; anything else is a bug (see `explain`)."""
    import keras

    cfg = request.config
    keras.utils.set_random_seed(cfg.seed)  # same seed: same weights and data order
    prepared = request.prepare(reporter)
    ds, model = prepared.data, prepared.model
    train_idx, val_idx = split_indices(len(ds.x_train), cfg)
    steps_per_epoch = math.ceil(len(train_idx) / cfg.batch_size)
    reporter.begin(cfg.epochs, steps_per_epoch, ds.source)
    if not getattr(model, "compiled", False) or model.optimizer is None:
        training.compile_model(model, cfg, steps_per_epoch)
    one_hot = ds.num_classes if cfg.label_smoothing else 0  # the smoothed loss wants one-hot rows
    train = make_dataset(ds.x_train, ds.y_train, cfg.batch_size, indices=train_idx, one_hot=one_hot, shuffle=True,
                         augment=cfg.augment and ds.x_train.ndim == 4, flip=cfg.dataset != "mnist", seed=cfg.seed)
    val = make_dataset(ds.x_train, ds.y_train, 512, indices=val_idx, one_hot=one_hot) if val_idx is not None else None
    first = next(iter(make_dataset(ds.x_train, ds.y_train, cfg.batch_size, indices=train_idx[:cfg.batch_size],
                                   one_hot=one_hot)))
    training.build_training_state(model, *first)
    if not reporter.should_stop():
        reporter.phase(msg("train.phase_first_step"))
        _report_untrained(model, *first, reporter)
    t0 = time.perf_counter()
    if not reporter.should_stop():
        callbacks = [training.live_metrics_callback(reporter)]
        if cfg.watch and prepared.images is None:  # images in, so the first layer sees a test image
            callbacks.append(training.watch_callback(model, ds.x_test[WATCHED_IMAGE], reporter))
        model.fit(train, epochs=cfg.epochs, validation_data=val, verbose=0, shuffle=False, callbacks=callbacks)
    fit_seconds = time.perf_counter() - t0
    reporter.fit_ended(fit_seconds)
    recalibrated = 0
    if training.batch_norm_layers(model) and reporter.trained_batches:
        reporter.phase(msg("train.phase_bn"))
        recalibrated = training.recalibrate_batch_norm(model, ds.x_train, train_idx, seed=cfg.seed)
    reporter.phase(msg("train.phase_evaluating", n=len(ds.y_test)))
    evaluation = training.evaluate(model, ds, train_indices=train_idx, flip=cfg.test_time_flip)
    reporter.phase(None)
    return Outcome(prepared.keep or model, evaluation, prepared.images or ds, fit_seconds, recalibrated)


def _report_untrained(model, x, y, reporter: Reporter) -> None:
    """Point 0 of the chart: the untrained model's loss and accuracy on the first batch (about
    ln(classes) = 2.30 and 10%). A forward pass without tracing, so the chart has its first
    point in a fraction of a second, while Keras still prepares the training step."""
    try:
        pred = model(x, training=False)
        loss = float(model.loss(y, pred))
        labels = np.argmax(y, axis=-1) if y.shape.rank == 2 else np.asarray(y)
        acc = float(np.mean(np.argmax(pred, axis=-1) == labels))
    except Exception:  # a model the loss cannot score this way: the chart starts at batch 1
        log.debug("no untrained point", exc_info=True)
        return
    if math.isfinite(loss):
        reporter.untrained(loss, acc)


def explain(exc: BaseException) -> Message:
    """The sentence a learner reads when a run fails: ours for a UserError, a plain one for
    running out of memory, and a generic one (the details go to the server log) for the rest:
    an error from inside Keras or TensorFlow is never shown as if it were advice."""
    if isinstance(exc, UserError):
        return exc.message
    if isinstance(exc, MemoryError) or "ResourceExhausted" in type(exc).__name__ or "OOM when" in str(exc):
        return msg("train.out_of_memory")
    log.error("training failed", exc_info=(type(exc), exc, exc.__traceback__))
    return msg("train.failed")
