"""Training presets tuned for a 2-core CPU. Their numbers come from scripts/bench.py (README)."""

from __future__ import annotations

from dataclasses import dataclass

from cnn_core.i18n import N_
from cnn_core.training import TrainConfig


@dataclass(frozen=True)
class TrainPreset:
    spec: list  # the layer stack (cnn_core.spec format)
    config: TrainConfig  # how to train it
    description: str  # what it reaches and how long it takes, measured (English, marked: `_()` where shown)


def _conv_bn(filters: int, kernel: int = 3, stride: int = 1, pool: bool = False) -> list[dict]:
    """Conv (no bias: batch norm shifts), [max pool], batch norm, ReLU: batch norm after pooling
    normalises a quarter of the values."""
    conv = {"type": "conv", "filters": filters, "kernel": kernel, "stride": stride, "padding": "same",
            "activation": "linear", "bias": False}
    return [conv] + ([{"type": "pool", "kind": "max", "size": 2}] if pool else []) + \
        [{"type": "batchnorm"}, {"type": "activation", "activation": "relu"}]


# Keyed by English name (a button's key, the class records' "preset"), marked: `_(name)` where it is shown.
TRAIN_PRESETS = {
    N_("fast MNIST"): TrainPreset(
        spec=[
            {"type": "conv", "filters": 32, "kernel": 4, "stride": 2},
            {"type": "conv", "filters": 64, "kernel": 3, "stride": 2},
            {"type": "flatten"},
            {"type": "dense", "units": 128},
            {"type": "dropout", "rate": 0.3},
        ],
        config=TrainConfig(dataset="mnist", source="auto", epochs=3, batch_size=512, optimizer="adam",
                           learning_rate=1.2e-2, schedule="one_cycle", label_smoothing=0.1, validation_fraction=0.0),
        description=N_("two strided convolutions instead of conv + pool (a 4x4 first filter: a quarter of "
                       "the work of the Keras example's first layer), a small dense layer, batch 512, a one-cycle "
                       "learning rate peaking at 0.012, label smoothing 0.1, every training image used (no "
                       "validation split). On the full set: 99.0-99.2% test accuracy after 3 epochs, about 12-14 s "
                       "on a 2-core laptop CPU (under a tenth of the Keras example's time)."),
    ),
    N_("fast CIFAR-10"): TrainPreset(
        spec=[
            *_conv_bn(32, kernel=4, stride=2),  # 32x32 -> 16x16 in one strided pass
            *_conv_bn(64, pool=True),  # 16x16 -> 8x8
            {"type": "residual", "filters": 64},  # a residual block at 8x8
            *_conv_bn(128, pool=True),  # -> 4x4
            *_conv_bn(192, pool=True),  # -> 2x2 (192, not 256: 7% less time for 0.2 points)
            {"type": "global_pool", "kind": "max"},
        ],
        config=TrainConfig(dataset="cifar10", source="auto", epochs=4, batch_size=256, optimizer="adam",
                           learning_rate=8e-3, schedule="one_cycle", augment=True, label_smoothing=0.1,
                           validation_fraction=0.0, test_time_flip=True),
        description=N_("a strided 4x4 first convolution (full-size convolutions on 32x32 images are the "
                       "slowest thing on a CPU), then conv-pool-batch norm stages that double the filters as the "
                       "image halves, with a residual block at 8x8; flip-and-shift augmentation, label smoothing "
                       "0.1, batch 256, a one-cycle learning rate peaking at 0.008, every training image used, "
                       "batch norm's statistics re-estimated after training, and test-time flips. On the full "
                       "set: about 80% test accuracy after 4 epochs, under 3 minutes on a 2-core laptop CPU."),
    ),
}
