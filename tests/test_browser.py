"""End to end in a real browser: `python serve.py` (the README's start command), Debian's Chromium driven by Playwright."""

import re
import subprocess
from contextlib import contextmanager

import pytest
from live_server import ROOT, chromium, needs_chromium, streamlit_server
from playwright.sync_api import expect

TEACHER_PASSPHRASE = "e2e teacher passphrase"
pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("class-record")  # the class record of this server: empty at the start
    log = open(ROOT / ".cache" / "streamlit-e2e.log", "w") if (ROOT / ".cache").is_dir() else subprocess.DEVNULL
    with streamlit_server(["serve.py"], log=log, env={
            "CNN_WARM_UP": "1", "CNN_INSTRUCTOR_PASSWORD": TEACHER_PASSPHRASE,
            "CNN_DATABASE_URL": f"sqlite:///{data_dir / 'classroom.db'}"}) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


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
    filters = page.get_by_label("filters", exact=True).first
    filters.fill("16")
    filters.press("Enter")
    # conv1 (3*3*1+1)*16 = 160, conv2 (3*3*16+1)*64 = 9,280, classifier 16,010
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
        ".some(e => e.innerText === '25,450')"
    )
    assert _total(page) == "25,450"


@contextmanager
def _japanese_builder(server, browser, width: int):
    """The builder in Japanese (whose labels are wider) in a window `width` px wide, sidebar open."""
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(server + "/build?lang=ja")
        page.get_by_text("CNN を組み立てる").first.wait_for()
        page.wait_for_function("() => document.querySelectorAll('[data-testid=stMetricValue]').length > 0")
        assert page.get_by_test_id("stSidebar").is_visible()
        yield page
    finally:
        ctx.close()


def test_builder_move_and_remove_buttons_are_whole_on_a_laptop_screen(server, browser):
    """At 1300 px the rows' ↑ ↓ ✕ buttons each show their whole arrow: in columns of their own
    they were cut to slivers."""
    with _japanese_builder(server, browser, 1300) as page:
        clipped = page.evaluate(
            "() => [...document.querySelectorAll('button')].filter(b => ['↑', '↓', '✕'].includes(b.innerText.trim())"
            " && b.getClientRects().length)"  # drawn (Streamlit keeps a stale copy of a widget hidden at times)
            ".map(b => { const label = b.querySelector('p') || b;"
            "  const r = label.getBoundingClientRect(), box = b.getBoundingClientRect();"
            "  return {text: b.innerText.trim(), label: r.width, button: box.width}; })")
    assert len(clipped) >= 12  # the preset's six layers, three buttons each
    assert all(c["button"] >= c["label"] + 8 for c in clipped), clipped


def test_builder_layer_settings_are_whole_on_a_projector(server, browser):
    """At 1100 px no label or chosen value of a layer's settings, and no button, is cut short. On
    one line with the layer's title and its buttons, "valid" showed as "va" and "バイアス" (bias)
    as "バイ…"."""
    with _japanese_builder(server, browser, 1100) as page:
        texts = page.evaluate(
            "() => [...document.querySelectorAll('[class*=st-key-build_L]')]"  # a layer's settings (build_L7_padding)
            ".filter(w => /st-key-build_L\\d+_(?!up|down|remove)/.test(w.className) && w.getClientRects().length)"
            ".flatMap(w => [...w.querySelectorAll('*')])"  # every part: a label is cut by the box around its text
            ".concat([...document.querySelectorAll('[data-testid=stMain] button, [data-testid=stMain] button *')])"
            ".filter(e => e.clientWidth > 0 && (e.value || e.innerText || '').trim())"  # not the checkbox's hidden input, an icon
            ".map(e => ({text: e.value || e.innerText, shown: e.clientWidth, needed: e.scrollWidth}))")
    assert len(texts) >= 12  # two conv rows' and two pooling rows' labels and values
    assert "バイアス" in {t["text"] for t in texts}
    cut = [t for t in texts if t["needed"] > t["shown"] + 1]
    assert not cut, cut


def _train_on_the_sample(page, epochs: int) -> None:
    """The shipped sample, `epochs` epochs, then Train."""
    page.get_by_test_id("stRadio").get_by_text("sample", exact=True).click()
    box = page.get_by_label("Epochs")
    box.fill(str(epochs))
    box.press("Enter")
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Train", exact=True).click()


