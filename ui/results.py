"""After training: test scores, confusion matrix, mistakes, try-it-yourself, download, run history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cnn_core import i18n, imaging, models, training
from cnn_core import spec as spec_mod
from cnn_core.i18n import N_, _
from cnn_core.messages import msg
from ui import charts, errors, inside_view, job_panel

TABS = (N_("Confusion matrix"), N_("Per class"), N_("Mistakes"), N_("Try it"), N_("Inside the network"),
        N_("Download"))
INSIDE_TAB = 4
GAP = 0.10  # train and test accuracy further apart than this get a sentence about overfitting
# The run history's columns (run_row's keys, in English: data) as the reader reads them.
HISTORY_COLUMNS = {
    "run": N_("run"), "state": N_("state"), "dataset": N_("dataset"), "architecture": N_("architecture"),
    "parameters": N_("parameters"), "epochs": N_("epochs"), "batches": N_("batches"), "batch size": N_("batch size"),
    "optimizer": N_("optimizer"), "learning rate": N_("learning rate"), "schedule": N_("schedule"),
    "test accuracy": N_("test accuracy"), "test loss": N_("test loss"), "seconds per epoch": N_("seconds per epoch"),
}
STATES = {"created": N_("created"), "queued": N_("queued"), "running": N_("running"), "stopping": N_("stopping"),
          "finished": N_("finished"), "stopped": N_("stopped"), "failed": N_("failed")}  # cnn_core.jobs.STATES


def _predict_ui(model, ds, image: np.ndarray, caption: str, flip: bool = False) -> None:
    probs = training.predict_images(model, image[None], flip=flip)[0]
    c1, c2 = st.columns([1, 3])
    c1.image(image, caption=caption, width=112, clamp=True)
    names = charts.class_labels(ds.class_names)
    c2.markdown(_("Prediction: **{cls}** ({p:.0%})").format(cls=names[int(probs.argmax())], p=probs.max()))
    c2.plotly_chart(charts.probabilities_figure(probs, names), width="stretch")


def draw_ui(model, ds, key: str) -> None:
    try:
        from streamlit_drawable_canvas import st_canvas
    except Exception:  # the component needs a running Streamlit server (not bare mode/AppTest)
        st.caption(_("The drawing canvas is unavailable here; upload an image instead."))
        return
    st.caption(_("Draw a digit (white on black, like MNIST). It is cropped, scaled to 20x20 and "
                 "centred in 28x28, as MNIST's digits were."))
    result = st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000",
                       height=196, width=196, drawing_mode="freedraw", key=f"{key}_canvas",
                       return_image_data=True)
    digit = imaging.mnist_from_drawing(result.image_data if result is not None else None)
    if digit is None:
        st.caption(_("Nothing drawn yet."))
    else:
        inside_view.remember_drawing(f"{key}_inside", digit)  # "Inside the network" can follow it through the layers
        _predict_ui(model, ds, digit, _("what the model sees"))


def upload_ui(model, ds, key: str, flip: bool = False) -> None:
    up = st.file_uploader(_("Upload an image (PNG or JPEG)"), type=None, key=f"{key}_upload")
    if up is None:
        return
    with errors.shown():
        image = imaging.image_from_upload(up.getvalue(), ds.input_shape)
        st.caption(_("Digits are read as drawings are: a light background is inverted, the digit is cropped, "
                     "scaled to 20x20 and centred by its mass in 28x28.") if ds.input_shape[-1] == 1 else
                   _("The photo is cropped to a square and resized to 32x32."))
        _predict_ui(model, ds, image, _("what the model sees"), flip)


def generalisation(res: dict, batches: int):
    """One sentence on train against test accuracy (inference mode on both), or None."""
    train, test = res.get("train_accuracy"), res["accuracy"]
    if train is None:
        return None
    if train - test > GAP:
        return msg("results.overfitting", train=train, test=test)
    if test < 0.5:
        return msg("results.too_few_steps", train=train, test=test, batches=msg("units.batches", n=batches))
    return msg("results.alike", train=train, test=test)


def render(job, key: str) -> None:
    """Everything shown once a job has finished or been stopped."""
    res, ds = job.result, job.outcome.images
    st.subheader(_("How well did it learn?"))
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(_("Test accuracy"), f"{res['accuracy']:.2%}",
              help=_("on {n:,} test images never trained on").format(n=len(ds.y_test)))
    if res.get("train_accuracy") is not None:
        c2.metric(_("Training images"), f"{res['train_accuracy']:.2%}",
                  help=_("accuracy on 1,000 of the images it trained on, scored the same way as the test images"))
    c3.metric(_("Test loss"), f"{res['loss']:.4f}", help=_("mean cross-entropy on the test images"))
    c4.metric(_("Mistakes"), f"{len(res['wrong']):,}")
    sentence = generalisation(res, job.metrics.trained_batches)
    if sentence is not None:
        st.markdown(str(sentence))
    flip = job.request.config.test_time_flip
    if flip:
        st.caption(str(msg("results.flipped")))
    if job.outcome.batch_norm_recalibrated:
        st.caption(str(msg("results.bn_recalibrated", n=job.outcome.batch_norm_recalibrated)))
    # The tabs track which one is open, so the costly inside view runs only when it is shown.
    _keep_open_tab(f"{key}_tabs")
    tabs = st.tabs([_(tab) for tab in TABS], key=f"{key}_tabs", on_change="rerun")
    names = charts.class_labels(ds.class_names)
    with tabs[0]:
        st.caption(_("Rows: the true class; columns: what the model said. The diagonal is right."))
        st.plotly_chart(charts.confusion_figure(res["confusion"], names), width="stretch")
    with tabs[1]:
        accuracy = _("accuracy")
        st.dataframe(pd.DataFrame({_("class"): names, accuracy: res["per_class"],
                                   _("test images"): res["confusion"].sum(axis=1)}), hide_index=True,
                     column_config={accuracy: st.column_config.NumberColumn(format="percent")})
    with tabs[2]:
        wrong = res["wrong"][:24]
        if len(wrong) == 0:
            st.success(_("No mistakes on the test set."))
        else:
            st.caption(_("'Look inside' follows that image through the network in the 'Inside the network' tab."))
        cols = st.columns(8)
        for n, i in enumerate(wrong):
            true, said = names[ds.y_test[i]], names[res["predictions"][i]]
            cols[n % 8].image(ds.x_test[i], width=72, clamp=True,
                              caption=f"{true} → {said}")
            cols[n % 8].button(_("Look inside"), key=f"{key}_inside_{i}", on_click=_look_inside, args=(key, i))
    with tabs[3]:
        if job.model is None:
            st.caption(_("This run's model was freed; train again to try it."))
        else:
            if ds.input_shape[-1] == 1:
                draw_ui(job.model, ds, key)
            upload_ui(job.model, ds, key, flip)
    with tabs[INSIDE_TAB]:
        if tabs[INSIDE_TAB].open is not False:
            inside_view.render(job.model, ds, res, f"{key}_inside")
    with tabs[5]:
        download_ui(job, key)


def _keep_open_tab(state_key: str) -> None:
    """The open tab is remembered by its label: after a change of language, the same tab in the new one."""
    remembered = st.session_state.get(state_key)
    if remembered is None:
        return
    for language in i18n.LANGUAGES:
        labels = [i18n.translation(language).gettext(tab) for tab in TABS]
        if remembered in labels:
            now = _(TABS[labels.index(remembered)])
            if now != remembered:
                st.session_state[state_key] = now
            return


def _look_inside(key: str, index: int) -> None:
    """A mistake's "Look inside": that image, in the inside view, with its tab open."""
    inside_view.choose_mistake(f"{key}_inside", index)
    st.session_state[f"{key}_tabs"] = _(TABS[INSIDE_TAB])


