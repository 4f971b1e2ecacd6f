"""A class of N learners on one server, measured: queue, closed tabs, lab latency, memory.

    python scripts/load_test.py                      # 30 sessions, 5 of them closed while queued
    python scripts/load_test.py --sessions 10 --close 2 --settle 150
    python scripts/load_test.py --browser-nice 10    # the class's tabs below the server once they have clicked
    python scripts/load_test.py --browser-nice 10 --browser-cpus 1   # ... and held to one of them

It starts `python serve.py` (the README's start command) on a free port (Debian's Chromium, driven by Playwright, is the
class), lets one learner train once and leave (so TensorFlow, the dataset and plotly are loaded:
the baseline), then opens N sessions on the Train page, presses Train in all of them within a
fraction of a second (the shipped MNIST sample, 1 epoch each), closes the last `--close` tabs
while their jobs wait in the queue, and meanwhile has one more learner (a process and Chromium of
their own) change the kernel size in the convolution lab once a second. It prints, and writes to artifacts/load_test.json:
- jobs: finished in the open tabs, and started / skipped as the server's log says (a closed tab's
  job must be skipped, never trained); a tab that has not shown its result a minute after the
  server's last job ended is reported with what its browser shows (a run still going on or not),
  its console errors, its websocket's traffic over 10 s (does it still ask, does the server still
  answer) and the last status lines it heard, and the server's threads are written to its log,
  instead of being waited for until --timeout;
- queue: whether the jobs started in the order they arrived (the server's log numbers them), and
  whether the open tabs saw themselves start in the order of the places they were shown;
- errors: any exception or error box seen on any page;
- CPU: the seconds the server and the browsers used while the class trained (the browsers' share
  is what learners' own machines would take off the server in a classroom);
- memory: the server's resident memory at the baseline, its peak, and after the tabs closed and
  Streamlit dropped their sessions (`--settle` seconds: its disconnected-session TTL is 120 s);
- lab latency: from the kernel change to the new output size on screen (median, 90th, worst),
  and to its arrival on the learner's websocket (the server's part, without the drawing),
  and the slowest answers with when they were asked for, in seconds after the Train clicks
  (`train_pressed_at` is the clicks' time of day: with CNN_PAUSES=1 set for the server, its log
  says what it was doing then: slow page runs, late threads, long garbage collections).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
BROWSER_PID_FILE = ROOT / "artifacts" / "chromium-class.pid"  # the class's browser, for lower_priority
PROBED_FOR_BASE_PATH = ("/_stcore/health", "/_stcore/host-config")
SERVER_DONE_GRACE_S = 60  # after the server's last job ended, how long a tab has to show it
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-renderer-backgrounding",
        "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows"]
PRESS_TRAIN_JS = ("() => { const b = [...document.querySelectorAll('button')].find(b => b.innerText.trim() === 'Train'"
                  " && !b.disabled); if (b) b.click(); return !!b; }")  # whether there was an enabled Train
IDLE_JS = "() => !document.querySelector('[data-testid=stStatusWidget]')"  # no script running for this tab
STATUS_JS = ("() => [...document.querySelectorAll('[data-testid=stMarkdownContainer]')].map(e => e.innerText)"
             ".find(t => /^(Queued|Training on|Finished|Stopped|Loading|Preparing|Building)/.test(t)) || ''")
ERRORS_JS = ("() => [...document.querySelectorAll('[data-testid=stException], [data-testid=stAlertContentError]')]"
             ".map(e => e.innerText.slice(0, 200))")


def processes():
    """(pid, name, the fields after the name) of every process, from /proc/PID/stat: fields[1] is
    the parent's pid, fields[11] and fields[12] the user and system CPU time in ticks."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone between the listing and the read
        yield int(stat.parent.name), text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()


