"""Training jobs on a Ray cluster: the same queue as local threads, the run on a cluster worker.

    CNN_RAY_ADDRESS=ray://head:10001 python serve.py   # or "auto" on a cluster node, "local": a Ray on this machine

`RayExecutor` is `LocalExecutor`'s queue (first come, first served, positions, estimated waits,
closed tabs) with one difference: a job's run happens in a `TrainingWorker` actor on the cluster
instead of a thread of this process. The page sees no difference: the worker records every call
the runner makes on its reporter (a phase, a batch's loss, an epoch, the live view's pictures) as
plain data, and a thread here replays them on the job's own `MetricsBuffer` five times a second,
so the live chart, progress and Stop work as they do locally. What travels is plain data: the
request (a spec, a config, names) there, the events, the evaluation and the trained model (a
portable `.keras` file's bytes) back. Datasets and pretrained weights never travel: each machine
reads a dataset once (the shipped samples, or the full sets from `$CNN_DATASETS_DIR` there) into
its shared object store, which its workers map without copying; each worker loads the
pretrained weights (1 MB) once and keeps everything for the jobs after.

Ray is an optional extra (`pip install -r requirements-ray.txt`); nothing imports this module
unless `$CNN_RAY_ADDRESS` is set.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from pathlib import Path

from cnn_core import memory, runner
from cnn_core.executors import LocalExecutor
from cnn_core.jobs import Job
from cnn_core.messages import msg

log = logging.getLogger(__name__)
ADDRESS_ENV = "CNN_RAY_ADDRESS"
POLL_S = 0.2  # how often a running job's events are fetched from its worker
WORKER_START_S = 120.0  # a new worker that the cluster cannot place by then fails its job with a sentence
ROOT = Path(__file__).resolve().parents[1]
# What a worker needs of this project is its code; the rest stays here.
CODE_EXCLUDES = [".venv", ".git", ".cache", "artifacts", "tests", "__pycache__", "*.keras"]


class RecordingReporter:
    """The worker's side of `runner.Reporter`: every call kept, in order, as (name, args) of
    plain data, for the app's side to replay on the job's MetricsBuffer."""

    def __init__(self, stop: threading.Event):
        self._events: list[tuple[str, tuple]] = []
        self._lock = threading.Lock()
        self._stop = stop
        self.trained_batches = 0
        self.stop_arrived_after: int | None = None  # batches trained when a stop arrived

    def _record(self, name: str, *args) -> None:
        with self._lock:
            self._events.append((name, args))

    def events(self, since: int) -> list:
        with self._lock:
            return self._events[since:]

    def phase(self, message, done: int = 0, total: int = 0) -> None:
        self._record("phase", message, done, total)

    def begin(self, epochs: int, steps_per_epoch: int, dataset_source: str) -> None:
        self._record("begin", epochs, steps_per_epoch, dataset_source)

    def untrained(self, loss: float, accuracy: float) -> None:
        self._record("untrained", loss, accuracy)

    def fit_started(self) -> None:
        self._record("fit_started")

    def batch(self, loss: float, accuracy: float) -> None:
        self.trained_batches += 1
        self._record("batch", loss, accuracy)

    def epoch(self, seconds: float, val_loss, val_accuracy) -> None:
        self._record("epoch", seconds, val_loss, val_accuracy)

    def fit_ended(self, fit_seconds: float) -> None:
        self._record("fit_ended", fit_seconds)

    def watch(self, watched) -> None:
        self._record("watch", watched)

    def should_stop(self) -> bool:
        return self._stop.is_set()


def replay(events: list, reporter) -> None:
    """Make the calls the worker's runner made, in order, on `reporter` (a MetricsBuffer)."""
    for name, args in events:
        getattr(reporter, name)(*args)


class DatasetHolder:
    """One per machine of the cluster (a Ray actor with no CPU of its own): reads each dataset
    from that machine's disk once and keeps its arrays in the machine's shared object store, where
    every worker there maps them without a copy. Its calls run one at a time, so two workers
    asking at once still cause one read."""

    def __init__(self):
        self._refs: dict[tuple, list] = {}
        self._counts: dict[str, int] = {}  # "name/kind" -> workers served; "name/kind read" -> disk reads

    def arrays(self, name: str, kind: str) -> list:
        import ray

        from cnn_core import data

        if (name, kind) not in self._refs:
            self._refs[(name, kind)] = [ray.put(a) for a in data.read_arrays(name, kind)]
            self._count(f"{name}/{kind} read")
        self._count(f"{name}/{kind}")
        return self._refs[(name, kind)]  # references: the arrays stay in the store, not in the reply

    def _count(self, what: str) -> None:
        self._counts[what] = self._counts.get(what, 0) + 1

    def counts(self) -> dict[str, int]:
        return dict(self._counts)


