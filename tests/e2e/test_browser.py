"""The chat page in a real browser: `qa chat` on 127.0.0.1 with a fresh QA_HOME, driven by headless Chromium.

A new user's path: ask, see the cited answer stream in, click [1] to see the passage, open another session, upload
an article in the Library tab and ask about it. Screenshots land in a temporary folder, and in $QA_SCREENSHOTS
when set (that is how docs/screenshots/ is made). Needs Debian's chromium and chromium-driver (.ci/run installs them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import ARTICLE_TRAINS, SEED_002, SEEDS_DIR, free_port, stop_process

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
QUESTION = "Which Syrian airbase did the US strike with missiles before Tillerson's visit?"
TITLE = "Moscow hopes for constructive talks with US Secretary of State"
STARTUP_TIMEOUT_S = 120
ANSWER_TIMEOUT_S = 60
SCREENSHOTS_ENV = os.environ.get("QA_SCREENSHOTS")  # read at import: the suite's fixtures clear QA_* variables


_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy


def _status(url: str) -> int:
    try:
        with _LOCAL.open(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`qa chat` on a free loopback port with its own QA_HOME; the first question indexes the seeds."""
    root = tmp_path_factory.mktemp("chat")
    home = root / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QA_", "GRADIO_"))}
    env.update(QA_HOME=str(home), QA_AUTO_SEED="true", GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1",
               NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    port = free_port()
    log = (root / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "chat", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while _status(url + "/") != 200:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"qa chat did not start:\n{(root / 'server.log').read_text()[-3000:]}")
        time.sleep(0.5)
    yield url, home
    stop_process(process)
    log.close()
    output = (root / "server.log").read_text()
    assert f"qa chat: open {url}/" in output and "share=True" not in output and "Traceback" not in output


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("screenshots")
    extra = Path(SCREENSHOTS_ENV).resolve() if SCREENSHOTS_ENV else None

    def save(driver: Any, name: str) -> Path:
        path = folder / f"{name}.png"
        driver.save_screenshot(str(path))
        if extra is not None:
            extra.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, extra / path.name)
        return path

    yield save


