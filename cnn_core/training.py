"""TrainingJob: `model.fit` in a background thread, with live per-batch metrics and a Stop.

    from cnn_core import training
    job = training.TrainingJob(spec, training.TrainConfig(dataset="mnist", epochs=1))
    job.start()                       # queued, then running (see JobScheduler)
    job.snapshot()                    # plain floats to draw; safe from any thread, any time
    job.stop()                        # halts within one batch; what was learned is kept
    job.wait(); job.result            # test accuracy, confusion matrix, mistakes ...

A small Keras callback appends plain floats to a lock-protected buffer after every batch and
checks the stop flag; the thread never touches any UI. A process-wide `JobScheduler` lets only
a few jobs train at once (1 per 2 cores by default, $CNN_MAX_JOBS to change it) and queues the
rest, so a classroom of 30 does not thrash a 2-core server.
"""

from __future__ import annotations

import math
import os
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from cnn_core import data as data_mod
from cnn_core import spec as spec_mod

OPTIMIZERS = ("adam", "sgd", "rmsprop")
SCHEDULES = ("constant", "warmup_cosine", "one_cycle")
STATES = ("created", "queued", "running", "stopping", "finished", "stopped", "failed")
ACTIVE = ("queued", "running", "stopping")
MAX_POINTS = 600  # charts get at most this many points per series (downsampled, never growing)


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
    max_train_images: int = 0  # 0: all; a small number for a quick try
    seed: int = 0  # same seed, same weights and data order

    def validate(self) -> TrainConfig:
        """Return self, or raise ValueError with a sentence a learner can act on."""
        if self.dataset not in data_mod.NAMES:
            raise ValueError(f"Unknown dataset {self.dataset!r}; choose MNIST or CIFAR-10.")
        if self.source not in data_mod.SOURCES:
            raise ValueError(f"Unknown data source {self.source!r}.")
        if not isinstance(self.epochs, int) or not 1 <= self.epochs <= 100:
            raise ValueError(f"Epochs must be a whole number from 1 to 100 (got {self.epochs}).")
        if not isinstance(self.batch_size, int) or not 1 <= self.batch_size <= 4096:
            raise ValueError(f"The batch size must be from 1 to 4096 (got {self.batch_size}).")
        lr = self.learning_rate
        if not isinstance(lr, (int, float)) or not math.isfinite(lr) or not 0 < lr <= 1:
            raise ValueError(f"The learning rate must be above 0 and at most 1 (got {lr}).")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer {self.optimizer!r}; use {', '.join(OPTIMIZERS)}.")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"Unknown schedule {self.schedule!r}; use {', '.join(SCHEDULES)}.")
        if not 0 <= self.label_smoothing < 0.5:
            raise ValueError("Label smoothing must be from 0 to below 0.5.")
        if not 0 <= self.validation_fraction <= 0.5:
            raise ValueError("The validation share must be from 0 to 0.5 of the training images.")
        if self.max_train_images < 0:
            raise ValueError("The number of training images cannot be negative.")
        return self


# ---------------------------------------------------------------- data pipeline

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
                 seed: int = 0):
    """uint8 images -> a batched tf.data pipeline of float32 in [0, 1] (scaled per batch,
    so no float copy of the whole set sits in memory). `indices` picks the images to use
    (default: all); `one_hot` = number of classes turns labels into one-hot rows."""
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


# ---------------------------------------------------------------- metrics buffer

@dataclass
class Snapshot:
    """A copy of a job's progress, plain Python: safe to draw while training goes on."""

    state: str
    step: int  # batches trained so far
    total_steps: int
    epoch: int  # epochs completed
    epochs: int
    seconds: float  # since training (not queueing) began
    steps: list = field(default_factory=list)  # per-batch series (0: untrained, first batch), downsampled
    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_steps: list = field(default_factory=list)  # one point per epoch
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    epoch_seconds: list = field(default_factory=list)
    queue_position: int = 0  # 1 = next; 0 = not queued
    error: str = ""
    first_point_seconds: float | None = None  # from start() to the first loss point

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0

    @property
    def seconds_left(self) -> float | None:
        if self.step < 3 or not self.total_steps:
            return None
        return self.seconds / self.step * (self.total_steps - self.step)


def downsample(values: list, limit: int = MAX_POINTS) -> list:
    """Every k-th point (the last one always kept) so a series never exceeds `limit`."""
    if len(values) <= limit:
        return list(values)
    k = math.ceil(len(values) / limit)
    out = values[::k]
    if (len(values) - 1) % k:
        out.append(values[-1])
    return out


