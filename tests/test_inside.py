"""Inside the network against Keras itself: every layer's output, the filters, one window's
arithmetic, the channels' top images and Grad-CAM."""

import random

import numpy as np
import pytest
from test_layers import _random_stack

from cnn_core import data, inside, models, presets, transfer
from cnn_core import spec as spec_mod
from cnn_core.messages import UserError


@pytest.fixture(scope="module")
def mnist():
    return data.load_dataset("mnist", "sample")


@pytest.fixture(scope="module")
def cifar():
    return data.load_dataset("cifar10", "sample")


def _keras_output(model, layer, image):
    import keras

    return np.asarray(keras.Model(model.input, layer.output)(data.to_float(image[None]), training=False))[0]


def _assert_trace_equals_keras(model, image):
    views = inside.trace(model, image)
    layers = inside.shown_layers(model)
    assert [v.name for v in views] == [layer.name for layer in layers]
    for view, layer in zip(views, layers, strict=True):
        expected = _keras_output(model, layer, image)
        assert view.shape == expected.shape and view.params == layer.count_params()
        np.testing.assert_allclose(view.values, expected, rtol=1e-5, atol=1e-5, err_msg=layer.name)
    np.testing.assert_allclose(views[-1].values.sum(), 1.0, rtol=1e-5)  # the softmax: probabilities


@pytest.mark.parametrize("name", sorted(spec_mod.PRESETS) + sorted(presets.TRAIN_PRESETS))
def test_every_layer_drawn_for_a_preset_equals_keras(name, mnist, cifar):
    if name in presets.TRAIN_PRESETS:
        preset = presets.TRAIN_PRESETS[name]
        spec, ds = preset.spec, cifar if preset.config.dataset == "cifar10" else mnist
    else:
        spec, ds = spec_mod.PRESETS[name], cifar if "ResNet" in name or "CIFAR" in name else mnist
    model = models.build_cnn(spec, ds.x_test.shape[1:], 10, seed=0)
    _assert_trace_equals_keras(model, ds.x_test[3])


@pytest.mark.parametrize("seed", range(8))
def test_every_layer_drawn_for_a_random_builder_stack_equals_keras(seed, mnist):
    spec = _random_stack(random.Random(500 + seed))
    try:
        model = models.build_cnn(spec, (28, 28, 1), 10, seed=seed)
    except ValueError:
        pytest.skip("impossible by construction")
    _assert_trace_equals_keras(model, mnist.x_test[seed])


def test_every_layer_drawn_for_the_pretrained_resnet20_equals_keras(cifar):
    model = transfer.load_pretrained()
    _assert_trace_equals_keras(model, cifar.x_test[0])


def test_the_filters_drawn_are_the_layers_kernel_exactly():
    model = models.build_cnn(presets.TRAIN_PRESETS["fast CIFAR-10"].spec, (32, 32, 3), 10, seed=0)
    for name in inside.conv_layer_names(model):
        kernel, bias = inside.filters(model, name)
        layer = model.get_layer(name)
        np.testing.assert_array_equal(kernel, layer.kernel.numpy())
        assert (bias is None) == (not layer.use_bias)
        if bias is not None:
            np.testing.assert_array_equal(bias, layer.bias.numpy())


