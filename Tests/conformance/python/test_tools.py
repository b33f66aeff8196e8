"""Tool calling with the official `openai` package: tools, tool_choice, parallel_tool_calls, an agent loop, streaming.

The default model's template has no tool syntax of its own, so Tern describes the tools in the system message and
constrains calls with a grammar: with `required` or a named function every answer is a valid call whose arguments
validate against the function's parameters.
"""
import json

import jsonschema
import openai
import pytest

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "maxLength": 32},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}
TIME = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "The current time in a time zone.",
        "parameters": {
            "type": "object",
            "properties": {"zone": {"type": "string", "maxLength": 32}},
            "required": ["zone"],
            "additionalProperties": False,
        },
    },
}
TOOLS = [WEATHER, TIME]
SCHEMAS = {tool["function"]["name"]: tool["function"]["parameters"] for tool in TOOLS}
QUESTION = [{"role": "user", "content": "What is the weather in Paris right now?"}]


def check_calls(message):
    assert message.tool_calls, message
    for call in message.tool_calls:
        assert call.type == "function"
        assert call.id.startswith("call_")
        assert call.function.name in SCHEMAS
        jsonschema.validate(json.loads(call.function.arguments), SCHEMAS[call.function.name])


def test_required_gives_one_valid_call_without_parallel_calls(client, model):
    response = client.chat.completions.create(
        model=model, messages=QUESTION, tools=TOOLS, tool_choice="required", parallel_tool_calls=False, temperature=0, max_tokens=120
    )
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert len(choice.message.tool_calls) == 1
    check_calls(choice.message)


PING = {
    "type": "function",
    "function": {"name": "ping", "parameters": {"type": "object", "properties": {}, "additionalProperties": False}},
}


def test_parallel_calls_end_by_the_cap_at_the_latest(client, model):
    # A small model may go on calling; the grammar allows at most 8 calls and then only the end. (A function without
    # parameters keeps 8 calls short.)
    response = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Ping the server."}], tools=[PING], tool_choice="required",
        temperature=0, max_tokens=250,
    )
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert 1 <= len(choice.message.tool_calls) <= 8
    assert all(call.function.name == "ping" and json.loads(call.function.arguments) == {} for call in choice.message.tool_calls)


def test_a_named_function_is_the_one_called(client, model):
    response = client.chat.completions.create(
        model=model,
        messages=QUESTION,
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_time"}},
        parallel_tool_calls=False,
        temperature=0.9,
        seed=5,
        max_tokens=120,
    )
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert [call.function.name for call in choice.message.tool_calls] == ["get_time"]
    check_calls(choice.message)


def test_random_samples_always_give_valid_calls(client, model):
    for seed in range(12):
        response = client.chat.completions.create(
            model=model, messages=QUESTION, tools=TOOLS, tool_choice="required", parallel_tool_calls=seed % 2 == 0, temperature=1,
            seed=seed, max_tokens=160,
        )
        choice = response.choices[0]
        if choice.finish_reason == "length":
            continue
        assert choice.finish_reason == "tool_calls"
        check_calls(choice.message)


def test_agent_loop_call_then_result_then_answer(client, model):
    messages = list(QUESTION)
    first = client.chat.completions.create(
        model=model, messages=messages, tools=TOOLS, tool_choice="required", parallel_tool_calls=False, temperature=0, max_tokens=120
    )
    message = first.choices[0].message
    check_calls(message)
    messages.append(message.model_dump(exclude_none=True))
    for call in message.tool_calls:
        messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps({"temperature": 18, "sky": "clear"})})
    second = client.chat.completions.create(model=model, messages=messages, tools=TOOLS, tool_choice="none", max_tokens=60)
    answer = second.choices[0]
    assert answer.finish_reason in ("stop", "length")
    assert answer.message.tool_calls is None
    assert isinstance(answer.message.content, str) and answer.message.content


def test_streamed_calls_are_assembled_by_the_sdk(client, model):
    with client.chat.completions.stream(
        model=model, messages=QUESTION, tools=TOOLS, tool_choice="required", parallel_tool_calls=False, temperature=0, max_tokens=120
    ) as stream:
        deltas = [event for event in stream if event.type == "tool_calls.function.arguments.delta"]
        final = stream.get_final_completion()
    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    check_calls(choice.message)
    # The arguments arrived in more than one piece, as OpenAI streams them.
    assert len(deltas) > 1


def test_streamed_chunks_have_openai_shape(client, model):
    stream = client.chat.completions.create(
        model=model, messages=QUESTION, tools=TOOLS, tool_choice="required", parallel_tool_calls=False, temperature=0,
        max_tokens=120, stream=True,
    )
    pieces = [chunk.choices[0].delta.tool_calls[0] for chunk in stream if chunk.choices and chunk.choices[0].delta.tool_calls]
    first, rest = pieces[0], pieces[1:]
    assert first.index == 0 and first.id.startswith("call_") and first.type == "function"
    assert first.function.name in SCHEMAS and first.function.arguments == ""
    assert all(piece.id is None and piece.function.name is None for piece in rest if piece.index == 0)
    arguments = "".join(piece.function.arguments for piece in pieces if piece.index == 0)
    jsonschema.validate(json.loads(arguments), SCHEMAS[first.function.name])


def test_auto_answers_in_text_or_in_valid_calls(client, model):
    for question in ("Say hello.", "What is the weather in Rome? Use a tool."):
        response = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": question}], tools=TOOLS, temperature=0, max_tokens=120
        )
        choice = response.choices[0]
        if choice.message.tool_calls:
            assert choice.finish_reason == "tool_calls"
            check_calls(choice.message)
        else:
            assert choice.finish_reason in ("stop", "length")
            assert choice.message.content


def test_unknown_named_function_is_a_400(client, model):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model=model, messages=QUESTION, tools=TOOLS, tool_choice={"type": "function", "function": {"name": "nope"}}
        )
    assert caught.value.body["param"] == "tool_choice.function.name"


def test_parameters_tern_cannot_enforce_are_a_400(client, model):
    bad = {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"n": {"multipleOf": 3}}}}}
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model, messages=QUESTION, tools=[bad], tool_choice="required")
    assert caught.value.body["param"] == "tools[0].function.parameters"
    assert "multipleOf" in caught.value.body["message"]
