"""`tern serve --tls-cert --tls-key`: HTTPS that the `openai` SDK verifies against the test's own CA, HTTP/2 by ALPN."""
import os
import socket
import ssl
import urllib.parse

import openai
import pytest

try:  # the HTTP client under the pinned openai package
    import httpx2 as httpx
except ImportError:
    import httpx

MESSAGES = [{"role": "user", "content": "Name a color."}]


@pytest.fixture(scope="module")
def url() -> str:
    value = os.environ.get("TERN_TLS_URL")
    if not value:
        pytest.fail("TERN_TLS_URL is not set: run Tests/conformance/run.sh, which makes a certificate and starts tern serve with it")
    return value


@pytest.fixture(scope="module")
def ca() -> str:
    return os.environ["TERN_TLS_CA"]


def test_openai_sdk_verifies_the_certificate(url, ca):
    client = openai.OpenAI(
        base_url=url + "/v1", api_key=os.environ["TERN_API_KEY"], max_retries=0, timeout=120,
        http_client=openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=ca)),
    )
    response = client.chat.completions.create(model="gpt-4", messages=MESSAGES, max_tokens=3)
    assert response.choices[0].message.content is not None
    stream = client.chat.completions.create(model="gpt-4", messages=MESSAGES, max_tokens=3, stream=True)
    assert "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)


def test_a_client_that_does_not_trust_the_ca_refuses(url):
    client = openai.OpenAI(base_url=url + "/v1", api_key=os.environ["TERN_API_KEY"], max_retries=0, timeout=30)
    with pytest.raises(openai.APIConnectionError):
        client.models.list()


def test_alpn_offers_http2(url, ca):
    parts = urllib.parse.urlsplit(url)
    context = ssl.create_default_context(cafile=ca)
    context.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=parts.hostname) as tls:
            assert tls.selected_alpn_protocol() == "h2"


def test_requests_over_http2(url, ca):
    headers = {"Authorization": "Bearer " + os.environ["TERN_API_KEY"]}
    with httpx.Client(http2=True, verify=ssl.create_default_context(cafile=ca), timeout=120) as client:
        models = client.get(url + "/v1/models", headers=headers)
        assert models.http_version == "HTTP/2"
        assert models.status_code == 200
        assert models.headers["x-ratelimit-limit-requests"]
        chat = client.post(url + "/v1/chat/completions", headers=headers, json={"model": "gpt-4", "messages": MESSAGES, "max_tokens": 3})
        assert chat.status_code == 200, chat.text
        assert chat.json()["usage"]["completion_tokens"] > 0
        with client.stream(
            "POST", url + "/v1/chat/completions", headers=headers,
            json={"model": "gpt-4", "messages": MESSAGES, "max_tokens": 3, "stream": True},
        ) as streamed:
            assert streamed.http_version == "HTTP/2"
            body = "".join(streamed.iter_text())
        assert body.rstrip().endswith("data: [DONE]")