@pytest.mark.parametrize("spec,shape", [
    ([{"type": "conv", "filters": 8, "kernel": 3, "activation": "relu"}], (28, 28, 1)),
    ([{"type": "conv", "filters": 8, "kernel": 4, "stride": 2, "padding": "same", "activation": "tanh"},
      {"type": "conv", "filters": 5, "kernel": 3, "stride": 2, "padding": "same", "bias": False}], (32, 32, 3)),
])
def test_one_windows_products_and_sum_give_the_feature_maps_value(spec, shape, mnist, cifar):
    image = (cifar if shape[-1] == 3 else mnist).x_test[7]
    model = models.build_cnn(spec, shape, 10, seed=3)
    views = {v.name: v for v in inside.trace(model, image)}
    for name in inside.conv_layer_names(model):
        h, w, n = views[name].shape
        for row, col, channel in [(0, 0, 0), (h // 2, w // 3, n - 1), (h - 1, w - 1, 1)]:
            arith = inside.window_arithmetic(model, name, image, channel, row, col)
            assert arith.products.shape == arith.window.shape == arith.weights.shape
            np.testing.assert_allclose(arith.total, arith.products.sum() + arith.bias)
            np.testing.assert_allclose(arith.value, views[name].values[row, col, channel], rtol=1e-4, atol=1e-5)
    with pytest.raises(UserError, match="There is no output at row 99"):
        inside.window_arithmetic(model, inside.conv_layer_names(model)[0], image, 0, 99, 0)


def test_top_images_are_the_ones_a_channel_answers_most_and_are_computed_once(mnist):
    model = models.build_cnn(spec_mod.PRESETS["Tiny"], (28, 28, 1), 10, seed=0)
    name = inside.conv_layer_names(model)[0]
    images = mnist.x_test[:600]
    top = inside.top_images(model, name, images)
    channels = model.get_layer(name).output.shape[-1]
    assert top.shape == (channels, inside.TOP_K)
    means = _keras_mean_activations(model, name, images)
    for c in range(channels):
        assert np.all(np.diff(means[top[c], c]) <= 1e-6)  # strongest first
        assert means[top[c][-1], c] >= np.sort(means[:, c])[-inside.TOP_K] - 1e-6  # and none stronger left out
    assert inside.top_images(model, name, images) is top  # once per model, layer and image set


def _keras_mean_activations(model, name, images):
    import keras

    out = keras.Model(model.input, model.get_layer(name).output)(data.to_float(images), training=False)
    return np.asarray(out).mean(axis=(1, 2))


def test_grad_cam_has_the_last_convolutions_size_and_is_never_negative(cifar):
    model = models.build_cnn(presets.TRAIN_PRESETS["fast CIFAR-10"].spec, (32, 32, 3), 10, seed=0)
    cam = inside.grad_cam(model, cifar.x_test[1], class_index=4)
    layer = model.get_layer(cam.layer)
    assert cam.method == "grad-cam" and cam.class_index == 4
    assert cam.values.shape == tuple(layer.output.shape[1:3]) and np.all(cam.values >= 0)
    last_conv = inside.conv_layer_names(model)[-1]
    assert tuple(model.get_layer(last_conv).output.shape[1:3]) == cam.values.shape
    assert inside.upsample(cam.values, (32, 32)).shape == (32, 32)


def test_a_model_without_convolutions_gets_a_saliency_map(mnist):
    model = models.build_cnn([{"type": "flatten"}, {"type": "dense", "units": 16}], (28, 28, 1), 10, seed=0)
    cam = inside.grad_cam(model, mnist.x_test[0])
    assert cam.method == "saliency" and cam.values.shape == (28, 28) and np.all(cam.values >= 0)
    assert cam.values.max() > 0


def test_impossible_requests_are_sentences(mnist, cifar):
    model = models.build_cnn(spec_mod.PRESETS["Tiny"], (28, 28, 1), 10, seed=0)
    with pytest.raises(UserError, match="reads 28x28x1 images; the chosen image is 32x32x3"):
        inside.trace(model, cifar.x_test[0])
    with pytest.raises(UserError, match="not a convolution"):
        inside.filters(model, "classifier")
    with pytest.raises(UserError, match="no layer named"):
        inside.filters(model, "nope")
    with pytest.raises(UserError, match="gives a vector"):
        inside.top_images(model, "classifier", mnist.x_test[:10])


def test_the_live_view_copies_the_first_layer_out_as_it_trains(mnist):
    import keras

    from cnn_core import metrics, runner, training

    seen = []

    class Buffer(metrics.MetricsBuffer):
        def watch(self, watched):
            seen.append(watched)
            super().watch(watched)

    buffer = Buffer()
    cfg = training.TrainConfig(dataset="mnist", source="sample", epochs=2, batch_size=128, max_train_images=1280,
                               learning_rate=3e-3, watch=True)
    outcome = runner.run(runner.TrainRequest(spec_mod.PRESETS["Tiny"], cfg), buffer)
    first, last = seen[0], seen[-1]
    assert first.step == 0 and last.step == buffer.trained_batches > 0  # the untrained filters, then the learned ones
    conv = outcome.model.get_layer(last.layer)
    np.testing.assert_array_equal(last.kernel, conv.kernel.numpy())
    assert not np.allclose(first.kernel, last.kernel)
    image = mnist.x_test[runner.WATCHED_IMAGE]
    np.testing.assert_array_equal(last.image, image)
    expected = keras.Model(outcome.model.input, conv.output)(data.to_float(image[None]), training=False)
    np.testing.assert_allclose(last.maps, np.asarray(expected)[0], rtol=1e-5, atol=1e-6)
    assert buffer.snapshot("finished").watched is last
    quiet = metrics.MetricsBuffer()
    runner.run(runner.TrainRequest(spec_mod.PRESETS["Tiny"], training.TrainConfig(**{**cfg.__dict__, "watch": False})), quiet)
    assert quiet.snapshot("finished").watched is None  # off unless asked for


def test_pictures_keep_every_channel_and_the_heat_on_top():
    from cnn_core import pictures

    maps = np.random.default_rng(0).normal(size=(7, 7, 20))
    grid = pictures.tiles(maps, columns=8, min_side=14)
    assert grid.dtype == np.uint8 and grid.shape == (3 * 14 + 2 * pictures.GAP, 8 * 14 + 7 * pictures.GAP)
    tile = grid[:14, :14]
    assert tile.min() == 0 and tile.max() == 255  # each channel uses its whole range
    kernel = np.random.default_rng(1).normal(size=(3, 3, 3, 4))
    imgs = pictures.filter_images(kernel, min_side=9)
    assert len(imgs) == 4 and imgs[0].shape == (9, 9, 3)  # RGB filters in colour
    assert pictures.filter_images(kernel[:, :, :1], min_side=9)[0].shape == (9, 9)  # grey for one channel
    image = np.zeros((4, 4, 1), dtype=np.uint8)
    heat = np.zeros((4, 4))
    heat[1, 2] = 5.0
    over = pictures.overlay(image, heat)
    assert over.shape == (4, 4, 3) and tuple(over[1, 2]) != (0, 0, 0) and tuple(over[0, 0]) == (0, 0, 0)


def _occlusion_drops(model, images, share=0.2):
    """Mean fall of the predicted class's probability when the pixels Grad-CAM rates highest
    (top `share`) are blacked out, and when those it rates lowest are. Exactly `share` of the
    pixels each, ranked, ties in random order: a map is zero over much of the image, and a
    quantile's mask took every tied pixel (up to 70% of a digit's, strokes included)."""
    top, bottom = [], []
    rng = np.random.default_rng(0)
    for img in images:
        heat = inside.upsample(inside.grad_cam(model, img).values, img.shape[:2])
        probs = inside.trace(model, img)[-1].values
        c = int(probs.argmax())
        ranked = np.lexsort((rng.random(heat.size), heat.ravel()))  # lowest heat first
        n = int(share * heat.size)
        highest, lowest = np.zeros(heat.size, bool), np.zeros(heat.size, bool)
        highest[ranked[-n:]], lowest[ranked[:n]] = True, True
        for mask, out in ((highest.reshape(heat.shape), top), (lowest.reshape(heat.shape), bottom)):
            hidden = img.copy()
            hidden[mask] = 0
            out.append(probs[c] - inside.trace(model, hidden)[-1].values[c])
    return float(np.mean(top)), float(np.mean(bottom))


def test_grad_cam_points_at_what_the_trained_model_uses_and_the_untrained_one_at_nothing(mnist):
    """Faithfulness by occlusion: blacking out where Grad-CAM looks costs a trained model's
    prediction far more than blacking out what it ignores. An untrained model's answer does not
    depend on any of it. (Measured instead of the share of heat inside the digit's box: an
    untrained network's maps are zero on MNIST's black background too, so that share is as high
    before training as after.)"""
    from cnn_core import metrics, runner, training

    spec = [  # a small MNIST network: strided 4x4 convolution, batch norm, strided 3x3, dense
        {"type": "conv", "filters": 32, "kernel": 4, "stride": 2, "activation": "linear", "bias": False},
        {"type": "batchnorm"}, {"type": "activation", "activation": "relu"},
        {"type": "conv", "filters": 64, "kernel": 3, "stride": 2}, {"type": "flatten"},
        {"type": "dense", "units": 128}, {"type": "dropout", "rate": 0.3}]
    images = mnist.x_test[:40]
    untrained = models.build_cnn(spec, (28, 28, 1), 10, seed=0)
    top, _ = _occlusion_drops(untrained, images)
    assert abs(top) < 0.05
    cfg = training.TrainConfig(dataset="mnist", source="sample", epochs=3, batch_size=128, learning_rate=3e-3)
    trained = runner.run(runner.TrainRequest(spec, cfg), metrics.MetricsBuffer()).model
    top, bottom = _occlusion_drops(trained, images)
    assert top > 0.2 and top > 2 * bottom


def test_the_value_picker_shows_the_first_maps_or_up_to_the_picked_one():
    maps = np.zeros((5, 5, 64), dtype="float32")
    assert inside.picker_maps(maps, 3).shape[2] == inside.PICKER_CHANNELS
    assert inside.picker_maps(maps, 40).shape[2] == 41  # the picked filter is always in the grid
    assert inside.picker_maps(maps[:, :, :8], 2).shape[2] == 8
