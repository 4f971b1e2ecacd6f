"""Build the small, class-balanced dataset samples that ship in cnn_core/assets/.

    python scripts/build_samples.py [--datasets ../shared/datasets]

Deterministic: for each class it keeps the first TRAIN_PER_CLASS training and TEST_PER_CLASS
test images in the source files' own order, then restores that order. MNIST is stored as a
compressed uint8 npz; CIFAR-10 keeps its JPEG bytes (the same layout as cifar10_jpeg.npz), so
both samples stay small (~15 MB together).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TRAIN_PER_CLASS = 1000
TEST_PER_CLASS = 200


def balanced_indices(labels: np.ndarray, per_class: int) -> np.ndarray:
    keep = [np.flatnonzero(labels == c)[:per_class] for c in np.unique(labels)]
    return np.sort(np.concatenate(keep))


def _slice_jpegs(blob, offsets, idx):
    parts = [blob[offsets[i]:offsets[i + 1]] for i in idx]
    new_offsets = np.concatenate([[0], np.cumsum([len(p) for p in parts])]).astype(np.int64)
    return np.concatenate(parts).astype(np.uint8), new_offsets


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    ap.add_argument("--out", type=Path, default=ROOT / "cnn_core" / "assets")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    with np.load(args.datasets / "mnist.npz") as d:
        tr, te = balanced_indices(d["y_train"], TRAIN_PER_CLASS), balanced_indices(d["y_test"], TEST_PER_CLASS)
        np.savez_compressed(args.out / "mnist_sample.npz", x_train=d["x_train"][tr],
                            y_train=d["y_train"][tr], x_test=d["x_test"][te], y_test=d["y_test"][te])

    with np.load(args.datasets / "cifar10_jpeg.npz") as d:
        out = {}
        for split, per in (("train", TRAIN_PER_CLASS), ("test", TEST_PER_CLASS)):
            idx = balanced_indices(d[f"y_{split}"], per)
            out[f"{split}_jpeg"], out[f"{split}_offsets"] = _slice_jpegs(
                d[f"{split}_jpeg"], d[f"{split}_offsets"], idx)
            out[f"y_{split}"] = d[f"y_{split}"][idx]
        np.savez(args.out / "cifar10_sample.npz", **out)  # JPEG bytes do not compress further

    for f in sorted(args.out.glob("*_sample.npz")):
        print(f"{f}: {f.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