class CpuUse:
    """CPU seconds the server and the browsers used while the class trained: the share of the two
    cores that went to the class's 30 tabs (which in a classroom run on other machines), and to
    the test's own driver (this script and Playwright's Node process, in no classroom at all).
    Each process's time is read from /proc twice a second and its highest reading kept, so a
    renderer that exits (a closed tab) keeps what it had used. And the time the hypervisor gave
    the cores to other machines (steal): on a shared VM the same class can take twice as long."""

    TICK = os.sysconf("SC_CLK_TCK")

    @classmethod
    def stolen_s(cls) -> float:
        return int(Path("/proc/stat").read_text().split("\n", 1)[0].split()[8]) / cls.TICK

    def __init__(self, server_pid: int):
        self.server_pid = server_pid
        self.driver_pids: set[int] = {os.getpid()}
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.started, self.stolen_at_start = time.perf_counter(), self.stolen_s()
        self._stop = threading.Event()
        self._read()
        self.first = dict(self.last)
        threading.Thread(target=self._loop, daemon=True).start()

    def _read(self) -> None:
        for pid, name, fields in processes():
            if name == "node" and int(fields[1]) == os.getpid():  # Playwright's driver, started by this script
                self.driver_pids.add(pid)
            if pid == self.server_pid or pid in self.driver_pids or name.startswith("chrom"):
                self.last[pid] = max(self.last.get(pid, 0.0), (int(fields[11]) + int(fields[12])) / self.TICK)

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            self._read()

    def result(self) -> dict:
        self._stop.set()
        self._read()
        used = {pid: t - self.first.get(pid, 0.0) for pid, t in self.last.items()}
        wall = time.perf_counter() - self.started
        return {"seconds": round(wall, 1), "cpu_seconds_available": round(wall * (os.cpu_count() or 1), 1),
                "server_cpu_s": round(used.get(self.server_pid, 0.0), 1),
                "browsers_cpu_s": round(sum(t for pid, t in used.items()
                                            if pid != self.server_pid and pid not in self.driver_pids), 1),
                "test_driver_cpu_s": round(sum(used.get(pid, 0.0) for pid in self.driver_pids), 1),
                "stolen_by_the_hypervisor_s": round(self.stolen_s() - self.stolen_at_start, 1)}


