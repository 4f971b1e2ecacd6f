"""Global pooling: one number per channel (the mean or the largest over the whole map)."""

from __future__ import annotations

from cnn_core.i18n import N_, _
from cnn_core.layers import Code, Field, LayerKind, register


@register
class GlobalPool(LayerKind):
    name = "global_pool"
    title = N_("global pooling (GlobalAveragePooling2D / GlobalMaxPooling2D)")
    takes = "image"
    order = 45
    fields = (Field("kind", "avg", "choice", N_("kind"), "what.pool_kind", choices=("avg", "max")),)

    def label(self, layer):
        return f"global {layer['kind']} pool"

    @staticmethod
    def _class(layer) -> str:
        return "GlobalMaxPooling2D" if layer["kind"] == "max" else "GlobalAveragePooling2D"

    def rows(self, layer, shape, position, name, ref):
        return [self.row(layer, position, self._class(layer), shape, (shape[-1],), 0, _("no weights"), name)]

    def build(self, layer, x, name):
        from keras import layers

        return getattr(layers, self._class(layer))(name=name)(x)

    def code(self, layer):
        return Code(f"layers.{self._class(layer)}()(x)")
