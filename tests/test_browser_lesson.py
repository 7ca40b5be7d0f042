"""A lesson in real JupyterLab, in headless Chromium: what a learner sees after Run All, and what a click does.

Starts JupyterLab on 127.0.0.1 (a free port, a random token) over a copy of lessons/, opens lesson 01
(a key explorer and a self-check quiz) and a small notebook with a slider explorer and a quiz, runs all
cells, then checks as a learner would:

- every explorer's picture is a complete, non-blank PNG, drawn once (no redraw arrives afterwards);
- typing a key, or moving a slider with the keyboard, redraws it once, with a different picture;
- no widget label is cut off;
- a click on a quiz option selects that option, also when its text wraps onto several lines, and
  options never overlap; Markdown backticks show as code; the Review line is a link that opens the
  lesson in JupyterLab.

Needs Debian's ``chromium`` and ``chromium-driver`` (``bash .ci/run`` installs them under CI) and the
``selenium`` package (the ``test`` extra). Without them the test fails and says how to install them.
"""

from __future__ import annotations

import base64
import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Notebooks with a labsim.viz explorer and a self-check quiz: lesson 01 (its key box is typed into) and a
# small notebook this test writes beside the lessons with the slider explorer of labsim.viz.consumers
# (the lessons that use slider explorers stop their lab in their last cell, and take longer to run).
LESSONS = ["01-streams-shards-records.ipynb", "zz-sliders.ipynb"]
SLIDERS_NOTEBOOK = [
    "from labsim.quiz import quiz\nfrom labsim.viz.consumers import consumer_mode_explorer",
    "consumer_mode_explorer(write_mib_per_s=1.0, shards=1, consumers=3)",
    'quiz("efo", n=6, seed=1)',
]
CHROMIUM = os.environ.get("LABSIM_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("LABSIM_CHROMEDRIVER", "/usr/bin/chromedriver")
INSTALL_HINT = (
    "The browser test needs Debian's Chromium and its driver: run `sudo apt-get install chromium chromium-driver` "
    "(as root: `apt-get update && apt-get install -y chromium chromium-driver`; `bash .ci/run` does this), "
    "or point LABSIM_CHROMIUM / LABSIM_CHROMEDRIVER at them."
)
SCREENSHOTS = os.environ.get("LABSIM_SCREENSHOTS")  # a folder to keep screenshots in, for a human to look at

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _require_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (Path(p).is_file() and os.access(p, os.X_OK))]
    if missing:
        pytest.fail(f"not found: {', '.join(missing)}. {INSTALL_HINT}", pytrace=False)
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.fail("the `selenium` package is missing: `python3 course.py test` installs it (the `test` extra "
                    "of pyproject.toml), or `pip install -e '.[test]'`.", pytrace=False)


def _write_notebook(path: Path, cells: list[str]) -> None:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(notebook, str(path))


def _course_lab_settings() -> dict:
    import importlib.util

    spec = importlib.util.spec_from_file_location("course_settings", ROOT / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LAB_SETTINGS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory):
    """JupyterLab serving a copy of lessons/ (so nothing it saves lands in the course) on 127.0.0.1."""
    _require_browser()
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "course"
    shutil.copytree(ROOT / "lessons", root / "lessons", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    _write_notebook(root / "lessons" / "zz-sliders.ipynb", SLIDERS_NOTEBOOK)
    # Jupyter's own news prompt would cover what the learner sees; the course has nothing to do with it.
    news = base / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false"}))
    for plugin, values in _course_lab_settings().items():  # what `course.py start` gives JupyterLab
        package, name = plugin.split(":")
        settings = base / "settings" / package / f"{name}.jupyterlab-settings"
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_DATA_DIR=str(base / "data"),
               JUPYTER_RUNTIME_DIR=str(base / "runtime"), IPYTHONDIR=str(base / "ipython"),
               LABSIM_HOME=str(base / "labsim-home"), JUPYTER_PLATFORM_DIRS="1")
    # The kernel is this interpreter's (the course's venv): add it where the server looks.
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(Path(sys.prefix) / "share" / "jupyter"),
                                                      env.get("JUPYTER_PATH", "")) if p)
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           f"--LabApp.workspaces_dir={base / 'workspaces'}", f"--LabApp.user_settings_dir={base / 'settings'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(base / "jupyter.log", "wb")
    server = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{(base / 'jupyter.log').read_text()[-3000:]}", pytrace=False)
            time.sleep(0.5)
        yield {"url": url, "token": token, "root": root, "log": base / "jupyter.log"}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def browser(jupyter, tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(predicate, timeout: float, what: str, poll: float = 0.25):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


def _shot(driver, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SCREENSHOTS) / f"{name}.png"))