def live_metrics_callback(job: TrainingJob):
    """A Keras callback: per-batch floats into the job's locked buffer; the stop flag after every
    batch. (Built on first use, so importing this module does not import Keras.)"""
    import keras

    class Callback(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            job._t0 = time.perf_counter()

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
            job._record_batch(loss, acc)
            if job._stop.is_set():
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            job._record_epoch(logs, time.perf_counter() - self._epoch_t0)

    return Callback()


# ---------------------------------------------------------------- the job

class TrainingJob:
    """One training run of a spec (or a ready model) on a dataset, in a background thread."""

    def __init__(self, spec=None, config: TrainConfig | None = None, *, model_fn: Callable | None = None,
                 dataset_fn: Callable | None = None, scheduler: JobScheduler | None = None,
                 owner_alive: Callable[[], bool] | None = None, label: str = ""):
        self.config = (config or TrainConfig()).validate()
        if model_fn is None:
            shape = data_mod.INPUT_SHAPES[self.config.dataset]
            spec_mod.infer(spec or [], shape, len(data_mod.CLASS_NAMES[self.config.dataset]))  # fail now
        self.spec = list(spec or [])
        self.model_fn = model_fn  # (input_shape, num_classes) -> compiled-or-not keras.Model
        self.dataset_fn = dataset_fn  # () -> data.Dataset, instead of config.dataset / config.source
        self.scheduler = scheduler or default_scheduler()
        self.owner_alive = owner_alive  # the scheduler stops jobs whose owner is gone
        self.label = label
        self.orphaned = False
        self.state = "created"
        self.error = ""
        self.model = None
        self.result: dict | None = None
        self.dataset_source = ""
        self.dataset: data_mod.Dataset | None = None  # what it trained on (set when it starts)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._done = threading.Event()
        self._t0: float | None = None  # training began (on_train_begin)
        self._t_end: float | None = None  # training ended
        self._submitted: float | None = None
        self._first_point: float | None = None
        self._steps: list[int] = []
        self._loss: list[float] = []
        self._acc: list[float] = []
        self._val: list[tuple] = []
        self._epoch_seconds: list[float] = []
        self.total_steps = 0
        self.steps_per_epoch = 0
        self.trained_batches = 0
        self.fit_seconds = 0.0  # model.fit alone (what scripts/bench.py compares with bare Keras)
        self.thread: threading.Thread | None = None

    # -- control
    def start(self) -> TrainingJob:
        """Queue the job (idempotent: a second call, a double click, does nothing)."""
        with self._lock:
            if self.state != "created":
                return self
            self.state = "queued"
            self._submitted = time.perf_counter()
        self.scheduler.submit(self)
        return self

    def stop(self) -> None:
        """Ask the job to stop: a queued job never starts; a running one halts after this batch."""
        self._stop.set()
        with self._lock:
            if self.state == "running":
                self.state = "stopping"
        if self.scheduler.cancel(self):
            self._finish("stopped")

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    # -- called from the training thread
    def _record_batch(self, loss: float, acc: float) -> None:
        with self._lock:
            self.trained_batches += 1
            if self._first_point is None and self._submitted is not None:
                self._first_point = time.perf_counter() - self._submitted
            self._steps.append(self.trained_batches)
            self._loss.append(loss)
            self._acc.append(acc)

    def _record_untrained(self, first_batch) -> None:
        """Point 0 of the chart: the untrained model's loss and accuracy on the first batch (about
        ln(classes) = 2.30 and 10%). A forward pass without tracing, so the chart has its first
        point in a fraction of a second, while Keras still prepares the training step."""
        try:
            x, y = next(iter(first_batch))
            pred = self.model(x, training=False)
            loss = float(self.model.loss(y, pred))
            labels = np.argmax(y, axis=-1) if y.shape.rank == 2 else np.asarray(y)
            acc = float(np.mean(np.argmax(pred, axis=-1) == labels))
        except Exception:  # a model the loss cannot score this way: the chart starts at batch 1
            return
        if math.isfinite(loss):
            with self._lock:
                if self._first_point is None and self._submitted is not None:
                    self._first_point = time.perf_counter() - self._submitted
                self._steps.append(0)
                self._loss.append(loss)
                self._acc.append(acc)

    def _record_epoch(self, logs: dict, seconds: float) -> None:
        vl = logs.get("val_loss")
        va = next((v for k, v in logs.items() if k.startswith("val_") and "accuracy" in k), None)
        with self._lock:
            self._epoch_seconds.append(seconds)
            if vl is not None:
                self._val.append((self.trained_batches, float(vl), float(va)))

    def _finish(self, state: str, error: str = "") -> None:
        with self._lock:
            self.state, self.error = state, error
            if self._t0 and not self._t_end:
                self._t_end = time.perf_counter()
        self._done.set()

    def run(self) -> None:
        """The whole job, in the calling thread (the scheduler calls it in a worker thread)."""
        try:
            with self._lock:
                if self._stop.is_set():
                    self.state = "stopped"
                    return
                self.state = "running"
            self._train()
            self._finish("stopped" if self._stop.is_set() else "finished")
        except Exception as exc:  # shown to the learner as a sentence; details in the server log
            traceback.print_exc()
            self._finish("failed", _plain_error(exc))
        finally:
            if self.orphaned:  # nobody will look at it again: free the memory now
                self.model, self.result = None, None
            self._done.set()

    def _train(self) -> None:
        import keras

        cfg = self.config
        ds = self.dataset_fn() if self.dataset_fn else data_mod.load_dataset(cfg.dataset, cfg.source)
        self.dataset = ds
        self.dataset_source = ds.source
        train_idx, val_idx = split_indices(len(ds.x_train), cfg)
        self.steps_per_epoch = math.ceil(len(train_idx) / cfg.batch_size)
        self.total_steps = self.steps_per_epoch * cfg.epochs
        keras.utils.set_random_seed(cfg.seed)
        if self.model_fn is not None:
            self.model = self.model_fn(ds.input_shape, ds.num_classes)
        else:
            from cnn_core.models import build_cnn

            self.model = build_cnn(self.spec, ds.input_shape, ds.num_classes)
        if not getattr(self.model, "compiled", False) or self.model.optimizer is None:
            compile_model(self.model, cfg, self.steps_per_epoch)
        one_hot = ds.num_classes if cfg.label_smoothing else 0  # the smoothed loss wants one-hot rows
        train = make_dataset(ds.x_train, ds.y_train, cfg.batch_size, indices=train_idx, one_hot=one_hot,
                             shuffle=True, augment=cfg.augment and ds.x_train.ndim == 4,
                             flip=cfg.dataset != "mnist", seed=cfg.seed)
        val = (make_dataset(ds.x_train, ds.y_train, 512, indices=val_idx, one_hot=one_hot)
               if val_idx is not None else None)
        if not self._stop.is_set():
            self._record_untrained(make_dataset(ds.x_train, ds.y_train, cfg.batch_size,
                                                indices=train_idx[:cfg.batch_size], one_hot=one_hot))
        t0 = time.perf_counter()
        if not self._stop.is_set():
            self.model.fit(train, epochs=cfg.epochs, validation_data=val, verbose=0, shuffle=False,
                           callbacks=[live_metrics_callback(self)])
        self._t_end = time.perf_counter()
        self.fit_seconds = self._t_end - t0
        self.result = evaluate(self.model, ds)

    # -- read from any thread
    def snapshot(self) -> Snapshot:
        with self._lock:
            end = self._t_end or time.perf_counter()
            seconds = end - self._t0 if self._t0 else 0.0
            return Snapshot(
                state=self.state, step=self.trained_batches, total_steps=self.total_steps,
                epoch=len(self._epoch_seconds), epochs=self.config.epochs, seconds=seconds,
                steps=downsample(self._steps), loss=downsample(self._loss),
                accuracy=downsample(self._acc), val_steps=[v[0] for v in self._val],
                val_loss=[v[1] for v in self._val], val_accuracy=[v[2] for v in self._val],
                epoch_seconds=list(self._epoch_seconds),
                queue_position=self.scheduler.position(self) if self.state == "queued" else 0,
                error=self.error, first_point_seconds=self._first_point,
            )

    def summary(self) -> dict:
        """One row of the run history."""
        s = self.snapshot()
        r = self.result or {}
        return {
            "run": self.label, "state": s.state, "dataset": self.dataset_source,
            "architecture": ", ".join(spec_mod.label(layer) for layer in spec_mod.normalize(self.spec)) or "(custom)",
            "parameters": int(self.model.count_params()) if self.model is not None else None,
            "epochs": f"{s.epoch}/{s.epochs}", "batches": s.step,
            **{k: v for k, v in asdict(self.config).items() if k in ("batch_size", "optimizer", "learning_rate", "schedule")},
            "test accuracy": r.get("accuracy"), "test loss": r.get("loss"),
            "seconds per epoch": round(float(np.mean(s.epoch_seconds)), 2) if s.epoch_seconds else None,
        }


def _plain_error(exc: Exception) -> str:
    if isinstance(exc, ValueError):
        return str(exc)
    if isinstance(exc, MemoryError) or "OOM" in str(exc) or "ResourceExhausted" in type(exc).__name__:
        return "Training ran out of memory: use a smaller batch size or fewer filters/units."
    return f"Training failed ({type(exc).__name__}): {str(exc).splitlines()[0][:200] if str(exc) else 'no details'}."


def evaluate(model, ds: data_mod.Dataset, batch_size: int = 512) -> dict:
    """Test loss and accuracy, confusion matrix, per-class accuracy, the misclassified indices."""
    probs = model.predict(make_dataset(ds.x_test, ds.y_test, batch_size), verbose=0)
    pred = probs.argmax(axis=1)
    y = ds.y_test
    nc = ds.num_classes
    eps = 1e-7
    loss = float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y], eps, 1.0))))
    cm = np.zeros((nc, nc), dtype=np.int64)
    np.add.at(cm, (y, pred), 1)
    per_class = cm.diagonal() / np.maximum(cm.sum(axis=1), 1)
    wrong = np.flatnonzero(pred != y)
    return {
        "accuracy": float((pred == y).mean()), "loss": loss, "confusion": cm,
        "per_class": per_class, "predictions": pred, "wrong": wrong,
        "confidence": probs.max(axis=1),
    }


