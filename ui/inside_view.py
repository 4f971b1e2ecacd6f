"""Inside the trained network, on one input the learner picks: the prediction, where the model
looked, every layer's output in order, the learned filters, one value's arithmetic on the real
weights, and the test images a channel answers most. The library side is cnn_core.inside."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnn_core import data, i18n, imaging, inside, pictures
from cnn_core.i18n import N_, _
from cnn_core.messages import msg
from ui import charts, errors, inside_arithmetic

TOP_SAMPLE = 2000  # test images searched for a channel's favourites
# The radios' values (kept in session state), shown in the reader's language with `_`.
CHANNELS_SHOWN = {N_("the first 16"): 16, N_("the first 32"): 32, N_("all"): None}
SOURCES = (N_("A test image"), N_("One of its mistakes"), N_("The digit you drew"), N_("An upload"))


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
    source = st.radio(_("Look inside with"), sources, horizontal=True, key=f"{key}_source", format_func=i18n.now())
    if source == "A test image":
        n = len(ds.x_test)
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        i = int(c1.number_input(_("Test image (0 to {last:,})").format(last=n - 1), 0, n - 1, value=0,
                                key=f"{key}_index"))
        c2.button(_("A random one"), key=f"{key}_random", on_click=_random_index, args=(key, n))
        return ds.x_test[i], _test_image(ds, i)
    if source == "One of its mistakes":
        wrong = [int(i) for i in res["wrong"]]
        if not wrong:
            st.success(_("No mistakes on the test set to look at."))
            return None, ""
        if st.session_state.get(f"{key}_mistake") not in wrong:
            st.session_state[f"{key}_mistake"] = wrong[0]
        read_as = _("test image {i:,}: a {label} read as {predicted}")  # translated here: format_func runs later
        i = st.selectbox(_("Mistake"), wrong, key=f"{key}_mistake", format_func=lambda j: read_as.format(
            i=j, label=class_name(ds, ds.y_test[j]), predicted=class_name(ds, res["predictions"][j])))
        return ds.x_test[i], _test_image(ds, i)
    if source == "The digit you drew":
        return st.session_state[f"{key}_drawn"], _("the digit you drew")
    up = st.file_uploader(_("An image (PNG or JPEG)"), key=f"{key}_upload")
    if up is None:
        st.caption(str(msg("inside.no_image")))
        return None, ""
    with errors.shown():
        return imaging.image_from_upload(up.getvalue(), ds.input_shape), _("your upload, as the model sees it")
    return None, ""


def class_name(ds, index) -> str:
    """Class `index` of `ds` in the reader's language (the digits stay digits)."""
    return data.class_label(ds.class_names, index)


def _test_image(ds, i: int) -> str:
    return _("test image {i:,}: a {label}").format(i=i, label=class_name(ds, ds.y_test[i]))


def _random_index(key: str, n: int) -> None:
    st.session_state[f"{key}_index"] = int(np.random.default_rng().integers(n))


# ---------------------------------------------------------------- prediction and heatmap
def _prediction(views, ds, image, caption: str, key: str) -> None:
    probs = views[-1].values
    c1, c2 = st.columns([1, 3])
    c1.image(pictures.enlarge(image, 140), caption=caption, clamp=True)
    c2.markdown(_("Prediction: **{label}** ({p:.0%})").format(label=class_name(ds, probs.argmax()), p=probs.max()))
    c2.plotly_chart(charts.probabilities_figure(probs, [_(name) for name in ds.class_names]), width="stretch",
                    key=f"{key}_probs")


