"""Output sizes and parameter counts, exactly as Keras computes them (pure Python).

    >>> conv_output_size(28, 5, stride=2)        # floor((28 - 5) / 2) + 1
    12
    >>> conv_params(3, 3, 32)                    # (3*3*3 + 1) * 32
    896

Every function raises UserError (a ValueError) with a plain sentence for impossible inputs, so a page can
show it as is.
"""

from __future__ import annotations

import math

from cnn_core.messages import UserError, msg

PADDINGS = ("valid", "same")


def _positive_int(value, what: str) -> int:
    """`value` as an int >= 1; `what` is the catalog id of its name ("what.stride")."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise UserError("arith.whole_number", what=msg(what), value=value)
    if value < 1:
        raise UserError("arith.at_least_one", what=msg(what), value=int(value))
    return int(value)


def _padding(padding: str) -> str:
    if padding not in PADDINGS:
        raise UserError("arith.padding", value=padding)
    return padding


def _window_output(n, window, stride, padding, kind: str) -> int:
    """`kind` is "kernel" or "pool_window"."""
    n = _positive_int(n, "what.input_size")
    window = _positive_int(window, "what.kernel_size" if kind == "kernel" else "what.pool_size")
    stride = _positive_int(stride, "what.stride")
    if _padding(padding) == "same":
        return math.ceil(n / stride)  # Keras pads just enough for ceil(n / s) windows
    if window > n:
        raise UserError("arith.window_too_big", k=window, n=n, noun=msg(f"noun.{kind}"))
    return (n - window) // stride + 1


def conv_output_size(n: int, kernel: int, stride: int = 1, padding: str = "valid") -> int:
    """Height (or width) after a Conv2D: valid -> floor((n-k)/s)+1, same -> ceil(n/s)."""
    return _window_output(n, kernel, stride, padding, "kernel")


def pool_output_size(n: int, pool: int, stride: int | None = None, padding: str = "valid") -> int:
    """Height (or width) after a pooling layer; the stride defaults to the pool size (as in Keras)."""
    return _window_output(n, pool, pool if stride is None else stride, padding, "pool_window")


def conv_output_formula(n: int, kernel: int, stride: int = 1, padding: str = "valid") -> str:
    """The formula with the numbers filled in, e.g. 'floor((28 - 5) / 2) + 1 = 12'."""
    out = conv_output_size(n, kernel, stride, padding)
    if padding == "same":
        return f"ceil({n} / {stride}) = {out}"
    return f"floor(({n} - {kernel}) / {stride}) + 1 = {out}"


def same_padding_amount(n: int, kernel: int, stride: int = 1) -> tuple[int, int]:
    """Zeros Keras adds (before, after) along one axis for padding='same' (TensorFlow's rule)."""
    out = math.ceil(n / stride)
    total = max((out - 1) * stride + kernel - n, 0)
    return total // 2, total - total // 2


def _kernel_area(kernel) -> int:
    if isinstance(kernel, (tuple, list)):
        kh, kw = (_positive_int(k, "what.kernel_size") for k in kernel)
        return kh * kw
    k = _positive_int(kernel, "what.kernel_size")
    return k * k


def conv_params(kernel, in_channels: int, filters: int, use_bias: bool = True) -> int:
    """Weights of a Conv2D: (k*k*C_in)*filters, plus one bias per filter."""
    area = _kernel_area(kernel)
    cin = _positive_int(in_channels, "what.in_channels")
    f = _positive_int(filters, "what.filters")
    return area * cin * f + (f if use_bias else 0)


def dense_params(inputs: int, units: int, use_bias: bool = True) -> int:
    """Weights of a Dense layer: inputs*units, plus one bias per unit."""
    i = _positive_int(inputs, "what.inputs")
    u = _positive_int(units, "what.units")
    return i * u + (u if use_bias else 0)


def batchnorm_params(channels: int) -> tuple[int, int]:
    """(trainable, non_trainable) of BatchNormalization: gamma+beta, moving mean+variance."""
    c = _positive_int(channels, "what.channels")
    return 2 * c, 2 * c
