#!/usr/bin/env python3
"""Writes a suite of N generated cases for the scale benchmark: each creates a data tracker
on a bucket of the run's pool, checks the 201 body, lists it by name and checks the answer;
the harness then removes it and confirms it is gone (4 requests a case).

  bench/gen_scale.py OUT_DIR N      -> OUT_DIR/scale.json
"""
import json
import pathlib
import sys

out = pathlib.Path(sys.argv[1])
n = int(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
cases = []
for i in range(n):
    name = f"${{prefix}}-s{i:05d}"
    cases.append({
        "name": f"case_{i:05d}",
        "doc": "bench: scale",
        "steps": [
            {"operation": "CreateTracker",
             "body": {"tracker_type": "data", "tracker_name": name,
                      "data_bucket": {"data_bucket_name": "${data_bucket}"}},
             "expect": {"status": 201, "body": {"tracker_name": name, "status": "enabled"}}},
            {"operation": "ListTrackers", "query": {"tracker_name": name},
             "expect": {"status": 200, "body": {"trackers": [{"tracker_name": name}]}}},
        ],
    })
(out / "scale.json").write_text(json.dumps({"suite": "scale", "cases": cases}))
print(f"{n} cases -> {out}")