def test_train_live_chart_then_stop(server, page):
    page.goto(server + "/train")
    page.get_by_text("Press Train to start").wait_for()
    _train_on_the_sample(page, epochs=5)
    # the live panel redraws about once a second: wait for the chart of this run (not the empty one)
    page.locator(".st-key-train_chart [data-testid=stPlotlyChart]").wait_for(timeout=120_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMarkdownContainer]')]"
        ".some(e => /batch (\\d+)\\//.test(e.innerText) && +e.innerText.match(/batch (\\d+)\\//)[1] >= 3)",
        timeout=120_000)
    page.get_by_role("button", name="Stop", exact=True).click()
    page.get_by_text("Stopped after").wait_for(timeout=120_000)
    page.get_by_text("How well did it learn?").wait_for(timeout=120_000)


def _idle(page) -> None:
    """Wait until the app is not running a script (a rerun can close an open dropdown)."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)


def _choose(page, label: str, option: str) -> None:
    """Pick `option` in the Streamlit selectbox labelled `label`."""
    _idle(page)
    for _ in range(3):
        page.get_by_role("combobox", name=label, exact=True).click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
            return
        except Exception:  # the list closed under a rerun: open it again
            _idle(page)
    raise AssertionError(f"could not choose {option!r} in {label!r}")


def test_a_preset_sets_the_dataset_it_was_measured_on(server, page):
    page.goto(server + "/train")
    page.get_by_text("Press Train to start").wait_for()
    page.get_by_text("CPU-tuned presets").click()
    page.get_by_role("button", name="Use it").nth(1).click()  # fast CIFAR-10
    expect(page.get_by_role("combobox", name="Dataset")).to_have_value("CIFAR-10 (32x32x3 photos)")
    _train_on_the_sample(page, epochs=1)
    page.get_by_text("Training on the shipped sample of CIFAR-10").wait_for(timeout=120_000)
    page.get_by_role("button", name="Stop", exact=True).click()
    page.get_by_text("Stopped after").wait_for(timeout=120_000)


def _position(page) -> str:
    text = page.get_by_text("the window starts at padded pixel").first.inner_text()
    return text.split(":")[0]


def test_play_in_the_convolution_lab_keeps_stepping_until_switched_off(server, page):
    page.goto(server + "/convolution")
    page.get_by_text("the window starts at padded pixel").wait_for()
    page.get_by_text("Play", exact=True).click()
    seen = set()
    for _ in range(8):
        page.wait_for_timeout(600)
        seen.add(_position(page))
    assert len(seen) >= 4, seen  # it moved on, again and again
    page.get_by_text("Play", exact=True).click()
    page.wait_for_timeout(1500)
    still = _position(page)
    page.wait_for_timeout(1500)
    assert _position(page) == still  # and stopped when switched off


def test_a_kernel_change_redraws_the_lab_alone_and_the_link_follows(server, page):
    """The lab is a fragment: a kernel change reruns it, not the page, so the server sends (and the
    browser redraws) the lab alone; the weight-sharing section below keeps what it shows."""
    frames = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: frames.append(frame)))
    page.goto(server + "/convolution")
    filters = page.get_by_label("Filters", exact=True)
    filters.fill("8")
    filters.press("Enter")
    page.get_by_text("(28,28,1) through 8 filters of 3x3").wait_for()
    _idle(page)
    frames.clear()
    slider = page.locator(".st-key-conv_k").get_by_role("slider")
    slider.focus()
    slider.press("ArrowRight")
    page.get_by_text(re.compile(r"Output size: 28x28 (->|→) 25x25$")).wait_for()
    page.wait_for_function("() => new URLSearchParams(location.search).get('k') === '4'")  # the link follows
    _idle(page)
    sent = b"".join(f if isinstance(f, bytes) else f.encode() for f in frames)
    assert b"Output size: 28x28 -> 25x25" in sent
    assert b"through 8 filters" not in sent  # the page below the lab was not sent again
    page.get_by_text("(28,28,1) through 8 filters of 3x3").wait_for()
    assert filters.input_value() == "8"


def test_weight_sharing_inputs_and_sentence_agree_after_an_upload_detour(server, page):
    page.goto(server + "/convolution")
    page.get_by_text("Channels and filters").wait_for()
    filters = page.get_by_label("Filters", exact=True)
    filters.fill("8")
    filters.press("Enter")
    page.get_by_text("through 8 filters of 3x3").wait_for()
    _choose(page, "Input", "Upload an image")
    page.get_by_text("10MB per file").wait_for()  # the uploader states what the app accepts (not 200MB)
    _choose(page, "Input", "MNIST digit")
    page.get_by_text("the window starts at padded pixel").wait_for()
    assert page.get_by_label("Input size").input_value() == "28"
    assert page.get_by_label("Filters", exact=True).input_value() == "8"
    page.get_by_text("(28,28,1) through 8 filters of 3x3").wait_for()
    page.get_by_role("button", name="The lecture's example").click()
    page.get_by_text("(32,32,3) through 32 filters of 3x3").wait_for()
    assert page.get_by_label("Input channels").input_value() == "3"


def test_the_page_icon_comes_from_this_server(server, page):
    page.goto(server)
    page.get_by_text("Learn CNNs by doing").wait_for()
    page.wait_for_function("() => document.querySelector('link[rel*=icon]')")
    href = page.evaluate("() => document.querySelector('link[rel*=icon]').href")
    assert href.startswith(server), href  # never fetched from the internet (classrooms are often offline)


def _watched_step(page) -> int:
    text = page.get_by_text(" batches: its filters").first.inner_text()
    return int(text.split(" after ")[1].split(" batches")[0].replace(",", ""))


def test_watch_the_first_layer_learn_then_look_inside_a_mistake(server, page):
    page.goto(server + "/train")
    page.get_by_text("Press Train to start").wait_for()
    page.get_by_text("Watch the first layer learn").click()
    _idle(page)
    _train_on_the_sample(page, epochs=4)
    page.wait_for_function("() => /after [1-9][0-9,]* batches: its filters/.test(document.body.innerText)",
                           timeout=120_000)
    first_step, first = _watched_step(page), page.locator(".st-key-watched_filters").screenshot()
    page.wait_for_function(f"() => {{ const m = document.body.innerText.match(/after ([0-9,]+) batches: its filters/);"
                           f" return m && +m[1].replace(/,/g, '') > {first_step}; }}", timeout=120_000)
    page.wait_for_timeout(500)  # the images of that redraw have loaded
    assert page.locator(".st-key-watched_filters").screenshot() != first  # the filters have changed
    page.get_by_role("button", name="Stop", exact=True).click()
    page.get_by_text("How well did it learn?").wait_for(timeout=120_000)
    page.get_by_role("tab", name="Mistakes").click()
    page.get_by_role("button", name="Look inside").first.click()
    page.get_by_text("Every layer, in order").wait_for(timeout=60_000)  # the inside tab opened by itself
    expect(page.get_by_text("Where did the model look?")).to_be_visible()
    expect(page.get_by_text("grad-cam for")).to_be_visible()
    expect(page.get_by_role("combobox", name="Mistake")).to_have_value(re.compile(" read as "))  # that image
    expect(page.get_by_text("One value of a feature map, computed by hand")).to_be_visible()
    _click_a_feature_map_value(page, "pick_all", channel=3, row=5, col=5)  # a map in the grid: its filter
    expect(page.get_by_label(re.compile(r"^Filter \(1 to"))).to_have_value("3")  # the inputs follow the click
    _click_a_feature_map_value(page, "pick_one", channel=3, row=1, col=2)  # a value in that map, enlarged
    expect(page.get_by_label(re.compile(r"^Row \(0 to"))).to_have_value("1")
    expect(page.get_by_label(re.compile(r"^Column \(0 to"))).to_have_value("2")
    expect(page.get_by_text("Filter 3 of")).to_be_visible()  # and the filter that made that map is shown


def _click_a_feature_map_value(page, chart: str, channel: int, row: int, col: int) -> None:
    """Click, in the clickable feature maps `chart` ("pick_all": every map, "pick_one": the picked
    one enlarged), the value of filter `channel` (from 1) at (row, col): its marker's data
    coordinates turned into page pixels by plotly's own axes."""
    _idle(page)
    plot = page.locator(f"[class*='st-key-train_res_inside_{chart}_'] .js-plotly-plot")
    plot.scroll_into_view_if_needed()  # the mouse clicks what is on screen
    page.wait_for_timeout(300)
    x, y = plot.evaluate("""(el, [c, r, k]) => {
        const dots = el._fullData[1];  // decoded: the figure's arrays arrive base64-packed
        let i = 0;
        while (!(dots.customdata[i][0] === c && dots.customdata[i][1] === r && dots.customdata[i][2] === k)) i++;
        const xa = el._fullLayout.xaxis, ya = el._fullLayout.yaxis, box = el.getBoundingClientRect();
        return [box.left + xa._offset + xa.l2p(dots.x[i]), box.top + ya._offset + ya.l2p(dots.y[i])];
    }""", [channel, row, col])
    page.mouse.move(x, y)
    page.wait_for_timeout(300)  # plotly picks the point under the pointer on hover
    page.mouse.click(x, y)


