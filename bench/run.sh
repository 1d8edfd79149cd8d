#!/usr/bin/env bash
# Benchmarks, measured side by side in one run, printed as ratios beside their goals
# (never asserted anywhere):
#   1. the full suite against the embedded emulator: wall time, cases per second;
#   2. a 1,000-request workload (create / list / delete / list, status and body checks)
#      run by cts-conform, by Hurl 8 from equivalent files, and by a bare reqwest client
#      that checks nothing (examples/bare_client.rs, the floor), against the same standalone
#      emulator, best of N, 8 at a time and one at a time: Hurl / ours and ours / bare, and
#      Hurl / bare: the most Hurl / ours can be on this machine (the emulator's own time per
#      request is in all three); and ours and the bare client's instructions (callgrind,
#      8 at a time), a ratio that does not move with the machine's load as times do;
#   3. the emulator's ListTrackers throughput (wrk) against a minimal axum server that
#      answers the same body (the floor): emulator / floor;
#   4. scale: generated suites of 1,000 and 20,000 cases against the embedded emulator:
#      peak RSS (GNU time) and time per case;
#   5. a cold `cargo build --release` (a fresh target directory) on this machine.
#      Skip it with BENCH_COLD_BUILD=0.
#   6. a far target: the full suite against the standalone emulator answering every
#      request 50 ms late (`serve --latency 50`, AK/SK, the run's 8 pool buckets), at the
#      default threads and at --test-threads 32, 3 runs each (best and spread), beside its
#      critical-path bound (`--print-critical-path`: round trips computed from the plan,
#      times 50 ms; src/run/bound.rs). Run this section alone with BENCH_ONLY=far.
# Installs what it needs (Debian packages, Hurl from crates.io), builds in release mode.
#
#   bench/run.sh [RUNS]                 RUNS: repetitions for best-of (default 5; the
#                                       workload's in three rounds, RUNS rounded up to a
#                                       multiple of 3)
#   BENCH_ONLY=far bench/run.sh         section 6 alone (needs only hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
only="${BENCH_ONLY:-}"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

need_apt=()
tools=(wrk hyperfine valgrind)
[ "$only" = far ] && tools=(hyperfine)
for tool in "${tools[@]}"; do command -v "$tool" >/dev/null || need_apt+=("$tool"); done
if [ -z "$only" ]; then
    [ -x /usr/bin/time ] || need_apt+=(time)
    if ! command -v hurl >/dev/null || ! hurl --version | grep -q '^hurl 8\.'; then
        need_apt+=(libclang-dev libxml2-dev libcurl4-openssl-dev pkg-config)
    fi
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
    echo "== installing ${need_apt[*]}"
    apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [ -z "$only" ] && { ! command -v hurl >/dev/null || ! hurl --version | grep -q '^hurl 8\.'; }; then
    echo "== installing Hurl 8.0.1 (cargo install; several minutes)"
    cargo install hurl --version 8.0.1 --locked --quiet
fi

echo "== building (release)"
target_dir="${CARGO_TARGET_DIR:-target}"
if [ "$only" = far ]; then
    cargo build --release --quiet --bin cts-conform
else
    cargo build --release --quiet --bin cts-conform --example floor --example bare_client
fi
bin="$target_dir/release/cts-conform"
floor="$target_dir/release/examples/floor"
bare="$target_dir/release/examples/bare_client"
cpus="$(nproc)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # start NAME CMD...: runs CMD in the background, waits for "listening on"
    local name="$1"; shift
    "$@" >"$work/$name.log" 2>&1 & pids+=("$!")
    for _ in $(seq 100); do grep -q "listening on" "$work/$name.log" && return 0; sleep 0.05; done
    cat "$work/$name.log" >&2; echo "$name did not start" >&2; exit 1
}
best() { # best JSON...: the fastest run of hyperfine exports, in seconds
    python3 -c 'import json,sys; print(min(t for f in sys.argv[1:] for t in json.load(open(f))["results"][0]["times"]))' "$@"
}
cpu() { # cpu JSON...: the mean CPU time (user + system) of hyperfine exports' runs, in seconds
    python3 -c 'import json,sys; rs=[json.load(open(f))["results"][0] for f in sys.argv[1:]]; print(sum(r["user"]+r["system"] for r in rs)/len(rs))' "$@"
}
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}')" "$1" "$2"; }
row() { printf '%-60s %s\n' "$1" "$2"; }

