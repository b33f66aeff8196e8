#!/usr/bin/env python3
"""Structured-output benchmark: decode speed with a nested `json_schema` against free text, Tern and llama-server.

For each server it streams chat requests at concurrency 1 and 8, once free (no response_format) and once with the
same nested schema, and reports decode tokens/s per stream (tokens after the first over the time after the first)
and the aggregate over the run. llama-server gets the same `response_format` (it turns the schema into a GBNF
grammar and checks candidate tokens against it). Tern's schema compile time is the difference between the first
request with a new schema and the same request again (max_tokens 1, both after the prompt is cached).

    python3 -m venv .build/bench-venv && .build/bench-venv/bin/pip install httpx
    swift build -c release
    LLAMA_SERVER=/path/to/llama-server .build/bench-venv/bin/python bench/structured_output.py

See bench/serving.py for how to get llama-server. Without LLAMA_SERVER only Tern is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import ROOT, Server, default_model, free_port, git_commit, llama_environment, machine  # noqa: E402

SCHEMA = {
    "type": "object",
    "properties": {
        "people": {
            "type": "array",
            "minItems": 6,
            "maxItems": 6,
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "maxLength": 24},
                    "age": {"type": "integer", "minimum": 0, "maximum": 120},
                    "city": {"type": "string", "maxLength": 24},
                    "hobbies": {"type": "array", "items": {"type": "string", "maxLength": 24}, "maxItems": 3},
                },
                "required": ["name", "age", "city", "hobbies"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["people"],
    "additionalProperties": False,
}
PROMPT = "Invent six people with their name, age, city and hobbies, as JSON."


def stream(url: str, model: str, max_tokens: int, schema: dict | None, seed: int) -> tuple[int, float]:
    """One streamed request: (tokens, seconds from the first token to the last)."""
    body = {
        "model": model,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": max_tokens,
        "temperature": 0.8,
        "seed": seed,
        "stream": True,
    }
    if schema is not None:
        body["response_format"] = {"type": "json_schema", "json_schema": {"name": "people", "schema": schema, "strict": True}}
    times: list[float] = []
    with httpx.stream("POST", url + "/v1/chat/completions", json=body, timeout=600) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                times.append(time.perf_counter())
    return len(times), (times[-1] - times[0]) if len(times) > 1 else 0.0


def run(url: str, model: str, concurrency: int, requests: int, max_tokens: int, schema: dict | None) -> dict:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda i: stream(url, model, max_tokens, schema, i), range(requests)))
    wall = time.perf_counter() - started
    per_stream = [(n - 1) / t for n, t in results if n > 1 and t > 0]
    return {
        "per_stream": statistics.mean(per_stream),
        "aggregate": sum(n for n, _ in results) / wall,
        "tokens": statistics.mean(n for n, _ in results),
    }


def compile_seconds(url: str, model: str) -> float:
    """The extra time of the first request with a new schema over the same request again."""
    schema = json.loads(json.dumps(SCHEMA))
    schema["properties"]["people"]["items"]["properties"]["city"]["maxLength"] = 23 + int(time.time()) % 7  # new text
    def once() -> float:
        started = time.perf_counter()
        stream(url, model, 1, schema, 0)
        return time.perf_counter() - started
    stream(url, model, 1, None, 0)  # the prompt into the prefix cache
    first = once()
    return first - min(once() for _ in range(3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tern", default=str(ROOT / ".build" / "release" / "tern"))
    parser.add_argument("--model", help="GGUF file (default: tern models path)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--requests", type=int, default=8, help="requests per measurement at concurrency 1 (×2 at 8)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "structured-output-benchmark.md"))
    args = parser.parse_args()
    model = args.model or default_model(Path(args.tern))
    name = Path(model).stem
    (ROOT / ".build").mkdir(exist_ok=True)
    servers = [("tern", [args.tern, "serve", "--model", model, "--threads", str(args.threads), "--no-auth", "--max-sequences", "8"], None)]
    llama = os.environ.get("LLAMA_SERVER") or shutil.which("llama-server")
    if llama:
        servers.append(("llama-server", [
            llama, "-m", model, "-t", str(args.threads), "-tb", str(args.threads), "--parallel", "8", "-c", "8192", "--cont-batching",
        ], llama_environment(llama)))  # fmt: skip
    else:
        print("LLAMA_SERVER is not set: measuring Tern only (see bench/serving.py).", file=sys.stderr)
    rows = []
    compile_time = None
    for server_name, command, env in servers:
        port = free_port()
        command = command + ["--host", "127.0.0.1", "--port", str(port)]
        server = Server(server_name, command, port, env=env)
        try:
            server.wait_ready()
            stream(server.url, name, 8, None, 0)  # warm up
            for concurrency in (1, 8):
                requests = args.requests * (1 if concurrency == 1 else 2)
                free = run(server.url, name, concurrency, requests, args.max_tokens, None)
                constrained = run(server.url, name, concurrency, requests, args.max_tokens, SCHEMA)
                rows.append((server_name, concurrency, free, constrained))
                print(server_name, concurrency, free, constrained, file=sys.stderr)
            if server_name == "tern":
                compile_time = compile_seconds(server.url, name)
        finally:
            server.stop()
    lines = [
        "# Structured output: decode speed with a nested json_schema",
        "",
        f"Machine: {machine()}. Commit {git_commit()}. Model {name}, {args.threads} threads, temperature 0.8, max_tokens "
        f"{args.max_tokens}. Command: `LLAMA_SERVER=… python bench/structured_output.py`.",
        "",
        "| server | streams | free tokens/s per stream | schema tokens/s per stream | ratio | free aggregate | schema aggregate | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for server_name, concurrency, free, constrained in rows:
        lines.append(
            f"| {server_name} | {concurrency} | {free['per_stream']:.1f} | {constrained['per_stream']:.1f} | "
            f"{constrained['per_stream'] / free['per_stream']:.2f} | {free['aggregate']:.1f} | {constrained['aggregate']:.1f} | "
            f"{constrained['aggregate'] / free['aggregate']:.2f} |"
        )
    tern_rows = {c: s for n, c, _, s in rows if n == "tern"}
    llama_rows = {c: s for n, c, _, s in rows if n == "llama-server"}
    if llama_rows:
        lines += ["", "Tern over llama-server with the schema, per stream: " + ", ".join(
            f"{c} stream{'s' if c > 1 else ''} {tern_rows[c]['per_stream'] / llama_rows[c]['per_stream']:.2f}×" for c in sorted(llama_rows)
        ) + "."]  # fmt: skip
    if compile_time is not None:
        lines += ["", f"Tern's first request with a new schema took {compile_time * 1000:.1f} ms longer than the same request again "
                  "(compiling the schema and the first masks)."]  # fmt: skip
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
