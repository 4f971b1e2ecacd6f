"""Per-session state shared between pages: the layer stack and the chosen dataset."""

from __future__ import annotations

import itertools

import streamlit as st

from cnn_core import i18n
from cnn_core import spec as spec_mod
from cnn_core.i18n import N_, _

DATASET_LABELS = {"mnist": N_("MNIST (28x28x1 digits)"), "cifar10": N_("CIFAR-10 (32x32x3 photos)")}
LAYERS_KEY, DATASET_KEY = "cnn_layers", "cnn_dataset"  # session state
_ids = itertools.count(1)


def with_ids(spec: list[dict]) -> list[dict]:
    """Normalised copies with a fresh 'id' each: new widgets, whatever widgets the old stack had."""
    return [{**layer, "id": f"L{next(_ids)}"} for layer in spec_mod.normalize(spec)]


def layers() -> list[dict]:
    """The learner's layer stack (dicts with an 'id' used for widget keys); a preset at first."""
    if LAYERS_KEY not in st.session_state:
        st.session_state[LAYERS_KEY] = with_ids(spec_mod.PRESETS["Keras MNIST convnet"])
    return st.session_state[LAYERS_KEY]


def set_layers(spec: list[dict]) -> None:
    st.session_state[LAYERS_KEY] = with_ids(spec)


def current_spec() -> list[dict]:
    """The stack as plain spec dicts (no ids), ready for cnn_core."""
    return [{k: v for k, v in layer.items() if k != "id"} for layer in layers()]


def dataset_name() -> str:
    return st.session_state.get(DATASET_KEY, "mnist")


def set_dataset(name: str) -> None:
    """Choose the dataset for every page (a preset that was measured on CIFAR-10 sets CIFAR-10)."""
    st.session_state[DATASET_KEY] = name


def _picked(key: str) -> None:
    set_dataset(st.session_state[key])


def dataset_ui(key: str, on_change=None) -> str:
    """A dataset picker that shows, and changes, the one choice every page shares."""
    st.session_state[key] = dataset_name()  # another page (or a preset) may have changed it

    def changed():
        _picked(key)
        if on_change is not None:
            on_change()

    names = list(DATASET_LABELS)  # index= too: a browser that answers before it heard us sends this one
    return st.selectbox(_("Dataset"), names, names.index(dataset_name()),
                        format_func=i18n.labels_in_this_language(DATASET_LABELS), key=key, on_change=changed)
