"""Plotly figures: live training curves, run comparisons, confusion matrices, probabilities, and
the inside view's dense-layer bars and clickable feature maps."""

from __future__ import annotations

import functools

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnn_core import data, i18n
from cnn_core.i18n import N_, _


def smooth(values: list, weight: float = 0.9) -> list:
    """Exponential moving average, bias-corrected (as TensorBoard draws it)."""
    out, avg = [], 0.0
    for i, v in enumerate(values, start=1):
        avg = weight * avg + (1 - weight) * v
        out.append(avg / (1 - weight**i))
    return out


# The live charts are redrawn once a second per training tab. Building them through plotly's
# validators (make_subplots, update_layout) took 20-45 ms a time, a third of the server's script
# time with a class training; the layouts below are validated once and the traces are plain
# dicts, so a redraw takes 2-3 ms (tests/test_charts.py checks they still validate). A layout holds
# titles, so there is one per language: call them with `i18n.language()`, the language `_` reads.

@functools.cache
def _training_layout(language: str) -> dict:
    fig = make_subplots(rows=1, cols=2, subplot_titles=(_("loss"), _("accuracy")))
    fig.update_xaxes(title_text=_("batch"))
    fig.update_layout(height=330, margin={"t": 30, "b": 10, "l": 10, "r": 10},
                      legend={"orientation": "h", "y": -0.25})
    return fig.to_plotly_json()["layout"]


@functools.cache
def _runs_layout(language: str) -> dict:
    fig = go.Figure()
    fig.update_layout(height=340, xaxis_title=_("batch"), yaxis_title=_("training loss (smoothed)"),
                      margin={"t": 30, "b": 10, "l": 10, "r": 10},
                      legend={"orientation": "h", "yanchor": "top", "y": -0.25, "x": 0})
    return fig.to_plotly_json()["layout"]


def _line(x, y, name: str, **style) -> dict:
    return {"type": "scatter", "x": list(x), "y": list(y), "mode": "lines", "name": name, **style}


# The training chart's legend: (per batch, smoothed, validation) for each of its two plots.
CURVE_NAMES = {
    "loss": (N_("train loss (batch)"), N_("train loss (smoothed)"), N_("validation loss")),
    "accuracy": (N_("train accuracy (batch)"), N_("train accuracy (smoothed)"), N_("validation accuracy")),
}


def training_figure(snap) -> go.Figure:
    """Loss and accuracy per batch (raw and smoothed) with validation points per epoch."""
    traces = []
    for axis, raw, val, curve in (("", snap.loss, snap.val_loss, "loss"), ("2", snap.accuracy, snap.val_accuracy,
                                                                         "accuracy")):
        per_batch, smoothed, validation = CURVE_NAMES[curve]
        where = {"xaxis": f"x{axis}", "yaxis": f"y{axis}", "showlegend": axis == ""}
        traces.append(_line(snap.steps, raw, _(per_batch), line={"width": 1, "color": "rgba(31,119,180,0.3)"},
                            **where))
        traces.append(_line(snap.steps, smooth(raw), _(smoothed), line={"width": 2, "color": "#1f77b4"}, **where))
        if val:
            traces.append(_line(snap.val_steps, val, _(validation), marker={"size": 9, "color": "#d62728"},
                                **{**where, "mode": "markers+lines"}))
    return go.Figure({"data": traces, "layout": _training_layout(i18n.language())}, _validate=False)


def runs_figure(runs: list[tuple[str, object]]) -> go.Figure:
    """Smoothed training loss of several runs, overlaid (the legend below the plot, where the
    toolbar cannot cover it)."""
    traces = [_line(snap.steps, smooth(snap.loss), str(name)) for name, snap in runs]
    return go.Figure({"data": traces, "layout": _runs_layout(i18n.language())}, _validate=False)


def class_labels(class_names: list) -> list[str]:
    """Class names as the reader reads them: CIFAR-10's (marked in cnn_core.data) translated, digits as they are."""
    return [data.class_label(class_names, i) for i in range(len(class_names))]


def class_axis(class_names: list) -> dict:
    """A categorical axis that labels every class: plotly would read '0'..'9' as numbers and
    label only every other one."""
    return {"type": "category", "tickmode": "array", "tickvals": list(class_names), "ticktext": list(class_names)}


def confusion_figure(cm: np.ndarray, names: list) -> go.Figure:
    """Counts of (true, predicted) classes; `names` as shown (`class_labels`: translated)."""
    # %{y}, %{x} and %{z} are plotly's: the true class, the predicted class and the count.
    hover = _("true %{y}, predicted %{x}: %{z}") + "<extra></extra>"
    fig = go.Figure(go.Heatmap(z=cm, x=names, y=names, colorscale="Blues", text=cm, texttemplate="%{text}",
                               hovertemplate=hover))
    fig.update_layout(height=420, xaxis={**class_axis(names), "title": _("predicted")},
                      yaxis={**class_axis(names), "title": _("true"), "autorange": "reversed"},
                      margin={"t": 10, "b": 10, "l": 10, "r": 10})
    return fig