# 6. The far target: measured by far_target, printed by far_rows (also alone: BENCH_ONLY=far).
far_latency_ms=50
far_threads=(default 32)
far_target() {
    echo "== 6. far target: the full suite against the emulator answering ${far_latency_ms} ms late (3 runs each)"
    local port project=0123456789abcdef0123456789abcdef ak=AKFARTARGET000000001 sk=SKfartargetSKfartargetSKfartarget0001
    port="$(free_port)"
    start far "$bin" serve --listen "127.0.0.1:$port" --latency "$far_latency_ms" \
        --ak "$ak" --sk "$sk" --project-id "$project"
    local far_run="$bin --target http://127.0.0.1:$port --project-id $project --ak $ak --sk $sk --format terse --ledger $work/far.ledger.jsonl"
    for threads in "${far_threads[@]}"; do
        local flag=""
        [ "$threads" != default ] && flag="--test-threads $threads"
        # Correctness first (the suite must pass), and the bound of this run's plan.
        $far_run $flag --print-critical-path | grep '^critical path:' >"$work/far-bound-$threads.txt"
        hyperfine --runs 3 --warmup 1 --style none --export-json "$work/far-$threads.json" "$far_run $flag" >/dev/null
    done
}
far_rows() {
    for threads in "${far_threads[@]}"; do
        row "far target (${far_latency_ms} ms), 8 buckets, $threads threads: run / bound" \
            "$(python3 -c "
import json, re, sys
times = sorted(json.load(open(sys.argv[1]))['results'][0]['times'])
line = open(sys.argv[2]).read()
trips = int(re.search(r'critical path: (\d+) round trips \(([^)]*)\)', line).group(1))
limit = re.search(r'round trips \(([^)]*)\)', line).group(1)
bound = trips * float(sys.argv[3]) / 1000
print(f'{times[0]:.2f} s (3 runs: {times[0]:.2f}-{times[-1]:.2f} s) / {bound:.2f} s '
      f'({trips} round trips, {limit}) = {times[0]/bound:.2f}x  (goal <= 1.20x)')" \
                "$work/far-$threads.json" "$work/far-bound-$threads.txt" "$far_latency_ms")"
        row "   the bound's plan" "$(sed -e 's/^critical path: [0-9]* round trips ([^)]*); //' "$work/far-bound-$threads.txt")"
    done
}
if [ "$only" = far ]; then
    far_target
    echo
    echo "machine: $cpus cores; $(uname -m); $("$bin" --version)"
    far_rows
    exit 0
fi

echo "== 1. full suite against the embedded emulator (best of $runs)"
cases="$($bin --list 2>/dev/null | grep -c ': test$')"
hyperfine --runs "$runs" --warmup 1 --export-json "$work/suite.json" --style none "$bin" >/dev/null
suite="$(best "$work/suite.json")"

