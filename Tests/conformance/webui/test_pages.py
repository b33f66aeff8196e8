"""What the pages are served with (a strict Content-Security-Policy, no inline code), `--no-ui`, and the pages in
light and dark colour schemes and on a phone-sized screen. With TERN_UI_SCREENSHOTS=DIR it also writes the
screenshots of docs/images there."""
import http.client
import os
import re
import threading

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import Server, assert_no_policy_violations, by_label, make_browser, request, wait

PAGES = ["/", "/console"]
FILES = ["/ui/tern.css", "/ui/common.js", "/ui/markdown.js", "/ui/chat.js", "/ui/console.js", "/ui/icon.svg"]


def test_every_file_is_served_with_a_strict_policy_and_no_inline_code(server):
    for path in PAGES + FILES:
        status, headers, body = request(server.url + path)
        assert status == 200, path
        policy = headers["content-security-policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["default-src"] == "'none'"
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
        assert directives["connect-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
        assert "unsafe" not in policy and "http" not in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        text = body.decode()
        # Nothing from another origin, nothing inline for the policy to forbid.
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), path
        assert " style=" not in text and "onclick=" not in text, path
        if path in PAGES:
            assert headers["content-type"] == "text/html; charset=utf-8"
            assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", text)), path
        # A browser's copy is revalidated, and 304 when it is current.
        assert request(server.url + path, headers={"If-None-Match": headers["etag"]})[0] == 304
    assert request(server.url + "/ui/missing.js")[0] == 404
    # The pages need no key; everything they show does.
    assert request(server.url + "/v1/models")[0] == 401
    assert request(server.url + "/usage")[0] == 401


def test_no_ui_serves_the_api_alone():
    server = Server("--no-ui")
    try:
        for path in PAGES + FILES:
            assert request(server.url + path)[0] == 404, path
        assert request(server.url + "/v1/models", server.admin_key)[0] == 200
    finally:
        server.stop()


def luminance(color):
    channels = [float(part) / 255 for part in re.findall(r"[\d.]+", color)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground, background):
    lighter, darker = sorted([luminance(foreground), luminance(background)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def colors(browser, selector):
    return browser.execute_script(
        """
        const node = document.querySelector(arguments[0]);
        let back = node, background = 'rgba(0, 0, 0, 0)';
        while (back && /rgba\\(.*, 0\\)$/.test(background)) { background = getComputedStyle(back).backgroundColor; back = back.parentElement; }
        return [getComputedStyle(node).color, background];
        """,
        selector,
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_pages_are_readable_in_both_colour_schemes_and_on_a_phone(tmp_path, server, scheme):
    screenshots = os.environ.get("TERN_UI_SCREENSHOTS")
    for width, height, name in [(1280, 860, "desktop"), (390, 844, "phone")]:
        browser = make_browser(str(tmp_path), width, height)
        try:
            browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
            browser.get(server.url + "/")
            by_label(browser, "API key").send_keys(server.admin_key + Keys.ENTER)
            wait(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "#model option")) > 0)
            by_label(browser, "Message").send_keys("Write a haiku about the sea, then show it in a Python string." + Keys.ENTER)
            wait(browser, lambda: "tokens/s" in (browser.find_elements(By.CSS_SELECTOR, "article[data-role=assistant] .stats") or [None])[0].text
                 if browser.find_elements(By.CSS_SELECTOR, "article[data-role=assistant] .stats") else False, timeout=120)
            dark = browser.execute_script("return matchMedia('(prefers-color-scheme: dark)').matches")
            assert dark == (scheme == "dark")
            for selector in ["body", "article[data-role=user] .content", "article[data-role=assistant] .content", "#send", ".stats"]:
                foreground, background = colors(browser, selector)
                assert contrast(foreground, background) >= 4.5, (scheme, selector, foreground, background)
            assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"), (name, "chat")
            assert browser.find_element(By.ID, "send").is_displayed() and by_label(browser, "Message").is_displayed()
            if screenshots and name == "desktop":
                browser.save_screenshot(os.path.join(screenshots, f"chat-{scheme}.png"))
            browser.get(server.url + "/console")
            wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#usage-table tbody tr"))
            for selector in ["body", "#live dd", "#usage-table td", "#live dt"]:
                foreground, background = colors(browser, selector)
                assert contrast(foreground, background) >= 4.5, (scheme, selector, foreground, background)
            assert browser.execute_script("return document.body.scrollWidth <= window.innerWidth + 1"), (name, "console")
            if screenshots and name == "desktop":
                browser.set_window_size(1280, 1500)
                browser.save_screenshot(os.path.join(screenshots, f"console-{scheme}.png"))
            assert_no_policy_violations(browser)
        finally:
            browser.quit()


def test_without_keys_the_pages_ask_for_none(browser):
    server = Server("--no-auth")
    try:
        browser.get(server.url + "/")
        wait(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "#model option")) > 0)
        assert not browser.execute_script("return document.getElementById('key-dialog').open")
        by_label(browser, "Message").send_keys("Say hi." + Keys.ENTER)
        wait(browser, lambda: "tokens/s" in (browser.find_elements(By.CSS_SELECTOR, "article[data-role=assistant] .stats") or [None])[0].text
             if browser.find_elements(By.CSS_SELECTOR, "article[data-role=assistant] .stats") else False, timeout=120)
        browser.get(server.url + "/console")
        wait(browser, lambda: browser.find_element(By.ID, "who").text == "This server runs without keys")
        assert not browser.find_element(By.ID, "keys-section").is_displayed()
        assert not browser.find_element(By.ID, "usage-section").is_displayed()
        wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#live [data-metric=finished] dd"))
        assert browser.find_element(By.CSS_SELECTOR, "#live [data-metric=finished] dd").text == "1"
    finally:
        server.stop()


def test_a_busy_server_is_said_to_be_busy(browser):
    # One sequence and no queue: while one answer is generated, the next request is refused with 503.
    server = Server("--max-sequences", "1", "--max-queue", "0", "--grace-period", "1")
    try:
        def occupy():
            try:
                request(server.url + "/v1/chat/completions", server.admin_key, "POST", {
                    "model": server.model, "messages": [{"role": "user", "content": "Write a long story."}], "max_tokens": 1500,
                    # The model's end tokens banned: it writes all 1500 tokens, seconds of work.
                    "temperature": 0.8, "logit_bias": {"0": -100, "2": -100}})
            except (OSError, http.client.HTTPException):
                pass  # cut off when the test stops the server: it only had to keep the server busy

        busy = threading.Thread(target=occupy)
        busy.start()
        wait(browser, lambda: server.metric("tern_requests_running") == 1, timeout=30)
        browser.get(server.url + "/")
        by_label(browser, "API key").send_keys(server.admin_key + Keys.ENTER)
        wait(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "#model option")) > 0)
        by_label(browser, "Message").send_keys("Hello?" + Keys.ENTER)
        alert = browser.find_element(By.ID, "error")
        wait(browser, lambda: alert.is_displayed())
        assert "busy or still loading" in alert.text, alert.text
        assert by_label(browser, "Message").get_attribute("value") == "Hello?"
    finally:
        server.stop()
        busy.join(timeout=60)
