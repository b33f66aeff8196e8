#!/usr/bin/env python3
"""How often a request with no sampling fields ends by itself: the README's first request, sent many times.

Each request carries only `model` and `messages` ("How does AI work?"), as the simplest client sends it, so the
server's defaults decide the sampling and the length. Reports, per run, how many answers ended by themselves
(`finish_reason: "stop"`) and how many ran to the token cap, with their lengths and times.

    swift build -c release
    .build/release/tern serve --no-auth --threads 2 --data-dir /tmp/tern-seed &
    python3 bench/seed_request.py --url http://127.0.0.1:8080 --runs 16
    python3 bench/seed_request.py --url http://127.0.0.1:8080 --runs 30 --max-tokens 700 --field repetition_penalty=1.1

Needs only Python's standard library.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import urllib.request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--key", default="", help="an API key (not needed with --no-auth)")
    parser.add_argument("--model", default="SmolLM2-135M-Instruct.Q4_1")
    parser.add_argument("--runs", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, help="bound each answer (default: the server's cap)")
    parser.add_argument("--field", action="append", default=[], help="an extra request field, NAME=JSON (repeatable)")
    args = parser.parse_args()

    body = {"model": args.model, "messages": [{"role": "user", "content": "How does AI work?"}]}
    if args.max_tokens:
        body["max_tokens"] = args.max_tokens
    for field in args.field:
        name, value = field.split("=", 1)
        body[name] = json.loads(value)
    headers = {"Content-Type": "application/json"}
    if args.key:
        headers["Authorization"] = f"Bearer {args.key}"

    ended, capped = [], []
    for run in range(args.runs):
        request = urllib.request.Request(args.url + "/v1/chat/completions", data=json.dumps(body).encode(), headers=headers)
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=3600) as response:
            answer = json.load(response)
        seconds = time.monotonic() - started
        tokens = answer["usage"]["completion_tokens"]
        reason = answer["choices"][0]["finish_reason"]
        (ended if reason == "stop" else capped).append((tokens, seconds))
        print(f"run {run + 1:3d}: {reason:6s} {tokens:5d} tokens in {seconds:6.1f} s")

    print(f"\n{len(ended)} of {args.runs} ended by themselves, {len(capped)} ran to the cap")
    for label, group in (("ended", ended), ("capped", capped)):
        if group:
            tokens = [t for t, _ in group]
            seconds = [s for _, s in group]
            print(
                f"  {label}: tokens median {statistics.median(tokens):.0f} (max {max(tokens)}), "
                f"seconds median {statistics.median(seconds):.1f} (max {max(seconds):.1f})")


if __name__ == "__main__":
    main()
