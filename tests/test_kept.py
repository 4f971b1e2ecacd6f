"""A page's settings are as the learner left them after a visit to another page (ui/kept.py).
Streamlit forgets a widget's value when a run of another page does not draw it: before, 7 epochs
on Train were 2 again after a look at Build a CNN, and the convolution lab's kernel was back at 3."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]

# page, widget kind, key, a value that is not the default
SETTINGS = [
    ("convolution", "slider", "conv_k", 5),
    ("convolution", "radio", "conv_padding", "same"),
    ("convolution", "selectbox", "conv_source", "CIFAR-10 image"),
    ("pooling", "radio", "pool_size", 3),
    ("pooling", "radio", "pool_padding", "same"),
    ("train", "number_input", "train_epochs", 7),
    ("train", "selectbox", "train_optimizer", "sgd"),
    ("train", "checkbox", "train_augment", True),
    ("pooling_experiment", "number_input", "poolx_epochs", 3),
    ("pooling_experiment", "select_slider", "poolx_images", 2000),
    ("transfer", "number_input", "transfer_epochs", 5),
    ("transfer", "toggle", "transfer_tr_resnet20_stage3", True),
]


def _widget(at, kind, key):
    return getattr(at, kind)(key=key)


def _app():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    return at


@pytest.mark.parametrize(("page", "kind", "key", "value"), SETTINGS, ids=[s[2] for s in SETTINGS])
def test_a_setting_is_as_the_learner_left_it_after_another_page(page, kind, key, value):
    at = _app()
    at.switch_page(f"app_pages/{page}.py").run()
    assert _widget(at, kind, key).value != value  # the test changes something
    _widget(at, kind, key).set_value(value).run()
    at.switch_page("app_pages/build.py").run()  # the learner goes to change the model
    at.switch_page("app_pages/home.py").run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert _widget(at, kind, key).value == value
    assert not at.warning  # no "set via the Session State API" warning on screen


def test_a_link_still_wins_over_what_was_kept():
    at = _app()
    at.switch_page("app_pages/convolution.py").run()
    at.slider(key="conv_k").set_value(5).run()
    at.switch_page("app_pages/home.py").run()
    at.query_params["k"] = "6"  # the teacher's link, opened after
    at.switch_page("app_pages/convolution.py").run()
    assert at.slider(key="conv_k").value == 6


def test_a_preset_still_sets_the_train_settings_it_was_measured_with():
    at = _app()
    at.switch_page("app_pages/train.py").run()
    at.number_input(key="train_epochs").set_value(9).run()
    at.switch_page("app_pages/home.py").run()
    at.switch_page("app_pages/train.py").run()
    preset = next(b for b in at.button if b.key.startswith("train_preset_"))
    preset.click().run()
    from cnn_core import presets

    name = preset.key.removeprefix("train_preset_")
    assert at.number_input(key="train_epochs").value == presets.TRAIN_PRESETS[name].config.epochs
