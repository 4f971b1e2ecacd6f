"""Transfer learning: freeze and unfreeze the stages of a pretrained ResNet, and measure it."""

import pandas as pd
import streamlit as st

from cnn_core import i18n, training, transfer
from cnn_core.i18n import N_, _
from cnn_core.jobs import Job
from cnn_core.messages import UserError
from ui import charts, classroom, inside_view, job_panel, kept

KEY, RUNS = "transfer_job", "transfer_runs"

st.title(_("Transfer learning"))
st.caption(_("A ResNet pretrained on five CIFAR-10 classes gets a new head for a new task. With "
             "`trainable = False` a stage keeps its pretrained weights; with `True` every one of its "
             "parameters becomes a training target (slower). The total never changes."))

BACKBONES = {"resnet20": N_("ResNet-20, bundled (pretrained on airplane, automobile, bird, cat, deer)"),
             "resnet50": N_("Keras ResNet50 (ImageNet weights)")}
BACKBONE_NAMES = {"resnet20": "ResNet-20", "resnet50": "ResNet50"}  # names, the same in every language
SOURCE_LABELS = {"sample": N_("sample"), "auto": N_("auto")}  # cnn_core.data's sources, as the learner reads them
# The tables' columns: the rows' own names (the runs kept in the session, the class's record) -> what a learner reads.
COLUMNS = {
    "stage": N_("stage"), "parameters": N_("parameters"), "trainable": N_("trainable"),
    "non-trainable": N_("non-trainable"), "configuration": N_("configuration"), "backbone": N_("backbone"),
    "target": N_("target"), "trainable parameters": N_("trainable parameters"), "epochs": N_("epochs"),
    "ms per step": N_("ms per step"), "test accuracy": N_("test accuracy"), "batch norm": N_("batch norm"),
    "layer": N_("layer"), "type": N_("type"), "output shape": N_("output shape"),
}
BATCH_NORM = {"inference": N_("inference")}  # the runs table's batch norm modes ("training=True" is code)


def headed(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its columns in the reader's words."""
    return table.rename(columns=lambda c: _(COLUMNS[c]) if c in COLUMNS else c)


kept.restore("transfer_")  # the settings as the learner left them (Streamlit forgets them on another page)
c1, c2 = st.columns(2)
backbone = c1.selectbox(_("Backbone"), list(BACKBONES), format_func=i18n.labels_in_this_language(BACKBONES),
                        key="transfer_backbone")
target_names = {t: str(name) for t, name in transfer.TARGETS.items()}  # in this run's language
target = c2.selectbox(_("Target task"), list(target_names), format_func=target_names.get, key="transfer_target")
stages = transfer.BACKBONE_STAGES[backbone]
meta = transfer.metadata()
if backbone == "resnet20" and meta:
    st.caption(_("Pretrained by `{script}`: {epochs} epochs, seed {seed}, {accuracy:.1%} test accuracy on its five "
                 "classes.").format(script=meta["made_by"], epochs=meta["epochs"], seed=meta["seed"],
                                    accuracy=meta["test_accuracy_source_classes"]))
available = True
try:
    if backbone == "resnet50" and transfer.resnet50_weights_path() is None:
        transfer.load_backbone("resnet50")  # raises the sentence that says how to get the weights
    if backbone == "resnet20" and not transfer.WEIGHTS.exists():
        transfer.load_backbone("resnet20")
except UserError as err:
    st.warning(str(err))
    available = False

st.subheader(_("Which stages train?"))
defaults = {s: s == "head" for s in stages}
cols = st.columns(len(stages))
# A stage's name is its layers' name prefix (stem, stage1, conv2, head): code, the same in every language.
flags = {s: cols[i].toggle(s, value=defaults[s], key=f"transfer_tr_{backbone}_{s}") for i, s in enumerate(stages)}
bn_training = st.toggle(_("Run frozen batch norm with training=True (the guide's caveat)"), key="transfer_bn",
                        help=_("Frozen stages then normalise with each batch's own statistics instead of the "
                               "pretrained moving ones: watch the accuracy suffer."))


def _architecture(name: str):
    """A weightless copy of the backbone for counting parameters (each session has its own)."""
    import keras

    if name == "resnet20":
        return transfer.build_resnet20()
    return keras.applications.ResNet50(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3))


n_classes = 10 if target != "cifar5_heldout" else 5
preview_key = ("transfer_preview", backbone, n_classes)
if st.session_state.get("transfer_preview_key") != preview_key:  # one preview model per session
    st.session_state["transfer_preview"] = transfer.build_classifier(_architecture(backbone), n_classes)
    st.session_state["transfer_preview_key"] = preview_key
preview = st.session_state["transfer_preview"]
transfer.set_trainable(preview, flags, stages)
trainable, non_trainable, total = transfer.param_counts(preview)
m1, m2, m3 = st.columns(3)
m1.metric(_("Trainable parameters"), f"{trainable:,}")
m2.metric(_("Non-trainable"), f"{non_trainable:,}")
m3.metric(_("Total"), f"{total:,}", help=_("constant: freezing moves parameters between the two columns"))
st.caption(_("The total never changes: `trainable` only decides which parameters the optimizer updates. "
             "Even with everything trainable some stay non-trainable: batch norm's moving mean and "
             "variance are running statistics, never trained by gradients."))
