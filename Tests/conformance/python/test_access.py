"""Keys, permissions, limits and the admin API through the official `openai` package and plain HTTP."""
import json
import os
import subprocess
import urllib.error
import urllib.request

import openai
import pytest

from conftest import key, make_client

MESSAGES = [{"role": "user", "content": "Name three colors."}]


def http(base_url, method, path, api_key=None, body=None):
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base_url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def tern_keys(*args):
    binary = os.environ.get("TERN_BIN")
    if not binary:
        pytest.skip("TERN_BIN is not set")
    return subprocess.run([binary, "keys", *args], check=True, capture_output=True, text=True).stdout


def test_wrong_key_is_authentication_error(base_url, model):
    with pytest.raises(openai.AuthenticationError) as caught:
        make_client(base_url, "tern-not-a-real-key").chat.completions.create(model=model, messages=MESSAGES, max_tokens=2)
    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"


def test_model_outside_the_keys_list_is_permission_denied(base_url, model):
    with pytest.raises(openai.PermissionDeniedError) as caught:
        make_client(base_url, key("TERN_LIMITED_KEY")).chat.completions.create(model=model, messages=MESSAGES, max_tokens=2)
    assert caught.value.status_code == 403


def test_spent_budget_is_insufficient_quota(base_url, model):
    with pytest.raises(openai.RateLimitError) as caught:
        make_client(base_url, key("TERN_BUDGET_KEY")).chat.completions.create(model=model, messages=MESSAGES, max_tokens=2)
    assert caught.value.code == "insufficient_quota"


def test_rate_limit_headers_as_openai_sends_them(client, model):
    raw = client.chat.completions.with_raw_response.create(model=model, messages=MESSAGES, max_tokens=2)
    for kind in ("requests", "tokens"):
        assert int(raw.headers[f"x-ratelimit-limit-{kind}"]) > 0
        assert int(raw.headers[f"x-ratelimit-remaining-{kind}"]) >= 0
        reset = raw.headers[f"x-ratelimit-reset-{kind}"]
        assert reset.endswith("s"), reset
    assert raw.parse().choices[0].message.content is not None


def test_keys_cli_works_while_the_server_runs(base_url, model):
    made = tern_keys("create", "--name", "cli-while-serving", "--rpm", "7").strip()
    assert made.startswith("tern-")
    raw = make_client(base_url, made).chat.completions.with_raw_response.create(model=model, messages=MESSAGES, max_tokens=2)
    assert raw.headers["x-ratelimit-limit-requests"] == "7"
    listed = json.loads(tern_keys("list", "--json"))
    assert any(entry["name"] == "cli-while-serving" and entry["limits"]["rpm"] == 7 for entry in listed)
    assert made not in tern_keys("list", "--json")
    usage = {entry["name"]: entry for entry in json.loads(tern_keys("usage", "--json"))}
    assert usage["cli-while-serving"]["requests"] == 1
    assert usage["cli-while-serving"]["completion_tokens"] == raw.parse().usage.completion_tokens
    for field in ("name", "requests", "prompt_tokens", "completion_tokens"):
        assert field in usage["conformance"]
    tern_keys("revoke", "cli-while-serving")
    with pytest.raises(openai.AuthenticationError):
        make_client(base_url, made).models.list()


def test_admin_api(base_url, api_key):
    admin = key("TERN_ADMIN_KEY")
    status, _, body = http(base_url, "GET", "/admin/keys", api_key)
    assert status == 403 and body["error"]["code"] == "permission_denied"
    status, _, body = http(base_url, "POST", "/admin/keys", admin, {"name": "from-admin-api", "tpm": 5000})
    assert status == 201
    made = body["key"]
    assert made.startswith("tern-") and body["limits"]["tpm"] == 5000
    assert make_client(base_url, made).models.list().data
    status, _, body = http(base_url, "GET", "/admin/usage", admin)
    assert status == 200
    assert next(row for row in body["data"] if row["name"] == "from-admin-api")["requests"] == 1
    status, _, body = http(base_url, "DELETE", "/admin/keys/from-admin-api", admin)
    assert status == 200 and body["revoked_at"]
    with pytest.raises(openai.AuthenticationError):
        make_client(base_url, made).models.list()
