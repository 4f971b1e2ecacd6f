"""Settings several layer kinds share (padding, activation) and their helpers. Not a kind itself."""

from __future__ import annotations

from cnn_core.i18n import N_
from cnn_core.layers.base import Field

ACTIVATIONS = ("relu", "elu", "gelu", "tanh", "sigmoid", "linear")
PADDINGS = ("valid", "same")


def padding_field() -> Field:
    return Field("padding", "valid", "choice", N_("padding"), "what.padding", choices=PADDINGS,
                 help=N_("valid: no padding, the output shrinks; same: zeros around the edge keep the size "
                         "(stride 1)"))


def activation_field(default: str = "relu") -> Field:
    return Field("activation", default, "choice", N_("activation"), "what.activation", choices=ACTIVATIONS)


def stride_text(stride, size) -> str:
    """' stride 2' when a stride differs from the window size's default, else ''."""
    return f" stride {stride}" if stride not in (None, size) else ""
