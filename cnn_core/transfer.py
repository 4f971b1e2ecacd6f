"""Transfer learning: a compact pretrained ResNet, per-stage `trainable` toggles, parameter counts.

    from cnn_core import transfer
    model = transfer.build_transfer_model(transfer.load_backbone("resnet20"), num_classes=5)
    transfer.set_trainable(model, {"stem": False, "stage1": False, "stage2": False, "stage3": True, "head": True})
    transfer.param_counts(model)          # (trainable, non_trainable, total): total never changes

The bundled backbone is a CIFAR-style ResNet-20 (He et al. 2016: a 3x3 stem, three stages of three
residual blocks with 16/32/64 filters, batch norm, identity and projection shortcuts, global
average pooling), pretrained by scripts/pretrain_resnet.py on five CIFAR-10 classes and shipped in
cnn_core/assets/. Keras' ResNet50 is offered where its ImageNet weights are at hand.
Frozen stages run batch norm in inference mode (the Keras transfer-learning guide); the
`frozen_bn_training` switch shows what happens otherwise. Changing `trainable` means compiling again.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnn_core.layers.residual import block
from cnn_core.messages import UserError, msg

ASSETS = Path(__file__).parent / "assets"
WEIGHTS = ASSETS / "resnet20_cifar5.weights.h5"
META = ASSETS / "resnet20_cifar5.json"
SOURCE_CLASSES = (0, 1, 2, 3, 4)  # airplane, automobile, bird, cat, deer: what the backbone saw
HELD_OUT_CLASSES = (5, 6, 7, 8, 9)  # dog, frog, horse, ship, truck: never seen in pretraining
RESNET20_STAGES = ("stem", "stage1", "stage2", "stage3", "head")
RESNET50_STAGES = ("conv1", "conv2", "conv3", "conv4", "conv5", "head")
TARGETS = {name: msg(f"transfer.target_{name}") for name in ("cifar5_heldout", "cifar10", "mnist")}


def _bn_class():
    import keras

    @keras.saving.register_keras_serializable(package="cnn_core")
    class StageBatchNorm(keras.layers.BatchNormalization):
        """BatchNormalization with one extra switch for the lesson: when frozen and
        `use_batch_stats` is on, normalise with the batch's own statistics (training=True
        behaviour) instead of the stored moving ones, without updating them."""

        use_batch_stats = False

        def call(self, inputs, training=None, mask=None):
            if not self.trainable and self.use_batch_stats:
                from keras import ops

                mean, variance = self._moments(inputs, mask)
                shape = [1] * (len(inputs.shape) - 1) + [inputs.shape[-1]]
                mean, variance = ops.reshape(mean, shape), ops.reshape(variance, shape)
                x = (inputs - mean) / ops.sqrt(variance + self.epsilon)
                return x * ops.reshape(self.gamma, shape) + ops.reshape(self.beta, shape)
            return super().call(inputs, training=training, mask=mask)

    return StageBatchNorm


_BN = None


def _bn(name: str):
    global _BN
    if _BN is None:
        _BN = _bn_class()
    return _BN(name=name)


def build_resnet20(input_shape=(32, 32, 3), blocks_per_stage: int = 3, widths=(16, 32, 64)):
    """The backbone alone (stem + three stages + global average pooling) -> 64 features."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Conv2D(widths[0], 3, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = _bn("stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    for s, filters in enumerate(widths, start=1):
        for b in range(1, blocks_per_stage + 1):
            stride = 2 if s > 1 and b == 1 else 1
            x = block(x, filters, stride, f"stage{s}_block{b}", batch_norm=_bn)  # cnn_core/layers/residual.py
    x = layers.GlobalAveragePooling2D(name="stage3_pool")(x)
    return keras.Model(inputs, x, name="resnet20")


