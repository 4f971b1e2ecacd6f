"""The layer registry: one module in this package per layer kind.

    from cnn_core import layers
    layers.KINDS["conv"].rows(...)       # the shape rule, parameters and formula of a conv layer
    layers.addable()                     # the kinds the builder offers, in its order

To add a kind, write one module here with a `LayerKind` subclass decorated with `@register`
(ARCHITECTURE.md walks through it): it is imported below, and the spec checker, the layer table,
the Keras builder, the code export and the builder page all pick it up.
"""

from __future__ import annotations

import importlib
import pkgutil

from cnn_core.layers.base import Code, Field, LayerKind, LayerRow, prod, shape_text

KINDS: dict[str, LayerKind] = {}


def register(cls: type[LayerKind]) -> type[LayerKind]:
    """Class decorator: make a layer kind known by its `name`."""
    if cls.name in KINDS:
        raise RuntimeError(f"two layer kinds are called {cls.name!r}")
    KINDS[cls.name] = cls()
    return cls


def addable() -> list[str]:
    """The kinds a learner can add in the builder, in the builder's order."""
    return [k.name for k in sorted(KINDS.values(), key=lambda k: k.order) if k.addable]


for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _module != "base":
        importlib.import_module(f"{__name__}.{_module}")

__all__ = ["KINDS", "Code", "Field", "LayerKind", "LayerRow", "addable", "prod", "register", "shape_text"]
