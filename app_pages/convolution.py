"""Convolution lab: slide a filter over a real image; see sizes, products, padding, weight counts.

No TensorFlow here: the arithmetic is cnn_core.conv (NumPy), which the tests check against Keras.
"""

import numpy as np
import pandas as pd
import streamlit as st

from cnn_core import arithmetic as ar
from cnn_core import conv
from cnn_core.messages import UserError
from ui import lab, presenting, view_links

st.title("Convolution lab")
st.caption("A filter is a small grid of weights. At each position it multiplies the pixels under "
           "it and adds the products: that sum is one pixel of the feature map.")

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

with presenting.controls():
    picked = lab.image_picker("conv")  # None (with a sentence) until there is an input
    c1, c2, c3, c4 = st.columns(4)
    k = c1.slider("Kernel size", 1, 7, key="conv_k")
    stride = c2.slider("Stride", 1, 4, key="conv_stride")
    padding = c3.radio("Padding", ["valid", "same"], horizontal=True, key="conv_padding")
    kind = c4.selectbox("Filter", conv.FILTERS, key="conv_filter")
if picked is not None:
    st.caption(f"Input: {picked[1]}.")
if kind == "custom":
    start = conv.preset_filter("horizontal edge", k)
    edited = st.data_editor(pd.DataFrame(start), key=f"conv_custom_{k}", width="content")
    kernel = edited.to_numpy(dtype=float, na_value=0.0)
else:
    kernel = conv.preset_filter(kind, k, seed=st.session_state["conv_seed"])
    if kind == "random":
        st.button("New random filter", key="conv_reroll",
                  on_click=lambda: st.session_state.update(conv_seed=st.session_state["conv_seed"] + 1))


def play_ui() -> bool:
    """Play steps the window through every position (and round again) until it is switched off.
    It lives outside the window view: switching it reruns the page, which sets the view's pace."""
    return st.toggle("Play", key="conv_play", help="Step through the positions automatically")


def output_size_ui(h: int) -> int | None:
    try:
        out_n = ar.conv_output_size(h, k, stride, padding)
    except UserError as err:
        st.error(str(err))
        return None
    st.subheader(f"Output size: {h}x{h} -> {out_n}x{out_n}")
    st.markdown(f"`{ar.conv_output_formula(h, k, stride, padding)}`"
                + ("  (with `same`, Keras pads just enough zeros for ceil(n / stride) windows)" if padding == "same"
                   else "  (with `valid` there is no padding: the window must fit inside the image)"))
    return out_n


def _step(d: int, n_pos: int) -> None:
    st.session_state["conv_pos"] = (st.session_state["conv_pos"] + d) % n_pos


def window_view(image, fmap, out_n: int) -> None:
    h, n_pos = image.shape[0], out_n * out_n
    if st.session_state.get("conv_play"):
        _step(1, n_pos)  # the next position at every tick, round to the first after the last
    b1, b2, b4 = st.columns([1, 1, 8], vertical_alignment="bottom")
    b1.button("◀", key="conv_prev", on_click=_step, args=(-1, n_pos), help="Previous position")
    b2.button("▶", key="conv_next", on_click=_step, args=(1, n_pos), help="Next position")
    pos = b4.slider("Output position (row by row)", 0, max(n_pos - 1, 1), key="conv_pos", disabled=n_pos == 1)
    if not st.session_state.get("conv_play"):
        view_links.keep([POSITION])  # ◀ ▶ rerun only this fragment: the link follows the position (not while playing)
    r, c = divmod(pos, out_n)
    padded = conv.pad(image, k, stride, padding)
    win, r0, c0 = conv.window(image, k, stride, padding, r, c)
    top = conv.padding_amounts(h, h, k, stride, padding)[0]
    left, right = st.columns(2)
    left.plotly_chart(lab.heatmap(padded[..., 0], "input" + (" with its zero padding" if top else ""),
                                  box=(r0, c0, k), pad=top, zmin=0, zmax=1), key="conv_in")
    right.plotly_chart(lab.heatmap(fmap[..., 0], "feature map", box=(r, c, 1), colorscale="RdBu_r"), key="conv_out")
    products = win[..., 0] * kernel
    st.markdown(f"**Position ({r}, {c})**: the window starts at padded pixel ({r0}, {c0}).")
    cells = pd.DataFrame([[f"{win[i, j, 0]:.2f} × {kernel[i, j]:+.2f} = {products[i, j]:+.3f}" for j in range(k)]
                          for i in range(k)])
    st.dataframe(cells, hide_index=True, key="conv_products")
    st.markdown(f"Sum of the products = **{products.sum():+.3f}** = feature map ({r}, {c}): `{fmap[r, c, 0]:+.3f}`")


