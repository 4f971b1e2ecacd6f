"""The training engine on tiny budgets: live metrics, stop within one batch, the queue, errors."""

import sys
import threading
import time

import numpy as np
import pytest

from cnn_core import executors, jobs, metrics, pipeline, presets, runner, training
from cnn_core import spec as spec_mod
from cnn_core.messages import UserError

TINY = spec_mod.PRESETS["Tiny"]


def _job(spec, cfg, executor=None, **kw) -> jobs.Job:
    """A job for `spec`, started on its own one-slot executor (or the one given)."""
    return jobs.Job(runner.TrainRequest(spec, cfg), **kw).start(executor or executors.LocalExecutor(1))


def _cfg(**kw):
    base = dict(dataset="mnist", source="sample", epochs=1, batch_size=128, max_train_images=1280,
                validation_fraction=0.1, learning_rate=3e-3)
    base.update(kw)
    return training.TrainConfig(**base)


def test_tiny_run_learns_and_reports():
    job = _job(TINY, _cfg(epochs=2))
    assert job.wait(300)
    snap = job.snapshot()
    assert snap.state == "finished", snap.error
    assert snap.step == snap.total_steps == 2 * 9  # 1,152 training images / 128 per batch
    assert snap.steps[:2] == [0, 1] and len(snap.loss) == 2 * 9 + 1  # point 0: before any training
    assert abs(snap.loss[0] - np.log(10)) < 0.7  # an untrained 10-class model scores about ln(10)
    first, last = np.mean(snap.loss[:4]), np.mean(snap.loss[-4:])
    assert last < first  # the loss falls on average
    assert len(snap.val_loss) == 2 and len(snap.epoch_seconds) == 2
    assert 0.1 < job.result["accuracy"] <= 1.0
    assert job.result["confusion"].sum() == 2000  # the whole sample test set was evaluated
    assert 0.1 < job.result["train_accuracy"] <= 1.0  # scored on training images too, the same way


def test_label_smoothing_run_validates_each_epoch_on_held_out_images():
    job = _job(TINY, _cfg(epochs=2, label_smoothing=0.1, validation_fraction=0.2))
    assert job.wait(300)
    snap = job.snapshot()
    assert snap.state == "finished", snap.error
    assert snap.total_steps == 2 * 8  # 1,024 of the 1,280 images train, 256 validate
    assert len(snap.val_accuracy) == 2 and all(0 <= v <= 1 for v in snap.val_accuracy)
    assert snap.accuracy[-1] > 0.2  # one-hot targets reached the loss and the accuracy metric


def test_runs_share_one_tensor_of_the_dataset():
    """30 learners training the same set must not each hold (and wait for) a copy of it."""
    from cnn_core import data

    ds = data.load_dataset("mnist", "sample")
    assert pipeline._tensor(ds.x_train) is pipeline._tensor(ds.x_train)
    private = np.zeros((4, 28, 28, 1), np.uint8)
    assert pipeline._tensor(private) is not pipeline._tensor(private)


def test_stop_halts_within_one_batch_and_keeps_the_model():
    seen = threading.Event()
    job = jobs.Job(runner.TrainRequest(TINY, _cfg(epochs=3, max_train_images=0)))
    original = job.metrics.batch

    def record(loss, acc):
        original(loss, acc)
        if job.metrics.trained_batches == 5:
            job.stop()  # asked during batch 5's callback: no further batch may run
            seen.set()

    job.metrics.batch = record
    job.start(executors.LocalExecutor(1))
    assert job.wait(300)
    assert seen.is_set()
    snap = job.snapshot()
    assert snap.state == "stopped"
    assert snap.step == 5  # stopped within one batch
    assert job.result is not None and job.model is not None  # what was learned is kept


def test_second_job_waits_in_the_queue_then_runs():
    ex = executors.LocalExecutor(max_running=1)
    a = _job(TINY, _cfg(), ex, label="a")
    b = _job(TINY, _cfg(), ex, label="b")
    assert b.state == "queued" and b.snapshot().queue_position == 1
    assert a.wait(300) and b.wait(300)
    assert a.state == b.state == "finished"


