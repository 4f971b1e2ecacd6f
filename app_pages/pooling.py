"""Pooling lab: max against average pooling on a real image; shapes, windows, zero parameters.

No TensorFlow here: cnn_core.conv.pool2d matches Keras' pooling layers (tested).
"""

import numpy as np
import pandas as pd
import streamlit as st

from cnn_core import arithmetic as ar
from cnn_core import conv
from cnn_core.i18n import _
from cnn_core.messages import UserError
from ui import lab, presenting, view_links

st.title(_("Pooling lab"))
st.caption(_("Pooling slides a window over each channel and keeps one number per window: the "
             "largest (max) or the mean (average). There is nothing to learn, so it has no parameters."))

# The view a link restores (?input=cifar10&image=3&size=3&stride=2&padding=same).
LINK = lab.link_settings("pool") + [
    view_links.Setting("size", "pool_size", view_links.one_of([2, 3]), default=2),
    # one stride per pool size, each starting at the size (Keras' default)
    view_links.Setting("stride", lambda: f"pool_stride_{st.session_state['pool_size']}", view_links.whole(1, 4),
                       default=lambda: st.session_state["pool_size"]),
    view_links.Setting("padding", "pool_padding", view_links.one_of(["valid", "same"]), default="valid"),
]
view_links.restore(LINK)

with presenting.controls():
    picked = lab.image_picker("pool", allow_feature_map=True)
    c1, c2, c3 = st.columns(3)
    size = c1.radio(_("Pool size"), [2, 3], horizontal=True, key="pool_size")
    stride = c2.slider(_("Stride"), 1, 4, key=f"pool_stride_{size}", help=_("Keras' default is the pool size"))
    padding = c3.radio(_("Padding"), ["valid", "same"], horizontal=True, key="pool_padding")  # Keras' own words
view_links.keep(LINK)
if picked is None:
    st.stop()
image, description = picked
st.caption(_("Input: {description}.").format(description=description))

h, w, ch = image.shape
try:
    oh, ow = ar.pool_output_size(h, size, stride, padding), ar.pool_output_size(w, size, stride, padding)
except UserError as err:
    st.error(str(err))
    st.stop()
mx, av = conv.pool2d(image, size, stride, padding, "max"), conv.pool2d(image, size, stride, padding, "avg")

m1, m2, m3 = st.columns(3)
m1.metric(_("Shape before"), f"{h} x {w} x {ch}")
m2.metric(_("Shape after"), f"{oh} x {ow} x {ch}",
          help=_("height and width shrink; the channel count never changes"))
m3.metric(_("Parameters"), "0", help=_("max and mean are fixed operations: nothing to train"))
if size == 2 and stride == 2:
    st.caption(_("2x2 with stride 2 halves height and width: {h} -> {oh}. Later layers then see "
                 "{ratio:.1f}x fewer positions.").format(h=h, oh=oh, ratio=h * w / (oh * ow)))

n_pos = oh * ow
# Start where the two kinds disagree most: an all-black corner (max = average = 0) shows nothing.
pos = st.slider(_("Window (row by row)"), 0, max(n_pos - 1, 1), int(np.argmax(mx[..., 0] - av[..., 0])),
                key=f"pool_pos_{size}_{stride}_{padding}", disabled=n_pos == 1)
pos = min(pos, n_pos - 1)
r, c = divmod(pos, ow)
top = conv.padding_amounts(h, w, size, stride, padding)[0]
padded = conv.pad(image, size, stride, padding)
win, r0, c0 = conv.window(image, size, stride, padding, r, c)

left, mid, right = st.columns([1.2, 1, 1])
left.plotly_chart(lab.heatmap(padded[..., 0], _("input"), box=(r0, c0, size), pad=top, zmin=0, zmax=1), key="pool_in")
mid.plotly_chart(lab.heatmap(mx[..., 0], _("max pooling"), box=(r, c, 1), zmin=0, zmax=1), key="pool_max")
right.plotly_chart(lab.heatmap(av[..., 0], _("average pooling"), box=(r, c, 1), zmin=0, zmax=1), key="pool_avg")

real = win[..., 0]
left_pad = conv.padding_amounts(h, w, size, stride, padding)[2]
in_padding = r0 < top or c0 < left_pad or r0 + size > top + h or c0 + size > left_pad + w
if in_padding:
    window_title = _("**Window ({r}, {c})** (its zeros outside the image are padding, which both kinds ignore):")
else:
    window_title = _("**Window ({r}, {c})**:")
st.markdown(window_title.format(r=r, c=c))
st.dataframe(pd.DataFrame(np.round(real, 3)), hide_index=True, key="pool_window")
st.markdown(_("max = **{max:.3f}**, average = **{average:.3f}**").format(max=mx[r, c, 0], average=av[r, c, 0]))

st.subheader(_("What each one keeps"))
table = pd.DataFrame([
    {_("output"): title, _("mean brightness"): round(float(out.mean()), 3),
     _("edge sharpness"): round(conv.edge_strength(out), 3), _("brightest pixel"): round(float(out.max()), 3)}
    for title, out in ((_("max pooling"), mx), (_("average pooling"), av))
])
st.dataframe(table, hide_index=True, key="pool_compare")
st.caption(_("Max pooling keeps the strongest response in each window, so thin bright strokes survive. "
             "Average pooling mixes them with their darker neighbours: the output is softer and dimmer. "
             "Sharpness is the mean difference between neighbouring pixels."))
