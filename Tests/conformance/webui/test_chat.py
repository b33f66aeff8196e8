"""The chat page at `/` in a real browser: a key asked once, a streamed answer, Stop that cancels on the server,
conversations kept across a reload, renamed, exported and deleted, errors said plainly."""
import json
import os
import re
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import Server, by_label, request, wait


def enter_key(browser, key):
    wait(browser, lambda: browser.execute_script("return document.getElementById('key-dialog').open"))
    field = by_label(browser, "API key")
    field.clear()
    field.send_keys(key + Keys.ENTER)


def open_chat(browser, server, key, temperature="0", max_tokens="40"):
    browser.get(server.url + "/")
    enter_key(browser, key)
    wait(browser, lambda: not browser.execute_script("return document.getElementById('key-dialog').open"))
    wait(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "#model option")) > 0)
    browser.find_element(By.CSS_SELECTOR, "#settings summary").click()
    for label, value in [("Temperature", temperature), ("Max tokens", max_tokens)]:
        field = by_label(browser, label)
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(value)


def answers(browser):
    return browser.find_elements(By.CSS_SELECTOR, "article[data-role=assistant]")


def finished_stats(browser, count):
    """The stats line of answer number `count`, once it is written."""
    def done():
        found = answers(browser)
        if len(found) < count:
            return None
        text = found[count - 1].find_element(By.CSS_SELECTOR, ".stats").text
        return text if text and "Writing" not in text else None

    return wait(browser, done, timeout=120, message="the answer never finished")


def record_answer_lengths(browser):
    """From now on, every length the last answer's text takes is pushed to window.lengths as the DOM changes."""
    browser.execute_script(
        """
        window.lengths = [];
        new MutationObserver(() => {
          const all = document.querySelectorAll('article[data-role=assistant] .content');
          if (all.length) window.lengths.push(all[all.length - 1].textContent.length);
        }).observe(document.getElementById('messages'), {childList: true, subtree: true, characterData: true});
        """
    )


def stats_numbers(text):
    tokens = int(re.search(r"(\d+) tokens\b", text).group(1))
    cached = int(re.search(r"(\d+) cached", text).group(1))
    return tokens, cached


def test_a_wrong_key_is_refused_in_the_dialog_and_a_good_one_lists_the_models(browser, server):
    browser.get(server.url + "/")
    enter_key(browser, "tern-not-a-key")
    problem = browser.find_element(By.ID, "key-error")
    wait(browser, lambda: problem.is_displayed())
    assert "did not accept this API key" in problem.text
    enter_key(browser, server.admin_key)
    wait(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "#model option")) > 0)
    assert [option.text for option in browser.find_elements(By.CSS_SELECTOR, "#model option")] == [server.model]
    # The key lives in this tab's session storage only: not in local storage, not in the address.
    assert browser.execute_script("return sessionStorage.getItem('tern.apiKey')") == server.admin_key
    assert server.admin_key not in json.dumps(browser.execute_script("return {...localStorage}"))
    assert server.admin_key not in browser.current_url


def test_the_picker_leaves_out_embedding_models(browser):
    bert = os.environ.get("TERN_TEST_BERT_MODEL")
    assert bert, "TERN_TEST_BERT_MODEL must be set (scripts/test.sh sets it)"
    server = Server("--model", bert)
    try:
        # The server reads the models' files after it starts; until then /v1/models lists no capabilities.
        for _ in range(200):
            models = json.loads(request(server.url + "/v1/models", server.admin_key)[2])["data"]
            if all("capabilities" in model for model in models):
                break
            time.sleep(0.05)
        capabilities = {model["id"]: model.get("capabilities") for model in models}
        embedding = os.path.basename(bert).removesuffix(".gguf")
        assert capabilities == {server.model: ["chat", "completions", "embeddings"], embedding: ["embeddings"]}
        browser.get(server.url + "/")
        enter_key(browser, server.admin_key)
        wait(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "#model option")) > 0)
        assert [option.text for option in browser.find_elements(By.CSS_SELECTOR, "#model option")] == [server.model]
    finally:
        server.stop()


