"""Fixtures for the OpenAI SDK conformance suite: a client pointed at a running `tern serve`."""
import os

import openai
import pytest


@pytest.fixture(scope="session")
def base_url() -> str:
    url = os.environ.get("TERN_URL")
    if not url:
        pytest.fail("TERN_URL is not set: run Tests/conformance/run.sh, which starts `tern serve` and sets it")
    return url.rstrip("/")


def key(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run Tests/conformance/run.sh, which makes keys with `tern keys create`")
    return value


@pytest.fixture(scope="session")
def api_key() -> str:
    return key("TERN_API_KEY")


def make_client(base_url: str, api_key: str) -> openai.OpenAI:
    # Retries are off so that every error surfaces once, as the exception the SDK maps it to.
    return openai.OpenAI(base_url=base_url + "/v1", api_key=api_key, max_retries=0, timeout=120)


@pytest.fixture(scope="session")
def client(base_url: str, api_key: str) -> openai.OpenAI:
    return make_client(base_url, api_key)


@pytest.fixture(scope="session")
def model() -> str:
    return "gpt-4"
