"""Train: the model from Build a CNN (or a CPU-tuned preset), live, on MNIST or CIFAR-10."""

import streamlit as st

from cnn_core import data, i18n, metrics, presets, runner, training
from cnn_core import spec as spec_mod
from cnn_core.i18n import _
from cnn_core.jobs import Job
from cnn_core.messages import UserError
from ui import charts, classroom, device, errors, inside_live, job_panel, kept, presenting, results, state

KEY = "train_job"
HISTORY = "train_history"

st.title(_("Train"))

DEFAULTS = {"train_source": "auto", "train_epochs": 2, "train_batch": 128, "train_optimizer": "adam",
            "train_lr": "0.001", "train_schedule": "constant", "train_augment": False,
            "train_val": 0.1, "train_smoothing": 0.0, "train_tta": False, "train_watch": False}


def now(key: str):
    """A setting's current value (the learner's, a preset's, the one kept from the page's last run,
    or the default), passed to its widget as its own value: a browser that sends a widget's value
    before it has heard ours (a busy server, 30 tabs at once) then sends this one, never the
    widget's blank minimum (batch size 0)."""
    return kept.recall(key, DEFAULTS[key])


def index(options, key: str) -> int:
    return list(options).index(now(key))


def apply_preset(name: str) -> None:
    """Every setting the preset was measured with, the dataset included, onto the widgets."""
    p = presets.TRAIN_PRESETS[name]
    state.set_layers(p.spec)
    state.set_dataset(p.config.dataset)
    st.session_state.update({
        "train_source": p.config.source, "train_epochs": p.config.epochs, "train_batch": p.config.batch_size,
        "train_optimizer": p.config.optimizer, "train_lr": str(p.config.learning_rate),
        "train_schedule": p.config.schedule, "train_augment": p.config.augment,
        "train_val": p.config.validation_fraction, "train_smoothing": p.config.label_smoothing,
        "train_tta": p.config.test_time_flip,
    })
    forget_failed_run()


def forget_failed_run() -> None:
    """A failed run's message belongs to the settings that caused it: clear it when they change."""
    job = st.session_state.get(KEY)
    if job is not None and job.state == "failed":
        del st.session_state[KEY]


def preset_ui() -> None:
    with st.expander(_("CPU-tuned presets: good results in little time"), expanded=False):
        for name, p in presets.TRAIN_PRESETS.items():
            c1, c2 = st.columns([4, 1], vertical_alignment="center")
            c1.markdown(f"**{_(name)}**: {_(p.description)}")
            c2.button(_("Use it"), key=f"train_preset_{name}", on_click=apply_preset, args=(name,))


def settings_ui(dataset: str) -> training.TrainConfig:
    """The training settings as a checked TrainConfig; UserError with a sentence if one is off."""
    c1, c2, c3 = st.columns(3)
    source = c1.radio(_("Data"), data.SOURCES, index(data.SOURCES, "train_source"), key="train_source",
                      horizontal=True, format_func=i18n.labels_in_this_language(data.SOURCE_LABELS), on_change=forget_failed_run,
                      help=_("auto: the full set if it is on this computer, else the shipped sample"))
    if data.full_available(dataset):
        c1.caption(_("The full set is on this computer."))
    elif source == "full":
        c1.warning(_("The full set is not on this computer: Train will try to download it, which needs the "
                     "internet. Offline, choose **sample**."))
    else:
        c1.caption(_("Only the shipped sample is on this computer; 'full' would download the full set."))
    epochs = c2.number_input(_("Epochs"), 0, 1000, now("train_epochs"), key="train_epochs")
    batch = c2.number_input(_("Batch size"), 0, 100_000, now("train_batch"), step=32, key="train_batch")
    optimizer = c3.selectbox(_("Optimizer"), training.OPTIMIZERS, index(training.OPTIMIZERS, "train_optimizer"),
                             key="train_optimizer")
    lr_text = c3.text_input(_("Learning rate"), now("train_lr"), key="train_lr", help=_("e.g. 0.001 or 1e-3"))
    schedule = c1.selectbox(_("Learning-rate schedule"), training.SCHEDULES,
                            index(training.SCHEDULES, "train_schedule"), key="train_schedule",
                            format_func=i18n.labels_in_this_language(training.SCHEDULE_LABELS))
    augment = c2.checkbox(_("Augment (flips and shifts)"), now("train_augment"), key="train_augment",
                          help=_("each image is shifted by a few pixels (and, for CIFAR-10, maybe mirrored) "
                                 "every time it is seen, so the model cannot memorise exact pixels"))
    val = c3.number_input(_("Validation share"), 0.0, 0.5, float(now("train_val")), step=0.05, key="train_val",
                          format="%.2f",
                          help=_("held out of the training images and scored after every epoch (the dots "
                                 "on the chart); 0 trains on every image and only the test set is scored"))
    smoothing = c3.number_input(_("Label smoothing"), 0.0, 0.4, float(now("train_smoothing")), step=0.05,
                                key="train_smoothing", format="%.2f",
                                help=_("aim for 0.9 instead of 1.0 on the right class (at 0.1): a less "
                                       "over-confident model; helps CIFAR-10 a little"))
    flip = c1.checkbox(_("Test-time flips"), now("train_tta"), key="train_tta", disabled=dataset == "mnist",
                       help=_("score each test image as the mean of the model's answers for it and its mirror "
                              "image (CIFAR-10 only: a mirrored digit is not the same digit)"))
    watch = c2.checkbox(_("Watch the first layer learn"), now("train_watch"), key="train_watch",
                        help=_("while it trains, the first convolution's filters and one test image's feature "
                               "maps are redrawn every {seconds:.0f} s: noise turning into edge "
                               "detectors").format(seconds=training.WATCH_EVERY_S))
    try:
        lr = float(lr_text)
    except ValueError:
        raise UserError("train.learning_rate_text", value=lr_text) from None
    return training.TrainConfig(dataset=dataset, source=source, epochs=int(epochs), batch_size=int(batch),
                                optimizer=optimizer, learning_rate=lr, schedule=schedule, augment=augment,
                                validation_fraction=float(val), label_smoothing=float(smoothing),
                                test_time_flip=flip and dataset != "mnist", watch=watch).validate()


