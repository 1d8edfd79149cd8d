#!/usr/bin/env bash
# SDK interop driver: builds cts-conform, runs tests/sdk/interop.py (the official Python
# SDK as a client) against it, and exits non-zero when anything failed. Modes:
#   serve       `cts-conform serve` with one AK/SK account on a free loopback port
#   violations  the same with `--violations FILE`: the SDK's requests must leave no
#               violation but the one its wrong-secret-key check provokes on purpose
#   proxy       `cts-conform proxy --ak --sk --project-id --violations FILE` in front of
#               that serve: every request is verified, re-signed for the upstream, end to
#               end, and neither direction leaves a violation but the wrong-secret-key
#               check's, which the proxy refuses (401) without forwarding
#   all         the three, in this order (default)
#
#   tests/sdk/run.sh [PYTHON [MODE]]   PYTHON: an interpreter with tests/python/requirements.txt
#                                      installed (default: $CTS_CONFORM_PYTHON, else .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/../.."

python="${1:-${CTS_CONFORM_PYTHON:-.venv/bin/python}}"
mode="${2:-all}"
case "$mode" in
serve | violations | proxy | all) ;;
*) echo "unknown mode $mode (serve, violations, proxy or all)" >&2; exit 2 ;;
esac
ak="AKSDKINTEROP$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)"
sk="SK$(od -An -N19 -tx1 /dev/urandom | tr -d ' \n')"
project_id="0123456789abcdef0123456789abcdef"

cargo build --quiet --bin cts-conform
work="$(mktemp -d)"
pids=()
stop() {
    for pid in "${pids[@]}"; do
        kill -INT "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    pids=()
}
trap 'stop; rm -rf "$work"' EXIT

free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts `cts-conform ARGS...` logging to $1, waits (up to 10 s) for "listening on".
start() {
    local log="$1"
    shift
    target/debug/cts-conform "$@" >"$log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        grep -q "^listening on" "$log" && return 0
        kill -0 "${pids[-1]}" 2>/dev/null || { cat "$log" >&2; echo "$1 exited early" >&2; exit 1; }
        sleep 0.1
    done
    cat "$log" >&2
    echo "$1 did not start" >&2
    exit 1
}

# Fails when FILE holds other violations than the rules given (one each at most).
expect_violations() {
    local file="$1"
    shift
    "$python" - "$file" "$@" <<'PY'
import json, sys
path, allowed = sys.argv[1], sys.argv[2:]
records = [json.loads(line) for line in open(path) if line.strip()]
rules = sorted(r["rule"] for r in records)
if rules != sorted(allowed):
    for r in records:
        print("violation:", json.dumps(r), file=sys.stderr)
    sys.exit(f"{path}: expected violations {sorted(allowed)}, got {rules}")
print(f"violations: {len(records)} as expected {sorted(allowed)}")
PY
}

# Runs one mode; the exit status is the interop's, or 1 on unexpected violations.
run_mode() {
    local mode="$1" port endpoint status=0
    port="$(free_port)"
    local serve_args=(serve --listen "127.0.0.1:$port" --ak "$ak" --sk "$sk" --project-id "$project_id")
    endpoint="http://127.0.0.1:$port"
    case "$mode" in
    violations) serve_args+=(--violations "$work/serve.jsonl") ;;
    esac
    start "$work/serve.log" "${serve_args[@]}"
    if [ "$mode" = proxy ]; then
        local proxy_port
        proxy_port="$(free_port)"
        start "$work/proxy.log" proxy --upstream "$endpoint" --listen "127.0.0.1:$proxy_port" \
            --ak "$ak" --sk "$sk" --project-id "$project_id" --violations "$work/proxy.jsonl"
        endpoint="http://127.0.0.1:$proxy_port"
    fi
    echo "-- SDK interop, mode $mode"
    "$python" tests/sdk/interop.py --endpoint "$endpoint" \
        --ak "$ak" --sk "$sk" --project-id "$project_id" || status=$?
    stop
    case "$mode" in
    # The wrong-secret-key check's request does not verify, on purpose (the proxy
    # refuses it with the gateway's 401, as the service would).
    violations) expect_violations "$work/serve.jsonl" signature || status=1 ;;
    proxy) expect_violations "$work/proxy.jsonl" signature || status=1 ;;
    esac
    for log in "$work"/*.log; do
        if grep -qF -e "$sk" "$log"; then
            echo "a secret key appears in $(basename "$log")" >&2
            status=1
        fi
    done
    rm -f "$work"/*
    return "$status"
}

status=0
if [ "$mode" = all ]; then
    for m in serve violations proxy; do
        run_mode "$m" || status=1
    done
else
    run_mode "$mode" || status=$?
fi
exit "$status"
