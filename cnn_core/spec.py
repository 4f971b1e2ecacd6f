"""Layer specs: plain dicts that describe a CNN, checked and measured without TensorFlow.

A spec is a list of dicts such as ``{"type": "conv", "filters": 32, "kernel": 3}``. This module
fills in defaults, refuses impossible architectures with a sentence that names the layer, works
out every output shape and parameter count (with the formula), and writes the spec out as
runnable Keras code. What each kind of layer does is in its registry entry (cnn_core/layers/);
this module only walks the stack. `cnn_core.models.build_cnn` turns the same plan into a real
Keras model; the tests check that both agree.
"""

from __future__ import annotations

import base64
import copy
import json
import zlib
from dataclasses import dataclass

from cnn_core import layers as registry
from cnn_core.i18n import N_
from cnn_core.layers import LayerKind, LayerRow, prod, shape_text
from cnn_core.layers.common import ACTIVATIONS  # noqa: F401  (re-exported for pages and tests)
from cnn_core.messages import UserError, layer_ref, msg

MAX_LAYERS = 50  # a bigger stack is refused: nobody learns from it, and it is slow to draw
LINK_MAX_CHARS, LINK_MAX_JSON = 4_000, 64_000  # a longer link is not a stack this builder made (50 layers: ~10 KB)
MAX_PARAMS = 50_000_000  # refused before Keras tries to allocate it (~200 MB of float32)


def _resnet20() -> list[dict]:
    """The transfer page's ResNet-20 (cnn_core.transfer) as a spec: a 3x3 stem with batch norm,
    three stages of three residual blocks (16, 32, 64 filters), global average pooling."""
    spec = [{"type": "conv", "filters": 16, "kernel": 3, "padding": "same", "activation": "linear", "bias": False},
            {"type": "batchnorm"}, {"type": "activation", "activation": "relu"}]
    for stage, filters in enumerate((16, 32, 64)):
        for b in range(3):
            spec.append({"type": "residual", "filters": filters, "stride": 2 if stage and b == 0 else 1})
    return spec + [{"type": "global_pool", "kind": "avg"}]


# The names are the builder's options and the tests' handles; marked, and shown as `_(name)`.
PRESETS = {
    N_("Keras MNIST convnet"): [
        {"type": "conv", "filters": 32, "kernel": 3},
        {"type": "pool", "kind": "max", "size": 2},
        {"type": "conv", "filters": 64, "kernel": 3},
        {"type": "pool", "kind": "max", "size": 2},
        {"type": "flatten"},
        {"type": "dropout", "rate": 0.5},
    ],
    N_("LeNet-5-like"): [
        {"type": "conv", "filters": 6, "kernel": 5, "padding": "same", "activation": "tanh"},
        {"type": "pool", "kind": "avg", "size": 2},
        {"type": "conv", "filters": 16, "kernel": 5, "activation": "tanh"},
        {"type": "pool", "kind": "avg", "size": 2},
        {"type": "flatten"},
        {"type": "dense", "units": 120, "activation": "tanh"},
        {"type": "dense", "units": 84, "activation": "tanh"},
    ],
    N_("ResNet-20 (as on Transfer learning)"): _resnet20(),
    N_("Tiny"): [
        {"type": "conv", "filters": 8, "kernel": 3},
        {"type": "pool", "kind": "max", "size": 2},
        {"type": "flatten"},
    ],
    N_("Empty"): [],
}


def kind(layer: dict) -> LayerKind:
    return registry.KINDS[layer["type"]]


def label(layer: dict) -> str:
    """Short human name of a (normalised) layer, e.g. 'conv 32 3x3 stride 2 same' or 'pool max 2x2'."""
    return kind(layer).label(layer)


def normalize(spec) -> list[dict]:
    """Copies of the layer dicts with every field filled in; UserError for unknown types/fields."""
    if not isinstance(spec, (list, tuple)):
        raise UserError("spec.not_a_list")
    if len(spec) > MAX_LAYERS:
        raise UserError("spec.too_many_layers", n=len(spec), limit=MAX_LAYERS)
    out = []
    for i, raw in enumerate(spec, start=1):
        kinds = registry.addable()
        if not isinstance(raw, dict) or raw.get("type") not in kinds:
            raise UserError("spec.unknown_type", i=i, kind=raw.get("type") if isinstance(raw, dict) else raw,
                            kinds=", ".join(kinds))
        layer = {"type": raw["type"], **copy.deepcopy(registry.KINDS[raw["type"]].defaults())}
        for key, value in raw.items():
            if key == "id":  # the builder page's own bookkeeping
                continue
            if key != "type" and key not in layer:
                raise UserError("spec.unknown_setting", i=i, kind=raw["type"], key=key)
            layer[key] = value
        out.append(layer)
    return out


@dataclass
class Planned:
    """One layer of a checked stack: where it is, what it is, its Keras name and table rows."""

    position: int  # 1-based in the spec; 0 for the layers the builder appends
    layer: dict  # normalised settings
    kind: LayerKind
    name: str  # prefix of its Keras layer names
    rows: list  # LayerRow, one per Keras layer


def _label_as_typed(k: LayerKind, layer: dict) -> str:
    """The label of a layer whose settings may still be wrong (errors name it as the learner typed it)."""
    try:
        return k.label(layer)
    except Exception:  # a setting of the wrong type: the kind's name is enough
        return k.name


