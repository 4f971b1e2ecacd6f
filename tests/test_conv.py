"""The labs' NumPy convolution and pooling equal Keras' layers, for many random settings."""

import random

import keras
import numpy as np
import pytest

from cnn_core import arithmetic as ar
from cnn_core import conv


def _cases(n, seed):
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        h, w, k, s = rng.randint(1, 14), rng.randint(1, 14), rng.randint(1, 5), rng.randint(1, 3)
        pad = rng.choice(["valid", "same"])
        if pad == "valid" and k > min(h, w):
            continue
        out.append((h, w, rng.randint(1, 3), rng.randint(1, 4), k, s, pad, rng.randint(0, 10**6)))
    return out


@pytest.mark.parametrize("h,w,c,n,k,s,pad,seed", _cases(120, 3))
def test_conv2d_equals_keras(h, w, c, n, k, s, pad, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(h, w, c)).astype(np.float32)
    kernel = rng.normal(size=(k, k, c, n)).astype(np.float32)
    bias = rng.normal(size=n).astype(np.float32)
    layer = keras.layers.Conv2D(n, k, strides=s, padding=pad)
    layer.build((None, h, w, c))
    layer.set_weights([kernel, bias])
    expected = np.asarray(layer(x[None]))[0]
    got = conv.conv2d(x, kernel, bias, s, pad)
    assert got.shape == expected.shape
    assert got.shape[:2] == (ar.conv_output_size(h, k, s, pad), ar.conv_output_size(w, k, s, pad))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("h,w,c,_n,k,s,pad,seed", _cases(120, 4))
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool2d_equals_keras(h, w, c, _n, k, s, pad, seed, kind):
    x = np.random.default_rng(seed).normal(size=(h, w, c)).astype(np.float32)
    cls = keras.layers.MaxPooling2D if kind == "max" else keras.layers.AveragePooling2D
    expected = np.asarray(cls(k, strides=s, padding=pad)(x[None]))[0]
    got = conv.pool2d(x, k, s, pad, kind)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_window_and_products_give_the_output():
    rng = np.random.default_rng(0)
    x = rng.random((9, 9, 1))
    f = conv.preset_filter("horizontal edge", 3)
    out = conv.conv2d(x, f[:, :, None, None], None, 2, "same")
    win, r0, c0 = conv.window(x, 3, 2, "same", 2, 3)
    assert (r0, c0) == (4, 6)
    assert np.isclose((win[..., 0] * f).sum(), out[2, 3, 0])


def test_padding_gives_edges_more_windows():
    valid, same = conv.coverage(6, 3, 1, "valid"), conv.coverage(6, 3, 1, "same")
    assert valid[0, 0] == 1 and valid[3, 3] == 9
    assert same[0, 0] == 4 and same[3, 3] == 9


@pytest.mark.parametrize("name", [f for f in conv.FILTERS if f != "custom"])
@pytest.mark.parametrize("k", [1, 3, 5, 7])
def test_preset_filters_have_the_chosen_size(name, k):
    assert conv.preset_filter(name, k).shape == (k, k)


def test_average_pooling_softens_edges_that_max_keeps():
    x = np.zeros((8, 8, 1))
    x[:, 3] = 1.0  # a thin bright line
    mx, av = conv.pool2d(x, 2, kind="max"), conv.pool2d(x, 2, kind="avg")
    assert mx.max() == 1.0 and av.max() == 0.5
