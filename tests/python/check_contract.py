"""Cross-check the contract with a validator other than the project's own.

Python's `jsonschema` (Draft 2020-12) loads schemas/cts-v3.openapi.json alone, resolves
every $ref inside the file, accepts the documents' examples and rejects each invalid
value of tests/fixtures/contract/examples.json at the expected place for the expected
keyword. Its "responses" cases go through the operations: each names an operation and a
status, which must resolve (in `paths`) to the expected schema and source (the response's
own x-source, else the operation's), and the body is checked against that schema.
Run: python tests/python/check_contract.py (exit 1 on any mismatch).
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



def operations():
    """operationId -> the operation object, from every path and method."""
    found = {}
    for item in document["paths"].values():
        for method in ("get", "post", "put", "delete", "patch"):
            if method in item:
                found[item[method]["operationId"]] = item[method]
    return found


SCHEMA_PREFIX = "#/components/schemas/"
for case in examples["responses"]:
    operation = operations().get(case["operation"])
    response = (operation or {}).get("responses", {}).get(str(case["status"]))
    if response is None:
        failures.append(f"{case['name']}: {case['operation']} documents no {case['status']}")
        continue
    ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
    schema = ref[len(SCHEMA_PREFIX):] if ref.startswith(SCHEMA_PREFIX) else None
    source = response.get("x-source") or operation.get("x-source")
    if (schema, source) != (case["schema"], case["source"]):
        failures.append(f"{case['name']}: expected {case['schema']} from {case['source']}, got {schema} from {source}")
        continue
    errors = list(leaves(validator(schema).iter_errors(case["instance"])))
    if case["valid"] and errors:
        failures.append(f"{case['name']}: expected valid, got {[e.message for e in errors]}")
    if not case["valid"] and (case["path"], case["keyword"]) not in {(pointer(e), e.validator) for e in errors}:
        failures.append(f"{case['name']}: expected {case['keyword']} at {case['path']}")

total = len(examples["valid"]) + len(examples["invalid"]) + len(examples["responses"])
for failure in failures:
    print("FAILED", failure)
print(f"contract cross-check: {total - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
