"""The training pages take turns (ui.turns): never more than TURNS at once, a live view inside its
page's run keeps the page's turn, and a turn that does not come delays a page but never stops it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from ui import nav, turns

ROOT = Path(__file__).resolve().parents[1]


def test_no_more_than_turns_pages_run_at_once_and_every_one_runs():
    running, most, done, lock = [0], [0], [], threading.Lock()

    def page(i):
        with turns.turn(patience_s=30) as got:
            assert got
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.02)
            with lock:
                running[0] -= 1
            done.append(i)

    threads = [threading.Thread(target=page, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(done) == list(range(12))
    assert most[0] == turns.TURNS


def test_a_live_view_inside_its_pages_run_keeps_the_pages_turn():
    held = [turns._turns.acquire(timeout=1) for _ in range(turns.TURNS - 1)]  # every turn but one is taken
    try:
        with turns.turn(patience_s=1) as page_got:
            t = time.perf_counter()
            with turns.turn(patience_s=1) as view_got:  # would wait its whole patience if it asked again
                pass
            assert page_got and view_got and time.perf_counter() - t < 0.5
        with turns.turn(patience_s=1) as again:  # and the turn was handed on when the page ended
            assert again
    finally:
        for got in held:
            if got:
                turns._turns.release()


def test_a_turn_that_does_not_come_delays_a_page_but_never_stops_it():
    held = [turns._turns.acquire(timeout=1) for _ in range(turns.TURNS)]
    try:
        t = time.perf_counter()
        with turns.turn(patience_s=0.2) as got:
            ran = True
        assert ran and not got and 0.15 < time.perf_counter() - t < 2
    finally:
        for _ in held:
            turns._turns.release()
    with turns.turn(patience_s=1) as got:  # nothing was handed on that was not taken
        assert got


def test_an_error_in_a_page_hands_its_turn_on():
    for _ in range(turns.TURNS + 1):
        try:
            with turns.turn(patience_s=1) as got:
                assert got
                raise RuntimeError("st.rerun() and st.stop() leave a page's run by an exception")
        except RuntimeError:
            pass


def test_a_page_that_does_not_train_never_waits():
    held = [turns._turns.acquire(timeout=1) for _ in range(turns.TURNS)]
    try:
        t = time.perf_counter()
        with turns.turn(patience_s=1, needed=False):
            pass
        assert time.perf_counter() - t < 0.5
    finally:
        for _ in held:
            turns._turns.release()


def test_the_training_pages_are_the_pages_with_a_job_panel():
    with_panel = {key for key, (path, *_) in nav.PAGES.items()
                  if "job_panel.panel(" in (ROOT / path).read_text(encoding="utf-8")}
    assert nav.TRAINING_PAGES == with_panel


def test_in_the_app_the_training_pages_wait_for_a_turn_and_the_labs_do_not(monkeypatch):
    """The Train page waits (its run in app.py, or its live view inside it: either gate alone holds it
    up, and the test fails with neither); the labs, drawn by the same app, do not."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr(turns, "PATIENCE_S", 1.5)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    for key in ("convolution", "train", "pooling"):  # each page once, so its imports (TensorFlow) are not timed
        at.switch_page(nav.PAGES[key][0]).run()
    held = [turns._turns.acquire(timeout=1) for _ in range(turns.TURNS)]  # a class's Train pages hold every turn
    try:
        times = {}
        for key in ("convolution", "train", "pooling"):
            at.switch_page(nav.PAGES[key][0])
            t = time.perf_counter()
            at.run()
            times[key] = time.perf_counter() - t
            assert not at.exception
    finally:
        for _ in held:
            turns._turns.release()
    assert times["train"] >= 1.5 > times["convolution"] and times["pooling"] < 1.5
    assert at.title[0].value == "Pooling lab"
