"""Convolution lab: slide a filter over a real image; see sizes, products, padding, weight counts.

No TensorFlow here: the arithmetic is cnn_core.conv (NumPy), which the tests check against Keras.
"""

from typing import NamedTuple

import numpy as np
import pandas as pd
import streamlit as st

from cnn_core import arithmetic as ar
from cnn_core import conv, i18n
from cnn_core.i18n import _
from cnn_core.messages import UserError
from ui import lab, presenting, view_links

st.title(_("Convolution lab"))
st.caption(_("A filter is a small grid of weights. At each position it multiplies the pixels under "
             "it and adds the products: that sum is one pixel of the feature map."))

# The view a link restores (?input=mnist&image=7&k=5&stride=2&padding=same&filter=...&pos=12):
# the teacher's link opens the same picture for every learner.
POSITION = view_links.Setting("pos", "conv_pos", view_links.whole(0, 10**6), default=0)
LINK = lab.link_settings("conv") + [
    view_links.Setting("k", "conv_k", view_links.whole(1, 7), default=3),
    view_links.Setting("stride", "conv_stride", view_links.whole(1, 4), default=1),
    view_links.Setting("padding", "conv_padding", view_links.one_of(["valid", "same"]), default="valid"),
    view_links.Setting("filter", "conv_filter", view_links.one_of(conv.FILTERS), default=conv.FILTERS[0]),
    view_links.Setting("seed", "conv_seed", view_links.whole(0, 10**9), default=0),
    POSITION,
]
view_links.restore(LINK)

class Filter(NamedTuple):
    """The filter as the learner has set it."""
    k: int
    stride: int
    padding: str
    weights: np.ndarray


def settings_ui() -> tuple[tuple[np.ndarray, str] | None, Filter]:
    """The input image (None, with a sentence, until there is one) and the filter's settings."""
    with presenting.controls():
        picked = lab.image_picker("conv")
        c1, c2, c3, c4 = st.columns(4)
        k = c1.slider(_("Kernel size"), 1, 7, key="conv_k")
        stride = c2.slider(_("Stride"), 1, 4, key="conv_stride")
        padding = c3.radio(_("Padding"), ["valid", "same"], horizontal=True, key="conv_padding")  # Keras' own words
        kind = c4.selectbox(_("Filter"), conv.FILTERS, key="conv_filter",
                            format_func=i18n.labels_in_this_language(conv.FILTER_LABELS))
    if picked is not None:
        st.caption(_("Input: {description}.").format(description=picked[1]))
    return picked, Filter(k, stride, padding, weights_ui(kind, k))


def weights_ui(kind: str, k: int) -> np.ndarray:
    """The k x k weights: a preset's, or the learner's own in an editable table."""
    if kind == "custom":
        start = conv.preset_filter("horizontal edge", k)
        edited = st.data_editor(pd.DataFrame(start), key=f"conv_custom_{k}", width="content")
        return edited.to_numpy(dtype=float, na_value=0.0)
    if kind == "random":
        st.button(_("New random filter"), key="conv_reroll",
                  on_click=lambda: st.session_state.update(conv_seed=st.session_state["conv_seed"] + 1))
    return conv.preset_filter(kind, k, seed=st.session_state["conv_seed"])


def play_ui() -> bool:
    """Play steps the window through every position (and round again) until it is switched off.
    It lives outside the window view: switching it reruns the lab, which sets the view's pace."""
    return st.toggle(_("Play"), key="conv_play", help=_("Step through the positions automatically"))


def output_size_ui(h: int, f: Filter) -> int | None:
    try:
        out_n = ar.conv_output_size(h, f.k, f.stride, f.padding)
    except UserError as err:
        st.error(str(err))
        return None
    st.subheader(_("Output size: {h}x{h} -> {n}x{n}").format(h=h, n=out_n))
    if f.padding == "same":
        explained = _("`{formula}`  (with `same`, Keras pads just enough zeros for ceil(n / stride) windows)")
    else:
        explained = _("`{formula}`  (with `valid` there is no padding: the window must fit inside the image)")
    st.markdown(explained.format(formula=ar.conv_output_formula(h, f.k, f.stride, f.padding)))
    return out_n


def _step(d: int, n_pos: int) -> None:
    st.session_state["conv_pos"] = (st.session_state["conv_pos"] + d) % n_pos


