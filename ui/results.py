"""After training: test scores, confusion matrix, mistakes, try-it-yourself, download."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cnn_core import data, imaging, models, training
from ui import charts


def _predict_ui(job, ds, image: np.ndarray, caption: str) -> None:
    probs = training.predict_images(job.model, image[None])[0]
    c1, c2 = st.columns([1, 3])
    c1.image(image, caption=caption, width=112, clamp=True)
    c2.markdown(f"Prediction: **{ds.class_names[int(probs.argmax())]}** ({probs.max():.0%})")
    c2.plotly_chart(charts.probabilities_figure(probs, ds.class_names), width="stretch")


def draw_ui(job, ds, key: str) -> None:
    try:
        from streamlit_drawable_canvas import st_canvas
    except Exception:  # the component needs a running Streamlit server (not bare mode/AppTest)
        st.caption("The drawing canvas is unavailable here; upload an image instead.")
        return
    st.caption("Draw a digit (white on black, like MNIST). It is cropped, scaled to 20x20 and "
               "centred in 28x28, as MNIST's digits were.")
    result = st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000",
                       height=196, width=196, drawing_mode="freedraw", key=f"{key}_canvas",
                       return_image_data=True)
    digit = imaging.mnist_from_drawing(result.image_data if result is not None else None)
    if digit is None:
        st.caption("Nothing drawn yet.")
    else:
        _predict_ui(job, ds, digit, "what the model sees")


def upload_ui(job, ds, key: str) -> None:
    up = st.file_uploader("Upload an image (PNG or JPEG)", type=None, key=f"{key}_upload")
    if up is None:
        return
    try:
        image = imaging.image_from_upload(up.getvalue(), ds.input_shape)
    except ValueError as err:
        st.error(str(err))
        return
    _predict_ui(job, ds, image, "resized for the model")


def render(job, key: str) -> None:
    """Everything shown once a job has finished or been stopped."""
    res, ds = job.result, job.dataset or data.load_dataset(job.config.dataset, job.config.source)
    st.subheader("How well did it learn?")
    c1, c2, c3 = st.columns(3)
    c1.metric("Test accuracy", f"{res['accuracy']:.2%}", help=f"on {len(ds.y_test):,} test images never trained on")
    c2.metric("Test loss", f"{res['loss']:.4f}", help="mean cross-entropy on the test images")
    c3.metric("Mistakes", f"{len(res['wrong']):,}")
    tabs = st.tabs(["Confusion matrix", "Per class", "Mistakes", "Try it", "Download"])
    with tabs[0]:
        st.caption("Rows: the true class; columns: what the model said. The diagonal is right.")
        st.plotly_chart(charts.confusion_figure(res["confusion"], ds.class_names), width="stretch")
    with tabs[1]:
        st.dataframe(pd.DataFrame({"class": ds.class_names, "accuracy": np.round(res["per_class"], 4),
                                   "test images": res["confusion"].sum(axis=1)}), hide_index=True)
    with tabs[2]:
        wrong = res["wrong"][:24]
        if len(wrong) == 0:
            st.success("No mistakes on the test set.")
        cols = st.columns(8)
        for n, i in enumerate(wrong):
            cols[n % 8].image(ds.x_test[i], width=72, clamp=True,
                              caption=f"{ds.class_names[ds.y_test[i]]} → {ds.class_names[res['predictions'][i]]}")
    with tabs[3]:
        if job.model is None:
            st.caption("This run's model was freed; train again to try it.")
        else:
            if job.config.dataset == "mnist":
                draw_ui(job, ds, key)
            upload_ui(job, ds, key)
    with tabs[4]:
        if job.model is not None:
            cache = st.session_state.setdefault(f"{key}_bytes", {})
            if id(job) not in cache:
                cache.clear()
                cache[id(job)] = models.to_keras_bytes(job.model)
            st.download_button("Download the trained model (.keras)", cache[id(job)], "cnn_classroom_model.keras",
                               key=f"{key}_download")
            st.caption("Load it with `keras.models.load_model('cnn_classroom_model.keras')`; "
                       "inputs are float32 images scaled to [0, 1].")
