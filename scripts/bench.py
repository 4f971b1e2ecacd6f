"""Speed and memory of the training engine, as ratios against plain Keras timed in the same run.

    CNN_DATASETS_DIR=../shared/datasets python scripts/bench.py            # everything (~30 min, 2 cores)
    CNN_DATASETS_DIR=../shared/datasets python scripts/bench.py overhead latency

Sections (README, "Performance", lists the goals):
- overhead: a job (live callback, stop flag, local executor) vs bare `model.fit(verbose=0)`, same model, data
  and epochs, alternated to even out a noisy machine.
- latency:  seconds from Job.start() to the first loss point, the dataset already loaded.
- cold:     a fresh `python serve.py` server (the README's start command), the Train page opened
            in Chromium and Train pressed as soon as it shows (and, in a second fresh server, after
            5 s): seconds from the click to the loss chart on screen. The first training of a server used to take 7.5 s.
- mnist:    the "fast MNIST" preset to its test accuracy, against the Keras "Simple MNIST convnet"
            recipe (batch 128, 15 epochs, Adam). The recipe's epochs all cost the same, so by
            default 3 are timed and the time is multiplied by 5 (--ref-epochs 15 times them all).
- memory:   resident memory (now and peak) of a process that runs the Train page itself
            (Streamlit's AppTest) through one "fast MNIST" training on the full set, evaluation
            and results drawn: what the server holds for one learner.
- cifar:    the "fast CIFAR-10" preset's test accuracy and time, against the TensorFlow CNN
            tutorial model (10 epochs, timed on --ref-epochs-cifar and scaled likewise).
- transfer: the bundled ResNet-20 on the five held-out CIFAR-10 classes: all frozen (head on
            features computed once), last stage unfrozen, all unfrozen, and from scratch, same
            epochs; epoch times and the frozen speed-up (goal >= 10x), accuracies.
- inside:   "Inside the network": one input's every-layer maps (the forward pass, then the pictures
            and Grad-CAM), a channel's top 9 over 2,000 test images, and the live first-layer view's
            cost on training (fast MNIST, 2 epochs of the full set, ~9 s: 4 redraws, with and without, alternated
            in 2 x reps pairs; the median of the pairs' ratios), the time one copy takes, and the
            training thread's time in the live view's hooks inside the watched runs (the slowdown
            it causes, free of the machine's run-to-run noise).
- executor: the Ray executor (a local Ray on this machine, `requirements-ray.txt`) against local
            threads, same jobs, alternated: wall time per job (the Keras MNIST convnet, 1 epoch of
            the sample) and the part of it outside model.fit (what an executor adds, free of the
            machine's noise in fit times), first-point latency on a warm worker, and 10 such jobs
            through 2 Ray workers (1 CPU each) against 1 local slot. Not in the default list (it
            starts Ray).
- dashboard: the Instructor page's live dashboard for a class of 30 who answered all 43 bank
            questions and trained 4 runs each (a fresh SQLite file): the database reads of one redraw,
            and the whole page run by Streamlit (AppTest), median of --reps (goal: under 1 s).
- language: switching the language (English -> 日本語 -> 한국어 -> English ...) on every page that does
            not train and on the Train page after a run, through the whole app (AppTest of app.py):
            seconds of the rerun a switch causes, against a rerun in the same language (goal: under
            0.3 s per switch).
Results are printed and written to artifacts/bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from cnn_core import data, executors, jobs, pipeline, presets, runner, training  # noqa: E402
from cnn_core import spec as spec_mod  # noqa: E402

KERAS_MNIST = spec_mod.PRESETS["Keras MNIST convnet"]
TF_TUTORIAL = [  # https://www.tensorflow.org/tutorials/images/cnn
    {"type": "conv", "filters": 32, "kernel": 3}, {"type": "pool"},
    {"type": "conv", "filters": 64, "kernel": 3}, {"type": "pool"},
    {"type": "conv", "filters": 64, "kernel": 3}, {"type": "flatten"},
    {"type": "dense", "units": 64},
]


def rss_mb() -> dict:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM")):
            out[line.split(":")[0]] = int(line.split()[1]) / 1024
    return out


def keras_reference(spec, ds, epochs_timed: int, epochs_total: int, batch: int = 128) -> dict:
    """Plain Keras, as its tutorial does it: numpy floats in, model.fit, model.evaluate."""
    import keras

    from cnn_core.models import build_cnn

    keras.utils.set_random_seed(0)
    model = build_cnn(spec, ds.input_shape, ds.num_classes)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, xt = data.to_float(ds.x_train), data.to_float(ds.x_test)
    t = time.perf_counter()
    model.fit(x, ds.y_train, batch_size=batch, epochs=epochs_timed, validation_split=0.1, verbose=0)
    seconds = time.perf_counter() - t
    loss, acc = model.evaluate(xt, ds.y_test, verbose=0)
    return {"epochs_timed": epochs_timed, "seconds_timed": round(seconds, 1),
            "seconds_for_all_epochs": round(seconds * epochs_total / epochs_timed, 1),
            "epochs_total": epochs_total, "test_accuracy_after_timed_epochs": round(acc, 4)}


def warm_up(spec, ds, images: int = 10_000) -> None:
    """One untimed pass of a throwaway model: the first training of a process runs slower (thread
    pools, allocator, oneDNN primitives), which would flatter whichever side is timed second."""
    from cnn_core.models import build_cnn

    model = build_cnn(spec, ds.input_shape, ds.num_classes)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(data.to_float(ds.x_train[:images]), ds.y_train[:images], batch_size=128, epochs=2, verbose=0)


def start_job(request) -> jobs.Job:
    return jobs.Job(request).start(executors.LocalExecutor(1))


def run_job(spec, cfg, executor=None) -> tuple[jobs.Job, float]:
    """A finished job of `spec` (on its own one-slot local executor, or `executor`) and its wall seconds."""
    t = time.perf_counter()
    job = jobs.Job(runner.TrainRequest(spec, cfg)).start(executor or executors.LocalExecutor(1))
    job.wait()
    if job.state != "finished":
        raise RuntimeError(f"job ended {job.state}: {job.error}")
    return job, time.perf_counter() - t


def bench_overhead(reps: int, images: int) -> dict:
    import keras

    from cnn_core.models import build_cnn

    ds = data.load_dataset("mnist", "full")
    cfg = training.TrainConfig(dataset="mnist", source="full", epochs=1, validation_fraction=0.0,
                               max_train_images=images)
    bare, live = [], []
    for _ in range(reps):
        keras.utils.set_random_seed(0)
        model = build_cnn(KERAS_MNIST, ds.input_shape, 10)
        training.compile_model(model, cfg, 1)
        train = pipeline.make_dataset(ds.x_train[:images], ds.y_train[:images], 128, shuffle=True)
        t = time.perf_counter()
        model.fit(train, epochs=1, verbose=0)
        bare.append(time.perf_counter() - t)
        job, _ = run_job(KERAS_MNIST, cfg)
        live.append(job.metrics.fit_seconds)
    ratio = sum(live) / sum(bare)
    return {"bare_fit_s": [round(v, 2) for v in bare], "training_job_fit_s": [round(v, 2) for v in live],
            "ratio": round(ratio, 3), "goal": "<= 1.05"}


def bench_latency(reps: int) -> dict:
    data.load_dataset("mnist", "full")
    cfg = training.TrainConfig(dataset="mnist", source="full", epochs=1)
    run_job(spec_mod.PRESETS["Tiny"], training.TrainConfig(dataset="mnist", source="sample", epochs=1,
                                                            max_train_images=256))  # imports, warm-up
    firsts = []
    for _ in range(reps):
        job = start_job(runner.TrainRequest(KERAS_MNIST, cfg))
        while job.snapshot().first_point_seconds is None and job.active:
            time.sleep(0.005)
        firsts.append(job.snapshot().first_point_seconds)
        job.stop()
        job.wait()
    return {"first_point_s": [round(v, 2) for v in firsts], "median_s": round(sorted(firsts)[len(firsts) // 2], 2),
            "goal": "<= 2 s"}


def bench_mnist(ref_epochs: int) -> dict:
    ds = data.load_dataset("mnist", "full")
    warm_up(KERAS_MNIST, ds)
    ref = keras_reference(KERAS_MNIST, ds, ref_epochs, 15)
    p = presets.TRAIN_PRESETS["fast MNIST"]
    job, wall = run_job(p.spec, p.config)
    return {"keras_recipe": ref, "fast_mnist": {
        "wall_s": round(wall, 1), "fit_s": round(job.metrics.fit_seconds, 1), "epochs": p.config.epochs,
        "test_accuracy": round(job.result["accuracy"], 4)},
        "ratio": round(wall / ref["seconds_for_all_epochs"], 3), "goal": "<= 0.1 with >= 99.0%"}


def bench_cold(reps: int) -> dict:
    """Click -> first loss chart in the browser on a fresh server (Chromium via Playwright)."""
    import importlib.util

    from playwright.sync_api import sync_playwright

    loader = importlib.util.spec_from_file_location("load_test", ROOT / "scripts" / "load_test.py")
    lt = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(lt)
    out = {}
    for wait in (0, 5):
        times = []
        for _ in range(reps):
            server = lt.Server(ROOT / "artifacts" / "bench_cold_server.log")
            try:
                with sync_playwright() as p:
                    browser = p.chromium.launch(executable_path=lt.CHROMIUM, args=lt.ARGS)
                    page = browser.new_page()
                    page.set_default_timeout(120_000)
                    page.goto(server.url + "/train")
                    page.get_by_text("Press Train to start").wait_for()
                    page.wait_for_timeout(wait * 1000)
                    t = time.perf_counter()
                    page.get_by_role("button", name="Train", exact=True).click()
                    page.locator(".st-key-train_chart [data-testid=stPlotlyChart]").wait_for()  # with points
                    times.append(round(time.perf_counter() - t, 2))
                    page.get_by_role("button", name="Stop", exact=True).click()
                    browser.close()
            finally:
                server.close()
        out[f"click_{wait}s_after_page_shows"] = {"click_to_chart_s": times, "median_s": sorted(times)[len(times) // 2]}
    out["goal"] = "<= 3 s on a fresh server"
    return out


def bench_memory() -> dict:
    """Resident memory of a process doing what the server does for one learner: the Train page
    (run through Streamlit's AppTest, the page's own code) with the "fast MNIST" preset on the
    full set, trained and evaluated, the results drawn."""
    import subprocess

    code = ("import sys, json; sys.path.insert(0, sys.argv[1]); import bench as b;"
            "from streamlit.testing.v1 import AppTest;"
            "at = AppTest.from_file(sys.argv[2], default_timeout=900); at.run();"
            "at.button(key='train_preset_fast MNIST').click().run();"
            "at.radio(key='train_source').set_value('full').run();"
            "at.button(key='train_job_start').click().run(); job = at.session_state['train_job'];"
            "job.wait(); at.run(); at.run(); assert job.state == 'finished', job.error;"
            "print(json.dumps({**b.rss_mb(), 'test_accuracy': job.result['accuracy']}))")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "scripts"), str(ROOT / "app_pages" / "train.py")],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    return {"train_page_after_fast_mnist_full_mb": json.loads(out.stdout.strip().splitlines()[-1])}


def bench_cifar(ref_epochs: int) -> dict:
    ds = data.load_dataset("cifar10", "full")
    warm_up(TF_TUTORIAL, ds)
    ref = keras_reference(TF_TUTORIAL, ds, ref_epochs, 10, batch=32)  # the tutorial's default batch
    p = presets.TRAIN_PRESETS["fast CIFAR-10"]
    job, wall = run_job(p.spec, p.config)
    return {"tf_tutorial": ref, "fast_cifar10": {
        "wall_s": round(wall, 1), "epochs": p.config.epochs, "test_accuracy": round(job.result["accuracy"], 4)},
        "time_ratio": round(wall / ref["seconds_for_all_epochs"], 3), "goal": ">= 80% in <= 1.0x the time"}


def bench_transfer(epochs: int, source: str) -> dict:
    """Frozen (head on cached features) vs partly / all unfrozen vs scratch, same target and budget."""
    from cnn_core import transfer

    stages = transfer.RESNET20_STAGES
    configs = {
        "all frozen": ({s: s == "head" for s in stages}, False),
        "stage3 unfrozen": ({s: s in ("stage3", "head") for s in stages}, False),
        "all unfrozen": ({s: True for s in stages}, False),
        "scratch": ({s: True for s in stages}, True),
    }
    out = {}
    for name, (flags, scratch) in configs.items():
        cfg = training.TrainConfig(dataset="cifar10", source=source, epochs=epochs, validation_fraction=0.0,
                                   learning_rate=3e-3 if scratch else 1e-3)
        t = time.perf_counter()
        job = start_job(transfer.TransferRequest("resnet20", "cifar5_heldout", flags, cfg, source=source,
                                                 scratch=scratch))
        job.wait()
        if job.state != "finished":
            raise RuntimeError(f"{name}: {job.state} {job.error}")
        trainable = transfer.param_counts(job.model)[0]
        fit = job.metrics.fit_seconds
        out[name] = {"trainable_parameters": trainable, "epoch_s": round(fit / epochs, 3),
                     "ms_per_step": round(1000 * fit / job.metrics.trained_batches, 1),
                     "wall_s_with_feature_extraction": round(time.perf_counter() - t, 1),
                     "test_accuracy": round(job.result["accuracy"], 4), "feature_cache": job.request.feature_cache}
    out["frozen_speedup_per_epoch"] = round(out["all unfrozen"]["epoch_s"] / out["all frozen"]["epoch_s"], 1)
    out["goal"] = ">= 10x faster epochs all-frozen than all-unfrozen"
    out["setup"] = f"target: 5 held-out CIFAR-10 classes ({source} data), {epochs} epochs each, batch 128, Adam"
    return out


def bench_inside(reps: int) -> dict:
    """Inside the network: all layers' maps for one input (forward pass, then the pictures the
    page draws), a channel's top 9 over 2,000 test images, and the live view's cost: the fast
    MNIST preset on the sample, with and without it, alternated."""
    from cnn_core import inside, models, pictures

    out = {}
    for name in ("fast MNIST", "fast CIFAR-10"):
        p = presets.TRAIN_PRESETS[name]
        ds = data.load_dataset(p.config.dataset, "sample")
        model = models.build_cnn(p.spec, ds.input_shape, ds.num_classes, seed=0)
        inside.trace(model, ds.x_test[0])  # builds the every-layer model once, as the page's first look does
        forward, drawing = [], []
        for i in range(reps):
            t = time.perf_counter()
            views = inside.trace(model, ds.x_test[i + 1])
            t2 = time.perf_counter()
            for v in views:
                if v.spatial:
                    pictures.tiles(v.values[:, :, :32], columns=16)
            inside.grad_cam(model, ds.x_test[i + 1])
            drawing.append(time.perf_counter() - t2)
            forward.append(t2 - t)
        conv = inside.conv_layer_names(model)[-1]
        t = time.perf_counter()
        inside.top_images(model, conv, ds.x_test[:2000])
        top = time.perf_counter() - t
        out[name] = {"layers": len(views), "forward_s": round(sorted(forward)[reps // 2], 3),
                     "pictures_and_grad_cam_s": round(sorted(drawing)[reps // 2], 3),
                     "top9_over_2000_s": round(top, 2)}
    out["goal"] = "all maps < 0.5 s; top 9 over 2,000 images < 2 s; live view <= 1.05x"
    p = presets.TRAIN_PRESETS["fast MNIST"]
    plain, watched, in_callback = [], [], []
    timed_watch_callback = _timing(training.watch_callback, in_callback)
    for rep in range(2 * reps):  # pairs of 2-epoch runs (~9 s: a redraw every 2 s), the order alternated
        pair = ((False, plain), (True, watched))
        for watch, times in pair if rep % 2 == 0 else pair[::-1]:  # neither side always goes first
            cfg = training.TrainConfig(**{**p.config.__dict__, "source": "full", "epochs": 2, "watch": watch})
            original, training.watch_callback = training.watch_callback, timed_watch_callback
            try:
                job, _ = run_job(p.spec, cfg)
            finally:
                training.watch_callback = original
            times.append(job.metrics.fit_seconds)
    pair_ratios = sorted(w / b for w, b in zip(watched, plain, strict=True))
    # Runs of seconds vary by 20-30% here, more than the live view can cost, so also time what it
    # adds: one copy of the first layer (a forward pass of one image through it, the kernel copied out).
    from cnn_core import metrics

    ds = data.load_dataset("mnist", "sample")
    model = models.build_cnn(p.spec, ds.input_shape, ds.num_classes, seed=0)
    callback = training.watch_callback(model, ds.x_test[0], metrics.MetricsBuffer(), every_s=0.0)
    callback.on_train_begin()
    t = time.perf_counter()
    for _ in range(50):
        callback.on_train_batch_end(0)
    per_copy = (time.perf_counter() - t) / 50
    out["live_view"] = {"fit_s_without": [round(v, 2) for v in plain], "fit_s_with": [round(v, 2) for v in watched],
                        "ratio_of_fit_times": round(sum(watched) / sum(plain), 3),
                        "median_ratio_of_pairs": round(pair_ratios[len(pair_ratios) // 2], 3),
                        "one_copy_ms": round(per_copy * 1000, 2),
                        "share_of_training_time": round(per_copy / training.WATCH_EVERY_S, 5),
                        # inside the real runs: the training thread's time in the live view's hooks
                        "seconds_in_live_view_during_watched_runs": round(sum(in_callback), 3),
                        "slowdown_from_it": round(sum(watched) / (sum(watched) - sum(in_callback)), 4)}
    return out


def _timing(make_callback, seconds: list):
    """`make_callback` whose Keras callbacks add the time spent in their hooks to `seconds`: what
    the live view takes from the training thread, measured inside the real runs."""
    def make(*args, **kwargs):
        callback = make_callback(*args, **kwargs)
        for hook in ("on_train_begin", "on_train_batch_end", "on_train_end"):
            original = getattr(callback, hook)

            def timed(*a, _original=original, **kw):
                t = time.perf_counter()
                try:
                    return _original(*a, **kw)
                finally:
                    seconds.append(time.perf_counter() - t)
            setattr(callback, hook, timed)
        return callback
    return make


def _throughput(executor, spec, cfg, n: int) -> float:
    t = time.perf_counter()
    group = jobs.JobGroup({i: jobs.Job(runner.TrainRequest(spec, cfg)) for i in range(n)}).start(executor)
    group.wait()
    return time.perf_counter() - t


def bench_executor(reps: int) -> dict:
    from cnn_core import ray_executor

    ray_executor.connect("local")
    cfg = training.TrainConfig(dataset="mnist", source="sample", epochs=1)
    sides = {"local": executors.LocalExecutor(1), "ray": ray_executor.RayExecutor(max_running=1)}
    for ex in sides.values():
        run_job(KERAS_MNIST, cfg, ex)  # warm: imports, the dataset, the worker process
    walls, firsts, outside = ({k: [] for k in sides} for _ in range(3))
    for rep in range(2 * reps):
        for name in (("local", "ray") if rep % 2 == 0 else ("ray", "local")):
            job, wall = run_job(KERAS_MNIST, cfg, sides[name])
            walls[name].append(wall)
            firsts[name].append(job.snapshot().first_point_seconds)
            outside[name].append(wall - job.metrics.fit_seconds)  # what an executor adds; fit time is noise here
    sides["ray"].close()  # its worker holds 2 CPUs: the two below need them
    os.environ["CNN_RAY_WORKER_CPUS"] = "1"  # two workers on this 2-core machine
    two = ray_executor.RayExecutor(max_running=2)
    _throughput(two, KERAS_MNIST, cfg, 2)  # both workers started and warm
    ten_ray = _throughput(two, KERAS_MNIST, cfg, 10)
    two.close()
    ten_local = _throughput(sides["local"], KERAS_MNIST, cfg, 10)
    med = {k: statistics.median(v) for k, v in walls.items()}
    out_med = {k: statistics.median(v) for k, v in outside.items()}
    return {"job_wall_s": {k: [round(x, 2) for x in v] for k, v in walls.items()},
            "ratio_ray_to_local": round(med["ray"] / med["local"], 3), "goal": "<= 1.15 on one machine",
            "seconds_outside_fit_median": {k: round(v, 2) for k, v in out_med.items()},
            "ratio_same_fit_time": round((med["local"] + out_med["ray"] - out_med["local"]) / med["local"], 3),
            "first_point_s_median": {k: round(statistics.median(v), 2) for k, v in firsts.items()},
            "ten_jobs_s": {"local_1_slot": round(ten_local, 1), "ray_2_workers": round(ten_ray, 1)},
            "throughput_ratio": round(ten_local / ten_ray, 2)}


def _fill_a_class(store, learners: int = 30) -> str:
    """A class of `learners` who each answered every bank question, trained 4 runs, ran one experiment."""
    import random

    from cnn_core import quiz

    rng = random.Random(0)
    code = store.create_class("bench class").code
    bank = quiz.load_bank()
    for i in range(learners):
        learner = store.join(code, f"learner {i:02d}")
        for q in bank:
            store.record_answer(learner, q.id, rng.choice("abcd"), correct=rng.random() < 0.7,
                                seconds=rng.uniform(5, 60), topic=q.topic)
        for dataset in ("mnist", "mnist", "cifar10", "cifar10"):
            store.record_run(learner, kind="train", state="finished", dataset=dataset, source="sample",
                             architecture="conv 32 3x3, pool max 2x2, flatten", accuracy=rng.uniform(0.5, 0.99),
                             seconds=rng.uniform(5, 60), parameters=34_826, epochs=2)
        store.record_run(learner, kind="pooling", state="finished", dataset="mnist", source="sample",
                         architecture="Tiny", accuracy=None, seconds=20.0,
                         details={"seed": i, "max": rng.uniform(0.8, 0.9), "average": rng.uniform(0.8, 0.9)})
        if i % 3 == 0:
            store.note_activity(learner, "training", "train")  # the page by its key (ui.nav.PAGES)
    return code


def bench_dashboard(reps: int) -> dict:
    """The Instructor page's dashboard for a class of 30 x 43 answers: its reads, and the whole page."""
    import tempfile

    from streamlit.testing.v1 import AppTest

    from cnn_core import class_store

    folder = tempfile.mkdtemp(prefix="cnn-bench-class-")
    url = f"sqlite:///{folder}/classroom.db"
    store = class_store.open_store(url)
    code = _fill_a_class(store)
    counts = store.counts(code)

    def reads() -> None:
        store.counts(code), store.roster(code), store.activity(code), store.question_stats(code)
        store.mastery(code), store.leaderboard(code, "mnist"), store.pooling_results(code)

    read_seconds = []
    for _ in range(max(reps, 5)):
        t = time.perf_counter()
        reads()
        read_seconds.append(time.perf_counter() - t)
    os.environ[class_store.URL_ENV] = url
    os.environ.setdefault("CNN_INSTRUCTOR_PASSWORD", "bench")
    at = AppTest.from_file(str(ROOT / "app_pages" / "instructor.py"), default_timeout=60)
    at.session_state["instructor_ok"] = True
    at.session_state["instructor_class"] = code
    at.run()  # the first run imports pandas' and Streamlit's dataframe code: not what a redraw costs
    page_seconds = []
    for _ in range(max(reps, 5)):
        t = time.perf_counter()
        at.run()
        page_seconds.append(time.perf_counter() - t)
    assert not at.exception, [e.value for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    assert shown["Quiz answers"] == str(counts["answers"]) and len(at.dataframe) >= 5, shown  # the dashboard drew
    return {"class": counts, "reads_seconds": round(statistics.median(read_seconds), 3),
            "page_seconds": round(statistics.median(page_seconds), 3),
            "page_seconds_worst": round(max(page_seconds), 3), "goal_seconds": 1.0}


def bench_language(reps: int) -> dict:
    """Seconds of a rerun that switches the language, per page, against one that does not."""
    from streamlit.testing.v1 import AppTest

    from ui import nav

    order = ["ja", "ko", "en"]
    pages = {}
    for key in ("home", "convolution", "pooling", "build", "quiz", "train"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
        at.switch_page(nav.PAGES[key][0]).run()
        if key == "train":  # with a finished run's results on the page
            at.session_state["cnn_layers"] = spec_mod.PRESETS["Tiny"]
            at.run()
            at.radio(key="train_source").set_value("sample")
            at.button(key="train_job_start").click().run()
            assert at.session_state["train_job"].wait(300)
            at.run().run()
        first = []
        for lang in order:  # the first switch to each language reads its catalog (and the quiz its bank) once
            at.session_state["lang"] = lang
            t = time.perf_counter()
            at.run()
            first.append(time.perf_counter() - t)
        switching, staying = [], []
        for i in range(max(reps, 3) * len(order)):
            at.session_state["lang"] = order[i % len(order)]
            t = time.perf_counter()
            at.run()
            switching.append(time.perf_counter() - t)
            t = time.perf_counter()
            at.run()
            staying.append(time.perf_counter() - t)
        assert not at.exception, [e.value for e in at.exception]
        assert at.session_state["page_key"] == key, key  # the page measured is the one named
        pages[key] = {"first_switch_seconds": round(max(first), 3), "switch_seconds": round(statistics.median(switching), 3),
                      "switch_seconds_worst": round(max(switching), 3),
                      "same_language_seconds": round(statistics.median(staying), 3)}
    worst = max(p["switch_seconds_worst"] for p in pages.values())
    return {"pages": pages, "worst_switch_seconds": worst, "goal_seconds": 0.3}


def main() -> None:
    ap = argparse.ArgumentParser(description="Benchmarks of the training engine (see the docstring).")
    ap.add_argument("sections", nargs="*",
                    default=["overhead", "latency", "cold", "mnist", "memory", "cifar", "transfer", "inside"])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--overhead-images", type=int, default=20_000)
    ap.add_argument("--ref-epochs", type=int, default=3)
    ap.add_argument("--ref-epochs-cifar", type=int, default=2)
    ap.add_argument("--transfer-epochs", type=int, default=3)
    ap.add_argument("--transfer-source", default="sample")
    args = ap.parse_args()
    if not all(data.full_available(n) for n in data.NAMES):
        sys.exit("The full datasets are needed: set CNN_DATASETS_DIR=../shared/datasets.")
    out = {"machine": f"{os.cpu_count()} CPU cores, {os.uname().machine}", "when": time.strftime("%Y-%m-%d %H:%M")}
    for s in args.sections:
        t = time.perf_counter()
        if s == "overhead":
            out[s] = bench_overhead(args.reps, args.overhead_images)
        elif s == "latency":
            out[s] = bench_latency(args.reps)
        elif s == "cold":
            out[s] = bench_cold(args.reps)
        elif s == "mnist":
            out[s] = bench_mnist(args.ref_epochs)
        elif s == "memory":
            out[s] = bench_memory()
        elif s == "transfer":
            out[s] = bench_transfer(args.transfer_epochs, args.transfer_source)
        elif s == "cifar":
            out[s] = bench_cifar(args.ref_epochs_cifar)
        elif s == "inside":
            out[s] = bench_inside(args.reps)
        elif s == "executor":
            out[s] = bench_executor(args.reps)
        elif s == "dashboard":
            out[s] = bench_dashboard(args.reps)
        elif s == "language":
            out[s] = bench_language(args.reps)
        else:
            sys.exit(f"unknown section {s!r}")
        out[s]["bench_seconds"] = round(time.perf_counter() - t, 1)
        print(json.dumps({s: out[s]}, indent=1), flush=True)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "bench.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
