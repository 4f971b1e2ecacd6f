"""What a teacher or learner hits in the first hour (issue: presets, exports, uploads, honest
numbers, a class of 30). Each test names the behaviour it checks; browser-only ones are in
test_browser.py."""

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core import data, executors, jobs, models, runner, training

ROOT = Path(__file__).resolve().parents[1]
TINY = [{"type": "conv", "filters": 4, "kernel": 3}, {"type": "pool"}]


def _page(path, **state):
    at = AppTest.from_file(str(ROOT / path), default_timeout=120)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _cfg(**kw):
    base = dict(dataset="mnist", source="sample", epochs=1, batch_size=128, max_train_images=1280,
                validation_fraction=0.0)
    return training.TrainConfig(**{**base, **kw})


# ---------------------------------------------------------------- 1. presets set the dataset

def test_using_the_cifar_preset_trains_on_cifar():
    at = _page("app_pages/train.py")
    assert at.selectbox(key="train_dataset").value == "mnist"
    at.button(key="train_preset_fast CIFAR-10").click().run()
    assert at.selectbox(key="train_dataset").value == "cifar10"
    model_line = next(c.value for c in at.caption if c.value.startswith("Model:"))
    assert "conv 32 4x4 stride 2 same" in model_line and model_line.endswith("Change it on **Build a CNN**.")
    at.number_input(key="train_epochs").set_value(1).run()
    at.radio(key="train_source").set_value("sample").run()
    at.button(key="train_job_start").click().run()
    job = at.session_state["train_job"]
    assert job.request.config.dataset == "cifar10" and job.request.config.augment  # what the preset measured
    job.stop()
    job.wait(300)


# ---------------------------------------------------------------- 2. a downloaded model loads anywhere

def test_downloaded_model_loads_without_this_project_and_predicts_the_same(tmp_path):
    from cnn_core import presets

    p = presets.TRAIN_PRESETS["fast MNIST"]  # a one-cycle schedule (a class of ours) and label-free loss
    job = jobs.Job(runner.TrainRequest(p.spec, _cfg(schedule="one_cycle", learning_rate=4e-3)))
    job.start(executors.LocalExecutor(1))
    assert job.wait(300) and job.state == "finished", job.error
    (tmp_path / "cnn_classroom_model.keras").write_bytes(models.to_keras_bytes(job.model))
    x = data.load_dataset("mnist", "sample").x_test[:32]
    np.save(tmp_path / "x.npy", data.to_float(x))
    ours = training.predict_images(job.model, x)
    code = ("import importlib.util, json, numpy as np, keras;"
            "assert importlib.util.find_spec('cnn_core') is None, 'cnn_core is importable here';"
            "m = keras.models.load_model('cnn_classroom_model.keras');"  # exactly the command the page shows
            "print(json.dumps(m.predict(np.load('x.npy'), verbose=0).tolist()))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "2", "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-2000:]
    theirs = np.array(json.loads(out.stdout.strip().splitlines()[-1]))
    np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- 5. every class on every axis

def _plotly_specs(at):
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_confusion_matrix_and_probabilities_label_every_class():
    from ui import charts

    names = [str(d) for d in range(10)]
    for fig in (charts.confusion_figure(np.eye(10, dtype=int), names), charts.probabilities_figure(np.ones(10) / 10, names)):
        axis = fig.layout.xaxis
        assert axis.type == "category" and list(axis.tickvals) == names  # all ten, not 0, 2, 4, 6, 8


# ---------------------------------------------------------------- 6. the weight-sharing inputs and their sentence agree

def test_weight_sharing_inputs_survive_a_detour_through_upload():
    at = _page("app_pages/convolution.py")
    at.number_input(key="conv_ch_n").set_value(8).run()
    at.selectbox(key="conv_source").set_value("Upload an image").run()
    assert at.number_input(key="conv_ch_n").value == 8  # still drawn while waiting for a file
    at.selectbox(key="conv_source").set_value("MNIST digit").run()
    values = {n.key: n.value for n in at.number_input if n.key.startswith("conv_ch_")}
    assert values == {"conv_ch_h": 28, "conv_ch_c": 1, "conv_ch_n": 8, "conv_ch_k": 3}
    sentence = next(m.value for m in at.markdown if "filters of" in m.value)
    assert sentence.startswith("(28,28,1) through 8 filters of 3x3 gives **(26,26,8)**")