echo "== 2. 1,000-request workload: cts-conform vs Hurl 8 vs a bare client (best of $runs)"
python3 bench/gen_workload.py "$work/workload" 250 >/dev/null
port="$(free_port)"
start serve "$bin" serve --listen "127.0.0.1:$port"
base="http://127.0.0.1:$port"
ours() { echo "$bin --target $base --project-id bench --cases $work/workload/cases --no-derived --test-threads $1 --format terse"; }
hurl_cmd() { echo "hurl --test --jobs $1 --variable base=$base --variable project=bench $work/workload/hurl/*.hurl"; }
bare_cmd() { echo "$bare $base bench 250 $1"; }
$(ours 8) >/dev/null   # correctness first: each must pass
eval "$(hurl_cmd 8)" >/dev/null 2>&1 || { echo "Hurl's workload failed" >&2; eval "$(hurl_cmd 1)" 2>&1 | tail -20; exit 1; }
$(bare_cmd 8)
# In rounds, each a third of the runs of every command in turn, so that a machine that
# slows down for a while (a shared VM) slows all three alike, not the one measured then.
rounds=3
per_round=$(( (runs + rounds - 1) / rounds ))
measure() { # measure NAME ROUND CMD: hyperfine runs of CMD, exported to NAME-ROUND.json
    hyperfine --runs "$per_round" --warmup 1 --style none --export-json "$work/$1-$2.json" "$3" >/dev/null
}
for round in $(seq "$rounds"); do
    for jobs in 8 1; do
        measure "ours-$jobs" "$round" "$(ours $jobs)"
        measure "hurl-$jobs" "$round" "$(hurl_cmd $jobs)"
        measure "bare-$jobs" "$round" "$(bare_cmd $jobs)"
    done
    # What starting costs, running no case: ours loading the same plan (a filter that
    # matches no case: nothing is sent), the bare client with no iteration.
    measure ours-start "$round" "$(ours 8) --no-tests=pass no-such-case"
    measure bare-start "$round" "$bare $base bench 0 1"
done

# Instructions of the whole process (ours: a fresh run prefix each time, so no collision).
instructions() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null \
        | awk '/Collected :/ {print $NF}'
}
instr_ours="$(instructions $(ours 8))"
instr_bare="$(instructions $(bare_cmd 8))"

echo "== 3. emulator throughput vs the axum floor (wrk, ListTrackers)"
for i in 1 2; do
    curl -s -o /dev/null -X POST "$base/v3/wrk/tracker" -H 'Content-Type: application/json' \
        -d "{\"tracker_type\":\"data\",\"tracker_name\":\"wrk-$i\",\"data_bucket\":{\"data_bucket_name\":\"wrk-src-$i\"}}"
done
list_url="$base/v3/wrk/trackers"
curl -s "$list_url" >"$work/list-body.json"
floor_port="$(free_port)"
start floor "$floor" "127.0.0.1:$floor_port" "$work/list-body.json"
wrk_rps() { wrk -t2 -c32 -d5s "$1" | awk '/Requests\/sec/ {print $2}'; }
emulator_rps="$(wrk_rps "$list_url")"
floor_rps="$(wrk_rps "http://127.0.0.1:$floor_port/v3/wrk/trackers")"

echo "== 4. scale: 1,000 and 20,000 generated cases against the embedded emulator"
rss_kb() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk '/Maximum resident set size/ {print $6}'; }
rss_suite="$(rss_kb "$bin")"
python3 bench/gen_scale.py "$work/scale-1k" 1000 >/dev/null
python3 bench/gen_scale.py "$work/scale-20k" 20000 >/dev/null
scale() { echo "$bin --cases $1 --no-derived --format terse"; }
hyperfine --runs 3 --warmup 1 --style none --export-json "$work/scale-1k.json" "$(scale "$work/scale-1k")" >/dev/null
hyperfine --runs 1 --style none --export-json "$work/scale-20k.json" "$(scale "$work/scale-20k")" >/dev/null
rss_1k="$(rss_kb $(scale "$work/scale-1k"))"
rss_20k="$(rss_kb $(scale "$work/scale-20k"))"

cold="skipped (BENCH_COLD_BUILD=0)"
if [ "${BENCH_COLD_BUILD:-1}" != 0 ]; then
    echo "== 5. cold cargo build --release (fresh target directory; several minutes)"
    cold_dir="$work/cold-target"
    t0="$(date +%s)"
    CARGO_TARGET_DIR="$cold_dir" cargo build --release --quiet --bin cts-conform
    cold="$(( $(date +%s) - t0 )) s"
    rm -rf "$cold_dir"
