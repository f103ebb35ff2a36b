"""The course as a learner meets it: `jupyter lab notebooks/` in a real browser.

The test starts JupyterLab on 127.0.0.1 with a token, the README's way, on a
copy of the notebooks; opens each lesson in headless Chromium (the system's
browser, driven by Selenium); runs its setup and data-loading cells through the
user interface with Shift+Enter; checks that they finish with no error output;
and saves a screenshot per lesson (``$RECSYS_COURSE_ARTIFACTS``, default
``artifacts/browser/``). Without Chromium, chromedriver, Selenium or
JupyterLab it is skipped - unless ``RECSYS_COURSE_BROWSER=1`` (CI sets it),
which turns a missing piece into a failure. The copy's outputs are cleared first,
so a cell counts as run only once the browser has run it.

It also opens the course's static site (``python scripts/build_site.py`` builds it into
``site/_build/html``; CI builds it after the other tests, then runs this test alone) from its files:
each lesson's page has the lesson's title, shows every figure the committed notebook holds, and its
links to other lessons and to the claims ledger lead to pages that exist. Without a built site the
test is skipped, or fails when ``RECSYS_COURSE_BROWSER=1``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REQUIRED = os.environ.get("RECSYS_COURSE_BROWSER", "") in {"1", "true", "yes"}
LAB_SETTINGS = {  # a quiet, read-only session: no autosave, no news or update prompts
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}


SITE = ROOT / "site" / "_build" / "html"
SMART_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def _missing(modules: tuple[str, ...] = ("selenium", "jupyterlab")) -> list[str]:
    missing = [tool for tool in ("chromium", "chromedriver") if shutil.which(tool) is None]
    for module in modules:
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    return missing


def first_cells(notebook: Path) -> int:
    """How many cells, from the top, are the setup and data loading: up to the cell that loads MovieLens,
    or the first two code cells (setup, imports) in a lesson that loads none."""
    cells = json.loads(notebook.read_text())["cells"]
    code = [i for i, c in enumerate(cells) if c["cell_type"] == "code"]
    loads = [i for i in code if re.search(r"=\s*load_movielens\(", "".join(cells[i]["source"]))]
    return (loads[0] if loads else code[1]) + 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A running `jupyter lab notebooks/` on a copy of the notebooks: yields its base URL and token."""
    missing = _missing()
    if missing:
        message = (
            f"the browser test needs {', '.join(missing)} (Debian: apt-get install chromium chromium-driver)"
        )
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    work = tmp_path_factory.mktemp("lab")
    shutil.copytree(
        ROOT / "notebooks", work / "notebooks", ignore=shutil.ignore_patterns("*.py", ".ipynb_checkpoints")
    )
    for path in (work / "notebooks").glob("*.ipynb"):  # outputs cleared, so that a run shows as a run
        book = json.loads(path.read_text())
        for cell in book["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"], cell["execution_count"] = [], None
        path.write_text(json.dumps(book))
    for name, values in LAB_SETTINGS.items():
        path = work / "settings" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(work / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(work / "workspaces"),
        "RECSYS_COURSE_QUIET": "1",
    }
    log = open(work / "lab.log", "w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "notebooks/",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        ],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{base}/api/contents?token={token}", timeout=2) as reply:
                    listing = json.load(reply)
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"jupyter lab exited: {(work / 'lab.log').read_text()[-2000:]}")
                time.sleep(0.5)
        else:
            raise RuntimeError("jupyter lab did not answer within 60 s")
        yield {"base": base, "token": token, "listing": [item["name"] for item in listing["content"]]}
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _shut_down_kernels(lab) -> None:
    """Close every session (and its kernel) the lesson opened, so that each lesson starts alone."""
    with urllib.request.urlopen(f"{lab['base']}/api/sessions?token={lab['token']}", timeout=10) as reply:
        sessions = json.load(reply)
    for session in sessions:
        request = urllib.request.Request(
            f"{lab['base']}/api/sessions/{session['id']}?token={lab['token']}", method="DELETE"
        )
        urllib.request.urlopen(request, timeout=30).close()