def probabilities_figure(probs: np.ndarray, names: list) -> go.Figure:
    """One bar per class, the most likely in red; `names` as shown (`class_labels`: translated)."""
    fig = go.Figure(go.Bar(x=names, y=probs, marker_color=["#d62728" if i == probs.argmax() else "#1f77b4"
                                                           for i in range(len(probs))]))
    fig.update_layout(height=250, xaxis=class_axis(names), yaxis_range=[0, 1], yaxis_title=_("probability"),
                      margin={"t": 10, "b": 10, "l": 10, "r": 10})
    return fig


def values_figure(values: np.ndarray) -> go.Figure:
    """A dense layer's outputs for one input, one bar per unit."""
    fig = go.Figure(go.Bar(x=np.arange(1, len(values) + 1), y=values, marker_color="#1f77b4"))
    fig.update_layout(height=160, xaxis_title=_("unit"), yaxis_title=_("value"),
                      margin={"t": 10, "b": 10, "l": 10, "r": 10})
    return fig


def feature_maps_figure(values: np.ndarray, columns: int, picked: tuple[int, int, int] | None = None,
                        first_channel: int = 0, height: int | None = None) -> go.Figure:
    """A layer's feature maps (h, w, C) as a grid of grey tiles, each scaled to its own range as
    the tiles above it are, that a learner clicks to pick one value. Plotly's heatmaps send no
    click to Streamlit, so an invisible marker sits on every value; its customdata is (filter
    number from 1, row, column, value). `values` may be a slice of the layer's maps starting at
    `first_channel`; `picked` (the layer's channel from 0, row, column) is outlined."""
    from cnn_core import pictures

    h, w, c = values.shape
    columns = max(1, min(columns, c))
    mosaic = np.full((-(-c // columns) * (h + 1) - 1, columns * (w + 1) - 1), np.nan)
    scaled = pictures.scale_each(values)
    for i in range(c):
        y, x = map_corner(i, columns, h, w)
        mosaic[y:y + h, x:x + w] = scaled[:, :, i]
    channel, row, col = (a.ravel() for a in np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij"))
    y0, x0 = map_corner(channel, columns, h, w)
    fig = go.Figure([
        go.Heatmap(z=mosaic, colorscale="gray", showscale=False, hoverinfo="skip"),
        go.Scatter(x=x0 + col, y=y0 + row, mode="markers", marker={"size": 8, "opacity": 0},
                   selected={"marker": {"opacity": 0}}, unselected={"marker": {"opacity": 0}},
                   customdata=np.stack([first_channel + channel + 1, row, col, values[row, col, channel]], axis=-1),
                   # plotly's %{customdata[i]}: the filter, row, column and value of the point under the pointer
                   hovertemplate=_("filter %{customdata[0]}, row %{customdata[1]}, column %{customdata[2]}: "
                                   "%{customdata[3]:.3f}") + "<extra></extra>"),
    ])
    if picked is not None and 0 <= picked[0] - first_channel < c:
        y, x = map_corner(picked[0] - first_channel, columns, h, w)
        fig.add_shape(type="rect", x0=x + picked[2] - 0.5, x1=x + picked[2] + 0.5, y0=y + picked[1] - 0.5,
                      y1=y + picked[1] + 0.5, line={"color": "#d62728", "width": 3})
    height = height or min(900, max(160, 20 + mosaic.shape[0] * 850 // mosaic.shape[1]))
    fig.update_layout(height=height,
                      margin={"t": 10, "b": 10, "l": 10, "r": 10}, clickmode="event+select", dragmode=False,
                      xaxis={"visible": False, "constrain": "domain"},
                      yaxis={"visible": False, "autorange": "reversed", "scaleanchor": "x"})
    return fig


def map_corner(channel, columns: int, h: int, w: int):
    """(y, x) of a channel's tile in `feature_maps_figure`'s grid (one empty row and column between tiles)."""
    return channel // columns * (h + 1), channel % columns * (w + 1)


def picked_value(selection: dict) -> tuple[int, int, int] | None:
    """(channel from 0, row, column) of the value clicked in a `feature_maps_figure`, if any."""
    points = (selection or {}).get("points") or []
    data = points[0].get("customdata") if points else None
    if isinstance(data, dict):  # the browser sends a typed array's row as {"0": .., "1": .., ...}
        data = [data.get(str(i)) for i in range(3)]
    try:
        return int(data[0]) - 1, int(data[1]), int(data[2])
    except (TypeError, ValueError, IndexError):  # no point, or not one of this figure's
        return None