def test_jobs_start_in_the_order_they_arrived_and_the_log_numbers_them(caplog):
    ex = executors.LocalExecutor(max_running=1)
    with caplog.at_level("INFO", logger="cnn_core.executors"):
        queue = [_job(TINY, _cfg(), ex, label="run 1") for _ in range(4)]  # four tabs' "run 1"
        assert all(job.wait(300) for job in queue)
    assert [job.ticket for job in queue] == [1, 2, 3, 4]
    started = [int(line.split("#")[1].split()[0]) for line in caplog.messages if line.startswith("job started")]
    assert started == [1, 2, 3, 4]


def test_double_start_is_ignored():
    ex = executors.LocalExecutor(max_running=1)
    job = _job(TINY, _cfg(), ex)
    job.start(ex)  # a double click
    assert job.wait(300)
    assert job.snapshot().step == 9  # trained once, not twice


def test_stopping_a_queued_job_never_starts_it():
    ex = executors.LocalExecutor(max_running=1)
    a = _job(TINY, _cfg(), ex)
    b = _job(TINY, _cfg(), ex)
    b.stop()
    assert b.state == "stopped" and b.never_started and ex.queued == 0
    assert a.wait(300)
    assert b.snapshot().step == 0 and b.result is None


def test_jobs_of_a_gone_session_are_stopped_and_freed():
    ex = executors.LocalExecutor(max_running=1, reap_every=0.05)
    alive = [True]
    job = _job(TINY, _cfg(epochs=20, max_train_images=0), ex, owner_alive=lambda: alive[0])
    deadline = time.time() + 120
    while job.snapshot().step < 2 and time.time() < deadline:
        time.sleep(0.05)
    alive[0] = False  # the browser tab closed
    assert job.wait(120)
    assert job.state == "stopped" and job.model is None


@pytest.mark.parametrize("kw,words", [
    ({"learning_rate": 0}, "learning rate must be above 0"),
    ({"learning_rate": -0.1}, "learning rate must be above 0"),
    ({"batch_size": 0}, "batch size"),
    ({"epochs": 101}, "Epochs must be"),
    ({"source": "cloud"}, "Unknown data source"),
])
def test_bad_settings_raise_sentences(kw, words):
    with pytest.raises(ValueError, match=words):
        _cfg(**kw).validate()


def test_unavailable_source_fails_with_a_sentence(monkeypatch):
    from cnn_core import data

    def offline(name, progress):
        raise UserError("data.full_offline", title="MNIST", size="11 MB", file="mnist.npz")

    monkeypatch.setattr(data, "_read_full", offline)
    data.clear_cache()
    job = _job(TINY, _cfg(source="full"))
    job.wait(120)
    data.clear_cache()
    assert job.state == "failed" and "could not be downloaded" in str(job.error)


def test_impossible_spec_is_refused_before_training():
    with pytest.raises(ValueError, match="Layer 1"):
        runner.TrainRequest([{"type": "conv", "kernel": 40}], _cfg())


def test_downsample_keeps_series_bounded():
    values = list(range(10_000))
    out = metrics.downsample(values, 600)
    assert len(out) <= 601 and out[0] == 0 and out[-1] == 9_999


@pytest.mark.parametrize("name", list(presets.TRAIN_PRESETS))
def test_presets_build_for_their_own_dataset(name):
    from cnn_core import data

    p = presets.TRAIN_PRESETS[name]
    assert p.config.validate() is p.config
    rows = spec_mod.infer(p.spec, data.INPUT_SHAPES[p.config.dataset], 10)
    assert rows[-1].output_shape == (10,) and rows[-1].keras_class == "Dense"  # ends in the 10-class classifier


def test_one_cycle_schedule_rises_then_falls():
    from cnn_core.schedules import OneCycle

    sched = OneCycle(0.01, 100)
    lrs = [float(sched(s)) for s in (0, 15, 30, 60, 99)]
    assert lrs[0] < lrs[1] < lrs[2] and lrs[2] > lrs[3] > lrs[4]
    assert abs(lrs[2] - 0.01) < 1e-3