def coverage_ui(h: int) -> None:
    st.subheader("Why pad? Windows per pixel")
    rows = []
    for pad_kind in ("valid", "same"):
        try:
            cov = conv.coverage(h, k, stride, pad_kind)
        except UserError:
            continue
        rows.append({"padding": pad_kind, "corner pixel": int(cov[0, 0]), "edge middle": int(cov[0, h // 2]),
                     "centre pixel": int(cov[h // 2, h // 2]),
                     "output size": ar.conv_output_size(h, k, stride, pad_kind)})
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="conv_coverage")
    st.caption("Without padding a corner pixel falls in one window while a centre pixel falls in up to "
               "k x k windows; `same` padding lets the edges take part as often as the centre, and keeps the size.")


def image_sections(image: np.ndarray) -> None:
    """Everything that needs the input image."""
    out_n = output_size_ui(image.shape[0])
    if out_n is None:
        return
    fmap = conv.conv2d(image, kernel[:, :, None, None], None, stride, padding)
    st.session_state["conv_feature_map"] = np.clip(fmap, 0, None) / max(float(np.abs(fmap).max()), 1e-9)
    st.session_state["conv_pos"] = min(st.session_state["conv_pos"], out_n * out_n - 1)
    playing = play_ui()
    st.fragment(run_every=0.7 if playing else None)(window_view)(image, fmap, out_n)
    coverage_ui(image.shape[0])


if picked is not None:
    image_sections(picked[0])

st.subheader("Channels and filters: weight sharing")


def lecture_example() -> None:
    st.session_state.update(conv_ch_h=32, conv_ch_c=3, conv_ch_n=32, conv_ch_k=3)


# Defaults as the widgets' own values (not written into session state), and this section is drawn
# whatever the input: the inputs and the sentence below them always show the same numbers.
d1, d2, d3, d4, d5 = st.columns([1, 1, 1, 1, 1.3], vertical_alignment="bottom")
hh = d1.number_input("Input size", 1, 512, 28, key="conv_ch_h")
cin = d2.number_input("Input channels", 1, 512, 1, key="conv_ch_c")
nf = d3.number_input("Filters", 1, 1024, 16, key="conv_ch_n")
kk = d4.number_input("Kernel", 1, 11, 3, key="conv_ch_k")
d5.button("The lecture's example", key="conv_lecture", on_click=lecture_example)
try:
    o = ar.conv_output_size(hh, kk)
    weights = ar.conv_params(kk, cin, nf)
    dense = ar.dense_params(hh * hh * cin, o * o * nf)
    st.markdown(f"({hh},{hh},{cin}) through {nf} filters of {kk}x{kk} gives **({o},{o},{nf})**.  \n"
                f"Conv weights: `({kk}*{kk}*{cin})*{nf} + {nf} = {weights:,}` — each filter spans all {cin} "
                f"input channels and is reused at all {o * o:,} positions.  \n"
                f"A Dense layer between the same sizes: `{hh * hh * cin:,} * {o * o * nf:,} + {o * o * nf:,} = "
                f"{dense:,}` weights, **{dense / weights:,.0f}x** more.")
except UserError as err:
    st.error(str(err))

view_links.keep(LINK)
