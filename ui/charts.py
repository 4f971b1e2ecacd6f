"""Plotly figures for training: live curves, run comparisons, confusion matrices."""

from __future__ import annotations

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


def training_figure(snap) -> go.Figure:
    """Loss and accuracy per batch (raw and smoothed) with validation points per epoch."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"))
    for col, raw, val, name in ((1, snap.loss, snap.val_loss, "loss"), (2, snap.accuracy, snap.val_accuracy, "accuracy")):
        fig.add_trace(go.Scatter(x=snap.steps, y=raw, mode="lines", name=f"train {name} (batch)",
                                 line={"width": 1, "color": "rgba(31,119,180,0.3)"}, showlegend=col == 1), 1, col)
        fig.add_trace(go.Scatter(x=snap.steps, y=smooth(raw), mode="lines", name=f"train {name} (smoothed)",
                                 line={"width": 2, "color": "#1f77b4"}, showlegend=col == 1), 1, col)
        if val:
            fig.add_trace(go.Scatter(x=snap.val_steps, y=val, mode="markers+lines", name=f"validation {name}",
                                     marker={"size": 9, "color": "#d62728"}, showlegend=col == 1), 1, col)
    fig.update_xaxes(title_text="batch")
    fig.update_layout(height=330, margin={"t": 30, "b": 10, "l": 10, "r": 10},
                      legend={"orientation": "h", "y": -0.25})
    return fig


def runs_figure(runs: list[tuple[str, object]]) -> go.Figure:
    """Smoothed training loss of several runs, overlaid (the legend below the plot, where the
    toolbar cannot cover it)."""
    fig = go.Figure()
    for name, snap in runs:
        fig.add_trace(go.Scatter(x=snap.steps, y=smooth(snap.loss), mode="lines", name=name))
    fig.update_layout(height=340, xaxis_title="batch", yaxis_title="training loss (smoothed)",
                      margin={"t": 30, "b": 10, "l": 10, "r": 10},
                      legend={"orientation": "h", "yanchor": "top", "y": -0.25, "x": 0})
    return fig


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
