"""Inside the trained network, on one input the learner picks: the prediction, where the model
looked, every layer's output in order, the learned filters, one value's arithmetic on the real
weights, and the test images a channel answers most. The library side is cnn_core.inside."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cnn_core import imaging, inside, pictures
from cnn_core.messages import msg
from ui import charts, errors

TOP_SAMPLE = 2000  # test images searched for a channel's favourites
CHANNELS_SHOWN = {"the first 16": 16, "the first 32": 32, "all": None}
SOURCES = ("A test image", "One of its mistakes", "The digit you drew", "An upload")


def choose_mistake(key: str, index: int) -> None:
    """The mistakes gallery's "Look inside" button: that image, in the Inside tab."""
    st.session_state[f"{key}_source"] = "One of its mistakes"
    st.session_state[f"{key}_mistake"] = int(index)


def remember_drawing(key: str, digit) -> None:
    st.session_state[f"{key}_drawn"] = digit


def render(model, ds, res: dict, key: str) -> None:
    if model is None:
        st.info(str(msg("inside.model_freed")))
        return
    image, caption = _pick_input(ds, res, key)
    if image is None:
        return
    with errors.shown():
        views = inside.trace(model, image)
        _prediction(views, ds, image, caption, key)
        _where_it_looked(model, ds, image, views, key)
        st.divider()
        _layers(views, key)
        st.divider()
        _filters(model, image, views, key)
        st.divider()
        _channel_favourites(model, ds, views, key)


# ---------------------------------------------------------------- the input
def _pick_input(ds, res: dict, key: str):
    sources = [s for s in SOURCES if s != "The digit you drew" or f"{key}_drawn" in st.session_state]
    if st.session_state.get(f"{key}_source") not in sources:
        st.session_state[f"{key}_source"] = sources[0]
    source = st.radio("Look inside with", sources, horizontal=True, key=f"{key}_source")
    if source == "A test image":
        n = len(ds.x_test)
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        i = c1.number_input(f"Test image (0 to {n - 1:,})", 0, n - 1, value=0, key=f"{key}_index")
        c2.button("A random one", key=f"{key}_random", on_click=_random_index, args=(key, n))
        return ds.x_test[int(i)], f"test image {int(i):,}: a {ds.class_names[ds.y_test[int(i)]]}"
    if source == "One of its mistakes":
        wrong = [int(i) for i in res["wrong"]]
        if not wrong:
            st.success("No mistakes on the test set to look at.")
            return None, ""
        if st.session_state.get(f"{key}_mistake") not in wrong:
            st.session_state[f"{key}_mistake"] = wrong[0]
        i = st.selectbox("Mistake", wrong, key=f"{key}_mistake", format_func=lambda j: (
            f"test image {j:,}: a {ds.class_names[ds.y_test[j]]} read as {ds.class_names[res['predictions'][j]]}"))
        return ds.x_test[i], f"test image {i:,}: a {ds.class_names[ds.y_test[i]]}"
    if source == "The digit you drew":
        return st.session_state[f"{key}_drawn"], "the digit you drew"
    up = st.file_uploader("An image (PNG or JPEG)", key=f"{key}_upload")
    if up is None:
        st.caption(str(msg("inside.no_image")))
        return None, ""
    with errors.shown():
        return imaging.image_from_upload(up.getvalue(), ds.input_shape), "your upload, as the model sees it"
    return None, ""


def _random_index(key: str, n: int) -> None:
    st.session_state[f"{key}_index"] = int(np.random.default_rng().integers(n))


# ---------------------------------------------------------------- prediction and heatmap
def _prediction(views, ds, image, caption: str, key: str) -> None:
    probs = views[-1].values
    c1, c2 = st.columns([1, 3])
    c1.image(pictures.enlarge(image, 140), caption=caption, clamp=True)
    c2.markdown(f"Prediction: **{ds.class_names[int(probs.argmax())]}** ({probs.max():.0%})")
    c2.plotly_chart(charts.probabilities_figure(probs, ds.class_names), width="stretch", key=f"{key}_probs")


