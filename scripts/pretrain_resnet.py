"""Pretrain the bundled ResNet-20 on five CIFAR-10 classes (airplane, automobile, bird, cat, deer).

    CNN_DATASETS_DIR=../shared/datasets python scripts/pretrain_resnet.py [--epochs 30] [--seed 0]

Writes cnn_core/assets/resnet20_cifar5.weights.h5 (backbone + 5-class head) and
cnn_core/assets/resnet20_cifar5.json (source classes, accuracy, epochs, seed, recipe, time).
Seeded; logs test accuracy on the five classes after each epoch. The transfer page then puts a new
head on this backbone for the five held-out classes (dog, frog, horse, ship, truck), all ten, or MNIST.
Recipe: SGD with Nesterov momentum, a one-cycle learning rate, weight decay, label smoothing,
flip-and-shift augmentation, batch 128.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from cnn_core import data, pipeline, transfer  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=transfer.ASSETS)
    args = ap.parse_args()
    if not data.full_available("cifar10"):
        sys.exit("Needs the full CIFAR-10: set CNN_DATASETS_DIR=../shared/datasets.")

    import keras
    from keras import callbacks

    from cnn_core.schedules import OneCycle

    keras.utils.set_random_seed(args.seed)
    xt, yt, xv, yv, names = transfer.source_data("full")
    print(f"source classes {names}: {len(xt):,} train, {len(xv):,} test images", flush=True)
    model = transfer.build_classifier(transfer.build_resnet20(), len(names))
    steps = -(-len(xt) // args.batch) * args.epochs
    model.compile(optimizer=keras.optimizers.SGD(OneCycle(args.lr, steps), momentum=0.9, nesterov=True,
                                                 weight_decay=5e-4),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1), metrics=["categorical_accuracy"])
    onehot = keras.utils.to_categorical
    train = pipeline.make_dataset(xt, onehot(yt, 5), args.batch, shuffle=True, augment=True, seed=args.seed)
    test = pipeline.make_dataset(xv, onehot(yv, 5), 500)
    log = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: print(
        f"epoch {e + 1}/{args.epochs}: loss {logs['loss']:.3f}, test accuracy {logs['val_categorical_accuracy']:.4f}, "
        f"{time.perf_counter() - t0:.0f} s", flush=True))
    t0 = time.perf_counter()
    model.fit(train, epochs=args.epochs, validation_data=test, verbose=0, callbacks=[log])
    seconds = time.perf_counter() - t0
    _, acc = model.evaluate(test, verbose=0)
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_weights(args.out / transfer.WEIGHTS.name)
    meta = {
        "architecture": "ResNet-20 (3x3 stem; 3 stages x 3 residual blocks, 16/32/64 filters; batch norm; "
                        "identity and 1x1 projection shortcuts; global average pooling) + Dense(5) head",
        "source_classes": names, "source_class_ids": list(transfer.SOURCE_CLASSES),
        "test_accuracy_source_classes": round(float(acc), 4),
        "test_images": len(xv), "train_images": len(xt), "epochs": args.epochs, "batch_size": args.batch,
        "seed": args.seed, "parameters": int(model.count_params()),
        "recipe": f"SGD nesterov momentum 0.9, one-cycle peak {args.lr}, weight decay 5e-4, label smoothing 0.1, "
                  "random flips and 3-pixel shifts",
        "train_seconds": round(seconds), "machine": f"{os.cpu_count()} CPU cores",
        "made_by": "scripts/pretrain_resnet.py",
    }
    (args.out / transfer.META.name).write_text(json.dumps(meta, indent=1) + "\n")
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
