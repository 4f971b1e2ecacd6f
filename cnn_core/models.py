"""Spec -> keras.Model, and the per-layer table with the formula behind every count.

    from cnn_core import models, spec
    model = models.build_cnn(spec.PRESETS["Keras MNIST convnet"], (28, 28, 1), 10)
    models.layer_table(model)      # 34,826 parameters

Imports Keras (and so TensorFlow) on first use of `build_cnn` or `layer_table`.
"""

from __future__ import annotations

import pandas as pd

from cnn_core import spec as spec_mod


def _keras_layer(layer: dict):
    from keras import layers

    t = layer["type"]
    if t == "conv":
        return layers.Conv2D(layer["filters"], layer["kernel"], strides=layer["stride"],
                             padding=layer["padding"], activation=layer["activation"])
    if t == "pool":
        cls = layers.MaxPooling2D if layer["kind"] == "max" else layers.AveragePooling2D
        return cls(layer["size"], strides=layer["stride"], padding=layer["padding"])
    if t == "dense":
        return layers.Dense(layer["units"], activation=layer["activation"])
    if t == "dropout":
        return layers.Dropout(layer["rate"])
    if t == "flatten":
        return layers.Flatten()
    if t == "batchnorm":
        return layers.BatchNormalization()
    return layers.GlobalMaxPooling2D() if layer["kind"] == "max" else layers.GlobalAveragePooling2D()


def build_cnn(spec, input_shape, num_classes: int, seed: int | None = None):
    """A functional keras.Model for `spec`, with a Flatten (if needed) and a softmax classifier.

    Raises ValueError (naming the layer and the reason) before Keras allocates anything when the
    spec is impossible or too large. `seed` makes the initial weights reproducible.
    """
    import keras
    from keras import layers

    rows = spec_mod.infer(spec, input_shape, num_classes)  # validates first: nothing allocated yet
    if seed is not None:
        keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=tuple(input_shape))
    x = inputs
    for layer in spec_mod.normalize(spec):
        x = _keras_layer(layer)(x)
    if any(r.label == "flatten (added)" for r in rows):
        x = layers.Flatten()(x)  # the classifier needs a flat vector
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def _formula(layer, params: int) -> str:
    cls = type(layer).__name__
    cfg = layer.get_config()
    in_shape = getattr(layer, "input", None)
    cin = in_shape.shape[-1] if in_shape is not None and hasattr(in_shape, "shape") else None
    if cls == "Conv2D" and cin is not None:
        kh, kw = cfg["kernel_size"]
        bias = " + 1" if cfg["use_bias"] else ""
        return f"({kh}*{kw}*{cin}{bias}) * {cfg['filters']} = {params:,}"
    if cls == "Dense" and cin is not None:
        bias = " + 1" if cfg["use_bias"] else ""
        return f"({cin}{bias}) * {cfg['units']} = {params:,}"
    if cls == "BatchNormalization":
        c = params // 4
        return f"4 * {c} = {params:,} (gamma, beta trainable; moving mean, variance not)"
    if params == 0:
        return "no weights"
    return f"{params:,} weights"


def layer_table(model) -> pd.DataFrame:
    """One row per layer: output shape, parameters, trainable / non-trainable, formula."""
    rows = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        params = layer.count_params()
        trainable = sum(int(w.numpy().size) for w in layer.trainable_weights)
        shape = tuple(layer.output.shape[1:])
        rows.append({
            "layer": layer.name,
            "type": type(layer).__name__,
            "output shape": " x ".join(str(s) for s in shape),
            "parameters": params,
            "trainable": trainable,
            "non-trainable": params - trainable,
            "formula": _formula(layer, params),
        })
    return pd.DataFrame(rows)


def to_keras_bytes(model) -> bytes:
    """The model as a `.keras` file's bytes (for a download button)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        model.save(path)
        return path.read_bytes()