def _quiz_code_whose_first_question_is_single_choice() -> tuple[str, object]:
    from cnn_core import quiz

    for seed in range(100, 200):
        code = f"{seed}-all"
        first = quiz.make_quiz(quiz.parse_code(code))[0]
        if first.kind == "single":
            return code, first
    raise AssertionError("no such code in 100 seeds")


def test_a_class_teacher_creates_learners_join_by_link_and_answer(server, browser):
    teacher = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    teacher.set_default_timeout(60_000)
    teacher.goto(server + "/instructor")
    teacher.get_by_label("Passphrase").fill(TEACHER_PASSPHRASE)
    teacher.get_by_role("button", name="Open the instructor view").click()
    teacher.get_by_label("A new class").fill("E2E class")
    teacher.get_by_role("button", name="Create it").click()
    link = teacher.get_by_text("?class=").first.inner_text().strip()
    code = link.rsplit("=", 1)[1]
    assert link.startswith(server) and len(code) == 6

    quiz_code, first = _quiz_code_whose_first_question_is_single_choice()
    wrong = next(c for i, c in enumerate(first.choices) if i != first.answer)
    for name in ("Ana", "Ben"):
        learner = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        learner.set_default_timeout(60_000)
        # one link: the class to join and the quiz to take (the same questions for everyone)
        learner.goto(f"{server}/quiz?class={code}&quiz={quiz_code}")
        # filled in from the link (asked until it is: read at once, it was empty once in CI, under load)
        expect(learner.get_by_label("Class code", exact=True)).to_have_value(code)
        learner.get_by_label("Your name, as the teacher will see it").fill(name)
        learner.get_by_role("button", name="Join", exact=True).click()
        learner.get_by_text(f"In E2E class ({code}) as").wait_for(state="attached")  # in the folded "Your class"
        expect(learner.get_by_test_id("stMetric").filter(has_text="Quiz code")).to_contain_text(quiz_code)
        key = f"quiz_{quiz_code}_{first.id}"  # the first question's widgets (their keys are CSS classes)
        learner.locator(f".st-key-{key}").get_by_text(wrong, exact=True).click()
        _idle(learner)
        learner.locator(f".st-key-{key}_check").get_by_role("button", name="Check").click()
        learner.get_by_text("Not quite.").first.wait_for()
        learner.context.close()

    # the dashboard redraws itself every 5 s: both learners and the question they both missed
    teacher.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMetric]')]"
        ".some(e => e.innerText.includes('Quiz answers') && e.innerText.includes('2'))", timeout=30_000)
    expect(teacher.get_by_test_id("stMetric").filter(has_text="Learners")).to_contain_text("2")
    teacher.get_by_text(f"Hardest so far: {first.id}, 0% right of 2 answered.").wait_for()
    teacher.context.close()


