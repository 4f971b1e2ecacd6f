"""Job handles: what a page holds for a run it started (state, snapshot, stop, result).

    from cnn_core import executors, jobs, runner
    job = jobs.Job(runner.TrainRequest(spec, config), label="run 1")
    job.start(executors.default_executor())   # queued, then running
    job.snapshot()                             # plain numbers to draw, from any thread
    job.stop()                                 # a queued job never starts; a running one stops after this batch
    job.wait(); job.result                     # test accuracy, confusion matrix, mistakes ...

A job never imports an executor: `start` is handed one (the page's job panel picks it), and the
executor drives the job through `begin`, `finish` and `fail`. `JobGroup` does the same for
several jobs at once (an experiment's runs).
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable

from cnn_core.messages import Message
from cnn_core.metrics import MetricsBuffer, Snapshot

STATES = ("created", "queued", "running", "stopping", "finished", "stopped", "failed")
ACTIVE = ("queued", "running", "stopping")


class Presence(enum.IntEnum):
    """Where the tab that started a job is, as its `owner_alive` may say (a plain True or False
    does too: here, gone). Falsy only when gone, so `not owner_alive()` still means gone."""

    GONE = 0  # closed, and not back within its grace period
    AWAY = 1  # disconnected, within its grace period: it may reconnect and keep its job
    HERE = 2


class Job:
    """One training run (a request: plain data) as seen by the page that started it."""

    def __init__(self, request, *, label: str = "", owner_alive: Callable[[], bool | Presence] | None = None):
        self.request = request
        self.label = label
        self.owner_alive = owner_alive  # says whether the browser tab that started it is still there
        self.state = "created"
        self.error: Message | None = None
        self.outcome = None  # cnn_core.runner.Outcome once it has finished or stopped
        self.never_started = False  # stopped while it was still queued
        self.orphaned = False  # its tab is gone: nobody will look at the result
        self._stop = threading.Event()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self.metrics = MetricsBuffer(self._stop)
        self.metrics.epochs = request.config.epochs
        self.executor = None
        self.ticket: int | None = None  # its number in the executor's order of arrival (the log's "#12")

    # -- for pages
    def start(self, executor) -> Job:
        """Hand the job to `executor` (idempotent: a second call, a double click, does nothing)."""
        with self._lock:
            if self.state != "created":
                return self
            self.state = "queued"
            self.executor = executor
            self.metrics.submitted = time.perf_counter()
        executor.submit(self)
        return self

    def stop(self) -> None:
        """A queued job never starts; a running one stops after the batch it is in."""
        self._stop.set()
        with self._lock:
            if self.state == "running":
                self.state = "stopping"
        if self.executor is not None:
            self.executor.cancel(self)

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def snapshot(self) -> Snapshot:
        queued = self.state == "queued" and self.executor is not None
        return self.metrics.snapshot(self.state, self.executor.position(self) if queued else 0, self.error)

    @property
    def result(self) -> dict | None:
        """The evaluation (test accuracy, confusion matrix, ...) once finished or stopped."""
        return self.outcome.evaluation if self.outcome is not None else None

    @property
    def model(self):
        return self.outcome.model if self.outcome is not None else None

    def free_model(self) -> None:
        """Drop the trained model (the numbers stay): old runs of a session, closed tabs."""
        if self.outcome is not None:
            self.outcome.model = None

    # -- for executors
    def begin(self) -> bool:
        """The executor is about to run it: False (and the job ends as stopped) if it was
        stopped while queued or its tab has gone."""
        with self._lock:
            if self._stop.is_set() or self.orphaned:
                self.never_started = True
                self.state = "stopped"
                self._done.set()
                return False
            self.state = "running"
            return True

    def finish(self, outcome) -> None:
        with self._lock:
            self.outcome = outcome
            self.state = "stopped" if self._stop.is_set() else "finished"
        self._release()

    def fail(self, error: Message) -> None:
        with self._lock:
            self.state, self.error = "failed", error
        self._release()

    def cancelled(self) -> None:
        """Stopped before it ever ran (taken out of the queue)."""
        with self._lock:
            self.never_started = True
            self.state = "stopped"
        self._release()

    def _release(self) -> None:
        if self.orphaned:  # nobody will look at it again: free the memory now
            self.outcome = None
        self._done.set()

    def presence(self) -> Presence:
        """Where the tab that started it is (HERE when nobody watches it, or when in doubt: keep it)."""
        if self.owner_alive is None:
            return Presence.HERE
        try:
            said = self.owner_alive()
        except Exception:
            return Presence.HERE
        return said if isinstance(said, Presence) else (Presence.HERE if said else Presence.GONE)

    def owner_away(self) -> bool:
        """True while its tab is disconnected but within its grace period (it may come back)."""
        return self.presence() is Presence.AWAY

    def owner_gone(self) -> bool:
        """True when the tab that started it has closed (and stayed closed past its grace period)."""
        return self.presence() is Presence.GONE


class JobGroup:
    """Several jobs started, stopped and waited for together (e.g. an experiment's runs)."""

    def __init__(self, jobs: dict):
        self.jobs = jobs  # key -> Job, in the order they should run

    def start(self, executor) -> JobGroup:
        for job in self.jobs.values():
            job.start(executor)
        return self

    def stop(self) -> None:
        for job in reversed(list(self.jobs.values())):  # the queued ones first: none starts meanwhile
            job.stop()

    @property
    def active(self) -> bool:
        return any(job.active for job in self.jobs.values())

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        for job in self.jobs.values():
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not job.wait(left):
                return False
        return True
