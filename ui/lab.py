"""Widgets and figures shared by the convolution and pooling labs (NumPy and plotly only)."""

from __future__ import annotations

import functools

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from cnn_core import conv, data, i18n, imaging
from cnn_core.i18n import N_, _
from cnn_core.messages import UserError
from ui import presenting, view_links

# The input picker's values (kept in session state), shown in the reader's language with `_`.
SOURCES = (N_("MNIST digit"), N_("CIFAR-10 image"), N_("Upload an image"), N_("Feature map from the convolution lab"))
# What a link may name (?input=cifar10): an upload or the other lab's feature map cannot travel in one.
LINKED_SOURCES = {"mnist": SOURCES[0], "cifar10": SOURCES[1]}


@st.cache_resource(show_spinner=False)  # the spinner's text is the reader's language: image_picker shows it
def _sample(name: str):
    return data.load_dataset(name, "sample")  # shared read-only by every session of the process


def _random_index(key: str) -> None:
    st.session_state[key] = int(np.random.default_rng().integers(0, 2000))


def link_settings(prefix: str) -> list[view_links.Setting]:
    """The input image's part of a lab's link: which sample set and which test image."""
    return [view_links.Setting("input", f"{prefix}_source", view_links.named(LINKED_SOURCES), default=SOURCES[0],
                               dump=view_links.name_of(LINKED_SOURCES)),
            view_links.Setting("image", f"{prefix}_index", view_links.whole(0, 1999), default=0)]


def image_picker(prefix: str, allow_feature_map: bool = False) -> tuple[np.ndarray, str] | None:
    """An input image as float (H, W, 1) in [0, 1] and its description; None (with a sentence) if none."""
    options = SOURCES if allow_feature_map and "conv_feature_map" in st.session_state else SOURCES[:3]
    c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    source = c1.selectbox(_("Input"), options, key=f"{prefix}_source", format_func=i18n.now())
    if source in SOURCES[:2]:
        name = "mnist" if source == SOURCES[0] else "cifar10"
        idx = c2.number_input(_("Test image #"), 0, 1999, key=f"{prefix}_index")
        c3.button(_("Random"), key=f"{prefix}_random", on_click=_random_index, args=(f"{prefix}_index",))
        with st.spinner(_("Loading the shipped sample...")):  # shows only if it takes a while: the first time
            ds = _sample(name)
        img = conv.to_gray(ds.x_test[idx])
        if name == "cifar10":
            description = _("{dataset} test image #{index}, a {label} (in grey: one channel keeps the arithmetic "
                            "readable)")
        else:
            description = _("{dataset} test image #{index}, a {label}")
        return img, description.format(dataset=data.TITLES[name], index=idx, label=_(ds.class_names[ds.y_test[idx]]))
    if source == SOURCES[3]:
        fmap = st.session_state["conv_feature_map"]
        return fmap, _("the feature map from the convolution lab ({h}x{w})").format(h=fmap.shape[0], w=fmap.shape[1])
    up = st.file_uploader(_("An image file (PNG, JPEG, ...)"), key=f"{prefix}_upload")
    if up is None:
        st.info(_("Upload an image to use it as the input; it is cropped square and resized to 32x32."))
        return None
    try:
        arr = imaging.photo_from_upload(up.getvalue(), (32, 32, 1))
    except UserError as err:
        st.error(str(err))
        return None
    return arr.astype(np.float64) / 255.0, _("your upload, {name}, resized to 32x32").format(name=up.name)


# The labs redraw their pictures at every change (and at every step of Play). Built through
# plotly's validators a picture took ~38 ms; as a plain dict, with the colour scale and the default
# template validated once, 0.5 ms, and it draws the same (tests/test_charts.py compares the two).
# In a busy server a lab's answer waits less the less interpreter time it needs.

@functools.cache
def _colorscale(name: str) -> list:
    """A named colour scale ('gray', 'RdBu_r') as plotly.js reads it: the stops plotly's validator makes."""
    return [list(stop) for stop in go.Heatmap(colorscale=name).colorscale]


@functools.cache
def _default_template() -> dict:
    """The template a validated figure gets (plotly.io.templates.default), as JSON data."""
    return go.Figure().to_plotly_json()["layout"]["template"]


def _outline(x0: float, x1: float, y0: float, y1: float, line: dict) -> dict:
    return {"type": "rect", "x0": x0, "x1": x1, "y0": y0, "y1": y1, "line": line}


def heatmap(z: np.ndarray, title: str = "", box: tuple | None = None, pad: int = 0,
            colorscale: str = "gray", zmin=None, zmax=None, height: int = 330, text: bool = False) -> go.Figure:
    """A 2-D array as square pixels; `box` = (row, col, size) outlines a window; `pad` outlines
    the original image inside a padded one. `title` is shown as given (the caller translates it)."""
    trace = {"type": "heatmap", "z": z, "colorscale": _colorscale(colorscale), "showscale": False,
             "hovertemplate": _("row %{y}, col %{x}: %{z:.3f}") + "<extra></extra>"}
    trace.update({name: value for name, value in (("zmin", zmin), ("zmax", zmax)) if value is not None})
    if text:
        trace.update(text=np.round(z, 2), texttemplate="%{text}")
    shapes = []
    if pad:
        h, w = z.shape
        shapes.append(_outline(pad - 0.5, w - pad - 0.5, pad - 0.5, h - pad - 0.5,
                               {"color": "#1f77b4", "dash": "dot", "width": 2}))
    if box is not None:
        r, c, k = box
        shapes.append(_outline(c - 0.5, c + k - 0.5, r - 0.5, r + k - 0.5, {"color": "#d62728", "width": 3}))
    layout = {"title": {"text": title}, "height": presenting.chart_height(height),
              "margin": {"t": 30 if title else 5, "b": 5, "l": 5, "r": 5},
              "xaxis": {"showticklabels": False, "constrain": "domain"},
              "yaxis": {"autorange": "reversed", "scaleanchor": "x", "showticklabels": False},
              "template": _default_template()}
    if shapes:
        layout["shapes"] = shapes
    return go.Figure({"data": [trace], "layout": layout}, _validate=False)
