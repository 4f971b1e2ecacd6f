"""Transfer learning: parameter counts against Keras for every toggle combination, frozen means
frozen, the feature cache equals the full path, the shipped weights are what they claim."""

import itertools

import numpy as np
import pytest

from cnn_core import data, executors, jobs, training, transfer

STAGES = transfer.RESNET20_STAGES


@pytest.fixture(scope="module")
def model():
    return transfer.build_classifier(transfer.build_resnet20(), 5)


def _keras_counts(m):
    trainable = sum(int(np.prod(w.shape)) for w in m.trainable_weights)
    return trainable, m.count_params() - trainable


@pytest.mark.parametrize("flags", [dict(zip(STAGES, bits, strict=True))
                                   for bits in itertools.product([False, True], repeat=len(STAGES))])
def test_param_counts_match_keras_for_every_toggle_and_total_is_constant(model, flags):
    transfer.set_trainable(model, flags)
    trainable, non_trainable, total = transfer.param_counts(model)
    assert (trainable, non_trainable) == _keras_counts(model)
    assert total == model.count_params() == 273_717
    table = transfer.stage_table(model)
    assert table["parameters"].sum() == total
    for stage, on in flags.items():
        row = table[table["stage"] == stage].iloc[0]
        assert (row["trainable"] > 0) == on  # a frozen stage trains nothing


def test_resnet20_shape_and_projection_shortcuts(model):
    names = [layer.name for layer in model.layers]
    assert sum(n.endswith("_add") for n in names) == 9  # 3 stages x 3 residual blocks
    assert [n for n in names if n.endswith("_proj")] == ["stage2_block1_proj", "stage3_block1_proj"]
    assert tuple(model.get_layer("stage3_block3_out").output.shape[1:]) == (8, 8, 64)


def _run(flags, **kw) -> jobs.Job:
    request = transfer.TransferRequest("resnet20", "cifar5_heldout", flags, _tiny_cfg(), **kw)
    job = jobs.Job(request).start(executors.LocalExecutor(1))
    assert job.wait(300) and job.state == "finished", job.error
    return job


def _tiny_cfg(**kw):
    return training.TrainConfig(dataset="cifar10", source="sample", epochs=1, max_train_images=256,
                                validation_fraction=0.0, batch_size=128, **kw)


@pytest.fixture
def random_backbone(monkeypatch):
    """Stand-in 'pretrained' weights so these tests do not depend on the shipped file."""
    weights = transfer.build_resnet20().get_weights()
    monkeypatch.setattr(transfer, "_pretrained_weights", lambda name: weights)
    return weights


def test_frozen_stages_do_not_change_and_trainable_ones_do(random_backbone):
    flags = {"stem": False, "stage1": False, "stage2": False, "stage3": True, "head": True}
    trained = _run(flags).model  # the whole classifier
    fresh = transfer.make_model("resnet20", 5, flags)
    for layer in trained.layers:
        if not layer.weights or layer.name.startswith("head"):
            continue
        before = fresh.get_layer(layer.name).get_weights()
        after = layer.get_weights()
        same = all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
        assert same == (transfer.stage_of(layer.name) != "stage3"), layer.name


def test_feature_cache_and_full_path_give_the_same_predictions(random_backbone):
    flags = {s: s == "head" for s in STAGES}
    job = _run(flags)
    assert job.request.feature_cache  # all frozen: the head trained on cached features
    full = job.model  # ... and the learner still gets the whole classifier
    ds = transfer.target_dataset("cifar5_heldout", "sample")
    x = ds.x_test[:64]
    via_full = training.predict_images(full, x)
    feats = transfer.backbone_of(full).predict(data.to_float(x), verbose=0)
    via_cache = np.asarray(transfer.head_only(full)(feats))
    np.testing.assert_allclose(via_full, via_cache, rtol=1e-4, atol=1e-5)
    assert job.result["confusion"].shape == (5, 5)
    full_accuracy = (training.predict_images(full, ds.x_test).argmax(axis=1) == ds.y_test).mean()
    assert job.result["accuracy"] == pytest.approx(full_accuracy, abs=1e-3)  # scored on features = on images


def test_bn_caveat_switch_changes_frozen_outputs(random_backbone):
    flags = {s: s == "head" for s in STAGES}
    m = transfer.make_model("resnet20", 5, flags)
    x = data.to_float(transfer.target_dataset("cifar5_heldout", "sample").x_test[:32])
    inference = np.asarray(m(x, training=False))
    transfer.set_frozen_bn_training(m, True)
    batch_stats = np.asarray(m(x, training=False))
    assert not np.allclose(inference, batch_stats)


def test_targets():
    held = transfer.target_dataset("cifar5_heldout", "sample")
    assert held.class_names == ["dog", "frog", "horse", "ship", "truck"]
    assert set(np.unique(held.y_train)) == set(range(5)) and held.x_train.shape[1:] == (32, 32, 3)
    digits = transfer.target_dataset("mnist", "sample")
    assert digits.x_train.shape[1:] == (32, 32, 3)
    assert np.array_equal(digits.x_train[0, 2:30, 2:30, 0], data.load_dataset("mnist", "sample").x_train[0, ..., 0])
    with pytest.raises(ValueError, match="Unknown target"):
        transfer.target_data("imagenet")


def test_resnet50_is_offered_with_a_reason_when_its_weights_are_missing(monkeypatch, tmp_path):
    import keras

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(ValueError, match="ImageNet weights"):
        transfer.load_backbone("resnet50")
    net = keras.applications.ResNet50(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3))
    m = transfer.build_classifier(net, 10)
    transfer.set_trainable(m, {s: s in ("conv5", "head") for s in transfer.RESNET50_STAGES}, transfer.RESNET50_STAGES)
    trainable, non_trainable, total = transfer.param_counts(m)
    assert total == m.count_params() and 0 < trainable < total


@pytest.mark.skipif(not transfer.WEIGHTS.exists(), reason="the pretrained weights are not built yet")
def test_shipped_weights_reach_their_recorded_accuracy():
    meta = transfer.metadata()
    assert transfer.WEIGHTS.stat().st_size <= 5e6
    assert meta["source_classes"] == ["airplane", "automobile", "bird", "cat", "deer"]
    model = transfer.load_pretrained()
    _, _, xv, yv, _ = transfer.source_data("sample")  # 1,000 test images of the five source classes
    pred = training.predict_images(model, xv).argmax(axis=1)
    assert (pred == yv).mean() >= meta["test_accuracy_source_classes"] - 0.03