def live_chart(job) -> None:
    snap = job.snapshot()
    if snap.steps:
        st.plotly_chart(charts.training_figure(snap), width="stretch", key="train_chart")
    if snap.watched is not None:
        inside_live.first_layer_live(snap.watched)


def empty_chart() -> None:
    """Before the first run: the empty chart, so the browser has loaded plotly.js by the time the
    first loss point arrives (drawing the first chart of a page took ~0.5 s more otherwise)."""
    st.info(_("Press **Train** to start. Loss and accuracy are drawn here as it learns."))
    st.plotly_chart(charts.training_figure(metrics.Snapshot("created", 0, 0, 0, 0, 0.0)), width="stretch",
                    key="train_chart_empty")


def remember(job) -> None:
    if job.result is not None:
        job_panel.remember(HISTORY, job)
        classroom.record_training_run(job, str(spec_mod.summary(list(job.request.spec))), preset_of(job.request))


def preset_of(request) -> str | None:
    """The preset a run used, if its layers and settings are exactly one's (the stack comes from
    state.current_spec, without the builder's ids)."""
    return next((name for name, p in presets.TRAIN_PRESETS.items()
                 if p.config == request.config and list(request.spec) == [dict(layer) for layer in p.spec]), None)


with presenting.controls(_("Dataset and presets")):  # folded away on the projector: the chart fills the screen
    name = state.dataset_ui("train_dataset", on_change=forget_failed_run)
    preset_ui()
spec = state.current_spec()
input_shape, num_classes = data.INPUT_SHAPES[name], len(data.CLASS_NAMES[name])
try:
    rows = spec_mod.infer(spec, input_shape, num_classes)
except UserError as err:
    st.error(_("The model from **Build a CNN** cannot be built for this dataset: {error}").format(error=err))
    st.stop()
st.caption(_("Model: {layers} + Dense({classes}) softmax. Change it on **Build a CNN**.").format(
    layers=spec_mod.summary(spec) or _("(empty stack)"), classes=num_classes))
total, trainable = sum(r.params for r in rows), sum(r.trainable for r in rows)
c1, c2, c3 = st.columns(3)
c1.metric(_("Trainable parameters"), f"{trainable:,}", help=_("updated by every training step"))
c2.metric(_("Non-trainable"), f"{total - trainable:,}",
          help=_("batch norm's moving statistics: computed, not learned"))
c3.metric(_("Total parameters"), f"{total:,}")

config = None
with presenting.controls(_("Training settings")), errors.shown():  # a setting that makes no sense: a sentence,
    config = settings_ui(name)                                    # and Train stays disabled
kept.remember(DEFAULTS)  # for the next visit: Streamlit forgets the widgets' values on another page
st.caption(device.sentence())

job = job_panel.panel(
    KEY, lambda **kw: Job(runner.TrainRequest(spec, config), **kw), start_label=_("Train"),
    disabled_reason="" if config is not None else _("Fix the setting above first."),
    idle=empty_chart, live=live_chart, on_done=remember)

if job is not None and not job.active and job.result is not None:
    results.render(job, "train_res")

history = st.session_state.get(HISTORY, [])
if history:
    st.subheader(_("Your runs in this session"))
    results.history_ui(history, "train_history")
