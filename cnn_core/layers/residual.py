"""Residual block (He et al. 2016): conv-BN-ReLU-conv-BN plus a shortcut, added, then ReLU.

The shortcut is the input itself when the shape stays the same, else a 1x1 convolution with the
block's stride and a batch norm (a projection) so the two can be added. `out = relu(F(x) + x)`:
the addition gives the gradient a direct path back, which is why deep ResNets still train. The
transfer page's ResNet-20 is made of these (cnn_core.transfer builds it with `block`).
"""

from __future__ import annotations

from cnn_core import arithmetic as ar
from cnn_core.i18n import N_, _
from cnn_core.layers import Code, Field, LayerKind, LayerRow, register
from cnn_core.layers.batchnorm import batchnorm_row
from cnn_core.layers.conv import conv_formula

HELPER = '''def residual_block(x, filters, stride=1):
    """conv-BN-ReLU-conv-BN, plus the input (a 1x1 projection when the shape changes), then ReLU."""
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = layers.BatchNormalization()(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    if stride != 1 or x.shape[-1] != filters:  # the shape changes: project the shortcut
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    y = layers.Add()([y, shortcut])  # the residual connection: F(x) + x
    return layers.Activation("relu")(y)'''


def needs_projection(in_channels: int, filters: int, stride: int) -> bool:
    return stride != 1 or in_channels != filters


def block(x, filters: int, stride: int, name: str, batch_norm=None):
    """The block on the Keras tensor `x`; its layers are named `{name}_conv1` ... `{name}_out`.
    `batch_norm(name)` makes each batch norm layer (default: keras' BatchNormalization)."""
    from keras import layers

    bn = batch_norm or (lambda n: layers.BatchNormalization(name=n))
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    y = bn(f"{name}_bn1")(y)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = bn(f"{name}_bn2")(y)
    if needs_projection(x.shape[-1], filters, stride):
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(x)
        shortcut = bn(f"{name}_proj_bn")(shortcut)
    y = layers.Add(name=f"{name}_add")([y, shortcut])  # the residual connection: F(x) + x
    return layers.Activation("relu", name=f"{name}_out")(y)


@register
class Residual(LayerKind):
    name = "residual"
    title = N_("residual block (ResNet)")
    takes = "image"
    order = 15
    fields = (
        Field("filters", 32, "int", N_("filters"), "what.filters", low=1, high=100_000),
        Field("stride", 1, "int", N_("stride"), "what.stride", low=1, high=4,
              help=N_("2 halves height and width (the shortcut is then a 1x1 projection)")),
    )

    def label(self, layer):
        return f"residual {layer['filters']}" + (f" stride {layer['stride']}" if layer["stride"] != 1 else "")

    def rows(self, layer, shape, position, name, ref):
        h, w, c = shape
        f, s = layer["filters"], layer["stride"]
        out = (ar.conv_output_size(h, 3, s, "same"), ar.conv_output_size(w, 3, s, "same"), f)
        me = self.label(layer)
        rows = []

        def add(keras_class, label, in_shape, out_shape, params, formula, suffix, trainable=None):
            rows.append(LayerRow(position, len(rows) + 1, f"{me} › {label}", keras_class, in_shape, out_shape,
                                 params, params if trainable is None else trainable, formula, f"{name}_{suffix}"))

        def bn(label, at, suffix):
            row = batchnorm_row(self, layer, position, at, f"{name}_{suffix}", f"{me} › {label}", len(rows) + 1)
            rows.append(row)

        p1, p2 = ar.conv_params(3, c, f, use_bias=False), ar.conv_params(3, f, f, use_bias=False)
        add("Conv2D", "conv 3x3" + (f" stride {s}" if s != 1 else ""), shape, out, p1,
            conv_formula(3, c, f, False, p1), "conv1")
        bn(_("batch norm"), out, "bn1")
        add("Activation", "relu", out, out, 0, _("no weights"), "relu1")
        add("Conv2D", "conv 3x3", out, out, p2, conv_formula(3, f, f, False, p2), "conv2")
        bn(_("batch norm"), out, "bn2")
        if needs_projection(c, f, s):
            p3 = ar.conv_params(1, c, f, use_bias=False)
            projection = (_("shortcut: 1x1 projection stride {stride}").format(stride=s) if s != 1
                          else _("shortcut: 1x1 projection"))
            add("Conv2D", projection, shape, out, p3, conv_formula(1, c, f, False, p3), "proj")
            bn(_("shortcut batch norm"), out, "proj_bn")
        add("Add", _("add: F(x) + shortcut"), out, out, 0, _("no weights (an element-wise sum)"), "add")
        add("Activation", "relu", out, out, 0, _("no weights"), "out")
        return rows

    def build(self, layer, x, name):
        return block(x, layer["filters"], layer["stride"], name)

    def code(self, layer):
        stride = f", stride={layer['stride']}" if layer["stride"] != 1 else ""
        return Code(f"residual_block(x, {layer['filters']}{stride})", helpers=(("residual_block", HELPER),))