def dataset_holder():
    """This machine's DatasetHolder (started by the first worker here that needs a dataset)."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    node = ray.get_runtime_context().get_node_id()
    return ray.remote(DatasetHolder).options(
        name=f"cnn-datasets-{node}", get_if_exists=True, num_cpus=0,
        scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False)).remote()


def _arrays_from_this_machine(name: str, kind: str, progress=None) -> tuple:
    import ray

    return tuple(ray.get(ray.get(dataset_holder().arrays.remote(name, kind))))


class TrainingWorker:
    """One training slot on the cluster (a Ray actor): runs one job at a time and answers, while
    it runs, for its events and a stop. It lives as long as the app, so what a run loads
    (TensorFlow, pretrained weights) is loaded once per worker; datasets once per machine
    (DatasetHolder)."""

    def __init__(self):
        from cnn_core import data

        memory.share_heaps()  # a worker lives for the whole class, as the app's process does
        self._runs: dict[str, tuple[RecordingReporter, threading.Event]] = {}
        self._stopped: set[str] = set()  # a stop can arrive before its run has begun here
        data.read_arrays_from(_arrays_from_this_machine)

    def train(self, key: str, request) -> dict:
        from cnn_core import models

        stop = threading.Event()
        if key in self._stopped:
            stop.set()
        reporter = RecordingReporter(stop)
        self._runs = {key: (reporter, stop)}  # the previous run's events are no longer asked for
        try:
            outcome = runner.run(request, reporter)
            return {"model": models.to_keras_bytes(outcome.model) if outcome.model is not None else None,
                    "evaluation": outcome.evaluation, "fit_seconds": outcome.fit_seconds,
                    "batch_norm_recalibrated": outcome.batch_norm_recalibrated, "extra": outcome.extra,
                    "batches": reporter.trained_batches, "stop_arrived_after": reporter.stop_arrived_after}
        except Exception as exc:  # the same sentence a local run would give; details in the worker's log
            return {"error": runner.explain(exc)}
        finally:
            memory.release_freed()  # a worker lives for the whole class, as the app's process does

    def events(self, key: str, since: int) -> list:
        run = self._runs.get(key)
        return run[0].events(since) if run else []

    def stop(self, key: str) -> None:
        self._stopped.add(key)
        run = self._runs.get(key)
        if run and not run[1].is_set():
            run[0].stop_arrived_after = run[0].trained_batches  # for the test of "within one batch"
            run[1].set()

    def pid(self) -> int:
        return os.getpid()


class RayExecutor(LocalExecutor):
    """Jobs on a Ray cluster: at most `max_running` at once (one worker actor each, created on
    first use and kept), the rest queued here as locally."""

    def __init__(self, max_running: int | None = None, reap_every: float = 5.0):
        import ray

        super().__init__(max_running or cluster_slots(), reap_every)
        self._ray = ray
        self._actor = ray.remote(max_concurrency=4, max_restarts=0)(TrainingWorker)
        self._free: list = []  # idle workers
        self._busy: dict[Job, tuple] = {}  # running job -> (its worker, its key there)
        self._workers_lock = threading.Lock()
        self.last_remote: dict = {}  # what the last run's worker said of it besides the outcome (tests)
        self.worker_start_s = WORKER_START_S

    def cancel(self, job: Job) -> None:
        """A stop: out of the queue here, or on to the worker at once (not at the next poll), so
        a running job stops after the batch it is in."""
        super().cancel(job)
        with self._workers_lock:
            busy = self._busy.get(job)
        if busy is not None:
            worker, key = busy
            worker.stop.remote(key)

    def _execute(self, job: Job) -> None:
        ray = self._ray
        worker = self._take_worker(job)
        if worker is None:
            return
        key, seen = uuid.uuid4().hex, 0
        with self._workers_lock:
            self._busy[job] = (worker, key)
        try:
            done_ref = worker.train.remote(key, job.request)
            if job.stop_requested:  # stopped between the queue and here
                worker.stop.remote(key)
            while True:
                done, _ = ray.wait([done_ref], timeout=POLL_S)
                events = ray.get(worker.events.remote(key, seen))
                replay(events, job.metrics)
                seen += len(events)
                if done:
                    break
            self._end(job, ray.get(done_ref))
        except ray.exceptions.RayActorError:
            worker = None  # it died (a node lost, killed): a new one takes its place next time
            log.warning("a Ray worker was lost during %s", job.label)
            job.fail(msg("ray.worker_lost"))
        except Exception:
            log.exception("%s failed on Ray", job.label)
            job.fail(msg("train.failed"))
        finally:
            with self._workers_lock:
                self._busy.pop(job, None)
                if worker is not None:
                    self._free.append(worker)

    def _end(self, job: Job, result: dict) -> None:
        """Finish the job with what came back: the model rebuilt from its bytes, the images
        loaded here (every machine has them), the scores as they are."""
        self.last_remote = {k: result.get(k) for k in ("batches", "stop_arrived_after")}
        if "error" in result:
            job.fail(result["error"])
            return
        from cnn_core import models

        model = models.from_keras_bytes(result["model"]) if result["model"] is not None else None
        job.finish(runner.Outcome(model, result["evaluation"], job.request.images(), result["fit_seconds"],
                                  result["batch_norm_recalibrated"], result["extra"]))

    def _take_worker(self, job: Job):
        """An idle worker, or a new one once the cluster has placed it; None (and the job failed
        with a sentence) when it cannot be placed in time: a cluster without free CPUs would
        otherwise leave the learner watching a run that never begins."""
        with self._workers_lock:
            if self._free:
                return self._free.pop()
        job.metrics.phase(msg("ray.phase_worker"))
        worker = self._actor.options(num_cpus=worker_cpus()).remote()
        started, deadline = worker.pid.remote(), time.monotonic() + self.worker_start_s
        while not job.stop_requested and time.monotonic() < deadline:
            ready, _ = self._ray.wait([started], timeout=0.5)
            if ready:
                return worker
        self._ray.kill(worker)
        if job.stop_requested:
            job.cancelled()  # stopped before it ever ran
        else:
            log.warning("no Ray worker for %s within %.0f s", job.label, self.worker_start_s)
            job.fail(msg("ray.no_worker", cpus=worker_cpus()))
        return None

    def close(self) -> None:
        """End this executor's idle workers, handing their CPUs back to the cluster."""
        with self._workers_lock:
            workers, self._free = self._free, []
        for worker in workers:
            self._ray.kill(worker)

    def worker_pid(self, job: Job) -> int | None:
        """The process id of the worker running `job` (tests kill it to see the job fail cleanly)."""
        with self._workers_lock:
            busy = self._busy.get(job)
        return self._ray.get(busy[0].pid.remote()) if busy else None


