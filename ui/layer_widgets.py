"""The builder's widgets for one layer, drawn from its registry entry's settings (cnn_core/layers/)."""

from __future__ import annotations

import streamlit as st

from cnn_core import layers as registry
from cnn_core.i18n import _
from cnn_core.layers import Field

MAX_FIELDS = max(len(k.fields) for k in registry.KINDS.values())


def field_widget(col, field: Field, layer: dict, key: str):
    """One setting as a widget; returns its value (written back into the layer by the caller)."""
    value = layer.get(field.name, field.default)
    if value is None and field.fallback:
        value = layer.get(field.fallback)  # e.g. a pool's stride shows the pool size it defaults to
    label = _(field.label)
    help_text = _(field.help) if field.help else None  # _("") would be the catalog's header
    if field.kind == "choice":  # the choices are Keras' own values ("same", "relu", "max"): shown as they are
        index = field.choices.index(value) if value in field.choices else 0
        return col.selectbox(label, field.choices, index=index, key=key, help=help_text)
    if field.kind == "bool":
        return col.checkbox(label, value=bool(value), key=key, help=help_text)
    if field.kind == "int":
        return col.number_input(label, int(field.low), int(field.high), int(value), 1, key=key, help=help_text)
    return col.number_input(label, float(field.low), float(field.high), float(value), field.step, key=key,
                            help=help_text)


def settings_ui(layer: dict, key: str) -> None:
    """Every setting of `layer` side by side on a line of columns, written back into the layer dict.
    Always MAX_FIELDS columns (a pooling layer's four settings are not stretched across the whole
    line); a checkbox's a half wider (its box and help mark take room from its label: "バイアス"
    was cut to "バイ…")."""
    fields = registry.KINDS[layer["type"]].fields
    if not fields:  # Flatten and batch norm have nothing to set: no empty line
        return
    widths = [1.5 if field.kind == "bool" else 1 for field in fields] + [1] * (MAX_FIELDS - len(fields))
    cols = st.columns(widths, vertical_alignment="bottom")
    for col, field in zip(cols, fields, strict=False):
        layer[field.name] = field_widget(col, field, layer, f"{key}_{field.name}")


def kind_title(name: str) -> str:
    """What the builder calls a layer kind, in the reader's language (the options stay the kinds' names)."""
    return _(registry.KINDS[name].title)
