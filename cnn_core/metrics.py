"""A run's live numbers: a lock-protected buffer the runner writes, and snapshots pages draw.

    buffer = MetricsBuffer()          # what cnn_core.runner.run reports to (a Reporter)
    buffer.snapshot("running")        # plain Python copies, safe from any thread at any time

The buffer holds plain floats only (no tensors, no models), so a run in another process or on
another machine can fill one and send it back.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from cnn_core.messages import Message

MAX_POINTS = 600  # charts get at most this many points per series (downsampled, never growing)


@dataclass(frozen=True)
class Watched:
    """The first convolution as it is at one moment of training: its filters and one fixed test
    image's feature maps (plain arrays, copied out of the model)."""

    step: int  # batches trained when it was taken
    kernel: np.ndarray  # (k, k, C_in, N)
    maps: np.ndarray  # (h, w, N) for `image`
    image: np.ndarray  # the input, uint8
    layer: str


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
    error: Message | None = None  # why it failed, as a catalog sentence
    first_point_seconds: float | None = None  # from submission to the first loss point
    dataset_source: str = ""  # what it trains on, in words
    phase: Message | None = None  # what it is doing before or after the batches (loading, extracting ...)
    phase_done: int = 0  # progress of that phase (e.g. images), when it can be counted
    phase_total: int = 0
    phase_seconds: float = 0.0  # time spent in the phase so far
    version: int = 0  # grows with every change: a poll that sees the same version has nothing new to draw
    watched: Watched | None = None  # the first layer, when the run was asked to show it live

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0

    @property
    def seconds_left(self) -> float | None:
        if self.step < 3 or not self.total_steps:
            return None
        return self.seconds / self.step * (self.total_steps - self.step)

    @property
    def phase_fraction(self) -> float:
        return min(1.0, self.phase_done / self.phase_total) if self.phase_total else 0.0

    @property
    def phase_seconds_left(self) -> float | None:
        if not self.phase_total or self.phase_done < 1 or self.phase_seconds < 0.5:
            return None
        return self.phase_seconds / self.phase_done * (self.phase_total - self.phase_done)


def downsample(values: list, limit: int = MAX_POINTS) -> list:
    """Every k-th point (the last one always kept) so a series never exceeds `limit`."""
    if len(values) <= limit:
        return list(values)
    k = math.ceil(len(values) / limit)
    out = values[::k]
    if (len(values) - 1) % k:
        out.append(values[-1])
    return out


class MetricsBuffer:
    """What a running job has reported so far. Implements cnn_core.runner.Reporter."""

    def __init__(self, stop: threading.Event | None = None):
        self._lock = threading.Lock()
        self._stop = stop or threading.Event()
        self.submitted = time.perf_counter()  # reset by the executor when the job is queued
        self.epochs = 0
        self.total_steps = 0
        self.steps_per_epoch = 0
        self.trained_batches = 0
        self.dataset_source = ""
        self.fit_seconds = 0.0  # model.fit alone (what scripts/bench.py compares with bare Keras)
        self._t0: float | None = None  # training began
        self._t_end: float | None = None
        self._first_point: float | None = None
        self._steps: list[int] = []
        self._loss: list[float] = []
        self._acc: list[float] = []
        self._val: list[tuple] = []
        self._epoch_seconds: list[float] = []
        self._phase: Message | None = None
        self._phase_done = self._phase_total = 0
        self._phase_t0 = 0.0
        self._version = 0
        self._watched: Watched | None = None

    # -- the Reporter side (called from the training thread)
    def should_stop(self) -> bool:
        return self._stop.is_set()

    def phase(self, message: Message | None, done: int = 0, total: int = 0) -> None:
        """What the run is doing outside the batches; `done`/`total` when it can be counted."""
        with self._lock:
            if message != self._phase:
                self._phase_t0 = time.perf_counter()
            self._phase, self._phase_done, self._phase_total = message, done, total
            self._version += 1

    def begin(self, epochs: int, steps_per_epoch: int, dataset_source: str) -> None:
        with self._lock:
            self.epochs, self.steps_per_epoch = epochs, steps_per_epoch
            self.total_steps = epochs * steps_per_epoch
            self.dataset_source = dataset_source
            self._version += 1

    def untrained(self, loss: float, accuracy: float) -> None:
        """Point 0 of the chart: the model before any training step."""
        with self._lock:
            self._first_point_now()
            self._steps.append(0)
            self._loss.append(loss)
            self._acc.append(accuracy)
            self._version += 1

    def fit_started(self) -> None:
        with self._lock:
            self._t0 = time.perf_counter()
            self._phase = None

    def batch(self, loss: float, accuracy: float) -> None:
        with self._lock:
            self.trained_batches += 1
            self._first_point_now()
            self._steps.append(self.trained_batches)
            self._loss.append(loss)
            self._acc.append(accuracy)
            self._version += 1

    def epoch(self, seconds: float, val_loss: float | None, val_accuracy: float | None) -> None:
        with self._lock:
            self._epoch_seconds.append(seconds)
            if val_loss is not None:
                self._val.append((self.trained_batches, val_loss, val_accuracy))
            self._version += 1

    def watch(self, watched: Watched) -> None:
        with self._lock:
            self._watched = watched
            self._version += 1

    def fit_ended(self, fit_seconds: float) -> None:
        with self._lock:
            self._t_end = time.perf_counter()
            self.fit_seconds = fit_seconds

    def _first_point_now(self) -> None:
        if self._first_point is None:
            self._first_point = time.perf_counter() - self.submitted

    # -- the reading side (any thread)
    def snapshot(self, state: str, queue_position: int = 0, error: Message | None = None) -> Snapshot:
        with self._lock:
            now = time.perf_counter()
            end = self._t_end or now
            return Snapshot(
                state=state, step=self.trained_batches, total_steps=self.total_steps,
                epoch=len(self._epoch_seconds), epochs=self.epochs,
                seconds=end - self._t0 if self._t0 else 0.0,
                steps=downsample(self._steps), loss=downsample(self._loss), accuracy=downsample(self._acc),
                val_steps=[v[0] for v in self._val], val_loss=[v[1] for v in self._val],
                val_accuracy=[v[2] for v in self._val], epoch_seconds=list(self._epoch_seconds),
                queue_position=queue_position, error=error, first_point_seconds=self._first_point,
                dataset_source=self.dataset_source, phase=self._phase, phase_done=self._phase_done,
                phase_total=self._phase_total, phase_seconds=now - self._phase_t0 if self._phase else 0.0,
                version=self._version, watched=self._watched,
            )
