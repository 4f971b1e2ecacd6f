"""MaxPooling2D / AveragePooling2D: one number per window (largest or mean); no parameters."""

from __future__ import annotations

from cnn_core import arithmetic as ar
from cnn_core.i18n import N_, _
from cnn_core.layers import Code, Field, LayerKind, register
from cnn_core.layers.common import padding_field, stride_text


@register
class Pool(LayerKind):
    name = "pool"
    title = N_("pooling (MaxPooling2D / AveragePooling2D)")
    takes = "image"
    order = 20
    fields = (
        Field("kind", "max", "choice", N_("kind"), "what.pool_kind", choices=("max", "avg")),
        Field("size", 2, "int", N_("size"), "what.pool", low=1, high=16),
        Field("stride", None, "int", N_("stride"), "what.stride", low=1, high=16, optional=True, fallback="size",
              help=N_("Keras' default is the pool size")),
        padding_field(),
    )

    def label(self, layer):
        s = f"pool {layer['kind']} {layer['size']}x{layer['size']}" + stride_text(layer["stride"], layer["size"])
        return s + (" same" if layer["padding"] == "same" else "")

    def rows(self, layer, shape, position, name, ref):
        from cnn_core.messages import UserError

        h, w, c = shape
        k, pad = layer["size"], layer["padding"]
        s = layer["stride"] or k
        if pad == "valid" and k > min(h, w):
            raise UserError("spec.window_too_big", layer=ref, h=h, w=w, k=k)
        out = (ar.pool_output_size(h, k, s, pad), ar.pool_output_size(w, k, s, pad), c)
        return [self.row(layer, position, self._class(layer), shape, out, 0, _("no weights (a fixed max/mean)"),
                         name)]

    @staticmethod
    def _class(layer) -> str:
        return "MaxPooling2D" if layer["kind"] == "max" else "AveragePooling2D"

    def build(self, layer, x, name):
        from keras import layers

        cls = getattr(layers, self._class(layer))
        return cls(layer["size"], strides=layer["stride"], padding=layer["padding"], name=name)(x)

    def code(self, layer):
        return Code(f'layers.{self._class(layer)}({layer["size"]}, strides={layer["stride"]}, '
                    f'padding="{layer["padding"]}")(x)')
