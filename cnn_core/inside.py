"""Inside a trained network, for one input: every layer's output, the learned filters, one
window's arithmetic on the real weights, the test images that excite a channel most, and where
the model looked (Grad-CAM).

    from cnn_core import inside
    views = inside.trace(model, image)                  # one LayerView per layer, in order
    kernel, bias = inside.filters(model, "layer1_conv")  # layer.kernel exactly: (k, k, C_in, N)
    inside.window_arithmetic(model, "layer1_conv", image, channel=3, row=5, col=7)
    inside.top_images(model, "layer1_conv", test_images)  # per channel: the 9 images it answers most
    inside.grad_cam(model, image)                       # (h, w) >= 0 at the last convolution's size

Images are uint8 (H, W, C) as the datasets hold them. Keras is imported when these are used; the
pages that do not train never import this module.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from cnn_core import conv
from cnn_core import data as data_mod
from cnn_core.i18n import ngettext
from cnn_core.messages import Message, UserError, msg

TOP_K = 9
PICKER_CHANNELS = 32  # maps in the clickable grid (more when the picked filter is further on)


@dataclass(frozen=True)
class LayerView:
    """One layer's output for one input."""

    name: str
    kind: str  # the Keras class: Conv2D, MaxPooling2D, Dense, ...
    shape: tuple  # without the batch axis
    params: int
    values: np.ndarray  # float32, `shape`

    @property
    def spatial(self) -> bool:
        """A feature map (height x width x channels) rather than a vector."""
        return len(self.shape) == 3

    @property
    def details(self) -> str:
        """'Conv2D · 13 x 13 x 32 · 544 parameters' (in the reader's language)."""
        text = ngettext("{kind} · {shape} · {n:,} parameter", "{kind} · {shape} · {n:,} parameters", self.params)
        return text.format(kind=self.kind, shape=" x ".join(map(str, self.shape)), n=self.params)

    def first_channels(self, limit: int | None):
        """The first `limit` channels' maps (all when None) and the caption that says so."""
        c = self.shape[2]
        k = c if limit is None else min(limit, c)
        return self.values[:, :, :k], msg("inside.channels", k=k, c=c, low=float(self.values.min()),
                                          high=float(self.values.max()))


def spatial_rows(traces: dict) -> list[tuple[int, tuple]]:
    """Models of one architecture traced on one input: (position, one view per model) for every
    layer with feature maps, so their outputs can be drawn side by side."""
    rows = zip(*traces.values(), strict=True)
    return [(n, views) for n, views in enumerate(rows, start=1) if views[0].spatial]


@dataclass(frozen=True)
class WindowArithmetic:
    """How one feature-map value came out of the layer's input: window x weights, summed, + bias,
    then the layer's activation."""

    window: np.ndarray  # (k, k, C_in) of the (padded) input
    weights: np.ndarray  # (k, k, C_in): the chosen filter
    products: np.ndarray  # window * weights
    bias: float
    total: float  # products.sum() + bias
    activation: str
    value: float  # activation(total): the feature map's value there
    corner: tuple[int, int]  # the window's top-left in padded input coordinates

    def channel_part(self, channel: int) -> float:
        """What one input channel's products add to the sum."""
        return float(self.products[:, :, channel].sum())

    def sentence(self, network_value: float) -> Message:
        """The sum written out, next to the value the network itself computed there."""
        return msg("inside.arithmetic", n=self.products.size, products=float(self.products.sum()), bias=self.bias,
                   total=self.total, activation=self.activation, value=self.value, network=float(network_value))


@dataclass(frozen=True)
class Heatmap:
    """Where the model looked for `class_index`: `values` >= 0 at `layer`'s spatial size."""

    values: np.ndarray
    layer: str  # the layer it was computed on, or "input" for a saliency map
    method: str  # "grad-cam" or "saliency"
    class_index: int

    def explanation(self, class_name: str) -> Message:
        if self.method == "saliency":
            return msg("inside.saliency", cls=class_name)
        h, w = self.values.shape
        return msg("inside.grad_cam", layer=self.layer, h=h, w=w, cls=class_name)


_PROBES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> its every-layer model
_TOP: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> {(layer, images): result}
_LAYER_INPUTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> {layer name: model to its input}


def as_batch(image: np.ndarray) -> np.ndarray:
    """One uint8 image (H, W[, C]) as the float batch of one the models read."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[:, :, None]
    return data_mod.to_float(image[None])


def shown_layers(model) -> list:
    """The model's layers in order, without its input."""
    return [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]


