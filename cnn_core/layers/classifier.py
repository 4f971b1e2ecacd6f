"""The classifier the builder appends to every stack: Dense(num_classes) with softmax."""

from __future__ import annotations

from cnn_core.i18n import N_
from cnn_core.layers import Code, Field, LayerKind, register
from cnn_core.layers.dense import dense_row


@register
class Classifier(LayerKind):
    name = "classifier"
    title = N_("classifier (Dense + softmax)")
    takes = "flat"
    addable = False
    fields = (Field("units", 10, "int", N_("classes"), "what.units", low=2),)

    def label(self, layer):
        return f"dense {layer['units']} softmax (classifier)"

    def rows(self, layer, shape, position, name, ref):
        return [dense_row(self, layer, position, shape, layer["units"], name, ref)]

    def build(self, layer, x, name):
        from keras import layers

        return layers.Dense(layer["units"], activation="softmax", name=name)(x)

    def code(self, layer):
        return Code('layers.Dense(num_classes, activation="softmax")(x)')
