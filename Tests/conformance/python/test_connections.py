"""Keep-alive as clients rely on it: one connection carries many requests, whole, streamed and refused."""
try:  # the HTTP client under the pinned openai package
    import httpx2 as httpx
except ImportError:
    import httpx

MESSAGES = [{"role": "user", "content": "Name a color."}]


def test_ten_requests_through_one_client_use_one_connection(base_url, api_key, model):
    local_ports = []

    def record(response):
        # The client side of the TCP connection the answer came on.
        local_ports.append(response.extensions["network_stream"].get_extra_info("client_addr")[1])

    chat = {"model": model, "messages": MESSAGES, "max_tokens": 3}
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=base_url, headers=headers, event_hooks={"response": [record]}, timeout=120) as client:
        statuses = [
            client.get("/v1/models").status_code,
            client.get(f"/v1/models/{model}").status_code,
            client.post("/v1/chat/completions", json=chat).status_code,
            client.post("/v1/completions", json={"model": model, "prompt": "The sky is", "max_tokens": 3}).status_code,
            client.post("/v1/chat/completions", json={**chat, "model": "no-such-model"}).status_code,  # refusals keep it too
            client.post("/v1/chat/completions", json={**chat, "temperature": 9}).status_code,
            client.post("/v1/chat/completions", content=b'{"model":', headers={"Content-Type": "application/json"}).status_code,
        ]
        for path, body in [("/v1/chat/completions", chat), ("/v1/completions", {"model": model, "prompt": "Hi", "max_tokens": 3})]:
            # Read to the end, as a client that reuses connections does (the sync `openai` client stops at
            # `data: [DONE]` without reading the body's end, so it opens a new connection after each stream).
            with client.stream("POST", path, json={**body, "stream": True}) as streamed:
                text = "".join(streamed.iter_text())
                statuses.append(streamed.status_code)
            assert text.rstrip().endswith("data: [DONE]")
        statuses.append(client.get("/v1/models").status_code)
    assert statuses == [200, 200, 200, 200, 404, 400, 400, 200, 200, 200]
    assert len(local_ports) == 10
    assert len(set(local_ports)) == 1, local_ports
