"""Cross-check the contract with a validator other than the project's own.

Python's `jsonschema` (Draft 2020-12) loads schemas/cts-v3.openapi.json alone, resolves
every $ref inside the file, accepts the documents' examples and rejects each invalid
value of tests/fixtures/contract/examples.json at the expected place for the expected
keyword. Run: python tests/python/check_contract.py (exit 1 on any mismatch).
"""
import json
import pathlib
import sys

from jsonschema import Draft202012Validator

ROOT = pathlib.Path(__file__).resolve().parents[2]
document = json.loads((ROOT / "schemas" / "cts-v3.openapi.json").read_text())
examples = json.loads((ROOT / "tests" / "fixtures" / "contract" / "examples.json").read_text())


def validator(name):
    wrapper = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": f"#/components/schemas/{name}",
        "components": {"schemas": document["components"]["schemas"]},
    }
    Draft202012Validator.check_schema(wrapper)
    return Draft202012Validator(wrapper)


def pointer(error):
    return "/" + "/".join(str(p) for p in error.absolute_path)


def leaves(errors):
    """All errors, with the sub-errors of anyOf/oneOf/allOf flattened in."""
    for error in errors:
        yield error
        yield from leaves(error.context or [])


failures = []
for case in examples["valid"]:
    errors = list(validator(case["schema"]).iter_errors(case["instance"]))
    if errors:
        failures.append(f"{case['name']}: expected valid, got {[e.message for e in errors]}")
for case in examples["invalid"]:
    errors = list(leaves(validator(case["schema"]).iter_errors(case["instance"])))
    found = {(pointer(e), e.validator) for e in errors}
    if (case["path"], case["keyword"]) not in found:
        failures.append(f"{case['name']}: expected {case['keyword']} at {case['path']}, got {sorted(found)}")

total = len(examples["valid"]) + len(examples["invalid"])
for failure in failures:
    print("FAILED", failure)
print(f"contract cross-check: {total - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
