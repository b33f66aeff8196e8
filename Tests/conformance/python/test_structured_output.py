"""Structured output with the official `openai` package: `response_format` json_schema and json_object.

The grammar constrains every token, so a finished answer (finish_reason "stop") always parses and validates; an
answer cut by max_tokens has finish_reason "length". Validation uses the `jsonschema` package, formats included.
"""
import json
import random
from concurrent.futures import ThreadPoolExecutor

import jsonschema
import openai
import pydantic
import pytest

VALIDATOR = jsonschema.Draft202012Validator
FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER


class Address(pydantic.BaseModel):
    city: str = pydantic.Field(max_length=24)
    zip_code: str = pydantic.Field(pattern=r"^[0-9]{5}$")


class Person(pydantic.BaseModel):
    name: str = pydantic.Field(max_length=24)
    age: int = pydantic.Field(ge=0, le=130)
    role: str | None = pydantic.Field(max_length=16)
    address: Address


def person_messages():
    return [
        {"role": "system", "content": "You extract data as JSON."},
        {"role": "user", "content": "Alice is 31, a pilot, and lives in Paris, postcode 75001."},
    ]


def test_parse_returns_the_pydantic_object(client, model):
    completion = client.chat.completions.parse(
        model=model, messages=person_messages(), response_format=Person, temperature=0, max_tokens=160
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "stop", choice.message.content
    person = choice.message.parsed
    assert isinstance(person, Person)
    assert 0 <= person.age <= 130
    assert len(person.address.zip_code) == 5
    # Properties come in the order the schema declares them.
    assert list(json.loads(choice.message.content)) == ["name", "age", "role", "address"]


def test_streamed_json_schema_assembles_to_a_valid_document(client, model):
    schema = Person.model_json_schema()
    stream = client.chat.completions.create(
        model=model,
        messages=person_messages(),
        temperature=0.7,
        seed=3,
        max_tokens=160,
        stream=True,
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema, "strict": True}},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].choices[0].finish_reason == "stop", text
    VALIDATOR(schema, format_checker=FORMATS).validate(json.loads(text))


def test_json_object_gives_an_object(client, model):
    response = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "Return a JSON object with a name and an age for Bob, who is 40."}],
        temperature=0,
        max_tokens=60,
        response_format={"type": "json_object"},
    )
    choice = response.choices[0]
    assert choice.finish_reason == "stop", choice.message.content
    assert isinstance(json.loads(choice.message.content), dict)


def test_max_tokens_cutting_a_document_says_length(client, model):
    response = client.chat.completions.create(
        model=model,
        messages=person_messages(),
        temperature=0,
        max_tokens=3,
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": Person.model_json_schema()}},
    )
    assert response.choices[0].finish_reason == "length"
    with pytest.raises(openai.LengthFinishReasonError):
        client.chat.completions.parse(
            model=model, messages=person_messages(), response_format=Person, temperature=0, max_tokens=3
        )


@pytest.mark.parametrize(
    "schema, word",
    [
        ({"type": "string", "minLenght": 2}, "minLenght"),
        ({"type": "number", "multipleOf": 2}, "multipleOf"),
        ({"type": "string", "format": "hostname"}, "hostname"),
        ({"type": "string", "pattern": "(a)\\1"}, "back-references"),
        ({"$ref": "#/$defs/missing"}, "points at nothing"),
    ],
)
def test_a_schema_tern_cannot_enforce_is_a_400_naming_it(client, model, schema, word):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "x"}],
            max_tokens=4,
            response_format={"type": "json_schema", "json_schema": {"name": "s", "schema": schema}},
        )
    error = caught.value.body
    assert caught.value.status_code == 400
    assert error["param"] == "response_format"
    assert word in error["message"]


# A property test: random schemas within the supported subset, sampled at temperature 1 with different seeds.

