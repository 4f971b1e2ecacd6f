"""Every page loads under AppTest; the builder's main interactions work."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "app_pages").glob("*.py"))


def _run(path):
    at = AppTest.from_file(str(ROOT / path), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_app_routes_and_loads():
    at = _run("app.py")
    assert at.title[0].value == "Learn CNNs by doing"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_loads_on_its_own(page):
    _run(page)


def _keys(at, suffix):
    return [w.key for w in at.number_input if w.key.endswith(suffix)]


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def test_builder_preset_and_edit_update_the_table():
    at = _run("app_pages/build.py")
    assert _metrics(at)["Total parameters"] == "34,826"
    at.selectbox(key="build_preset").set_value("LeNet-5-like")
    at.button(key="build_load").click().run()
    assert _metrics(at)["Total parameters"] == "61,706"
    first_filters = _keys(at, "_filters")[0]
    at.number_input(key=first_filters).set_value(12).run()  # 6 -> 12 filters in the first conv
    # conv1 (5*5*1+1)*12 = 312, conv2 (5*5*12+1)*16 = 4,816; the rest of LeNet is unchanged
    assert _metrics(at)["Total parameters"] == "64,262"
    table = at.dataframe[0].value
    assert table.iloc[0]["formula"] == "(5*5*1 + 1) * 12 = 312"
    assert table.iloc[0]["output shape"] == "28 x 28 x 12"


def test_builder_shows_impossible_spec_as_a_sentence_and_keeps_the_last_table():
    at = _run("app_pages/build.py")
    at.selectbox(key="build_preset").set_value("Tiny")
    at.button(key="build_load").click().run()
    remove_keys = [b.key for b in at.button if b.key and b.key.endswith("_remove")]
    at.button(key=remove_keys[-1]).click().run()  # Tiny without its Flatten: conv, pool
    for _ in range(4):  # pools until the image is 1x1, then one more
        at.selectbox(key="build_add_type").set_value("pool")
        at.button(key="build_add").click().run()
    # 28 -conv3-> 26 -pool-> 13 -> 6 -> 3 -> 1, and layer 6 (a pool) gets that 1x1 input
    errors = [e.value for e in at.error]
    assert errors and "Layer 6 (pool max 2x2) gets a 1x1 input" in errors[0]
    assert not at.exception
    assert "last valid" in at.subheader[1].value
    assert len(at.dataframe) >= 1  # the last valid table is still on screen


def test_builder_move_and_remove_layers():
    at = _run("app_pages/build.py")
    at.selectbox(key="build_preset").set_value("Keras MNIST convnet")
    at.button(key="build_load").click().run()
    n_before = len(at.dataframe[0].value)
    remove_keys = [b.key for b in at.button if b.key and b.key.endswith("_remove")]
    at.button(key=remove_keys[-1]).click().run()  # drop the dropout
    assert len(at.dataframe[0].value) == n_before - 1
    up_keys = [b.key for b in at.button if b.key and b.key.endswith("_up")]
    at.button(key=up_keys[1]).click().run()  # pool above conv: pool, conv, conv, pool, ...
    assert at.dataframe[0].value.iloc[0]["layer"] == "pool max 2x2"
    assert at.dataframe[0].value.iloc[1]["output shape"] == "12 x 12 x 32"  # 14 -conv3-> 12


def test_builder_export_code_and_cifar():
    at = _run("app_pages/build.py")
    at.selectbox(key="build_dataset").set_value("cifar10").run()
    code = at.code[0].value
    assert "input_shape=(32, 32, 3)" in code and "layers.Conv2D(32, 3" in code
    assert _metrics(at)["Total parameters"] == "42,442"  # 896 + 18,496 + (6*6*64 + 1) * 10


TINY = [{"type": "conv", "filters": 4, "kernel": 3, "stride": 1, "padding": "valid", "activation": "relu", "id": "T1"},
        {"type": "pool", "kind": "max", "size": 2, "stride": None, "padding": "valid", "id": "T2"}]


def _train_tiny(at, epochs=1, layers=TINY):
    """Use the Tiny stack (or `layers`), the shipped sample, and press Train; wait for the job."""
    at.session_state["cnn_layers"] = layers
    at.run()
    at.radio(key="train_source").set_value("sample")
    at.number_input(key="train_epochs").set_value(epochs)
    at.button(key="train_job_start").click().run()
    job = at.session_state["train_job"]
    assert job.wait(300)
    at.run()  # the live panel sees the end and asks for a full redraw
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return job


def test_train_page_trains_and_shows_the_evaluation():
    at = _run("app_pages/train.py")
    job = _train_tiny(at)
    assert job.state == "finished"
    assert any(re.match(r"Finished 1 epoch \(\d+ batches\) in", m.value) and "shipped sample of MNIST" in m.value for m in at.markdown)
    labels = [m.label for m in at.metric]
    assert "Test accuracy" in labels and "Mistakes" in labels
    assert [t.label for t in at.tabs][:3] == ["Confusion matrix", "Per class", "Mistakes"]
    assert len(at.session_state["train_history"]) == 1  # the run history has this run


@pytest.mark.parametrize("widget,key,value,words", [
    ("text_input", "train_lr", "0", "learning rate must be above 0"),
    ("text_input", "train_lr", "-0.5", "learning rate must be above 0"),
    ("text_input", "train_lr", "fast", "must be a number"),
    ("number_input", "train_batch", 0, "batch size"),
    ("number_input", "train_epochs", 400, "Epochs must be"),
])
def test_train_page_bad_settings_get_a_sentence(widget, key, value, words):
    at = _run("app_pages/train.py")
    getattr(at, widget)(key=key).set_value(value).run()
    assert not at.exception
    assert any(words in e.value for e in at.error)
    assert at.button(key="train_job_start").disabled  # nothing can start with bad settings


@pytest.mark.parametrize("name", ["fast MNIST", "fast CIFAR-10"])
def test_train_page_preset_fills_every_setting_it_was_measured_with(name):
    """The UI must train exactly what the preset's description (and bench.py) measured."""
    from cnn_core import presets

    cfg = presets.TRAIN_PRESETS[name].config
    at = _run("app_pages/train.py")
    at.button(key=f"train_preset_{name}").click().run()
    assert at.selectbox(key="train_dataset").value == cfg.dataset
    assert at.session_state["cnn_layers"] and len(at.session_state["cnn_layers"]) == len(presets.TRAIN_PRESETS[name].spec)
    assert at.number_input(key="train_epochs").value == cfg.epochs
    assert at.number_input(key="train_batch").value == cfg.batch_size
    assert at.selectbox(key="train_optimizer").value == cfg.optimizer
    assert float(at.text_input(key="train_lr").value) == cfg.learning_rate
    assert at.selectbox(key="train_schedule").value == cfg.schedule
    assert at.checkbox(key="train_augment").value is cfg.augment
    assert at.number_input(key="train_val").value == cfg.validation_fraction
    assert at.number_input(key="train_smoothing").value == cfg.label_smoothing
    assert at.checkbox(key="train_tta").value is cfg.test_time_flip
    assert at.radio(key="train_source").value == cfg.source
    assert not at.error and not at.exception


