"""Two models that differ in one thing (max against average pooling), one test image, each
layer's output next to the other's."""

from __future__ import annotations

import streamlit as st

from cnn_core import inside, pictures
from cnn_core.i18n import _
from cnn_core.messages import msg
from ui import errors
from ui.inside_view import class_name


def side_by_side(models: dict, ds, key: str) -> None:
    """The same test image through models that differ in one thing (max against average
    pooling): each layer's output next to the other's, the predictions on top."""
    models = {label: m for label, m in models.items() if m is not None}
    if len(models) < 2:
        st.info(str(msg("inside.model_freed")))
        return
    n = len(ds.x_test)
    i = int(st.number_input(_("Test image (0 to {last:,})").format(last=n - 1), 0, n - 1, value=0, key=f"{key}_index"))
    image = ds.x_test[i]
    with errors.shown():
        traces = {label: inside.trace(m, image) for label, m in models.items()}
        cols = st.columns([1] + [2] * len(traces))
        cols[0].image(pictures.enlarge(image, 140), caption=_("a {label}").format(label=class_name(ds, ds.y_test[i])),
                      clamp=True)
        for col, (label, views) in zip(cols[1:], traces.items(), strict=True):
            probs = views[-1].values
            col.markdown(f"**{label}**: {class_name(ds, probs.argmax())} ({probs.max():.0%})")
        st.caption(str(msg("inside.pooling_look_for")))
        for n_layer, layer_views in inside.spatial_rows(traces):
            st.markdown(f"**{n_layer}.** " + " | ".join(f"{v.name} · {v.details}" for v in layer_views))
            for col, view in zip(st.columns(len(layer_views)), layer_views, strict=True):
                maps, caption = view.first_channels(16)
                col.image(pictures.tiles(maps, columns=8), clamp=True, caption=str(caption))
