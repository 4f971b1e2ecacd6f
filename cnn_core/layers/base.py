"""What one layer kind says about itself: settings, checks, shape rule, parameters, Keras, code.

A kind is a subclass of `LayerKind` in its own module of this package, decorated with
`@register`. The spec checker and layer table (cnn_core.spec), the Keras builder
(cnn_core.models), the code export and the builder page's widgets all ask the registry, so a new
kind is one new file here. Nothing in this module imports TensorFlow: `build` imports Keras when
a model is actually made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from cnn_core.messages import Message, UserError, msg


@dataclass(frozen=True)
class Field:
    """One setting of a layer kind: its default, the values it accepts, how the builder shows it."""

    name: str  # the key in the layer dict, e.g. "filters"
    default: object
    kind: str  # "int", "float", "choice", "bool" or "rate" (a float in [0, 1))
    label: str  # the builder's widget label (short, like Keras' argument name), marked N_(): `_()` where shown
    what: str  # catalog id of its name in a sentence, e.g. "what.filters"
    low: float | None = None  # smallest accepted value (checked)
    high: float | None = None  # largest the widget offers (not checked: the parameter limit is)
    choices: tuple = ()  # for "choice"
    optional: bool = False  # None is accepted (e.g. a pool stride: None means "the pool size")
    fallback: str = ""  # for an optional field: the field whose value the widget shows for None
    step: float | None = None  # the widget's step
    help: str = ""  # the widget's tooltip, marked N_() like the label

    def check(self, value, layer: Message):
        """The value, normalised (whole floats become ints); UserError naming the layer otherwise."""
        if value is None and self.optional:
            return None
        if self.kind == "choice":
            if value not in self.choices:
                raise UserError("spec.choice", layer=layer, what=msg(self.what),
                                choices=", ".join(repr(c) for c in self.choices), value=value)
            return value
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise UserError("spec.yes_no", layer=layer, what=msg(self.what), value=value)
            return value
        if self.kind == "rate":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise UserError("spec.rate", layer=layer, value=value)
            return float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                self.kind == "int" and value != int(value)):
            raise UserError("spec.whole_number", layer=layer, what=msg(self.what), value=value)
        if self.low is not None and value < self.low:
            raise UserError("spec.at_least", layer=layer, what=msg(self.what), low=self.low, value=value)
        return int(value) if self.kind == "int" else float(value)


@dataclass
class LayerRow:
    """One line of the layer table: one Keras layer, worked out without Keras."""

    position: int  # 1-based position of its layer in the spec; 0 for what the builder adds
    part: int  # 0 for a layer that is one Keras layer; 1, 2, ... for the layers inside a block
    label: str  # e.g. "conv 32 3x3", or "residual 32 › conv 3x3" inside a block
    keras_class: str  # e.g. "Conv2D"
    input_shape: tuple  # without the batch axis
    output_shape: tuple
    params: int
    trainable: int
    formula: str
    keras_name: str  # the layer's name in the model cnn_core.models.build_cnn makes

    @property
    def index(self) -> str:
        """'3', '5.2' inside a block, '+' for the layers the builder appends."""
        if self.position == 0:
            return "+"
        return f"{self.position}.{self.part}" if self.part else str(self.position)


@dataclass(frozen=True)
class Code:
    """How a layer reads in exported Keras code: `x = {call}`, plus helper functions it needs."""

    call: str  # applied to `x`, e.g. 'layers.Conv2D(32, 3)(x)'
    helpers: tuple = ()  # (name, source) pairs, written once at the top of the exported file


def shape_text(shape) -> str:
    return "x".join(str(s) for s in shape)


def prod(shape) -> int:
    p = 1
    for s in shape:
        p *= s
    return p


class LayerKind:
    """A layer kind. Subclasses set the class attributes and override what differs."""

    name: ClassVar[str]  # the spec's "type", e.g. "conv"
    title: ClassVar[str]  # what the builder calls it, e.g. N_("convolution (Conv2D)"): `_()` where shown
    fields: ClassVar[tuple] = ()  # its settings (Field)
    takes: ClassVar[str] = "any"  # the input it needs: "image" (H x W x C), "flat" or "any"
    order: ClassVar[int] = 100  # position in the builder's "add a layer" list
    addable: ClassVar[bool] = True  # False for what only the builder itself adds (the classifier)

    # -- settings
    def defaults(self) -> dict:
        return {f.name: f.default for f in self.fields}

    def check(self, layer: dict, ref: Message) -> None:
        """Check and normalise every setting in place; override for checks across settings."""
        for f in self.fields:
            layer[f.name] = f.check(layer[f.name], ref)

    def label(self, layer: dict) -> str:
        """Short name, e.g. 'conv 32 3x3 stride 2'."""
        return self.name

    # -- shape and parameters (pure Python)
    def check_input(self, shape: tuple, ref: Message) -> None:
        if self.takes == "image" and len(shape) != 3:
            raise UserError("spec.needs_image", layer=ref, n=shape[0])
        if self.takes == "flat" and len(shape) == 3:
            raise UserError("spec.needs_flat", layer=ref, shape=shape_text(shape))

    def rows(self, layer: dict, shape: tuple, position: int, name: str, ref: Message) -> list[LayerRow]:
        """The table rows of this layer on an input of `shape` (the last row's shape is its output)."""
        raise NotImplementedError

    def row(self, layer: dict, position: int, keras_class: str, shape: tuple, out: tuple, params: int,
            formula: str, name: str, trainable: int | None = None) -> LayerRow:
        """A one-Keras-layer row (the common case)."""
        return LayerRow(position, 0, self.label(layer), keras_class, shape, out, params,
                        params if trainable is None else trainable, formula, name)

    # -- Keras and code
    def build(self, layer: dict, x, name: str):
        """Apply this layer to the Keras tensor `x` (functional API); layer names start with `name`."""
        raise NotImplementedError

    def code(self, layer: dict) -> Code:
        raise NotImplementedError