def _probe(model):
    """A model with the same input whose outputs are every layer's output (built once per model;
    it holds the layers, not the model, so it goes when the model does)."""
    probe = _PROBES.get(model)
    if probe is None:
        import keras

        probe = keras.Model(model.input, [layer.output for layer in shown_layers(model)])
        _PROBES[model] = probe
    return probe


def _input_of(model, layer):
    """A model from `model`'s input to what `layer` reads, built once per model and layer (a
    learner clicking through values reruns the page each time)."""
    per_layer = _LAYER_INPUTS.setdefault(model, {})
    if layer.name not in per_layer:
        import keras

        per_layer[layer.name] = keras.Model(model.input, layer.input)
    return per_layer[layer.name]


def trace(model, image: np.ndarray) -> list[LayerView]:
    """Every layer's output for `image`, in the model's order: one forward pass."""
    _check_input(model, image)
    outputs = _probe(model)(as_batch(image), training=False)
    views = []
    for layer, out in zip(shown_layers(model), outputs, strict=True):
        values = np.asarray(out)[0]
        views.append(LayerView(layer.name, type(layer).__name__, tuple(values.shape), layer.count_params(), values))
    return views


def _check_input(model, image: np.ndarray) -> None:
    want = tuple(model.inputs[0].shape[1:])
    got = np.asarray(image).shape
    got = got + (1,) if len(got) == 2 else got
    if tuple(got) != want:
        raise UserError("inside.input_shape", got="x".join(map(str, got)), want="x".join(map(str, want)))


def picker_maps(maps: np.ndarray, channel: int, limit: int = PICKER_CHANNELS) -> np.ndarray:
    """The maps a picker shows: the first `limit` channels, or up to the picked one if it is further on."""
    return maps[:, :, :max(channel + 1, min(maps.shape[2], limit))]


def conv_layer_names(model) -> list[str]:
    return [layer.name for layer in shown_layers(model) if type(layer).__name__ == "Conv2D"]


def _conv_layer(model, name: str):
    try:
        layer = model.get_layer(name)
    except ValueError:
        raise UserError("inside.no_layer", name=name) from None
    if type(layer).__name__ != "Conv2D":
        raise UserError("inside.not_conv", name=name)
    return layer


