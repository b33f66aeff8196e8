#!/usr/bin/env python3
"""What a gateway adds: Tern proxying to an upstream that answers at once, against LiteLLM's proxy, in one run.

The upstream is nginx (Debian's package) answering every POST with a fixed chat completion. In front of it, each
with one key that may use the model, are:

  * Tern with its SQLite data folder (`tern serve --upstream fast=...`), keys, limits and ledger on;
  * Tern with a PostgreSQL database (`--database`), when TERN_TEST_POSTGRES_URL names a server it may create a
    database on (scripts/postgres.sh starts one);
  * LiteLLM's proxy (`litellm --config`, master key, the deployment's rpm limit), when LITELLM points at its
    `litellm` executable (PyPI `litellm[proxy]` in a virtual environment), with 2 workers.

wrk (Debian's package) measures each, and the upstream alone:

  * latency at ~500 requests/s: 16 connections, each waiting 30 ms between requests; added = through the gateway
    minus straight to the upstream, at p50 and p99;
  * requests/s at concurrency 64, as fast as each goes.

It writes docs/gateway-benchmark.md:

    TERN_TEST_POSTGRES_URL=... LITELLM=/path/to/venv/bin/litellm python3 bench/gateway.py
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import ROOT, free_port, git_commit, machine  # noqa: E402

ANSWER = ('{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"fast","choices":[{"index":0,"message":'
          '{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,'
          '"total_tokens":6}}')
BODY = '{"model":"fast","messages":[{"role":"user","content":"Hi"}],"max_tokens":8}'


def wait_for(url: str, process: subprocess.Popen, seconds: float = 120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the server exited")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"{url} never answered")


def wrk(url: str, key: str, connections: int, paced: bool, folder: Path) -> dict:
    """p50, p99 (ms) and requests/s of wrk against `url`."""
    script = folder / f"wrk-{connections}-{paced}.lua"
    lines = ['wrk.method = "POST"', f"wrk.body = '{BODY}'", 'wrk.headers["Content-Type"] = "application/json"',
             f'wrk.headers["Authorization"] = "Bearer {key}"']
    if paced:
        lines.append("function delay() return 30 end")
    script.write_text("\n".join(lines) + "\n")
    threads = "1" if connections <= 16 else "2"
    out = subprocess.run(["wrk", "-t", threads, "-c", str(connections), "-d", "15s", "--latency", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout

    def milliseconds(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"p50": milliseconds("50%"), "p99": milliseconds("99%"), "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "errors": int(errors.group(1)) if errors else 0}


def main() -> None:
    tern = ROOT / ".build" / "release" / "tern"
    if not tern.exists():
        raise SystemExit("build Tern first: swift build -c release")
    folder = Path(tempfile.mkdtemp(prefix="tern-gateway-"))
    processes: list[subprocess.Popen] = []
    try:
        upstream_port = free_port()
        nginx_folder = folder / "nginx"
        nginx_folder.mkdir()
        (nginx_folder / "nginx.conf").write_text(
            "daemon off;\n" + ("user root;\n" if os.geteuid() == 0 else "") +
            f"worker_processes 1;\npid {nginx_folder}/nginx.pid;\nerror_log {nginx_folder}/error.log;\n"
            "events { worker_connections 4096; }\nhttp {\n  access_log off;\n"
            + "".join(f"  {kind}_temp_path {nginx_folder}/{kind};\n" for kind in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
            + f"  server {{\n    listen 127.0.0.1:{upstream_port};\n    location / {{\n      default_type application/json;\n"
            f"      return 200 '{ANSWER}';\n    }}\n  }}\n}}\n")
        nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(nginx_folder / "nginx.conf"), "-p",
                                  str(nginx_folder), "-e", str(nginx_folder / "error.log")])
        processes.append(nginx)
        upstream = f"http://127.0.0.1:{upstream_port}/v1"
        wait_for(upstream + "/models", nginx)

        rows = {}

        def measure(label: str, url: str, key: str, server: subprocess.Popen | None):
            """Measures one gateway alone on the machine: the others are stopped, so none takes its CPU."""
            wrk(url, key, 16, True, folder)  # warm-up
            rows[label] = {"paced": wrk(url, key, 16, True, folder), "max": wrk(url, key, 64, False, folder)}
            print(label, rows[label], file=sys.stderr)
            if server:
                server.terminate()
                server.wait(timeout=60)

        measure("upstream alone", upstream + "/chat/completions", "none", None)

        def tern_gateway(label: str, *state: str):
            port = free_port()
            key = subprocess.run([str(tern), "keys", "create", "--name", "bench", "--rpm", "100000000", "--tpm", "1000000000", *state],
                                 capture_output=True, text=True, check=True).stdout.strip()
            server = subprocess.Popen([str(tern), "serve", "--port", str(port), "--threads", "1",
                                       "--upstream", f"fast={upstream}", *state],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            processes.append(server)
            wait_for(f"http://127.0.0.1:{port}/health", server)
            measure(label, f"http://127.0.0.1:{port}/v1/chat/completions", key, server)

        tern_gateway("Tern, SQLite", "--data-dir", str(folder / "tern-data"))
        postgres = os.environ.get("TERN_TEST_POSTGRES_URL")
        database = None
        if postgres:
            database = "tern_gateway_bench"
            subprocess.run(["psql", postgres, "-qc", f"DROP DATABASE IF EXISTS {database}"], check=True)
            subprocess.run(["psql", postgres, "-qc", f"CREATE DATABASE {database}"], check=True)
            tern_gateway("Tern, PostgreSQL", "--database", urlunsplit(urlsplit(postgres)._replace(path="/" + database)))
        litellm = os.environ.get("LITELLM")
        if litellm:
            port = free_port()
            (folder / "litellm.yaml").write_text(
                "model_list:\n  - model_name: fast\n    litellm_params:\n      model: openai/fast\n"
                f"      api_base: {upstream}\n      api_key: upstream-key\n      rpm: 100000000\n"
                "general_settings:\n  master_key: sk-bench-key\n")
            server = subprocess.Popen([litellm, "--config", str(folder / "litellm.yaml"), "--host", "127.0.0.1", "--port", str(port),
                                       "--num_workers", "2"], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      env={**os.environ, "LITELLM_LOG": "ERROR"})
            processes.append(server)
            wait_for(f"http://127.0.0.1:{port}/health/liveliness", server, seconds=300)
            measure("LiteLLM proxy", f"http://127.0.0.1:{port}/v1/chat/completions", "sk-bench-key", server)

        base = rows["upstream alone"]["paced"]
        command = "TERN_TEST_POSTGRES_URL=... LITELLM=... python3 bench/gateway.py"
        lines = [
            "# What a gateway adds: Tern and LiteLLM's proxy in front of an upstream that answers at once",
            "",
            f"Measured by `{command}` on {machine()}, commit {git_commit()}. The upstream is nginx returning a fixed chat",
            "completion; each gateway has one key that may use the model, with limits far above the load. Tern writes every",
            "request's ledger row durably before answering (SQLite: one fsync per batch of rows; PostgreSQL: one commit).",
            "LiteLLM runs with its master key and 2 workers (its per-key limits need its own database). Each gateway runs",
            "alone while it is measured.",
            "",
            "*paced*: wrk with 16 connections, each waiting 30 ms between requests (about 500 requests/s when the gateway",
            "keeps up); *added*: the gateway's percentile minus the upstream's own. *max*: requests/s with 64 connections.",
            "",
            "| | p50 ms | p99 ms | added p50 ms | added p99 ms | requests/s paced | requests/s at 64 | errors |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for label, row in rows.items():
            paced, peak = row["paced"], row["max"]
            added = "" if label == "upstream alone" else f"{paced['p50'] - base['p50']:.2f} | {paced['p99'] - base['p99']:.2f}"
            lines.append(f"| {label} | {paced['p50']:.2f} | {paced['p99']:.2f} | {added or ' | '} | {paced['rps']:.0f} | "
                         f"{peak['rps']:.0f} | {paced['errors'] + peak['errors']} |")
        lines += [
            "",
            "## Where Tern's time goes",
            "",
            "One request at a time (`wrk -c1 -d8s` against servers started as this script starts them, commit 31f8f71), a",
            "proxied chat completion takes 0.67 ms against the upstream's 0.052 ms. Taken apart on the SQLite server:",
            "",
            "| request | p50 ms |",
            "|---|---|",
            "| `GET /health` (no key) | 0.115 |",
            "| `GET /v1/models`, `--no-auth` | 0.112 |",
            "| `GET /v1/models` with a key: lookup, limits, a durable ledger row | 0.39 |",
            "| the same without the ledger row (a build with the write taken out, not a setting) | 0.23 |",
            "| the same with the row but without its fsync (a build with `synchronous=NORMAL`) | 0.31 |",
            "| proxied chat completion, `--no-auth` | 0.31 |",
            "| proxied chat completion with a key | 0.67 |",
            "| proxied chat completion with a key, without the ledger row (the first build) | 0.47 |",
            "",
            "So of the 0.28 ms a key adds to `GET /v1/models` (the 1 ms of earlier builds is gone with the key cache), the",
            "ledger row is 0.16 (its fsync 0.08, the rest sqlite-nio's hops to its thread pool and back) and the key lookup,",
            "admission, settlement and the task that writes the row 0.12; the proxy itself adds 0.2 ms over `/health`. The",
            "server is busy, not only waiting: its CPU time is 0.47 ms per request at 500 requests/s (from /proc, utime +",
            "stime over the requests served), half of it in the kernel (futex wake-ups between NIO's event loops, Swift's",
            "task pool and NIO's blocking pool; socket reads and writes; the fsync) and the rest spread thin over allocation,",
            "reference counting and the runtime, with no hot spot in `perf record`. Running Swift's tasks on NIO's event",
            "loops (`NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor`) was tried and",
            "left out: 0.653 ms at c=1 instead of 0.668, 5547 requests/s at 64 instead of 7073.",
            "",
            "Next: the ledger's writes on a thread of their own calling SQLite directly (one hop, no pool), the settlement",
            "folded into the same hand-off, fewer allocations per request; with PostgreSQL, admission, reservation and",
            "settlement folded into fewer statements.",
        ]
        (ROOT / "docs" / "gateway-benchmark.md").write_text("\n".join(lines) + "\n")
        if database:
            subprocess.run(["psql", postgres, "-qc", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], check=False)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
