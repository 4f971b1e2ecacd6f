"""End to end in a real browser: `streamlit run app.py`, Debian's Chromium driven by Playwright."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (.ci/run installs it; CI never skips)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    log = open(ROOT / ".cache" / "streamlit-e2e.log", "w") if (ROOT / ".cache").is_dir() else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    ctx.close()


def _total(page) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text="Total parameters")
    return metric.get_by_test_id("stMetricValue").inner_text()


def test_builder_change_a_layer_and_see_the_new_total(server, page):
    page.goto(server)
    page.get_by_text("Learn CNNs by doing").wait_for()
    page.get_by_role("link", name="Build a CNN").first.click()
    page.get_by_text("Total parameters").wait_for()
    assert _total(page) == "34,826"
    filters = page.get_by_label("filters").first
    filters.fill("16")
    filters.press("Enter")
    # conv1 (3*3*1+1)*16 = 160, conv2 (3*3*16+1)*64 = 9,280, classifier 16,010
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
        ".some(e => e.innerText === '25,450')"
    )
    assert _total(page) == "25,450"


def test_train_live_chart_then_stop(server, page):
    page.goto(server + "/train")
    page.get_by_text("Press Train to start").wait_for()
    page.get_by_test_id("stRadio").get_by_text("sample", exact=True).click()
    epochs = page.get_by_label("Epochs")
    epochs.fill("5")
    epochs.press("Enter")
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Train", exact=True).click()
    # the live panel redraws about once a second: wait for the chart to hold some batches
    page.get_by_test_id("stPlotlyChart").first.wait_for(timeout=120_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMarkdownContainer]')]"
        ".some(e => /batch (\\d+)\\//.test(e.innerText) && +e.innerText.match(/batch (\\d+)\\//)[1] >= 3)",
        timeout=120_000)
    page.get_by_role("button", name="Stop", exact=True).click()
    page.get_by_text("Stopped after").wait_for(timeout=120_000)
    page.get_by_text("How well did it learn?").wait_for(timeout=120_000)
