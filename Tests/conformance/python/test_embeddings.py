"""`client.embeddings.create` of the official SDK against /v1/embeddings (the default model, pooled by the mean)."""
import base64
import math
import struct

import openai
import pytest

try:  # the HTTP client under the pinned openai package
    import httpx2 as httpx
except ImportError:
    import httpx

from conftest import key, make_client


def length(vector):
    return math.sqrt(sum(value * value for value in vector))


def test_one_text(client, model):
    result = client.embeddings.create(model=model, input="The quick brown fox jumps over the lazy dog.")
    assert result.object == "list" and result.model == model
    assert len(result.data) == 1 and result.data[0].index == 0 and result.data[0].object == "embedding"
    vector = result.data[0].embedding
    assert len(vector) == 576 and abs(length(vector) - 1) < 1e-5
    assert result.usage.prompt_tokens == result.usage.total_tokens == 10


def test_many_texts_keep_their_order_and_match_one_at_a_time(client, model):
    texts = ["A red apple.", "The stock market fell sharply today.", "A green apple.", "Quantum physics is hard."]
    together = client.embeddings.create(model=model, input=texts)
    assert [item.index for item in together.data] == [0, 1, 2, 3]
    for index, text in enumerate(texts):
        alone = client.embeddings.create(model=model, input=text).data[0].embedding
        assert max(abs(a - b) for a, b in zip(alone, together.data[index].embedding)) < 1e-5


def test_float_and_base64_carry_the_same_vector(client, model):
    # The SDK asks for base64 and decodes it itself unless told otherwise.
    default = client.embeddings.create(model=model, input="hello world").data[0].embedding
    floats = client.embeddings.create(model=model, input="hello world", encoding_format="float").data[0].embedding
    assert max(abs(a - b) for a, b in zip(default, floats)) <= 1e-6
    raw = client.embeddings.with_raw_response.create(model=model, input="hello world", encoding_format="base64").http_response.json()
    decoded = struct.unpack("<576f", base64.b64decode(raw["data"][0]["embedding"]))
    assert max(abs(a - b) for a, b in zip(decoded, floats)) <= 1e-6


def test_token_arrays(client, model, base_url, api_key):
    ids = httpx.post(base_url + "/tokenize", json={"content": "hello world"}, headers={"Authorization": f"Bearer {api_key}"}).json()["tokens"]
    by_ids = client.embeddings.create(model=model, input=[ids, ids[:1]], encoding_format="float")
    by_text = client.embeddings.create(model=model, input="hello world", encoding_format="float")
    assert max(abs(a - b) for a, b in zip(by_ids.data[0].embedding, by_text.data[0].embedding)) < 1e-5
    assert by_ids.usage.prompt_tokens == len(ids) + 1


def test_errors_are_the_sdks_exceptions(client, model, base_url):
    with pytest.raises(openai.BadRequestError) as shortened:
        client.embeddings.create(model=model, input="hello", dimensions=64)
    assert shortened.value.body["param"] == "dimensions"
    with pytest.raises(openai.BadRequestError) as too_long:
        client.embeddings.create(model=model, input="word " * 5000)
    assert too_long.value.body["code"] == "context_length_exceeded"
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="no-such-model", input="hello")
    with pytest.raises(openai.AuthenticationError):
        make_client(base_url, "tern-wrong").embeddings.create(model=model, input="hello")
    with pytest.raises(openai.PermissionDeniedError):
        make_client(base_url, key("TERN_LIMITED_KEY")).embeddings.create(model=model, input="hello")
