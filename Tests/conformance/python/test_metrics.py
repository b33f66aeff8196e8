"""GET /metrics read as a Prometheus scraper reads it: with Prometheus' own Python parser, and a key for no served model."""
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from conftest import key


def scrape(base_url):
    """The families' types and every sample's value, keyed by name and labels."""
    request = urllib.request.Request(base_url + "/metrics", headers={"Authorization": f"Bearer {key('TERN_LIMITED_KEY')}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        text = response.read().decode()
    types, samples = {}, {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            labels = dict(sample.labels)
            # The server serves one model: every series but the build's names it.
            assert family.name == "tern_build_info" or labels.pop("model", "") != "", sample
            samples[(sample.name, tuple(sorted(labels.items())))] = sample.value
    return types, samples


def value(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


def idle(base_url):
    """The samples once nothing runs or waits (a stream an earlier test left may still be winding down)."""
    for _ in range(600):
        _, samples = scrape(base_url)
        if value(samples, "tern_requests_running") == 0 and value(samples, "tern_requests_waiting") == 0:
            return samples
        time.sleep(0.05)
    raise AssertionError("the server never became idle")


def test_every_family_parses_with_its_type(base_url):
    types, samples = scrape(base_url)
    assert types["tern_requests"] == "counter"  # the parser names a counter's family without `_total`
    assert types["tern_generation_tokens"] == "counter"
    assert types["tern_kv_cache_bytes"] == "gauge"
    assert types["tern_time_to_first_token_seconds"] == "histogram"
    assert value(samples, "tern_model_ready") == 1
    assert value(samples, "tern_kv_cache_bytes") <= value(samples, "tern_kv_cache_budget_bytes")
    buckets = sorted(
        (float(labels[0][1]), count) for (name, labels), count in samples.items() if name == "tern_time_to_first_token_seconds_bucket"
    )
    assert [count for _, count in buckets] == sorted(count for _, count in buckets)  # cumulative
    assert buckets[-1] == (float("inf"), value(samples, "tern_time_to_first_token_seconds_count"))


def test_a_completion_is_counted_as_its_usage_says(base_url, client, model):
    before = idle(base_url)
    completion = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Name three colors."}], max_tokens=5, temperature=0
    )
    after = idle(base_url)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("tern_requests_total", outcome="finished") == 1
    assert grew("tern_prompt_tokens_total") == completion.usage.prompt_tokens
    assert grew("tern_generation_tokens_total") == completion.usage.completion_tokens
    cached = completion.usage.prompt_tokens_details.cached_tokens if completion.usage.prompt_tokens_details else 0
    assert grew("tern_prompt_tokens_cached_total") == cached
    assert grew("tern_time_to_first_token_seconds_count") == 1
    assert grew("tern_scheduler_steps_total") >= 1
