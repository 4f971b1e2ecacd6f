"""The layer registry against Keras itself: every kind, random stacks with residual blocks, the
exported code, the ResNet-20 of the transfer page, and impossible blocks refused with a sentence."""

import random

import numpy as np
import pytest

from cnn_core import layers as registry
from cnn_core import models, transfer
from cnn_core import spec as spec_mod


def _spec_rows(spec, shape, classes=10):
    return {r.keras_name: (r.keras_class, r.output_shape, r.params, r.trainable)
            for r in spec_mod.infer(spec, shape, classes)}


def _keras_rows(model):
    t = models.layer_table(model)
    return {row["layer"]: (row["type"], tuple(int(s) for s in row["output shape"].split(" x ")),
                           row["parameters"], row["trainable"]) for _, row in t.iterrows()}


def _input_for(kind):
    return (9, 9, 4) if kind.takes in ("image", "any") else None


@pytest.mark.parametrize("name", sorted(n for n, k in registry.KINDS.items() if k.addable))
def test_every_kind_with_its_defaults_equals_keras(name):
    """A new kind file is checked here without anyone writing a test for it."""
    kind = registry.KINDS[name]
    spec = [{"type": name}] if kind.takes != "flat" else [{"type": "flatten"}, {"type": name}]
    shape = (9, 9, 4)
    model = models.build_cnn(spec, shape, 3)
    assert _keras_rows(model) == _spec_rows(spec, shape, 3)
    assert kind.label(spec_mod.normalize(spec)[-1])  # it can name itself
    assert model.count_params() == sum(r.params for r in spec_mod.infer(spec, shape, 3))


def _random_stack(rng: random.Random) -> list:
    spec = []
    for _ in range(rng.randint(1, 6)):
        t = rng.choice(["conv", "residual", "residual", "pool", "batchnorm", "activation", "dropout"])
        if t == "conv":
            spec.append({"type": "conv", "filters": rng.randint(1, 12), "kernel": rng.randint(1, 4),
                         "stride": rng.randint(1, 2), "padding": rng.choice(["valid", "same"]),
                         "bias": rng.random() < 0.5, "activation": rng.choice(["relu", "linear", "tanh"])})
        elif t == "residual":
            spec.append({"type": "residual", "filters": rng.randint(1, 12), "stride": rng.choice([1, 1, 2, 3])})
        elif t == "pool":
            spec.append({"type": "pool", "kind": rng.choice(["max", "avg"]), "size": 2,
                         "padding": rng.choice(["valid", "same"])})
        elif t == "activation":
            spec.append({"type": "activation", "activation": rng.choice(["relu", "gelu"])})
        else:
            spec.append({"type": t})
    tail = rng.choice(["none", "flatten", "global_pool"])
    if tail != "none":
        spec += [{"type": tail}, {"type": "dense", "units": rng.randint(1, 16)}]
    return spec


@pytest.mark.parametrize("seed", range(30))
def test_random_stacks_with_residual_blocks_equal_keras(seed, tmp_path):
    rng = random.Random(100 + seed)
    shape = rng.choice([(28, 28, 1), (32, 32, 3), (11, 13, 2)])
    spec = _random_stack(rng)
    try:
        expected = _spec_rows(spec, shape)
    except ValueError:
        pytest.skip("impossible by construction (the refusal tests cover those)")
    model = models.build_cnn(spec, shape, 10)
    assert _keras_rows(model) == expected  # every Keras layer, matched by name: shapes and counts
    namespace = {"__name__": "exported"}
    exec(compile(spec_mod.to_keras_code(spec, shape, 10), str(tmp_path / "model.py"), "exec"), namespace)
    exported = namespace["make_model"]()
    assert [(type(a).__name__, tuple(a.output.shape), a.count_params()) for a in exported.layers] == \
        [(type(b).__name__, tuple(b.output.shape), b.count_params()) for b in model.layers]


def test_a_block_shows_its_inner_layers_and_its_shortcut():
    rows = spec_mod.infer([{"type": "residual", "filters": 8, "stride": 2}], (16, 16, 4), 10)
    block = [r for r in rows if r.position == 1]
    assert [r.index for r in block] == [f"1.{i}" for i in range(1, 10)]
    assert [r.keras_class for r in block] == ["Conv2D", "BatchNormalization", "Activation", "Conv2D",
                                              "BatchNormalization", "Conv2D", "BatchNormalization", "Add", "Activation"]
    proj = block[5]
    assert "shortcut" in proj.label and proj.input_shape == (16, 16, 4) and proj.output_shape == (8, 8, 8)
    assert proj.params == 4 * 8 and proj.formula == "(1*1*4) * 8 = 32"
    same = spec_mod.infer([{"type": "residual", "filters": 4}], (16, 16, 4), 10)
    assert not any("shortcut:" in r.label for r in same)  # identity shortcut: nothing to learn


