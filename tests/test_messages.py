"""Messages with ids: every sentence the library says comes from the catalog; ours are shown as
they are, anything else (Keras, TensorFlow, a bug) as a generic sentence and a log line."""

import re
import string
from pathlib import Path

import pytest

from cnn_core import executors, jobs, messages, runner, training
from cnn_core.messages import CATALOG, UserError, msg

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for d in ("cnn_core", "ui", "app_pages") for p in (ROOT / d).rglob("*.py")]


def _fields(template: str) -> set:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_id_the_code_uses_is_in_the_catalog():
    used, prefixes = set(), set()
    for path in SOURCES:
        text = path.read_text()
        used |= set(re.findall(r"""(?:UserError|msg)\(\s*["']([a-z_]+\.[a-z0-9_]+)["']""", text))
        prefixes |= set(re.findall(r"""msg\(\s*f["']([a-z_]+\.[a-z_]*)\{""", text))  # msg(f"data.source_{kind}")
    assert not {i for i in used if i not in CATALOG}
    assert not {p for p in prefixes if not any(k.startswith(p) for k in CATALOG)}
    assert len(used) > 60 and prefixes  # the scan really found the call sites


def test_the_library_raises_no_bare_value_errors():
    """A sentence for a learner is a UserError with an id (so it can be translated); nowhere else."""
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in (ROOT / "cnn_core").rglob("*.py")
                 for n, line in enumerate(p.read_text().splitlines(), start=1) if "raise ValueError(" in line]
    assert offenders == []


@pytest.mark.parametrize("msg_id", sorted(CATALOG))
def test_every_entry_is_well_formed(msg_id):
    entry = CATALOG[msg_id]
    if isinstance(entry, tuple):  # a plural: (singular, plural), chosen by n, with the same fields
        assert len(entry) == 2 and "n" in _fields(entry[1]) and _fields(entry[0]) == _fields(entry[1])
    else:
        assert entry.strip() and entry == entry.strip()
        _fields(entry)  # parses


def test_plurals_read_right():
    assert str(msg("units.epochs", n=1)) == "1 epoch"
    assert str(msg("units.epochs", n=2)) == "2 epochs"
    assert str(msg("units.batches", n=1_234)) == "1,234 batches"


def test_a_user_error_is_a_value_error_with_its_id_and_parameters():
    err = UserError("spec.too_few_classes")
    assert isinstance(err, ValueError) and err.message.id == "spec.too_few_classes"
    assert str(err) == CATALOG["spec.too_few_classes"]
    nested = UserError("spec.at_least", layer=messages.layer_ref(2, "conv 0 3x3"), what=msg("what.filters"),
                       low=1, value=0)
    assert str(nested) == "Layer 2 (conv 0 3x3): the number of filters must be at least 1 (got 0)."
    with pytest.raises(KeyError):
        msg("no.such.id")


def test_a_failure_inside_keras_is_not_shown_as_if_it_were_advice(caplog):
    assert runner.explain(UserError("train.max_images")).id == "train.max_images"
    keras_says = ValueError("Input 0 of layer 'dense' is incompatible with the layer: expected axis -1 ...")
    assert runner.explain(keras_says).id == "train.failed"  # a ValueError, but not ours
    assert "incompatible" in caplog.text  # ... its details are in the server log
    assert runner.explain(MemoryError()).id == "train.out_of_memory"


class _Broken:
    """A request whose preparation hits a bug (not something a learner did)."""

    config = training.TrainConfig(dataset="mnist", source="sample", epochs=1)

    def prepare(self, reporter):
        raise ZeroDivisionError("a bug")


def test_a_job_that_hits_a_bug_fails_with_the_generic_sentence():
    job = jobs.Job(_Broken()).start(executors.LocalExecutor(1))
    assert job.wait(60) and job.state == "failed"
    assert job.error.id == "train.failed" and "a bug" not in str(job.error)


def test_the_ui_shows_ours_as_they_are_and_anything_else_generically(caplog):
    from ui import errors

    assert errors.text(UserError("image.empty")) == "The file is empty."
    assert errors.text(KeyError("shape")) == CATALOG["error.unexpected"]
    assert "KeyError" in caplog.text

