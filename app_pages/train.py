"""Train: the model from Build a CNN (or a CPU-tuned preset), live, on MNIST or CIFAR-10."""

import streamlit as st

from cnn_core import data, presets, training
from cnn_core import spec as spec_mod
from ui import charts, jobs, results, state

KEY = "train_job"
HISTORY = "train_history"

st.title("Train")

DEFAULTS = {"train_source": "auto", "train_epochs": 2, "train_batch": 128, "train_optimizer": "adam",
            "train_lr": "0.001", "train_schedule": "constant", "train_augment": False,
            "train_val": 0.1, "train_smoothing": 0.0}
for k, v in DEFAULTS.items():
    st.session_state.setdefault(k, v)


def apply_preset(name: str) -> None:
    p = presets.TRAIN_PRESETS[name]
    state.set_layers(p.spec)
    st.session_state["cnn_dataset"] = p.config.dataset
    st.session_state.pop("train_dataset", None)  # the picker re-reads cnn_dataset
    st.session_state.update({
        "train_epochs": p.config.epochs, "train_batch": p.config.batch_size, "train_optimizer": p.config.optimizer,
        "train_lr": str(p.config.learning_rate), "train_schedule": p.config.schedule, "train_augment": p.config.augment,
        "train_val": p.config.validation_fraction, "train_smoothing": p.config.label_smoothing,
    })


def preset_ui() -> None:
    with st.expander("CPU-tuned presets: good results in little time", expanded=False):
        for name, p in presets.TRAIN_PRESETS.items():
            c1, c2 = st.columns([4, 1], vertical_alignment="center")
            c1.markdown(f"**{name}**: {p.description}")
            c2.button("Use it", key=f"train_preset_{name}", on_click=apply_preset, args=(name,))


def settings_ui(dataset: str) -> training.TrainConfig:
    """The training settings as a checked TrainConfig; ValueError with a sentence if one is off."""
    c1, c2, c3 = st.columns(3)
    full = data.full_available(dataset)
    source = c1.radio("Data", data.SOURCES, key="train_source", horizontal=True,
                      help="auto: the full set if it is on this machine, else the shipped sample")
    c1.caption("The full set is on this machine." if full else
               "Only the shipped sample is on this machine; 'full' will try to download it.")
    epochs = c2.number_input("Epochs", 0, 1000, key="train_epochs")
    batch = c2.number_input("Batch size", 0, 100_000, step=32, key="train_batch")
    optimizer = c3.selectbox("Optimizer", training.OPTIMIZERS, key="train_optimizer")
    lr_text = c3.text_input("Learning rate", key="train_lr", help="e.g. 0.001 or 1e-3")
    schedule = c1.selectbox("Learning-rate schedule", training.SCHEDULES, key="train_schedule")
    augment = c2.checkbox("Augment (flips and shifts)", key="train_augment",
                          help="each image is shifted by a few pixels (and, for CIFAR-10, maybe mirrored) "
                               "every time it is seen, so the model cannot memorise exact pixels")
    val = c3.number_input("Validation share", 0.0, 0.5, step=0.05, key="train_val", format="%.2f",
                          help="held out of the training images and scored after every epoch (the dots "
                               "on the chart); 0 trains on every image and only the test set is scored")
    smoothing = c3.number_input("Label smoothing", 0.0, 0.4, step=0.05, key="train_smoothing", format="%.2f",
                                help="aim for 0.9 instead of 1.0 on the right class (at 0.1): a less "
                                     "over-confident model; helps CIFAR-10 a little")
    try:
        lr = float(lr_text)
    except ValueError:
        raise ValueError(f"The learning rate must be a number such as 0.001, not {lr_text!r}.") from None
    return training.TrainConfig(dataset=dataset, source=source, epochs=int(epochs), batch_size=int(batch),
                                optimizer=optimizer, learning_rate=lr, schedule=schedule, augment=augment,
                                validation_fraction=float(val), label_smoothing=float(smoothing)).validate()