def build_classifier(backbone, num_classes: int, dropout: float = 0.0):
    """Backbone + a new head (Dense softmax). The backbone's layers stay shared, not copied."""
    import keras
    from keras import layers

    x = backbone.output
    if dropout:
        x = layers.Dropout(dropout, name="head_dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="head_dense")(x)
    return keras.Model(backbone.input, outputs, name=f"{backbone.name}_classifier")


def stage_of(layer_name: str, stages=RESNET20_STAGES) -> str | None:
    """Which stage a layer belongs to, by its name prefix."""
    if stages == RESNET50_STAGES:
        for s in stages[:-1]:
            if layer_name.startswith(f"{s}_"):
                return s
        return "head" if layer_name.startswith("head") else None
    return next((s for s in stages if layer_name.startswith(s)), None)


def set_trainable(model, flags: dict, stages=RESNET20_STAGES) -> None:
    """Set `trainable` per stage. Compile again afterwards (Keras reads it at compile time)."""
    unknown = set(flags) - set(stages)
    if unknown:
        raise UserError("transfer.unknown_stage", stages=", ".join(sorted(unknown)), known=", ".join(stages))
    for layer in _all_layers(model):
        st_ = stage_of(layer.name, stages)
        if st_ in flags:
            layer.trainable = bool(flags[st_])


def set_frozen_bn_training(model, on: bool) -> None:
    """The Keras guide's caveat as a switch: frozen batch norm using batch statistics."""
    for layer in _all_layers(model):
        if hasattr(layer, "use_batch_stats"):
            layer.use_batch_stats = bool(on)


def _all_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            yield from _all_layers(layer)
        else:
            yield layer


def param_counts(model) -> tuple[int, int, int]:
    """(trainable, non_trainable, total) parameter counts, as Keras reports them."""
    trainable = int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))
    non_trainable = int(sum(int(np.prod(w.shape)) for w in model.non_trainable_weights))
    return trainable, non_trainable, trainable + non_trainable


def stage_table(model, stages=RESNET20_STAGES):
    """Per stage: parameters, trainable, non-trainable (batch norm's moving statistics)."""
    import pandas as pd

    rows = {s: {"stage": s, "parameters": 0, "trainable": 0, "non-trainable": 0} for s in stages}
    for layer in _all_layers(model):
        s = stage_of(layer.name, stages)
        if s is None:
            continue
        tr = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
        nt = sum(int(np.prod(w.shape)) for w in layer.non_trainable_weights)
        rows[s]["parameters"] += tr + nt
        rows[s]["trainable"] += tr
        rows[s]["non-trainable"] += nt
    return pd.DataFrame(list(rows.values()))


# ---------------------------------------------------------------- data for the targets

def target_data(target: str, source: str = "auto", max_train: int = 0):
    """(x_train, y_train, x_test, y_test, class_names) as uint8 32x32x3 for a transfer target."""
    from cnn_core import data

    if target not in TARGETS:
        raise UserError("transfer.unknown_target", value=target, choices=", ".join(TARGETS))
    if target == "mnist":
        ds = data.load_dataset("mnist", source)
        xt, xv = mnist_to_rgb32(ds.x_train), mnist_to_rgb32(ds.x_test)
        yt, yv, names = ds.y_train, ds.y_test, ds.class_names
    else:
        ds = data.load_dataset("cifar10", source)
        xt, yt, xv, yv, names = ds.x_train, ds.y_train, ds.x_test, ds.y_test, ds.class_names
        if target == "cifar5_heldout":
            xt, yt, names5 = _select(xt, yt, HELD_OUT_CLASSES, names)
            xv, yv, _ = _select(xv, yv, HELD_OUT_CLASSES, names)
            names = names5
    if max_train:
        xt, yt = xt[:max_train], yt[:max_train]
    return xt, yt, xv, yv, list(names)


def _select(x, y, classes, names):
    keep = np.isin(y, classes)
    remap = {c: i for i, c in enumerate(classes)}
    return x[keep], np.array([remap[int(v)] for v in y[keep]], dtype=np.int64), [names[c] for c in classes]


def source_data(source: str = "auto"):
    """The five pretraining classes of CIFAR-10 (what the bundled backbone was trained on)."""
    from cnn_core import data

    ds = data.load_dataset("cifar10", source)
    xt, yt, _ = _select(ds.x_train, ds.y_train, SOURCE_CLASSES, ds.class_names)
    xv, yv, names = _select(ds.x_test, ds.y_test, SOURCE_CLASSES, ds.class_names)
    return xt, yt, xv, yv, names


