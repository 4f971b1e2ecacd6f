"""NumPy convolution and pooling with Keras' exact semantics, for the labs' visuals.

    from cnn_core import conv
    out = conv.conv2d(image, kernels, bias, stride=2, padding="same")    # == keras Conv2D
    conv.pool2d(fmap, 2, kind="avg")                                     # == AveragePooling2D

No TensorFlow: the convolution and pooling pages import only this (tests compare with Keras).
Images are float arrays (H, W, C); kernels are (k, k, C_in, N) like Keras' Conv2D kernel.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnn_core import arithmetic as ar
from cnn_core.i18n import N_
from cnn_core.messages import UserError


def padding_amounts(h: int, w: int, k: int, stride: int, padding: str) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) zeros Keras adds; none for 'valid'."""
    if padding == "valid":
        return 0, 0, 0, 0
    top, bottom = ar.same_padding_amount(h, k, stride)
    left, right = ar.same_padding_amount(w, k, stride)
    return top, bottom, left, right


def pad(image: np.ndarray, k: int, stride: int, padding: str, value: float = 0.0) -> np.ndarray:
    t, b, left, r = padding_amounts(image.shape[0], image.shape[1], k, stride, padding)
    return np.pad(image, ((t, b), (left, r), (0, 0)), constant_values=value)


def _windows(padded: np.ndarray, k: int, stride: int, out_h: int, out_w: int) -> np.ndarray:
    """(out_h, out_w, C, k, k) views of every window."""
    v = sliding_window_view(padded, (k, k), axis=(0, 1))[::stride, ::stride]
    return v[:out_h, :out_w]


def conv2d(image: np.ndarray, kernels: np.ndarray, bias=None, stride: int = 1, padding: str = "valid") -> np.ndarray:
    """Cross-correlation as Keras' Conv2D computes it (no activation)."""
    h, w, c = image.shape
    k, _, cin, n = kernels.shape
    if cin != c:
        raise UserError("conv.channels", cin=cin, c=c)
    oh, ow = ar.conv_output_size(h, k, stride, padding), ar.conv_output_size(w, k, stride, padding)
    win = _windows(pad(image.astype(np.float64), k, stride, padding), k, stride, oh, ow)
    out = np.einsum("ijcab,abcn->ijn", win, kernels.astype(np.float64))
    if bias is not None:
        out = out + np.asarray(bias, dtype=np.float64)
    return out


def pool2d(image: np.ndarray, size: int, stride: int | None = None, padding: str = "valid",
           kind: str = "max") -> np.ndarray:
    """Max or average pooling as Keras does it: 'same' padding is ignored by both (max skips it,
    the average divides by the number of real pixels in the window)."""
    stride = stride or size
    h, w, _ = image.shape
    oh, ow = ar.pool_output_size(h, size, stride, padding), ar.pool_output_size(w, size, stride, padding)
    x = image.astype(np.float64)
    if kind == "max":
        win = _windows(pad(x, size, stride, padding, value=-np.inf), size, stride, oh, ow)
        return win.max(axis=(3, 4))
    if kind != "avg":
        raise UserError("conv.pool_kind", kind=kind)
    sums = _windows(pad(x, size, stride, padding), size, stride, oh, ow).sum(axis=(3, 4))
    ones = np.ones((h, w, 1))
    counts = _windows(pad(ones, size, stride, padding), size, stride, oh, ow).sum(axis=(3, 4))
    return sums / counts


def window(image: np.ndarray, k: int, stride: int, padding: str, row: int, col: int) -> tuple[np.ndarray, int, int]:
    """The k x k window (of the padded image) behind output position (row, col), and its top-left
    corner in padded coordinates."""
    p = pad(image, k, stride, padding)
    r0, c0 = row * stride, col * stride
    return p[r0:r0 + k, c0:c0 + k], r0, c0


def coverage(n: int, k: int, stride: int, padding: str) -> np.ndarray:
    """How many windows cover each pixel of an n x n input (the lecture's reason for padding)."""
    out_n = ar.conv_output_size(n, k, stride, padding)
    t, _, left, _ = padding_amounts(n, n, k, stride, padding)
    counts = np.zeros((n + 2 * k + 2, n + 2 * k + 2))
    for i in range(out_n):
        for j in range(out_n):
            counts[i * stride:i * stride + k, j * stride:j * stride + k] += 1
    return counts[t:t + n, left:left + n]


def preset_filter(name: str, k: int, seed: int = 0) -> np.ndarray:
    """A k x k filter: identity, blur, sharpen, horizontal edge, vertical edge, or random."""
    if k < 1:
        raise UserError("conv.kernel_size")
    c = k // 2
    if name == "identity":
        f = np.zeros((k, k))
        f[c, c] = 1.0
    elif name == "blur":
        f = np.full((k, k), 1.0 / (k * k))
    elif name == "sharpen":
        f = -np.ones((k, k)) / max(k * k - 1, 1)
        f[c, c] = 2.0
        if k == 1:
            f[0, 0] = 1.0
    elif name in ("horizontal edge", "vertical edge"):
        ramp = np.linspace(1, -1, k) if k > 1 else np.ones(1)  # bright above/left, dark below/right
        f = np.repeat(ramp[:, None], k, axis=1)
        if name == "vertical edge":
            f = f.T
    elif name == "random":
        f = np.random.default_rng(seed).normal(0, 1 / k, (k, k))
    else:
        raise UserError("conv.unknown_filter", name=name)
    return np.round(f, 3)


FILTERS = ("horizontal edge", "vertical edge", "blur", "sharpen", "identity", "random", "custom")
# What the filter picker shows, in the reader's language (`_(FILTER_LABELS[f])`); the names above
# are the values the page keeps and its link carries (`?filter=blur`), the same in every language.
FILTER_LABELS = {"horizontal edge": N_("horizontal edge"), "vertical edge": N_("vertical edge"), "blur": N_("blur"),
                 "sharpen": N_("sharpen"), "identity": N_("identity"), "random": N_("random"), "custom": N_("custom")}


def to_gray(image: np.ndarray) -> np.ndarray:
    """(H, W, C) uint8 -> (H, W, 1) float in [0, 1] (luminance for RGB)."""
    x = np.asarray(image, dtype=np.float64) / 255.0
    if x.shape[-1] == 3:
        x = (x @ np.array([0.299, 0.587, 0.114]))[..., None]
    return x


def edge_strength(image: np.ndarray) -> float:
    """Mean absolute difference between neighbouring pixels: how sharp an image is."""
    x = image[..., 0] if image.ndim == 3 else image
    return float((np.abs(np.diff(x, axis=0)).mean() + np.abs(np.diff(x, axis=1)).mean()) / 2)
