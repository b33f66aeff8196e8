"""Two deployments of one upstream model (two `tern serve`), one killed in the middle of 200 streamed requests at
concurrency 16: no request fails that had not begun to stream, and both deployments took requests."""
import concurrent.futures
import signal
import threading
import time

import httpx
import openai
import pytest

from test_upstreams import BIN, CHAT, MODEL, Server


@pytest.fixture(scope="module")
def deployments():
    if not BIN or not MODEL:
        pytest.fail("TERN_BIN and TERN_TEST_MODEL must be set: run scripts/test.sh")
    first = Server("--model", MODEL, "--max-sequences", "8")
    second = Server("--model", MODEL, "--max-sequences", "8")
    keys = {"FIRST_KEY": first.create_key("--name", "gateway"), "SECOND_KEY": second.create_key("--name", "gateway")}
    gateway = Server(
        "--model", MODEL,
        "--upstream", f"pair={first.url}/v1,model={CHAT},key-env=FIRST_KEY",
        "--upstream", f"pair={second.url}/v1,model={CHAT},key-env=SECOND_KEY",
        env=keys)
    try:
        yield first, second, gateway
    finally:
        for server in (gateway, first, second):
            server.stop()


def test_a_killed_deployment_fails_no_request_that_had_not_begun_to_stream(deployments):
    first, second, gateway = deployments
    client = gateway.client()
    finished = []
    lock = threading.Lock()

    def ask(index):
        chunks = 0
        try:
            stream = client.chat.completions.create(
                model="pair", stream=True, max_tokens=16, temperature=0,
                messages=[{"role": "user", "content": f"Count from {index} onwards."}])
            for chunk in stream:
                chunks += 1
            with lock:
                finished.append(index)
            return "ok", chunks
        except (openai.APIError, httpx.HTTPError) as error:
            return f"failed: {error}", chunks

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(ask, index) for index in range(200)]
        while len(finished) < 50:
            time.sleep(0.01)
        first.process.send_signal(signal.SIGKILL)
        outcomes = [future.result() for future in futures]
    first.process.wait(timeout=30)
    failed_before_streaming = [outcome for outcome, chunks in outcomes if outcome != "ok" and chunks == 0]
    assert failed_before_streaming == [], failed_before_streaming
    assert sum(outcome == "ok" for outcome, _ in outcomes) >= 200 - 16, "at most the streams running on the killed one break"
    assert second.usage("gateway")["requests"] > 0
    # The killed deployment had taken its share before it died (its ledger is in its data folder).
    assert first.usage("gateway")["requests"] > 0