def _where_it_looked(model, ds, image, views, key: str) -> None:
    st.markdown(_("#### Where did the model look?"))
    predicted = int(views[-1].values.argmax())
    # Another image (a mistake picked, a new drawing): the heatmap starts on that image's prediction.
    shown_for = imaging.fingerprint(image)
    if st.session_state.get(f"{key}_cam_image") != shown_for:
        st.session_state[f"{key}_cam_image"] = shown_for
        st.session_state[f"{key}_cam_class"] = predicted
    its_prediction = _("{label} (its prediction)")
    c = st.selectbox(_("For the class"), range(len(ds.class_names)), key=f"{key}_cam_class",
                     format_func=lambda j: (its_prediction.format(label=class_name(ds, j))
                                            if j == predicted else class_name(ds, j)))
    heat = inside.grad_cam(model, image, c)
    c1, c2 = st.columns([1, 2])
    if heat.method == "saliency":
        heat_caption = _("saliency for '{label}'")
    else:
        heat_caption = _("grad-cam for '{label}'")
    c1.image(pictures.enlarge(pictures.overlay(image, inside.upsample(heat.values, image.shape[:2])), 224),
             clamp=True, caption=heat_caption.format(label=class_name(ds, c)))
    c2.markdown(str(heat.explanation(class_name(ds, c))))
    c2.caption(str(msg("inside.heat_look_for")))


# ---------------------------------------------------------------- every layer
def _layers(views, key: str) -> None:
    st.markdown(_("#### Every layer, in order"))
    shown = CHANNELS_SHOWN[st.radio(_("Feature maps per layer"), list(CHANNELS_SHOWN), horizontal=True,
                                    key=f"{key}_channels", format_func=i18n.now())]
    st.caption(str(msg("inside.layers_look_for")))
    for n, view in enumerate(views, start=1):
        heading = f"**{n}. {view.name}** · {view.details}"  # the layer's Keras name and class stay as Keras says them
        if n == len(views):
            heading += " · " + _("the probabilities")
        st.markdown(heading)
        if view.spatial:
            maps, caption = view.first_channels(shown)
            st.image(pictures.tiles(maps, columns=16 if maps.shape[2] > 16 else 8), caption=str(caption))
        elif n < len(views):
            st.plotly_chart(charts.values_figure(view.values), width="stretch", key=f"{key}_bars_{n}")


# ---------------------------------------------------------------- filters and one value
def _filters(model, image, views, key: str) -> None:
    names = inside.conv_layer_names(model)
    if not names:
        st.caption(_("This model has no convolution, so it has no filters to show."))
        return
    st.markdown(_("#### The learned filters"))
    st.caption(str(inside.filters_caption(model, names[0])))
    images = pictures.filter_images(inside.filters(model, names[0])[0])
    for start in range(0, len(images), 16):
        cols = st.columns(16)
        for j, img in enumerate(images[start:start + 16]):
            cols[j].image(img, caption=str(start + j + 1), clamp=True)
    inside_arithmetic.one_value(model, image, {v.name: v for v in views}, names, key)


# ---------------------------------------------------------------- a channel's favourite images
def _channel_favourites(model, ds, views, key: str) -> None:
    st.markdown(_("#### What does a channel respond to?"))
    spatial = [v for v in views if v.spatial]
    if not spatial:
        return
    c1, c2 = st.columns(2)
    layer = c1.selectbox(_("Layer"), [v.name for v in spatial], key=f"{key}_top_layer")
    n = next(v for v in spatial if v.name == layer).shape[2]
    channel = c2.number_input(_("Channel (1 to {n})").format(n=n), 1, n, value=1, key=f"{key}_top_channel") - 1
    sample = ds.x_test[:TOP_SAMPLE]
    with st.spinner(_("Running {n:,} test images through the network once ...").format(n=len(sample))):
        top = inside.top_images(model, layer, sample)
    cols = st.columns(inside.TOP_K)
    for j, i in enumerate(top[int(channel)]):
        cols[j].image(pictures.enlarge(sample[i], 96), caption=class_name(ds, ds.y_test[i]), clamp=True)
    st.caption(str(msg("inside.top_images", k=inside.TOP_K, n=len(sample), channel=int(channel) + 1, layer=layer)))