def status_text(job, snap) -> str:
    sched = job.scheduler
    if snap.state == "queued":
        return (f"Queued, position {snap.queue_position}: {sched.running} run(s) are training on this "
                f"server, at most {sched.max_running} at once. It starts by itself.")
    left = f", about {snap.seconds_left:.0f} s left" if snap.seconds_left is not None else ""
    where = f" on the {job.dataset_source}" if job.dataset_source else ""
    if snap.state == "running" and not snap.total_steps:
        return "Loading the data and building the model..."
    if snap.state in ("running", "stopping"):
        verb = "Stopping after this batch" if snap.state == "stopping" else "Training"
        return f"{verb}{where}: epoch {min(snap.epoch + 1, snap.epochs)}/{snap.epochs}, batch {snap.step}/{snap.total_steps}{left}."
    if snap.state == "stopped":
        return f"Stopped after {snap.step} batches; the model keeps what it learned so far{where}."
    return f"Finished {snap.epochs} epochs ({snap.step} batches) in {snap.seconds:.1f} s{where}."


def live_panel() -> None:
    job = jobs.current(KEY)
    if job is None:
        st.info("Press **Train** to start. Loss and accuracy are drawn here as it learns.")
        return
    snap = job.snapshot()
    if snap.state == "failed":
        st.error(snap.error)
    else:
        st.markdown(status_text(job, snap))
        st.progress(snap.fraction)
    if snap.steps:
        st.plotly_chart(charts.training_figure(snap), width="stretch", key="train_chart")
        if st.session_state.get("train_fast_poll"):  # the first points are drawn: once a second from now
            st.session_state["train_fast_poll"] = False
            st.rerun()
    if not job.active and st.session_state.get("train_drawn") is not job:
        st.session_state["train_drawn"] = job
        if job.result is not None:
            jobs.remember(HISTORY, job)
        st.rerun()  # once: redraw the whole page with the results below


name = state.dataset_ui("train_dataset")
spec = state.current_spec()
input_shape, num_classes = data.INPUT_SHAPES[name], len(data.CLASS_NAMES[name])
preset_ui()
try:
    rows = spec_mod.infer(spec, input_shape, num_classes)
except ValueError as err:
    st.error(f"The model from **Build a CNN** cannot be built for this dataset: {err}")
    st.stop()
st.caption("Model: " + (", ".join(spec_mod.label(layer) for layer in spec) or "(empty stack)") +
           f" + Dense({num_classes}) softmax. Change it on **Build a CNN**.")
total, trainable = sum(r.params for r in rows), sum(r.trainable for r in rows)
c1, c2, c3 = st.columns(3)
c1.metric("Trainable parameters", f"{trainable:,}", help="updated by every training step")
c2.metric("Non-trainable", f"{total - trainable:,}", help="batch norm's moving statistics: computed, not learned")
c3.metric("Total parameters", f"{total:,}")

try:
    config = settings_ui(name)
except ValueError as err:
    config = None  # Train stays disabled until the settings make sense
    st.error(str(err))

job = jobs.current(KEY)
active = job is not None and job.active
b1, b2, _ = st.columns([1, 1, 4])
if b1.button("Train", key="train_start", type="primary", disabled=active or config is None):
    job = jobs.start(KEY, spec, config)
    active = True
if b2.button("Stop", key="train_stop", disabled=not active):
    job.stop()

# Poll 4 times a second from Train to the first loss point (~2 s), then once a second. Not while
# queued: a queue of 30 learners polling fast would load the server for nothing.
st.session_state["train_fast_poll"] = active and not job.snapshot().steps and not job.scheduler.position(job)
st.fragment(run_every=(0.25 if st.session_state["train_fast_poll"] else 1.0) if active else None)(live_panel)()

if job is not None and not job.active and job.result is not None:
    results.render(job, "train_res")

history = st.session_state.get(HISTORY, [])
if history:
    st.subheader("Your runs in this session")
    st.dataframe([j.summary() for j in history], hide_index=True, key="train_history_table")
    st.plotly_chart(charts.runs_figure([(j.label, j.snapshot()) for j in history]), width="stretch")
