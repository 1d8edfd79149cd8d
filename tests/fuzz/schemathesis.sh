#!/usr/bin/env bash
# Fuzzes the reference emulator (`cts-conform serve`, no auth) with Schemathesis, driven
# by our own contract schemas/cts-v3.openapi.json: no 5xx, every status documented, every
# body valid against its schema, content types and headers as documented, negative data
# rejected. Loopback only; bounded in examples and in time; exits non-zero on any failure.
#
#   tests/fuzz/schemathesis.sh            # ~1-2 minutes on 2 cores (debug build)
#   ST_MAX_EXAMPLES=200 tests/fuzz/schemathesis.sh
#
# Environment: ST_VENV (default target/schemathesis-venv), ST_MAX_EXAMPLES (default 200
# per operation and phase), ST_SEED (default 20240601), ST_TIME_LIMIT (default 170 s for
# schemathesis itself), CTS_CONFORM_BIN (default: build target/debug/cts-conform).
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION=4.32.5
venv="${ST_VENV:-target/schemathesis-venv}"
max_examples="${ST_MAX_EXAMPLES:-200}"
seed="${ST_SEED:-20240601}"
time_limit="${ST_TIME_LIMIT:-170}"
export SCHEMATHESIS_HOOKS="$PWD/tests/fuzz/hooks.py"

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    echo "== installing schemathesis $SCHEMATHESIS_VERSION into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

bin="${CTS_CONFORM_BIN:-}"
if [ -z "$bin" ]; then
    cargo build --quiet --bin cts-conform
    bin=target/debug/cts-conform
fi

work="$(mktemp -d)"
serve_pid=""
cleanup() {
    if [ -n "$serve_pid" ] && kill -0 "$serve_pid" 2>/dev/null; then
        kill -INT "$serve_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$serve_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# Port 0: the emulator picks a free port and says which on stderr.
"$bin" serve --listen 127.0.0.1:0 2>"$work/serve.log" &
serve_pid=$!
url=""
for _ in $(seq 100); do
    url="$(sed -n 's/^listening on \(http:\/\/127\.0\.0\.1:[0-9]*\)$/\1/p' "$work/serve.log")"
    [ -n "$url" ] && break
    kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log"; echo "serve died"; exit 1; }
    sleep 0.1
done
[ -n "$url" ] || { echo "serve did not start"; exit 1; }
echo "== emulator at $url (pid $serve_pid)"

started=$SECONDS
status=0
timeout --signal=INT --kill-after=10 "$time_limit" \
    "$venv/bin/schemathesis" --config-file tests/fuzz/schemathesis.toml \
    run schemas/cts-v3.openapi.json \
    --url "$url" \
    --max-examples "$max_examples" \
    --seed "$seed" \
    --workers 1 \
    --request-timeout 10 \
    --suppress-health-check too_slow,filter_too_much \
    --no-color \
    --report junit --report-dir "${ST_REPORT_DIR:-target/schemathesis-report}" \
    || status=$?
echo "== schemathesis finished in $((SECONDS - started)) s with status $status"
if ! kill -0 "$serve_pid" 2>/dev/null; then
    echo "the emulator died during the run:"; cat "$work/serve.log"; exit 1
fi
exit "$status"
