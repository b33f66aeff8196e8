#!/usr/bin/env python3
"""Embedding benchmark: Tern and llama.cpp's llama-server embedding the same texts, in one run.

For each model (the default decoder model, pooled by the mean, and a BERT model such as all-MiniLM-L6-v2) both
servers get the same threads and 8 parallel sequences; then 512 short texts are embedded, one text per request, by 8
concurrent clients (`POST /v1/embeddings`, `encoding_format: float`). It reports texts per second for each server,
their ratio, and how well the vectors agree: the two servers' vectors of a text embedded alone, and each server's
vectors from the concurrent run against its own of the same text alone.
It writes a markdown table to docs/embeddings-benchmark.md.

Setup as for bench/serving.py (httpx in a virtual environment, for the servers' health checks; LLAMA_SERVER pointing
at llama-server):

    LLAMA_SERVER=/path/to/llama-server .build/bench-venv/bin/python bench/embeddings.py \\
        --bert ~/.cache/tern/models/all-MiniLM-L6-v2.f32.gguf

The BERT model is written by `scripts/make_arch_fixtures.py minilm FOLDER` (or scripts/convert_bert_to_gguf.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import ROOT, Server, default_model, free_port, git_commit, llama_environment, machine  # noqa: E402

SUBJECTS = ["The committee", "A small dog", "My neighbour", "The new phone", "This recipe", "The river", "Our team",
            "The old library", "A quiet student", "The city council", "The weather", "That song", "The museum"]
VERBS = ["approved", "chased", "repaired", "described", "ignored", "celebrated", "questioned", "painted", "measured",
         "delivered", "explained", "visited", "forgot"]
OBJECTS = ["the annual budget", "a red ball across the park", "the broken fence after the storm", "every step in detail",
           "the warnings from the experts", "the anniversary with a concert", "the results of the survey",
           "the wall in bright colours", "the distance to the nearest town", "fresh bread to the whole street",
           "the rules of the game to the children", "the castle on the hill", "where the keys were"]
AGREEMENT_TEXTS = 32
ENDINGS = ["", " yesterday", " last week", " before lunch", " without telling anyone", " for the third time",
           " in the early morning", " despite the rain"]


def texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(ENDINGS)}." for _ in range(count)]


async def embed_all(url: str, model: str, inputs: list[str], concurrency: int) -> tuple[float, list[list[float]], int]:
    """Embeds every input, one per request, with `concurrency` clients; returns seconds, vectors and prompt tokens.

    Each client is a raw HTTP/1.1 keep-alive connection: on a two-core machine a full HTTP client library would spend
    as much CPU per request as the servers do, and the benchmark would measure it. Bodies are parsed after the clock stops.
    """
    host, port = url.removeprefix("http://").split(":")
    bodies: list[bytes | None] = [None] * len(inputs)
    queue = list(enumerate(inputs))
    queue.reverse()

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while queue:
                index, text = queue.pop()
                body = json.dumps({"model": model, "input": text, "encoding_format": "float"}).encode()
                writer.write(b"POST /v1/embeddings HTTP/1.1\r\nHost: " + host.encode() + b"\r\nContent-Type: application/json\r\n"
                             b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                head = await reader.readuntil(b"\r\n\r\n")
                status = head.split(b" ", 2)[1]
                fields = [line.lower() for line in head.split(b"\r\n")]
                length = next(int(line.split(b":", 1)[1]) for line in fields if line.startswith(b"content-length:"))
                bodies[index] = await reader.readexactly(length)
                if status != b"200":
                    raise SystemExit(f"{url}: HTTP {status.decode()}: {bodies[index][:300]!r}")
                if b"connection: close" in fields:
                    # llama-server ends a keep-alive connection after 100 requests
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, int(port))
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    parsed = [json.loads(body) for body in bodies]
    return seconds, [item["data"][0]["embedding"] for item in parsed], sum(item["usage"]["prompt_tokens"] for item in parsed)


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def measure(servers: dict[str, Server], model: str, inputs: list[str], concurrency: int, rounds: int) -> dict[str, dict]:
    """Every server embeds all of `inputs` once per round, the servers taking turns, so that a slower minute of the
    machine falls on all of them; the seconds add up over the rounds."""
    for server in servers.values():
        server.wait_ready()
        asyncio.run(embed_all(server.url, model, inputs[:16], concurrency))  # warm-up
    results = {name: {"seconds": 0.0} for name in servers}
    for _ in range(rounds):
        for name, server in servers.items():
            seconds, vectors, tokens = asyncio.run(embed_all(server.url, model, inputs, concurrency))
            results[name].update(seconds=results[name]["seconds"] + seconds, vectors=vectors, tokens=tokens)
    for name, server in servers.items():
        # The same texts one at a time: what each server computes for a text alone, to compare the servers.
        _, results[name]["alone"], _ = asyncio.run(embed_all(server.url, model, inputs[:AGREEMENT_TEXTS], 1))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tern", default=str(ROOT / ".build" / "release" / "tern"), help="the tern binary")
    parser.add_argument("--model", help="the decoder model (default: tern models path)")
    parser.add_argument("--bert", help="a BERT GGUF (all-MiniLM-L6-v2); left out: only the decoder model is measured")
    parser.add_argument("--texts", type=int, default=512)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="times each server embeds the texts, taking turns")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--out", default=str(ROOT / "docs" / "embeddings-benchmark.md"))
    args = parser.parse_args()
    llama = os.environ.get("LLAMA_SERVER")
    if not llama:
        raise SystemExit("set LLAMA_SERVER to the llama-server binary: the benchmark is a ratio against it")
    inputs = texts(args.texts, seed=7)
    models = [("decoder, mean pooling", args.model or default_model(Path(args.tern)))]
    if args.bert:
        models.append(("BERT", args.bert))
    rows = []
    for kind, path in models:
        name = Path(path).name.removesuffix(".gguf")
        # An encoder's F32 matrices are multiplied in bf16 where the CPU can: measured both ways.
        names = ("tern", "tern-f32", "llama-server") if kind == "BERT" else ("tern", "llama-server")
        servers = {}
        try:
            for server_name in names:
                port = free_port()
                if server_name.startswith("tern"):
                    command = [args.tern, "serve", "--no-auth", "--host", "127.0.0.1", "--port", str(port), "--model", path,
                               "--threads", str(args.threads), "--max-sequences", str(args.concurrency)]
                    command += ["--no-bf16"] if server_name == "tern-f32" else []
                    env = None
                else:
                    command = [llama, "-m", path, "--host", "127.0.0.1", "--port", str(port), "--embeddings", "--pooling", "mean",
                               "-t", str(args.threads), "-tb", str(args.threads), "-np", str(args.concurrency),
                               "-c", str(512 * args.concurrency), "--no-webui"]
                    env = llama_environment(llama)
                servers[server_name] = Server(f"embeddings-{server_name}", command, port, env)
            results = measure(servers, name, inputs, args.concurrency, args.rounds)
        finally:
            for server in servers.values():
                server.stop()
        tern, peer = results["tern"], results["llama-server"]
        total = args.texts * args.rounds
        row = {
            "model": f"{name} ({kind})", "tern": total / tern["seconds"], "peer": total / peer["seconds"],
            "tokens": tern["tokens"], "peer_tokens": peer["tokens"],
            "agreement": min(cosine(a, b) for a, b in zip(tern["alone"], peer["alone"])),
            "tern_batched": min(cosine(a, b) for a, b in zip(tern["alone"], tern["vectors"])),
            "peer_batched": min(cosine(a, b) for a, b in zip(peer["alone"], peer["vectors"])),
        }
        row["ratio"] = row["tern"] / row["peer"]
        if "tern-f32" in results:
            exact = results["tern-f32"]
            row["f32"] = total / exact["seconds"]
            row["f32_agreement"] = min(cosine(a, b) for a, b in zip(exact["alone"], tern["alone"]))
            print(f"{row['model']}: tern --no-bf16 {row['f32']:.1f} texts/s ({row['f32'] / row['peer']:.2f}x llama-server), "
                  f"min cosine to tern's default {row['f32_agreement']:.6f}", flush=True)
        rows.append(row)
        print(f"{row['model']}: tern {row['tern']:.1f} texts/s, llama-server {row['peer']:.1f} texts/s, "
              f"ratio {row['ratio']:.2f}, tokens {row['tokens']}/{row['peer_tokens']}, min cosine tern/llama-server "
              f"{row['agreement']:.6f}, batched/alone tern {row['tern_batched']:.6f} llama-server {row['peer_batched']:.6f}", flush=True)
    lines = [
        "# Embedding benchmark",
        "",
        f"{args.texts} short texts, one per `POST /v1/embeddings` request, {args.concurrency} concurrent clients, {args.rounds} rounds "
        f"with the servers taking turns; both servers with {args.threads} threads and {args.concurrency} parallel sequences. "
        f"Machine: {machine()}; commit {git_commit()}.",
        "",
        "Reproduce: `LLAMA_SERVER=… .build/bench-venv/bin/python bench/embeddings.py --bert …/all-MiniLM-L6-v2.f32.gguf`",
        "",
        f"The last three columns are smallest cosine similarities over the first {AGREEMENT_TEXTS} texts: Tern's and llama-server's "
        "vectors of a text embedded alone, then each server's vector from the concurrent run against its own of the text alone.",
        "",
        "On a CPU that multiplies bf16 pairs (AVX512_BF16), Tern rounds an embedding model's F32 matrices to bf16 by default; "
        "the BERT model is also measured with `--no-bf16` (f32 products, as llama-server computes).",
        "",
        "| model | Tern texts/s | llama-server texts/s | Tern / llama-server | prompt tokens (Tern / llama-server) | Tern vs llama-server "
        "| Tern batched vs alone | llama-server batched vs alone |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(f"| {row['model']} | {row['tern']:.1f} | {row['peer']:.1f} | {row['ratio']:.2f}× | {row['tokens']} / "
                     f"{row['peer_tokens']} | {row['agreement']:.6f} | {row['tern_batched']:.6f} | {row['peer_batched']:.6f} |")
    exact_rows = [row for row in rows if "f32" in row]
    if exact_rows:
        lines += ["", "| model | Tern `--no-bf16` texts/s | Tern `--no-bf16` / llama-server | `--no-bf16` vs default (cosine) |",
                  "|---|---:|---:|---:|"]
        for row in exact_rows:
            lines.append(f"| {row['model']} | {row['f32']:.1f} | {row['f32'] / row['peer']:.2f}× | {row['f32_agreement']:.6f} |")
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
