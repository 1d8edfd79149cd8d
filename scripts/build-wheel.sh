#!/usr/bin/env bash
# Builds the Python wheel `cts-conform` (pyproject.toml: maturin, `bindings = "bin"`, the
# pure-Python part in python/cts_conform) into target/wheels/ and checks it with
# scripts/check-wheel.py (the files it holds; no machine path, no secret). Prints the
# wheel's path last.
#
#   scripts/build-wheel.sh                 # release build (what to publish)
#   scripts/build-wheel.sh --profile dev   # debug build, faster to compile (CI's tests)
#
# The build remaps the paths compiled into the executable (this checkout, the cargo home,
# the home directory) with --remap-path-prefix. Those RUSTFLAGS would invalidate the
# ordinary build, so the wheel builds in its own target directory ($CARGO_TARGET_DIR/wheel,
# default target/wheel): the first build is a full one; later ones are incremental.
# maturin comes from PyPI into target/maturin-venv (MATURIN_VERSION below).
set -euo pipefail
cd "$(dirname "$0")/.."

MATURIN_VERSION=1.16.0
profile=release
case "${1:-}" in
"") ;;
--profile)
    profile="${2:?--profile needs dev or release}"
    [ "$profile" = dev ] || [ "$profile" = release ] || { echo "--profile: dev or release, not $profile" >&2; exit 2; }
    ;;
*) echo "usage: scripts/build-wheel.sh [--profile dev|release]" >&2; exit 2 ;;
esac

target="${CARGO_TARGET_DIR:-$PWD/target}"
venv="$target/maturin-venv"
if ! "$venv/bin/maturin" --version 2>/dev/null | grep -qF "$MATURIN_VERSION"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "maturin==$MATURIN_VERSION"
fi

cargo_home="${CARGO_HOME:-$HOME/.cargo}"
# The last matching prefix wins: the broad home directory first, the specific ones after.
export RUSTFLAGS="${RUSTFLAGS:-} --remap-path-prefix=$HOME=~ --remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$PWD=/cts-conform"
export CARGO_TARGET_DIR="$target/wheel"
out="$target/wheels"
rm -rf "$out"
"$venv/bin/maturin" build --quiet --locked --strip --profile "$profile" --out "$out" >&2
wheel="$(ls "$out"/cts_conform-*.whl)"
python3 scripts/check-wheel.py "$wheel" "$PWD" "$HOME" "$cargo_home" >&2
echo "$wheel"