@pytest.fixture(scope="module")
def browser(server: tuple[str, Path]) -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("headless Chromium is missing: apt-get install -y chromium chromium-driver (.ci/run does this)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # with the driver's path given too, Selenium Manager never runs
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1440,960",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    url = server[0]
    driver.execute_cdp_cmd("Browser.grantPermissions",
                           {"origin": url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    driver.get(url + "/")
    yield driver
    driver.quit()


def _wait(driver: Any, condition: Any, timeout: float = ANSWER_TIMEOUT_S) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(condition)


def _ask(driver: Any, question: str) -> str:
    """Type a question, press Enter, and return the answer's text once its sources are in the panel."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    asked = len(driver.find_elements(By.CSS_SELECTOR, "#qa-chat [data-testid='user']"))
    box = _wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#qa-question textarea"))
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    _wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, f"#qa-turn-{asked + 1}")) == 1)
    return str(driver.find_elements(By.CSS_SELECTOR, "#qa-chat [data-testid='bot']")[-1].text)


def test_question_gets_a_streamed_answer_citing_its_article(browser: Any) -> None:
    from selenium.webdriver.common.by import By

    _wait(browser, lambda d: "Which Syrian airbase" in d.find_element(By.ID, "qa-chat").text)  # example questions
    started = time.monotonic()
    answer = _ask(browser, QUESTION)
    seconds = time.monotonic() - started
    assert "Shayrat" in answer and "[1]" in answer
    assert seconds < ANSWER_TIMEOUT_S
    assert TITLE in browser.find_element(By.ID, "qa-sources-panel").text
    badge = browser.find_element(By.CSS_SELECTOR, "#qa-chat a.qa-cite")
    assert badge.text == "[1]" and badge.get_attribute("href").endswith("#qa-src-1-1")


def test_clicking_a_citation_brings_its_passage_into_view(browser: Any, screenshots: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.find_element(By.CSS_SELECTOR, "#qa-chat a.qa-cite").click()
    source = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#qa-src-1-1.qa-focus"), timeout=10)
    assert source.is_displayed()
    span = source.find_element(By.CSS_SELECTOR, "mark.qa-span")
    assert "Shayrat" in span.text and span.is_displayed()
    assert SEED_002 in source.text and "TASS" in source.text
    in_view = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight;", span)
    assert in_view
    assert "#" not in browser.current_url  # the page scrolled; it did not navigate
    screenshots(browser, "chat")


def test_copy_puts_the_conversation_with_sources_on_the_clipboard(browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.find_element(By.ID, "qa-copy").click()
    copied = ""
    for _ in range(25):
        copied = browser.execute_async_script(
            "navigator.clipboard.readText().then(arguments[0]).catch(() => arguments[0](''))")
        if copied:
            break
        time.sleep(0.2)
    assert copied.startswith("# qa conversation") and f"## {QUESTION}" in copied
    assert "Sources:" in copied and f"[1] **{TITLE}**" in copied


def test_another_session_keeps_its_own_conversation(browser: Any, server: tuple[str, Path]) -> None:
    from selenium.webdriver.common.by import By

    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    try:
        browser.get(server[0] + "/")
        answer = _ask(browser, "On which dates was John Kerry's working visit to Moscow in July?")
        assert "July 14-15" in answer
        chat = browser.find_element(By.ID, "qa-chat").text
        assert "Shayrat" not in chat and "Tillerson" not in chat
    finally:
        browser.close()
        browser.switch_to.window(first)
    chat = browser.find_element(By.ID, "qa-chat").text
    assert "Shayrat" in chat and "John Kerry's working visit" not in chat


def test_upload_in_library_lists_the_article_and_chat_can_cite_it(
    browser: Any, screenshots: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    browser.find_element(By.XPATH, "//button[@role='tab' and contains(., 'Library')]").click()
    _wait(browser, lambda d: "5 articles" in d.find_element(By.ID, "qa-library-summary").text, timeout=30)
    article = tmp_path / "night trains.txt"
    article.write_text(ARTICLE_TRAINS, encoding="utf-8")
    browser.find_element(By.CSS_SELECTOR, "#qa-upload input[type=file]").send_keys(str(article))
    results = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#qa-upload-results tr.qa-result-added"))
    assert "night trains.txt" in results.text
    _wait(browser, lambda d: "Night trains return between Vienna and Paris" in d.find_element(By.ID, "qa-articles").text)
    _wait(browser, lambda d: "6 articles" in d.find_element(By.ID, "qa-library-summary").text, timeout=10)
    screenshots(browser, "library")

    browser.find_element(By.XPATH, "//button[@role='tab' and contains(., 'Chat')]").click()
    browser.find_element(By.ID, "qa-clear").click()  # a new topic: start a new conversation
    _wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "#qa-chat [data-testid='user']"), timeout=10)
    assert "qa-empty" in browser.find_element(By.CSS_SELECTOR, "#qa-sources-panel .qa-sources").get_attribute("class")
    answer = _ask(browser, "What did the Austrian railway company restart?")
    assert "overnight service between Vienna and Paris" in answer
    assert "night trains.txt" in browser.find_element(By.ID, "qa-turn-1").text


def test_only_the_apps_own_files_are_served(server: tuple[str, Path]) -> None:
    url, home = server
    uploaded = home / "uploads" / "night trains.txt"
    for path in (Path("/etc/passwd"), SEEDS_DIR / SEED_002, home / "chroma" / "chroma.sqlite3", uploaded):
        assert _status(f"{url}/gradio_api/file={urllib.parse.quote(str(path))}") in (403, 404), path
    # Gradio's uploads and exports stay in QA_HOME/ui-tmp; nothing lands in the working directory
    assert {p.name.split(".")[0] for p in home.iterdir()} <= {"chroma", "lexical", "ui-tmp", "uploads", "vectors"}
    assert {p.name for p in home.parent.iterdir()} == {"home", "server.log"}


def test_the_page_fetched_nothing_beyond_the_server(browser: Any, server: tuple[str, Path]) -> None:
    requests = [
        json.loads(entry["message"])["message"]["params"]["request"]["url"]
        for entry in browser.get_log("performance")
        if json.loads(entry["message"])["message"]["method"] == "Network.requestWillBeSent"
    ]
    assert requests
    assert [u for u in requests if not u.startswith((server[0], "data:", "blob:"))] == []