def random_schema(rng: random.Random, depth: int = 0, defs: dict | None = None) -> dict:
    kinds = ["string", "integer", "number", "boolean", "enum", "null", "format", "pattern"]
    if depth < 2:
        kinds += ["object", "object", "array", "anyOf"]
    if defs is not None and depth < 2:
        kinds.append("ref")
    kind = rng.choice(kinds)
    if kind == "string":
        schema = {"type": "string", "maxLength": rng.randint(0, 12)}
        if rng.random() < 0.5:
            schema["minLength"] = rng.randint(0, schema["maxLength"])
        return schema
    if kind == "integer":
        schema = {"type": "integer"}
        if rng.random() < 0.7:
            low = rng.randint(-1000, 1000)
            schema["minimum"] = low
            if rng.random() < 0.7:
                schema["maximum"] = low + rng.randint(0, 5000)
        return schema
    if kind == "number":
        schema = {"type": "number"}
        if rng.random() < 0.5:
            schema["minimum"] = rng.choice([0, -5, 1.5])
            schema["exclusiveMaximum"] = schema["minimum"] + rng.choice([1, 10, 100.5])
        return schema
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "null":
        return {"type": ["null", "integer"]} if rng.random() < 0.5 else {"type": "null"}
    if kind == "enum":
        return {"enum": rng.sample(["red", "green", "blue", 1, 2.5, None, True, "a \"quoted\" word", "é"], rng.randint(1, 4))}
    if kind == "format":
        return {"type": "string", "format": rng.choice(["date", "time", "date-time", "uuid", "email"])}
    if kind == "pattern":
        return {"type": "string", "pattern": rng.choice(["^[A-Z][a-z]{1,6}$", "^\\d{3}-\\d{4}$", "^(yes|no)$", "^[a-f0-9]{4,8}$"])}
    if kind == "object":
        names = rng.sample(["id", "name", "value", "items", "kind", "note", "count", "flag"], rng.randint(1, 4))
        properties = {name: random_schema(rng, depth + 1, defs) for name in names}
        required = [name for name in names if rng.random() < 0.7]
        schema = {"type": "object", "properties": properties, "required": required}
        if rng.random() < 0.8:
            schema["additionalProperties"] = False
        return schema
    if kind == "array":
        schema = {"type": "array", "items": random_schema(rng, depth + 1, defs), "maxItems": rng.randint(0, 3)}
        schema["minItems"] = rng.randint(0, schema["maxItems"])
        return schema
    if kind == "anyOf":
        return {"anyOf": [random_schema(rng, depth + 1, defs) for _ in range(rng.randint(2, 3))]}
    name = f"d{len(defs)}"
    defs[name] = random_schema(rng, depth + 1, None)
    return {"$ref": f"#/$defs/{name}"}


def one_random_case(client, model, index: int):
    rng = random.Random(index)
    defs: dict = {}
    schema = random_schema(rng, 0, defs)
    if defs:
        schema = {"$defs": defs, **schema}
    response = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "Fill in this JSON."}],
        temperature=1,
        seed=index,
        max_tokens=96,
        response_format={"type": "json_schema", "json_schema": {"name": f"case{index}", "schema": schema}},
    )
    choice = response.choices[0]
    if choice.finish_reason != "stop":
        return schema, None
    try:
        document = json.loads(choice.message.content)
        VALIDATOR(schema, format_checker=FORMATS).validate(document)
    except (json.JSONDecodeError, jsonschema.ValidationError) as error:
        return schema, f"{choice.message.content!r}: {error}"
    return schema, "ok"


def test_random_schemas_always_validate(client, model):
    cases = 200
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: one_random_case(client, model, i), range(cases)))
    failures = [(schema, outcome) for schema, outcome in results if outcome not in (None, "ok")]
    assert not failures, "\n".join(f"{json.dumps(schema)} -> {outcome}" for schema, outcome in failures[:5])
    finished = sum(outcome == "ok" for _, outcome in results)
    # Most answers finish within 96 tokens; those cut by max_tokens are not counted either way.
    assert finished >= cases * 0.6, f"only {finished} of {cases} answers finished"
