#!/usr/bin/env bash
# The Python package end to end: builds the wheel (scripts/build-wheel.sh, which checks its
# files for machine paths and secrets), installs it with tests/pypkg/requirements.txt
# (pytest, the official SDK) into a fresh venv, and runs the plugin's suite tests/pypkg
# against the installed package: its executable from the venv's bin, the plugin by its
# pytest11 entry point, nothing imported from this checkout.
#
#   tests/pypkg/run.sh [--profile dev|release]     (default: release)
set -euo pipefail
cd "$(dirname "$0")/../.."

wheel="$(scripts/build-wheel.sh "$@" | tail -n 1)"
target="${CARGO_TARGET_DIR:-$PWD/target}"
venv="$target/pypkg-venv"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/pypkg/requirements.txt "$wheel"
unset CTS_CONFORM_BIN

# From outside the checkout, so that `import cts_conform` can only find the installed one.
cd "$venv"
"$venv/bin/python" - "$venv" <<'PY'
import os, sys
import cts_conform
venv = os.path.realpath(sys.argv[1])
for what, path in (("the package", cts_conform.__file__), ("the executable", cts_conform.find_binary())):
    if not os.path.realpath(path).startswith(venv + os.sep):
        sys.exit(f"{what} is not the installed one: {path}")
print("installed:", os.path.relpath(cts_conform.find_binary(), venv), "and the cts_conform plugin")
PY
"$venv/bin/cts-conform" --version
"$venv/bin/python" -m pytest -p no:cacheprovider -q "$OLDPWD/tests/pypkg"
