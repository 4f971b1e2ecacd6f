"""Plotly figures for training: live curves, run comparisons, confusion matrices."""

from __future__ import annotations

import functools

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots


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
# dicts, so a redraw takes 2-3 ms (tests/test_charts.py checks they still validate).

@functools.cache
def _training_layout() -> dict:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"))
    fig.update_xaxes(title_text="batch")
    fig.update_layout(height=330, margin={"t": 30, "b": 10, "l": 10, "r": 10},
                      legend={"orientation": "h", "y": -0.25})
    return fig.to_plotly_json()["layout"]


@functools.cache
def _runs_layout() -> dict:
    fig = go.Figure()
    fig.update_layout(height=340, xaxis_title="batch", yaxis_title="training loss (smoothed)",
                      margin={"t": 30, "b": 10, "l": 10, "r": 10},
                      legend={"orientation": "h", "yanchor": "top", "y": -0.25, "x": 0})
    return fig.to_plotly_json()["layout"]


def _line(x, y, name: str, **style) -> dict:
    return {"type": "scatter", "x": list(x), "y": list(y), "mode": "lines", "name": name, **style}


def training_figure(snap) -> go.Figure:
    """Loss and accuracy per batch (raw and smoothed) with validation points per epoch."""
    traces = []
    for axis, raw, val, name in (("", snap.loss, snap.val_loss, "loss"), ("2", snap.accuracy, snap.val_accuracy,
                                                                        "accuracy")):
        where = {"xaxis": f"x{axis}", "yaxis": f"y{axis}", "showlegend": axis == ""}
        traces.append(_line(snap.steps, raw, f"train {name} (batch)",
                            line={"width": 1, "color": "rgba(31,119,180,0.3)"}, **where))
        traces.append(_line(snap.steps, smooth(raw), f"train {name} (smoothed)", line={"width": 2, "color": "#1f77b4"},
                            **where))
        if val:
            traces.append(_line(snap.val_steps, val, f"validation {name}", marker={"size": 9, "color": "#d62728"},
                                **{**where, "mode": "markers+lines"}))
    return go.Figure({"data": traces, "layout": _training_layout()}, _validate=False)


def runs_figure(runs: list[tuple[str, object]]) -> go.Figure:
    """Smoothed training loss of several runs, overlaid (the legend below the plot, where the
    toolbar cannot cover it)."""
    traces = [_line(snap.steps, smooth(snap.loss), str(name)) for name, snap in runs]
    return go.Figure({"data": traces, "layout": _runs_layout()}, _validate=False)


def class_axis(class_names: list) -> dict:
    """A categorical axis that labels every class: plotly would read '0'..'9' as numbers and
    label only every other one."""
    return {"type": "category", "tickmode": "array", "tickvals": list(class_names), "ticktext": list(class_names)}


def confusion_figure(cm: np.ndarray, class_names: list) -> go.Figure:
    fig = go.Figure(go.Heatmap(z=cm, x=class_names, y=class_names, colorscale="Blues",
                               text=cm, texttemplate="%{text}", hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>"))
    fig.update_layout(height=420, xaxis={**class_axis(class_names), "title": "predicted"},
                      yaxis={**class_axis(class_names), "title": "true", "autorange": "reversed"},
                      margin={"t": 10, "b": 10, "l": 10, "r": 10})
    return fig


def probabilities_figure(probs: np.ndarray, class_names: list) -> go.Figure:
    fig = go.Figure(go.Bar(x=class_names, y=probs, marker_color=["#d62728" if i == probs.argmax() else "#1f77b4"
                                                                 for i in range(len(probs))]))
    fig.update_layout(height=250, xaxis=class_axis(class_names), yaxis_range=[0, 1], yaxis_title="probability",
                      margin={"t": 10, "b": 10, "l": 10, "r": 10})
    return fig


def values_figure(values: np.ndarray) -> go.Figure:
    """A dense layer's outputs for one input, one bar per unit."""
    fig = go.Figure(go.Bar(x=np.arange(1, len(values) + 1), y=values, marker_color="#1f77b4"))
    fig.update_layout(height=160, xaxis_title="unit", yaxis_title="value", margin={"t": 10, "b": 10, "l": 10, "r": 10})
    return fig