def test_an_answer_streams_in_and_the_conversation_survives_a_reload(browser, server):
    # Long enough (about a third of a second here) to be drawn over many frames: the page draws once per frame.
    open_chat(browser, server, server.admin_key, max_tokens="80")
    message = by_label(browser, "Message")
    # Shift+Enter is a new line, not a send.
    message.send_keys("Count from 1 to 50, separated by commas.", Keys.SHIFT, Keys.ENTER, Keys.SHIFT, "Only the numbers.")
    assert message.get_attribute("value") == "Count from 1 to 50, separated by commas.\nOnly the numbers."
    assert answers(browser) == []
    record_answer_lengths(browser)
    message.send_keys(Keys.ENTER)
    first = finished_stats(browser, 1)
    lengths = browser.execute_script("return window.lengths")
    growing = sorted({length for length in lengths if length > 0})
    # Token by token: the text was on the page at several lengths before it was whole.
    assert len(growing) >= 3, lengths
    tokens, cached = stats_numbers(first)
    assert 1 <= tokens <= 80
    assert "tokens/s" in first and "ms to first token" in first

    # A second turn sends the first one along: its prompt starts the same way, so the prefix cache serves part of it.
    message.send_keys("Now name two more." + Keys.ENTER)
    second = finished_stats(browser, 2)
    assert stats_numbers(second)[1] > 0, second
    texts = [node.text for node in browser.find_elements(By.CSS_SELECTOR, "#messages article .content")]
    assert len(texts) == 4 and texts[0] == "Count from 1 to 50, separated by commas.\nOnly the numbers." and texts[2] == "Now name two more."

    browser.refresh()
    # The key is remembered for the tab: no dialog again.
    item = wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#conversations li button"))
    assert not browser.execute_script("return document.getElementById('key-dialog').open")
    assert item[0].text.startswith("Count from 1 to 50")
    item[0].click()
    assert [node.text for node in browser.find_elements(By.CSS_SELECTOR, "#messages article .content")] == texts


def test_a_conversation_is_renamed_exported_and_deleted(browser, server):
    open_chat(browser, server, server.admin_key, max_tokens="8")
    by_label(browser, "Message").send_keys("Say hello." + Keys.ENTER)
    finished_stats(browser, 1)
    browser.find_element(By.ID, "rename").click()
    title = by_label(browser, "Title")
    title.send_keys(Keys.CONTROL, "a")
    title.send_keys("Greetings" + Keys.ENTER)
    wait(browser, lambda: browser.find_element(By.ID, "title").text == "Greetings")
    assert [node.text for node in browser.find_elements(By.CSS_SELECTOR, "#conversations li button")] == ["Greetings"]

    browser.find_element(By.ID, "export").click()
    exported = wait(browser, lambda: [path for path in browser.downloads.iterdir() if path.suffix == ".json"])
    document = json.loads(exported[0].read_text())
    assert document["title"] == "Greetings"
    assert [message["role"] for message in document["messages"]] == ["user", "assistant"]
    assert document["messages"][0]["content"] == "Say hello."
    assert document["messages"][1]["stats"]["tokens"] >= 1

    assert stored_conversations(browser) == 1
    browser.find_element(By.ID, "delete").click()
    browser.switch_to.alert.accept()
    wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#conversations li") == [])
    assert stored_conversations(browser) == 0
    browser.refresh()
    wait(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "#model option")) > 0)
    assert browser.find_elements(By.CSS_SELECTOR, "#conversations li") == []


def stored_conversations(browser):
    return browser.execute_script("return Object.keys(localStorage).filter((name) => name.startsWith('tern.chat.')).length")


def test_each_key_sees_only_its_own_conversations(browser, server):
    other = server.create_key(name="another-person")
    open_chat(browser, server, server.admin_key, max_tokens="4")
    by_label(browser, "Message").send_keys("Hello from the admin." + Keys.ENTER)
    finished_stats(browser, 1)
    browser.find_element(By.ID, "change-key").click()
    enter_key(browser, other)
    wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#conversations li") == [])
    assert "Hello from the admin." not in browser.find_element(By.TAG_NAME, "body").text
    browser.find_element(By.ID, "change-key").click()
    enter_key(browser, server.admin_key)
    item = wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#conversations li button"))
    assert item[0].text == "Hello from the admin."
    # The key field keeps nothing once a key is in use.
    assert by_label(browser, "API key").get_attribute("value") == ""


def test_a_reload_in_the_middle_of_an_answer_keeps_what_was_written(browser, server):
    cancelled = server.metric("tern_requests_total", 'outcome="cancelled"')
    open_chat(browser, server, server.admin_key, temperature="0", max_tokens="1500")
    by_label(browser, "Message").send_keys("Tell a long story about the sea, with many chapters." + Keys.ENTER)
    wait(browser, lambda: answers(browser) and len(answers(browser)[0].find_element(By.CSS_SELECTOR, ".content").text) > 20)
    browser.refresh()
    item = wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#conversations li button"))
    item[0].click()
    stats = wait(browser, lambda: answers(browser) and answers(browser)[0].find_element(By.CSS_SELECTOR, ".stats").text)
    assert "stopped" in stats and "Writing" not in stats
    assert answers(browser)[0].find_element(By.CSS_SELECTOR, ".content").text != ""
    # Leaving the page closed the stream: the server cancelled the generation.
    wait(browser, lambda: server.metric("tern_requests_total", 'outcome="cancelled"') == cancelled + 1, timeout=30)