def test_convolution_lab_sizes_and_formula_follow_the_settings():
    from cnn_core import arithmetic as ar

    at = _run("app_pages/convolution.py")
    assert at.subheader[0].value == "Output size: 28x28 -> 26x26"
    at.slider(key="conv_k").set_value(5)
    at.slider(key="conv_stride").set_value(2).run()
    assert at.subheader[0].value == f"Output size: 28x28 -> {ar.conv_output_size(28, 5, 2)}x12"
    assert any("floor((28 - 5) / 2) + 1 = 12" in m.value for m in at.markdown)
    at.radio(key="conv_padding").set_value("same").run()
    assert at.subheader[0].value == "Output size: 28x28 -> 14x14"
    assert any("ceil(28 / 2) = 14" in m.value for m in at.markdown)
    at.selectbox(key="conv_filter").set_value("custom").run()
    at.button(key="conv_next").click().run()
    assert any("Position (0, 1)" in m.value for m in at.markdown)
    at.button(key="conv_lecture").click().run()
    assert any("gives **(30,30,32)**" in m.value and "= 896" in m.value for m in at.markdown)
    assert not at.exception


def test_convolution_lab_asks_for_an_upload_and_draws_nothing_until_then():
    at = _run("app_pages/convolution.py")
    at.selectbox(key="conv_source").set_value("Upload an image").run()
    assert not at.exception
    assert any("Upload an image" in i.value for i in at.info)
    assert not any(h.value.startswith("Output size") for h in at.subheader)  # nothing computed without an input
    assert not at.get("plotly_chart")
    assert any("weight sharing" in h.value for h in at.subheader)  # the calculator needs no image: still there


