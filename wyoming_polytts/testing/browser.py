"""A real headless Chromium for the status page's tests and measurements.

Debian's `chromium` and `chromium-driver` (scripts/setup --dev installs them), driven by
selenium with the driver's path given, so nothing is downloaded. Started with a fresh
profile and without any of Chromium's own network traffic: it reaches only the pages it
is sent to.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1000",
)


@contextmanager
def headless_chromium() -> Iterator[webdriver.Chrome]:
    """Chromium under chromedriver with a profile of its own, removed afterwards."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        raise RuntimeError("chromium and chromium-driver are missing: run scripts/setup --dev")
    with tempfile.TemporaryDirectory(prefix="polytts-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in (*FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        browser = webdriver.Chrome(service=Service(driver), options=options)
        try:
            yield browser
        finally:
            browser.quit()


def console_errors(browser: webdriver.Chrome) -> list[str]:
    """The page's console errors so far (a script that failed, a blocked request)."""
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def wait_until(browser: WebDriver, script: str, timeout: float = 30.0) -> Any:
    """Run `script` (a JavaScript function body) until it returns something truthy; return it."""
    check: Callable[[WebDriver], Any] = lambda driver: driver.execute_script(script)  # noqa: E731
    return WebDriverWait(browser, timeout, poll_frequency=0.1).until(check)
