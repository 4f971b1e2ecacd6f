"""Build a CNN: presets, a layer-by-layer editor, the layer table with formulas, export."""

import pandas as pd
import streamlit as st

from cnn_core import data, i18n
from cnn_core import layers as registry
from cnn_core import spec as spec_mod
from cnn_core.i18n import _, ngettext
from cnn_core.messages import UserError
from ui import layer_widgets, presenting, state, view_links

st.title(_("Build a CNN"))
st.caption(_(
    "Stack layers and watch every output shape and parameter count change. The table is worked "
    "out with the same rules Keras uses (the tests check it against Keras itself)."
))

def preset_ui() -> None:
    c1, c2 = st.columns([5, 2], vertical_alignment="bottom")  # room for "プリセットを読み込む"
    name = c1.selectbox(_("Start from a preset"), list(spec_mod.PRESETS), key="build_preset",
                        format_func=i18n.now())  # the options stay the presets' English names
    if c2.button(_("Load preset"), key="build_load", width="stretch"):
        state.set_layers(spec_mod.PRESETS[name])


def _move(i: int, step: int) -> None:
    layers = state.layers()
    j = i + step
    if 0 <= j < len(layers):
        layers[i], layers[j] = layers[j], layers[i]


def _remove(i: int) -> None:
    del state.layers()[i]


def layer_row_ui(i: int, layer: dict, n_layers: int) -> None:
    """One layer: its title and the move/remove buttons on a line, its settings as widgets under
    them (written back into the dict). The settings have a line of their own, the page's whole
    width: beside the title and the buttons, on a laptop or projector (1100-1300 px with the
    sidebar open) a select showed "va" for "valid" and the Japanese "バイアス" was cut to "バ…"."""
    k = f"build_{layer['id']}"
    title, buttons = st.columns([3, 1], vertical_alignment="center")
    title.markdown(f"**{i + 1}. {layer_widgets.kind_title(layer['type'])}**")
    # The three buttons share one column and wrap onto a second line when it is narrow: in columns
    # of their own they were cut to a sliver of their arrows.
    moves = buttons.container(horizontal=True, horizontal_alignment="right", gap="small")
    moves.button("↑", key=f"{k}_up", on_click=_move, args=(i, -1), disabled=i == 0, help=_("Move up"))
    moves.button("↓", key=f"{k}_down", on_click=_move, args=(i, 1), disabled=i == n_layers - 1,
                 help=_("Move down"))
    moves.button("✕", key=f"{k}_remove", on_click=_remove, args=(i,), help=_("Remove this layer"))
    layer_widgets.settings_ui(layer, k)


def add_layer_ui() -> None:
    layers = state.layers()
    c1, c2 = st.columns([5, 2], vertical_alignment="bottom")
    titles = {kind: layer_widgets.kind_title(kind) for kind in registry.addable()}  # in this run's language
    t = c1.selectbox(_("Add a layer at the end"), list(titles), key="build_add_type", format_func=titles.get)
    full = len(layers) >= spec_mod.MAX_LAYERS
    if c2.button(_("Add layer"), key="build_add", disabled=full, width="stretch"):
        layers.append(state.with_ids([{"type": t}])[0])
        st.rerun()
    if full:
        st.info(ngettext("The builder holds at most {n} layer.", "The builder holds at most {n} layers.",
                         spec_mod.MAX_LAYERS).format(n=spec_mod.MAX_LAYERS))


# The view a link restores: the dataset and the whole stack (?dataset=mnist&layers=eNrN...). The
# address bar always holds the stack on screen: paste it, and the class builds the same network.
LINK = [
    view_links.Setting("dataset", state.DATASET_KEY, view_links.one_of(list(state.DATASET_LABELS)),
                       default="mnist"),
    view_links.Setting("layers", state.LAYERS_KEY, lambda word: state.with_ids(spec_mod.from_link(word)),
                       dump=lambda layers: spec_mod.to_link(layers)),
]
view_links.restore(LINK)