def mnist_to_rgb32(x: np.ndarray) -> np.ndarray:
    """(N, 28, 28, 1) -> (N, 32, 32, 3): padded by 2 pixels, the grey channel repeated."""
    x = np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)))
    return np.repeat(x, 3, axis=-1)


# ---------------------------------------------------------------- shipped weights

def metadata() -> dict:
    return json.loads(META.read_text()) if META.exists() else {}


def load_pretrained():
    """The bundled ResNet-20 with its 5-class source head, pretrained weights loaded."""
    if not WEIGHTS.exists():
        raise UserError("transfer.weights_missing")
    model = build_classifier(build_resnet20(), len(SOURCE_CLASSES))
    model.load_weights(WEIGHTS)
    return model


def load_backbone(name: str = "resnet20"):
    """The pretrained backbone (no head). UserError (with what to do) when its weights are not at hand."""
    if name == "resnet20":
        import keras

        source = load_pretrained()
        return keras.Model(source.input, source.get_layer("stage3_pool").output, name="resnet20")
    if name == "resnet50":
        path = resnet50_weights_path()
        if path is None:
            raise UserError("transfer.resnet50_missing")
        import keras

        return keras.applications.ResNet50(weights=str(path), include_top=False, pooling="avg",
                                           input_shape=(32, 32, 3))
    raise UserError("transfer.unknown_backbone", value=name)


def resnet50_weights_path() -> Path | None:
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    path = home / "models" / "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    return path if path.exists() else None


# ---------------------------------------------------------------- transfer runs

BACKBONE_STAGES = {"resnet20": RESNET20_STAGES, "resnet50": RESNET50_STAGES}


@functools.lru_cache(maxsize=8)
def target_dataset(target: str, source: str = "sample"):
    """A transfer target as a cnn_core.data.Dataset of uint8 32x32x3 images (cached per process)."""
    from cnn_core import data

    xt, yt, xv, yv, names = target_data(target, source)
    base = data.load_dataset("mnist" if target == "mnist" else "cifar10", source)
    arrays = [np.ascontiguousarray(a) for a in (xt, yt, xv, yv)]
    for a in arrays:
        a.setflags(write=False)
    words = msg(f"transfer.source_{base.kind}", target=TARGETS[target], train=len(xt), test=len(xv))
    return data.Dataset(target, *arrays, class_names=names, source=words, kind=base.kind)


@functools.lru_cache(maxsize=2)
def _pretrained_weights(name: str):
    """The pretrained backbone's weights, read from disk once per process and shared."""
    return load_backbone(name).get_weights()


def make_model(backbone: str, num_classes: int, flags: dict, *, scratch: bool = False,
               frozen_bn_training: bool = False):
    """A fresh classifier: the backbone (pretrained, or random for `scratch`) + a new head,
    with `trainable` set per stage. Compile it after this (trainable is read at compile time)."""
    stages = BACKBONE_STAGES[backbone]
    if backbone == "resnet20":
        net = build_resnet20()
        if not scratch:
            net.set_weights(_pretrained_weights("resnet20"))
    else:
        import keras

        net = keras.applications.ResNet50(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3))
        if not scratch:
            net.set_weights(_pretrained_weights("resnet50"))
    model = build_classifier(net, num_classes)
    set_trainable(model, flags, stages)
    set_frozen_bn_training(model, frozen_bn_training)
    return model


def backbone_frozen(flags: dict, backbone: str = "resnet20") -> bool:
    return not any(flags.get(s, True) for s in BACKBONE_STAGES[backbone][:-1])


