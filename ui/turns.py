"""The pages that report on training take turns, so a lab's answer never waits behind a class of them.

    with turns.turn():        # app.py around a training page's run; job_panel around a live-view poll
        ...

Python runs one thread at a time and hands the interpreter to whichever waiting thread the system
wakes. When a class presses Train together, 30 Train pages run at once, each in its own thread:
a lab's script (and the event loop that carries its answer) then got about one hand-over in 30,
and its answer waited 2-5 s (`scripts/load_test.py`). Runs of the training pages, their whole
runs and their live views' polls, go through here at most `TURNS` at a time; the labs, the
builder and the quiz never wait. The training pages lose nothing by it: their runs take as much
interpreter time one after the other as side by side, and taking turns, the first of them are
answered sooner.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

TURNS = 2  # two, not one: a run that is slow to draw (a finished run's results) does not hold up the rest
PATIENCE_S = 5.0  # a run waits at most this long, then goes ahead: turns can delay a page, never stop it

_turns = threading.BoundedSemaphore(TURNS)
_this_thread = threading.local()


@contextmanager
def turn(patience_s: float | None = None, *, needed: bool = True) -> Iterator[bool]:
    """Wait for a turn (at most `patience_s`, default PATIENCE_S), run the block, hand the turn on.
    Yields whether it got one. A thread that already has a turn keeps it: a live view drawn inside
    its page's run. `needed=False` (a page that does not train) runs the block at once."""
    if not needed:
        yield False
        return
    if getattr(_this_thread, "depth", 0):
        _this_thread.depth += 1
        try:
            yield True
        finally:
            _this_thread.depth -= 1
        return
    got = _turns.acquire(timeout=PATIENCE_S if patience_s is None else patience_s)
    _this_thread.depth = 1
    try:
        yield got
    finally:
        _this_thread.depth = 0
        if got:
            _turns.release()
