"""Dense: every input connected to every unit; (inputs + 1) * units parameters."""

from __future__ import annotations

from cnn_core.i18n import N_
from cnn_core.layers import Code, Field, LayerKind, register
from cnn_core.layers.common import activation_field


def dense_row(kind: LayerKind, layer: dict, position: int, shape: tuple, units: int, name: str, ref):
    from cnn_core import spec
    from cnn_core.messages import UserError

    n = shape[0]
    p = n * units + units
    if p > spec.MAX_PARAMS:
        raise UserError("spec.dense_too_big", layer=ref, params=p, n=n, limit=spec.MAX_PARAMS)
    return kind.row(layer, position, "Dense", shape, (units,), p, f"({n} + 1) * {units} = {p:,}", name)


@register
class Dense(LayerKind):
    name = "dense"
    title = N_("fully connected (Dense)")
    takes = "flat"
    order = 50
    fields = (
        Field("units", 64, "int", N_("units"), "what.units", low=1, high=10**9),
        activation_field(),
    )

    def label(self, layer):
        return f"dense {layer['units']}" + ("" if layer["activation"] == "relu" else f" {layer['activation']}")

    def rows(self, layer, shape, position, name, ref):
        return [dense_row(self, layer, position, shape, layer["units"], name, ref)]

    def build(self, layer, x, name):
        from keras import layers

        return layers.Dense(layer["units"], activation=layer["activation"], name=name)(x)

    def code(self, layer):
        return Code(f'layers.Dense({layer["units"]}, activation="{layer["activation"]}")(x)')
