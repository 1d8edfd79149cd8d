#!/usr/bin/env python3
"""Checks a built wheel of cts-conform: it holds exactly the executable, the Python
package and its metadata; no file holds a machine path (/work/, /root/, /home/<user>/,
or the directories given: the checkout, the home directory, the cargo home) or a secret
(a private key, or the value of HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK or CTS_AUTH_TOKEN
when set). Lists the wheel's files; exits 1 on any finding.

    scripts/check-wheel.py WHEEL [MACHINE_DIR...]
"""

import os
import re
import sys
import zipfile

ALLOWED = [
    re.compile(r"cts_conform/[a-z_]+\.py$"),
    re.compile(r"cts_conform-[^/]+\.dist-info/(METADATA|WHEEL|RECORD|entry_points\.txt)$"),
    re.compile(r"cts_conform-[^/]+\.data/scripts/cts-conform$"),
]
# scripts/build-wheel.sh remaps the home directory to ~, the cargo home to /cargo and the
# checkout to /cts-conform.
MACHINE_PATHS = [rb"/work/", rb"/root/", rb"/home/[A-Za-z0-9_.-]+/", rb"/Users/[A-Za-z0-9_.-]+/"]
SECRET_MARKERS = [rb"-----BEGIN [A-Z ]*PRIVATE KEY-----"]


def findings(wheel, machine_dirs):
    patterns = [re.compile(p) for p in MACHINE_PATHS + SECRET_MARKERS]
    literal = [d.rstrip("/").encode() + b"/" for d in machine_dirs if len(d.rstrip("/")) > 1]
    secrets = [
        os.environ[name].encode()
        for name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "CTS_AUTH_TOKEN")
        if os.environ.get(name)
    ]
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        for name in names:
            print(f"  {name}")
            if not any(allowed.match(name) for allowed in ALLOWED):
                yield f"{name}: not a file the wheel should hold"
            data = archive.read(name)
            for pattern in patterns:
                match = pattern.search(data)
                if match:
                    yield f"{name}: holds {match.group(0)[:60]!r}"
            for text in literal:
                if text in data:
                    yield f"{name}: holds the machine path {text.decode(errors='replace')}"
            if any(secret in data for secret in secrets):
                yield f"{name}: holds a secret from the environment"
        if not any(name.endswith(".data/scripts/cts-conform") for name in names):
            yield "the cts-conform executable is missing"
        if not any(name.endswith("entry_points.txt") for name in names):
            yield "entry_points.txt (the pytest11 entry point) is missing"


def main(argv):
    if len(argv) < 1:
        print(__doc__, file=sys.stderr)
        return 2
    wheel, machine_dirs = argv[0], argv[1:]
    print(f"wheel {os.path.basename(wheel)}:")
    problems = list(findings(wheel, machine_dirs))
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not problems:
        print("wheel checked: no machine path, no secret, only the expected files")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
