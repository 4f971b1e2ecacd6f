"""Inside the network: one feature-map value, picked by clicking it, computed by hand from the
real weights (the filter for every input channel, the window, the products, their sum). The
arithmetic itself is cnn_core.inside.window_arithmetic."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import streamlit as st

from cnn_core import inside, pictures
from cnn_core.i18n import _
from cnn_core.messages import msg
from ui import charts


def one_value(model, image, by_name: dict, names: list, key: str) -> None:
    """One feature-map value, picked by clicking it or with the inputs, computed by hand."""
    st.markdown(_("#### One value of a feature map, computed by hand"))
    c1, c2, c3, c4 = st.columns(4)
    layer = c1.selectbox(_("Layer"), names, key=f"{key}_arith_layer")
    maps = by_name[layer].values
    h, w, n = maps.shape
    channel = c2.number_input(_("Filter (1 to {n})").format(n=n), 1, n,
                              key=_kept_in_range(f"{key}_arith_channel", 1, n)) - 1
    row = c3.number_input(_("Row (0 to {last})").format(last=h - 1), 0, h - 1,
                          key=_kept_in_range(f"{key}_arith_row", h // 2, h - 1))
    col = c4.number_input(_("Column (0 to {last})").format(last=w - 1), 0, w - 1,
                          key=_kept_in_range(f"{key}_arith_col", w // 2, w - 1))
    channel, row, col = int(channel), int(row), int(col)
    shown = inside.picker_maps(maps, channel)
    st.caption(str(msg("inside.pick_value", layer=layer, shown=shown.shape[2], n=n, filter=channel + 1)))
    one, every = st.columns([2, 3])
    with one:  # large enough to hit one value on a projector
        _clickable_maps(maps[:, :, channel:channel + 1], 1, (channel, row, col), f"{key}_pick_one_{layer}_{channel}",
                        key, first_channel=channel, height=380)
    with every:
        _clickable_maps(shown, 8, (channel, row, col), f"{key}_pick_all_{layer}", key)
    arith = inside.window_arithmetic(model, layer, image, channel, row, col)
    _filter_weights(arith, layer, channel, key)
    st.markdown(str(arith.sentence(maps[row, col, channel])))


def _kept_in_range(widget_key: str, first: int, top: int) -> str:
    """`widget_key`, its value set to `first` or what was picked before, at most `top`: another
    layer can have fewer filters, a smaller map or fewer input channels than the last one."""
    st.session_state[widget_key] = min(int(st.session_state.get(widget_key, first)), top)
    return widget_key


def _clickable_maps(maps, columns: int, picked, chart_key: str, key: str, **figure) -> None:
    st.plotly_chart(charts.feature_maps_figure(maps, columns, picked, **figure), width="stretch", key=chart_key,
                    on_select=functools.partial(_apply_pick, key, chart_key), selection_mode="points",
                    config={"displayModeBar": False})


def _apply_pick(key: str, chart_key: str) -> None:
    """A click on a feature map sets the filter, row and column inputs to that value."""
    picked = charts.picked_value(st.session_state[chart_key].get("selection"))
    if picked is not None:
        channel, row, col = picked
        st.session_state[f"{key}_arith_channel"] = channel + 1
        st.session_state[f"{key}_arith_row"] = row
        st.session_state[f"{key}_arith_col"] = col


def _filter_weights(arith, layer: str, channel: int, key: str) -> None:
    """The filter behind the picked value: its k x k weights for every input channel, with its
    bias, then one input channel's window, weights and products as numbers."""
    k, cin = arith.weights.shape[0], arith.weights.shape[2]
    st.image(pictures.tiles(arith.weights, columns=16 if cin > 16 else max(cin, 1), min_side=48, together=True))
    st.caption(str(msg("inside.filter_weights", filter=channel + 1, layer=layer, k=k, cin=cin, bias=arith.bias)))
    c = 0
    if cin > 1:
        i_of_n = _("{i} of {n}")
        c = st.selectbox(_("The numbers for input channel"), range(cin),
                         key=_kept_in_range(f"{key}_arith_input", 0, cin - 1),
                         format_func=lambda j: i_of_n.format(i=j + 1, n=cin))
    st.caption(str(msg("inside.window_numbers", channel=c + 1, cin=cin)))
    a, b, p = st.columns(3)
    a.dataframe(_grid(arith.window[:, :, c]), hide_index=True)
    b.dataframe(_grid(arith.weights[:, :, c]), hide_index=True)
    p.dataframe(_grid(arith.products[:, :, c]), hide_index=True)
    if cin > 1:
        st.caption(str(msg("inside.channel_sum", channel=c + 1, part=arith.channel_part(c), cin=cin,
                           total=float(arith.products.sum()))))


def _grid(values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(np.round(values, 3), columns=[str(i) for i in range(values.shape[1])])