fi

far_target

echo
echo "machine: $cpus cores; $(uname -m); $("$bin" --version); $(hurl --version | head -1)"
row "full suite, embedded emulator ($cases cases)" \
    "$(python3 -c "import sys; t=float(sys.argv[1]); print(f'{t*1000:.0f} ms wall, {int(sys.argv[2])/t:.0f} cases/s  (goal < 500 ms)')" "$suite" "$cases")"
for jobs in 8 1; do
    o="$(best "$work"/ours-$jobs-*.json)"; h="$(best "$work"/hurl-$jobs-*.json)"; b="$(best "$work"/bare-$jobs-*.json)"
    goal=3.5; [ "$jobs" = 1 ] && goal=3
    row "1,000 requests, $jobs at a time: ours / Hurl / bare client" \
        "$(python3 -c "import sys; print(' / '.join(f'{float(t)*1000:.0f} ms' for t in sys.argv[1:]))" "$o" "$h" "$b")"
    row "   Hurl / ours" "$(ratio "$h" "$o")x  (goal >= ${goal}x)"
    row "   Hurl / bare client (the most Hurl / ours can be here)" "$(ratio "$h" "$b")x"
    row "   ours / bare client (what checking costs)" "$(ratio "$o" "$b")  (goal <= 1.30)"
    oc="$(cpu "$work"/ours-$jobs-*.json)"; bc="$(cpu "$work"/bare-$jobs-*.json)"
    row "   CPU time (user + system, mean): ours / bare client" \
        "$(python3 -c "import sys; o,b=map(float,sys.argv[1:]); print(f'{o*1000:.0f} ms / {b*1000:.0f} ms = {o/b:.2f}')" "$oc" "$bc")"
done
row "starting, no case run: ours / bare client (wall; CPU)" \
    "$(python3 -c "import sys; w1,w2,c1,c2=map(float,sys.argv[1:]); print(f'{w1*1000:.1f} ms / {w2*1000:.1f} ms; {c1*1000:.1f} ms / {c2*1000:.1f} ms (in every figure above)')" \
       "$(best "$work"/ours-start-*.json)" "$(best "$work"/bare-start-*.json)" "$(cpu "$work"/ours-start-*.json)" "$(cpu "$work"/bare-start-*.json)")"
row "1,000 requests, 8 at a time: instructions, ours / bare" \
    "$(python3 -c "
import sys
try:
    o, b = int(sys.argv[1]), int(sys.argv[2])
    print(f'{o/1e6:.1f} M / {b/1e6:.1f} M = {o/b:.2f}  (callgrind; steady where times are not)')
except ValueError:
    print('unavailable (valgrind did not report)')" "$instr_ours" "$instr_bare")"
row "ListTrackers req/s: emulator / axum floor" \
    "$emulator_rps / $floor_rps  ratio $(ratio "$emulator_rps" "$floor_rps")  (goal >= 0.80)"
s1="$(best "$work/scale-1k.json")"; s20="$(best "$work/scale-20k.json")"
row "scale: 1,000 / 20,000 cases, wall" "$(python3 -c "import sys; print(f'{float(sys.argv[1]):.2f} s / {float(sys.argv[2]):.2f} s')" "$s1" "$s20")"
row "   time per case, 20,000 / 1,000" \
    "$(python3 -c "import sys; print(f'{(float(sys.argv[2])/20000)/(float(sys.argv[1])/1000):.2f}')" "$s1" "$s20")  (goal <= 1.20)"
row "   peak RSS: 1,000 / 20,000 cases" "$((rss_1k / 1024)) MB / $((rss_20k / 1024)) MB  (goal: 20,000 < 64 MB)"
row "peak RSS: full suite (with embedded emulator)" "$((rss_suite / 1024)) MB"
row "cold cargo build --release" "$cold  (issue 16: ~6 min with aws-lc-sys)"
far_rows
