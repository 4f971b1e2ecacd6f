"""Controlled experiments: two CNNs identical but for one choice, trained side by side.

    from cnn_core import experiments, training
    exp = experiments.PoolingExperiment(spec, training.TrainConfig(epochs=2), seeds=[0, 1, 2])
    exp.start(); ...; exp.table()

Max against average pooling: same architecture, same initial weights (pooling has no weights,
so the same seed draws the same ones), same data order, same seed; only the pooling kind differs.
Several seeds show the spread, so a conclusion is not one lucky run.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from cnn_core import data as data_mod
from cnn_core import spec as spec_mod
from cnn_core import training

KINDS = ("max", "avg")


def with_pooling(spec: list[dict], kind: str) -> list[dict]:
    """The same stack with every pooling layer (global pooling too) of the given kind."""
    return [{**layer, "kind": kind} if layer.get("type") in ("pool", "global_pool") else dict(layer)
            for layer in spec]


class PoolingExperiment:
    """len(seeds) x 2 training jobs through the shared scheduler (they queue, they never thrash)."""

    def __init__(self, spec: list[dict], config: training.TrainConfig, seeds=(0,), **job_kwargs):
        spec = [{k: v for k, v in layer.items() if k != "id"} for layer in spec]
        if not any(layer.get("type") in ("pool", "global_pool") for layer in spec):
            raise ValueError("This model has no pooling layer to compare: add one on Build a CNN.")
        seeds = list(dict.fromkeys(int(s) for s in seeds))
        if not 1 <= len(seeds) <= 10:
            raise ValueError("Use from 1 to 10 seeds.")
        shape = data_mod.INPUT_SHAPES[config.dataset]
        for kind in KINDS:
            spec_mod.infer(with_pooling(spec, kind), shape, len(data_mod.CLASS_NAMES[config.dataset]))
        self.spec, self.config, self.seeds = spec, config.validate(), seeds
        self.jobs = {
            (kind, seed): training.TrainingJob(with_pooling(spec, kind), dataclasses.replace(config, seed=seed),
                                               label=f"{kind}, seed {seed}", **job_kwargs)
            for seed in seeds for kind in KINDS
        }

    def start(self) -> PoolingExperiment:
        for job in self.jobs.values():
            job.start()
        return self

    def stop(self) -> None:
        for job in self.jobs.values():
            job.stop()

    @property
    def active(self) -> bool:
        return any(job.active for job in self.jobs.values())

    def wait(self, timeout: float | None = None) -> bool:
        return all(job.wait(timeout) for job in self.jobs.values())

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

    def verdict(self) -> str:
        """One honest sentence about the result."""
        t = self.table()
        if len(t) < 2:
            return ""
        mx, av = t.iloc[0], t.iloc[1]
        if len(self.seeds) == 1:
            return ("One seed only: the difference may be luck. Repeat with several seeds to see the spread.")
        if mx["lowest"] > av["highest"]:
            return f"Max pooling won every seed ({mx['test accuracy (mean)']:.2%} against {av['test accuracy (mean)']:.2%} on average)."
        if av["lowest"] > mx["highest"]:
            return f"Average pooling won every seed ({av['test accuracy (mean)']:.2%} against {mx['test accuracy (mean)']:.2%} on average)."
        return ("The ranges overlap: with these settings the difference between max and average pooling is "
                "no larger than the seed-to-seed noise.")
