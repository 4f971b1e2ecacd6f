"""A tab's live view keeps polling when a poll reaches a busy server just after a page run ends
(ui.streamlit_compat; the frozen tab of README "A tab that stops updating"). Real Streamlit
server, Debian's Chromium; tests/apps/busy_event_loop.py makes the server as late as a class of
30 makes it, on every page run."""

import re
import time

from live_server import chromium, needs_chromium, streamlit_server

pytestmark = needs_chromium
APP = ["-m", "streamlit", "run", "tests/apps/busy_event_loop.py"]
STILL_FOR_S = 4.0  # polls come every 0.25 s and a page run takes under a second: 4 s still is frozen


def _count(page, name: str) -> int | None:
    found = re.search(rf"^{name}: (\d+)$", page.locator("body").inner_text(), re.MULTILINE)
    return int(found[1]) if found else None


def _watch(adjustments: str, seconds: float) -> tuple[int, int, bool]:
    """Open the page for `seconds`; returns (polls seen, late polls, whether the view froze)."""
    with streamlit_server(APP, env={"CNN_TEST_ADJUSTMENTS": adjustments}) as url, chromium() as browser:
        page = browser.new_page()
        page.goto(url)
        page.get_by_text(re.compile(r"^polls: \d+$")).wait_for(timeout=30_000)
        last, changed_at, start = None, time.monotonic(), time.monotonic()
        while time.monotonic() - start < seconds:
            polls = _count(page, "polls")
            if polls != last:
                last, changed_at = polls, time.monotonic()
            if time.monotonic() - changed_at > STILL_FOR_S:
                return last or 0, _count(page, "late polls") or 0, True
            time.sleep(0.1)
        return last or 0, _count(page, "late polls") or 0, False


def test_without_the_adjustment_a_late_poll_freezes_the_live_view():
    """The provocation is real: Streamlit as it is loses the page run's poll timer."""
    polls, late, froze = _watch("off", seconds=20)
    assert froze, f"the live view kept polling ({polls} polls, {late} late): the race is not provoked any more"


def test_with_the_app_s_adjustments_the_live_view_keeps_polling_through_late_polls():
    polls, late, froze = _watch("on", seconds=15)
    assert not froze, f"the live view froze at poll {polls}, after {late} late polls"
    assert late >= 5, f"only {late} polls came late: the test did not provoke the race"
    assert polls >= 20