# ---------------------------------------------------------------- 7. full offline

@pytest.fixture
def offline(monkeypatch, tmp_path):
    import keras

    def no_network(*_a, **_k):
        raise OSError("network unreachable")

    monkeypatch.delenv(data.DATASETS_ENV, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    data.clear_cache()
    yield
    data.clear_cache()


def test_full_offline_says_what_to_do_and_the_message_goes_when_the_choice_changes(offline):
    at = _page("app_pages/train.py", cnn_layers=[{**layer, "id": f"F{i}"} for i, layer in enumerate(TINY)])
    at.radio(key="train_source").set_value("full").run()
    assert any("needs the internet" in w.value for w in at.warning)  # said before anything is pressed
    at.button(key="train_job_start").click().run()
    job = at.session_state["train_job"]
    assert job.wait(120) and job.state == "failed"
    at.run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "connect to the internet once" in errors[0] and "CNN_DATASETS_DIR" in errors[0]
    assert "Exception" not in errors[0] and "OSError" not in errors[0]
    at.radio(key="train_source").set_value("sample").run()
    assert not at.error  # the old failure belongs to the old choice


# ---------------------------------------------------------------- 8. batch norm after a short budget

def test_a_short_batch_norm_run_scores_the_test_set_as_it_scores_its_training_images():
    spec = [{"type": "conv", "filters": 16, "kernel": 3, "padding": "same"}, {"type": "batchnorm"}, {"type": "pool"},
            {"type": "conv", "filters": 32, "kernel": 3, "padding": "same"}, {"type": "batchnorm"}, {"type": "pool"},
            {"type": "conv", "filters": 64, "kernel": 3, "padding": "same"}, {"type": "batchnorm"},
            {"type": "global_pool"}]
    cfg = training.TrainConfig(dataset="cifar10", source="sample", epochs=1, batch_size=128, learning_rate=3e-3,
                               validation_fraction=0.0, max_train_images=5000)
    job = jobs.Job(runner.TrainRequest(spec, cfg)).start(executors.LocalExecutor(1))
    assert job.wait(600) and job.state == "finished", job.error
    res = job.result
    assert job.outcome.batch_norm_recalibrated == 3
    assert abs(res["accuracy"] - res["train_accuracy"]) < 0.06  # no collapse at test time (was 18% vs 40%)
    assert np.bincount(res["predictions"], minlength=10).max() < 0.5 * len(res["predictions"])  # not one or two classes


def test_batch_norm_statistics_are_those_of_the_training_images():
    import keras

    x = np.random.default_rng(0).integers(0, 256, (512, 8, 8, 1), dtype=np.uint8)
    model = models.build_cnn([{"type": "batchnorm"}], (8, 8, 1), 2)
    assert training.recalibrate_batch_norm(model, x, np.arange(512), batch_size=128, batches=4) == 1
    bn = next(layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization))
    pixels = x.astype(np.float64) / 255
    np.testing.assert_allclose(np.asarray(bn.moving_mean), [pixels.mean()], rtol=1e-4)
    np.testing.assert_allclose(np.asarray(bn.moving_variance), [pixels.var()], rtol=1e-3)


# ---------------------------------------------------------------- 9. progress for every wait over 2 s

def test_feature_extraction_reports_images_done_out_of_all(monkeypatch):
    from cnn_core import transfer

    weights = transfer.build_resnet20().get_weights()
    monkeypatch.setattr(transfer, "_pretrained_weights", lambda name: weights)
    seen = []
    request = transfer.TransferRequest("resnet20", "cifar5_heldout", {s: s == "head" for s in transfer.RESNET20_STAGES},
                                       _cfg(dataset="cifar10", max_train_images=2048))
    job = jobs.Job(request)
    original = job.metrics.phase
    job.metrics.phase = lambda m, done=0, total=0: (seen.append((getattr(m, "id", None), done, total)),
                                                     original(m, done, total))
    job.start(executors.LocalExecutor(1))
    assert job.wait(300) and job.state == "finished", job.error
    features = [(d, t) for i, d, t in seen if i == "transfer.phase_features"]
    assert features[0] == (0, 2048 + 1000) and len(features) >= 3  # 2,048 training + 1,000 test images
    assert [d for d, _ in features] == sorted(d for d, _ in features)


