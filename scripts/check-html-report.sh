#!/usr/bin/env bash
# Renders the HTML certification report of a run with failures in headless Chromium and
# saves a screenshot, to check by eye that the page renders (no scripts, no network).
#
#   scripts/check-html-report.sh [OUT_DIR]      (default: target/html-report-check)
#
# The run uses a copy of the built-in cases with one expectation made wrong (a failure
# with a diff), a case that passes but is listed in a baseline (an unexpected pass), one
# that fails and is listed (an expected failure), and an ignored case; requests carry a
# known token, which must not appear in the report. Installs Debian's chromium if missing.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-$root/target/html-report-check}" && cd "${1:-$root/target/html-report-check}" && pwd)"
cases="$out/cases"
rm -rf "$cases" && mkdir -p "$cases"

if ! command -v chromium >/dev/null 2>&1; then
    echo "installing chromium (Debian package)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

python3 - "$root/cases" "$cases" "$out/baseline.json" <<'PY'
import json, pathlib, sys
src, dst, baseline = map(pathlib.Path, sys.argv[1:])
for path in sorted(src.glob("*.json")):
    (dst / path.name).write_text(path.read_text())
data = json.loads((src / "query_trackers.json").read_text())
by_name = {case["name"]: case for case in data["cases"]}
listed = by_name["data_tracker_is_listed_with_what_was_sent"]
body = listed["steps"][-1]["expect"]["body"]["trackers"][0]
body["obs_info"]["file_prefix_name"] = "p_2 <b>&amp;</b>"
simple = by_name["unknown_name_gives_an_empty_list"]
xfail = json.loads(json.dumps(simple))
xfail["name"] = "known_to_fail"
xfail["steps"][0]["expect"]["status"] = 400
xpass = json.loads(json.dumps(simple))
xpass["name"] = "listed_but_passes"
ignored = json.loads(json.dumps(simple))
ignored["name"] = "ignored_case"
ignored["ignore"] = "waiting for the documents to say <which> & \"why\""
data["suite"] = "html_check"
data["cases"] = [listed, xfail, xpass, ignored]
(dst / "html_check.json").write_text(json.dumps(data, indent=1))
baseline.write_text(json.dumps({"expected_failures": [
    {"case": "html_check::known_to_fail", "reason": "the emulator answers 200 (issue 12)"},
    {"case": "html_check::listed_but_passes", "reason": "was broken before"},
]}))
PY

token="tok-SECRET-html-check-0123"
set +e
(cd "$root" && cargo run -q -- --cases "$cases" --token "$token" --baseline "$out/baseline.json" \
    --report-html "$out/report.html" --junit "$out/junit.xml" --report-json "$out/report.json") \
    >"$out/run.log" 2>&1
code=$?
set -e
if [ "$code" -ne 101 ]; then
    echo "expected exit 101 from a run with failures, got $code; see $out/run.log" >&2
    exit 1
fi
if grep -l "$token" "$out/report.html" "$out/junit.xml" "$out/report.json"; then
    echo "the token appears in a report" >&2
    exit 1
fi

chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d)" --screenshot="$out/report.png" --window-size=1280,2000 \
    "file://$out/report.html" >"$out/chromium.log" 2>&1
test -s "$out/report.png"
echo "screenshot: $out/report.png (report: $out/report.html)"
