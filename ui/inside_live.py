"""The first layer while it trains: its filters and one test image's maps, redrawn by the job
panel's live view from the snapshot's copy (cnn_core.metrics.Watched)."""

from __future__ import annotations

import streamlit as st

from cnn_core import pictures
from cnn_core.i18n import _, ngettext
from cnn_core.messages import msg


def first_layer_live(watched) -> None:
    """The first convolution's filters and one test image's maps as they are now (a
    cnn_core.metrics.Watched, redrawn by the job panel's live view)."""
    st.markdown(ngettext("**{layer} after {n:,} batch**: its filters, and what they make of one test image",
                         "**{layer} after {n:,} batches**: its filters, and what they make of one test image",
                         watched.step).format(layer=watched.layer, n=watched.step))
    filters = pictures.filter_images(watched.kernel, min_side=32)
    cols = st.container(key="watched_filters").columns(16)
    for j, img in enumerate(filters[:32]):
        cols[j % 16].image(img, clamp=True)
    c1, c2 = st.columns([1, 5])
    c1.image(pictures.enlarge(watched.image, 96), clamp=True, caption=_("the test image"))
    c2.image(pictures.tiles(watched.maps[:, :, :32], columns=16, min_side=40),
             caption=_("its feature maps, one per filter (each scaled to its own range)"))
    st.caption(str(msg("inside.live_look_for")))