def features_dataset(backbone_model, ds, reporter=None, chunk: int = 1024):
    """The frozen backbone's outputs for every image, computed once: training the head on them
    gives the same model as training it on top of the frozen backbone, many times faster.
    `reporter.phase` hears the progress (images done / all images)."""
    from cnn_core import data
    from cnn_core.pipeline import make_dataset

    total, done = len(ds.x_train) + len(ds.x_test), 0
    message = msg("transfer.phase_features")

    def feats(x):
        nonlocal done
        parts = []
        for start in range(0, len(x), chunk):
            if reporter is not None:
                reporter.phase(message, done, total)
            idx = np.arange(start, min(start + chunk, len(x)))
            parts.append(backbone_model.predict(make_dataset(x, np.zeros(len(x), np.int64), 256, indices=idx),
                                                verbose=0))
            done += len(idx)
        return np.concatenate(parts).astype(np.float32)

    return data.Dataset(ds.name, feats(ds.x_train), ds.y_train, feats(ds.x_test), ds.y_test,
                        class_names=ds.class_names, source=ds.source, kind=ds.kind)


def head_only(model):
    """The classifier's head as its own model on the backbone's feature vector (shares weights)."""
    import keras

    head = model.get_layer("head_dense")
    inputs = keras.Input(shape=(head.input.shape[-1],), name="features")
    return keras.Model(inputs, head(inputs), name="head")


def backbone_of(model):
    import keras

    return keras.Model(model.input, model.get_layer("head_dense").input, name="backbone")


@dataclass(frozen=True)
class TransferRequest:
    """One transfer-learning run, as plain data (cnn_core.runner runs it like a TrainRequest).

    With every backbone stage frozen (and batch norm in inference mode) the head trains on
    features computed once (`feature_cache`); the learner still gets the whole classifier."""

    backbone: str  # "resnet20" or "resnet50"
    target: str  # a key of TARGETS
    flags: tuple  # (stage, trainable) pairs
    config: object  # cnn_core.training.TrainConfig
    source: str = "sample"  # which images of the target: "sample", "auto" or "full"
    scratch: bool = False  # random weights instead of the pretrained ones (the baseline)
    frozen_bn_training: bool = False  # the Keras guide's caveat, as a switch

    def __post_init__(self):
        if isinstance(self.flags, dict):
            object.__setattr__(self, "flags", tuple(self.flags.items()))
        if self.backbone not in BACKBONE_STAGES:
            raise UserError("transfer.unknown_backbone", value=self.backbone)
        if self.target not in TARGETS:
            raise UserError("transfer.unknown_target", value=self.target, choices=", ".join(TARGETS))
        self.config.validate()

    @property
    def feature_cache(self) -> bool:
        return backbone_frozen(dict(self.flags), self.backbone) and not self.frozen_bn_training and not self.scratch

    def images(self):
        """The target's images this run trains and is tested on (see runner.TrainRequest.images)."""
        ds = target_dataset(self.target, self.source)
        return _first(ds, self.config.max_train_images) if self.config.max_train_images else ds

    def prepare(self, reporter):
        from cnn_core import data
        from cnn_core.runner import Prepared

        base = "mnist" if self.target == "mnist" else "cifar10"
        data.load_dataset(base, self.source, progress=reporter.phase)  # the first time: with a progress bar
        ds = self.images()
        reporter.phase(msg("train.phase_building"))
        full = make_model(self.backbone, ds.num_classes, dict(self.flags), scratch=self.scratch,
                          frozen_bn_training=self.frozen_bn_training)
        if not self.feature_cache:
            return Prepared(ds, full)
        features = features_dataset(backbone_of(full), ds, reporter)
        return Prepared(features, head_only(full), keep=full, images=ds)


def _first(ds, n: int):
    """The first `n` training images of a dataset (all its test images): what a budget trains on,
    and all a feature cache needs to compute."""
    from cnn_core import data

    return data.Dataset(ds.name, ds.x_train[:n], ds.y_train[:n], ds.x_test, ds.y_test, class_names=ds.class_names,
                        source=ds.source, kind=ds.kind)


def describe_flags(flags: dict, scratch: bool = False, stages=RESNET20_STAGES):
    """A run's configuration in words (a Message): 'all frozen (head only)', 'frozen: stem, stage1', ..."""
    if scratch:
        return msg("transfer.flags_scratch")
    frozen = [s for s in stages[:-1] if not flags.get(s, True)]
    if not frozen:
        return msg("transfer.flags_unfrozen")
    if len(frozen) == len(stages) - 1:
        return msg("transfer.flags_frozen")
    return msg("transfer.flags_some", stages=", ".join(frozen))