def test_augmentation_shifts_each_image_by_its_own_offset():
    """Every augmented image is a window of its reflected-padded original, and the windows differ
    between images of one batch (one offset per batch would teach far less)."""
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (12, 12, 1), dtype=np.uint8)
    x, y = np.repeat(img[None], 32, axis=0), np.zeros(32, dtype=np.int64)
    batch = next(iter(pipeline.make_dataset(x, y, 32, augment=True, flip=False)))[0].numpy()
    padded = np.pad(img[:, :, 0] / 255.0, 2, mode="reflect")
    offsets = set()
    for out in batch[:, :, :, 0]:
        hits = [(dy, dx) for dy in range(5) for dx in range(5) if np.allclose(padded[dy:dy + 12, dx:dx + 12], out)]
        assert hits, "an augmented image is not a shifted copy of its original"
        offsets.add(hits[0])
    assert len(offsets) > 5


def test_test_time_flips_average_each_image_with_its_mirror():
    from cnn_core import data, models

    ds = data.load_dataset("cifar10", "sample")
    model = models.build_cnn([{"type": "conv", "filters": 4, "kernel": 3}, {"type": "pool"}], (32, 32, 3), 10, seed=1)
    x = ds.x_test[:64]
    expected = (np.asarray(model(data.to_float(x))) + np.asarray(model(data.to_float(x[:, :, ::-1])))) / 2
    np.testing.assert_allclose(training.predict_images(model, x, flip=True), expected, rtol=1e-5, atol=1e-6)
    small = data.Dataset("cifar10", ds.x_train[:10], ds.y_train[:10], x, ds.y_test[:64], class_names=ds.class_names)
    res = training.evaluate(model, small, flip=True)
    assert res["accuracy"] == float((expected.argmax(axis=1) == ds.y_test[:64]).mean())
    with pytest.raises(ValueError, match="mirrored digit"):
        _cfg(test_time_flip=True).validate()


def test_the_warm_up_trains_one_tiny_step_and_runs_once_per_process(monkeypatch):
    from cnn_core import warmup

    assert warmup.warm_up() > 0
    monkeypatch.setenv("CNN_WARM_UP", "0")
    assert warmup.start_in_background() is False  # switched off: nothing starts


def test_a_finished_run_leaves_no_graph_functions_behind():
    """Keras builds the optimizer's and metrics' variables while tracing the first step unless
    they exist; TensorFlow then keeps their initialisers in its process-wide function registry for
    good (about 5 MB a run, measured). A server trains all day: two runs, the registry holds still."""
    import gc

    from tensorflow.python.eager import context

    def run_to_the_end():
        assert _job(TINY, _cfg(), ex).wait(300)
        # wait() returns when the result is in; the job's thread holds it a moment longer
        for thread in threading.enumerate():
            if thread.name.startswith("training-"):
                thread.join(30)
        gc.collect()  # the job and its model are gone: their own functions go with them

    ex = executors.LocalExecutor(1)
    run_to_the_end()
    before = set(context.context().list_function_names())
    run_to_the_end()
    assert set(context.context().list_function_names()) - before == set()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_training_yields_the_cpu_to_pages(monkeypatch):
    """A class trains while others use the labs: a job's thread runs at a higher nice value than
    the server's page threads ($CNN_TRAIN_NICE), so a page's rerun does not queue behind it."""
    import os

    monkeypatch.setenv("CNN_TRAIN_NICE", "7")
    ex = executors.LocalExecutor(1)
    job = _job(TINY, _cfg(epochs=20, max_train_images=0), ex, label="nice-check")
    deadline = time.time() + 120
    while job.snapshot().step < 1 and time.time() < deadline:
        time.sleep(0.05)
    thread = next(t for t in threading.enumerate() if t.name == "training-nice-check")
    assert os.getpriority(os.PRIO_PROCESS, thread.native_id) == 7
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < 7  # pages keep theirs
    job.stop()
    assert job.wait(120)


def test_the_servers_warm_up_takes_whats_loaded_out_of_full_garbage_collections():
    """A full collection over TensorFlow, Keras and Streamlit's objects held the interpreter lock
    ~0.2 s; after the warm-up those objects are frozen, so a page never waits on that."""
    import subprocess

    code = ("import os, gc; os.environ['CNN_WARM_UP'] = '1';"
            "from cnn_core import warmup; assert warmup.start_in_background(); assert warmup.done.wait(300);"
            "gc.collect(); print(gc.get_freeze_count(), len(gc.get_objects()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    frozen, scanned = map(int, out.stdout.split())
    assert frozen > 100_000 and scanned < frozen / 10  # a full collection now scans a tenth or less
