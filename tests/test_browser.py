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


def _missing() -> list[str]:
    missing = [tool for tool in ("chromium", "chromedriver") if shutil.which(tool) is None]
    for module in ("selenium", "jupyterlab"):
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


@pytest.fixture
def browser(lab):
    """A fresh headless Chromium per lesson; the lesson's kernels are shut down after it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium must not try to download a browser
    options = Options()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
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

    artifacts = Path(os.environ.get("RECSYS_COURSE_ARTIFACTS", ROOT / "artifacts" / "browser"))
    artifacts.mkdir(parents=True, exist_ok=True)
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
