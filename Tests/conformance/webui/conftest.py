"""A `tern serve` of its own for the web UI suite, and headless Chromium (Debian's `chromium` and `chromium-driver`)
driven by selenium: a fresh browser profile per test, its console checked for Content-Security-Policy violations."""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BIN = os.environ.get("TERN_BIN", "")
MODEL = os.environ.get("TERN_TEST_MODEL", "")
CHROMIUM = os.environ.get("TERN_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TERN_CHROMEDRIVER", shutil.which("chromedriver") or "/usr/bin/chromedriver")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url, key=None, method="GET", body=None, headers=None):
    """(status, headers, body bytes) of one HTTP request; errors are answers too."""
    all_headers = dict(headers or {})
    if key:
        all_headers["Authorization"] = f"Bearer {key}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=all_headers, method=method), timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class Server:
    """`tern serve` on a free port with a data folder of its own and an admin key made the operator's way."""

    def __init__(self, *args):
        self.data = tempfile.mkdtemp(prefix="tern-webui-")
        environment = {**os.environ, "TERN_DATA_DIR": self.data}
        self.admin_key = subprocess.run(
            [BIN, "keys", "create", "--name", "webui-admin", "--admin"], env=environment, check=True, capture_output=True, text=True
        ).stdout.strip()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            [BIN, "serve", "--model", MODEL, "--host", "127.0.0.1", "--port", str(self.port), "--threads", "1", "--ctx", "2048", *args],
            env=environment, stdout=self.output, stderr=subprocess.STDOUT, text=True,
        )
        for _ in range(600):
            assert self.process.poll() is None, f"tern serve exited: {self.text()}"
            try:
                if request(self.url + "/health")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise AssertionError(f"tern serve never became ready: {self.text()}")
        self.model = os.path.basename(MODEL).removesuffix(".gguf")

    def text(self) -> str:
        self.output.seek(0)
        return self.output.read()

    def create_key(self, **fields) -> str:
        status, _, body = request(self.url + "/admin/keys", self.admin_key, "POST", fields)
        assert status == 201, body
        return json.loads(body)["key"]

    def metric(self, name, labels="") -> float:
        """The sum of the series `name` (with `labels` in its label set) on /metrics."""
        status, _, body = request(self.url + "/metrics", self.admin_key)
        assert status == 200
        total = 0.0
        for line in body.decode().splitlines():
            match = re.match(r"^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$", line)
            if match and match.group(1) == name and labels in (match.group(2) or ""):
                total += float(match.group(3))
        return total

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        shutil.rmtree(self.data, ignore_errors=True)


@pytest.fixture(scope="session")
def server():
    if not BIN or not MODEL:
        pytest.fail("TERN_BIN and TERN_TEST_MODEL must be set: run Tests/conformance/run.sh")
    started = Server()
    yield started
    started.stop()


def make_browser(downloads, width=1280, height=900):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}", "--lang=en-US"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    return driver


@pytest.fixture
def browser(tmp_path):
    """A fresh Chromium; after the test, its console must show no Content-Security-Policy violation."""
    if not os.path.exists(CHROMIUM) or not os.path.exists(CHROMEDRIVER):
        pytest.fail("Chromium and its driver are needed: apt-get install chromium chromium-driver")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = make_browser(str(downloads))
    driver.downloads = downloads
    try:
        yield driver
        assert_no_policy_violations(driver)
    finally:
        driver.quit()


def assert_no_policy_violations(driver):
    """Chromium's console holds no Content-Security-Policy violation: nothing the pages do needs an exception."""
    violations = [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]
    assert violations == []


def wait(driver, condition, timeout=60, message=""):
    """`condition()` once it is truthy; the page re-renders as it goes, so a node found a moment ago may be gone."""
    ignored = (StaleElementReferenceException, NoSuchElementException)
    return WebDriverWait(driver, timeout, poll_frequency=0.05, ignored_exceptions=ignored).until(lambda _: condition(), message)


def by_label(driver, text):
    """The control labelled `text` (its <label for=…>, or the label around it): how a person finds it."""
    for label in driver.find_elements(By.TAG_NAME, "label"):
        if label.text.strip().startswith(text) or label.get_attribute("textContent").strip().startswith(text):
            target = label.get_attribute("for")
            if target:
                return driver.find_element(By.ID, target)
            return label.find_element(By.CSS_SELECTOR, "input, select, textarea")
    raise AssertionError(f"no control labelled {text!r}")