# JavaScript run in the page. `window.jupyterapp` is there because of --LabApp.expose_app_in_browser.
NOTEBOOK_STATE = """
const app = window.jupyterapp;
if (!app || !app.shell) return null;
const panel = Array.from(app.shell.widgets('main')).find(w => w.context && w.context.path === arguments[0]);
if (!panel || !panel.content || !panel.context.isReady || !panel.sessionContext.isReady) return null;
const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
const cells = panel.content.widgets.filter(c => c.model.type === 'code');
return {
  current: app.shell.currentWidget === panel,
  kernel: kernel ? kernel.status : null,
  ran: cells.filter(c => c.model.executionCount !== null).length,
  pending: cells.filter(c => c.promptNode && c.promptNode.textContent.includes('*')).length,
  cells: cells.length,
  errors: cells.flatMap(c => c.model.outputs.toJSON().filter(o => o.output_type === 'error')
                                  .map(o => o.ename + ': ' + o.evalue)),
};
"""

RUN_ALL = """
const app = window.jupyterapp;
const panel = Array.from(app.shell.widgets('main')).find(w => w.context && w.context.path === arguments[0]);
app.shell.activateById(panel.id);
app.commands.execute('notebook:run-all-cells');
"""

IMAGE_BYTES = """
const [img, done] = arguments;
fetch(img.src).then(r => r.arrayBuffer()).then(buf => {
  let s = ''; const bytes = new Uint8Array(buf);
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  done(btoa(s));
}).catch(e => done('error: ' + e));
"""

# Count every change of an explorer picture from now on.
WATCH_IMAGES = """
window.__labsimImageChanges = 0;
for (const img of document.querySelectorAll('.labsim-explorer img')) {
  new MutationObserver(() => { window.__labsimImageChanges += 1; })
      .observe(img, {attributes: true, attributeFilter: ['src']});
}
return document.querySelectorAll('.labsim-explorer img').length;
"""

CUT_LABELS = """
const cut = [];
for (const el of document.querySelectorAll('.jp-Notebook .widget-label, .jp-Notebook .widget-label-basic span')) {
  if (el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1) cut.push(el.textContent);
}
return cut;
"""


def _png(driver, img) -> bytes:
    data = driver.execute_async_script(IMAGE_BYTES, img)
    assert not data.startswith("error"), data
    return base64.b64decode(data)


def _assert_picture(png: bytes, what: str):
    from PIL import Image

    picture = Image.open(io.BytesIO(png)).convert("RGBA")
    assert picture.width > 200 and picture.height > 100, f"{what}: a {picture.size} image"
    alpha = picture.getchannel("A").getextrema()
    assert alpha[1] > 0, f"{what}: every pixel is transparent"
    colours = picture.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 20, f"{what}: only {len(colours or [])} colours: blank or half-drawn"
    return picture


def _open_and_run_all(driver, jupyter, lesson: str) -> dict:
    path = f"lessons/{lesson}"
    # a workspace of its own, reset: only this notebook open, nothing restored from an earlier page
    driver.get(f"{jupyter['url']}/lab/workspaces/{lesson.split('-')[0]}/tree/{path}?reset&token={jupyter['token']}")
    state = lambda: driver.execute_script(NOTEBOOK_STATE, path)  # noqa: E731
    _wait(lambda: (state() or {}).get("kernel") == "idle", 300, f"{path} to open with an idle kernel")
    deadline = time.monotonic() + 600
    for attempt in range(3):
        # Run All is a UI command: on a loaded machine the first one can arrive before the notebook
        # takes commands, and then nothing runs; if no cell started, ask again.
        driver.execute_script(RUN_ALL, path)
        try:
            _wait(lambda: (state() or {}).get("ran", 0) + (state() or {}).get("pending", 0) > 0, 60,
                  "a cell to start")
            break
        except AssertionError:
            if attempt == 2:
                raise AssertionError(f"Run All started no cell: {state()}") from None

    def finished():
        now = state()
        if now["errors"]:
            raise AssertionError(f"a cell failed: {now['errors']}")
        return now if now["ran"] == now["cells"] and now["pending"] == 0 and now["kernel"] == "idle" else None

    try:
        return _wait(finished, max(60.0, deadline - time.monotonic()), "Run All to finish")
    except AssertionError as err:
        raise AssertionError(f"{err}: {state()}") from None


