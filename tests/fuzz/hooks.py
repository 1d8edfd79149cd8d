"""Schemathesis hooks for tests/fuzz/schemathesis.sh.

The emulator, like the service, reads a JSON `null` in a request body as "absent" (see
src/emulator/validate.rs): an optional field sent as null gets its default. Schemathesis's
"incorrect type" probes often use null, which the contract's schema (no nullable fields)
calls invalid, so negative_data_rejection would report a documented leniency. Bodies that
hold a null anywhere are therefore not generated; every other negative body still is.
"""

import schemathesis


def _has_null(value):
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_has_null(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_null(v) for v in value)
    return False


@schemathesis.hook
def filter_body(ctx, body):
    return not _has_null(body)
