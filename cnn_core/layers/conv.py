"""Conv2D: a bank of k x k filters slid over the image; (k*k*C_in + 1) * filters parameters."""

from __future__ import annotations

from cnn_core import arithmetic as ar
from cnn_core.i18n import N_
from cnn_core.layers import Code, Field, LayerKind, register
from cnn_core.layers.common import activation_field, padding_field


def conv_formula(k: int, cin: int, filters: int, bias: bool, params: int) -> str:
    return f"({k}*{k}*{cin}{' + 1' if bias else ''}) * {filters} = {params:,}"


@register
class Conv(LayerKind):
    name = "conv"
    title = N_("convolution (Conv2D)")
    takes = "image"
    order = 10
    fields = (
        Field("filters", 32, "int", N_("filters"), "what.filters", low=1, high=100_000,
              help=N_("how many feature maps")),
        Field("kernel", 3, "int", N_("kernel"), "what.kernel_size", low=1, high=64, help=N_("k: each filter is k x k")),
        Field("stride", 1, "int", N_("stride"), "what.stride", low=1, high=16, help=N_("pixels between windows")),
        padding_field(),
        activation_field(),
        Field("bias", True, "bool", N_("bias"), "what.bias",
              help=N_("one bias per filter; off before batch norm, which has its own shift (beta)")),
    )

    def label(self, layer):
        k = layer["kernel"]
        s = f"conv {layer['filters']} {k}x{k}"
        if layer["stride"] != 1:
            s += f" stride {layer['stride']}"
        if layer["padding"] == "same":
            s += " same"
        if layer["activation"] != "relu":
            s += f" {layer['activation']}"
        return s + ("" if layer["bias"] else " no bias")

    def rows(self, layer, shape, position, name, ref):
        from cnn_core.messages import UserError

        h, w, c = shape
        k, s, pad, f = layer["kernel"], layer["stride"], layer["padding"], layer["filters"]
        if pad == "valid" and k > min(h, w):
            raise UserError("spec.kernel_too_big", layer=ref, h=h, w=w, k=k)
        out = (ar.conv_output_size(h, k, s, pad), ar.conv_output_size(w, k, s, pad), f)
        p = ar.conv_params(k, c, f, use_bias=layer["bias"])
        return [self.row(layer, position, "Conv2D", shape, out, p, conv_formula(k, c, f, layer["bias"], p), name)]

    def build(self, layer, x, name):
        from keras import layers

        return layers.Conv2D(layer["filters"], layer["kernel"], strides=layer["stride"], padding=layer["padding"],
                             activation=layer["activation"], use_bias=layer["bias"], name=name)(x)

    def code(self, layer):
        bias = "" if layer["bias"] else ", use_bias=False"
        return Code(f'layers.Conv2D({layer["filters"]}, {layer["kernel"]}, strides={layer["stride"]}, '
                    f'padding="{layer["padding"]}", activation="{layer["activation"]}"{bias})(x)')
