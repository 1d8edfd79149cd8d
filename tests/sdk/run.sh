#!/usr/bin/env bash
# SDK interop driver: builds cts-conform, starts `cts-conform serve` with one AK/SK
# account on a free loopback port, runs tests/sdk/interop.py (the official Python SDK
# as a client) against it, stops the server and exits with the script's status.
#
#   tests/sdk/run.sh [PYTHON]     PYTHON: an interpreter with tests/python/requirements.txt
#                                 installed (default: $CTS_CONFORM_PYTHON, else .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/../.."

python="${1:-${CTS_CONFORM_PYTHON:-.venv/bin/python}}"
ak="AKSDKINTEROP$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)"
sk="SK$(od -An -N19 -tx1 /dev/urandom | tr -d ' \n')"
project_id="0123456789abcdef0123456789abcdef"

cargo build --quiet --bin cts-conform
port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$(mktemp)"

target/debug/cts-conform serve --listen "127.0.0.1:$port" \
    --ak "$ak" --sk "$sk" --project-id "$project_id" >"$log" 2>&1 &
server=$!
stop() {
    kill -INT "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -f "$log"
}
trap stop EXIT

# Wait (up to 10 s) for the server to say it listens.
for _ in $(seq 100); do
    grep -q "^listening on" "$log" && break
    kill -0 "$server" 2>/dev/null || { cat "$log" >&2; echo "serve exited early" >&2; exit 1; }
    sleep 0.1
done
grep -q "^listening on" "$log" || { cat "$log" >&2; echo "serve did not start" >&2; exit 1; }

status=0
"$python" tests/sdk/interop.py --endpoint "http://127.0.0.1:$port" \
    --ak "$ak" --sk "$sk" --project-id "$project_id" || status=$?
exit "$status"
