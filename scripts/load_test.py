"""A class of N learners on one server, measured: queue, closed tabs, lab latency, memory.

    python scripts/load_test.py                      # 30 sessions, 5 of them closed while queued
    python scripts/load_test.py --sessions 10 --close 2 --settle 150
    python scripts/load_test.py --browser-nice 10    # the class's tabs below the server, on both cores
    python scripts/load_test.py --browser-nice 10 --browser-cpus 1   # ... and held to one of them

It starts `python serve.py` (the README's start command) on a free port (Debian's Chromium, driven by Playwright, is the
class), lets one learner train once and leave (so TensorFlow, the dataset and plotly are loaded:
the baseline), then opens N sessions on the Train page, presses Train in all of them within a
fraction of a second (the shipped MNIST sample, 1 epoch each), closes the last `--close` tabs
while their jobs wait in the queue, and meanwhile has one more learner change the kernel size in
the convolution lab once a second. It prints, and writes to artifacts/load_test.json:
- jobs: finished in the open tabs, and started / skipped as the server's log says (a closed tab's
  job must be skipped, never trained);
- queue: whether the jobs started in the order they arrived (the server's log numbers them), and
  whether the open tabs saw themselves start in the order of the places they were shown;
- errors: any exception or error box seen on any page;
- CPU: the seconds the server and the browsers used while the class trained (the browsers' share
  is what learners' own machines would take off the server in a classroom);
- memory: the server's resident memory at the baseline, its peak, and after the tabs closed and
  Streamlit dropped their sessions (`--settle` seconds: its disconnected-session TTL is 120 s);
- lab latency: from the kernel change to the new output size on screen (median, 90th, worst),
  and the slowest answers with when they were asked for, in seconds after the Train clicks
  (`train_pressed_at` is the clicks' time of day: with CNN_PAUSES=1 set for the server, its log
  says what it was doing then: slow page runs, late threads, long garbage collections).
"""

from __future__ import annotations

import argparse
import asyncio
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
AUTOGROUP_FILE = ROOT / "artifacts" / "chromium-class.autogroup"  # the class's browser's CPU group, as it started
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-renderer-backgrounding",
        "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows"]
CLICK_TRAIN_JS = ("() => [...document.querySelectorAll('button')].find(b => b.innerText.trim() === 'Train'"
                  " && !b.disabled).click()")
IDLE_JS = "() => !document.querySelector('[data-testid=stStatusWidget]')"  # no script running for this tab
STATUS_JS = ("() => [...document.querySelectorAll('[data-testid=stMarkdownContainer]')].map(e => e.innerText)"
             ".find(t => /^(Queued|Training on|Finished|Stopped|Loading|Preparing|Building)/.test(t)) || ''")
ERRORS_JS = ("() => [...document.querySelectorAll('[data-testid=stException], [data-testid=stAlertContentError]')]"
             ".map(e => e.innerText.slice(0, 200))")


class CpuUse:
    """CPU seconds the server and the browsers used while the class trained: the share of the two
    cores that went to the class's 30 tabs (which in a classroom run on other machines). Each
    process's time is read from /proc twice a second and its highest reading kept, so a renderer
    that exits (a closed tab) keeps what it had used."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, server_pid: int):
        self.server_pid = server_pid
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.started = time.perf_counter()
        self._stop = threading.Event()
        self._read()
        self.first = dict(self.last)
        threading.Thread(target=self._loop, daemon=True).start()

    def _read(self) -> None:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue  # gone between the listing and the read
            name, fields = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
            pid = int(stat.parent.name)
            if pid == self.server_pid or name.startswith("chrom"):
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
                "browsers_cpu_s": round(sum(t for pid, t in used.items() if pid != self.server_pid), 1)}


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
        self.proc = subprocess.Popen(
            [sys.executable, "serve.py", "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1", "--logger.level", "info"],
            cwd=ROOT, stdout=open(log_path, "w"), stderr=subprocess.STDOUT, env=env)
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

    def close(self) -> None:
        self._stop.set()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def open_train_page(browser, url: str):
    ctx = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await ctx.new_page()
    page.set_default_timeout(180_000)
    await page.goto(url + "/train")
    await page.get_by_text("Press Train to start").wait_for()
    await page.get_by_test_id("stRadio").get_by_text("sample", exact=True).click()
    epochs = page.get_by_label("Epochs")
    await epochs.fill("1")
    await epochs.press("Enter")
    await page.wait_for_timeout(800)
    return ctx, page


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


async def lab_latency(browser, url: str, stop: asyncio.Event, samples: list, times: list, clock: dict) -> None:
    """One more learner: kernel size up and down in the convolution lab, once a second, timed from
    the key press to the new output size on screen. `times` gets when each answer was asked for, in
    seconds from the class's Train clicks (`clock["t0"]`; negative before them)."""
    ctx = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await ctx.new_page()
    page.set_default_timeout(60_000)
    await page.goto(url + "/convolution")
    await page.get_by_text("Output size: 28x28").wait_for()
    slider = page.get_by_role("slider").first
    k = 3
    while not stop.is_set():
        key, k = ("ArrowRight", k + 1) if k < 5 else ("ArrowLeft", k - 1)
        n = 28 - k + 1
        expected = re.compile(rf"Output size: 28x28 (->|→) {n}x{n}$")  # markdown draws -> as an arrow
        await slider.focus()
        t = time.perf_counter()
        times.append(round(t - clock.get("t0", t), 1))
        await slider.press(key)
        try:
            await page.get_by_text(expected).wait_for(timeout=30_000)
            samples.append(time.perf_counter() - t)
        except Exception:
            samples.append(float("nan"))
            timeouts = sum(x != x for x in samples)
            if timeouts <= 3:  # what the learner saw instead, for whoever reads the results
                await page.screenshot(path=str(ROOT / "artifacts" / f"lab_timeout_{timeouts}.png"))
        await asyncio.sleep(1.0)
    await ctx.close()


