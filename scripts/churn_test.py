"""Tabs that press Train again as soon as they show a result, for as long as asked: the job panel's
redraws (queued -> running -> finished, each a rerun of the page) many times over, to catch a tab
that stops updating, which `load_test.py` saw once in a dozen classes.

    python scripts/churn_test.py                          # 12 tabs, 10 minutes
    python scripts/churn_test.py --tabs 30 --seconds 600

It starts `python serve.py` as `load_test.py` does, opens the tabs on the Train page (the shipped
MNIST sample, 1 epoch) and, once a second, reads each tab's status line and presses Train in the
tabs that show a result. A tab whose status line has not changed for `--stuck` seconds is stuck:
it is reported as `load_test.py` reports a tab that never finished (its status, whether it shows a
run going on, its console errors, its websocket's messages each way over 10 s and the last status
lines it heard), with a screenshot in artifacts/, every server thread's stack goes into the
server's log (artifacts/churn_test_server.log), and the test ends. Prints, and writes to
artifacts/churn_test.json, the presses, the jobs the server's log says started and finished, the
stuck tabs and any error box seen on a page.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from load_test import (
    ARGS,
    CHROMIUM,
    ERRORS_JS,
    IDLE_JS,
    PRESS_TRAIN_JS,
    ROOT,
    STATUS_JS,
    Server,
    open_train_page,
    what_the_socket_carries,
)

RESULT_SHOWN = ("Finished", "Stopped")


async def churn(tabs: list, records: list, seconds: float, stuck_s: float) -> list:
    """Press Train in every tab that shows a result, once a second, until `seconds` have passed or
    a tab is stuck; returns the stuck tabs' records."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        now = time.perf_counter()
        for (_, page), rec in zip(tabs, records, strict=True):
            try:
                status = await page.evaluate(STATUS_JS)
                if status != rec["last_status"]:
                    rec["last_status"], rec["changed"] = status, now
                if (not status or status.startswith(RESULT_SHOWN)) and await page.evaluate(PRESS_TRAIN_JS):
                    rec["presses"] += 1
                    rec["changed"] = now
            except Exception:  # the page was redrawing under the evaluation: next round
                continue
        stuck = [r for r in records if now - r["changed"] > stuck_s]
        if stuck:
            return stuck
        await asyncio.sleep(1)
    return []


async def run(args) -> dict:
    server = Server(ROOT / "artifacts" / "churn_test_server.log")
    out = {"tabs": args.tabs, "seconds": args.seconds, "when": time.strftime("%Y-%m-%d %H:%M")}
    try:
        from playwright.async_api import async_playwright

        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            records = [{"tab": i, "presses": 0, "last_status": "", "changed": time.perf_counter()}
                       for i in range(args.tabs)]
            tabs = await asyncio.gather(*(open_train_page(browser, server.url, rec) for rec in records))
            await asyncio.gather(*(page.wait_for_function(IDLE_JS, polling=200, timeout=120_000) for _, page in tabs))
            for rec in records:
                rec["changed"] = time.perf_counter()
            started = time.perf_counter()
            stuck = await churn(tabs, records, args.seconds, args.stuck)
            out["churned_s"] = round(time.perf_counter() - started)
            if stuck:
                server.dump_threads()
                for rec in stuck:
                    rec["browser_shows_a_run_going_on"] = not await tabs[rec["tab"]][1].evaluate(IDLE_JS)
                await what_the_socket_carries(stuck)
                for rec in stuck[:3]:
                    await tabs[rec["tab"]][1].screenshot(path=str(ROOT / "artifacts" / f"stuck_tab_{rec['tab']}.png"))
            out["errors"] = [e for _, page in tabs for e in await page.evaluate(ERRORS_JS)]
            await browser.close()
    finally:
        server.close()
    log = server.log()
    out.update({
        "presses": sum(r["presses"] for r in records),
        "jobs_started_per_server_log": log.count("job started"),
        "jobs_finished_per_server_log": log.count("job finished"),
        "stuck_tabs": [{"tab": r["tab"], "status": r["last_status"][:120],
                        "browser_shows_a_run_going_on": r.get("browser_shows_a_run_going_on"),
                        "browser_errors": r["browser_errors"][-3:], "socket_in_10_s": r.get("socket_in_10_s")}
                       for r in stuck],
        "server_log_tracebacks": log.count("Traceback"),
    })
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tabs", type=int, default=12)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--stuck", type=float, default=60, help="a status line unchanged this long is a stuck tab")
    args = ap.parse_args()
    (ROOT / "artifacts").mkdir(exist_ok=True)
    out = asyncio.run(run(args))
    text = json.dumps(out, indent=1, ensure_ascii=False)
    (ROOT / "artifacts" / "churn_test.json").write_text(text)
    print(text)
    raise SystemExit(1 if out["stuck_tabs"] or out["errors"] else 0)


if __name__ == "__main__":
    main()