def plan(spec, input_shape, num_classes: int) -> list[Planned]:
    """The whole network, checked: the spec's layers, then a Flatten (if the last output is still
    an image) and the softmax classifier. UserError names the layer and the reason for anything
    Keras could not build or that is too big for this tool (MAX_LAYERS, MAX_PARAMS)."""
    stack = normalize(spec)
    if len(input_shape) != 3 or min(input_shape) < 1:
        raise UserError("spec.bad_input_shape", shape=tuple(input_shape))
    if not isinstance(num_classes, int) or num_classes < 2:
        raise UserError("spec.too_few_classes")
    shape = tuple(int(s) for s in input_shape)
    planned: list[Planned] = []
    total = 0
    for i, layer in enumerate(stack, start=1):
        k = kind(layer)
        ref = layer_ref(i, _label_as_typed(k, layer))
        k.check(layer, ref)
        ref = layer_ref(i, k.label(layer))
        k.check_input(shape, ref)
        rows = k.rows(layer, shape, i, f"layer{i}_{k.name}", ref)
        total += sum(r.params for r in rows)
        if total > MAX_PARAMS:
            raise UserError("spec.too_many_params", layer=ref, total=total, limit=MAX_PARAMS)
        planned.append(Planned(i, layer, k, f"layer{i}_{k.name}", rows))
        shape = rows[-1].output_shape
    if len(shape) == 3:  # the classifier needs a flat vector
        flat = {"type": "flatten"}
        planned.append(Planned(0, flat, kind(flat), "flatten", kind(flat).rows(flat, shape, 0, "flatten", None)))
        shape = planned[-1].rows[-1].output_shape
    head = {"type": "classifier", "units": num_classes}
    params = shape[0] * num_classes + num_classes
    if total + params > MAX_PARAMS:
        raise UserError("spec.classifier_too_big", inputs=shape[0], total=total + params, limit=MAX_PARAMS)
    planned.append(Planned(0, head, kind(head), "classifier", kind(head).rows(head, shape, 0, "classifier", None)))
    return planned


def infer(spec, input_shape, num_classes: int) -> list[LayerRow]:
    """Rows of the layer table (one per Keras layer), the classifier the builder appends included."""
    return [row for p in plan(spec, input_shape, num_classes) for row in p.rows]


def summary(spec) -> str:
    """The stack in one line, e.g. 'conv 32 3x3, pool max 2x2, flatten'."""
    return ", ".join(label(layer) for layer in normalize(spec))


def weight_sharing(spec, input_shape, num_classes: int) -> list[dict]:
    """For each conv layer: its parameters against a Dense layer with the same input and output sizes."""
    out = []
    for row in infer(spec, input_shape, num_classes):
        if row.keras_class == "Conv2D":
            n_in, n_out = prod(row.input_shape), prod(row.output_shape)
            dense = n_in * n_out + n_out
            out.append({
                "layer": f"{row.index}: {row.label}",
                "input": shape_text(row.input_shape),
                "output": shape_text(row.output_shape),
                "conv parameters": row.params,
                "dense parameters for the same sizes": dense,
                "dense / conv": round(dense / row.params, 1),
            })
    return out


def to_keras_code(spec, input_shape, num_classes: int) -> str:
    """A stand-alone Python file that builds exactly this model with Keras' functional API."""
    planned = plan(spec, input_shape, num_classes)  # refuses what cannot be built
    codes = [(p, p.kind.code(p.layer)) for p in planned]
    helpers = dict(h for _, code in codes for h in code.helpers)  # each helper written once
    lines = ['"""A CNN exported from the CNN classroom dashboard."""', "import keras", "from keras import layers",
             "", ""]
    for source in helpers.values():
        lines += [source, "", ""]
    lines += [f"def make_model(input_shape={tuple(input_shape)!r}, num_classes={num_classes}):",
              "    inputs = keras.Input(shape=input_shape)",
              "    x = inputs"]
    for p, code in codes:
        why = "  # the classifier needs a flat vector" if p.position == 0 and p.kind.name == "flatten" else ""
        lines.append(f"    x = {code.call}{why}")
    lines += ["    return keras.Model(inputs, x)", "", "",
              'if __name__ == "__main__":', "    make_model().summary()", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- the stack in a link

def to_link(spec) -> str:
    """The stack as one URL-safe word (compact JSON, deflated, in base64url) for a link that restores
    it: a six-layer stack takes about 200 characters."""
    plain = [{k: v for k, v in layer.items() if k != "id"} for layer in normalize(spec)]
    text = json.dumps(plain, separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(zlib.compress(text.encode(), 9)).decode().rstrip("=")


def from_link(word: str) -> list[dict]:
    """The stack a link carries, every setting checked against what the builder's widgets accept;
    UserError with a sentence if the link is cut, edited or not a stack at all."""
    if not isinstance(word, str) or len(word) > LINK_MAX_CHARS:
        raise UserError("link.layers_unreadable")
    try:
        packed = base64.urlsafe_b64decode(word + "=" * (-len(word) % 4))
        inflater = zlib.decompressobj()
        text = inflater.decompress(packed, LINK_MAX_JSON)  # a link that inflates to megabytes is cut off here
        raw = json.loads(text.decode()) if inflater.eof else None  # not at its end: cut off, or far too long
    except (ValueError, UnicodeDecodeError, zlib.error):  # binascii.Error and JSONDecodeError are ValueErrors
        raw = None
    if raw is None:
        raise UserError("link.layers_unreadable")
    spec = normalize(raw)
    for i, layer in enumerate(spec, start=1):
        k = kind(layer)
        ref = layer_ref(i, _label_as_typed(k, layer))
        k.check(layer, ref)
        for f in k.fields:  # the widgets' own limits: a value past them cannot be shown
            if f.high is not None and layer[f.name] is not None and layer[f.name] > f.high:
                raise UserError("spec.at_most", layer=ref, what=msg(f.what), high=f.high, value=layer[f.name])
    return spec
