"""The live charts skip plotly's validators for speed: what they build must still be valid plotly.
The inside view's clickable feature maps: a click picks the value under the pointer."""

import json

import numpy as np
import plotly.graph_objects as go

from cnn_core import pictures
from cnn_core.metrics import Snapshot
from ui import charts


def _snapshot(n=600):
    return Snapshot("running", n, 1000, 1, 2, 10.0, steps=list(range(n)), loss=[1.0 / (i + 1) for i in range(n)],
                    accuracy=[0.5] * n, val_steps=[300, 600], val_loss=[0.3, 0.2], val_accuracy=[0.9, 0.95])


def test_the_fast_live_charts_are_valid_plotly_figures():
    for fig in (charts.training_figure(_snapshot()), charts.runs_figure([("run 1", _snapshot()), ("run 2", _snapshot(5))])):
        spec = json.loads(fig.to_json())
        validated = go.Figure(spec)  # raises on anything plotly would not accept
        assert json.loads(validated.to_json())["data"] == spec["data"]


def test_the_training_chart_draws_loss_and_accuracy_side_by_side_with_validation_points():
    spec = json.loads(charts.training_figure(_snapshot()).to_json())
    axes = [(t["name"], t.get("xaxis"), t.get("yaxis")) for t in spec["data"]]
    assert ("train loss (smoothed)", "x", "y") in axes and ("train accuracy (smoothed)", "x2", "y2") in axes
    assert ("validation loss", "x", "y") in axes and ("validation accuracy", "x2", "y2") in axes
    assert [a["text"] for a in spec["layout"]["annotations"]] == ["loss", "accuracy"]
    assert len(spec["data"][0]["x"]) == 600


def test_an_empty_run_draws_an_empty_chart():
    spec = json.loads(charts.training_figure(Snapshot("created", 0, 0, 0, 0, 0.0)).to_json())
    assert all(not t["x"] for t in spec["data"])


def test_a_click_on_a_feature_map_picks_the_value_under_the_pointer():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(5, 4, 11)).astype(np.float32)
    fig = charts.feature_maps_figure(values, columns=8, picked=(9, 4, 3))
    heat, dots = fig.data
    mosaic = np.asarray(heat.z, dtype=float)
    scaled = pictures.scale_each(values)
    for x, y, data in zip(dots.x, dots.y, dots.customdata, strict=True):
        channel, row, col = int(data[0]) - 1, int(data[1]), int(data[2])
        assert data[3] == values[row, col, channel]  # the value the hover names is the map's own
        assert mosaic[y, x] == scaled[row, col, channel]  # and the marker sits on its pixel
        # what Streamlit hands the callback for a click there is that filter, row and column
        assert charts.picked_value({"points": [{"x": x, "y": y, "customdata": list(data)}]}) == (channel, row, col)
    assert len(dots.x) == values.size
    y0, x0 = charts.map_corner(9, 8, 5, 4)
    (outline,) = fig.layout.shapes  # the picked value is outlined where it is drawn
    assert (outline.x0 + 0.5, outline.y0 + 0.5) == (x0 + 3, y0 + 4)
    # Chromium sends a row of the figure's (typed-array) customdata as an object keyed "0", "1", ...
    assert charts.picked_value({"points": [{"customdata": {"0": 4.0, "1": 2.0, "2": 3.0, "3": 0.5}}]}) == (3, 2, 3)
    assert charts.picked_value({"points": []}) is None and charts.picked_value(None) is None
    assert charts.picked_value({"points": [{"x": 1, "y": 2}]}) is None


def _validated_heatmap(z, title="", box=None, pad=0, colorscale="gray", zmin=None, zmax=None, text=False):
    """The labs' picture as plotly's validators build it (how ui.lab.heatmap was written before)."""
    fig = go.Figure(go.Heatmap(z=z, colorscale=colorscale, zmin=zmin, zmax=zmax, showscale=False,
                               text=np.round(z, 2) if text else None, texttemplate="%{text}" if text else None,
                               hovertemplate="row %{y}, col %{x}: %{z:.3f}<extra></extra>"))
    if pad:
        h, w = z.shape
        fig.add_shape(type="rect", x0=pad - 0.5, x1=w - pad - 0.5, y0=pad - 0.5, y1=h - pad - 0.5,
                      line={"color": "#1f77b4", "dash": "dot", "width": 2})
    if box is not None:
        r, c, k = box
        fig.add_shape(type="rect", x0=c - 0.5, x1=c + k - 0.5, y0=r - 0.5, y1=r + k - 0.5,
                      line={"color": "#d62728", "width": 3})
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False)
    fig.update_xaxes(showticklabels=False, constrain="domain")
    fig.update_layout(title=title, height=330, margin={"t": 30 if title else 5, "b": 5, "l": 5, "r": 5})
    return fig


def test_the_labs_pictures_draw_exactly_what_plotlys_validators_would_build():
    from ui import lab

    z = np.random.default_rng(0).random((30, 30))
    for kw in ({"title": "input", "box": (3, 4, 3), "pad": 1, "zmin": 0, "zmax": 1},  # the labs' input
               {"title": "feature map", "box": (0, 0, 1), "colorscale": "RdBu_r"},  # the convolution's output
               {"text": True}, {}):
        fast, validated = json.loads(lab.heatmap(z, **kw).to_json()), json.loads(_validated_heatmap(z, **kw).to_json())
        assert fast == validated, kw
        go.Figure(fast)  # and plotly accepts it
