"""llama.cpp server's utility routes as its users' scripts call them: /tokenize, /detokenize, /apply-template."""
try:  # the HTTP client under the pinned openai package
    import httpx2 as httpx
except ImportError:
    import httpx

from conftest import key


def post(base_url, path, body, api_key):
    return httpx.post(base_url + path, json=body, headers={"Authorization": f"Bearer {api_key}"}, timeout=60)


def test_tokenize_detokenize_round_trip(base_url, api_key):
    text = "<|im_start|>user\nWhat is 2 + 2?<|im_end|>"
    tokens = post(base_url, "/tokenize", {"content": text}, api_key).json()["tokens"]
    assert all(isinstance(token, int) for token in tokens) and len(tokens) > 4
    assert post(base_url, "/detokenize", {"tokens": tokens}, api_key).json() == {"content": text}
    pieces = post(base_url, "/tokenize", {"content": text, "with_pieces": True}, api_key).json()["tokens"]
    assert [piece["id"] for piece in pieces] == tokens
    assert "".join(piece["piece"] for piece in pieces) == text


def test_apply_template_is_the_prompt_a_chat_completion_reads(base_url, api_key, client, model):
    messages = [{"role": "user", "content": "Name a color."}]
    prompt = post(base_url, "/apply-template", {"messages": messages}, api_key).json()["prompt"]
    assert prompt.endswith("<|im_start|>assistant\n") and "Name a color." in prompt
    tokens = post(base_url, "/tokenize", {"content": prompt}, api_key).json()["tokens"]
    answer = client.chat.completions.create(model=model, messages=messages, max_tokens=1)
    assert answer.usage.prompt_tokens == len(tokens)


def test_the_routes_need_a_key_and_respect_its_models(base_url):
    for path, body in [("/tokenize", {"content": "a"}), ("/detokenize", {"tokens": [1]}), ("/apply-template", {"messages": [{"role": "user", "content": "a"}]})]:
        assert httpx.post(base_url + path, json=body, timeout=60).status_code == 401
        # A key for another model may not use this one's tokenizer.
        refused = post(base_url, path, body, key("TERN_LIMITED_KEY"))
        assert refused.status_code == 403, refused.text
