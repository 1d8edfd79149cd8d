"""The records `--violations FILE` writes (one JSON object a line, docs/sdk-authors.md):
read as they are appended, and described for a test failure."""

import json


class ViolationLog:
    """Reads the records appended to one file since the last `take()`; a line the
    process is still writing (no newline yet) waits for the next call."""

    def __init__(self, path):
        self.path = path
        self._offset = 0

    def take(self):
        try:
            with open(self.path, "rb") as file:
                file.seek(self._offset)
                data = file.read()
        except FileNotFoundError:
            return []
        complete = data[: data.rfind(b"\n") + 1]
        self._offset += len(complete)
        records = []
        for line in complete.splitlines():
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError:
                    records.append({"rule": "unreadable-record", "message": line.decode("utf-8", "replace")})
        return records


def describe(record):
    """One violation in two lines: where and which rule, then what is wrong and its row."""
    where = " ".join(
        part
        for part in (
            record.get("direction") if record.get("direction") == "response" else None,
            record.get("operation") or "(no operation)",
            record.get("location"),
            record.get("pointer") or None,
        )
        if part
    )
    value = record.get("value")
    shown = "" if value is None else f" (value {json.dumps(value)})"
    row = record.get("doc_row")
    source = f" [{row}]" if row else ""
    return f"{where}: {record.get('rule')}{shown}\n    {record.get('message', '')}{source}"


def failure_text(records, source):
    """The message of a test whose requests left `records` at `source` (a description
    such as `the CTS emulator`)."""
    count = len(records)
    lines = [f"the requests this test sent to {source} broke the CTS contract ({count} violation{'s' * (count != 1)}):"]
    lines += [describe(record) for record in records]
    lines.append(
        "(judged by cts-conform --violations, docs/sdk-authors.md; "
        "@pytest.mark.cts_allow_violations or --cts-allow-violations turns this off)"
    )
    return "\n".join(lines)
