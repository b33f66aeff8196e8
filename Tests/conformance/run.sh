#!/usr/bin/env bash
# Conformance against a live `tern serve` on 127.0.0.1: the official `openai` Python package (pytest), Node's built-in
# fetch (node --test) and a bounded schemathesis run against the served /openapi.json. Starts the server on a free port
# with the test model and `gpt-4` as an alias, waits for /health, runs the suites, then stops the server with SIGTERM
# and checks that it exits cleanly; then serves the same data folder over TLS for the TLS suite, and last runs the
# operator's tests of `tern serve` (Tests/conformance/cli), which start servers of their own, as do the upstream,
# replica and web page suites.
#
#   TERN_TEST_MODEL=path/to/SmolLM2-135M-Instruct.Q4_1.gguf Tests/conformance/run.sh
#
# Environment: TERN_BIN (the tern executable; default: build and use the debug build), CONFORMANCE_VENV (where the
# pinned Python packages go; default .build/conformance-venv), SCHEMATHESIS_MAX_EXAMPLES (default 10),
# SCHEMATHESIS_MAX_TIME (seconds, default 300), CONFORMANCE_THREADS (compute threads of the server, default 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
here=Tests/conformance

if [ -z "${TERN_TEST_MODEL:-}" ]; then
    echo "TERN_TEST_MODEL is not set: point it at SmolLM2-135M-Instruct.Q4_1.gguf (tern models path prints it)" >&2
    exit 1
fi

venv=${CONFORMANCE_VENV:-.build/conformance-venv}
if ! cmp -s "$here/requirements.txt" "$venv/requirements.txt"; then
    echo "== installing pinned clients into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$venv/requirements.txt"
fi

bin=${TERN_BIN:-}
if [ -z "$bin" ]; then
    swift build --product tern
    bin="$(swift build --show-bin-path)/tern"
fi
export TERN_BIN="$bin"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
model_id=$(basename "$TERN_TEST_MODEL" .gguf)
log=$(mktemp)
data_dir=$(mktemp -d)
export TERN_DATA_DIR="$data_dir"
pid=""
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    rm -rf "$log" "$data_dir"
}
trap cleanup EXIT

# Keys made the way an operator makes them: the suites use the first; the others are for 401/403/429 tests.
# schemathesis sends thousands of requests a minute: its key gets limits well above the server defaults.
TERN_API_KEY=$("$bin" keys create --name conformance --rpm 100000 --tpm 100000000)
TERN_ADMIN_KEY=$("$bin" keys create --name conformance-admin --admin)
TERN_LIMITED_KEY=$("$bin" keys create --name limited --models some-other-model)
TERN_BUDGET_KEY=$("$bin" keys create --name budget --budget-tokens 1 --budget-period day)
export TERN_API_KEY TERN_ADMIN_KEY TERN_LIMITED_KEY TERN_BUDGET_KEY

start_server() {
    # A small context keeps requests without max_tokens (as a browser app sends them) short, yet holds a prompt with
    # tool descriptions (about 200 tokens) and its calls; one compute thread is steadier than two on a busy two-core
    # machine.
    "$bin" serve --model "$TERN_TEST_MODEL" --host 127.0.0.1 --port "$port" --model-alias "gpt-4=$model_id" \
        --ctx 512 --threads "${CONFORMANCE_THREADS:-1}" --max-sequences 4 --grace-period 20 \
        --cors-origin http://app.example "$@" >>"$log" 2>&1 &
    pid=$!
}
start_server

export TERN_URL="http://127.0.0.1:$port"
# Waits until /health of URL answers 200 (CA: the certificate authority to trust for https), or fails with the log.
wait_ready() {
    local url=$1 server=$2 ca=${3:-}
    echo "== waiting for $url/health"
    for _ in $(seq 1 1200); do
        if ! kill -0 "$server" 2>/dev/null; then
            echo "tern serve exited early:" >&2
            cat "$log" >&2
            exit 1
        fi
        if python3 -c 'import ssl, sys, urllib.request
context = ssl.create_default_context(cafile=sys.argv[2]) if sys.argv[2] else None
urllib.request.urlopen(sys.argv[1] + "/health", timeout=2, context=context)' "$url" "$ca" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "tern serve never became ready:" >&2
    cat "$log" >&2
    exit 1
}
wait_ready "$TERN_URL" "$pid"

