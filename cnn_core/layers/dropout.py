"""Dropout: zeroes a random share of values while training (none at test time); no parameters."""

from __future__ import annotations

from cnn_core.i18n import N_, _
from cnn_core.layers import Code, Field, LayerKind, register


@register
class Dropout(LayerKind):
    name = "dropout"
    title = N_("dropout")
    order = 60
    fields = (Field("rate", 0.5, "rate", N_("rate"), "what.rate", low=0.0, high=0.95, step=0.05),)

    def label(self, layer):
        return f"dropout {layer['rate']}"

    def rows(self, layer, shape, position, name, ref):
        return [self.row(layer, position, "Dropout", shape, shape, 0, _("no weights"), name)]

    def build(self, layer, x, name):
        from keras import layers

        return layers.Dropout(layer["rate"], name=name)(x)

    def code(self, layer):
        return Code(f"layers.Dropout({layer['rate']})(x)")
