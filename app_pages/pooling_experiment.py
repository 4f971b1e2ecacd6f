"""Max against average pooling: a controlled experiment on the training engine."""

import streamlit as st

from cnn_core import data, experiments, training
from cnn_core import spec as spec_mod
from ui import charts, jobs, state

KEY = "poolx_experiment"

st.title("Max vs average pooling: an experiment")
st.caption("Two CNNs identical but for the pooling kind: same architecture, same initial weights, "
           "same data order, same seed. Only `MaxPooling2D` vs `AveragePooling2D` differs.")

spec = state.current_spec()
if not any(layer["type"] in ("pool", "global_pool") for layer in spec):
    spec = spec_mod.PRESETS["Keras MNIST convnet"]
    st.info("Your model on **Build a CNN** has no pooling layer, so this uses the Keras MNIST convnet.")
st.caption("Model: " + ", ".join(spec_mod.label(layer) for layer in spec_mod.normalize(spec)) + " + classifier.")

c1, c2, c3 = st.columns(3)
with c1:
    name = state.dataset_ui("poolx_dataset")
source = c1.radio("Data", data.SOURCES, index=1, key="poolx_source", horizontal=True)
epochs = c2.number_input("Epochs", 1, 20, 1, key="poolx_epochs")
n_seeds = c2.number_input("Repeat with N seeds", 1, 5, 1, key="poolx_seeds",
                          help="Each seed trains both models; the spread shows how much is luck")
images = c3.select_slider("Training images", [1000, 2000, 5000, 10000, 0], value=5000, key="poolx_images",
                          format_func=lambda n: "all" if n == 0 else f"{n:,}")
c3.caption(f"{int(n_seeds) * 2} training runs; they take turns on this server's CPU.")

exp = st.session_state.get(KEY)
running = exp is not None and exp.active
b1, b2, _ = st.columns([1, 1, 4])
if b1.button("Run the experiment", key="poolx_start", type="primary", disabled=running):
    cfg = training.TrainConfig(dataset=name, source=source, epochs=int(epochs), max_train_images=int(images),
                               learning_rate=2e-3)
    try:
        exp = experiments.PoolingExperiment(spec, cfg, seeds=range(int(n_seeds)), owner_alive=jobs.owner_alive())
    except ValueError as err:
        st.error(str(err))
    else:
        st.session_state[KEY] = exp.start()
        running = True
if b2.button("Stop", key="poolx_stop", disabled=not running):
    exp.stop()


def live() -> None:
    exp = st.session_state.get(KEY)
    if exp is None:
        st.info("Press **Run the experiment**. Both models' losses are drawn on one chart as they train.")
        return
    snaps = [(job.label, job.snapshot()) for job in exp.jobs.values()]
    done = sum(s.state in ("finished", "stopped", "failed") for _, s in snaps)
    st.progress(done / len(snaps), text=f"{done} of {len(snaps)} runs done")
    for label, s in snaps:
        if s.state == "failed":
            st.error(f"{label}: {s.error}")
    started = [(label, s) for label, s in snaps if s.steps]
    if started:
        st.plotly_chart(charts.runs_figure(started), key="poolx_chart")
    if not exp.active and st.session_state.get("poolx_drawn") is not exp:
        st.session_state["poolx_drawn"] = exp
        st.rerun()


st.fragment(run_every=1.0 if running else None)(live)()

if exp is not None and not exp.active:
    table = exp.table()
    if not table.empty:
        st.subheader("Result")
        st.dataframe(table, hide_index=True, key="poolx_table")
        st.markdown(exp.verdict())
        st.caption("The parameter counts are equal: pooling layers have no weights, so swapping max for "
                   "average changes what flows through the network, not what it can learn. The seconds "
                   "per epoch are nearly equal too.")
        with st.expander("Every run"):
            st.dataframe(exp.runs(), hide_index=True, key="poolx_runs")
