"""A model served by another OpenAI-compatible server (`tern serve --upstream`), seen through the official openai SDK:
answers and streams pass through, the gateway's keys, limits and ledger apply, upstream errors keep OpenAI's shape.

The upstream is a second `tern serve` with its own key. Needs TERN_BIN, TERN_TEST_MODEL and TERN_TEST_BERT_MODEL."""
import json
import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import openai
import pytest

BIN = os.environ.get("TERN_BIN", "")
MODEL = os.environ.get("TERN_TEST_MODEL", "")
BERT = os.environ.get("TERN_TEST_BERT_MODEL", "")
CHAT = Path(MODEL).stem
EMBEDDER = Path(BERT).stem


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, *args, env=None):
        self.data = tempfile.mkdtemp(prefix="tern-upstreams-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(self.data, "log"), "w+")
        self.key = self.create_key("--name", "first")
        self.process = subprocess.Popen(
            [BIN, "serve", "--data-dir", self.data, "--port", str(self.port), "--threads", "1", "--ctx", "512", *args],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        for _ in range(1200):
            assert self.process.poll() is None, self.text()
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("never ready: " + self.text())

    def create_key(self, *args) -> str:
        return subprocess.run([BIN, "keys", "create", "--data-dir", self.data, *args], check=True, capture_output=True,
                              text=True).stdout.strip()

    def client(self, key=None) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url + "/v1", api_key=key or self.key, max_retries=0)

    def usage(self, name: str) -> dict:
        rows = json.loads(subprocess.run([BIN, "keys", "usage", "--data-dir", self.data, "--json"], check=True,
                                         capture_output=True, text=True).stdout)
        return next(row for row in rows if row["name"] == name)

    def text(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


@pytest.fixture(scope="module")
def servers():
    if not BIN or not MODEL or not BERT:
        pytest.fail("TERN_BIN, TERN_TEST_MODEL and TERN_TEST_BERT_MODEL must be set: run scripts/test.sh")
    upstream = Server("--model", MODEL, "--model", BERT, "--max-sequences", "4")
    gateway_key = upstream.create_key("--name", "gateway")
    gateway = Server(
        "--model", MODEL,
        "--upstream", f"remote={upstream.url}/v1,model={CHAT},key-env=UPSTREAM_KEY",
        "--upstream", f"remote-embedder={upstream.url}/v1,model={EMBEDDER},key-env=UPSTREAM_KEY",
        env={"UPSTREAM_KEY": gateway_key})
    try:
        yield upstream, gateway
    finally:
        gateway.stop()
        upstream.stop()


def test_the_upstream_models_are_listed(servers):
    _, gateway = servers
    models = {model.id: model.owned_by for model in gateway.client().models.list()}
    assert models["remote"] == "upstream" and models["remote-embedder"] == "upstream" and models[CHAT] == "tern"
    assert gateway.client().models.retrieve("remote").id == "remote"


def test_a_whole_answer_is_the_upstreams_and_the_gateways_ledger_counts_it(servers):
    upstream, gateway = servers
    key = gateway.create_key("--name", "whole")
    ask = {"messages": [{"role": "user", "content": "Name three colors."}], "max_tokens": 12, "temperature": 0}
    direct = upstream.client().chat.completions.create(model=CHAT, **ask)
    proxied = gateway.client(key).chat.completions.create(model="remote", **ask)
    assert proxied.choices[0].message.content == direct.choices[0].message.content
    assert proxied.usage.prompt_tokens == direct.usage.prompt_tokens
    row = gateway.usage("whole")
    assert row["requests"] == 1
    assert row["prompt_tokens"] == proxied.usage.prompt_tokens
    assert row["completion_tokens"] == proxied.usage.completion_tokens


def test_a_stream_passes_through_chunk_by_chunk(servers):
    upstream, gateway = servers
    key = gateway.create_key("--name", "stream")
    ask = {"messages": [{"role": "user", "content": "Tell a long story about a lighthouse."}], "max_tokens": 200, "temperature": 0}
    stream = gateway.client(key).chat.completions.create(model="remote", stream=True, stream_options={"include_usage": True}, **ask)
    pieces, usage, running_at_first = [], None, None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            if running_at_first is None:
                # The first words are here while the upstream is still generating: nothing waited for the end.
                metrics = httpx.get(upstream.url + "/metrics", headers={"Authorization": f"Bearer {upstream.key}"}).text
                running_at_first = sum(float(line.split()[-1]) for line in metrics.splitlines()
                                       if line.startswith("tern_requests_running"))
            pieces.append(chunk.choices[0].delta.content)
        if chunk.usage:
            usage = chunk.usage
    assert running_at_first is not None and running_at_first >= 1
    assert len(pieces) > 20
    direct = upstream.client().chat.completions.create(model=CHAT, **ask)
    assert "".join(pieces) == direct.choices[0].message.content
    assert usage is not None and usage.completion_tokens == direct.usage.completion_tokens
    assert gateway.usage("stream")["completion_tokens"] == usage.completion_tokens


def test_a_stream_without_include_usage_gets_no_usage_chunk_yet_is_counted(servers):
    _, gateway = servers
    key = gateway.create_key("--name", "quiet")
    chunks = list(gateway.client(key).chat.completions.create(
        model="remote", stream=True, messages=[{"role": "user", "content": "Hi"}], max_tokens=5, temperature=0))
    assert all(chunk.usage is None for chunk in chunks)
    assert all(chunk.choices for chunk in chunks)
    assert gateway.usage("quiet")["completion_tokens"] == 5


def test_completions_and_embeddings_go_upstream(servers):
    upstream, gateway = servers
    direct = upstream.client().completions.create(model=CHAT, prompt="The capital of France is", max_tokens=6, temperature=0)
    proxied = gateway.client().completions.create(model="remote", prompt="The capital of France is", max_tokens=6, temperature=0)
    assert proxied.choices[0].text == direct.choices[0].text
    streamed = "".join(chunk.choices[0].text for chunk in gateway.client().completions.create(
        model="remote", prompt="The capital of France is", max_tokens=6, temperature=0, stream=True) if chunk.choices)
    assert streamed == direct.choices[0].text
    vectors = gateway.client().embeddings.create(model="remote-embedder", input=["A cat.", "A kitten."])
    reference = upstream.client().embeddings.create(model=EMBEDDER, input=["A cat.", "A kitten."])
    assert [item.embedding for item in vectors.data] == [item.embedding for item in reference.data]
    assert vectors.usage.prompt_tokens == reference.usage.prompt_tokens


def test_the_gateways_keys_and_limits_apply(servers):
    _, gateway = servers
    other = gateway.create_key("--name", "other-models", "--models", CHAT)
    with pytest.raises(openai.PermissionDeniedError) as refused:
        gateway.client(other).chat.completions.create(model="remote", messages=[{"role": "user", "content": "Hi"}], max_tokens=2)
    assert refused.value.code == "model_not_allowed"
    limited = gateway.create_key("--name", "two-a-minute", "--rpm", "2")
    for _ in range(2):
        gateway.client(limited).chat.completions.create(model="remote", messages=[{"role": "user", "content": "Hi"}], max_tokens=2)
    with pytest.raises(openai.RateLimitError):
        gateway.client(limited).chat.completions.create(model="remote", messages=[{"role": "user", "content": "Hi"}], max_tokens=2)
    budget = gateway.create_key("--name", "small-budget", "--budget-tokens", "50", "--budget-period", "day")
    with pytest.raises(openai.RateLimitError) as spent:
        gateway.client(budget).chat.completions.create(model="remote", messages=[{"role": "user", "content": "Hi"}], max_tokens=100)
    assert spent.value.code == "insufficient_quota"
    with pytest.raises(openai.AuthenticationError):
        gateway.client("tern-" + "x" * 40).chat.completions.create(model="remote", messages=[{"role": "user", "content": "Hi"}])


def test_enormous_numbers_from_a_client_are_refused_not_fatal(servers):
    _, gateway = servers
    limited = gateway.create_key("--name", "enormous", "--tpm", "1000")
    for key in (gateway.key, limited):
        response = httpx.post(gateway.url + "/v1/completions", headers={"Authorization": f"Bearer {key}"}, timeout=60,
                              json={"model": "remote", "prompt": ["a", "b"], "max_tokens": 2**63 - 1, "n": 2**62})
        assert response.status_code in (400, 429), response.text
        assert "error" in response.json()
    assert httpx.get(gateway.url + "/health").status_code == 200


def test_a_gateway_of_upstream_models_alone_loads_no_model_of_its_own(servers):
    upstream, _ = servers
    # An empty models folder: were the default model wanted, the server would have to fetch it and could not start.
    empty = tempfile.mkdtemp(prefix="tern-no-models-")
    gateway = Server("--upstream", f"remote={upstream.url}/v1,model={CHAT},key-env=UPSTREAM_KEY",
                     env={"UPSTREAM_KEY": upstream.key, "TERN_MODELS_DIR": empty})
    try:
        assert os.listdir(empty) == []
        assert [model.id for model in gateway.client().models.list()] == ["remote"]
        answer = gateway.client().chat.completions.create(
            model="remote", messages=[{"role": "user", "content": "Hi"}], max_tokens=4, temperature=0)
        assert answer.choices[0].message.content and answer.usage.completion_tokens > 0
        with pytest.raises(openai.NotFoundError):
            gateway.client().chat.completions.create(model=CHAT, messages=[{"role": "user", "content": "Hi"}], max_tokens=2)
        # llama.cpp's utility routes work on a model of this server's own; without one they say so.
        refused = httpx.post(gateway.url + "/tokenize", json={"content": "Hi"}, headers={"Authorization": f"Bearer {gateway.key}"})
        assert refused.status_code == 400 and refused.json()["error"]["param"] == "model", refused.text
        assert "no model of its own" in refused.json()["error"]["message"]
        assert gateway.usage("first")["requests"] >= 2
    finally:
        gateway.stop()
    # An alias needs a model of the server's own to point at.
    alias = subprocess.run([BIN, "serve", "--upstream", f"remote={upstream.url}/v1", "--model-alias", "gpt-4", "--no-auth"],
                           capture_output=True, text=True, timeout=60)
    assert alias.returncode != 0 and "--model-alias" in alias.stderr


def test_a_large_body_is_read_off_the_event_loop_and_still_forwarded(servers):
    """A body of over 256 KiB is parsed on a thread of its own: it still reaches the upstream, whose refusal (the
    prompt is far past its context) comes back as it sent it."""
    _, gateway = servers
    with pytest.raises(openai.BadRequestError) as long:
        gateway.client().chat.completions.create(model="remote", messages=[{"role": "user", "content": "word " * 80_000}],
                                                 max_tokens=2)
    assert long.value.code == "context_length_exceeded"


def test_a_deployment_that_refuses_connections_is_passed_over(servers):
    """A deployment whose port refuses connections from the start (no pooled connection to it) fails its attempt at
    once: the request goes to the other deployment, and with none left it is a 502 in OpenAI's shape, not a wait for
    the upstream's head timeout (the client here gives up long before that)."""
    upstream, _ = servers
    closed = f"http://127.0.0.1:{free_port()}/v1"
    gateway = Server(
        "--upstream", f"both={closed},model={CHAT}",
        "--upstream", f"both={upstream.url}/v1,model={CHAT},key-env=UPSTREAM_KEY",
        "--upstream", f"down={closed},model={CHAT}",
        env={"UPSTREAM_KEY": upstream.create_key("--name", "second-gateway")})
    try:
        client = gateway.client().with_options(timeout=60)
        for _ in range(4):
            answer = client.chat.completions.create(model="both", messages=[{"role": "user", "content": "Hi"}], max_tokens=2)
            assert answer.choices[0].message.content is not None
        with pytest.raises(openai.APIStatusError) as down:
            client.chat.completions.create(model="down", messages=[{"role": "user", "content": "Hi"}], max_tokens=2)
        assert down.value.status_code == 502 and down.value.code == "upstream_unavailable"
    finally:
        gateway.stop()


def test_upstream_errors_keep_openais_shape(servers):
    upstream, gateway = servers
    with pytest.raises(openai.BadRequestError) as bad:
        gateway.client().chat.completions.create(model="remote", messages=[{"role": "user", "content": "Hi"}], temperature=7)
    assert bad.value.param == "temperature"
    upstream.stop()
    with pytest.raises(openai.APIStatusError) as down:
        gateway.client().chat.completions.create(model="remote", messages=[{"role": "user", "content": "Hi"}], max_tokens=2)
    assert down.value.status_code == 502 and down.value.code == "upstream_unavailable"
    # The gateway's own model still answers.
    assert gateway.client().chat.completions.create(model=CHAT, messages=[{"role": "user", "content": "Hi"}], max_tokens=2).choices