with presenting.controls(_("The layers")):
    name = state.dataset_ui("build_dataset")
    input_shape, num_classes = data.INPUT_SHAPES[name], len(data.CLASS_NAMES[name])
    preset_ui()

    st.subheader(_("Layers"))
    st.caption(_("Input: {shape}. A softmax Dense({classes}) classifier is added at the end (with a Flatten first "
                 "when the last layer is still an image). The address bar holds this stack: share it, and others "
                 "open the same network.").format(shape=" x ".join(map(str, input_shape)), classes=num_classes))
    layers = state.layers()
    for i, layer in enumerate(layers):
        layer_row_ui(i, layer, len(layers))
    if not layers:
        st.info(_("The stack is empty: the model is just Flatten + the classifier. Add a layer below."))
    add_layer_ui()
view_links.keep(LINK)



def worked_out(spec: list[dict], input_shape: tuple, num_classes: int) -> tuple:
    """The layer table's rows, the weight-sharing comparison and the exported code (UserError if impossible)."""
    return (spec_mod.infer(spec, input_shape, num_classes), spec_mod.weight_sharing(spec, input_shape, num_classes),
            spec_mod.to_keras_code(spec, input_shape, num_classes))


spec = state.current_spec()
try:
    rows, sharing, code = worked_out(spec, input_shape, num_classes)
    # The stack, not its rows: they are worked out again, in the language of whoever reads them now.
    st.session_state["build_last_valid"] = (spec, input_shape, num_classes)
    valid = True
except UserError as err:
    st.error(str(err))
    valid = False


def count_column(label: str):
    return st.column_config.NumberColumn(label, format="localized")


if "build_last_valid" in st.session_state:
    if not valid:
        rows, sharing, code = worked_out(*st.session_state["build_last_valid"])
    st.subheader(_("Layer table") if valid else _("Layer table (the last valid architecture)"))
    table = pd.DataFrame([{
        "#": r.index, "layer": r.label, "Keras layer": r.keras_class,
        "output shape": " x ".join(map(str, r.output_shape)), "parameters": r.params,
        "trainable": r.trainable, "non-trainable": r.params - r.trainable, "formula": r.formula,
    } for r in rows])
    st.dataframe(table, hide_index=True, width="stretch", key="build_table", column_config={
        "layer": st.column_config.Column(_("layer")), "Keras layer": st.column_config.Column(_("Keras layer")),
        "output shape": st.column_config.Column(_("output shape")), "parameters": count_column(_("parameters")),
        "trainable": count_column(_("trainable")), "non-trainable": count_column(_("non-trainable")),
        "formula": st.column_config.Column(_("formula"))})
    if any(r.part for r in rows):
        st.caption(_("A residual block is several Keras layers: 5.1, 5.2, ... are the layers inside block 5, "
                     "its shortcut (a 1x1 projection when the shape changes) and the addition F(x) + x."))
    total = sum(r.params for r in rows)
    trainable = sum(r.trainable for r in rows)
    c1, c2, c3 = st.columns(3)
    c1.metric(_("Total parameters"), f"{total:,}")
    c2.metric(_("Trainable"), f"{trainable:,}")
    c3.metric(_("Non-trainable"), f"{total - trainable:,}")

    st.subheader(_("Weight sharing"))
    if sharing:
        st.caption(_("A conv layer reuses one small filter at every position. A Dense layer "
                     "connecting the same input to the same output needs a weight per pair:"))
        st.dataframe(pd.DataFrame(sharing), hide_index=True, width="stretch", column_config={
            "layer": st.column_config.Column(_("layer")), "input": st.column_config.Column(_("input")),
            "output": st.column_config.Column(_("output")), "conv parameters": count_column(_("conv parameters")),
            "dense parameters for the same sizes": count_column(_("dense parameters for the same sizes")),
            "dense / conv": st.column_config.NumberColumn(_("dense / conv"))})
    else:
        st.caption(_("Add a conv layer to compare it against a Dense layer of the same sizes."))

    with st.expander(_("Export as Keras code")):
        if not valid:
            st.warning(_("The current stack cannot be built (see the message above): this is the code of the "
                         "last valid one. Fix the stack to export it."))
        st.code(code, language="python")
        st.download_button(_("Download model.py"), code, "model.py", "text/x-python", key="build_download",
                           disabled=not valid)
