"""Anthropic's Messages API through the official `anthropic` SDK, pointed at Tern with a Tern key."""
import uuid

import anthropic
import pytest

try:  # the HTTP client under the pinned openai package
    import httpx2 as httpx
except ImportError:
    import httpx

from conftest import key

USER = [{"role": "user", "content": "Name three colors."}]


@pytest.fixture(scope="module")
def claude(base_url, api_key):
    # The SDK sends the key as x-api-key.
    return anthropic.Anthropic(base_url=base_url, api_key=api_key, max_retries=0, timeout=120)


def test_create_answers_a_message_with_usage(claude, model):
    message = claude.messages.create(model=model, max_tokens=12, system="Be brief.", messages=USER)
    assert message.type == "message" and message.role == "assistant" and message.model == model
    assert message.id.startswith("msg_") and len(message.id) == 28
    assert message.content[0].type == "text" and message.content[0].text
    assert message.stop_reason in ("end_turn", "max_tokens")
    assert 1 <= message.usage.output_tokens <= 12
    # The prompt is the template's rendering of the system prompt and the turn: count_tokens says the same.
    assert message.usage.input_tokens == claude.messages.count_tokens(model=model, system="Be brief.", messages=USER).input_tokens


def test_max_tokens_and_stop_sequences_give_anthropic_stop_reasons(claude, model):
    greedy = {"temperature": 0}
    short = claude.messages.create(model=model, max_tokens=3, messages=USER, extra_body=greedy)
    assert short.stop_reason == "max_tokens" and short.usage.output_tokens == 3
    long = claude.messages.create(model=model, max_tokens=40, messages=USER, extra_body=greedy)
    text = long.content[0].text
    words = text.split()
    assert len(words) > 4, text
    stop = words[3]
    stopped = claude.messages.create(model=model, max_tokens=40, messages=USER, stop_sequences=[stop], extra_body=greedy)
    assert stopped.stop_reason == "stop_sequence" and stopped.stop_sequence == stop
    assert stopped.content[0].text == text[: text.index(stop)]


def test_a_trailing_assistant_turn_is_continued(claude, model):
    prefix = "The first color is"
    message = claude.messages.create(
        model=model, max_tokens=8, messages=USER + [{"role": "assistant", "content": prefix}], extra_body={"temperature": 0})
    plain = claude.messages.create(model=model, max_tokens=8, messages=USER, extra_body={"temperature": 0})
    assert message.usage.input_tokens > plain.usage.input_tokens
    assert not message.content[0].text.startswith(prefix)


def test_stream_events_come_in_anthropic_order_and_assemble(claude, model):
    with claude.messages.stream(model=model, max_tokens=16, messages=USER) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    raw = [kind for kind in kinds if kind in ("content_block_start", "content_block_stop", "message_delta")]
    assert raw == ["content_block_start", "content_block_stop", "message_delta"]
    assert final.stop_reason in ("end_turn", "max_tokens") and final.usage.output_tokens >= 1
    assert final.content[0].text


WEATHER = [{
    "name": "get_weather", "description": "Get the current weather of a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}]


def test_tools_are_called_with_valid_input_and_results_go_back(claude, model):
    asked = [{"role": "user", "content": "What is the weather in Paris?"}]
    one = {"type": "any", "disable_parallel_tool_use": True}
    message = claude.messages.create(model=model, max_tokens=60, tools=WEATHER, tool_choice=one, messages=asked)
    assert message.stop_reason == "tool_use"
    uses = [block for block in message.content if block.type == "tool_use"]
    assert len(uses) == 1 and uses[0].name == "get_weather" and uses[0].id.startswith("toolu_")
    assert isinstance(uses[0].input.get("city"), str)
    # The result goes back as a tool_result block; the answer is text again.
    follow = asked + [{"role": "assistant", "content": message.content},
                      {"role": "user", "content": [{"type": "tool_result", "tool_use_id": uses[0].id, "content": "18 °C, clear"}]}]
    answer = claude.messages.create(model=model, max_tokens=20, tools=WEATHER, tool_choice={"type": "none"}, messages=follow)
    assert answer.content[0].type == "text" and answer.stop_reason in ("end_turn", "max_tokens")
    # The conversation with the call and its result is what the model read.
    assert answer.usage.input_tokens == claude.messages.count_tokens(
        model=model, tools=WEATHER, tool_choice={"type": "none"}, messages=follow).input_tokens
    # Streamed: the call arrives as a tool_use block with input_json_delta events, assembled by the SDK.
    named = {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True}
    with claude.messages.stream(model=model, max_tokens=60, tools=WEATHER, tool_choice=named, messages=asked) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert "input_json" in kinds and final.stop_reason == "tool_use"
    assert [block.type for block in final.content] == ["tool_use"] and isinstance(final.content[0].input.get("city"), str)


def test_errors_come_in_anthropic_shape_with_their_statuses(claude, base_url, model):
    with pytest.raises(anthropic.NotFoundError) as missing:
        claude.messages.create(model="no-such-model", max_tokens=5, messages=USER)
    assert missing.value.body["type"] == "error" and missing.value.body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.BadRequestError) as bad:
        claude.messages.create(model=model, max_tokens=5, messages=[{"role": "user", "content": [{"type": "image", "source": {}}]}])
    assert bad.value.body["error"]["type"] == "invalid_request_error" and "image" in bad.value.body["error"]["message"]
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(base_url=base_url, api_key="tern-wrong", max_retries=0).messages.create(model=model, max_tokens=5, messages=USER)
    with pytest.raises(anthropic.PermissionDeniedError):
        anthropic.Anthropic(base_url=base_url, api_key=key("TERN_LIMITED_KEY"), max_retries=0).messages.create(
            model=model, max_tokens=5, messages=USER)
    # max_tokens is required, as in Anthropic's API; a missing key is 401 in the same shape.
    missing_field = httpx.post(base_url + "/v1/messages", json={"model": model, "messages": USER}, headers={"x-api-key": key("TERN_API_KEY")})
    assert missing_field.status_code == 400 and missing_field.json()["error"]["type"] == "invalid_request_error"
    no_key = httpx.post(base_url + "/v1/messages", json={"model": model, "max_tokens": 5, "messages": USER})
    assert no_key.status_code == 401 and no_key.json()["error"]["type"] == "authentication_error"


def test_usage_goes_to_the_ledger_like_any_request(base_url, model):
    admin = {"Authorization": f"Bearer {key('TERN_ADMIN_KEY')}"}
    name = f"messages-ledger-{uuid.uuid4().hex[:8]}"
    made = httpx.post(base_url + "/admin/keys", json={"name": name}, headers=admin, timeout=30)
    assert made.status_code == 201
    claude = anthropic.Anthropic(base_url=base_url, api_key=made.json()["key"], max_retries=0, timeout=120)
    first = claude.messages.create(model=model, max_tokens=5, messages=USER)
    with claude.messages.stream(model=model, max_tokens=5, messages=USER) as stream:
        second = stream.get_final_message()
    rows = httpx.get(base_url + "/admin/usage", headers=admin, timeout=30).json()["data"]
    row = next(row for row in rows if row["name"] == name)
    assert row["requests"] == 2
    assert row["prompt_tokens"] == first.usage.input_tokens + second.usage.input_tokens
    assert row["completion_tokens"] == first.usage.output_tokens + second.usage.output_tokens
    httpx.delete(base_url + f"/admin/keys/{name}", headers=admin, timeout=30)