def test_pooling_lab_shapes_and_zero_parameters():
    at = _run("app_pages/pooling.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Shape before"] == "28 x 28 x 1" and metrics["Shape after"] == "14 x 14 x 1"
    assert metrics["Parameters"] == "0"
    at.radio(key="pool_size").set_value(3).run()
    assert {m.label: m.value for m in at.metric}["Shape after"] == "9 x 9 x 1"
    at.radio(key="pool_padding").set_value("same").run()
    assert {m.label: m.value for m in at.metric}["Shape after"] == "10 x 10 x 1"
    table = at.dataframe[-1].value
    mx, av = table.iloc[0], table.iloc[1]
    assert mx["edge sharpness"] > av["edge sharpness"] and mx["mean brightness"] > av["mean brightness"]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_pages_that_do_not_train_do_not_import_tensorflow(lang):
    import subprocess
    import sys

    code = ("import sys; sys.path.insert(0, '.');"
            "from streamlit.testing.v1 import AppTest;"
            "pages = [AppTest.from_file(p) for p in ('app_pages/convolution.py', 'app_pages/pooling.py', 'app_pages/build.py', 'app_pages/quiz.py', 'app_pages/home.py', 'app_pages/instructor.py')];"
            f"[(at.session_state.__setitem__('lang', '{lang}'), at.run()) for at in pages];"
            "print('tensorflow' in sys.modules or 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_pooling_experiment_page_runs_and_shows_the_table():
    at = _run("app_pages/pooling_experiment.py")
    at.session_state["cnn_layers"] = [
        {"type": "conv", "filters": 4, "kernel": 3, "stride": 1, "padding": "valid", "activation": "relu", "id": "P1"},
        {"type": "pool", "kind": "max", "size": 2, "stride": None, "padding": "valid", "id": "P2"}]
    at.run()
    at.select_slider(key="poolx_images").set_value(1000)
    at.button(key="poolx_experiment_start").click().run()
    exp = at.session_state["poolx_experiment"]
    assert exp.wait(600)
    at.run()
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["pooling"]) == ["max", "avg"]
    assert any("One seed only" in m.value for m in at.markdown)
    at.toggle(key="poolx_inside").set_value(True).run()  # both models, one image, side by side
    assert not at.exception and not at.error
    texts = [m.value for m in at.markdown]
    assert any(t.startswith("**max pooling**: ") for t in texts) and any(t.startswith("**avg pooling**: ") for t in texts)
    assert any("MaxPooling2D" in t and "AveragePooling2D" in t for t in texts)  # the pooling layers, in one row


def test_transfer_page_toggles_change_counts_but_not_the_total():
    at = _run("app_pages/transfer.py")
    before = {m.label: m.value for m in at.metric}
    assert before["Trainable parameters"] == "325"  # the head only
    at.toggle(key="transfer_tr_resnet20_stage3").set_value(True).run()
    after = {m.label: m.value for m in at.metric}
    assert after["Trainable parameters"] == "206,021"
    assert after["Total"] == before["Total"] == "273,717"
    assert any("type" in df.value and df.value["type"].eq("Add").any() for df in at.dataframe)  # the block table


def test_transfer_page_trains_and_fills_the_runs_table():
    from cnn_core import transfer

    if not transfer.WEIGHTS.exists():
        pytest.skip("the pretrained weights are not built yet")
    at = _run("app_pages/transfer.py")
    at.select_slider(key="transfer_images").set_value(500)
    at.number_input(key="transfer_epochs").set_value(1)
    at.button(key="transfer_job_start").click().run()
    job = at.session_state["transfer_job"]
    assert job.wait(300), job.error
    at.run()
    at.run()
    assert not at.exception
    runs = at.session_state["transfer_runs"]
    assert len(runs) == 1 and runs[0]["configuration"] == "all frozen (head only)"
    assert runs[0]["trainable parameters"] == 325 and 0 <= runs[0]["test accuracy"] <= 1
    at.toggle(key="transfer_inside").set_value(True).run()  # inside the ResNet-20 it trained
    assert not at.exception and not at.error
    texts = [m.value for m in at.markdown]
    assert "#### Where did the model look?" in texts
    assert any(t.startswith("Grad-CAM on **stage3_block3_out**") for t in texts)


