"""CNN_PAUSES=1: what a teacher or developer chasing a slow server reads in its log."""

from __future__ import annotations

import logging
import time

import pytest

from cnn_core import diagnostics


@pytest.fixture
def server_log():
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    handler, logger = Keep(), logging.getLogger("cnn_core.diagnostics")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_a_slow_page_run_is_logged_with_its_page_and_a_quick_one_is_not(server_log, monkeypatch):
    monkeypatch.setattr(diagnostics, "_watching", type(diagnostics._watching)())
    diagnostics._watching.set()
    with diagnostics.timed_run("convolution"):
        pass
    with diagnostics.timed_run("train"):
        time.sleep(diagnostics.SLOW_RUN_S + 0.05)
    assert len(server_log) == 1 and server_log[0].startswith("pause: a run of train took ")
    ms = int(server_log[0].split()[-2])
    assert diagnostics.SLOW_RUN_S * 1000 <= ms < 5000


def test_page_runs_are_not_timed_unless_pauses_are_watched(server_log, monkeypatch):
    monkeypatch.setattr(diagnostics, "_watching", type(diagnostics._watching)())
    with diagnostics.timed_run("train"):
        time.sleep(diagnostics.SLOW_RUN_S + 0.05)
    assert server_log == []


def test_a_page_that_ends_its_run_early_is_still_timed(server_log, monkeypatch):
    monkeypatch.setattr(diagnostics, "_watching", type(diagnostics._watching)())
    diagnostics._watching.set()
    with pytest.raises(RuntimeError), diagnostics.timed_run("transfer"):  # st.stop() and st.rerun() raise
        time.sleep(diagnostics.SLOW_RUN_S + 0.05)
        raise RuntimeError
    assert server_log and "a run of transfer took" in server_log[0]
