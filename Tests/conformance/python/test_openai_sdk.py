"""The official `openai` Python package against a live `tern serve`, unchanged but for base_url and key."""
import json
import urllib.error
import urllib.request

import openai
import pytest

MESSAGES = [{"role": "user", "content": "Name three colors."}]


def test_whole_chat(client, model):
    response = client.chat.completions.create(model=model, messages=MESSAGES, max_tokens=8)
    assert response.id.startswith("chatcmpl-")
    assert response.object == "chat.completion"
    assert response.model == model
    assert response.system_fingerprint.startswith("fp_")
    choice = response.choices[0]
    assert choice.message.role == "assistant"
    assert isinstance(choice.message.content, str) and choice.message.content
    assert choice.finish_reason in ("stop", "length")
    usage = response.usage
    assert usage.prompt_tokens > 0
    assert 0 < usage.completion_tokens <= 8
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    # Earlier tests may have left this prompt in the prefix cache; the last prompt token is always computed.
    assert 0 <= usage.prompt_tokens_details.cached_tokens < usage.prompt_tokens


def test_streamed_chat(client, model):
    stream = client.chat.completions.create(model=model, messages=MESSAGES, max_tokens=8, stream=True)
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert len({chunk.id for chunk in chunks}) == 1
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")
    assert all(chunk.choices[0].finish_reason is None for chunk in chunks[:-1])


def test_stream_include_usage(client, model):
    stream = client.chat.completions.create(
        model=model, messages=MESSAGES, max_tokens=5, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    last = chunks[-1]
    assert last.choices == []
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finish) == 1
    # Sampled at the default temperature: the model may end (finish_reason "stop") before the limit.
    if finish[0] == "length":
        assert last.usage.completion_tokens == 5
    else:
        assert finish[0] == "stop" and last.usage.completion_tokens < 5
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens
    assert all(chunk.usage is None for chunk in chunks[:-1])


def test_stop_string_ends_before_it(client, model):
    full = client.chat.completions.create(model=model, messages=MESSAGES, max_tokens=12, temperature=0).choices[0]
    text = full.message.content
    assert len(text) >= 8, text
    stop = text[3:7]
    stopped = client.chat.completions.create(model=model, messages=MESSAGES, max_tokens=12, temperature=0, stop=[stop]).choices[0]
    assert stopped.message.content == text[: text.index(stop)]
    assert stopped.finish_reason == "stop"


def test_max_tokens_ends_in_length(client, model):
    response = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Write a long essay about the sea."}], max_tokens=3, temperature=0
    )
    assert response.choices[0].finish_reason == "length"
    assert response.usage.completion_tokens == 3


def test_n_choices(client, model):
    response = client.chat.completions.create(model=model, messages=MESSAGES, max_tokens=4, n=2, seed=11)
    assert [choice.index for choice in response.choices] == [0, 1]
    assert 2 <= response.usage.completion_tokens <= 8
    assert all(choice.message.content is not None for choice in response.choices)


def test_seed_determinism(client, model):
    kwargs = dict(model=model, messages=MESSAGES, max_tokens=16, temperature=1.3, seed=2024)
    first = client.chat.completions.create(**kwargs).choices[0].message.content
    second = client.chat.completions.create(**kwargs).choices[0].message.content
    assert first == second


def test_logprobs_shape(client, model):
    response = client.chat.completions.create(model=model, messages=MESSAGES, max_tokens=4, logprobs=True, top_logprobs=3)
    content = response.choices[0].logprobs.content
    assert len(content) == response.usage.completion_tokens
    for entry in content:
        assert isinstance(entry.token, str)
        assert entry.logprob <= 0
        assert isinstance(entry.bytes, list) and all(0 <= b < 256 for b in entry.bytes)
        assert len(entry.top_logprobs) == 3
        assert entry.top_logprobs[0].logprob >= entry.top_logprobs[-1].logprob


def test_legacy_completions(client, model):
    response = client.completions.create(model=model, prompt="The capital of France is", max_tokens=4, temperature=0)
    assert response.id.startswith("cmpl-")
    assert response.object == "text_completion"
    assert response.choices[0].finish_reason in ("stop", "length")
    assert isinstance(response.choices[0].text, str)


def test_models(client, model):
    ids = [entry.id for entry in client.models.list()]
    assert model in ids
    assert client.models.retrieve(model).id == model


# Errors: each surfaces as the exception the SDK maps its status to, with OpenAI's fields.


def test_out_of_range_is_bad_request(client, model):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model, messages=MESSAGES, temperature=3)
    assert caught.value.status_code == 400
    assert caught.value.param == "temperature"
    assert caught.value.type == "invalid_request_error"


def test_wrong_type_is_bad_request(client, model):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model, messages=MESSAGES, extra_body={"n": "two"})
    assert caught.value.param == "n"


def test_unsupported_parameter_is_bad_request(client, model):
    functions = [{"name": "get_time", "parameters": {"type": "object", "properties": {}}}]
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model, messages=MESSAGES, functions=functions)
    assert caught.value.param == "functions"
    assert "not supported" in caught.value.message


def test_context_length_exceeded(client, model):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model, messages=MESSAGES, max_tokens=1_000_000)
    assert caught.value.code == "context_length_exceeded"
    assert "1000000" in caught.value.message


def test_unknown_model_is_not_found(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-5-does-not-exist", messages=MESSAGES)
    assert caught.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-5-does-not-exist")


def test_unknown_route_is_not_found(client, model):
    with pytest.raises(openai.NotFoundError) as caught:
        client.images.generate(model=model, prompt="a heron")
    assert "Invalid URL" in caught.value.message


def test_wrong_method_is_405(client):
    with pytest.raises(openai.APIStatusError) as caught:
        client.get("/chat/completions", cast_to=object)
    assert caught.value.status_code == 405
    assert caught.value.code == "method_not_allowed"


def test_too_large_is_413(client, model):
    huge = "a" * (5 << 20)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": huge}])
    assert caught.value.status_code == 413


def test_malformed_json_and_content_type(base_url, api_key):
    for body, content_type in ((b'{"model": "gpt-4", "messages": [', "application/json"), (b"{}", "text/plain")):
        headers = {"Content-Type": content_type, "Authorization": f"Bearer {api_key}"}
        request = urllib.request.Request(base_url + "/v1/chat/completions", data=body, headers=headers)
        try:
            urllib.request.urlopen(request, timeout=30)
            raise AssertionError("expected a 400")
        except urllib.error.HTTPError as error:
            assert error.code == 400
            envelope = json.loads(error.read())["error"]
            assert set(envelope) == {"message", "type", "param", "code"}


def test_server_keeps_serving_after_errors(client, model):
    response = client.chat.completions.create(model=model, messages=MESSAGES, max_tokens=2)
    assert response.choices[0].message.content is not None