def _chromium():
    """The system's Chromium, headless, driven by Selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium must not try to download a browser
    options = Options()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def _artifacts() -> Path:
    artifacts = Path(os.environ.get("RECSYS_COURSE_ARTIFACTS", ROOT / "artifacts" / "browser"))
    artifacts.mkdir(parents=True, exist_ok=True)
    return artifacts


@pytest.fixture
def browser(lab):
    """A fresh headless Chromium per lesson; the lesson's kernels are shut down after it."""
    driver = _chromium()
    yield driver
    driver.quit()
    _shut_down_kernels(lab)


def test_jupyter_lab_notebooks_serves_every_lesson(lab):
    """`jupyter lab notebooks/`, the README's first command, serves the lessons at the root of its tree."""
    assert sorted(n for n in lab["listing"] if n.endswith(".ipynb")) == [p.name for p in NOTEBOOKS]
    assert "jupyter lab notebooks/" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_setup_and_data_cells_run_in_the_browser(lab, browser, notebook):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{lab['base']}/lab/tree/{notebook.name}?reset&token={lab['token']}")  # reset: no other tabs
    wait = WebDriverWait(browser, 120, poll_frequency=0.5)
    idle = "//*[contains(@class, 'jp-StatusBar')]//*[contains(text(), 'Idle')]"
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell"))
    wait.until(lambda d: d.find_elements(By.XPATH, idle))  # the kernel has started
    panel = browser.find_element(By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden)")
    cells = panel.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")
    n = first_cells(notebook)
    code = [c for c in cells[:n] if "jp-CodeCell" in c.get_attribute("class")]

    def accept_dialogs() -> None:
        """JupyterLab may ask which kernel to start for a second notebook: keep the notebook's own (Python 3)."""
        for button in browser.find_elements(By.CSS_SELECTOR, ".jp-Dialog .jp-Dialog-button.jp-mod-accept"):
            button.click()

    def prompt(cell) -> str:
        # textContent, not .text: a cell scrolled out of view has no rendered text
        return cell.find_element(By.CSS_SELECTOR, ".jp-InputArea-prompt").get_attribute("textContent").strip()

    for _ in range(5):  # a freshly opened notebook may take its keyboard shortcuts a moment later
        accept_dialogs()
        wait.until(lambda d: d.find_elements(By.XPATH, idle))
        time.sleep(5)  # keys sent before the session has its kernel make JupyterLab ask for one
        # a notebook opens with its first cell active: give the notebook the keyboard focus, in command mode
        browser.execute_script(
            "document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook').focus()"
        )
        keys = ActionChains(browser).send_keys(Keys.ESCAPE)
        for _ in range(n):
            keys = keys.key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT)
        keys.perform()
        try:
            WebDriverWait(browser, 15, 0.5).until(lambda _: prompt(code[0]) != "[ ]:")
            break
        except TimeoutException:
            continue

    def outputs() -> list[str]:
        return [
            o.get_attribute("textContent")
            for c in code
            for o in c.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output")
        ]

    def failed(texts) -> list[str]:
        return [text for text in texts if "Traceback" in text or re.search(r"^\w*Error\b", text, re.M)]

    def finished(_):
        accept_dialogs()
        ran = all(re.fullmatch(r"\[\d+\]:", prompt(c)) for c in code) and browser.find_elements(
            By.XPATH, idle
        )
        return ran or failed(outputs())  # an error stops the queued cells: no use waiting for them

    artifacts = _artifacts()
    try:
        WebDriverWait(browser, float(os.environ.get("RECSYS_COURSE_BROWSER_TIMEOUT", 600)), 1).until(finished)
    except TimeoutException:
        pytest.fail(
            f"{notebook.name}: the first {len(code)} code cells did not all run; their prompts: "
            f"{[prompt(c) for c in code]}; kernel idle: {bool(browser.find_elements(By.XPATH, idle))}"
        )
    finally:
        browser.save_screenshot(str(artifacts / f"{notebook.stem}.png"))
    shown = outputs()
    errors = failed(shown)
    assert not errors, f"{notebook.name}: error output in the browser: {errors[0][:1500]}"
    assert any(shown), f"{notebook.name}: the first cells printed nothing"