# ---------------------------------------------------------------- 10.-12. a class on one server

def test_a_queued_job_whose_tab_closed_never_starts():
    ex = executors.LocalExecutor(max_running=1)
    first = jobs.Job(runner.TrainRequest(TINY, _cfg(epochs=2))).start(ex)
    tab_open = [True]
    queued = jobs.Job(runner.TrainRequest(TINY, _cfg()), owner_alive=lambda: tab_open[0]).start(ex)
    after = jobs.Job(runner.TrainRequest(TINY, _cfg())).start(ex)
    assert queued.state == "queued"
    tab_open[0] = False  # the tab closes while its job waits (the reaper has not run yet)
    assert first.wait(300) and queued.wait(60) and after.wait(300)
    assert queued.state == "stopped" and queued.never_started and queued.metrics.trained_batches == 0
    assert after.state == "finished"  # the next learner got the slot at once


def test_a_queued_job_whose_tab_is_away_lets_the_next_one_go_first_and_starts_when_it_is_back():
    """A tab that disconnected (closed, or a classroom's wifi) within its grace period keeps its
    job, but the class does not wait for it: the next job takes the slot; back, it runs next."""
    ex = executors.LocalExecutor(max_running=1, reap_every=0.2)
    first = jobs.Job(runner.TrainRequest(TINY, _cfg(epochs=2))).start(ex)
    presence = [jobs.Presence.HERE]
    away = jobs.Job(runner.TrainRequest(TINY, _cfg()), owner_alive=lambda: presence[0]).start(ex)
    after = jobs.Job(runner.TrainRequest(TINY, _cfg())).start(ex)
    presence[0] = jobs.Presence.AWAY
    assert first.wait(300) and after.wait(300) and after.state == "finished"
    assert away.state == "queued" and ex.position(away) == 1  # passed over, its place kept
    presence[0] = jobs.Presence.HERE  # the tab reconnects
    assert away.wait(300) and away.state == "finished" and not away.never_started


def test_a_passed_over_job_whose_tab_never_comes_back_is_dropped():
    ex = executors.LocalExecutor(max_running=1, reap_every=0.2)
    presence = [jobs.Presence.AWAY]
    job = jobs.Job(runner.TrainRequest(TINY, _cfg()), owner_alive=lambda: presence[0]).start(ex)
    time.sleep(0.5)
    assert job.state == "queued" and ex.running == 0  # a free slot, but its tab is away
    presence[0] = jobs.Presence.GONE  # the grace period ends
    assert job.wait(30) and job.state == "stopped" and job.never_started


def test_train_is_disabled_while_this_tabs_job_is_queued_or_training():
    ex = executors.default_executor()
    blocker = jobs.Job(runner.TrainRequest(TINY, _cfg(epochs=5, max_train_images=0))).start(ex)
    try:
        at = _page("app_pages/train.py", cnn_layers=[{**layer, "id": f"D{i}"} for i, layer in enumerate(TINY)])
        at.radio(key="train_source").set_value("sample").run()
        at.button(key="train_job_start").click().run()
        job = at.session_state["train_job"]
        assert job.active and at.button(key="train_job_start").disabled  # queued behind the blocker
        at.run()
        assert at.button(key="train_job_start").disabled
        job.stop()
        job.wait(120)
        at.run()
        assert not at.button(key="train_job_start").disabled
    finally:
        blocker.stop()
        blocker.wait(120)