with st.expander(_("Parameters per stage")):
    st.dataframe(headed(transfer.stage_table(preview, stages)), hide_index=True, key="transfer_stage_table")

st.subheader(_("Train it"))
t1, t2, t3 = st.columns(3)
epochs = t1.number_input(_("Epochs"), 1, 30, 3, key="transfer_epochs")
all_images = _("all")
images = t2.select_slider(_("Training images"), [500, 1000, 2000, 5000, 0], value=2000, key="transfer_images",
                          format_func=lambda n: all_images if n == 0 else f"{n:,}")
source = t3.radio(_("Data"), list(SOURCE_LABELS), horizontal=True, key="transfer_source",
                  format_func=i18n.labels_in_this_language(SOURCE_LABELS))
scratch = st.checkbox(_("Same ResNet from scratch (random weights, all trainable): the baseline"),
                      key="transfer_scratch")
kept.remember(["transfer_backbone", "transfer_target", "transfer_bn", "transfer_epochs", "transfer_images",
               "transfer_source", "transfer_scratch", *(f"transfer_tr_{backbone}_{s}" for s in stages)])


def start(label: str, owner_alive) -> Job:
    cfg = training.TrainConfig(dataset="cifar10", source=source, epochs=int(epochs), max_train_images=int(images),
                               learning_rate=1e-3 if not scratch else 3e-3, validation_fraction=0.0)
    use = {s: True for s in stages} if scratch else flags
    request = transfer.TransferRequest(backbone, target, use, cfg, source=source, scratch=scratch,
                                       frozen_bn_training=bn_training)
    return Job(request, label=str(transfer.describe_flags(use, scratch, stages)), owner_alive=owner_alive)


def configuration(request) -> str:
    """A run's configuration in the reader's words now (a job's label keeps the words it started with)."""
    return str(transfer.describe_flags(dict(request.flags), request.scratch, transfer.BACKBONE_STAGES[request.backbone]))


def live(job) -> None:
    if job.request.feature_cache:
        st.caption(_("**{configuration}**: every backbone stage is frozen, so the backbone's features are computed "
                     "once and only the head trains on them (the same model, many times faster).").format(
            configuration=configuration(job.request)))
    snap = job.snapshot()
    if snap.steps:
        st.plotly_chart(charts.training_figure(snap), key="transfer_chart", width="stretch")


def record(job) -> None:
    """The run's numbers into the runs table (what stays; the latest run keeps its model to look inside)."""
    if job.result is None:
        return
    request, snap = job.request, job.snapshot()
    row = {
        "configuration": job.label, "backbone": request.backbone, "target": request.target,
        "trainable parameters": transfer.param_counts(job.model)[0], "epochs": snap.epoch,
        "ms per step": round(1000 * job.metrics.fit_seconds / max(snap.step, 1), 1),
        "test accuracy": job.result["accuracy"],
        "batch norm": "training=True" if request.frozen_bn_training and not request.scratch else "inference"}
    st.session_state.setdefault(RUNS, []).append(row)
    classroom.record_transfer_run(job, row)  # for the teacher, when in a class


last = job_panel.panel(KEY, start, start_label=_("Train"), live=live, on_done=record,
                       disabled_reason="" if available else _("The chosen backbone's weights are not on this computer."))
if last is not None and not last.active and last.result is not None and st.toggle(
        _("Look inside the last run's model ({configuration})").format(configuration=configuration(last.request)),
        key="transfer_inside"):
    inside_view.render(last.model, last.outcome.images, last.result, "transfer_inside")

runs = st.session_state.get(RUNS, [])
if runs:
    st.subheader(_("Runs"))
    table = pd.DataFrame(runs)
    table["batch norm"] = table["batch norm"].map(lambda mode: _(BATCH_NORM[mode]) if mode in BATCH_NORM else mode)
    table["backbone"] = table["backbone"].map(lambda b: BACKBONE_NAMES.get(b, b))  # the rows keep the ids
    table["target"] = table["target"].map(lambda t: target_names.get(t, t))
    st.dataframe(headed(table), hide_index=True, key="transfer_runs_table",
                 column_config={_(COLUMNS["configuration"]): st.column_config.TextColumn(width="large"),
                                _(COLUMNS["test accuracy"]): st.column_config.NumberColumn(format="percent"),
                                _(COLUMNS["trainable parameters"]): st.column_config.NumberColumn(format="localized")})
    st.caption(_("Compare on the same target and budget: all frozen, last stage unfrozen, all unfrozen, "
                 "and from scratch. With little data and time, pretrained should win; the table says if it did."))

st.subheader(_("Inside a residual block"))
block = "stage2_block1" if backbone == "resnet20" else "conv3_block1"
rows = [{"layer": layer.name, "type": type(layer).__name__,
         "output shape": " x ".join(str(d) for d in layer.output.shape[1:]), "parameters": layer.count_params()}
        for layer in preview.layers if layer.name.startswith(block)]
st.dataframe(headed(pd.DataFrame(rows)), hide_index=True, key="transfer_block")
st.caption(_("The block computes F(x) with two 3x3 convolutions and adds its input back: out = relu(F(x) + x). "
             "Here the shape changes (stride 2, more filters), so the shortcut is a 1x1 convolution (a "
             "projection) instead of the identity. The addition gives gradients a direct path back, which "
             "is why very deep ResNets still train."))
