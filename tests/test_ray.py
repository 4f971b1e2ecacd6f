"""Training jobs on a real Ray cluster (started on this machine by the fixture): the job-level
behaviour the local executor's tests check, through the Ray executor."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cnn_core import jobs, runner, training
from cnn_core import spec as spec_mod

try:
    import ray
except ImportError:  # an optional extra (requirements-ray.txt): CI installs it and never skips these
    if os.environ.get("CI"):
        raise
    pytest.skip("Ray is not installed (requirements-ray.txt)", allow_module_level=True)
ROOT = Path(__file__).resolve().parents[1]
TINY = spec_mod.PRESETS["Tiny"]


@pytest.fixture(scope="module")
def cluster():
    import threading

    from cnn_core import ray_executor

    # A real Ray: its own GCS, raylet and worker processes, started as the app starts it: from a
    # page's script thread, which then ends (the cluster must outlive it).
    page_thread = threading.Thread(target=ray_executor.connect, args=("local",))
    page_thread.start()
    page_thread.join()
    time.sleep(1)
    yield ray_executor
    ray.shutdown()


@pytest.fixture
def executor(cluster):
    """RayExecutor(...) for one test; its workers are ended afterwards, so that their CPUs are
    free for the next test's (an idle worker keeps its CPUs while its executor lives)."""
    made = []

    def make(**kw):
        made.append(cluster.RayExecutor(**kw))
        return made[-1]

    yield make
    for ex in made:
        ex.close()


def _cfg(**kw):
    base = dict(dataset="mnist", source="sample", epochs=1, batch_size=128, max_train_images=1280,
                validation_fraction=0.1, learning_rate=3e-3)
    base.update(kw)
    return training.TrainConfig(**base)


def _job(spec, cfg, executor, **kw) -> jobs.Job:
    return jobs.Job(runner.TrainRequest(spec, cfg), **kw).start(executor)