def test_the_app_keeps_the_keras_session_between_reruns_of_the_train_page():
    """Streamlit clears Keras' session after every rerun; a live chart reruns once a second while
    a model trains in another thread, so app.py must switch that off (ui/streamlit_compat.py).
    In a fresh process, so nothing installed by another test can make it pass."""
    import subprocess
    import sys

    code = ("import sys; sys.path.insert(0, '.'); import keras; calls = [];"
            "keras.backend.clear_session = lambda *a, **k: calls.append(1);"
            "from streamlit.testing.v1 import AppTest;"
            "at = AppTest.from_file(sys.argv[1], default_timeout=60); at.run();"
            "at.switch_page('app_pages/train.py').run(); at.run(); at.run();"
            "print(len(calls), [t.value for t in at.title], [e.value for e in at.exception])")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "app.py")], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "0 ['Train'] []"


def test_look_inside_a_mistake_opens_the_inside_view_on_that_image():
    at = _run("app_pages/train.py")
    job = _train_tiny(at)
    i = int(job.result["wrong"][0])
    at.button(key=f"train_res_inside_{i}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["train_res_tabs"] == "Inside the network"  # the tab opens by itself
    assert at.selectbox(key="train_res_inside_mistake").value == i
    texts = [m.value for m in at.markdown]
    assert "#### Every layer, in order" in texts and "#### Where did the model look?" in texts
    for n, layer in enumerate(m for m in job.model.layers if type(m).__name__ != "InputLayer"):
        assert any(t.startswith(f"**{n + 1}. {layer.name}** · {type(layer).__name__}") for t in texts), layer.name
    assert any("The network computed" in t for t in texts)  # one value by hand, next to Keras' own
    assert not at.error
    # Grad-CAM starts on this image's prediction; another mistake moves it to that one's.
    assert at.selectbox(key="train_res_inside_cam_class").value == int(job.result["predictions"][i])
    other = next((int(j) for j in job.result["wrong"] if job.result["predictions"][j] != job.result["predictions"][i]), None)
    if other is not None:
        at.selectbox(key="train_res_inside_mistake").set_value(other).run()
        assert at.selectbox(key="train_res_inside_cam_class").value == int(job.result["predictions"][other])
    job.free_model()
    at.run()
    assert any("no longer kept" in info.value for info in at.info)


def test_one_value_by_hand_stays_in_range_when_the_layer_changes():
    conv = {"type": "conv", "stride": 1, "padding": "valid", "activation": "relu"}
    at = _run("app_pages/train.py")
    job = _train_tiny(at, layers=[{**conv, "filters": 8, "kernel": 3, "id": "A"},
                                  {**conv, "filters": 4, "kernel": 3, "stride": 2, "id": "B"}])
    at.button(key=f"train_res_inside_{int(job.result['wrong'][0])}").click().run()
    first, second = (layer.name for layer in job.model.layers if type(layer).__name__ == "Conv2D")
    at.number_input(key="train_res_inside_arith_channel").set_value(8)
    at.number_input(key="train_res_inside_arith_row").set_value(25).run()
    at.number_input(key="train_res_inside_arith_col").set_value(25).run()
    assert any(c.value.startswith(f"Filter 8 of **{first}**: its 3x3 weights for each of its 1 input")
               for c in at.caption)  # the filter that made the picked map
    at.selectbox(key="train_res_inside_arith_layer").set_value(second).run()  # 12x12x4, 8 input channels
    assert not at.exception, [e.value for e in at.exception]
    assert [at.number_input(key=f"train_res_inside_arith_{n}").value for n in ("channel", "row", "col")] == [4, 11, 11]
    at.selectbox(key="train_res_inside_arith_input").set_value(7).run()  # the numbers of input channel 8
    assert any(c.value.startswith("Input channel 8 of 8:") for c in at.caption)
    assert any(c.value.startswith("This channel's products add up to") for c in at.caption)
    texts = [m.value for m in at.markdown]
    assert any("The network computed" in t for t in texts) and not at.error