def test_escape_stops_a_long_answer_and_the_server_cancels_it(browser, server):
    cancelled = server.metric("tern_requests_total", 'outcome="cancelled"')
    open_chat(browser, server, server.admin_key, temperature="0", max_tokens="1500")
    message = by_label(browser, "Message")
    message.send_keys("Write a very long story about a tern that flies around the world, with many chapters." + Keys.ENTER)
    wait(browser, lambda: answers(browser) and len(answers(browser)[0].find_element(By.CSS_SELECTOR, ".content").text) > 0)
    assert browser.find_element(By.ID, "stop").is_enabled()
    message.send_keys(Keys.ESCAPE)
    stats = finished_stats(browser, 1)
    assert "stopped" in stats
    # The server saw the client go and ended the generation: counted as cancelled, nothing left running.
    wait(browser, lambda: server.metric("tern_requests_total", 'outcome="cancelled"') == cancelled + 1, timeout=30)
    wait(browser, lambda: server.metric("tern_requests_running") == 0, timeout=30)
    length = len(answers(browser)[0].find_element(By.CSS_SELECTOR, ".content").text)
    time.sleep(1)
    assert len(answers(browser)[0].find_element(By.CSS_SELECTOR, ".content").text) == length
    assert not browser.find_element(By.ID, "stop").is_enabled()
    assert browser.find_element(By.ID, "send").is_enabled()


def test_a_rate_limited_key_is_told_when_to_try_again(browser, server):
    # Two a minute: one lists the models, one is answered, the next is refused.
    key = server.create_key(name="two-a-minute", rpm=2)
    open_chat(browser, server, key, max_tokens="4")
    message = by_label(browser, "Message")
    message.send_keys("Hi." + Keys.ENTER)
    finished_stats(browser, 1)
    message.send_keys("Hi again." + Keys.ENTER)
    alert = browser.find_element(By.ID, "error")
    wait(browser, lambda: alert.is_displayed())
    assert re.search(r"try again in \d+ s", alert.text), alert.text
    # Nothing was answered: the question waits in the message box to be sent again.
    assert message.get_attribute("value") == "Hi again."
    assert len(answers(browser)) == 1


def test_markdown_is_rendered_and_never_run(browser, server):
    browser.get(server.url + "/")
    result = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        import('/ui/markdown.js').then(({renderMarkdown}) => {
          const box = document.createElement('div');
          box.append(renderMarkdown(arguments[0]));
          done({
            html: box.innerHTML,
            code: box.querySelector('pre code.language-python')?.textContent,
            items: [...box.querySelectorAll('ul li')].map((li) => li.textContent),
            headings: [...box.querySelectorAll('h3, h4')].map((h) => h.textContent),
            blocks: [...box.querySelectorAll('pre code')].map((code) => code.textContent),
            cells: [...box.querySelectorAll('td')].map((td) => td.textContent),
            links: [...box.querySelectorAll('a')].map((a) => a.getAttribute('href')),
            strong: box.querySelector('strong')?.textContent,
            scripts: box.querySelectorAll('script, img, iframe').length,
          });
        });
        """,
        "# Title\n\nSome **bold** and `x < y`.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "```python\nprint('<b>hi</b>')\n```\n\n<script>alert(1)</script> <img src=x onerror=alert(1)>\n\n"
        "[safe](https://example.com/a) [unsafe](javascript:alert(1))\n\n## C#\n\nHere it is:\n| x | y |\n|---|---|\n| 3 | 4 |\n\n"
        "````\n```python\n````\n\n" + "*a " * 5000,
    )
    assert result["code"] == "print('<b>hi</b>')"
    assert result["items"] == ["one", "two"]
    assert result["cells"] == ["1", "2", "3", "4"]  # also a table right after a line of text
    assert result["headings"] == ["Title", "C#"]
    assert result["blocks"] == ["print('<b>hi</b>')", "```python"]  # a fence closes only on its own run
    assert result["strong"] == "bold"
    assert result["links"] == ["https://example.com/a"]
    assert result["scripts"] == 0
    assert "&lt;script&gt;" in result["html"]
