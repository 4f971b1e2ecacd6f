"""Executors: where jobs run: local threads, or a Ray cluster (cnn_core.ray_executor) when
$CNN_RAY_ADDRESS is set; the interface is what another kind must offer.

    from cnn_core import executors
    ex = executors.default_executor()     # the process-wide one every page shares
    job.start(ex); ex.position(job); ex.estimated_wait(job)

`LocalExecutor` lets at most `max_running` jobs train at once (1 per 2 cores by default,
$CNN_MAX_JOBS to change it) and queues the rest first come, first served, so a classroom of 30
does not thrash a 2-core server. A job whose browser tab has gone is never started, and a running
one is stopped (see `reap`). Executors import the runner and the job types; jobs never import
an executor.
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
import sys
import threading
import time
import weakref
from typing import Protocol

from cnn_core import memory, runner
from cnn_core.jobs import Job, Presence
from cnn_core.messages import Message, msg

log = logging.getLogger(__name__)


class Executor(Protocol):
    """What the job panel needs from wherever jobs run."""

    max_running: int  # how many jobs train at once

    def submit(self, job: Job) -> None: ...  # queue it; it starts when a slot is free
    def cancel(self, job: Job) -> None: ...  # it was asked to stop: take it out of the queue if it waits there
    def position(self, job: Job) -> int: ...  # 1 = next; 0 = not queued
    def estimated_wait(self, job: Job) -> float | None: ...  # seconds until it starts, when there is a basis
    @property
    def running(self) -> int: ...
    @property
    def queued(self) -> int: ...


class LocalExecutor:
    """Jobs in threads of this process, at most `max_running` at once, the rest in a queue."""

    def __init__(self, max_running: int | None = None, reap_every: float = 5.0):
        self.max_running = max_running or default_max_jobs()
        self._lock = threading.Lock()
        self._queue: list[Job] = []
        self._running: dict[Job, float] = {}  # job -> when it started
        self._durations: collections.deque = collections.deque(maxlen=20)  # seconds of recent runs
        self._reap_every = reap_every
        self._reaper: threading.Thread | None = None
        self._done_jobs: list[weakref.ref] = []  # finished jobs whose model a closed tab may leave behind
        self._tickets = itertools.count(1)  # the order of arrival, in the log: "#12" (labels repeat per tab)

    def submit(self, job: Job) -> None:
        with self._lock:
            job.ticket = next(self._tickets)
            self._queue.append(job)
            self._ensure_reaper()
            log.info("job queued: #%d %s (%d waiting)", job.ticket, job.label, len(self._queue))
        self._pump()

    def cancel(self, job: Job) -> None:
        with self._lock:
            waiting = job in self._queue
            if waiting:
                self._queue.remove(job)
        if waiting:
            job.cancelled()
            log.info("job skipped: #%s %s (%s)", job.ticket, job.label,
                     "its tab closed" if job.orphaned else "stopped while queued")

    def position(self, job: Job) -> int:
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

    def estimated_wait(self, job: Job) -> float | None:
        """Seconds until `job` starts: the time the running jobs still need plus that of the
        jobs ahead of it in the queue (each as long as the recent runs took on average), shared
        over the slots. None before any run has finished (no basis for a guess)."""
        with self._lock:
            if job not in self._queue or not self._durations:
                return None
            typical = sum(self._durations) / len(self._durations)
            ahead = self._queue.index(job)
            running = list(self._running.items())
        now = time.perf_counter()
        work = ahead * typical
        for other, started in running:
            left = other.snapshot().seconds_left
            work += left if left is not None else max(typical - (now - started), 0.0)
        return work / self.max_running

    # -- running
    def _pump(self) -> None:
        while True:
            with self._lock:
                if not self._queue or len(self._running) >= self.max_running:
                    return
                job = self._next_job()
                if job is None:
                    return  # every waiting job's tab is away: the reaper tries again
                self._running[job] = time.perf_counter()  # holds the slot while it begins
            if not job.begin():
                with self._lock:
                    del self._running[job]
                log.info("job skipped: #%s %s (%s)", job.ticket, job.label,
                         "its tab closed" if job.orphaned else "stopped while queued")
                continue
            log.info("job started: #%s %s (%d waiting)", job.ticket, job.label, self.queued)
            threading.Thread(target=self._run, args=(job,), daemon=True,
                             name=f"training-{job.label or id(job)}").start()

    def _next_job(self) -> Job | None:
        """Take the first waiting job whose tab is not away (under the lock). A job whose tab has
        disconnected keeps its place but lets the next learner go first: back within the grace
        period, its tab gets the next free slot; not back, the reaper drops the job. A job whose
        tab has closed is taken as orphaned, so that it ends as skipped without taking a slot."""
        for job in self._queue:
            where = job.presence()  # asked once per job: the tab can change its state between two asks
            if where is Presence.AWAY:
                continue
            self._queue.remove(job)
            job.orphaned = job.orphaned or where is Presence.GONE
            return job
        return None

    def _run(self, job: Job) -> None:
        try:
            self._execute(job)
        finally:
            with self._lock:
                started = self._running.pop(job, None)
                if started is not None and job.state == "finished":
                    self._durations.append(time.perf_counter() - started)
                if job.owner_alive is not None and job.model is not None:
                    self._done_jobs.append(weakref.ref(job))
                    self._ensure_reaper()
            log.info("job %s: #%s %s after %.1f s", job.state, job.ticket, job.label,
                     time.perf_counter() - (started or 0.0))
            memory.release_freed()  # the run's batches, gradients and tracing are garbage now
            self._pump()

    def _execute(self, job: Job) -> None:
        """Run the job here, in this thread, and end it (finished, stopped or failed)."""
        lower_this_threads_priority()
        try:
            job.finish(runner.run(job.request, job.metrics))
        except Exception as exc:  # shown as a sentence; a bug's details go to the server log
            job.fail(runner.explain(exc))

    # -- closed tabs
    def reap(self) -> int:
        """Stop the jobs whose tab is gone (queued or running), and free the models of finished
        ones: Streamlit keeps a closed tab's session (and so its jobs) for minutes, and a trained
        model with its traced functions is most of what a run holds."""
        with self._lock:
            jobs = list(self._queue) + list(self._running)
            done = [job for job in (ref() for ref in self._done_jobs) if job is not None]
        n = 0
        for job in jobs:
            if job.owner_gone():
                job.orphaned = True  # its result is freed when it ends
                job.stop()
                n += 1
        for job in done:
            if job.model is not None and job.owner_gone():
                job.free_model()
                log.info("freed the model of %s: its tab has closed", job.label)
                n += 1
        with self._lock:
            self._done_jobs = [ref for ref in self._done_jobs if (j := ref()) is not None and j.model is not None]
        if n:
            memory.release_freed()
        return n

    def _ensure_reaper(self) -> None:
        if self._reaper is None or not self._reaper.is_alive():
            self._reaper = threading.Thread(target=self._reap_loop, daemon=True, name="job-reaper")
            self._reaper.start()

    def _reap_loop(self) -> None:
        while True:
            time.sleep(self._reap_every)
            with self._lock:
                if not self._queue and not self._running and not self._done_jobs:
                    self._reaper = None
                    return
            self.reap()
            self._pump()  # a job passed over while its tab was away, now back


def train_nice() -> int:
    """How much lower than the pages training runs ($CNN_TRAIN_NICE, default 10; 0 = the same)."""
    env = os.environ.get("CNN_TRAIN_NICE", "")
    return int(env) if env.isdigit() else 10


def lower_this_threads_priority() -> int | None:
    """Let pages go first: with a class training, a kernel change in a lab waited behind two
    TensorFlow threads busy on both cores. This thread, and the threads it starts (TensorFlow's
    pools inherit it when the warm-up creates them), run at a higher nice value, so the server's
    page threads get the CPU whenever they want it and training takes the rest. Linux only (on
    other systems a thread id is not something `setpriority` takes); returns the nice value set."""
    nice = train_nice()
    if not nice or not sys.platform.startswith("linux"):
        return None
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, max(nice, os.getpriority(os.PRIO_PROCESS, tid)))
    except OSError:
        return None
    return nice


def default_max_jobs() -> int:
    env = os.environ.get("CNN_MAX_JOBS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, (os.cpu_count() or 2) // 2)


_DEFAULT: LocalExecutor | None = None
_DEFAULT_LOCK = threading.Lock()
_WHERE: Message | None = None  # where the default executor runs jobs, when it is not this process


def default_executor() -> LocalExecutor:
    """The process-wide executor every page shares: on the Ray cluster at $CNN_RAY_ADDRESS when
    that is set and reachable, else local threads."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = _make_default()
        return _DEFAULT


def where_jobs_run() -> Message | None:
    """A sentence for the training pages when jobs do not simply run in this process: on a Ray
    cluster, or here because the cluster asked for could not be reached. None otherwise."""
    default_executor()
    return _WHERE


def _make_default() -> LocalExecutor:
    global _WHERE
    address = os.environ.get("CNN_RAY_ADDRESS", "").strip()
    if not address:
        return LocalExecutor()
    try:
        from cnn_core import ray_executor

        ray_executor.connect(address)
        executor = ray_executor.RayExecutor()
    except Exception as exc:  # no Ray installed, a wrong address, a cluster that is down
        log.warning("the Ray cluster at %s cannot be used (%s: %s): training runs here", address,
                    type(exc).__name__, exc)
        _WHERE = msg("ray.unreachable", address=address)
        return LocalExecutor()
    _WHERE = msg("ray.cluster", address=address, n=executor.max_running)
    return executor