@pytest.fixture(scope="module")
def site_browser():
    """A headless Chromium for the built site, which it reads from its files: no server."""
    missing = _missing(("selenium",))
    if not (SITE / "index.html").is_file():
        missing.append("the built site (run `python scripts/build_site.py`, which needs the site extra)")
    if missing:
        message = f"the site's browser test needs {', '.join(missing)}"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    driver = _chromium()
    yield driver
    driver.quit()


def _file(url: str) -> Path:
    return Path(urllib.parse.unquote(urllib.parse.urlparse(url).path))


def test_the_site_shows_each_lesson_with_its_figures_and_working_links(site_browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    for notebook in NOTEBOOKS:
        cells = json.loads(notebook.read_text())["cells"]
        heading = next(
            line[2:].strip()
            for c in cells
            if c["cell_type"] == "markdown"
            for line in "".join(c["source"]).splitlines()
            if line.startswith("# ")
        )
        figures = sum("image/png" in o.get("data", {}) for c in cells for o in c.get("outputs", []))
        page = SITE / "notebooks" / f"{notebook.stem}.html"
        site_browser.get(page.as_uri())
        WebDriverWait(site_browser, 30, 0.2).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )
        title = site_browser.title.translate(SMART_QUOTES)  # Sphinx writes the article's as the article’s
        assert title.startswith(heading), f"{page.name}: title {site_browser.title!r}"

        images = site_browser.find_elements(By.CSS_SELECTOR, "article img[src$='.png']")
        assert len(images) >= figures > 0, f"{page.name}: {len(images)} images for {figures} figures"
        unloaded = [
            image.get_attribute("src")
            for image in images
            if not site_browser.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth", image
            )
        ]
        assert not unloaded, f"{page.name}: figures that did not load: {unloaded}"
        site_browser.execute_script("arguments[0].scrollIntoView()", images[0])
        site_browser.save_screenshot(str(_artifacts() / f"site_{notebook.stem}.png"))  # its first figure

        links = [
            a.get_attribute("href") for a in site_browser.find_elements(By.CSS_SELECTOR, "article a[href]")
        ]
        local = [url for url in links if url.startswith("file:") and _file(url) != page]
        for url in local:  # every link of the lesson's text to a page of the site leads to one, at its anchor
            assert _file(url).is_file(), f"{page.name} links to {url}, which does not exist"
            anchor = urllib.parse.urlparse(url).fragment
            assert not anchor or f'id="{anchor}"' in _file(url).read_text(), (
                f"{page.name}: {url}: no {anchor}"
            )
        if notebook != NOTEBOOKS[0]:  # lessons 02 to 06 point at lesson 01's verdict rule
            assert any(_file(url) == SITE / "notebooks" / f"{NOTEBOOKS[0].stem}.html" for url in local), (
                f"{page.name}: no link to lesson 01"
            )
        if "../CLAIMS.md" in "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown"):
            assert SITE / "CLAIMS.html" in [_file(url) for url in local], f"{page.name}: no link to CLAIMS"

    # a lesson's link, followed in the browser, opens the other lesson at the section it names
    site_browser.get((SITE / "notebooks" / f"{NOTEBOOKS[1].stem}.html").as_uri())
    link = site_browser.find_element(By.CSS_SELECTOR, f"article a[href*='{NOTEBOOKS[0].stem}.html#']")
    target = link.get_attribute("href")
    site_browser.get(target)
    assert site_browser.title.startswith("Lesson 01"), site_browser.title
    fragment = urllib.parse.urlparse(target).fragment
    assert site_browser.execute_script("return document.getElementById(arguments[0]) !== null", fragment)