def test_a_projector_link_restores_the_view_with_the_settings_folded_away(server, page):
    page.goto(server + "/convolution?present=1&k=5&stride=2&padding=same&input=cifar10&image=7")
    page.get_by_text("CIFAR-10 test image #7").wait_for()
    page.get_by_text("ceil(32 / 2) = 16").wait_for()  # stride 2, same: from the link
    page.wait_for_function("() => getComputedStyle(document.documentElement).fontSize === '22px'")  # larger type
    assert not page.get_by_label("Kernel size").is_visible()  # the settings are folded away
    page.get_by_text("Settings", exact=True).click()
    expect(page.locator(".st-key-conv_k [data-testid=stSliderThumbValue]")).to_have_text("5")
    page.get_by_test_id("stExpandSidebarButton").click()  # the projector link folded the sidebar too
    page.get_by_text("Presentation mode").click()
    page.wait_for_function("() => getComputedStyle(document.documentElement).fontSize === '16px'")
    assert "present" not in page.url and "k=5" in page.url


def test_a_korean_link_trains_in_korean_and_switching_to_japanese_keeps_the_run(server, page):
    from cnn_core import i18n

    ko, ja = i18n.translation("ko").gettext, i18n.translation("ja").gettext
    for words in ("Convolution lab", "Train", "How well did it learn?", "Test accuracy", "Epochs"):
        assert ko(words) != words and ja(words) != words, f"{words!r} has no translation"
    page.goto(server + "/train?lang=ko")
    page.get_by_role("link", name=ko("Convolution lab")).wait_for()  # the navigation in Korean
    page.get_by_test_id("stRadio").get_by_text(ko("sample"), exact=True).click()
    epochs = page.get_by_label(ko("Epochs"))
    epochs.fill("1")
    epochs.press("Enter")
    page.wait_for_timeout(500)
    page.get_by_role("button", name=ko("Train"), exact=True).click()
    # The status line while it trains, then the results: in Korean.
    training = ko("Training on the {source}: epoch {epoch}/{epochs}, batch {step:,}/{total:,}{left}.")
    filled_in = ".*?".join(re.escape(part) for part in re.split(r"\{[^{}]*\}", training))
    page.get_by_text(re.compile(filled_in)).first.wait_for(timeout=120_000)
    page.get_by_text(ko("How well did it learn?")).wait_for(timeout=180_000)
    accuracy = page.get_by_test_id("stMetric").filter(has_text=ko("Test accuracy")).get_by_test_id("stMetricValue")
    score = accuracy.inner_text()
    # Switch to Japanese: the same run, the same settings, in Japanese, and the link says so.
    page.get_by_test_id("stSidebar").get_by_text("日本語", exact=True).click()
    page.get_by_text(ja("How well did it learn?")).wait_for()
    japanese = page.get_by_test_id("stMetric").filter(has_text=ja("Test accuracy")).get_by_test_id("stMetricValue")
    assert japanese.inner_text() == score
    expect(page.get_by_label(ja("Epochs"))).to_have_value("1")
    expect(page.get_by_role("radio", name=ja("sample"))).to_be_checked()  # a choice keeps its value, new label
    assert "lang=ja" in page.url
    # And back: still the same choice (Streamlit keeps a choice as its label; the switch carries it over).
    page.get_by_test_id("stSidebar").get_by_text("한국어", exact=True).click()
    page.get_by_text(ko("How well did it learn?")).wait_for()
    expect(page.get_by_role("radio", name=ko("sample"))).to_be_checked()
    assert not page.get_by_test_id("stAlertContentError").all_inner_texts()
    # A lab's choices too, and its link keeps the plain value.
    page.goto(server + "/convolution?lang=ko&filter=blur")
    filter_box = page.get_by_role("combobox", name=ko("Filter"), exact=True)
    expect(filter_box).to_have_value(ko("blur"))
    page.get_by_test_id("stSidebar").get_by_text("日本語", exact=True).click()
    expect(page.get_by_role("combobox", name=ja("Filter"), exact=True)).to_have_value(ja("blur"))
    page.wait_for_function("() => location.search.includes('filter=blur') && location.search.includes('lang=ja')")


def test_a_japanese_browser_opens_in_japanese_with_fonts_for_it(server, browser):
    from cnn_core import i18n

    ja = i18n.translation("ja").gettext
    ctx = browser.new_context(locale="ja-JP", viewport={"width": 1400, "height": 1000})  # Accept-Language: ja-JP
    try:
        page = ctx.new_page()
        page.goto(server)
        page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=ja("Convolution lab")).wait_for(timeout=60_000)
        page.wait_for_function("() => location.search.includes('lang=ja')")  # a link from here keeps it
    finally:
        ctx.close()
    # The screen and the charts draw Japanese and Korean with a font that has them (.ci/run installs one).
    for lang in ("ja", "ko"):
        fonts = subprocess.run(["fc-list", f":lang={lang}"], capture_output=True, text=True).stdout
        assert fonts.strip(), f"no font for {lang}: apt-get install fonts-noto-cjk"
