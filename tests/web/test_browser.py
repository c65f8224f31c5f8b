"""The status page in a real headless Chromium, on the real server with the Kokoro model:
standalone and under an ingress-style path prefix, with a screenshot and a played preview."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import pytest
import yaml
from PIL import Image
from selenium.webdriver.common.by import By

from wyoming_polytts.testing.browser import console_errors, headless_chromium, wait_until
from wyoming_polytts.testing.client import stream_reply
from wyoming_polytts.testing.ingress import PREFIX, ingress_proxy
from wyoming_polytts.testing.launcher import ServerProcess, free_port, start_server

pytestmark = pytest.mark.e2e

PROFILES = {"satellites": {"kitchen": {"voice": "bf_emma", "speed": 1.1}}}
ROW_WITH = """return [...document.querySelectorAll('{table} tr')].some(
    row => {words}.every(word => row.textContent.includes(word)))"""


@pytest.fixture(name="web_server", scope="module")
def web_server_fixture(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerProcess, str]]:
    """The server with a kitchen profile and its web side on a port of its own."""
    folder = tmp_path_factory.mktemp("web")
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump(PROFILES))
    port = free_port()
    server = start_server(folder, "--config", str(config), "--web", f"127.0.0.1:{port}")
    try:
        yield server, f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def row_with(table: str, *words: str) -> str:
    return ROW_WITH.format(table=table, words=list(words))


def assert_not_blank(png: bytes, folder: Path) -> None:
    (folder / "page.png").write_bytes(png)  # kept with the test's files for a look
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.width == 1280  # the window; its height less the browser's own bars
    colors = image.getcolors(maxcolors=image.width * image.height)
    assert colors is not None
    most = max(count for count, _ in colors)
    # Text, badges and cards: many colours, and no single one covers the page
    assert len(colors) > 100
    assert most < 0.9 * image.width * image.height


@pytest.mark.parametrize("through_ingress", [False, True], ids=["standalone", "ingress"])
def test_the_page_shows_the_server_and_plays_a_preview(
    web_server: tuple[ServerProcess, str], through_ingress: bool, tmp_path: Path
) -> None:
    server, url = web_server
    reply = asyncio.run(
        stream_reply(
            server.host, server.port, "Good morning. The coffee is ready.", voice="kitchen"
        )
    )
    assert reply.error is None
    with (
        ingress_proxy(url) if through_ingress else nullcontext(f"{url}/") as page,
        headless_chromium() as browser,
    ):
        browser.get(page)
        assert browser.current_url.startswith(page)
        wait_until(browser, row_with("#engines", "kokoro", "ready", "cpu"), timeout=60)
        wait_until(browser, row_with("#recent", "kitchen", "bf_emma", "ok"))
        wait_until(browser, row_with("#satellites", "kitchen", "bf_emma, 1.1x"))
        wait_until(browser, "return document.querySelectorAll('#voices option').length > 50")
        assert_not_blank(browser.get_screenshot_as_png(), tmp_path)

        browser.find_element(By.ID, "voice").send_keys("kitchen")
        text = browser.find_element(By.ID, "text")
        text.clear()
        text.send_keys("This preview plays in the browser.")
        browser.find_element(By.ID, "speak").click()
        # It plays as it comes (Web Audio), then the whole file is the audio element's
        duration = wait_until(
            browser,
            "const audio = document.querySelector('#preview-audio');"
            "return audio.readyState >= 1 && audio.duration",
            timeout=120,
        )
        assert 1.0 < duration < 10.0
        result = browser.find_element(By.ID, "preview-result").text
        assert "s of audio, first sound after" in result
        assert browser.execute_script("return playing.state") == "running"
        wait_until(browser, f"return playing.currentTime > {duration}")  # played to the end
        browser.execute_script("document.querySelector('#preview-audio').play()")
        wait_until(browser, "return document.querySelector('#preview-audio').currentTime > 0")
        wait_until(browser, row_with("#recent", "web-preview", "bf_emma", "ok"))
        base = browser.execute_script("return document.baseURI")
        assert base == (page if not through_ingress else page.replace(page.split(PREFIX)[1], "/"))
        assert console_errors(browser) == []
