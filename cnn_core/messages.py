"""Every sentence cnn_core says to a learner, by id: one catalog, and the error that carries an id.

    raise UserError("spec.kernel_too_big", layer=where, h=5, w=5, k=7)
    str(err)                    # "Layer 3 (conv 32 7x7) gets a 5x5 input, smaller than ..."
    err.message.id, err.message.params

A `UserError` is a `ValueError` (callers that catch ValueError keep working) whose text comes from
`CATALOG` by id, with named parameters. The UI shows a UserError's text as is and replaces any
other exception with a generic sentence, so a learner never reads a message from inside Keras or
TensorFlow as if it were ours. A message is rendered when it is shown, in the reader's language
(cnn_core.i18n: the gettext catalogs under locales/); parameters may themselves be `Message`s (a
layer's name, a plural count), rendered in the same language.

Entries are `N_(...)` so that gettext tools (Babel) can extract them; `Nn_(singular, plural)` is
a plural entry, chosen by the parameter `n` with the language's plural rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnn_core import i18n
from cnn_core.i18n import N_, Nn_

CATALOG: dict[str, str | tuple[str, str]] = {
    # ---------------------------------------------------------------- generic
    "error.unexpected": N_("Something went wrong inside the app; it has been logged. Try again, or change a setting."),
    "units.epochs": Nn_("{n:,} epoch", "{n:,} epochs"),
    "units.batches": Nn_("{n:,} batch", "{n:,} batches"),
    "units.runs": Nn_("{n:,} run", "{n:,} runs"),
    "units.minutes": Nn_("about {n:,} minute", "about {n:,} minutes"),
    "units.seconds_about": N_("about {n:,} s"),
    # ---------------------------------------------------------------- the job panel
    "panel.queued": N_("Queued, position {position}: it starts by itself when the runs ahead of it have "
                       "finished (this server trains {slots} at a time)."),
    "panel.queued_wait": N_("Queued, position {position}: it should start in {wait} (this server trains {slots} at "
                            "a time). It starts by itself."),
    "panel.preparing": N_("Preparing the run..."),
    "panel.running": N_("Training on the {source}: epoch {epoch}/{epochs}, batch {step:,}/{total:,}{left}."),
    "panel.left": N_(", {left} left"),
    "panel.phase_progress": N_("{done:,} of {total:,}{left}"),
    "panel.stopping": N_("Stopping after this batch..."),
    "panel.stopped_queued": N_("Stopped before it started: it was still waiting in the queue, so there is "
                               "nothing to show."),
    "panel.stopped": N_("Stopped after {batches}; the model keeps what it learned so far (trained on the "
                        "{source})."),
    "panel.finished": N_("Finished {epochs} ({batches}) in {seconds:.1f} s on the {source}."),
    "results.overfitting": N_("It scores {train:.1%} on images it trained on but {test:.1%} on test images it "
                              "never saw: it has started to memorise its training images (overfitting). More "
                              "images, augmentation or dropout narrow the gap."),
    "results.too_few_steps": N_("Training images {train:.1%}, test images {test:.1%}: both still low, because "
                                "{batches} of training are not enough yet. Train for more epochs."),
    "results.alike": N_("Training images {train:.1%}, test images {test:.1%}: what it learned carries over to "
                        "images it never saw."),
    "results.flipped": N_("Test-time flips: each image is scored as the mean of the model's answers for it and "
                          "for its mirror image (one more pass at test time; worth 1-2 points on CIFAR-10). "
                          "Try it below does the same."),
    "results.bn_recalibrated": N_("Batch norm's statistics were re-estimated on training images after training "
                                  "({n} layers), so the test score is fair even after a short run."),
    "panel.group_done": N_("{done} of {runs} done"),
    # ---------------------------------------------------------------- arithmetic
    "arith.whole_number": N_("The {what} must be a whole number, not {value!r}."),
    "arith.at_least_one": N_("The {what} must be at least 1 (got {value})."),
    "arith.padding": N_("Padding must be 'valid' or 'same', not {value!r}."),
    "arith.window_too_big": N_("A {k}x{k} {noun} does not fit a {n}x{n} input with 'valid' padding (no padding): "
                               "use a smaller {noun}, or padding='same'."),
    "what.input_size": N_("input size"),
    "what.kernel_size": N_("kernel size"),
    "what.pool_size": N_("pool window size"),
    "what.stride": N_("stride"),
    "what.in_channels": N_("number of input channels"),
    "what.filters": N_("number of filters"),
    "what.inputs": N_("number of inputs"),
    "what.units": N_("number of units"),
    "what.channels": N_("number of channels"),
    "what.pool": N_("pool size"),
    "what.pool_kind": N_("pooling kind"),
    "what.padding": N_("padding"),
    "what.activation": N_("activation"),
    "what.rate": N_("dropout rate"),
    "what.bias": N_("bias setting"),
    "noun.kernel": N_("kernel"),
    "noun.pool_window": N_("pool window"),
    # ---------------------------------------------------------------- layer specs
    "spec.layer": N_("Layer {i} ({label})"),
    "spec.not_a_list": N_("A spec must be a list of layers."),
    "spec.too_many_layers": N_("This stack has {n} layers; the builder allows at most {limit}."),
    "spec.unknown_type": N_("Layer {i} has an unknown type {kind!r}; use one of {kinds}."),
    "spec.unknown_setting": N_("Layer {i} ({kind}) has an unknown setting {key!r}."),
    "spec.whole_number": N_("{layer}: the {what} must be a whole number, not {value!r}."),
    "spec.at_least": N_("{layer}: the {what} must be at least {low} (got {value})."),
    "spec.at_most": N_("{layer}: the {what} must be at most {high} (got {value})."),
    "spec.choice": N_("{layer}: the {what} must be one of {choices}, not {value!r}."),
    "spec.yes_no": N_("{layer}: the {what} must be true or false, not {value!r}."),
    "spec.rate": N_("{layer}: the dropout rate must be at least 0 and below 1 (got {value!r})."),
    "spec.bad_input_shape": N_("The input must be height x width x channels, not {shape}."),
    "spec.too_few_classes": N_("A classifier needs at least 2 classes."),
    "spec.too_many_params": N_("{layer} brings the network to {total:,} parameters; this tool allows at most "
                               "{limit:,}. Use fewer units or filters, or pool first."),
    "spec.classifier_too_big": N_("The classifier over {inputs:,} inputs brings the network to {total:,} parameters; "
                                  "this tool allows at most {limit:,}. Pool or use fewer units before it."),
    "spec.needs_image": N_("{layer} needs an image-shaped input (height x width x channels) but gets a flat vector "
                           "of {n:,} values: move it before the Flatten / Dense layers."),
    "spec.needs_flat": N_("{layer} gets an image-shaped {shape} input: add a Flatten or global pooling layer "
                          "before it."),
    "spec.kernel_too_big": N_("{layer} gets a {h}x{w} input, smaller than its {k}x{k} kernel: use a smaller "
                              "kernel, padding='same', or less pooling before it."),
    "spec.window_too_big": N_("{layer} gets a {h}x{w} input, smaller than its {k}x{k} window: remove it, or use "
                              "padding='same'."),
    "spec.dense_too_big": N_("{layer} would need {params:,} parameters over its {n:,} inputs; this tool allows at "
                             "most {limit:,} in the whole network."),
    # ---------------------------------------------------------------- data
    "data.unknown_dataset": N_("Unknown dataset {name!r}; choose 'mnist' or 'cifar10'."),
    "data.unknown_source": N_("Unknown source {source!r}; choose 'auto', 'sample' or 'full'."),
    "data.sample_missing": N_("The shipped {title} sample is missing ({path}); run scripts/build_samples.py."),
    "data.full_offline": N_("The full {title} set is not on this computer and could not be downloaded: connect "
                            "to the internet once (it downloads {size}), or set CNN_DATASETS_DIR to a folder "
                            "that holds {file}. Until then, use the shipped sample."),
    "data.source_full": N_("full {title}: {train:,} training and {test:,} test images"),
    "data.source_sample": N_("shipped sample of {title}: {train:,} training and {test:,} test images"),
    "data.phase_loading_full": N_("Loading the full {title} set"),
    "data.phase_loading_sample": N_("Loading the shipped sample of {title}"),
    "data.phase_decoding": N_("Decoding the {title} images (once per computer; later starts read the cache)"),
    "data.phase_downloading": N_("Downloading the full {title} set"),
    # ---------------------------------------------------------------- training settings
    "train.unknown_dataset": N_("Unknown dataset {value!r}; choose MNIST or CIFAR-10."),
    "train.unknown_source": N_("Unknown data source {value!r}."),
    "train.epochs": N_("Epochs must be a whole number from 1 to 100 (got {value})."),
    "train.batch_size": N_("The batch size must be from 1 to 4096 (got {value})."),
    "train.learning_rate": N_("The learning rate must be above 0 and at most 1 (got {value})."),
    "train.learning_rate_text": N_("The learning rate must be a number such as 0.001, not {value!r}."),
    "train.optimizer": N_("Unknown optimizer {value!r}; use {choices}."),
    "train.schedule": N_("Unknown schedule {value!r}; use {choices}."),
    "train.label_smoothing": N_("Label smoothing must be from 0 to below 0.5."),
    "train.validation": N_("The validation share must be from 0 to 0.5 of the training images."),
    "train.max_images": N_("The number of training images cannot be negative."),
    "train.flip_digits": N_("Test-time flips are for photos (CIFAR-10): a mirrored digit is not the same digit."),
    "train.out_of_memory": N_("Training ran out of memory: use a smaller batch size or fewer filters/units."),
    "train.failed": N_("Training failed because of a problem inside the app (it has been logged). Try again, "
                       "or try smaller settings."),
    "train.worker_lost": N_("The computer that was training this run stopped answering; the run is lost. "
                            "Press Train to start it again."),
    "train.phase_building": N_("Building the model"),
    "train.phase_first_step": N_("Preparing the first training step"),
    "train.phase_bn": N_("Re-estimating batch norm's statistics on training images"),
    "train.phase_evaluating": N_("Scoring the {n:,} test images"),
    # ---------------------------------------------------------------- experiments and transfer
    "exp.no_pooling": N_("This model has no pooling layer to compare: add one on Build a CNN."),
    "exp.seeds": N_("Use from 1 to 10 seeds."),
    "exp.max": N_("Max pooling"),
    "exp.avg": N_("Average pooling"),
    "exp.run": N_("{kind}, seed {seed}"),
    "exp.verdict_one_seed": N_("One seed only: the difference may be luck. Repeat with several seeds to see the "
                               "spread."),
    "exp.verdict_won": N_("{winner} won every seed ({a:.2%} against {b:.2%} on average)."),
    "exp.verdict_overlap": N_("The ranges overlap: with these settings the difference between max and average "
                              "pooling is no larger than the seed-to-seed noise."),
    "transfer.unknown_stage": N_("Unknown stage(s) {stages}; the stages are {known}."),
    "transfer.unknown_target": N_("Unknown target {value!r}; choose one of {choices}."),
    "transfer.unknown_backbone": N_("Unknown backbone {value!r}; choose resnet20 or resnet50."),
    "transfer.weights_missing": N_("The bundled ResNet-20 weights are missing; run scripts/pretrain_resnet.py."),
    "transfer.resnet50_missing": N_("Keras' ImageNet weights for ResNet50 (~100 MB) are not on this machine. Run "
                                    "`python -c \"import keras; keras.applications.ResNet50()\"` once with a "
                                    "network connection, then reload this page."),
    "transfer.target_cifar5_heldout": N_("CIFAR-10, the 5 classes the backbone never saw (dog, frog, horse, ship, "
                                         "truck)"),
    "transfer.target_cifar10": N_("CIFAR-10, all 10 classes"),
    "transfer.target_mnist": N_("MNIST digits (grey, padded to 32x32 and repeated to 3 channels)"),
    "transfer.source_sample": N_("{target}: {train:,} training and {test:,} test images (shipped sample)"),
    "transfer.source_full": N_("{target}: {train:,} training and {test:,} test images (full set)"),
    "transfer.flags_scratch": N_("same ResNet from scratch (random weights, all trainable)"),
    "transfer.flags_unfrozen": N_("all unfrozen"),
    "transfer.flags_frozen": N_("all frozen (head only)"),
    "transfer.flags_some": N_("frozen: {stages}"),
    "transfer.phase_features": N_("Computing the frozen backbone's features for every image (once per run)"),
    # ---------------------------------------------------------------- images and uploads
    "image.empty": N_("The file is empty."),
    "image.too_big_file": N_("The file is {mb:.1f} MB; upload an image under {limit} MB."),
    "image.too_many_pixels": N_("The image is {w}x{h} pixels; that is too large to read."),
    "image.unreadable": N_("That file is not an image this app can read (try a PNG or JPEG)."),
    "image.blank": N_("The image is blank: there is no digit to read."),
    "conv.channels": N_("The kernel expects {cin} input channels but the image has {c}."),
    "conv.pool_kind": N_("Pooling is 'max' or 'avg', not {kind!r}."),
    "conv.kernel_size": N_("The kernel size must be at least 1."),
    "conv.unknown_filter": N_("Unknown filter {name!r}."),
    # ---------------------------------------------------------------- inside the network
    "inside.input_shape": N_("This model reads {want} images; the chosen image is {got}."),
    "inside.no_layer": N_("The model has no layer named {name!r}."),
    "inside.not_conv": N_("{name} is not a convolution: only a convolution has filters to show."),
    "inside.not_spatial": N_("{name} gives a vector, not feature maps: pick a convolution or pooling layer."),
    "inside.no_position": N_("There is no output at row {row}, column {col}, channel {channel}: the map is {h}x{w} with {n} channels."),
    "inside.model_freed": N_("This run's model is no longer kept (only the last few runs keep theirs): train again to look inside."),
    "inside.no_image": N_("Draw a digit or upload an image first."),
    "inside.grad_cam": N_("Grad-CAM on **{layer}** ({h}x{w}): each of its channels weighted by how much the score "
                          "for '{cls}' rises with it, summed, and the negative parts dropped; stretched to the "
                          "image's size. Yellow is where the evidence for this class is."),
    "inside.saliency": N_("This model has no convolution, so this is a saliency map: how much the score for "
                          "'{cls}' changes with each pixel."),
    "inside.heat_look_for": N_("Look for: does the heat sit on the object (the strokes of a digit) or on the "
                               "background? Pick another class to see what speaks for it."),
    "inside.layers_look_for": N_("Each small map is one channel, scaled to its own range (white = its highest "
                                 "value). Look for: early layers keep the shape of the input; deeper ones are "
                                 "smaller, with more channels, each answering a pattern somewhere in the image."),
    "inside.channels": N_("channels 1-{k} of {c}; values from {low:.2f} to {high:.2f}"),
    "inside.filters_colour": N_("The {n} filters of **{layer}**, the weights training found ({k}x{k}, in colour: "
                                "what colour and edge each looks for)."),
    "inside.filters_grey": N_("The {n} filters of **{layer}**, the weights training found ({k}x{k}; light = "
                              "positive weight)."),
    "class.unknown_code": N_("No class has the code {code}. Check it with your teacher (letters and digits, no 0, "
                             "O, 1 or I)."),
    "class.bad_code": N_("A class code is {n} letters and digits, like K7QM2P. Check it with your teacher."),
    "class.bad_display_name": N_("Type a name for the class to see (at most {limit} characters)."),
    "class.bad_class_name": N_("Give the class a name (at most {limit} characters)."),
    "class.unreachable": N_("The class list cannot be reached right now. Keep working; try joining again in a while."),
    "class.not_recorded": N_("This was not recorded for your class (the class list cannot be reached)."),
    "class.dashboard_unreachable": N_("The class database cannot be reached right now; the rest of the app keeps "
                                      "working."),
    "class.no_passphrase": N_("This page is for the teacher. Set a passphrase first: start the app with "
                              "`{env}=...` in its environment, or put `instructor_password = \"...\"` in "
                              "`.streamlit/secrets.toml`."),
    "class.wrong_passphrase": N_("That passphrase is not the one this server was started with."),
    "class.link_code": N_("This link's class code cannot be used: {reason}"),
    # ---------------------------------------------------------------- links that restore a view
    "link.bad_settings": Nn_("This link has {n} setting this page cannot use ({settings}), so it stays as it was.",
                             "This link has {n} settings this page cannot use ({settings}), so they stay as they "
                             "were."),
    "link.layers_unreadable": N_("Its layer stack cannot be read: it may have been cut off when it was copied."),
    "ray.cluster": Nn_("Trains on the Ray cluster at {address}: {n} run at a time, the rest wait in the queue.",
                       "Trains on the Ray cluster at {address}: {n} runs at once, the rest wait in the queue."),
    "ray.unreachable": N_("The Ray cluster at {address} could not be reached when the app started, so training "
                          "runs on this computer; restart the app once the cluster is up to use it."),
    "ray.phase_worker": N_("Starting a worker on the cluster"),
    "ray.no_worker": N_("No cluster machine had {cpus} CPUs free for this run. Press Train again in a while, or "
                        "ask the teacher to add a machine to the cluster."),
    "ray.worker_lost": N_("The cluster machine training this run stopped before it finished. Press Train to run "
                          "it again."),
    "inside.pick_value": N_("Click a map on the right to pick its filter ({shown} of **{layer}**'s {n} maps), then "
                            "a value in filter {filter}'s map, enlarged on the left, or type its filter, row and "
                            "column above. Light = high; each map on its own scale; the outlined square is the "
                            "value computed below."),
    "inside.filter_weights": N_("Filter {filter} of **{layer}**: its {k}x{k} weights for each of its {cin} input "
                                "channels (light = positive, all on one scale), and its bias {bias:.4f}. It made the "
                                "feature map the value was picked from."),
    "inside.window_numbers": N_("Input channel {channel} of {cin}: the window of the layer's input, the filter's "
                                "weights for that channel, and their products."),
    "inside.channel_sum": N_("This channel's products add up to {part:.4f}; all {cin} channels' add up to {total:.4f}."),
    "inside.arithmetic": N_("Sum of all {n:,} products **{products:.4f}** + bias **{bias:.4f}** = **{total:.4f}**; "
                            "after {activation}: **{value:.4f}**. The network computed **{network:.4f}** there: the "
                            "convolution lab's arithmetic, on the weights training learned."),
    "inside.top_images": N_("The {k} of the first {n:,} test images with the highest mean value in channel "
                            "{channel} of {layer}, strongest first. Look for what they share: a stroke direction, "
                            "a colour, a texture. Deeper layers answer larger, more specific patterns."),
    "inside.live_look_for": N_("Look for: at the start the filters are random noise and the maps blur the digit; "
                               "within a few hundred batches the filters turn into edge and stroke detectors, and "
                               "each map lights up one kind of edge."),
    "inside.pooling_look_for": N_("Look for: after max pooling the strongest responses survive (sharp, bright "
                                  "spots); after average pooling they are spread out and dimmer. Layers before the "
                                  "first pooling are identical: same weights at the start, same data, only the "
                                  "pooling differs."),
    # ---------------------------------------------------------------- quiz
    "quiz.bank_missing_key": N_("{where} has no {key}."),
    "quiz.bank_topic": N_("{where} has an unknown topic {value!r}."),
    "quiz.bank_kind": N_("{where} has an unknown kind {value!r}."),
    "quiz.bank_page": N_("{where} links to an unknown page {value!r}."),
    "quiz.bank_single": N_("{where}: the answer must be the index of one of its choices."),
    "quiz.bank_multiple": N_("{where}: the answer must list indices of its choices."),
    "quiz.bank_numeric": N_("{where}: a numeric answer must be a number."),
    "quiz.bank_shape": N_("{where}: a shape answer must be a list of whole numbers."),
    "quiz.bank_question": N_("question {n} ({id})"),
    "quiz.bank_not_list": N_("The question bank must be a list of questions."),
    "quiz.bank_duplicates": N_("The question bank has duplicate ids."),
    "quiz.code_format": N_("A quiz code looks like 1234-all or 1234-1f (ask your instructor for it)."),
    "quiz.code_topics": N_("That quiz code names no known topic."),
    "quiz.number_empty": N_("Type a number first."),
    "quiz.number_bad": N_("{text!r} is not a number: type digits only, such as 896."),
    "quiz.number_finite": N_("Type a finite number."),
    "quiz.shape_empty": N_("Type a shape first, such as 26, 26, 32."),
    "quiz.shape_bad": N_("{text!r} is not a shape: type whole numbers separated by commas, such as 26, 26, 32."),
    "quiz.choose_one": N_("Choose an answer first."),
    "quiz.choose_some": N_("Choose at least one answer first."),
}


@dataclass(frozen=True)
class Message:
    """A sentence by id with its parameters: plain data (it can cross to another process)."""

    id: str
    params: dict = field(default_factory=dict)

    def render(self, language: str | None = None) -> str:
        """The text in `language` (default: the current reader's, see cnn_core.i18n), parameters filled in."""
        lang = language or i18n.language()
        catalog = i18n.translation(lang)
        template = CATALOG[self.id]
        if isinstance(template, tuple):  # (singular, plural): the language's plural rule picks by `n`
            text = catalog.ngettext(*template, self.params.get("n", 0))
        else:
            text = catalog.gettext(template)
        params = {k: v.render(lang) if isinstance(v, Message) else v for k, v in self.params.items()}
        return text.format(**params)

    def __str__(self) -> str:
        return self.render()


def msg(msg_id: str, **params) -> Message:
    """A Message, checked: an unknown id is a programming error, found at once."""
    if msg_id not in CATALOG:
        raise KeyError(f"no message {msg_id!r} in cnn_core.messages.CATALOG")
    return Message(msg_id, params)


class UserError(ValueError):
    """An error a learner can cause and fix: its text is a catalog sentence (see the module doc)."""

    def __init__(self, msg_id: str, **params):
        self.message = msg(msg_id, **params)
        super().__init__(str(self.message))


def layer_ref(i: int, label: str) -> Message:
    """'Layer 3 (conv 32 3x3)': how every spec error names its layer."""
    return msg("spec.layer", i=i, label=label)
