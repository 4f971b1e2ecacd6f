"""Flatten: an H x W x C image becomes one vector of H*W*C values; no parameters."""

from __future__ import annotations

from cnn_core.i18n import N_, _
from cnn_core.layers import Code, LayerKind, prod, register


@register
class Flatten(LayerKind):
    name = "flatten"
    title = N_("flatten")
    takes = "image"
    order = 40

    def rows(self, layer, shape, position, name, ref):
        return [self.row(layer, position, "Flatten", shape, (prod(shape),), 0, _("no weights"), name)]

    def build(self, layer, x, name):
        from keras import layers

        return layers.Flatten(name=name)(x)

    def code(self, layer):
        return Code("layers.Flatten()(x)")
