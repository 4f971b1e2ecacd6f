"""The live charts skip plotly's validators for speed: what they build must still be valid plotly."""

import json

import plotly.graph_objects as go

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