def test_lessons_in_jupyterlab_draw_once_react_and_take_quiz_clicks(jupyter, browser):
    # One server and one browser, the lessons one after the other: kinder to a 2-core machine than a
    # JupyterLab and a Chromium per pytest worker.
    for lesson in LESSONS:
        try:
            # the Review link is followed from the lesson (its questions link to sections of lessons 00/01)
            _check_lesson(jupyter, browser, lesson, follow_review=lesson == LESSONS[0])
        except AssertionError as err:
            raise AssertionError(f"{lesson}: {err}") from err


def _check_lesson(jupyter, browser, lesson: str, follow_review: bool) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    driver.set_window_size(1400, 1000)
    state = _open_and_run_all(driver, jupyter, lesson)
    assert state["cells"] >= len(SLIDERS_NOTEBOOK)

    # --- explorers: one complete picture each, and no second drawing arriving later -------------
    explorers = driver.find_elements(By.CSS_SELECTOR, ".labsim-explorer")
    assert explorers, "the lesson shows no explorer widget"
    images = _wait(lambda: [e.find_element(By.TAG_NAME, "img") for e in explorers
                            if e.find_elements(By.TAG_NAME, "img")], 30, "the explorer pictures")
    assert driver.execute_script(WATCH_IMAGES) == len(explorers)
    first = []
    for n, img in enumerate(images):
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", img)
        _wait(lambda: driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0;", img),
              30, "the picture to load")
        first.append(_png(driver, img))
        _assert_picture(first[-1], f"explorer {n + 1} after Run All")
        # what is on screen, not only what was sent: the element's own pixels
        _assert_picture(img.screenshot_as_png, f"explorer {n + 1} as painted")
    time.sleep(2.0)  # a late second drawing (a frontend echo) would arrive in this window
    assert driver.execute_script("return window.__labsimImageChanges;") == 0, "an explorer redrew by itself"
    _shot(driver, f"{lesson[:2]}-01-after-run-all")

    assert driver.execute_script(CUT_LABELS) == [], "widget labels are cut off"

    # --- a slider moved with the keyboard, or a new key typed, redraws once, with a different picture
    explorer = explorers[0]
    sliders = explorer.find_elements(By.CSS_SELECTOR, ".widget-slider .noUi-handle")
    if sliders:
        handle = sliders[0]
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", handle)
        readout = explorer.find_element(By.CSS_SELECTOR, ".widget-readout")
        before = readout.text
        handle.click()
        handle.send_keys(Keys.ARROW_RIGHT)
        _wait(lambda: readout.text != before, 30, "the slider to move")
    else:
        box = explorer.find_element(By.CSS_SELECTOR, "input[type=text]")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
        box.click()
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys("order-1002", Keys.ENTER)
    _wait(lambda: driver.execute_script("return window.__labsimImageChanges;") >= 1, 180, "the explorer to redraw")
    time.sleep(2.0)
    assert driver.execute_script("return window.__labsimImageChanges;") == 1, "one change, more than one redraw"
    img = explorer.find_element(By.TAG_NAME, "img")
    _wait(lambda: driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0;", img),
          30, "the new picture to load")
    moved = _png(driver, img)
    _assert_picture(moved, "explorer after a change")
    assert moved != first[0], "the control changed but the picture did not"
    _shot(driver, f"{lesson[:2]}-02-after-change")

    # --- the quiz ----------------------------------------------------------------------------------
    quiz = driver.find_element(By.CSS_SELECTOR, ".labsim-quiz")
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", quiz)
    assert "`" not in quiz.text, "Markdown backticks are shown literally"
    cards = quiz.find_elements(By.CSS_SELECTOR, ".labsim-card")
    assert cards
    _check_options_do_not_overlap(driver, cards)
    card, option = _wrapped_single_option(driver, cards)
    # click on the option's last line of text: the spot that used to land on the next option
    rect = driver.execute_script("return arguments[0].getBoundingClientRect().toJSON();", option)
    from selenium.webdriver.common.action_chains import ActionChains

    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", option)
    rect = driver.execute_script("return arguments[0].getBoundingClientRect().toJSON();", option)
    ActionChains(driver).move_to_element_with_offset(option, 0, int(rect["height"] / 2) - 6).click().perform()
    letter = _letter(option)
    _wait(lambda: _chosen(card) == [letter], 30, f"option {letter} to be selected after a click on it")
    _shot(driver, f"{lesson[:2]}-03-quiz-click")

    # the kernel got the same letter: Check marks it as "your choice"
    card.find_element(By.CSS_SELECTOR, "button").click()
    feedback = _wait(lambda: card.find_elements(By.CSS_SELECTOR, ".labsim-feedback"), 120, "the feedback")[0]
    mine = feedback.find_elements(By.XPATH, ".//li[.//i[contains(., 'your choice')]]")
    assert len(mine) == 1 and mine[0].text.split(")")[0].strip().endswith(letter), [m.text for m in mine]

    # --- the Review link opens the lesson at its section in JupyterLab ------------------------------
    _shot(driver, f"{lesson[:2]}-04-feedback")
    link = feedback.find_element(By.CSS_SELECTOR, "a.labsim-review")
    if not follow_review:
        return
    target = json.loads(link.get_attribute("data-commandlinker-args"))
    assert (jupyter["root"] / target["path"]).is_file(), target
    anchor = target["id"].removeprefix("#")
    assert anchor, target
    # Where the section's heading is, in screens from the top of the notebook's view: many screens away
    # from the quiz, on screen after the click (with course.py's windowingMode "none"; JupyterLab's
    # default estimates the heights of unpainted cells and can leave the heading below the screen).
    screens_away = """
      const app = window.jupyterapp, panel = app.shell.currentWidget;
      if (!panel || !panel.context || panel.context.path !== arguments[0]) return null;
      const name = CSS.escape(arguments[1]);  // JupyterLab 4 names headings with data-jupyter-id
      const heading = panel.node.querySelector('[data-jupyter-id="' + name + '"], [id="' + name + '"]');
      if (!heading) return null;
      const box = heading.getBoundingClientRect(), view = panel.content.node.getBoundingClientRect();
      return (box.top - view.top) / view.height;"""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
    away = driver.execute_script(screens_away, target["path"], anchor)
    assert away is None or abs(away) > 2, f"the section is {away} screens away already"  # None: another notebook
    link.click()
    _wait(lambda: -0.05 <= (driver.execute_script(screens_away, target["path"], anchor) or -9) < 0.9, 60,
          f"the Review link to bring {target['path']}#{anchor} on screen (it was {away} screens away)")
    _shot(driver, f"{lesson[:2]}-05-review-link")


