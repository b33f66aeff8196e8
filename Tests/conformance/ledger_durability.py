"""A delivered response is in the usage ledger even when the server is killed with SIGKILL right after.

    ledger_durability.py kill PID     # three requests with a fresh key, read to the end, then SIGKILL the server
    ledger_durability.py verify       # after a restart: the ledger (through the admin API) still holds them

Needs TERN_URL, TERN_BIN, TERN_ADMIN_KEY and the data folder of the server in TERN_DATA_DIR.
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import openai

NAME = "durability"


def usage_from_cli():
    out = subprocess.run([os.environ["TERN_BIN"], "keys", "usage", "--json"], check=True, capture_output=True, text=True).stdout
    return next(row for row in json.loads(out) if row["name"] == NAME)


def kill(pid):
    key = subprocess.run([os.environ["TERN_BIN"], "keys", "create", "--name", NAME], check=True, capture_output=True, text=True)
    client = openai.OpenAI(base_url=os.environ["TERN_URL"] + "/v1", api_key=key.stdout.strip(), max_retries=0, timeout=120)
    messages = [{"role": "user", "content": "Name a fruit."}]
    whole = client.chat.completions.create(model="gpt-4", messages=messages, max_tokens=5).usage
    chunks = list(
        client.chat.completions.create(
            model="gpt-4", messages=messages, max_tokens=6, stream=True, stream_options={"include_usage": True}
        )
    )
    streamed = chunks[-1].usage
    legacy = client.completions.create(model="gpt-4", prompt="The sea is", max_tokens=4).usage
    # The last byte of the last response has been read: kill at once, no time to flush anything.
    os.kill(pid, signal.SIGKILL)
    expected = {
        "requests": 3,
        "prompt_tokens": whole.prompt_tokens + streamed.prompt_tokens + legacy.prompt_tokens,
        "completion_tokens": whole.completion_tokens + streamed.completion_tokens + legacy.completion_tokens,
    }
    with open(os.path.join(os.environ["TERN_DATA_DIR"], "durability-expected.json"), "w") as file:
        json.dump(expected, file)
    row = usage_from_cli()
    got = {field: row[field] for field in expected}
    assert got == expected, f"ledger after SIGKILL: {got}, responses said {expected}"
    print(f"ledger after SIGKILL holds all {expected['requests']} delivered responses: {got}")


def verify():
    with open(os.path.join(os.environ["TERN_DATA_DIR"], "durability-expected.json")) as file:
        expected = json.load(file)
    request = urllib.request.Request(
        os.environ["TERN_URL"] + "/admin/usage", headers={"Authorization": "Bearer " + os.environ["TERN_ADMIN_KEY"]}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        rows = json.loads(response.read())["data"]
    row = next(row for row in rows if row["name"] == NAME)
    got = {field: row[field] for field in expected}
    assert got == expected, f"ledger after restart: {got}, expected {expected}"
    print(f"after the restart the server reports the same: {got}")


if __name__ == "__main__":
    if sys.argv[1] == "kill":
        kill(int(sys.argv[2]))
    else:
        verify()
