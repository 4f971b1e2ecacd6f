"""BatchNormalization: per channel, normalise then scale (gamma) and shift (beta); 4 * C numbers,
of which the moving mean and variance are statistics, not trained."""

from __future__ import annotations

from cnn_core import arithmetic as ar
from cnn_core.i18n import N_, _
from cnn_core.layers import Code, LayerKind, register


def batchnorm_row(kind: LayerKind, layer: dict, position: int, shape: tuple, name: str, label: str = "",
                  part: int = 0):
    from cnn_core.layers import LayerRow

    c = shape[-1]
    tr, nt = ar.batchnorm_params(c)
    return LayerRow(position, part, label or kind.label(layer), "BatchNormalization", shape, shape, tr + nt, tr,
                    _("4 * {c} = {params:,} (gamma, beta trainable; moving mean, variance not)").format(
                        c=c, params=tr + nt), name)


@register
class BatchNorm(LayerKind):
    name = "batchnorm"
    title = N_("batch normalization")
    order = 30

    def label(self, layer):
        return "batchnorm"

    def rows(self, layer, shape, position, name, ref):
        return [batchnorm_row(self, layer, position, shape, name)]

    def build(self, layer, x, name):
        from keras import layers

        return layers.BatchNormalization(name=name)(x)

    def code(self, layer):
        return Code("layers.BatchNormalization()(x)")
