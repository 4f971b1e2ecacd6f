"""Spec checks, layer tables and exported code against real Keras models."""

import random

import pytest

from cnn_core import models
from cnn_core import spec as spec_mod


def _spec_table(spec, shape, classes):
    return [(r.keras_class, r.output_shape, r.params, r.trainable)
            for r in spec_mod.infer(spec, shape, classes)]


def _keras_table(model):
    t = models.layer_table(model)
    return [(row["type"], tuple(int(s) for s in row["output shape"].split(" x ")),
             row["parameters"], row["trainable"]) for _, row in t.iterrows()]


def test_keras_mnist_convnet_has_34826_parameters():
    model = models.build_cnn(spec_mod.PRESETS["Keras MNIST convnet"], (28, 28, 1), 10)
    assert model.count_params() == 34_826
    table = models.layer_table(model)
    assert table["parameters"].sum() == 34_826
    assert table.iloc[0]["formula"] == "(3*3*1 + 1) * 32 = 320"
    assert table.iloc[0]["output shape"] == "26 x 26 x 32"


def _random_spec(rng):
    spec = []
    for _ in range(rng.randint(1, 5)):
        t = rng.choice(["conv", "conv", "pool", "batchnorm", "dropout"])
        if t == "conv":
            spec.append({"type": "conv", "filters": rng.randint(1, 12), "kernel": rng.randint(1, 5),
                         "stride": rng.randint(1, 2), "padding": rng.choice(["valid", "same"])})
        elif t == "pool":
            spec.append({"type": "pool", "kind": rng.choice(["max", "avg"]), "size": rng.randint(2, 3),
                         "padding": rng.choice(["valid", "same"])})
        else:
            spec.append({"type": t})
    if rng.random() < 0.5:
        spec.append({"type": rng.choice(["flatten", "global_pool"])})
        spec.append({"type": "dense", "units": rng.randint(1, 32)})
    return spec


@pytest.mark.parametrize("seed", range(25))
def test_spec_table_equals_keras(seed):
    rng = random.Random(seed)
    shape = rng.choice([(28, 28, 1), (32, 32, 3)])
    spec = _random_spec(rng)
    try:
        expected = _spec_table(spec, shape, 10)
    except ValueError:
        pytest.skip("this random stack is impossible; the error tests cover that")
    model = models.build_cnn(spec, shape, 10)
    assert _keras_table(model) == expected
    assert model.count_params() == sum(r[2] for r in expected)


@pytest.mark.parametrize("name", ["Keras MNIST convnet", "LeNet-5-like", "Tiny", "Empty"])
def test_exported_code_builds_the_same_model(name, tmp_path):
    spec = spec_mod.PRESETS[name]
    code = spec_mod.to_keras_code(spec, (32, 32, 3), 10)
    path = tmp_path / "model.py"
    path.write_text(code)
    namespace = {"__name__": "exported"}
    exec(compile(code, str(path), "exec"), namespace)  # run the snippet on its own
    exported = namespace["make_model"]()
    assert _keras_table(exported) == _keras_table(models.build_cnn(spec, (32, 32, 3), 10))


@pytest.mark.parametrize("spec,words", [
    ([{"type": "pool"}] * 5, r"Layer 5 \(pool max 2x2\) gets a 1x1 input"),
    ([{"type": "conv", "kernel": 9}, {"type": "conv", "kernel": 25}],
     r"Layer 2 \(conv 32 25x25\) gets a 20x20 input, smaller than its 25x25 kernel"),
    ([{"type": "conv", "filters": 0}], r"Layer 1 \(conv 0 3x3\).*at least 1"),
    ([{"type": "flatten"}, {"type": "dense", "units": 10**9}], r"Layer 2 \(dense 1000000000\).*parameters"),
    ([{"type": "conv"}, {"type": "dense"}], r"Layer 2 \(dense 64\) gets an image-shaped"),
    ([{"type": "flatten"}, {"type": "conv"}], r"Layer 2 .* needs an image-shaped input"),
    ([{"type": "dropout", "rate": 1.0}], r"dropout rate"),
    ([{"type": "conv"}] * 51, r"at most 50"),
    ([{"type": "lstm"}], r"unknown type 'lstm'"),
])
def test_impossible_specs_name_the_layer(spec, words):
    with pytest.raises(ValueError, match=words):
        spec_mod.infer(spec, (28, 28, 1), 10)
    with pytest.raises(ValueError, match=words):
        models.build_cnn(spec, (28, 28, 1), 10)  # refused before Keras allocates anything


def test_parameter_limit_counts_the_whole_network():
    spec = [{"type": "flatten"}] + [{"type": "dense", "units": 4000}] * 5
    with pytest.raises(ValueError, match="50,000,000"):
        spec_mod.infer(spec, (32, 32, 3), 10)


def test_weight_sharing_compares_conv_with_dense():
    rows = spec_mod.weight_sharing([{"type": "conv", "filters": 32, "kernel": 3}], (32, 32, 3), 10)
    assert rows[0]["conv parameters"] == 896
    assert rows[0]["output"] == "30x30x32"
    assert rows[0]["dense parameters for the same sizes"] == 32 * 32 * 3 * 30 * 30 * 32 + 30 * 30 * 32
