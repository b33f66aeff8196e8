"""The console at `/console` in a real browser: keys made, listed and revoked with an admin key, usage from the
ledger, the server's state from /metrics, and a user key that sees only its own usage."""
import re

import openai
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import by_label, request, wait


def open_console(browser, server, key):
    browser.get(server.url + "/console")
    wait(browser, lambda: browser.execute_script("return document.getElementById('key-dialog').open"))
    by_label(browser, "API key").send_keys(key + Keys.ENTER)
    wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#live [data-metric]"))


def key_row(browser, name):
    for row in browser.find_elements(By.CSS_SELECTOR, "#keys tbody tr"):
        if row.find_element(By.TAG_NAME, "td").text.startswith(name):
            return row
    return None


def usage_rows(browser, name):
    return browser.find_elements(By.CSS_SELECTOR, f"#usage-table tbody tr[data-key-name='{name}']")


def cell(row, field):
    return int(row.find_element(By.CSS_SELECTOR, f"td[data-field={field}]").text.replace(",", ""))


def test_an_admin_creates_a_key_sees_its_usage_and_revokes_it(browser, server):
    open_console(browser, server, server.admin_key)
    assert browser.find_element(By.ID, "keys-section").is_displayed()
    live = browser.find_element(By.CSS_SELECTOR, "#live [data-metric=models-loaded] dd")
    assert live.text == "1"

    by_label(browser, "Name").send_keys("made-in-console")
    by_label(browser, "Requests per minute").send_keys("7")
    by_label(browser, "Token budget").send_keys("100000")
    by_label(browser, "Models").send_keys(server.model)
    by_label(browser, "Expires on").send_keys("12312030")  # typed as the date field takes it: mm dd yyyy
    browser.find_element(By.CSS_SELECTOR, "#create-key button[type=submit]").click()
    secret_box = browser.find_element(By.ID, "new-secret")
    wait(browser, lambda: secret_box.is_displayed())
    secret = browser.find_element(By.ID, "new-secret-value").text
    assert re.fullmatch(r"tern-[A-Za-z0-9]{40}", secret), secret
    row = wait(browser, lambda: key_row(browser, "made-in-console"))
    assert "7 requests/min" in row.text and "100,000 tokens/month" in row.text
    assert server.model in row.text and "2030-12-31" in row.text
    assert row.get_attribute("data-status") == "active"
    assert secret not in browser.find_element(By.ID, "keys").text  # the table shows the prefix only

    client = openai.OpenAI(base_url=server.url + "/v1", api_key=secret, max_retries=0)
    answer = client.chat.completions.create(model=server.model, messages=[{"role": "user", "content": "Hi"}], max_tokens=5)
    browser.find_element(By.ID, "usage-refresh").click()
    rows = wait(browser, lambda: usage_rows(browser, "made-in-console"))
    assert len(rows) == 1
    assert cell(rows[0], "requests") == 1
    assert cell(rows[0], "prompt_tokens") == answer.usage.prompt_tokens
    assert cell(rows[0], "completion_tokens") == answer.usage.completion_tokens
    assert cell(rows[0], "failed_requests") == 0
    # Per month too.
    month = browser.find_element(By.ID, "usage-group")
    month.send_keys("m")
    wait(browser, lambda: usage_rows(browser, "made-in-console") and re.fullmatch(
        r"\d{4}-\d{2}", usage_rows(browser, "made-in-console")[0].find_element(By.TAG_NAME, "td").text))

    key_row(browser, "made-in-console").find_element(By.TAG_NAME, "button").click()
    browser.switch_to.alert.accept()
    wait(browser, lambda: key_row(browser, "made-in-console").get_attribute("data-status") == "revoked")
    assert request(server.url + "/v1/models", secret)[0] == 401


def test_a_user_key_sees_only_its_own_usage(browser, server):
    mine = server.create_key(name="console-user")
    other = server.create_key(name="someone-else")
    for key in (mine, other):
        openai.OpenAI(base_url=server.url + "/v1", api_key=key, max_retries=0).chat.completions.create(
            model=server.model, messages=[{"role": "user", "content": "Hi"}], max_tokens=2)
    open_console(browser, server, mine)
    assert not browser.find_element(By.ID, "keys-section").is_displayed()
    wait(browser, lambda: usage_rows(browser, "console-user"))
    names = {row.get_attribute("data-key-name") for row in browser.find_elements(By.CSS_SELECTOR, "#usage-table tbody tr[data-key-name]")}
    assert names == {"console-user"}
    # And the API behind it agrees: the admin API refuses the key, /usage answers for it alone.
    assert request(server.url + "/admin/usage", mine)[0] == 403
