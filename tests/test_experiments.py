"""The max-against-average experiment is controlled: only the pooling kind differs."""

import numpy as np
import pandas as pd
import pytest

from cnn_core import executors, experiments, models, pipeline, training
from cnn_core import spec as spec_mod

SPEC = [{"type": "conv", "filters": 4, "kernel": 3}, {"type": "pool", "kind": "max", "size": 2},
        {"type": "flatten"}, {"type": "dropout", "rate": 0.2}]


def test_variants_differ_only_in_pooling_and_start_from_the_same_weights():
    mx, av = experiments.with_pooling(SPEC, "max"), experiments.with_pooling(SPEC, "avg")
    assert [layer for layer in mx if layer["type"] != "pool"] == [layer for layer in av if layer["type"] != "pool"]
    a = models.build_cnn(mx, (28, 28, 1), 10, seed=3)
    b = models.build_cnn(av, (28, 28, 1), 10, seed=3)
    assert type(a.layers[2]).__name__ == "MaxPooling2D" and type(b.layers[2]).__name__ == "AveragePooling2D"
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert a.count_params() == b.count_params()


def test_experiment_runs_both_kinds_for_each_seed_and_tabulates():
    cfg = training.TrainConfig(dataset="mnist", source="sample", epochs=1, max_train_images=640)
    exp = experiments.PoolingExperiment(SPEC, cfg, seeds=[0, 1]).start(executors.LocalExecutor(1))
    assert exp.wait(600)
    runs = exp.runs()
    assert len(runs) == 4 and set(runs["state"]) == {"finished"}
    table = exp.table()
    assert list(table["pooling"]) == ["max", "avg"] and list(table["runs"]) == [2, 2]
    assert table["parameters"].nunique() == 1  # pooling has no parameters
    assert (table["lowest"] <= table["test accuracy (mean)"]).all()
    mx, av = table.iloc[0], table.iloc[1]
    overlap = not (mx["lowest"] > av["highest"] or av["lowest"] > mx["highest"])
    assert exp.verdict().id == ("exp.verdict_overlap" if overlap else "exp.verdict_won")


@pytest.mark.parametrize("mx,av,seeds,expected", [
    ((0.90, 0.92), (0.80, 0.85), 2, "Max pooling won every seed (91.00% against 82.50% on average)."),
    ((0.80, 0.85), (0.90, 0.92), 3, "Average pooling won every seed (91.00% against 82.50% on average)."),
    ((0.80, 0.90), (0.85, 0.95), 2, "The ranges overlap"),
    ((0.90, 0.90), (0.80, 0.80), 1, "One seed only: the difference may be luck."),
])
def test_verdict_names_a_winner_only_when_every_seed_agrees(monkeypatch, mx, av, seeds, expected):
    exp = experiments.PoolingExperiment(SPEC, training.TrainConfig(), seeds=range(seeds))
    table = pd.DataFrame([{"pooling": k, "runs": seeds, "test accuracy (mean)": sum(r) / 2, "lowest": r[0],
                           "highest": r[1]} for k, r in (("max", mx), ("avg", av))])
    monkeypatch.setattr(exp, "table", lambda: table)
    assert str(exp.verdict()).startswith(expected)


def test_a_stack_without_pooling_is_refused():
    with pytest.raises(ValueError, match="no pooling layer"):
        experiments.PoolingExperiment([{"type": "conv"}], training.TrainConfig())


def test_same_seed_same_data_order():
    ds_cfg = training.TrainConfig(dataset="mnist", source="sample", max_train_images=512, seed=5)
    from cnn_core import data

    ds = data.load_dataset("mnist", "sample")
    x, y, *_ = pipeline.split_train(ds, ds_cfg)
    first = [b[1].numpy().tolist() for b in pipeline.make_dataset(x, y, 64, shuffle=True, seed=5).take(3)]
    second = [b[1].numpy().tolist() for b in pipeline.make_dataset(x, y, 64, shuffle=True, seed=5).take(3)]
    assert first == second
    assert spec_mod.infer(experiments.with_pooling(SPEC, "avg"), (28, 28, 1), 10)
