"""Links that restore a view (the labs', the builder's, the quiz's settings in the URL), presentation
mode, and what a malformed link gets: a sentence, the defaults, and a page that keeps working."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnn_core import conv, presets, quiz
from cnn_core import spec as spec_mod
from cnn_core.messages import UserError

ROOT = Path(__file__).resolve().parents[1]


def _open(page: str, **params) -> AppTest:
    """`page` opened from a link with `params` (on its own: the URL is the page's)."""
    at = AppTest.from_file(str(ROOT / "app_pages" / page), default_timeout=60)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _warnings(at) -> str:
    return " ".join(w.value for w in at.warning)


# ---------------------------------------------------------------- the stack in a word

@pytest.mark.parametrize("name", sorted(spec_mod.PRESETS))
def test_every_preset_stack_survives_a_link(name):
    stack = spec_mod.PRESETS[name]
    assert spec_mod.from_link(spec_mod.to_link(stack)) == spec_mod.normalize(stack)


def test_a_link_carries_the_train_presets_too():
    for preset in presets.TRAIN_PRESETS.values():
        word = spec_mod.to_link(preset.spec)
        assert len(word) < 400 and spec_mod.from_link(word) == spec_mod.normalize(preset.spec)


@pytest.mark.parametrize("word", ["", "abc", "!!!!", "eJzLSM3JyQcABiwCFQ", "A" * 5000])
def test_a_cut_or_foreign_word_is_refused_with_a_sentence(word):
    with pytest.raises(UserError, match="cannot be read"):
        spec_mod.from_link(word)


def test_a_stack_link_that_inflates_to_megabytes_is_refused():
    import base64
    import zlib
    bomb = base64.urlsafe_b64encode(zlib.compress(b"[" + b" " * 5_000_000 + b"]", 9)).decode().rstrip("=")
    assert len(bomb) < 8000
    with pytest.raises(UserError, match="cannot be read"):
        spec_mod.from_link(bomb)


def test_a_stack_link_past_the_widgets_limits_names_the_layer():
    with pytest.raises(UserError, match=r"Layer 1 \(conv .*at most 100000"):
        spec_mod.from_link(spec_mod.to_link([{"type": "conv", "filters": 10**7}]))
    with pytest.raises(UserError, match="unknown type"):
        spec_mod.from_link(_word([{"type": "lstm"}]))


def _word(raw) -> str:
    """A link word for anything JSON (to_link would refuse what is not a stack)."""
    import base64
    import json
    import zlib
    return base64.urlsafe_b64encode(zlib.compress(json.dumps(raw).encode())).decode().rstrip("=")


# ---------------------------------------------------------------- the labs

def test_a_convolution_lab_link_opens_the_same_view():
    at = _open("convolution.py", input="cifar10", image="7", k="5", stride="2", padding="same",
               filter="blur", pos="4")
    assert at.selectbox(key="conv_source").value == "CIFAR-10 image"
    assert at.number_input(key="conv_index").value == 7
    assert (at.slider(key="conv_k").value, at.slider(key="conv_stride").value) == (5, 2)
    assert at.radio(key="conv_padding").value == "same" and at.selectbox(key="conv_filter").value == "blur"
    assert at.slider(key="conv_pos").value == 4
    assert any("CIFAR-10 test image #7" in c.value for c in at.caption)
    assert any("32x32 -> 16x16" in h.value for h in at.subheader)  # same padding, stride 2
    assert not at.warning


def test_the_url_follows_what_the_learner_changes():
    at = _open("convolution.py")
    assert at.query_params["k"] == "3"  # the view on screen, written into the address bar
    at.slider(key="conv_k").set_value(5).run()
    at.radio(key="conv_padding").set_value("same").run()
    assert at.query_params["k"] == "5" and at.query_params["padding"] == "same"
    again = _open("convolution.py", **dict(at.query_params))
    assert again.slider(key="conv_k").value == 5 and again.radio(key="conv_padding").value == "same"


@pytest.mark.parametrize("bad", [{"k": "99"}, {"padding": "round"}, {"k": "three"}, {"filter": "'; DROP TABLE x;--"},
                                 {"input": "upload"}, {"image": "-1"}, {"pos": "1e9"}])
def test_a_malformed_lab_link_gets_a_sentence_and_the_defaults(bad):
    at = _open("convolution.py", stride="2", **bad)
    (name, value), = bad.items()
    assert "cannot use" in _warnings(at) and f"{name}=" in _warnings(at)
    assert at.slider(key="conv_stride").value == 2  # the rest of the link still applies
    defaults = {"k": 3, "padding": "valid", "filter": conv.FILTERS[0]}
    if name in defaults:
        widget = {"k": at.slider, "padding": at.radio, "filter": at.selectbox}[name]
        assert widget(key=f"conv_{name}").value == defaults[name]


def test_a_hostile_link_value_is_shown_as_code_not_markup():
    at = _open("convolution.py", k="**x** <img src=x onerror=alert(1)> `y`")
    text = _warnings(at)
    assert "`k=**x** <img src=x onerror=alert(1)> 'y'`" in text  # inside one code span: shown as typed


def test_a_pooling_lab_link_picks_the_stride_of_its_pool_size():
    at = _open("pooling.py", size="3", stride="1", padding="same", input="mnist", image="12")
    assert at.radio(key="pool_size").value == 3 and at.slider(key="pool_stride_3").value == 1
    assert at.radio(key="pool_padding").value == "same"
    assert any(m.label == "Shape after" and m.value.startswith("28 x 28") for m in at.metric)


# ---------------------------------------------------------------- the builder and the quiz

def test_a_builder_link_restores_the_dataset_and_the_whole_stack():
    stack = [{"type": "conv", "filters": 8, "kernel": 5}, {"type": "pool", "stride": 2}, {"type": "dropout", "rate": 0.25}]
    at = _open("build.py", dataset="cifar10", layers=spec_mod.to_link(stack))
    assert at.selectbox(key="build_dataset").value == "cifar10"
    got = [{k: v for k, v in layer.items() if k != "id"} for layer in at.session_state["cnn_layers"]]
    assert got == spec_mod.normalize(stack)
    # conv 8 5x5 on 32x32x3: (5*5*3+1)*8 = 608; pooled 14x14x8 = 1,568 inputs to Dense(10): 15,690
    assert {m.label: m.value for m in at.metric}["Total parameters"] == "16,298"


def test_an_edited_stack_goes_into_the_link():
    at = _open("build.py")
    at.number_input(key=at.number_input[0].key).set_value(16).run()  # the first conv's filters
    word = at.query_params["layers"]
    assert spec_mod.from_link(word)[0]["filters"] == 16


@pytest.mark.parametrize("word", ["not-a-stack", _word({"type": "conv"}), _word([{"type": "conv", "filters": -3}]),
                                  _word([{"type": "conv", "filters": 10**9}])])
def test_a_malformed_builder_link_keeps_the_stack_and_says_why(word):
    at = _open("build.py", layers=word)
    assert "cannot use" in _warnings(at) and "layers=" in _warnings(at)
    assert {m.label: m.value for m in at.metric}["Total parameters"] == "34,826"  # the default preset


def test_a_quiz_link_gives_everyone_the_same_quiz():
    at = _open("quiz.py", quiz="77-4")
    assert at.session_state["quiz_code"] == "77-4"
    first = quiz.make_quiz(quiz.parse_code("77-4"))[0]
    assert first.prompt in at.markdown[0].value or any(first.prompt in m.value for m in at.markdown)
    bad = _open("quiz.py", quiz="77-zz")
    assert "A quiz code looks like" in _warnings(bad) and bad.session_state["quiz_code"] != "77-zz"


# ---------------------------------------------------------------- presentation mode and the join link

def test_presentation_mode_from_a_link_folds_the_controls_and_enlarges_the_type():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("app_pages/convolution.py")
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.toggle(key="present").value is True
    assert any("font-size" in h.proto.body for h in at.get("html"))
    settings = [e for e in at.expander if e.label == "Settings"]
    assert settings and settings[0].slider(key="conv_k").value == 3  # the controls, folded away
    at.toggle(key="present").set_value(False).run()
    assert not [e for e in at.expander if e.label == "Settings"] and not at.get("html")
    assert "present" not in at.query_params


def test_presentation_mode_stays_on_from_page_to_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.toggle(key="present").set_value(True).run()
    assert at.query_params["present"] == "1"
    at.switch_page("app_pages/build.py").run()
    assert at.toggle(key="present").value is True and [e for e in at.expander if e.label == "The layers"]


@pytest.mark.parametrize("code", ["<script>", "K7QM2", "'; DROP TABLE classes;--"])
def test_a_join_link_with_an_impossible_code_says_so(code):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["class"] = code
    at.run()
    assert not at.exception
    assert any("class code cannot be used" in w.value for w in at.sidebar.warning)