def filters(model, layer_name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The layer's learned kernel (k, k, C_in, N) and bias (N,) or None: its weights, unchanged."""
    layer = _conv_layer(model, layer_name)
    bias = np.asarray(layer.bias) if layer.use_bias else None
    return np.asarray(layer.kernel), bias


def filters_caption(model, layer_name: str) -> Message:
    kernel, _ = filters(model, layer_name)
    kind = "inside.filters_colour" if kernel.shape[2] == 3 else "inside.filters_grey"
    return msg(kind, n=kernel.shape[3], layer=layer_name, k=kernel.shape[0])


def window_arithmetic(model, layer_name: str, image: np.ndarray, channel: int, row: int, col: int) -> WindowArithmetic:
    """The products and sum behind `layer_name`'s output at (row, col, channel) for `image`."""
    import keras

    layer = _conv_layer(model, layer_name)
    _check_input(model, image)
    kernel, bias = filters(model, layer_name)
    layer_input = np.asarray(_input_of(model, layer)(as_batch(image), training=False))[0]
    k, stride, padding = kernel.shape[0], layer.strides[0], layer.padding
    out_h, out_w = (int(s) for s in layer.output.shape[1:3])
    if not (0 <= channel < kernel.shape[3] and 0 <= row < out_h and 0 <= col < out_w):
        raise UserError("inside.no_position", row=row, col=col, channel=channel, h=out_h, w=out_w, n=kernel.shape[3])
    window, r0, c0 = conv.window(layer_input, k, stride, padding, row, col)
    weights = kernel[:, :, :, channel]
    products = window.astype(np.float64) * weights.astype(np.float64)
    b = float(bias[channel]) if bias is not None else 0.0
    total = float(products.sum()) + b
    activation = keras.activations.serialize(layer.activation)
    activation = activation if isinstance(activation, str) else activation.get("config", {}).get("name", "linear")
    value = float(np.asarray(layer.activation(np.array([total], dtype=np.float32)))[0])
    return WindowArithmetic(window, weights, products, b, total, activation, value, (r0, c0))


def top_images(model, layer_name: str, images: np.ndarray, k: int = TOP_K, batch: int = 256) -> np.ndarray:
    """(channels, k) indices into `images`: for each channel of `layer_name`, the images with the
    highest mean activation, strongest first. Computed once per model, layer and image set."""
    import keras

    cache = _TOP.setdefault(model, {})
    key = (layer_name, images.__array_interface__["data"][0], images.shape)  # the same pixels, even through a new slice
    if key in cache:
        return cache[key]
    try:
        layer = model.get_layer(layer_name)
    except ValueError:
        raise UserError("inside.no_layer", name=layer_name) from None
    if len(layer.output.shape) != 4:
        raise UserError("inside.not_spatial", name=layer_name)
    probe = keras.Model(model.input, layer.output)
    means = np.concatenate([
        np.asarray(probe(data_mod.to_float(images[i:i + batch]), training=False)).mean(axis=(1, 2))
        for i in range(0, len(images), batch)])  # (N, channels)
    order = np.argsort(-means, axis=0, kind="stable")[:k].T  # (channels, k)
    cache[key] = order
    return order


def grad_cam_layer(model) -> str | None:
    """The last convolution's output after what keeps its size (its batch norm, activation, a
    residual block's add): the deepest map that still has a place for every value. None when the
    model has no convolution."""
    layers = shown_layers(model)
    last_conv = max((i for i, layer in enumerate(layers) if type(layer).__name__ == "Conv2D"), default=None)
    if last_conv is None:
        return None
    size = tuple(layers[last_conv].output.shape[1:3])
    chosen = last_conv
    for i in range(last_conv + 1, len(layers)):
        shape = layers[i].output.shape
        if len(shape) != 4 or tuple(shape[1:3]) != size:
            break
        chosen = i
    return layers[chosen].name


def _logit_input(model):
    """What the classifier turns into class scores, where it is Dense + softmax (else None)."""
    last = model.layers[-1]
    if type(last).__name__ == "Dense" and getattr(last.activation, "__name__", "") == "softmax":
        return last.input
    return None


def grad_cam(model, image: np.ndarray, class_index: int | None = None) -> Heatmap:
    """Grad-CAM (Selvaraju et al. 2017) for `class_index` (default: the predicted class): the last
    convolution's channels weighted by the mean gradient of the class score over each, summed,
    negatives dropped. A model without convolutions gets a saliency map (|d score / d pixel|)."""
    import keras
    import tensorflow as tf

    _check_input(model, image)
    x = tf.constant(as_batch(image))
    logits_from = _logit_input(model)
    layer_name = grad_cam_layer(model)
    if layer_name is None:
        return _saliency(model, x, class_index)
    outputs = [model.get_layer(layer_name).output, model.output] + ([logits_from] if logits_from is not None else [])
    probe = keras.Model(model.input, outputs)
    with tf.GradientTape() as tape:
        maps, probs, *features = probe(x, training=False)
        tape.watch(maps)
        c = int(np.argmax(probs[0])) if class_index is None else int(class_index)
        if features:  # the score before the softmax: a confident softmax has almost no gradient
            classifier = model.layers[-1]
            score = (features[0] @ classifier.kernel + classifier.bias)[:, c]
        else:
            score = probs[:, c]
    grads = tape.gradient(score, maps)[0]  # (h, w, channels)
    weights = tf.reduce_mean(grads, axis=(0, 1))
    cam = tf.nn.relu(tf.reduce_sum(maps[0] * weights, axis=-1))
    return Heatmap(np.asarray(cam, dtype=np.float32), layer_name, "grad-cam", c)


def _saliency(model, x, class_index: int | None) -> Heatmap:
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch(x)
        probs = model(x, training=False)
        c = int(np.argmax(probs[0])) if class_index is None else int(class_index)
        score = probs[:, c]
    grads = tape.gradient(score, x)[0]
    return Heatmap(np.asarray(tf.reduce_max(tf.abs(grads), axis=-1), dtype=np.float32), "input", "saliency", c)


def upsample(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A heatmap stretched (bilinear) to the input's height x width, for drawing over it."""
    from PIL import Image

    img = Image.fromarray(np.asarray(values, dtype=np.float32))  # float32: mode "F"
    return np.asarray(img.resize((size[1], size[0]), Image.BILINEAR), dtype=np.float32)
