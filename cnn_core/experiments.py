"""Controlled experiments: two CNNs identical but for one choice, trained side by side.

    from cnn_core import executors, experiments, training
    exp = experiments.PoolingExperiment(spec, training.TrainConfig(epochs=2), seeds=[0, 1, 2])
    exp.start(executors.default_executor()); ...; exp.table(); exp.verdict()

Max against average pooling: same architecture, same initial weights (pooling has no weights,
so the same seed draws the same ones), same data order, same seed; only the pooling kind differs.
Several seeds show the spread, so a conclusion is not one lucky run.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from cnn_core import runner, training
from cnn_core.i18n import N_
from cnn_core.jobs import Job, JobGroup
from cnn_core.messages import UserError, msg

KINDS = ("max", "avg")
# The tables' columns as a page titles them (`_(COLUMNS[name])`); the frames keep these English names.
COLUMNS = {"pooling": N_("pooling"), "seed": N_("seed"), "state": N_("state"), "runs": N_("runs"),
           "test accuracy": N_("test accuracy"), "test accuracy (mean)": N_("test accuracy (mean)"),
           "lowest": N_("lowest"), "highest": N_("highest"), "test loss": N_("test loss"),
           "test loss (mean)": N_("test loss (mean)"), "parameters": N_("parameters"),
           "seconds per epoch": N_("seconds per epoch")}


def with_pooling(spec: list[dict], kind: str) -> list[dict]:
    """The same stack with every pooling layer (global pooling too) of the given kind."""
    return [{**layer, "kind": kind} if layer.get("type") in ("pool", "global_pool") else dict(layer)
            for layer in spec]


class PoolingExperiment(JobGroup):
    """len(seeds) x 2 training jobs (they queue on the executor, they never thrash)."""

    def __init__(self, spec: list[dict], config: training.TrainConfig, seeds=(0,), owner_alive=None):
        spec = [{k: v for k, v in layer.items() if k != "id"} for layer in spec]
        if not any(layer.get("type") in ("pool", "global_pool") for layer in spec):
            raise UserError("exp.no_pooling")
        seeds = list(dict.fromkeys(int(s) for s in seeds))
        if not 1 <= len(seeds) <= 10:
            raise UserError("exp.seeds")
        self.spec, self.config, self.seeds = spec, config.validate(), seeds
        super().__init__({
            (kind, seed): Job(runner.TrainRequest(with_pooling(spec, kind), dataclasses.replace(config, seed=seed)),
                              label=msg("exp.run", kind=msg(f"exp.{kind}"), seed=seed), owner_alive=owner_alive)
            for seed in seeds for kind in KINDS
        })

    def runs(self) -> pd.DataFrame:
        rows = []
        for (kind, seed), job in self.jobs.items():
            s, r = job.snapshot(), job.result or {}
            rows.append({"pooling": kind, "seed": seed, "state": s.state,
                         "test accuracy": r.get("accuracy"), "test loss": r.get("loss"),
                         "parameters": job.model.count_params() if job.model is not None else None,
                         "seconds per epoch": float(np.mean(s.epoch_seconds)) if s.epoch_seconds else None})
        return pd.DataFrame(rows)

    def table(self) -> pd.DataFrame:
        """Per pooling kind: finished runs, accuracy mean and range, loss, parameters, time."""
        runs = self.runs()
        done = runs[runs["test accuracy"].notna()]
        rows = []
        for kind in KINDS:
            d = done[done["pooling"] == kind]
            if d.empty:
                continue
            acc = d["test accuracy"].astype(float)
            rows.append({"pooling": kind, "runs": len(d), "test accuracy (mean)": round(acc.mean(), 4),
                         "lowest": round(acc.min(), 4), "highest": round(acc.max(), 4),
                         "test loss (mean)": round(d["test loss"].astype(float).mean(), 4),
                         "parameters": int(d["parameters"].dropna().iloc[0]) if d["parameters"].notna().any() else None,
                         "seconds per epoch": round(d["seconds per epoch"].dropna().mean(), 2)
                         if d["seconds per epoch"].notna().any() else None})
        return pd.DataFrame(rows)

    def verdict(self):
        """One honest sentence about the result (a Message), or None before both kinds have results."""
        t = self.table()
        if len(t) < 2:
            return None
        mx, av = t.iloc[0], t.iloc[1]
        if len(self.seeds) == 1:
            return msg("exp.verdict_one_seed")
        if mx["lowest"] > av["highest"]:
            return msg("exp.verdict_won", winner=msg("exp.max"), a=mx["test accuracy (mean)"], b=av["test accuracy (mean)"])
        if av["lowest"] > mx["highest"]:
            return msg("exp.verdict_won", winner=msg("exp.avg"), a=av["test accuracy (mean)"], b=mx["test accuracy (mean)"])
        return msg("exp.verdict_overlap")