def _chosen(card) -> list[str]:
    from selenium.webdriver.common.by import By

    return [_letter(o) for o in card.find_elements(By.CSS_SELECTOR, ".labsim-option")
            if o.find_element(By.TAG_NAME, "input").is_selected()]


def _letter(option) -> str:
    return next(c.removeprefix("labsim-letter-") for c in option.get_attribute("class").split()
                if c.startswith("labsim-letter-"))


def _check_options_do_not_overlap(driver, cards) -> None:
    rects = driver.execute_script("""
      return arguments[0].map(card => Array.from(card.querySelectorAll('.labsim-option'))
          .map(o => o.getBoundingClientRect().toJSON()));""", cards)
    for options in rects:
        for upper, lower in zip(options, options[1:]):
            assert upper["bottom"] <= lower["top"] + 0.5, f"quiz options overlap: {upper} / {lower}"


def _wrapped_single_option(driver, cards):
    """A single-answer card and one of its options whose text takes more than one line."""
    from selenium.webdriver.common.by import By

    # Narrow the notebook so that some option wraps whatever the lesson's questions are.
    driver.set_window_size(900, 1000)
    time.sleep(0.5)
    for card in cards:
        if "labsim-single" not in card.get_attribute("class"):
            continue
        for option in card.find_elements(By.CSS_SELECTOR, ".labsim-option"):
            lines = driver.execute_script("""
              const label = arguments[0].querySelector('span') || arguments[0];
              const h = parseFloat(getComputedStyle(label).lineHeight) || 16;
              return label.getBoundingClientRect().height / h;""", option)
            if lines >= 1.8:
                return card, option
    raise AssertionError("no single-answer quiz option wraps, even in a narrow window")


def test_a_missing_browser_fails_and_says_how_to_install_it(monkeypatch):
    here = sys.modules[__name__]
    monkeypatch.setattr(here, "CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(pytest.fail.Exception) as failure:
        here._require_browser()
    message = str(failure.value)
    assert "/nonexistent/chromium" in message and "apt-get install" in message and "chromium-driver" in message
