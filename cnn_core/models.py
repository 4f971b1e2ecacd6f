"""Spec -> keras.Model, the per-layer table with the formula behind every count, and export.

    from cnn_core import models, spec
    model = models.build_cnn(spec.PRESETS["Keras MNIST convnet"], (28, 28, 1), 10)
    models.layer_table(model)      # 34,826 parameters

Imports Keras (and so TensorFlow) on first use of `build_cnn` or `layer_table`.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import pandas as pd

from cnn_core import spec as spec_mod


def build_cnn(spec, input_shape, num_classes: int, seed: int | None = None):
    """A functional keras.Model for `spec`, with a Flatten (if needed) and a softmax classifier.

    Raises UserError (naming the layer and the reason) before Keras allocates anything when the
    spec is impossible or too large. `seed` makes the initial weights reproducible. Layers are
    named after their place in the spec ("layer3_conv", "layer5_residual_add", "classifier"), so
    the layer table of the spec and of the model line up by name.
    """
    import keras

    planned = spec_mod.plan(spec, input_shape, num_classes)  # validates first: nothing allocated yet
    if seed is not None:
        keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = inputs
    for p in planned:
        x = p.kind.build(p.layer, x, p.name)
    return keras.Model(inputs, x)


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
    if "BatchNormalization" in cls or "BatchNorm" in cls:
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


def portable_copy(model):
    """The same network and weights, compiled with Keras' own Adam and loss only: whatever
    schedule or loss a run used (ours are registered under cnn_core), the copy saves to a
    `.keras` file that `keras.models.load_model` opens in any Python with Keras."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return _compiled_plainly(copy)


def _compiled_plainly(model):
    """Compiled with Keras' own Adam and loss, nothing of ours: what a portable file carries."""
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def from_keras_bytes(content: bytes):
    """A model back from `to_keras_bytes` (a run trained on another machine)."""
    import keras

    with _keras_file() as path:
        path.write_bytes(content)
        model = keras.models.load_model(path, compile=False)  # the saved optimizer's state is not needed
    return _compiled_plainly(model)


def to_keras_bytes(model) -> bytes:
    """The model as a portable `.keras` file's bytes (for a download button)."""
    with _keras_file() as path:
        portable_copy(model).save(path)
        return path.read_bytes()


@contextlib.contextmanager
def _keras_file():
    """A path for a `.keras` file in a folder of its own, removed afterwards (Keras saves by name)."""
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp) / "model.keras"