def test_the_builder_can_build_the_transfer_pages_resnet20():
    spec = spec_mod.PRESETS["ResNet-20 (as on Transfer learning)"]
    ours = models.build_cnn(spec, (32, 32, 3), 5)
    theirs = transfer.build_classifier(transfer.build_resnet20(), 5)
    assert ours.count_params() == theirs.count_params() == 273_717
    assert sum(r.params for r in spec_mod.infer(spec, (32, 32, 3), 5)) == 273_717
    def kinds(model):  # the transfer page's batch norm is a subclass with one extra switch
        names = (type(layer).__name__.replace("StageBatchNorm", "BatchNormalization") for layer in model.layers)
        return sorted(n for n in names if n != "InputLayer")

    assert kinds(ours) == kinds(theirs)  # the same 20 conv layers, 2 projections, 9 additions, ...


@pytest.mark.parametrize("spec,words", [
    ([{"type": "flatten"}, {"type": "residual"}], r"Layer 2 \(residual 32\) needs an image-shaped input"),
    ([{"type": "residual", "filters": 0}], r"Layer 1 \(residual 0\): the number of filters must be at least 1"),
    ([{"type": "residual", "stride": 0}], r"the stride must be at least 1"),
    ([{"type": "residual", "filters": 2.5}], r"must be a whole number, not 2.5"),
    ([{"type": "residual", "kernel": 5}], r"Layer 1 \(residual\) has an unknown setting 'kernel'"),
    ([{"type": "residual", "filters": 4000}] * 3, r"parameters; this tool allows at most 50,000,000"),
    ([{"type": "activation", "activation": "swish-ish"}], r"the activation must be one of"),
    ([{"type": "conv", "bias": "yes"}], r"the bias setting must be true or false"),
])
def test_impossible_blocks_and_settings_are_refused_with_a_sentence(spec, words):
    with pytest.raises(ValueError, match=words):
        spec_mod.infer(spec, (28, 28, 1), 10)
    with pytest.raises(ValueError, match=words):
        models.build_cnn(spec, (28, 28, 1), 10)  # refused before Keras allocates anything


def test_a_residual_network_trains_and_its_skip_path_carries_the_gradient():
    """The lesson's point, measured: in a deep plain stack the first layer's gradient shrinks;
    with residual blocks of the same depth it does not."""
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = rng.random((16, 16, 16, 3)).astype("float32")
    y = rng.integers(0, 10, 16)
    plain = [{"type": "conv", "filters": 8, "kernel": 3, "padding": "same", "activation": "tanh"}] * 16
    blocks = [{"type": "conv", "filters": 8, "kernel": 3, "padding": "same"}] + [{"type": "residual", "filters": 8}] * 8

    def first_gradient(spec):
        model = models.build_cnn(spec, (16, 16, 3), 10, seed=0)
        with tf.GradientTape() as tape:
            loss = keras.losses.sparse_categorical_crossentropy(y, model(x, training=True))
        grad = tape.gradient(loss, model.layers[1].kernel)
        return float(tf.norm(grad))

    assert first_gradient(blocks) > 3 * first_gradient(plain)


def test_the_walkthrough_in_architecture_md_adds_a_kind_in_one_file(tmp_path):
    """ARCHITECTURE.md's example kind, as written there, works everywhere without other edits."""
    import importlib.util
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "ARCHITECTURE.md").read_text()
    source = re.search(r"Create `cnn_core/layers/depthwise.py`:\n\n```python\n(.*?)```", text, re.S).group(1)
    path = tmp_path / "depthwise.py"
    path.write_text(source)
    module_spec = importlib.util.spec_from_file_location("cnn_core.layers.depthwise_example", path)
    module_spec.loader.exec_module(importlib.util.module_from_spec(module_spec))  # registers the kind
    try:
        assert "depthwise" in registry.addable()
        spec = [{"type": "depthwise", "kernel": 3, "padding": "same"}, {"type": "conv", "filters": 4}]
        model = models.build_cnn(spec, (12, 12, 3), 10)
        assert _keras_rows(model) == _spec_rows(spec, (12, 12, 3))
        assert "layers.DepthwiseConv2D(3" in spec_mod.to_keras_code(spec, (12, 12, 3), 10)
    finally:
        registry.KINDS.pop("depthwise", None)
