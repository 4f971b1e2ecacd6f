"""cnn_core.arithmetic against the real Keras layers, for hundreds of random configurations."""

import random

import keras
import pytest

from cnn_core import arithmetic as ar


def _configs(n, seed):
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        size, k, s = rng.randint(1, 40), rng.randint(1, 9), rng.randint(1, 5)
        pad = rng.choice(["valid", "same"])
        if pad == "valid" and k > size:
            continue
        out.append((size, k, s, pad, rng.randint(1, 8), rng.randint(1, 16)))
    return out


@pytest.mark.parametrize("n,k,s,pad,cin,filters", _configs(200, 1))
def test_conv_matches_keras(n, k, s, pad, cin, filters):
    layer = keras.layers.Conv2D(filters, k, strides=s, padding=pad)
    layer.build((None, n, n + 1, cin))
    shape = layer.compute_output_shape((None, n, n + 1, cin))
    assert shape[1] == ar.conv_output_size(n, k, s, pad)
    assert shape[2] == ar.conv_output_size(n + 1, k, s, pad)
    assert layer.count_params() == ar.conv_params(k, cin, filters)


@pytest.mark.parametrize("n,k,s,pad,cin,_", _configs(150, 2))
def test_pool_matches_keras(n, k, s, pad, cin, _):
    for cls in (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D):
        layer = cls(k, strides=s, padding=pad)
        shape = layer.compute_output_shape((None, n, n, cin))
        assert shape[1] == ar.pool_output_size(n, k, s, pad)
        assert shape[3] == cin  # pooling keeps the channels
        assert layer.count_params() == 0


def test_pool_stride_defaults_to_pool_size():
    assert ar.pool_output_size(28, 2) == 14
    assert ar.pool_output_size(7, 2) == 3
    assert ar.pool_output_size(7, 2, padding="same") == 4


@pytest.mark.parametrize("inputs,units", [(1600, 10), (784, 128), (3, 1)])
def test_dense_params_match_keras(inputs, units):
    layer = keras.layers.Dense(units)
    layer.build((None, inputs))
    assert layer.count_params() == ar.dense_params(inputs, units)
    assert ar.dense_params(inputs, units, use_bias=False) == inputs * units


def test_lecture_example_weight_sharing():
    # (32,32,3) through 32 filters of 3x3 -> (30,30,32) with (3x3x3)x32 + 32 weights
    assert ar.conv_output_size(32, 3) == 30
    assert ar.conv_params(3, 3, 32) == 3 * 3 * 3 * 32 + 32 == 896


def test_formula_text():
    assert ar.conv_output_formula(28, 5, 2) == "floor((28 - 5) / 2) + 1 = 12"
    assert ar.conv_output_formula(28, 5, 2, "same") == "ceil(28 / 2) = 14"


def test_same_padding_amount_matches_tensorflow_rule():
    assert ar.same_padding_amount(28, 3, 1) == (1, 1)
    assert ar.same_padding_amount(28, 4, 1) == (1, 2)  # the extra zero goes after
    assert ar.same_padding_amount(5, 3, 2) == (1, 1)


@pytest.mark.parametrize("call,words", [
    (lambda: ar.conv_output_size(3, 5), "does not fit a 3x3 input"),
    (lambda: ar.conv_output_size(28, 0), "at least 1"),
    (lambda: ar.conv_output_size(28, 3, 0), "stride must be at least 1"),
    (lambda: ar.conv_output_size(28, 3, padding="full"), "'valid' or 'same'"),
    (lambda: ar.pool_output_size(1, 2), "does not fit a 1x1 input"),
    (lambda: ar.conv_params(3, 3, 0), "number of filters"),
    (lambda: ar.conv_output_size(2.5, 1), "whole number"),
])
def test_impossible_inputs_raise_plain_sentences(call, words):
    with pytest.raises(ValueError, match=words):
        call()