def _where_it_looked(model, ds, image, views, key: str) -> None:
    st.markdown("#### Where did the model look?")
    predicted = int(views[-1].values.argmax())
    c = st.selectbox("For the class", range(len(ds.class_names)), index=predicted, key=f"{key}_cam_class",
                     format_func=lambda j: ds.class_names[j] + (" (its prediction)" if j == predicted else ""))
    heat = inside.grad_cam(model, image, c)
    big = inside.upsample(heat.values, image.shape[:2])
    c1, c2 = st.columns([1, 2])
    c1.image(pictures.enlarge(pictures.overlay(image, big), 224), clamp=True,
             caption=f"{heat.method} for '{ds.class_names[c]}'")
    if heat.method == "grad-cam":
        h, w = heat.values.shape
        c2.markdown(f"Grad-CAM on **{heat.layer}** ({h}x{w}): each of its channels weighted by how much "
                    f"the score for '{ds.class_names[c]}' rises with it, summed, and the negative parts "
                    "dropped; stretched to the image's size. Yellow is where the evidence for this class is.")
    else:
        c2.markdown("This model has no convolution, so this is a saliency map: how much the score for "
                    f"'{ds.class_names[c]}' changes with each pixel.")
    c2.caption("Look for: does the heat sit on the object (the strokes of a digit) or on the background? "
               "Pick another class to see what speaks for it.")


# ---------------------------------------------------------------- every layer
def _layers(views, key: str) -> None:
    st.markdown("#### Every layer, in order")
    shown = CHANNELS_SHOWN[st.radio("Feature maps per layer", list(CHANNELS_SHOWN), horizontal=True,
                                    key=f"{key}_channels")]
    st.caption("Each small map is one channel, scaled to its own range (white = its highest value). "
               "Look for: early layers keep the shape of the input; deeper ones are smaller, with more "
               "channels, each answering a pattern somewhere in the image.")
    for n, view in enumerate(views, start=1):
        title = f"**{n}. {view.name}** · {view.kind} · {' x '.join(map(str, view.shape))} · {view.params:,} parameters"
        if view.spatial:
            c = view.shape[2]
            k = c if shown is None else min(shown, c)
            st.markdown(title)
            st.image(pictures.tiles(view.values[:, :, :k], columns=16 if k > 16 else 8),
                     caption=f"channels 1-{k} of {c}; values from {view.values.min():.2f} to {view.values.max():.2f}")
        elif n == len(views):
            st.markdown(title + " · the probabilities")
        else:
            st.markdown(title)
            st.plotly_chart(charts.values_figure(view.values), width="stretch", key=f"{key}_bars_{n}")