def test_a_train_click_runs_the_page_once(monkeypatch):
    """30 clicks at once are 30 runs of the Train page, not 60: the click's own run starts the job
    and draws Start disabled (it used to start it, then rerun the whole page to redraw)."""
    from ui import state

    runs = []
    current_spec = state.current_spec
    monkeypatch.setattr(state, "current_spec", lambda: runs.append(1) or current_spec())
    ex = executors.default_executor()
    blocker = jobs.Job(runner.TrainRequest(TINY, _cfg(epochs=5, max_train_images=0))).start(ex)
    try:
        at = _page("app_pages/train.py", cnn_layers=[{**layer, "id": f"D{i}"} for i, layer in enumerate(TINY)])
        at.radio(key="train_source").set_value("sample").run()
        runs.clear()
        at.button(key="train_job_start").click().run()
        assert len(runs) == 1
        assert at.session_state["train_job"].active and at.button(key="train_job_start").disabled
        assert not at.button(key="train_job_stop").disabled
        at.session_state["train_job"].stop()
    finally:
        blocker.stop()
        blocker.wait(120)


def test_queue_and_end_states_read_as_sentences():
    from ui import job_panel

    ex = executors.LocalExecutor(max_running=1)
    warm = jobs.Job(runner.TrainRequest(TINY, _cfg())).start(ex)
    assert warm.wait(300)
    running = jobs.Job(runner.TrainRequest(TINY, _cfg(epochs=20, max_train_images=0))).start(ex)
    waiting = jobs.Job(runner.TrainRequest(TINY, _cfg())).start(ex)
    deadline = time.time() + 60
    while running.metrics.trained_batches < 5 and time.time() < deadline:
        time.sleep(0.05)
    queued_text = str(job_panel.status(waiting, waiting.snapshot()))
    assert queued_text.startswith("Queued, position 1: it should start in about ")
    waiting.stop()
    assert str(job_panel.status(waiting, waiting.snapshot())).startswith("Stopped before it started")
    running.stop()
    running.wait(120)
    one = jobs.Job(runner.TrainRequest(TINY, _cfg(max_train_images=128))).start(ex)
    assert one.wait(120)
    assert str(job_panel.status(one, one.snapshot())).startswith("Finished 1 epoch (1 batch) in ")


def test_queued_tabs_poll_slowly_until_they_are_next(monkeypatch):
    """Thirty tabs in a queue each rerun on every poll: those far back poll every few seconds,
    the next two like a running job (so a learner sees the start at once)."""
    from ui import job_panel

    ex = executors.LocalExecutor(max_running=1)
    monkeypatch.setattr(job_panel, "executor", lambda: ex)
    running = jobs.Job(runner.TrainRequest(TINY, _cfg(epochs=20, max_train_images=0))).start(ex)
    queued = [jobs.Job(runner.TrainRequest(TINY, _cfg())).start(ex) for _ in range(4)]
    try:
        assert [job_panel.cadence(j) for j in queued] == [job_panel.POLL_RUNNING] * 2 + [job_panel.POLL_QUEUED] * 2
        assert job_panel.POLL_QUEUED >= 5 * job_panel.POLL_RUNNING
        assert job_panel.cadence(running) in (job_panel.POLL_FIRST, job_panel.POLL_RUNNING)
    finally:
        for job in [*queued, running]:
            job.stop()
        running.wait(120)
    assert job_panel.cadence(running) is None  # nothing going on: no polling


# ---------------------------------------------------------------- 15. small things on a projector

def test_run_labels_start_at_one_in_every_new_tab():
    labels = []
    for _ in range(2):  # two tabs, one after the other
        at = _page("app_pages/train.py", cnn_layers=[{**layer, "id": f"L{i}"} for i, layer in enumerate(TINY)])
        at.radio(key="train_source").set_value("sample").run()
        at.button(key="train_job_start").click().run()
        job = at.session_state["train_job"]
        labels.append(job.label)
        job.stop()
        job.wait(120)
    assert labels == ["run 1", "run 1"]


def test_the_uploader_limit_is_what_the_app_accepts():
    import tomllib

    from cnn_core import imaging

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == imaging.MAX_UPLOAD_BYTES