def worker_cpus() -> int:
    """CPUs a worker claims on its node: TensorFlow uses what the node has, so two per job keeps
    a 2-core node to one job at a time ($CNN_RAY_WORKER_CPUS to change it)."""
    env = os.environ.get("CNN_RAY_WORKER_CPUS", "")
    return int(env) if env.isdigit() and int(env) > 0 else 2


def cluster_slots() -> int:
    """How many jobs the cluster runs at once: $CNN_MAX_JOBS, else its CPUs / worker_cpus()."""
    import ray

    env = os.environ.get("CNN_MAX_JOBS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, int(ray.cluster_resources().get("CPU", 2)) // worker_cpus())


def connect(address: str) -> None:
    """Join the cluster at `address` ("local" starts one on this machine), shipping this
    project's code to its workers. Raises if Ray is missing or the cluster cannot be reached."""
    import ray

    if ray.is_initialized():
        return
    if address not in ("local", "auto"):
        _check_reachable(address)  # ray.init waits minutes for a head that is not there
    runtime_env = {"working_dir": str(ROOT), "excludes": CODE_EXCLUDES}
    if address == "local":
        _in_a_lasting_thread(lambda: ray.init(runtime_env=runtime_env, include_dashboard=False,
                                              log_to_driver=False, num_cpus=os.cpu_count() or 2))
    else:
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
    log.info("training on the Ray cluster at %s: %s", address, ray.cluster_resources())


def _in_a_lasting_thread(start) -> None:
    """Call `start` in a thread that lives as long as the process, and wait for it. A local Ray's
    processes are told to die with the *thread* that started them (Linux's parent-death signal),
    and the first caller is a page's script thread, which ends with the page's run: the cluster
    went with it a minute into the first class test."""
    started, failure = threading.Event(), []

    def keep():
        try:
            start()
        except BaseException as exc:  # handed to the caller
            failure.append(exc)
        finally:
            started.set()
        if not failure:
            threading.Event().wait()  # stay: Ray's processes are children of this thread

    threading.Thread(target=keep, daemon=True, name="ray-local-cluster").start()
    started.wait()
    if failure:
        raise failure[0]


def _check_reachable(address: str, timeout: float = 3.0) -> None:
    """Raise ConnectionError unless something listens at `address` ("ray://host:port" or "host:port")."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
            return
    except (OSError, ValueError) as exc:
        raise ConnectionError(f"nothing answers at {address}") from exc