def window_view(image, fmap, out_n: int, f: Filter) -> None:
    h, n_pos, k = image.shape[0], out_n * out_n, f.k
    if st.session_state.get("conv_play"):
        _step(1, n_pos)  # the next position at every tick, round to the first after the last
    b1, b2, b4 = st.columns([1, 1, 8], vertical_alignment="bottom")
    b1.button("◀", key="conv_prev", on_click=_step, args=(-1, n_pos), help=_("Previous position"))
    b2.button("▶", key="conv_next", on_click=_step, args=(1, n_pos), help=_("Next position"))
    pos = b4.slider(_("Output position (row by row)"), 0, max(n_pos - 1, 1), key="conv_pos", disabled=n_pos == 1)
    if not st.session_state.get("conv_play"):
        view_links.keep([POSITION])  # ◀ ▶ rerun only this fragment: the link follows the position (not while playing)
    r, c = divmod(pos, out_n)
    padded = conv.pad(image, k, f.stride, f.padding)
    win, r0, c0 = conv.window(image, k, f.stride, f.padding, r, c)
    top = conv.padding_amounts(h, h, k, f.stride, f.padding)[0]
    left, right = st.columns(2)
    input_title = _("input with its zero padding") if top else _("input")
    left.plotly_chart(lab.heatmap(padded[..., 0], input_title, box=(r0, c0, k), pad=top, zmin=0, zmax=1), key="conv_in")
    right.plotly_chart(lab.heatmap(fmap[..., 0], _("feature map"), box=(r, c, 1), colorscale="RdBu_r"), key="conv_out")
    products = win[..., 0] * f.weights
    st.markdown(_("**Position ({r}, {c})**: the window starts at padded pixel ({r0}, {c0}).").format(
        r=r, c=c, r0=r0, c0=c0))
    cells = pd.DataFrame([[f"{win[i, j, 0]:.2f} × {f.weights[i, j]:+.2f} = {products[i, j]:+.3f}" for j in range(k)]
                          for i in range(k)])
    st.dataframe(cells, hide_index=True, key="conv_products")
    st.markdown(_("Sum of the products = **{total:+.3f}** = feature map ({r}, {c}): `{value:+.3f}`").format(
        total=products.sum(), r=r, c=c, value=fmap[r, c, 0]))


def coverage_ui(h: int, f: Filter) -> None:
    st.subheader(_("Why pad? Windows per pixel"))
    rows = []
    for pad_kind in ("valid", "same"):
        try:
            cov = conv.coverage(h, f.k, f.stride, pad_kind)
        except UserError:
            continue
        rows.append({_("padding"): pad_kind, _("corner pixel"): int(cov[0, 0]), _("edge middle"): int(cov[0, h // 2]),
                     _("centre pixel"): int(cov[h // 2, h // 2]),
                     _("output size"): ar.conv_output_size(h, f.k, f.stride, pad_kind)})
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="conv_coverage")
    st.caption(_("Without padding a corner pixel falls in one window while a centre pixel falls in up to "
                 "k x k windows; `same` padding lets the edges take part as often as the centre, and keeps the size."))


def image_sections(image: np.ndarray, f: Filter) -> None:
    """Everything that needs the input image."""
    out_n = output_size_ui(image.shape[0], f)
    if out_n is None:
        return
    fmap = conv.conv2d(image, f.weights[:, :, None, None], None, f.stride, f.padding)
    st.session_state["conv_feature_map"] = np.clip(fmap, 0, None) / max(float(np.abs(fmap).max()), 1e-9)
    st.session_state["conv_pos"] = min(st.session_state["conv_pos"], out_n * out_n - 1)
    playing = play_ui()
    st.fragment(run_every=0.7 if playing else None)(window_view)(image, fmap, out_n, f)
    coverage_ui(image.shape[0], f)


@st.fragment
def lab_view() -> None:
    """The lab: a fragment, so that a change of its settings reruns it and not the whole page: the
    server does less for each answer (0.055 CPU-s instead of 0.075-0.108 on a 2-core VM) and the
    learner's browser redraws less (0.51-0.55 CPU-s instead of 0.61-0.66). Below it, the weight-sharing
    section does not depend on it."""
    picked, f = settings_ui()
    if picked is not None:
        image_sections(picked[0], f)
    view_links.keep(LINK)  # the link follows the lab's settings


lab_view()

st.subheader(_("Channels and filters: weight sharing"))


def lecture_example() -> None:
    st.session_state.update(conv_ch_h=32, conv_ch_c=3, conv_ch_n=32, conv_ch_k=3)


# Defaults as the widgets' own values (not written into session state), and this section is drawn
# whatever the input: the inputs and the sentence below them always show the same numbers.
d1, d2, d3, d4, d5 = st.columns([1, 1, 1, 1, 1.3], vertical_alignment="bottom")
hh = d1.number_input(_("Input size"), 1, 512, 28, key="conv_ch_h")
cin = d2.number_input(_("Input channels"), 1, 512, 1, key="conv_ch_c")
nf = d3.number_input(_("Filters"), 1, 1024, 16, key="conv_ch_n")
kk = d4.number_input(_("Kernel"), 1, 11, 3, key="conv_ch_k")
d5.button(_("The lecture's example"), key="conv_lecture", on_click=lecture_example)
try:
    o = ar.conv_output_size(hh, kk)
    weights = ar.conv_params(kk, cin, nf)
    dense = ar.dense_params(hh * hh * cin, o * o * nf)
    shapes = _("({h},{h},{c}) through {n} filters of {k}x{k} gives **({o},{o},{n})**.")
    sharing = _("Conv weights: `({k}*{k}*{c})*{n} + {n} = {weights:,}` — each filter spans all {c} input channels "
                "and is reused at all {positions:,} positions.")
    versus_dense = _("A Dense layer between the same sizes: `{inputs:,} * {outputs:,} + {outputs:,} = {dense:,}` "
                     "weights, **{ratio:,.0f}x** more.")
    numbers = {"h": hh, "c": cin, "n": nf, "k": kk, "o": o, "weights": weights, "positions": o * o,
               "inputs": hh * hh * cin, "outputs": o * o * nf, "dense": dense, "ratio": dense / weights}
    st.markdown("  \n".join(line.format(**numbers) for line in (shapes, sharing, versus_dense)))
except UserError as err:
    st.error(str(err))