# ---------------------------------------------------------------- filters and one value
def _filters(model, image, views, key: str) -> None:
    names = inside.conv_layer_names(model)
    if not names:
        st.caption("This model has no convolution, so it has no filters to show.")
        return
    st.markdown("#### The learned filters")
    first = names[0]
    kernel, _ = inside.filters(model, first)
    colour = kernel.shape[2] == 3
    st.caption(f"The {kernel.shape[3]} filters of **{first}**, the weights training found "
               f"({kernel.shape[0]}x{kernel.shape[1]}" + (", in colour: what colour and edge each looks for)."
                                                         if colour else "; light = positive weight)."))
    images = pictures.filter_images(kernel)
    for start in range(0, len(images), 16):
        cols = st.columns(16)
        for j, img in enumerate(images[start:start + 16]):
            cols[j].image(img, caption=str(start + j + 1), clamp=True)

    st.markdown("#### One value of a feature map, computed by hand")
    by_name = {v.name: v for v in views}
    c1, c2, c3, c4 = st.columns(4)
    layer = c1.selectbox("Layer", names, key=f"{key}_arith_layer")
    h, w, n = by_name[layer].shape
    channel = c2.number_input(f"Filter (1 to {n})", 1, n, value=1, key=f"{key}_arith_channel") - 1
    row = c3.number_input(f"Row (0 to {h - 1})", 0, h - 1, value=h // 2, key=f"{key}_arith_row")
    col = c4.number_input(f"Column (0 to {w - 1})", 0, w - 1, value=w // 2, key=f"{key}_arith_col")
    arith = inside.window_arithmetic(model, layer, image, int(channel), int(row), int(col))
    k, _, cin = arith.weights.shape
    left, right = st.columns([1, 2])
    left.image(pictures.tiles(by_name[layer].values[:, :, int(channel):int(channel) + 1], min_side=160),
               caption=f"the feature map of filter {int(channel) + 1} ({h}x{w})")
    with right:
        shown_in = range(min(cin, 3))
        for c in shown_in:
            st.caption(f"input channel {c + 1} of {cin}: window values, the filter's weights, their products")
            a, b, p = st.columns(3)
            a.dataframe(_grid(arith.window[:, :, c]), hide_index=True)
            b.dataframe(_grid(arith.weights[:, :, c]), hide_index=True)
            p.dataframe(_grid(arith.products[:, :, c]), hide_index=True)
        if cin > 3:
            st.caption(f"... and {cin - 3} more input channels: this filter has {k}x{k}x{cin} = {k * k * cin:,} weights.")
    st.markdown(f"Sum of all {arith.products.size:,} products **{arith.products.sum():.4f}** + bias "
                f"**{arith.bias:.4f}** = **{arith.total:.4f}**; after {arith.activation}: **{arith.value:.4f}**. "
                f"The network computed **{by_name[layer].values[int(row), int(col), int(channel)]:.4f}** there: "
                "the convolution lab's arithmetic, on the weights training learned.")


def _grid(values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(np.round(values, 3), columns=[str(i) for i in range(values.shape[1])])


# ---------------------------------------------------------------- a channel's favourite images
def _channel_favourites(model, ds, views, key: str) -> None:
    st.markdown("#### What does a channel respond to?")
    spatial = [v for v in views if v.spatial]
    if not spatial:
        return
    c1, c2 = st.columns(2)
    layer = c1.selectbox("Layer", [v.name for v in spatial], key=f"{key}_top_layer")
    n = next(v for v in spatial if v.name == layer).shape[2]
    channel = c2.number_input(f"Channel (1 to {n})", 1, n, value=1, key=f"{key}_top_channel") - 1
    sample = ds.x_test[:TOP_SAMPLE]
    with st.spinner(f"Running {len(sample):,} test images through the network once ..."):
        top = inside.top_images(model, layer, sample)
    cols = st.columns(inside.TOP_K)
    for j, i in enumerate(top[int(channel)]):
        cols[j].image(pictures.enlarge(sample[i], 96), caption=ds.class_names[ds.y_test[i]], clamp=True)
    st.caption(f"The {inside.TOP_K} of the first {len(sample):,} test images with the highest mean value in "
               f"channel {int(channel) + 1} of {layer}, strongest first. Look for what they share: a stroke "
               "direction, a colour, a texture. Deeper layers answer larger, more specific patterns.")


# ---------------------------------------------------------------- live, while it trains
def first_layer_live(watched) -> None:
    """The first convolution's filters and one test image's maps as they are now (a
    cnn_core.metrics.Watched, redrawn by the job panel's live view)."""
    st.markdown(f"**{watched.layer} after {watched.step:,} batches**: its filters, and what they make of one test image")
    filters = pictures.filter_images(watched.kernel, min_side=32)
    cols = st.container(key="watched_filters").columns(16)
    for j, img in enumerate(filters[:32]):
        cols[j % 16].image(img, clamp=True)
    c1, c2 = st.columns([1, 5])
    c1.image(pictures.enlarge(watched.image, 96), clamp=True, caption="the test image")
    c2.image(pictures.tiles(watched.maps[:, :, :32], columns=16, min_side=40),
             caption="its feature maps, one per filter (each scaled to its own range)")
    st.caption("Look for: at the start the filters are random noise and the maps blur the digit; within "
               "a few hundred batches the filters turn into edge and stroke detectors, and each map lights "
               "up one kind of edge.")


# ---------------------------------------------------------------- two models, one input
def side_by_side(models: dict, ds, key: str) -> None:
    """The same test image through models that differ in one thing (max against average
    pooling): each layer's output next to the other's, the predictions on top."""
    models = {label: m for label, m in models.items() if m is not None}
    if len(models) < 2:
        st.info(str(msg("inside.model_freed")))
        return
    n = len(ds.x_test)
    i = int(st.number_input(f"Test image (0 to {n - 1:,})", 0, n - 1, value=0, key=f"{key}_index"))
    image = ds.x_test[i]
    with errors.shown():
        traces = {label: inside.trace(m, image) for label, m in models.items()}
        cols = st.columns([1] + [2] * len(traces))
        cols[0].image(pictures.enlarge(image, 140), caption=f"a {ds.class_names[ds.y_test[i]]}", clamp=True)
        for col, (label, views) in zip(cols[1:], traces.items(), strict=True):
            probs = views[-1].values
            col.markdown(f"**{label}**: {ds.class_names[int(probs.argmax())]} ({probs.max():.0%})")
        st.caption("Look for: after max pooling the strongest responses survive (sharp, bright spots); "
                   "after average pooling they are spread out and dimmer. Layers before the first pooling "
                   "are identical: same weights at the start, same data, only the pooling differs.")
        for n_layer, layer_views in enumerate(zip(*traces.values(), strict=True), start=1):
            if not layer_views[0].spatial:
                continue
            st.markdown(f"**{n_layer}.** " + " | ".join(f"{v.name} · {v.kind} · {' x '.join(map(str, v.shape))}"
                                                           for v in layer_views))
            cols = st.columns(len(layer_views))
            for col, view in zip(cols, layer_views, strict=True):
                k = min(16, view.shape[2])
                col.image(pictures.tiles(view.values[:, :, :k], columns=8), clamp=True,
                          caption=f"channels 1-{k} of {view.shape[2]}")
