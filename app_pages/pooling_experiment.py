"""Max against average pooling: a controlled experiment on the training engine."""

import streamlit as st

from cnn_core import data, experiments, i18n, training
from cnn_core import spec as spec_mod
from cnn_core.i18n import _, ngettext
from ui import charts, classroom, inside_compare, job_panel, kept, results, state

KEY = "poolx_experiment"

st.title(_("Max vs average pooling: an experiment"))
st.caption(_("Two CNNs identical but for the pooling kind: same architecture, same initial weights, "
             "same data order, same seed. Only `MaxPooling2D` vs `AveragePooling2D` differs."))

spec = state.current_spec()
if not any(layer["type"] in ("pool", "global_pool") for layer in spec):
    spec = spec_mod.PRESETS["Keras MNIST convnet"]
    st.info(_("Your model on **Build a CNN** has no pooling layer, so this uses the Keras MNIST convnet."))
st.caption(_("Model: {layers} + classifier.").format(layers=spec_mod.summary(spec)))

SETTINGS = ["poolx_source", "poolx_epochs", "poolx_seeds", "poolx_images"]
kept.restore("poolx_")  # as the learner left them (Streamlit forgets them on another page)
c1, c2, c3 = st.columns(3)
with c1:
    name = state.dataset_ui("poolx_dataset")
source = c1.radio(_("Data"), data.SOURCES, index=1, key="poolx_source", horizontal=True,
                  format_func=i18n.labels_in_this_language(data.SOURCE_LABELS))
epochs = c2.number_input(_("Epochs"), 1, 20, 1, key="poolx_epochs")
n_seeds = c2.number_input(_("Repeat with N seeds"), 1, 5, 1, key="poolx_seeds",
                          help=_("Each seed trains both models; the spread shows how much is luck"))
all_images = _("all")
images = c3.select_slider(_("Training images"), [1000, 2000, 5000, 10000, 0], value=5000, key="poolx_images",
                          format_func=lambda n: all_images if n == 0 else f"{n:,}")
kept.remember(SETTINGS)
n_runs = int(n_seeds) * 2
c3.caption(ngettext("{n} training run; they take turns on this server's CPU.",
                    "{n} training runs; they take turns on this server's CPU.", n_runs).format(n=n_runs))


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


exp = job_panel.panel(KEY, start, start_label=_("Run the experiment"), live=live, on_done=record,
                      idle=_("Press **Run the experiment**. Both models' losses are drawn on one chart as they "
                             "train."))

PERCENTS = ("test accuracy", "test accuracy (mean)", "lowest", "highest")


def column_config(table) -> dict:
    """Every column titled in the reader's language; accuracies as percentages, counts with separators."""
    config = {}
    for name in table.columns:
        title = _(experiments.COLUMNS[name])
        if name in PERCENTS:
            config[name] = st.column_config.NumberColumn(title, format="percent")
        elif name == "parameters":
            config[name] = st.column_config.NumberColumn(title, format="localized")
        else:
            config[name] = st.column_config.Column(title)
    return config


if exp is not None and not exp.active:
    table = exp.table()
    if not table.empty:
        st.subheader(_("Result"))
        st.dataframe(table, hide_index=True, key="poolx_table", column_config=column_config(table))
        verdict = exp.verdict()
        if verdict is not None:
            st.markdown(str(verdict))
        st.caption(_("The parameter counts are equal: pooling layers have no weights, so swapping max for "
                     "average changes what flows through the network, not what it can learn. The seconds "
                     "per epoch are nearly equal too."))
        with st.expander(_("Every run")):
            runs = exp.runs()
            runs["state"] = runs["state"].map(lambda s: _(results.STATES[s]))  # the job's state, in words
            st.dataframe(runs, hide_index=True, key="poolx_runs", column_config=column_config(runs))
        first = exp.seeds[0]
        # "max pooling", "avg pooling": the kinds keep their short names, as in the tables above
        pair = {_("{kind} pooling").format(kind=kind): exp.jobs[(kind, first)] for kind in experiments.KINDS}
        if all(job.result is not None for job in pair.values()) and st.toggle(
                _("Look inside both models (seed {seed}) with the same image").format(seed=first), key="poolx_inside"):
            images = next(iter(pair.values())).outcome.images
            inside_compare.side_by_side({label: job.model for label, job in pair.items()}, images, "poolx_inside")