def test_the_page_icon_is_a_file_in_the_repository():
    at = _page("app.py")
    assert (ROOT / "ui" / "assets" / "icon.png").is_file()
    source = (ROOT / "app.py").read_text()
    assert "page_icon=str(ICON)" in source and ":material/" not in source.split("set_page_config")[1].split(")")[0]
    assert not at.exception


def test_pooling_lab_starts_on_a_window_where_max_and_average_differ_and_says_padding_only_with_padding():
    at = _page("app_pages/pooling.py")
    window = next(m.value for m in at.markdown if "max = **" in m.value)
    mx, av = (float(v) for v in window.replace("*", "").replace("max = ", "").replace("average = ", "").split(", "))
    assert mx > av  # not an all-black corner where both are 0
    assert not any("padding" in m.value for m in at.markdown if m.value.startswith("**Window"))
    at.radio(key="pool_padding").set_value("same").run()
    at.radio(key="pool_size").set_value(3).run()
    assert not at.exception


def test_the_builder_says_when_its_export_is_of_the_last_valid_stack():
    at = _page("app_pages/build.py")
    assert not at.warning
    at.session_state["cnn_layers"] = [{"type": "pool", "id": f"P{i}"} for i in range(6)]
    at.run()
    assert any("last valid one" in w.value for w in at.warning)
    download = next(d for d in at.get("download_button") if d.proto.id.endswith("build_download") or True)
    assert download.proto.disabled  # nothing invalid gets downloaded


def test_the_builders_counts_have_thousands_separators():
    at = _page("app_pages/build.py")
    config = json.loads(at.dataframe[0].proto.columns)
    assert all(config[c]["type_config"]["format"] == "localized" for c in ("parameters", "trainable", "non-trainable"))


def test_quiz_pointers_are_links_to_the_pages():
    at = _page("app.py")
    at.switch_page("app_pages/quiz.py").run()
    first = at.session_state["quiz_code"]
    assert first
    answered = 0
    for widget in at.radio:
        if widget.key and widget.key.startswith("quiz_"):
            widget.set_value(widget.options[0]).run()
            at.button(key=f"{widget.key}_check").click().run()
            answered += 1
            break
    assert answered and at.get("page_link")  # "See it for yourself:" is a page link, not plain text


# ---------------------------------------------------------------- 16. the device

def test_the_train_page_says_which_device_it_trains_on():
    at = _page("app_pages/train.py")
    assert any(c.value.startswith("Trains on") for c in at.caption)


def test_train_settings_are_their_widgets_own_defaults():
    """With 30 tabs loading at once a browser may send a widget's value before it has heard the
    server's; it then sends the widget's own default. Measured: batch size 0 and an empty learning
    rate in 8 of 30 tabs, Train disabled. Every setting's current value is its widget's default."""
    at = _page("app_pages/train.py")
    at.button(key="train_preset_fast CIFAR-10").click().run()
    checked = 0
    for widget in at.number_input:
        if widget.key.startswith("train_"):
            assert widget.proto.default == pytest.approx(widget.value), widget.key
            checked += 1
    assert at.text_input(key="train_lr").proto.default == at.text_input(key="train_lr").value == "0.008"
    for widget in [*at.radio, *at.selectbox]:
        if widget.key.startswith("train_"):
            assert widget.proto.default == widget.index, widget.key
            checked += 1
    assert checked == 8  # epochs, batch, validation, smoothing; data, dataset, optimizer, schedule


def test_a_closed_tabs_finished_run_gives_its_model_back():
    """Streamlit keeps a closed tab's session for minutes (and so its finished jobs): the executor
    frees their models once the tab has gone, and keeps the numbers."""
    ex = executors.LocalExecutor(max_running=1, reap_every=0.05)
    tab_open = [True]
    job = jobs.Job(runner.TrainRequest(TINY, _cfg()), owner_alive=lambda: tab_open[0]).start(ex)
    assert job.wait(300) and job.model is not None
    time.sleep(0.3)
    assert job.model is not None  # the tab is still there: the learner can still try the model
    tab_open[0] = False
    deadline = time.time() + 10
    while job.model is not None and time.time() < deadline:
        time.sleep(0.05)
    assert job.model is None and job.result["accuracy"] > 0  # freed; the scores stay
