"""OpenAI's Responses API through the official `openai` SDK: create, stream, parse, continue, retrieve, delete."""
import json
import uuid

import openai
import pydantic
import pytest

try:  # the HTTP client under the pinned openai package
    import httpx2 as httpx
except ImportError:
    import httpx

from conftest import key, make_client


def test_create_answers_with_output_text_and_usage(client, model):
    response = client.responses.create(model=model, input="Name a color.", instructions="Be brief.", max_output_tokens=40)
    assert response.object == "response" and response.id.startswith("resp_")
    assert response.status in ("completed", "incomplete") and response.output_text
    assert response.output[0].type == "message" and response.output[0].content[0].type == "output_text"
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    assert 1 <= response.usage.output_tokens <= 40
    assert response.instructions == "Be brief." and response.max_output_tokens == 40


def test_max_output_tokens_makes_it_incomplete(client, model):
    response = client.responses.create(model=model, input="Tell me a long story.", max_output_tokens=4)
    assert response.status == "incomplete" and response.incomplete_details.reason == "max_output_tokens"
    assert response.usage.output_tokens == 4


def test_previous_response_id_continues_the_conversation(client, model):
    first = client.responses.create(model=model, input="My name is Ada.", max_output_tokens=16)
    second = client.responses.create(model=model, input="What is my name?", previous_response_id=first.id, max_output_tokens=16)
    fresh = client.responses.create(model=model, input="What is my name?", max_output_tokens=16)
    # The earlier turns (question and answer) are part of the prompt.
    assert second.usage.input_tokens > fresh.usage.input_tokens + first.usage.output_tokens
    assert second.previous_response_id == first.id
    assert client.responses.retrieve(first.id).output_text == first.output_text


def test_stream_sends_openai_event_sequence_with_sequence_numbers(client, model):
    # Greedy: a sampled answer may run to the token limit and end with `response.incomplete` (it did once in CI).
    with client.responses.stream(model=model, input="Say hi.", max_output_tokens=200, temperature=0) as stream:
        events = list(stream)
        final = stream.get_final_response()
    kinds = [event.type for event in events]
    assert kinds[:4] == ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"]
    assert kinds[-4:] == ["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    deltas = "".join(event.delta for event in events if event.type == "response.output_text.delta")
    assert deltas == final.output_text and final.status == "completed"
    assert client.responses.retrieve(final.id).output_text == final.output_text


class Person(pydantic.BaseModel):
    # bounded, so that a sampled answer always closes within max_output_tokens (an unbounded name can run on)
    name: str = pydantic.Field(max_length=24)
    age: int = pydantic.Field(ge=0, le=130)


def test_parse_with_a_pydantic_model_follows_the_schema(client, model):
    parsed = client.responses.parse(model=model, input="Make up a person.", text_format=Person, max_output_tokens=80)
    assert isinstance(parsed.output_parsed, Person)


def test_store_false_delete_and_other_keys(client, base_url, model):
    unstored = client.responses.create(model=model, input="Hi", max_output_tokens=2, store=False)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(unstored.id)
    kept = client.responses.create(model=model, input="Hi", max_output_tokens=2)
    # Another key neither reads, continues nor deletes it.
    admin = {"Authorization": f"Bearer {key('TERN_ADMIN_KEY')}"}
    name = f"responses-other-{uuid.uuid4().hex[:8]}"
    made = httpx.post(base_url + "/admin/keys", json={"name": name}, headers=admin, timeout=30)
    assert made.status_code == 201, made.text
    made = made.json()["key"]
    other = make_client(base_url, made)
    with pytest.raises(openai.NotFoundError):
        other.responses.retrieve(kept.id)
    with pytest.raises(openai.NotFoundError) as refused:
        other.responses.create(model=model, input="Hi", previous_response_id=kept.id, max_output_tokens=2)
    assert refused.value.body["param"] == "previous_response_id"
    with pytest.raises(openai.NotFoundError):
        other.responses.delete(kept.id)
    httpx.delete(base_url + f"/admin/keys/{name}", headers=admin, timeout=30)
    client.responses.delete(kept.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(kept.id)


WEATHER = [{
    "type": "function", "name": "get_weather", "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": False},
}]


def test_a_required_tool_call_then_its_output_answers(client, model):
    asked = client.responses.create(
        model=model, input="What is the weather in Paris?", tools=WEATHER, tool_choice="required", parallel_tool_calls=False,
        max_output_tokens=80)
    assert asked.status == "completed"
    calls = [item for item in asked.output if item.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "get_weather" and calls[0].call_id.startswith("call_")
    assert set(json.loads(calls[0].arguments)) == {"city"}
    answered = client.responses.create(
        model=model, previous_response_id=asked.id, tools=WEATHER, max_output_tokens=40,
        input=[{"type": "function_call_output", "call_id": calls[0].call_id, "output": "Sunny, 21 C"}])
    assert answered.status in ("completed", "incomplete")
    # The call and its output are in the prompt: the conversation was carried over.
    assert answered.usage.input_tokens > asked.usage.input_tokens + asked.usage.output_tokens


def test_a_streamed_tool_call_is_assembled_by_the_sdk(client, model):
    with client.responses.stream(
        model=model, input="What is the weather in Rome?", tools=WEATHER, tool_choice={"type": "function", "name": "get_weather"},
        parallel_tool_calls=False, max_output_tokens=80,
    ) as stream:
        events = list(stream)
        final = stream.get_final_response()
    kinds = [event.type for event in events]
    assert "response.function_call_arguments.delta" in kinds and "response.function_call_arguments.done" in kinds
    call = next(item for item in final.output if item.type == "function_call")
    deltas = "".join(event.delta for event in events if event.type == "response.function_call_arguments.delta")
    assert call.arguments == deltas and set(json.loads(call.arguments)) == {"city"}


def test_unsupported_fields_are_named(client, model):
    with pytest.raises(openai.BadRequestError) as refused:
        client.responses.create(model=model, input="Hi", reasoning={"effort": "low"})
    assert refused.value.body["param"] == "reasoning"
