"""Max against average pooling: a controlled experiment on the training engine."""

import streamlit as st

from cnn_core import data, experiments, training
from cnn_core import spec as spec_mod
from ui import charts, classroom, inside_compare, job_panel, state

KEY = "poolx_experiment"

st.title("Max vs average pooling: an experiment")
st.caption("Two CNNs identical but for the pooling kind: same architecture, same initial weights, "
           "same data order, same seed. Only `MaxPooling2D` vs `AveragePooling2D` differs.")

spec = state.current_spec()
if not any(layer["type"] in ("pool", "global_pool") for layer in spec):
    spec = spec_mod.PRESETS["Keras MNIST convnet"]
    st.info("Your model on **Build a CNN** has no pooling layer, so this uses the Keras MNIST convnet.")
st.caption(f"Model: {spec_mod.summary(spec)} + classifier.")

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


def start(label: str, owner_alive):
    cfg = training.TrainConfig(dataset=name, source=source, epochs=int(epochs), max_train_images=int(images),
                               learning_rate=2e-3)
    return experiments.PoolingExperiment(spec, cfg, seeds=range(int(n_seeds)), owner_alive=owner_alive)


def live(exp) -> None:
    started = [(job.label, s) for job in exp.jobs.values() if (s := job.snapshot()).steps]
    if started:
        st.plotly_chart(charts.runs_figure(started), key="poolx_chart", width="stretch")


def record(exp) -> None:
    classroom.record_pooling_experiment(exp, str(spec_mod.summary(exp.spec)))  # for the teacher, in a class


exp = job_panel.panel(KEY, start, start_label="Run the experiment", live=live, on_done=record,
                      idle="Press **Run the experiment**. Both models' losses are drawn on one chart as they train.")

PERCENT = st.column_config.NumberColumn(format="percent")
if exp is not None and not exp.active:
    table = exp.table()
    if not table.empty:
        st.subheader("Result")
        st.dataframe(table, hide_index=True, key="poolx_table",
                     column_config={"test accuracy (mean)": PERCENT, "lowest": PERCENT, "highest": PERCENT,
                                    "parameters": st.column_config.NumberColumn(format="localized")})
        verdict = exp.verdict()
        if verdict is not None:
            st.markdown(str(verdict))
        st.caption("The parameter counts are equal: pooling layers have no weights, so swapping max for "
                   "average changes what flows through the network, not what it can learn. The seconds "
                   "per epoch are nearly equal too.")
        with st.expander("Every run"):
            st.dataframe(exp.runs(), hide_index=True, key="poolx_runs",
                         column_config={"test accuracy": PERCENT,
                                        "parameters": st.column_config.NumberColumn(format="localized")})
        first = exp.seeds[0]
        pair = {f"{kind} pooling": exp.jobs[(kind, first)] for kind in experiments.KINDS}
        if all(job.result is not None for job in pair.values()) and st.toggle(
                f"Look inside both models (seed {first}) with the same image", key="poolx_inside"):
            images = next(iter(pair.values())).outcome.images
            inside_compare.side_by_side({label: job.model for label, job in pair.items()}, images, "poolx_inside")
