"""The training engine on tiny budgets: live metrics, stop within one batch, the queue, errors."""

import threading
import time

import numpy as np
import pytest

from cnn_core import presets, training
from cnn_core import spec as spec_mod

TINY = spec_mod.PRESETS["Tiny"]


def _cfg(**kw):
    base = dict(dataset="mnist", source="sample", epochs=1, batch_size=128, max_train_images=1280,
                validation_fraction=0.1, learning_rate=3e-3)
    base.update(kw)
    return training.TrainConfig(**base)


def test_tiny_run_learns_and_reports():
    job = training.TrainingJob(TINY, _cfg(epochs=2), scheduler=training.JobScheduler(1)).start()
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
    assert job.summary()["test accuracy"] == job.result["accuracy"]


def test_label_smoothing_run_validates_each_epoch_on_held_out_images():
    job = training.TrainingJob(TINY, _cfg(epochs=2, label_smoothing=0.1, validation_fraction=0.2),
                               scheduler=training.JobScheduler(1)).start()
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
    assert training._tensor(ds.x_train) is training._tensor(ds.x_train)
    private = np.zeros((4, 28, 28, 1), np.uint8)
    assert training._tensor(private) is not training._tensor(private)


def test_stop_halts_within_one_batch_and_keeps_the_model():
    seen = threading.Event()
    job = training.TrainingJob(TINY, _cfg(epochs=3, max_train_images=0), scheduler=training.JobScheduler(1))
    original = job._record_batch

    def record(loss, acc):
        original(loss, acc)
        if job.trained_batches == 5:
            job.stop()  # asked during batch 5's callback: no further batch may run
            seen.set()

    job._record_batch = record
    job.start()
    assert job.wait(300)
    assert seen.is_set()
    snap = job.snapshot()
    assert snap.state == "stopped"
    assert snap.step == 5  # stopped within one batch
    assert job.result is not None and job.model is not None  # what was learned is kept


def test_second_job_waits_in_the_queue_then_runs():
    sched = training.JobScheduler(max_running=1)
    a = training.TrainingJob(TINY, _cfg(), scheduler=sched, label="a")
    b = training.TrainingJob(TINY, _cfg(), scheduler=sched, label="b")
    a.start()
    b.start()
    assert b.state == "queued" and b.snapshot().queue_position == 1
    assert a.wait(300) and b.wait(300)
    assert a.state == b.state == "finished"


def test_double_start_is_ignored():
    sched = training.JobScheduler(max_running=1)
    job = training.TrainingJob(TINY, _cfg(), scheduler=sched)
    job.start()
    job.start()  # a double click
    assert job.wait(300)
    assert job.snapshot().step == 9  # trained once, not twice


def test_stopping_a_queued_job_never_starts_it():
    sched = training.JobScheduler(max_running=1)
    a = training.TrainingJob(TINY, _cfg(), scheduler=sched).start()
    b = training.TrainingJob(TINY, _cfg(), scheduler=sched).start()
    b.stop()
    assert b.state == "stopped" and sched.queued == 0
    a.wait(300)
    assert b.snapshot().step == 0


def test_jobs_of_a_gone_session_are_stopped_and_freed():
    sched = training.JobScheduler(max_running=1, reap_every=0.05)
    alive = [True]
    job = training.TrainingJob(TINY, _cfg(epochs=20, max_train_images=0), scheduler=sched,
                               owner_alive=lambda: alive[0]).start()
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

    def offline(name):
        raise ValueError("The full MNIST set is not on this machine and could not be downloaded (OSError).")

    monkeypatch.setattr(data, "_read_full", offline)
    data.clear_cache()
    job = training.TrainingJob(TINY, _cfg(source="full"), scheduler=training.JobScheduler(1)).start()
    job.wait(120)
    data.clear_cache()
    assert job.state == "failed" and "could not be downloaded" in job.error


def test_impossible_spec_is_refused_before_training():
    with pytest.raises(ValueError, match="Layer 1"):
        training.TrainingJob([{"type": "conv", "kernel": 40}], _cfg())


def test_downsample_keeps_series_bounded():
    values = list(range(10_000))
    out = training.downsample(values, 600)
    assert len(out) <= 601 and out[0] == 0 and out[-1] == 9_999


@pytest.mark.parametrize("name", list(presets.TRAIN_PRESETS))
def test_presets_are_valid(name):
    p = presets.TRAIN_PRESETS[name]
    p.config.validate()
    from cnn_core import data
    spec_mod.infer(p.spec, data.INPUT_SHAPES[p.config.dataset], 10)


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
    batch = next(iter(training.make_dataset(x, y, 32, augment=True, flip=False)))[0].numpy()
    padded = np.pad(img[:, :, 0] / 255.0, 2, mode="reflect")
    offsets = set()
    for out in batch[:, :, :, 0]:
        hits = [(dy, dx) for dy in range(5) for dx in range(5) if np.allclose(padded[dy:dy + 12, dx:dx + 12], out)]
        assert hits, "an augmented image is not a shifted copy of its original"
        offsets.add(hits[0])
    assert len(offsets) > 5
