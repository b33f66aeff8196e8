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


def h2_statuses(url, ca, requests):
    """Sends each (method, :path, headers, body) as a stream of one HTTP/2 connection, the `:path` exactly as given;
    returns each stream's status, or "reset" for a stream the server refused at the protocol level."""
    import h2.config
    import h2.connection
    import h2.events

    parts = urllib.parse.urlsplit(url)
    context = ssl.create_default_context(cafile=ca)
    context.set_alpn_protocols(["h2"])
    with socket.create_connection((parts.hostname, parts.port), timeout=60) as raw:
        with context.wrap_socket(raw, server_hostname=parts.hostname) as tls:
            connection = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, validate_outbound_headers=False))
            connection.initiate_connection()
            statuses = {}
            for method, path, headers, body in requests:
                stream = connection.get_next_available_stream_id()
                fields = [(":method", method), (":path", path), (":scheme", "https"), (":authority", parts.netloc), *headers]
                connection.send_headers(stream, fields, end_stream=body is None)
                if body is not None:
                    connection.send_data(stream, body, end_stream=True)
                statuses[stream] = None
                tls.sendall(connection.data_to_send())
                while statuses[stream] is None:
                    data = tls.recv(65536)
                    assert data, "the server closed the connection"
                    for event in connection.receive_data(data):
                        if isinstance(event, h2.events.ResponseReceived):
                            statuses[event.stream_id] = int(dict(event.headers)[b":status"])
                        elif isinstance(event, h2.events.StreamReset):
                            statuses[event.stream_id] = "reset"
                    tls.sendall(connection.data_to_send())
            return list(statuses.values())


def spellings(path):
    """`:path` values that a lenient check might read differently from the router."""
    bare = path[1:]
    first, _, rest = bare.partition("/")
    return [
        path, "/" + path, path + "/", "/" + bare.replace("/", "//"), "/./" + bare, "/x/../" + bare, "/health/../" + bare,
        "/" + bare.replace("/", "%2F"), f"/%{ord(first[0]):02X}{first[1:]}/{rest}", path.upper(), path + "?x=1", path + "#x", bare,
    ]


def test_http2_paths_spelled_any_way_reach_no_protected_route_without_a_key(url, ca):
    admin = os.environ["TERN_ADMIN_KEY"]
    user = os.environ["TERN_API_KEY"]
    targets = [
        ("/admin/keys", b'{"name":"evil-h2","admin":true}', ["", "Bearer tern-wrong", f"Bearer {user}"]),
        ("/v1/chat/completions", b'{"model":"gpt-4","messages":[{"role":"user","content":"Hi"}],"max_tokens":2}', ["", "Bearer tern-wrong"]),
    ]
    requests = []
    for path, body, authorizations in targets:
        for spelling in spellings(path):
            for authorization in authorizations:
                headers = [("content-type", "application/json")] + ([("authorization", authorization)] if authorization else [])
                requests.append(("POST", spelling, headers, body))
    statuses = h2_statuses(url, ca, requests)
    for (method, path, headers, _), status in zip(requests, statuses):
        assert status in (400, 401, 403, 404, 405, "reset"), f"{method} {path} {headers}: {status}"
    # Nothing was made: the admin key sees no new key.
    with httpx.Client(http2=True, verify=ssl.create_default_context(cafile=ca), timeout=60) as client:
        keys = client.get(url + "/admin/keys", headers={"Authorization": f"Bearer {admin}"}).json()["data"]
    assert not [key for key in keys if key["name"].startswith("evil")]
    # The same spellings with the right key do reach the route over HTTP/2: the refusals above were the checks'.
    assert h2_statuses(url, ca, [("GET", "//admin/keys/", [("authorization", f"Bearer {admin}")], None)]) == [200]
