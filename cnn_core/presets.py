"""Training presets tuned for a 2-core CPU. Their numbers come from scripts/bench.py (README)."""

from __future__ import annotations

from dataclasses import dataclass

from cnn_core.training import TrainConfig


@dataclass(frozen=True)
class TrainPreset:
    spec: list  # the layer stack (cnn_core.spec format)
    config: TrainConfig  # how to train it
    description: str  # what it reaches and how long it takes, measured


TRAIN_PRESETS = {
    "fast MNIST": TrainPreset(
        spec=[
            {"type": "conv", "filters": 32, "kernel": 4, "stride": 2},
            {"type": "conv", "filters": 64, "kernel": 3, "stride": 2},
            {"type": "flatten"},
            {"type": "dense", "units": 128},
            {"type": "dropout", "rate": 0.3},
        ],
        config=TrainConfig(dataset="mnist", source="auto", epochs=6, batch_size=512, optimizer="adam",
                           learning_rate=8e-3, schedule="one_cycle", validation_fraction=0.0),
        description="two strided convolutions instead of conv + pool (a 4x4 first filter: a quarter of "
                    "the work of the Keras example's first layer), a small dense layer, batch 512, a "
                    "one-cycle learning rate peaking at 0.008, every training image used (no validation "
                    "split). On the full set: 99.2% test accuracy after 6 epochs, about 1 minute on a "
                    "2-core laptop CPU.",
    ),
    "fast CIFAR-10": TrainPreset(
        spec=[
            {"type": "conv", "filters": 32, "kernel": 4, "stride": 2, "padding": "same"},
            {"type": "batchnorm"},
            {"type": "conv", "filters": 64, "kernel": 3, "padding": "same"},
            {"type": "pool", "kind": "max", "size": 2},
            {"type": "batchnorm"},
            {"type": "conv", "filters": 128, "kernel": 3, "padding": "same"},
            {"type": "pool", "kind": "max", "size": 2},
            {"type": "batchnorm"},
            {"type": "conv", "filters": 256, "kernel": 3, "padding": "same"},
            {"type": "pool", "kind": "max", "size": 2},
            {"type": "batchnorm"},
            {"type": "flatten"},
            {"type": "dropout", "rate": 0.2},
        ],
        config=TrainConfig(dataset="cifar10", source="auto", epochs=4, batch_size=256, optimizer="adam",
                           learning_rate=4e-3, schedule="one_cycle", augment=True, label_smoothing=0.1,
                           validation_fraction=0.0),
        description="a strided 4x4 first convolution (full-size convolutions on 32x32 images are the "
                    "slowest thing on a CPU), then conv-pool-batch norm blocks that double the filters as "
                    "the image halves (batch norm after pooling: a quarter of the work), flip-and-shift "
                    "augmentation, label smoothing 0.1, batch 256, a one-cycle learning rate peaking at "
                    "0.004, every training image used. On the full set: 76% test accuracy after 4 epochs, "
                    "6-7 minutes on a 2-core laptop CPU (6 epochs: 78%, about 10 minutes).",
    ),
}