def _wait_for_step(job, step: int, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while job.snapshot().step < step and job.active and time.time() < deadline:
        time.sleep(0.02)


def test_a_job_on_the_cluster_streams_points_and_brings_back_a_working_model(executor):
    ex = executor(max_running=1)
    job = _job(TINY, _cfg(epochs=2), ex)
    points = set()
    while job.active:
        points.add(len(job.snapshot().loss))
        time.sleep(0.05)
    snap = job.snapshot()
    assert snap.state == "finished", snap.error
    assert snap.step == snap.total_steps == 2 * 9 and len(snap.loss) == 2 * 9 + 1  # every batch, and point 0
    assert len(points) > 2  # the chart grew while it trained, not all at the end
    assert len(snap.val_loss) == 2 and snap.first_point_seconds is not None
    assert job.result["confusion"].sum() == 2000 and 0.1 < job.result["accuracy"] <= 1
    # the model that came back is the one that was scored over there
    x = job.outcome.images.x_test[:200].astype("float32") / 255.0
    assert np.array_equal(job.model.predict(x, verbose=0).argmax(axis=1), job.result["predictions"][:200])
    assert len(job.outcome.images.x_test) == 2000  # the images for the galleries, loaded here


def test_stop_reaches_the_worker_and_it_halts_within_one_batch(executor):
    ex = executor(max_running=1)
    job = _job(TINY, _cfg(epochs=5, max_train_images=0), ex)
    _wait_for_step(job, 3)
    job.stop()
    assert job.wait(120)
    assert job.state == "stopped" and job.model is not None  # what was learned is kept
    told = ex.last_remote
    assert told["stop_arrived_after"] is not None and told["batches"] <= told["stop_arrived_after"] + 1
    assert job.snapshot().step == told["batches"]  # every batch the worker trained reached the chart


def test_queue_positions_and_a_stopped_queued_job_never_starts(executor):
    ex = executor(max_running=1)
    a = _job(TINY, _cfg(), ex, label="a")
    b = _job(TINY, _cfg(), ex, label="b")
    c = _job(TINY, _cfg(), ex, label="c")
    assert [j.snapshot().queue_position for j in (b, c)] == [1, 2]
    b.stop()
    assert b.never_started and c.snapshot().queue_position == 1
    assert a.wait(300) and c.wait(300)
    assert a.state == c.state == "finished" and b.snapshot().step == 0


def test_a_closed_tabs_remote_job_is_stopped(executor):
    ex = executor(max_running=1, reap_every=0.05)
    alive = [True]
    job = _job(TINY, _cfg(epochs=20, max_train_images=0), ex, owner_alive=lambda: alive[0])
    _wait_for_step(job, 2)
    alive[0] = False  # the browser tab closed
    assert job.wait(120)
    assert job.state == "stopped" and job.model is None


def test_a_worker_that_dies_fails_its_job_with_a_sentence_and_the_next_job_runs(executor):
    ex = executor(max_running=1)
    job = _job(TINY, _cfg(epochs=20, max_train_images=0), ex)
    _wait_for_step(job, 2)
    os.kill(ex.worker_pid(job), signal.SIGKILL)  # the machine training it is gone
    assert job.wait(120)
    assert job.state == "failed" and "stopped before it finished" in str(job.error)
    again = _job(TINY, _cfg(), ex)  # a new worker takes the lost one's place
    assert again.wait(300) and again.state == "finished"


def test_an_unreachable_cluster_falls_back_to_local_threads_and_says_so():
    code = ("import sys; sys.path.insert(0, '.'); from cnn_core import executors;"
            "ex = executors.default_executor(); print(type(ex).__name__); print(executors.where_jobs_run())")
    env = {**os.environ, "CNN_RAY_ADDRESS": "127.0.0.1:9"}  # nothing listens there
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    kind, sentence = out.stdout.strip().splitlines()[-2:]
    assert kind == "LocalExecutor"
    assert sentence.startswith("The Ray cluster at 127.0.0.1:9 could not be reached")


@pytest.mark.parametrize("frozen", [True, False], ids=["head only, on features", "all trainable"])
def test_a_transfer_run_on_the_cluster_gives_the_same_kind_of_results_as_here(executor, frozen):
    from cnn_core import executors, transfer

    flags = {s: (s == "head" or not frozen) for s in transfer.RESNET20_STAGES}
    cfg = training.TrainConfig(dataset="cifar10", source="sample", epochs=1, max_train_images=256,
                               validation_fraction=0.0, batch_size=128)
    runs = {}
    for name, ex in (("here", executors.LocalExecutor(1)), ("cluster", executor(max_running=1))):
        job = jobs.Job(transfer.TransferRequest("resnet20", "cifar5_heldout", flags, cfg)).start(ex)
        assert job.wait(300) and job.state == "finished", job.error
        runs[name] = job
    here, there = runs["here"], runs["cluster"]
    assert there.result.keys() == here.result.keys()
    assert there.result["confusion"].shape == here.result["confusion"].shape == (5, 5)
    assert there.outcome.extra == here.outcome.extra  # the parameter counts the page shows
    assert there.model.count_params() == here.model.count_params()
    assert [layer.trainable for layer in there.model.layers] == [layer.trainable for layer in here.model.layers]
    assert len(there.outcome.images.x_test) == len(here.outcome.images.x_test)


def test_the_train_page_trains_on_the_cluster_and_says_so(cluster, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from cnn_core import executors

    monkeypatch.setenv("CNN_RAY_ADDRESS", "local")  # the app's own choice of executor, from the setting
    monkeypatch.setattr(executors, "_DEFAULT", None)
    monkeypatch.setattr(executors, "_WHERE", None)
    at = AppTest.from_file(str(ROOT / "app_pages" / "train.py"), default_timeout=60)
    at.session_state["cnn_layers"] = [{"type": "conv", "filters": 4, "kernel": 3, "stride": 1, "padding": "valid",
                                       "activation": "relu", "id": "T1"}]
    at.run()
    assert any(c.value.startswith("Trains on the Ray cluster at local: 1 run at a time") for c in at.caption)
    at.radio(key="train_source").set_value("sample")
    at.number_input(key="train_epochs").set_value(1)
    at.button(key="train_job_start").click().run()
    job = at.session_state["train_job"]
    assert isinstance(job.executor, cluster.RayExecutor)
    assert job.wait(300) and job.state == "finished", job.error
    at.run()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "How well did it learn?" in [h.value for h in at.subheader]  # the same results view as locally
    job.executor.close()  # its worker's CPUs, for the tests after


def test_a_run_the_cluster_cannot_place_fails_with_a_sentence_instead_of_waiting_forever(executor, monkeypatch):
    monkeypatch.setenv("CNN_RAY_WORKER_CPUS", "64")  # more than any machine of this cluster has
    ex = executor(max_running=1)
    ex.worker_start_s = 3
    job = _job(TINY, _cfg(), ex)
    assert job.wait(60)
    assert job.state == "failed" and str(job.error).startswith("No cluster machine had 64 CPUs free")


def test_two_workers_on_one_machine_share_one_read_of_the_dataset(cluster, executor, monkeypatch):
    monkeypatch.setenv("CNN_RAY_WORKER_CPUS", "1")  # two workers on this 2-CPU cluster
    holder = cluster.dataset_holder()
    before = ray.get(holder.counts.remote()).get("cifar10/sample", 0)
    ex = executor(max_running=2)
    group = jobs.JobGroup({i: jobs.Job(runner.TrainRequest(TINY, _cfg(dataset="cifar10"))) for i in range(2)})
    assert group.start(ex).wait(300) and all(job.state == "finished" for job in group.jobs.values())
    assert len(ex._free) == 2  # two new worker processes trained, one job each
    counts = ray.get(holder.counts.remote())
    assert counts["cifar10/sample"] - before == 2  # both asked this machine's copy ...
    assert counts["cifar10/sample read"] == 1  # ... which was read from disk once