def predict_images(model, images: np.ndarray) -> np.ndarray:
    """Class probabilities for uint8 images (N, H, W, C)."""
    x = data_mod.to_float(images)
    return np.asarray(model(x, training=False))


# ---------------------------------------------------------------- the scheduler

class JobScheduler:
    """At most `max_running` jobs train at once; the rest wait in a first-come queue."""

    def __init__(self, max_running: int | None = None, reap_every: float = 5.0):
        self.max_running = max_running or default_max_jobs()
        self._lock = threading.Lock()
        self._queue: list[TrainingJob] = []
        self._running: set[TrainingJob] = set()
        self._reap_every = reap_every
        self._reaper: threading.Thread | None = None

    def submit(self, job: TrainingJob) -> None:
        with self._lock:
            self._queue.append(job)
            self._ensure_reaper()
        self._pump()

    def cancel(self, job: TrainingJob) -> bool:
        """Remove a queued job; True if it was still waiting."""
        with self._lock:
            if job in self._queue:
                self._queue.remove(job)
                return True
        return False

    def position(self, job: TrainingJob) -> int:
        with self._lock:
            return self._queue.index(job) + 1 if job in self._queue else 0

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._running)

    @property
    def queued(self) -> int:
        with self._lock:
            return len(self._queue)

    def _pump(self) -> None:
        with self._lock:
            while self._queue and len(self._running) < self.max_running:
                job = self._queue.pop(0)
                self._running.add(job)
                job.thread = threading.Thread(target=self._run, args=(job,), daemon=True,
                                              name=f"training-{job.label or id(job)}")
                job.thread.start()

    def _run(self, job: TrainingJob) -> None:
        try:
            job.run()
        finally:
            with self._lock:
                self._running.discard(job)
            self._pump()

    def _ensure_reaper(self) -> None:
        if self._reaper is None or not self._reaper.is_alive():
            self._reaper = threading.Thread(target=self._reap_loop, daemon=True, name="job-reaper")
            self._reaper.start()

    def reap(self) -> int:
        """Stop jobs whose owner (a browser session) is gone, and free their models."""
        with self._lock:
            jobs = list(self._queue) + list(self._running)
        n = 0
        for job in jobs:
            alive = job.owner_alive
            if alive is not None and not _safe_call(alive):
                job.orphaned = True  # its thread frees the model when it ends
                job.stop()
                n += 1
        return n

    def _reap_loop(self) -> None:
        while True:
            time.sleep(self._reap_every)
            with self._lock:
                if not self._queue and not self._running:
                    self._reaper = None
                    return
            self.reap()


def _safe_call(fn) -> bool:
    try:
        return bool(fn())
    except Exception:
        return True  # when in doubt, keep the job


def default_max_jobs() -> int:
    env = os.environ.get("CNN_MAX_JOBS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, (os.cpu_count() or 2) // 2)


_DEFAULT: JobScheduler | None = None
_DEFAULT_LOCK = threading.Lock()


def default_scheduler() -> JobScheduler:
    """The process-wide scheduler every page shares."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = JobScheduler()
        return _DEFAULT
