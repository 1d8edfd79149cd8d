"""scripts/check-wheel.py, which .ci/run's wheel build relies on, refuses what it must:
a machine path, a secret from the environment, a file the wheel should not hold."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

CHECK = Path(__file__).parents[2] / "scripts" / "check-wheel.py"
GOOD = {
    "cts_conform/__init__.py": b"",
    "cts_conform-0.1.0.dist-info/entry_points.txt": b"[pytest11]\n",
    "cts_conform-0.1.0.data/scripts/cts-conform": b"\x7fELF ... /cargo/registry/src/x.rs ~/.rustup/y.rs",
}


def check(tmp_path, files, env=None):
    wheel = tmp_path / "cts_conform-0.1.0-py3-none-linux_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return subprocess.run(
        [sys.executable, str(CHECK), str(wheel), "/some/checkout"], check=False, capture_output=True, text=True, env=env
    )


def test_a_clean_wheel_passes(tmp_path):
    result = check(tmp_path, GOOD)
    assert result.returncode == 0, result.stderr
    assert "cts_conform-0.1.0.data/scripts/cts-conform" in result.stdout


@pytest.mark.parametrize(
    "path",
    [
        b"/work/wt/x/src/main.rs",
        b"/root/.cargo/registry/src/a.rs",
        b"/home/builder/src/b.rs",
        b"/some/checkout/src/c.rs",
    ],
)
def test_a_machine_path_fails(tmp_path, path):
    files = {**GOOD, "cts_conform-0.1.0.data/scripts/cts-conform": b"\x7fELF" + path}
    result = check(tmp_path, files)
    assert result.returncode == 1
    assert "cts-conform: holds" in result.stderr


def test_a_secret_from_the_environment_fails(tmp_path):
    files = {**GOOD, "cts_conform/__init__.py": b"SK = 'sk-0123456789abcdef'"}
    result = check(tmp_path, files, env={"HUAWEICLOUD_SDK_SK": "sk-0123456789abcdef", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1
    assert "holds a secret from the environment" in result.stderr
    assert "sk-0123456789abcdef" not in result.stdout + result.stderr


def test_an_unexpected_file_fails(tmp_path):
    result = check(tmp_path, {**GOOD, "cts_conform/__pycache__/x.cpython-311.pyc": b""})
    assert result.returncode == 1
    assert "not a file the wheel should hold" in result.stderr
