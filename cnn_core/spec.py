"""Layer specs: plain dicts that describe a CNN, checked and measured without TensorFlow.

A spec is a list of dicts such as ``{"type": "conv", "filters": 32, "kernel": 3}``. This module
fills in defaults, refuses impossible architectures with a sentence that names the layer, works
out every output shape and parameter count (with the formula), and writes the spec out as
runnable Keras code. `cnn_core.models.build_cnn` turns the same spec into a real Keras model;
the tests check that both agree.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from cnn_core import arithmetic as ar

MAX_LAYERS = 50  # a bigger stack is refused: nobody learns from it, and it is slow to draw
MAX_PARAMS = 50_000_000  # refused before Keras tries to allocate it (~200 MB of float32)
ACTIVATIONS = ("relu", "elu", "gelu", "tanh", "sigmoid", "linear")
LAYER_TYPES = ("conv", "pool", "dense", "dropout", "flatten", "batchnorm", "global_pool")

DEFAULTS = {
    "conv": {"filters": 32, "kernel": 3, "stride": 1, "padding": "valid", "activation": "relu"},
    "pool": {"kind": "max", "size": 2, "stride": None, "padding": "valid"},
    "dense": {"units": 64, "activation": "relu"},
    "dropout": {"rate": 0.5},
    "flatten": {},
    "batchnorm": {},
    "global_pool": {"kind": "avg"},
}

PRESETS = {
    "Keras MNIST convnet": [
        {"type": "conv", "filters": 32, "kernel": 3},
        {"type": "pool", "kind": "max", "size": 2},
        {"type": "conv", "filters": 64, "kernel": 3},
        {"type": "pool", "kind": "max", "size": 2},
        {"type": "flatten"},
        {"type": "dropout", "rate": 0.5},
    ],
    "LeNet-5-like": [
        {"type": "conv", "filters": 6, "kernel": 5, "padding": "same", "activation": "tanh"},
        {"type": "pool", "kind": "avg", "size": 2},
        {"type": "conv", "filters": 16, "kernel": 5, "activation": "tanh"},
        {"type": "pool", "kind": "avg", "size": 2},
        {"type": "flatten"},
        {"type": "dense", "units": 120, "activation": "tanh"},
        {"type": "dense", "units": 84, "activation": "tanh"},
    ],
    "Tiny": [
        {"type": "conv", "filters": 8, "kernel": 3},
        {"type": "pool", "kind": "max", "size": 2},
        {"type": "flatten"},
    ],
    "Empty": [],
}


@dataclass
class LayerRow:
    """One line of the layer table, worked out without Keras."""

    index: int  # 1-based position in the spec; 0 for layers the builder adds itself
    label: str  # e.g. "conv 32 3x3"
    keras_class: str  # e.g. "Conv2D"
    output_shape: tuple  # without the batch axis
    params: int
    trainable: int
    formula: str


def label(layer: dict) -> str:
    """Short human name of a layer, e.g. 'conv 32 3x3 stride 2 same' or 'pool max 2x2'."""
    t = layer.get("type")
    if t == "conv":
        s = f"conv {layer['filters']} {layer['kernel']}x{layer['kernel']}"
        if layer["stride"] != 1:
            s += f" stride {layer['stride']}"
        return s + (" same" if layer["padding"] == "same" else "")
    if t == "pool":
        s = f"pool {layer['kind']} {layer['size']}x{layer['size']}"
        if layer["stride"] not in (None, layer["size"]):
            s += f" stride {layer['stride']}"
        return s + (" same" if layer["padding"] == "same" else "")
    if t == "dense":
        return f"dense {layer['units']}"
    if t == "dropout":
        return f"dropout {layer['rate']}"
    if t == "global_pool":
        return f"global {layer['kind']} pool"
    return str(t)


def normalize(spec) -> list[dict]:
    """Copies of the layer dicts with every field filled in; ValueError for unknown types/fields."""
    if not isinstance(spec, (list, tuple)):
        raise ValueError("A spec must be a list of layers.")
    if len(spec) > MAX_LAYERS:
        raise ValueError(
            f"This stack has {len(spec)} layers; the builder allows at most {MAX_LAYERS}."
        )
    out = []
    for i, raw in enumerate(spec, start=1):
        if not isinstance(raw, dict) or raw.get("type") not in LAYER_TYPES:
            kind = raw.get("type") if isinstance(raw, dict) else raw
            raise ValueError(
                f"Layer {i} has an unknown type {kind!r}; use one of {', '.join(LAYER_TYPES)}."
            )
        layer = {"type": raw["type"], **copy.deepcopy(DEFAULTS[raw["type"]])}
        for key, value in raw.items():
            if key == "id":  # the builder page's own bookkeeping
                continue
            if key != "type" and key not in layer:
                raise ValueError(f"Layer {i} ({raw['type']}) has an unknown setting {key!r}.")
            layer[key] = value
        out.append(layer)
    return out


def _check_layer(i: int, layer: dict) -> None:
    name = f"Layer {i} ({label(layer)})"
    t = layer["type"]

    def whole(key, low, what):
        v = layer[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v != int(v):
            raise ValueError(f"{name}: the {what} must be a whole number, not {v!r}.")
        if v < low:
            raise ValueError(f"{name}: the {what} must be at least {low} (got {v}).")
        layer[key] = int(v)

    if t == "conv":
        whole("filters", 1, "number of filters")
        whole("kernel", 1, "kernel size")
        whole("stride", 1, "stride")
    if t == "pool":
        whole("size", 1, "pool size")
        if layer["stride"] is not None:
            whole("stride", 1, "stride")
        if layer["kind"] not in ("max", "avg"):
            raise ValueError(f"{name}: pooling is 'max' or 'avg', not {layer['kind']!r}.")
    if t == "global_pool" and layer["kind"] not in ("max", "avg"):
        raise ValueError(f"{name}: global pooling is 'max' or 'avg', not {layer['kind']!r}.")
    if t in ("conv", "pool") and layer["padding"] not in ar.PADDINGS:
        raise ValueError(f"{name}: padding is 'valid' or 'same', not {layer['padding']!r}.")
    if t in ("conv", "dense") and layer["activation"] not in ACTIVATIONS:
        raise ValueError(
            f"{name}: unknown activation {layer['activation']!r}; use one of {', '.join(ACTIVATIONS)}."
        )
    if t == "dense":
        whole("units", 1, "number of units")
    if t == "dropout":
        r = layer["rate"]
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not 0 <= r < 1:
            raise ValueError(f"{name}: the dropout rate must be at least 0 and below 1 (got {r!r}).")


def _shape_text(shape) -> str:
    return "x".join(str(s) for s in shape)


def infer(spec, input_shape, num_classes: int) -> list[LayerRow]:
    """Rows of the layer table, the classifier the builder appends included.

    Raises ValueError naming the layer and the reason for anything Keras could not build, or
    that is too big for this tool (more than MAX_LAYERS layers or MAX_PARAMS parameters).
    """
    layers = normalize(spec)
    if len(input_shape) != 3 or min(input_shape) < 1:
        raise ValueError(f"The input must be height x width x channels, not {input_shape}.")
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError("A classifier needs at least 2 classes.")
    shape = tuple(int(s) for s in input_shape)
    rows: list[LayerRow] = []
    total = 0
    for i, layer in enumerate(layers, start=1):
        _check_layer(i, layer)
        row = _row(i, layer, shape)
        total += row.params
        if total > MAX_PARAMS:
            raise ValueError(
                f"Layer {i} ({label(layer)}) brings the network to {total:,} parameters; "
                f"this tool allows at most {MAX_PARAMS:,}. Use fewer units or filters, or pool first."
            )
        rows.append(row)
        shape = row.output_shape
    if len(shape) == 3:  # the classifier needs a flat vector
        rows.append(LayerRow(0, "flatten (added)", "Flatten", (_prod(shape),), 0, 0, "no weights"))
        shape = rows[-1].output_shape
    n = dense_params = ar.dense_params(shape[0], num_classes)
    if total + n > MAX_PARAMS:
        raise ValueError(
            f"The classifier over {shape[0]:,} inputs brings the network to {total + n:,} parameters; "
            f"this tool allows at most {MAX_PARAMS:,}. Pool or use fewer units before it."
        )
    rows.append(
        LayerRow(0, f"dense {num_classes} softmax (classifier)", "Dense", (num_classes,),
                 dense_params, dense_params, f"({shape[0]} + 1) * {num_classes} = {dense_params:,}")
    )
    return rows


def _prod(shape) -> int:
    p = 1
    for s in shape:
        p *= s
    return p


def _row(i: int, layer: dict, shape: tuple) -> LayerRow:
    t, name = layer["type"], f"Layer {i} ({label(layer)})"
    spatial = len(shape) == 3
    if t in ("conv", "pool", "flatten", "global_pool") and not spatial:
        raise ValueError(
            f"{name} needs an image-shaped input (height x width x channels) but gets a flat "
            f"vector of {shape[0]:,} values: move it before the Flatten / Dense layers."
        )
    if t == "dense" and spatial:
        raise ValueError(
            f"{name} gets an image-shaped {_shape_text(shape)} input: add a Flatten or "
            "global pooling layer before it."
        )
    if t == "conv":
        h, w, c = shape
        k, s, pad, f = layer["kernel"], layer["stride"], layer["padding"], layer["filters"]
        if pad == "valid" and k > min(h, w):
            raise ValueError(
                f"{name} gets a {h}x{w} input, smaller than its {k}x{k} kernel: use a smaller "
                "kernel, padding='same', or less pooling before it."
            )
        out = (ar.conv_output_size(h, k, s, pad), ar.conv_output_size(w, k, s, pad), f)
        p = ar.conv_params(k, c, f)
        return LayerRow(i, label(layer), "Conv2D", out, p, p, f"({k}*{k}*{c} + 1) * {f} = {p:,}")
    if t == "pool":
        h, w, c = shape
        k, pad = layer["size"], layer["padding"]
        s = layer["stride"] or k
        if pad == "valid" and k > min(h, w):
            raise ValueError(
                f"{name} gets a {h}x{w} input, smaller than its {k}x{k} window: remove it, "
                "or use padding='same'."
            )
        out = (ar.pool_output_size(h, k, s, pad), ar.pool_output_size(w, k, s, pad), c)
        cls = "MaxPooling2D" if layer["kind"] == "max" else "AveragePooling2D"
        return LayerRow(i, label(layer), cls, out, 0, 0, "no weights (a fixed max/mean)")
    if t == "dense":
        n, u = shape[0], layer["units"]
        p = n * u + u
        if p > MAX_PARAMS:
            raise ValueError(
                f"{name} would need {p:,} parameters over its {n:,} inputs; this tool allows at "
                f"most {MAX_PARAMS:,} in the whole network."
            )
        return LayerRow(i, label(layer), "Dense", (u,), p, p, f"({n} + 1) * {u} = {p:,}")
    if t == "batchnorm":
        c = shape[-1]
        tr, nt = ar.batchnorm_params(c)
        return LayerRow(i, label(layer), "BatchNormalization", shape, tr + nt, tr,
                        f"4 * {c} = {tr + nt:,} (gamma, beta trainable; moving mean, variance not)")
    if t == "dropout":
        return LayerRow(i, label(layer), "Dropout", shape, 0, 0, "no weights")
    if t == "flatten":
        return LayerRow(i, label(layer), "Flatten", (_prod(shape),), 0, 0, "no weights")
    # global_pool
    cls = "GlobalMaxPooling2D" if layer["kind"] == "max" else "GlobalAveragePooling2D"
    return LayerRow(i, label(layer), cls, (shape[-1],), 0, 0, "no weights")


def weight_sharing(spec, input_shape, num_classes: int) -> list[dict]:
    """For each conv layer: its parameters against a Dense layer with the same input and output sizes."""
    rows = infer(spec, input_shape, num_classes)
    out, shape = [], tuple(input_shape)
    for row in rows:
        if row.keras_class == "Conv2D":
            n_in, n_out = _prod(shape), _prod(row.output_shape)
            dense = n_in * n_out + n_out
            out.append({
                "layer": f"{row.index}: {row.label}",
                "input": _shape_text(shape),
                "output": _shape_text(row.output_shape),
                "conv parameters": row.params,
                "dense parameters for the same sizes": dense,
                "dense / conv": round(dense / row.params, 1),
            })
        shape = row.output_shape
    return out


def to_keras_code(spec, input_shape, num_classes: int) -> str:
    """A stand-alone Python snippet that builds exactly this model with Keras."""
    rows = infer(spec, input_shape, num_classes)  # refuses what cannot be built
    lines = [
        '"""A CNN exported from the CNN classroom dashboard."""',
        "import keras",
        "from keras import layers",
        "",
        "",
        f"def make_model(input_shape={tuple(input_shape)!r}, num_classes={num_classes}):",
        "    inputs = keras.Input(shape=input_shape)",
        "    x = inputs",
    ]
    for layer in normalize(spec):
        lines.append(f"    x = {_layer_code(layer)}(x)")
    if any(r.label == "flatten (added)" for r in rows):
        lines.append("    x = layers.Flatten()(x)  # the classifier needs a flat vector")
    lines += [
        '    outputs = layers.Dense(num_classes, activation="softmax")(x)',
        "    return keras.Model(inputs, outputs)",
        "",
        "",
        'if __name__ == "__main__":',
        "    make_model().summary()",
        "",
    ]
    return "\n".join(lines)


def _layer_code(layer: dict) -> str:
    t = layer["type"]
    if t == "conv":
        return (f'layers.Conv2D({layer["filters"]}, {layer["kernel"]}, strides={layer["stride"]}, '
                f'padding="{layer["padding"]}", activation="{layer["activation"]}")')
    if t == "pool":
        cls = "MaxPooling2D" if layer["kind"] == "max" else "AveragePooling2D"
        return f'layers.{cls}({layer["size"]}, strides={layer["stride"]}, padding="{layer["padding"]}")'
    if t == "dense":
        return f'layers.Dense({layer["units"]}, activation="{layer["activation"]}")'
    if t == "dropout":
        return f"layers.Dropout({layer['rate']})"
    if t == "flatten":
        return "layers.Flatten()"
    if t == "batchnorm":
        return "layers.BatchNormalization()"
    return "layers.GlobalMaxPooling2D()" if layer["kind"] == "max" else "layers.GlobalAveragePooling2D()"