def browser_command(nice: int, cpus: str | None) -> str:
    """Chromium, or Chromium at a lower CPU priority than the server (--browser-nice N) and/or held
    to some of the CPUs (--browser-cpus 1): the 30 tabs stand in for learners' own machines, which
    in a classroom take nothing from the server. A wrapper script, since Playwright starts the
    browser itself, and starts it in a session of its own: Linux (with autogroup, the default)
    shares the CPU between sessions before it looks at a thread's nice value, so `nice` on
    Chromium alone changed nothing against the server (measured: its 30 renderers still took half
    the CPU, and the server's threads ran up to 1.6 s late). The wrapper lowers the priority of
    Chromium's whole session (/proc/self/autogroup) and says what it got in `AUTOGROUP_FILE`; the
    plain `nice` stays for a kernel without autogroup, where it is what counts."""
    if not nice and not cpus:
        return CHROMIUM
    prefix = (f"taskset -c {cpus} " if cpus else "") + (f"nice -n {int(nice)} " if nice else "")
    group = (f"echo {int(nice)} > /proc/self/autogroup 2>/dev/null\n"
             f"cat /proc/self/autogroup > '{AUTOGROUP_FILE}' 2>/dev/null\n") if nice else ""
    wrapper = ROOT / "artifacts" / "chromium-class.sh"
    wrapper.write_text(f'#!/bin/sh\n{group}exec {prefix}{CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


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


async def run(args) -> dict:
    from playwright.async_api import async_playwright

    (ROOT / "artifacts").mkdir(exist_ok=True)
    server = Server(ROOT / "artifacts" / "load_test_server.log")
    out: dict = {"sessions": args.sessions, "closed_while_queued": args.close, "url": server.url,
                 "browser_nice": args.browser_nice, "browser_cpus": args.browser_cpus,
                 "machine": f"{os.cpu_count()} CPU cores", "when": time.strftime("%Y-%m-%d %H:%M")}
    try:
        async with async_playwright() as p:
            AUTOGROUP_FILE.unlink(missing_ok=True)
            browser = await p.chromium.launch(executable_path=browser_command(args.browser_nice, args.browser_cpus),
                                              args=ARGS)
            out["browser_autogroup"] = AUTOGROUP_FILE.read_text().strip() if AUTOGROUP_FILE.exists() else None
            # The learner whose lab is timed has a browser of their own, at the normal priority (the
            # learner's machine; the class's browser stands in for the others').
            lab_browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            out["rss_at_start_mb"] = round(server.rss_mb())
            await train_once(browser, server.url)
            await asyncio.sleep(args.settle)
            out["rss_baseline_mb"] = round(server.rss_mb())  # TF, data and plotly loaded; that session gone
            server.peak_mb = 0.0

            tabs = await asyncio.gather(*(open_train_page(browser, server.url) for _ in range(args.sessions)))
            records = [{"tab": i, "position": None, "started": None, "finished": None} for i in range(len(tabs))]
            stop, lab_stop, latencies, asked_at, clock = asyncio.Event(), asyncio.Event(), [], [], {}
            lab = asyncio.create_task(lab_latency(lab_browser, server.url, lab_stop, latencies, asked_at, clock))
            await asyncio.sleep(3)  # the lab page is open and idle before the class presses Train
            await asyncio.gather(*(page.wait_for_function(IDLE_JS, timeout=120_000) for _, page in tabs))
            t0 = clock["t0"] = time.perf_counter()  # a click in every tab at once (JavaScript: no actionability waits)
            await asyncio.gather(*(page.evaluate(CLICK_TRAIN_JS) for _, page in tabs))
            out["train_pressed_within_s"] = round(time.perf_counter() - t0, 2)
            # the clicks' wall-clock time, to line up "slowest" with the server's log (CNN_PAUSES=1)
            out["train_pressed_at"] = time.strftime("%H:%M:%S", time.localtime(time.time() - (time.perf_counter() - t0)))
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
            deadline = time.perf_counter() + args.timeout
            while any(r["finished"] is None for r in open_records) and time.perf_counter() < deadline:
                await asyncio.sleep(1)
            out["class_seconds"] = round(time.perf_counter() - t0, 1)
            out["cpu_while_the_class_trained"] = cpu.result()  # the browsers' share: not there in a classroom
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)
                profiler.wait(timeout=60)
            lab_stop.set()
            await lab
            errors = []
            for i, (_, page) in enumerate(tabs):
                if i not in closed:
                    errors += await page.evaluate(ERRORS_JS)
            for rec in [r for r in open_records if r["finished"] is None][:3]:  # what a tab that never finished shows
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
            await lab_browser.close()
        await asyncio.sleep(args.settle)  # Streamlit drops disconnected sessions after its TTL
        out["rss_after_tabs_closed_mb"] = round(server.rss_mb())
    finally:
        server.close()
    log = server.log()
    # Tabs whose start fell between two polls of a busy browser are left out of the comparison.
    seen = [r for r in open_records if r["started"] is not None and "place" in r]
    started_order = [r["tab"] for r in sorted(seen, key=lambda r: r["started"])]
    queue_order = [r["tab"] for r in sorted(seen, key=lambda r: r["place"])]
    good = [x for x in latencies if x == x]
    started_tickets = [int(t) for t in re.findall(r"job started: #(\d+)", log)]
    out.update({
        "jobs_finished_in_open_tabs": sum(r["finished"] is not None for r in open_records),
        "open_tabs_not_showing_finished": [r.get("last_status", "")[:120] for r in open_records if r["finished"] is None],
        "open_tabs": len(open_records),
        "jobs_started_per_server_log": log.count("job started"),
        "jobs_skipped_per_server_log": log.count("job skipped"),
        "closed_tabs_queue_positions": sorted(r["position"] or 0 for r in records if r["tab"] in closed),
        # exact: the server's log numbers each job as it arrives ("job queued: #12") and says when it starts
        "started_in_arrival_order_per_server_log": started_tickets == sorted(started_tickets),
        "started_tickets_out_of_order": None if started_tickets == sorted(started_tickets) else started_tickets,
        # as the tabs saw it (polling 30 tabs of a busy browser: a start can be seen late)
        "started_in_queue_order_as_tabs_saw_it": started_order == queue_order,
        "tabs_in_that_comparison": len(seen),
        "order_started_vs_queued": [started_order, queue_order] if started_order != queue_order else None,
        "errors": errors,
        "server_log_tracebacks": log.count("Traceback"),
        "memory_growth_after_class_mb": out["rss_after_tabs_closed_mb"] - out["rss_baseline_mb"],
        "lab_latency_s": {"samples": len(latencies), "timeouts": len(latencies) - len(good),
                          "median": round(statistics.median(good), 3) if good else None,
                          "p90": round(percentile(good, 0.9), 3) if good else None,
                          "worst": round(max(good), 3) if good else None,
                          # the slowest answers, and when they were asked for (s after the Train clicks)
                          "slowest": sorted(([round(x, 2), at] for x, at in zip(latencies, asked_at, strict=True) if x == x),
                                            reverse=True)[:8]},
    })
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--close", type=int, default=5, help="tabs closed while their jobs wait in the queue")
    ap.add_argument("--settle", type=float, default=150, help="seconds to let Streamlit drop closed sessions")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--browser-nice", type=int, default=0,
                    help="run the class's Chromium this much nicer than the server, its whole session "
                         "(default 0: equal)")
    ap.add_argument("--browser-cpus", help="hold the class's Chromium to these CPUs (taskset's list, e.g. 1)")
    ap.add_argument("--profile", help="write py-spy's raw samples of the server during the class here")
    ap.add_argument("--profile-seconds", type=float, help="profile only this long after the Train clicks")
    args = ap.parse_args()
    out = asyncio.run(run(args))
    (ROOT / "artifacts" / "load_test.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
