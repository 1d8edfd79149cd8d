#!/usr/bin/env python3
"""Writes the 1,000-request workload twice, once as cts-conform cases and once as Hurl
files, request for request the same: ITERATIONS x (create a data tracker, list it by
name, delete it, list again and find nothing), each with its status and body checks.

  bench/gen_workload.py OUT_DIR [ITERATIONS]   (default 250 -> 1,000 requests)

OUT_DIR/cases/workload.json is one case per iteration (cts-conform runs cases in
parallel with --test-threads); OUT_DIR/hurl/NNN.hurl is one file per iteration (Hurl runs
files in parallel with --jobs). cts-conform additionally validates every response against
the contract's JSON Schema; Hurl checks only what its asserts say.
"""
import json
import pathlib
import sys

out = pathlib.Path(sys.argv[1])
iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 250
(out / "cases").mkdir(parents=True, exist_ok=True)
(out / "hurl").mkdir(parents=True, exist_ok=True)

cases = []
for i in range(iterations):
    # Hurl's iteration i and ours do the same work; ours names what it creates after the run
    # (`${prefix}`) and tracks a bucket of its pool (one tracker per bucket operation),
    # Hurl's a bucket of its own per iteration (the emulator accepts any bucket name).
    name = f"bench-{i:04d}"
    ours_name = f"${{prefix}}-b{i:04d}"
    body = {"tracker_type": "data", "tracker_name": name,
            "data_bucket": {"data_bucket_name": f"bench-src-{i:04d}", "data_event": ["READ"]},
            "obs_info": {"bucket_name": "bench-obs", "file_prefix_name": "p"}}
    ours_body = {"tracker_type": "data", "tracker_name": ours_name,
                 "data_bucket": {"data_bucket_name": "${data_bucket}", "data_event": ["READ"]},
                 "obs_info": {"bucket_name": "${obs_bucket}", "file_prefix_name": "p"}}
    query = {"tracker_name": ours_name, "tracker_type": "data"}
    cases.append({
        "name": f"iteration_{i:04d}",
        "doc": "bench: create, query, delete, query",
        "steps": [
            {"operation": "CreateTracker", "body": ours_body,
             "expect": {"status": 201, "body": {"tracker_name": ours_name, "tracker_type": "data", "status": "enabled"}}},
            {"operation": "ListTrackers", "query": query,
             "expect": {"status": 200, "body": {"trackers": [{"tracker_name": ours_name, "obs_info": {"bucket_name": "${obs_bucket}"}}]}}},
            {"operation": "DeleteTracker", "query": query, "expect": {"status": 204}},
            {"operation": "ListTrackers", "query": query, "expect": {"status": 200, "body": {"trackers": []}}},
        ],
    })
    url = "{{base}}/v3/{{project}}"
    hurl = f"""POST {url}/tracker
Content-Type: application/json
{json.dumps(body)}
HTTP 201
[Asserts]
jsonpath "$.tracker_name" == "{name}"
jsonpath "$.tracker_type" == "data"
jsonpath "$.status" == "enabled"

GET {url}/trackers?tracker_name={name}&tracker_type=data
HTTP 200
[Asserts]
jsonpath "$.trackers" count == 1
jsonpath "$.trackers[0].tracker_name" == "{name}"
jsonpath "$.trackers[0].obs_info.bucket_name" == "bench-obs"

DELETE {url}/trackers?tracker_name={name}&tracker_type=data
HTTP 204

GET {url}/trackers?tracker_name={name}&tracker_type=data
HTTP 200
[Asserts]
jsonpath "$.trackers" count == 0
"""
    (out / "hurl" / f"{i:04d}.hurl").write_text(hurl)

(out / "cases" / "workload.json").write_text(json.dumps({"suite": "bench", "cases": cases}, indent=1))
print(f"{iterations * 4} requests in {iterations} iterations -> {out}")
