"""Activation on its own (e.g. the ReLU after a batch norm): applied to every value; no parameters."""

from __future__ import annotations

from cnn_core.i18n import N_, _
from cnn_core.layers import Code, LayerKind, register
from cnn_core.layers.common import activation_field


@register
class Activation(LayerKind):
    name = "activation"
    title = N_("activation (ReLU, ...)")
    order = 35
    fields = (activation_field(),)

    def label(self, layer):
        return layer["activation"]

    def rows(self, layer, shape, position, name, ref):
        return [self.row(layer, position, "Activation", shape, shape, 0, _("no weights"), name)]

    def build(self, layer, x, name):
        from keras import layers

        return layers.Activation(layer["activation"], name=name)(x)

    def code(self, layer):
        return Code(f'layers.Activation("{layer["activation"]}")(x)')