def download_ui(job, key: str) -> None:
    if job.model is None:
        st.caption(_("This run's model was freed; train again to download it."))
        return
    # Made when the button is pressed (in Streamlit's own thread), not on every redraw. The callable
    # reads the job's model then: Streamlit keeps it as long as the session, and a captured model
    # would outlive its freeing (a closed tab's run held ~7 MB that way).
    st.download_button(_("Download the trained model (.keras)"), lambda: _model_file(job), "cnn_classroom_model.keras",
                       key=f"{key}_download")
    st.caption(_("Load it in any Python with Keras 3: `keras.models.load_model('cnn_classroom_model.keras')`. "
                 "Inputs are float32 images scaled to [0, 1]; it comes compiled with Adam, so "
                 "`model.evaluate(x / 255, y)` and further training work as they are."))


def _model_file(job) -> bytes:
    model = job.model
    return models.to_keras_bytes(model) if model is not None else b""


def run_row(job) -> dict:
    """One row of the run history (keys in English: `history_ui` shows them translated)."""
    s, r, cfg = job.snapshot(), job.result or {}, job.request.config
    return {
        "run": job_panel.label_text(job.label), "state": _(STATES[s.state]), "dataset": str(s.dataset_source),
        "architecture": spec_mod.summary(list(job.request.spec)) or _("(empty stack)"),
        "parameters": int(job.model.count_params()) if job.model is not None else None,
        "epochs": f"{s.epoch}/{s.epochs}", "batches": s.step, "batch size": cfg.batch_size,
        "optimizer": cfg.optimizer, "learning rate": cfg.learning_rate,
        "schedule": _(training.SCHEDULE_LABELS[cfg.schedule]),
        "test accuracy": r.get("accuracy"), "test loss": r.get("loss"),
        "seconds per epoch": round(float(np.mean(s.epoch_seconds)), 2) if s.epoch_seconds else None,
    }


def history_ui(history: list, key: str) -> None:
    table = pd.DataFrame([run_row(j) for j in history]).rename(columns=lambda column: _(HISTORY_COLUMNS[column]))
    st.dataframe(table, hide_index=True, key=f"{key}_table",
                 column_config={_(HISTORY_COLUMNS["test accuracy"]): st.column_config.NumberColumn(format="percent"),
                                _(HISTORY_COLUMNS["parameters"]): st.column_config.NumberColumn(format="localized"),
                                _(HISTORY_COLUMNS["architecture"]): st.column_config.TextColumn(width="large")})
    runs = [(job_panel.label_text(j.label), j.snapshot()) for j in history]
    st.plotly_chart(charts.runs_figure(runs), width="stretch", key=f"{key}_chart")