status=0
echo "== usage ledger: three responses read to the end, then SIGKILL, then restart on the same data folder"
"$venv/bin/python" "$here/ledger_durability.py" kill "$pid" || status=1
wait "$pid" 2>/dev/null || true
start_server
wait_ready "$TERN_URL" "$pid"
"$venv/bin/python" "$here/ledger_durability.py" verify || status=1

echo "== openai Python SDK (pytest)"
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$here/python" || status=1

echo "== Node fetch (node --test)"
node --test "$here/node/" || status=1

echo "== tern chat --url (two turns piped in)"
chat_out=$(printf 'Name a color.\nName another one.\n' | "$bin" chat --url "$TERN_URL" --temperature 0 --max-tokens 8) || status=1  # key: TERN_API_KEY
# One answer line per turn, each non-empty: the conversation went through the server twice.
if [ "$(printf '%s\n' "$chat_out" | grep -c .)" -lt 2 ]; then
    echo "tern chat: expected two answers, got:" >&2
    printf '%s\n' "$chat_out" >&2
    status=1
else
    echo "tern chat: two answers streamed"
fi

echo "== schemathesis against /openapi.json"
# Run from .build so that schemathesis' own cache folder stays out of the work tree.
hooks_dir="$PWD/$here"
venv_abs="$(cd "$venv" && pwd)"
(cd .build && SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$hooks_dir" "$venv_abs/bin/schemathesis" run "$TERN_URL/openapi.json" --url "$TERN_URL" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-10}" --max-time "${SCHEMATHESIS_MAX_TIME:-300}" --request-timeout 120 \
    --workers 1 --seed 1 --generation-deterministic --header "Authorization: Bearer $TERN_API_KEY") || status=1
# The admin API with the admin key (the run above meets it with a user key: 403): keys made, listed, revoked at random.
(cd .build && "$venv_abs/bin/schemathesis" run "$TERN_URL/openapi.json" --url "$TERN_URL" --include-path-regex '^/admin/' \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-10}" --max-time 60 --request-timeout 60 \
    --workers 1 --seed 1 --generation-deterministic --header "Authorization: Bearer $TERN_ADMIN_KEY") || status=1

echo "== graceful stop (SIGTERM)"
kill -TERM "$pid"
if wait "$pid"; then
    echo "tern serve exited cleanly"
else
    echo "tern serve exited with status $? after SIGTERM:" >&2
    cat "$log" >&2
    status=1
fi

# One server per data folder: the TLS server takes the folder (and its keys) over from the plain one.
echo "== TLS: HTTPS and HTTP/2 by ALPN with a certificate made here, verified by the openai SDK"
tls_dir="$data_dir/tls"
mkdir -p "$tls_dir"
(
    cd "$tls_dir"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=Tern test CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext 2>/dev/null
)
port=$(free_port)
start_server --tls-cert "$tls_dir/server.pem" --tls-key "$tls_dir/server.key"
wait_ready "https://127.0.0.1:$port" "$pid" "$tls_dir/ca.pem"
TERN_TLS_URL="https://127.0.0.1:$port" TERN_TLS_CA="$tls_dir/ca.pem" \
    "$venv/bin/python" -m pytest -q -p no:cacheprovider "$here/tls" || status=1
kill -TERM "$pid"
wait "$pid" || { echo "the TLS server did not stop cleanly" >&2; status=1; }

echo "== tern serve as an operator starts it (first key, refusals, data folder lock, private files, descriptors)"
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$here/cli" || status=1

echo "== models of an upstream server (tern serve --upstream) through the openai SDK"
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$here/upstreams" || status=1

echo "== three replicas on one PostgreSQL database behind nginx (deploy/nginx.conf)"
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$here/replicas" || status=1

echo "== the chat page and the console in headless Chromium (selenium)"
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$here/webui" || status=1

if [ "$status" != 0 ]; then
    echo "== tern serve log" >&2
    cat "$log" >&2
fi
exit "$status"