def autogroup(pid: int) -> str | None:
    """The CPU group Linux shares the machine by ("/autogroup-651 nice 0"), None without autogroup."""
    try:
        return Path(f"/proc/{pid}/autogroup").read_text().strip()
    except OSError:
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python serve.py` (the README's start command) in a subprocess, with its log and a resident-memory sampler."""

    def __init__(self, log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = {**os.environ, "CNN_WARM_UP": "1"}
        # A session of its own, as a server started in its own terminal or by systemd has: Linux
        # (autogroup) shares the CPU between sessions first, and in this script's session the
        # server would share its part with the test's own driver (this script polling 30 tabs and
        # Playwright's Node process carrying their traffic), which no classroom has.
        self.proc = subprocess.Popen(
            [sys.executable, "serve.py", "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1", "--logger.level", "info"],
            cwd=ROOT, stdout=open(log_path, "w"), stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.peak_mb = 0.0
        self._stop = threading.Event()
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            self.close()
            raise SystemExit("streamlit did not start within 90 s")
        threading.Thread(target=self._sample, daemon=True).start()

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
        return 0.0

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_mb = max(self.peak_mb, self.rss_mb())
            except OSError:
                return
            time.sleep(0.25)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def has_nothing_left(self) -> bool:
        """Every job the log says was queued has ended there (finished, stopped, failed or skipped)."""
        log = self.log()
        return log.count("job queued") == log.count("job skipped") + len(re.findall(r"job (finished|stopped|failed):", log))

    def dump_threads(self) -> None:
        """Every thread's stack into the server's log (serve.py's SIGUSR1 handler)."""
        self.proc.send_signal(signal.SIGUSR1)

    def close(self) -> None:
        self._stop.set()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def open_train_page(browser, url: str, record: dict | None = None):
    """A tab on the Train page, sample MNIST, 1 epoch; with a `record`, its errors and websocket
    traffic are kept there from the first message on."""
    ctx = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await ctx.new_page()
    if record is not None:
        listen_for_errors(page, record.setdefault("browser_errors", []))
        listen_to_the_socket(page, record)
    page.set_default_timeout(180_000)
    await page.goto(url + "/train")
    await page.get_by_text("Press Train to start").wait_for()
    await page.get_by_test_id("stRadio").get_by_text("sample", exact=True).click()
    epochs = page.get_by_label("Epochs")
    await epochs.fill("1")
    await epochs.press("Enter")
    await page.wait_for_timeout(800)
    return ctx, page


def listen_for_errors(page, errors: list) -> None:
    """Keep the page's console errors (with the address they are about) and uncaught exceptions
    in `errors`: an error in Streamlit's frontend is one way a tab could stop updating."""
    def console(message) -> None:
        # Streamlit's frontend on a page's own address (/train) first looks for its server under
        # it (/train/_stcore/health, a 404) and then at the root: its way of finding a base path
        where = message.location.get("url", "")
        if message.type == "error" and not where.endswith(PROBED_FOR_BASE_PATH):
            errors.append(f"{message.text[:300]} ({where})" if where else message.text[:300])

    page.on("console", console)
    page.on("pageerror", lambda exc: errors.append(str(exc)[:300]))


def listen_to_the_socket(page, record: dict) -> None:
    """Count the tab's websocket messages each way and keep the words of the last few it received
    (status lines are plain UTF-8 inside Streamlit's protobuf): for a tab that stops updating,
    whether its browser still asks, whether the server still answers, and what the answers say."""
    record.update(frames_sent=0, frames_received=0)
    heard = record.setdefault("last_heard", collections.deque(maxlen=8))

    def received(payload) -> None:
        record["frames_received"] += 1
        data = payload if isinstance(payload, bytes) else payload.encode()
        said = re.findall(rb"(?:Training on|Queued|Finished|Stopped)[^\x00-\x1f]{0,100}", data)
        if said:
            heard.append(said[-1].decode("utf-8", "replace"))

    def sent(_payload) -> None:
        record["frames_sent"] += 1

    def opened(ws) -> None:
        ws.on("framereceived", received)
        ws.on("framesent", sent)

    page.on("websocket", opened)


async def what_the_socket_carries(records: list) -> None:
    """For each record: its websocket messages each way over the next 10 s, and what it last heard."""
    before = [(r["frames_sent"], r["frames_received"]) for r in records]
    await asyncio.sleep(10)
    for r, (out_before, in_before) in zip(records, before, strict=True):
        r["socket_in_10_s"] = {"sent": r["frames_sent"] - out_before, "received": r["frames_received"] - in_before,
                               "last_heard": list(r["last_heard"])[-3:]}


async def train_once(browser, url: str) -> None:
    """One learner trains once and leaves: the baseline has TensorFlow, the dataset and plotly loaded."""
    ctx, page = await open_train_page(browser, url)
    await page.get_by_role("button", name="Train", exact=True).click()
    await page.get_by_text("How well did it learn?").wait_for(timeout=300_000)
    await ctx.close()


async def watch(page, record: dict, records: list, stop: asyncio.Event) -> None:
    """Poll one tab's status line until it has finished (or the tab is closed). Its place in the
    queue is the position it first shows plus the runs that had finished by then."""
    while not stop.is_set():
        try:
            text = await page.evaluate(STATUS_JS)
        except Exception:
            if page.is_closed():
                return
            await asyncio.sleep(0.5)  # the page was redrawing under the evaluation: ask again
            continue
        record["last_status"] = text
        if text.startswith("Queued") and record["position"] is None:
            m = re.search(r"position (\d+)", text)
            record["position"] = int(m.group(1)) if m else None
            record["place"] = (record["position"] or 0) + sum(r["finished"] is not None for r in records)
        if text.startswith(("Training on", "Loading", "Preparing", "Building")) and record["started"] is None:
            record["started"] = time.perf_counter()
            record.setdefault("place", 0)  # it never waited
        if text.startswith("Finished"):
            record["finished"] = time.perf_counter()
            return
        await asyncio.sleep(0.5)


async def time_the_lab(url: str, stop: threading.Event) -> None:
    """One more learner, on a machine of their own: kernel size up and down in the convolution lab,
    once a second, timed from the key press to the new output size on screen. Prints "ready" once
    the lab is open, then one line per answer: when it was asked for (time.time()) and how long
    it took (null when none came within 30 s), and how long until the answer's output size reached
    this browser's socket (the server's part, without the time this browser took to draw it)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await (await browser.new_context(viewport={"width": 1200, "height": 900})).new_page()
        page.set_default_timeout(60_000)
        heard: list[tuple[float, int]] = []  # (when, the output size n of "28x28 -> nxn") of each frame that says one

        def received(payload) -> None:
            data = payload if isinstance(payload, bytes) else payload.encode()
            heard.extend((time.perf_counter(), int(m[1])) for m in re.finditer(rb"Output size: 28x28 -> (\d+)x\1", data))

        page.on("websocket", lambda ws: ws.on("framereceived", received))
        await page.goto(url + "/convolution")
        await page.get_by_text("Output size: 28x28").wait_for()
        # and the page's first run over: a key press before it would wait for the rest of the
        # page to be drawn (measured: the first answer 1.1 s on an idle server, the next 0.1 s)
        await page.wait_for_function(IDLE_JS, polling=200)
        print("ready", flush=True)
        slider = page.get_by_role("slider").first
        k, timeouts = 3, 0
        while not stop.is_set():
            key, k = ("ArrowRight", k + 1) if k < 5 else ("ArrowLeft", k - 1)
            n = 28 - k + 1
            expected = re.compile(rf"Output size: 28x28 (->|→) {n}x{n}$")  # markdown draws -> as an arrow
            await slider.focus()
            asked, t = time.time(), time.perf_counter()
            await slider.press(key)
            try:
                await page.get_by_text(expected).wait_for(timeout=30_000)
                took = time.perf_counter() - t
            except Exception:
                took, timeouts = None, timeouts + 1
                if timeouts <= 3:  # what the learner saw instead, for whoever reads the results
                    await page.screenshot(path=str(ROOT / "artifacts" / f"lab_timeout_{timeouts}.png"))
            arrived = next((when - t for when, size in heard if when >= t and size == n), None)
            heard.clear()
            print(json.dumps([asked, took, arrived]), flush=True)
            await asyncio.sleep(1.0)
        await browser.close()


def time_the_lab_until_stdin_closes(url: str) -> None:
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    asyncio.run(time_the_lab(url, stop))


class LabLearner:
    """`time_the_lab` in a process of its own, with its own Playwright driver and Chromium, in a
    session of its own: a learner's machine. (Timed through the class's driver, the answers asked
    as the 30 clicks went out waited behind the clicks and the 30 tabs' polls in the one Node
    process and event loop that carried them all: the test's queue, not the server's.)"""

    def __init__(self, url: str):
        self.answers: list[tuple[float, float | None, float | None]] = []  # (asked, on screen, reached the browser)
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--time-lab", url], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, start_new_session=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise SystemExit("the lab learner could not open the convolution lab")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.answers.append(tuple(json.loads(line)))

    def stop(self) -> list[tuple[float, float | None, float | None]]:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        return self.answers


def browser_command(cpus: str | None) -> str:
    """Chromium through a wrapper that notes its process id in `BROWSER_PID_FILE` (Playwright
    starts the browser itself and does not say), held to some of the CPUs with --browser-cpus."""
    pin = f"taskset -c {cpus} " if cpus else ""
    wrapper = ROOT / "artifacts" / "chromium-class.sh"
    wrapper.write_text(f'#!/bin/sh\necho $$ > "{BROWSER_PID_FILE}"\nexec {pin}{CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (Chromium's zygote, renderers, GPU and utility processes)."""
    children: dict[int, list[int]] = {}
    for child, _, fields in processes():
        children.setdefault(int(fields[1]), []).append(child)
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return found


def lower_priority(browser_pid: int, nice: int) -> str | None:
    """Put the class's Chromium `nice` below the server, once its 30 clicks have gone out (lowered
    from the start, its renderers got so little CPU beside the server's first page runs that the
    clicks reached the server over 16 s instead of together, as 30 learners' machines send them).
    Linux (with autogroup, the default) shares the CPU between sessions before it looks at a
    thread's nice value, and Playwright starts Chromium in a session of its own: `nice` on its
    processes alone changed nothing against the server (measured: its 30 renderers still took half
    the CPU, and the server's threads ran up to 1.6 s late). So the whole session is lowered
    (/proc/PID/autogroup), and every thread as well, for a kernel without autogroup, where that is
    what counts. Returns the group as it now reads ("/autogroup-651 nice 10"), None without one."""
    for pid in descendants(browser_pid):
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                os.setpriority(os.PRIO_PROCESS, int(task.name), nice)
            except OSError:
                pass  # a thread that ended meanwhile
    try:
        Path(f"/proc/{browser_pid}/autogroup").write_text(str(nice))
    except OSError:
        return None
    return autogroup(browser_pid)


def start_profiler(server, path: str | None, seconds: float | None):
    """py-spy (if asked for and installed) sampling the server while the class trains (or for its
    first `seconds`: the burst of 30 clicks). Only the thread that holds the interpreter is
    sampled: a lab's answer waits on that thread, not on the ones blocked in TensorFlow or a lock."""
    if not path:
        return None
    duration = ["--duration", str(int(seconds))] if seconds else []
    return subprocess.Popen(["py-spy", "record", "--pid", str(server.proc.pid), "--format", "raw", "--rate", "50",
                             "--gil", "--nonblocking", *duration, "-o", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def percentile(values: list, q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def latency_summary(answers: list[tuple[float, float | None]], t0_clock: float) -> dict:
    """Median, 90th percentile and worst of (asked, seconds) answers (None: none came), and the
    slowest eight with when they were asked for, in seconds after the Train clicks."""
    good = [took for _, took in answers if took is not None]
    return {"samples": len(answers), "timeouts": len(answers) - len(good),
            "median": round(statistics.median(good), 3) if good else None,
            "p90": round(percentile(good, 0.9), 3) if good else None,
            "worst": round(max(good), 3) if good else None,
            "slowest": sorted(([round(took, 2), round(asked - t0_clock, 1)] for asked, took in answers
                               if took is not None), reverse=True)[:8]}


async def run(args) -> dict:
    from playwright.async_api import async_playwright

    (ROOT / "artifacts").mkdir(exist_ok=True)
    server = Server(ROOT / "artifacts" / "load_test_server.log")
    out: dict = {"sessions": args.sessions, "closed_while_queued": args.close, "url": server.url,
                 "browser_nice": args.browser_nice, "browser_cpus": args.browser_cpus,
                 "machine": f"{os.cpu_count()} CPU cores", "when": time.strftime("%Y-%m-%d %H:%M")}
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=browser_command(args.browser_cpus), args=ARGS)
            out["server_autogroup"] = autogroup(server.proc.pid)
            out["rss_at_start_mb"] = round(server.rss_mb())
            await train_once(browser, server.url)
            await asyncio.sleep(args.settle)
            out["rss_baseline_mb"] = round(server.rss_mb())  # TF, data and plotly loaded; that session gone
            server.peak_mb = 0.0

            records = [{"tab": i, "position": None, "started": None, "finished": None} for i in range(args.sessions)]
            # each with what it hears and its errors: why a tab stops updating, if one does
            tabs = await asyncio.gather(*(open_train_page(browser, server.url, rec) for rec in records))
            stop = asyncio.Event()
            # The learner whose lab is timed, at the normal priority (the class's browser stands
            # in for the others' machines); open and idle before the class presses Train.
            lab = await asyncio.to_thread(LabLearner, server.url)
            # every 0.2 s, not on every frame (Playwright's default): 30 tabs drawing 60 frames a
            # second without a GPU would be the test's own load on the server's cores
            await asyncio.gather(*(page.wait_for_function(IDLE_JS, polling=200, timeout=120_000) for _, page in tabs))
            t0, t0_clock = time.perf_counter(), time.time()  # a click in every tab at once (JavaScript: no actionability waits)
            pressed = await asyncio.gather(*(page.evaluate(PRESS_TRAIN_JS) for _, page in tabs))
            if not all(pressed):
                raise SystemExit(f"{pressed.count(False)} tab(s) had no enabled Train button to press")
            out["train_pressed_within_s"] = round(time.perf_counter() - t0, 2)
            # the clicks' wall-clock time, to line up "slowest" with the server's log (CNN_PAUSES=1)
            out["train_pressed_at"] = time.strftime("%H:%M:%S", time.localtime(t0_clock))
            if args.browser_nice:
                out["browser_autogroup"] = lower_priority(int(BROWSER_PID_FILE.read_text()), args.browser_nice)
            cpu = CpuUse(server.proc.pid)
            watchers = [asyncio.create_task(watch(page, rec, records, stop))
                        for (_, page), rec in zip(tabs, records, strict=True)]
            profiler = start_profiler(server, args.profile, args.profile_seconds)
            deadline = time.perf_counter() + 60  # until every tab has said where it stands
            while any(r["position"] is None and r["started"] is None for r in records) and time.perf_counter() < deadline:
                await asyncio.sleep(0.5)
            by_position = sorted(records, key=lambda r: r["position"] or 0)
            closed = [r["tab"] for r in by_position[-args.close:]] if args.close else []
            out["queue_positions_seen"] = sorted(r["position"] or 0 for r in records)
            for i in closed:
                await tabs[i][0].close()
            open_records = [r for r in records if r["tab"] not in closed]
            deadline, idle_since = time.perf_counter() + args.timeout, None
            while any(r["finished"] is None for r in open_records) and time.perf_counter() < deadline:
                await asyncio.sleep(1)
                # a tab still waiting when the server has had nothing left for a while will not
                # finish: say what its browser shows instead of waiting for the timeout
                idle_since = (idle_since or time.perf_counter()) if server.has_nothing_left() else None
                if idle_since is not None and time.perf_counter() - idle_since > SERVER_DONE_GRACE_S:
                    break
            out["class_seconds"] = round(time.perf_counter() - t0, 1)
            out["cpu_while_the_class_trained"] = cpu.result()  # the browsers' share: not there in a classroom
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)
                profiler.wait(timeout=60)
            lab_answers = await asyncio.to_thread(lab.stop)
            errors = []
            for i, (_, page) in enumerate(tabs):
                if i not in closed:
                    errors += await page.evaluate(ERRORS_JS)
            unfinished = [r for r in open_records if r["finished"] is None]
            if unfinished:  # what the server's threads were doing, and whether the tab thinks a run is going on
                server.dump_threads()
                for rec in unfinished:
                    rec["browser_shows_a_run_going_on"] = not await tabs[rec["tab"]][1].evaluate(IDLE_JS)
                await what_the_socket_carries(unfinished)
            for rec in unfinished[:3]:  # what a tab that never finished shows
                await tabs[rec["tab"]][1].screenshot(path=str(ROOT / "artifacts" / f"unfinished_tab_{rec['tab']}.png"),
                                                     full_page=True)
            stop.set()
            for w in watchers:
                w.cancel()
            out["peak_rss_mb"] = round(server.peak_mb)
            for i, (ctx, _) in enumerate(tabs):
                if i not in closed:
                    await ctx.close()
            await browser.close()
        await asyncio.sleep(args.settle)  # Streamlit drops disconnected sessions after its TTL
        out["rss_after_tabs_closed_mb"] = round(server.rss_mb())
    finally:
        server.close()
    log = server.log()
    # Tabs whose start fell between two polls of a busy browser are left out of the comparison.
    seen = [r for r in open_records if r["started"] is not None and "place" in r]
    started_order = [r["tab"] for r in sorted(seen, key=lambda r: r["started"])]
    queue_order = [r["tab"] for r in sorted(seen, key=lambda r: r["place"])]
    started_tickets = [int(t) for t in re.findall(r"job started: #(\d+)", log)]
    # when the class's clicks reached the server: its log's "job queued" lines, less the baseline's
    queued_at = [int(h) * 3600 + int(m) * 60 + float(sec.replace(",", "."))
                 for h, m, sec in re.findall(r"(\d\d):(\d\d):(\d\d,\d+) \S+ cnn_core.executors: job queued", log)][1:]
    out.update({
        "jobs_finished_in_open_tabs": sum(r["finished"] is not None for r in open_records),
        "open_tabs_not_showing_finished": [{"status": r.get("last_status", "")[:120],
                                            "browser_shows_a_run_going_on": r.get("browser_shows_a_run_going_on"),
                                            "browser_errors": r["browser_errors"][-3:],
                                            "socket_in_10_s": r.get("socket_in_10_s")}
                                           for r in open_records if r["finished"] is None],
        "open_tabs": len(open_records),
        "jobs_started_per_server_log": log.count("job started"),
        "jobs_skipped_per_server_log": log.count("job skipped"),
        "closed_tabs_queue_positions": sorted(r["position"] or 0 for r in records if r["tab"] in closed),
        # exact: the server's log numbers each job as it arrives ("job queued: #12") and says when it starts
        "clicks_reached_server_within_s": round(max(queued_at) - min(queued_at), 2) if queued_at else None,
        "started_in_arrival_order_per_server_log": started_tickets == sorted(started_tickets),
        "started_tickets_out_of_order": None if started_tickets == sorted(started_tickets) else started_tickets,
        # as the tabs saw it (polling 30 tabs of a busy browser: a start can be seen late)
        "started_in_queue_order_as_tabs_saw_it": started_order == queue_order,
        "tabs_in_that_comparison": len(seen),
        "order_started_vs_queued": [started_order, queue_order] if started_order != queue_order else None,
        "errors": errors,
        "server_log_tracebacks": log.count("Traceback"),
        "memory_growth_after_class_mb": out["rss_after_tabs_closed_mb"] - out["rss_baseline_mb"],
        "lab_latency_s": latency_summary([(asked, took) for asked, took, _ in lab_answers], t0_clock),
        # the same answers until their output size reached the learner's browser: the server's part,
        # without the drawing (on a learner's own machine that does not wait for the class's 30 tabs)
        "lab_answer_reached_browser_s": latency_summary([(asked, got) for asked, _, got in lab_answers], t0_clock),
    })
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--close", type=int, default=5, help="tabs closed while their jobs wait in the queue")
    ap.add_argument("--settle", type=float, default=150, help="seconds to let Streamlit drop closed sessions")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--browser-nice", type=int, default=0,
                    help="once the 30 clicks have gone out, run the class's Chromium this much nicer than "
                         "the server, its whole session (default 0: equal)")
    ap.add_argument("--browser-cpus", help="hold the class's Chromium to these CPUs (taskset's list, e.g. 1)")
    ap.add_argument("--profile", help="write py-spy's raw samples of the server during the class here")
    ap.add_argument("--profile-seconds", type=float, help="profile only this long after the Train clicks")
    ap.add_argument("--time-lab", metavar="URL", help=argparse.SUPPRESS)  # the lab learner's own process
    args = ap.parse_args()
    if args.time_lab:
        return time_the_lab_until_stdin_closes(args.time_lab)
    out = asyncio.run(run(args))
    (ROOT / "artifacts" / "load_test.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
