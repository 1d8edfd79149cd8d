"""Where the `cts-conform` executable is: `$CTS_CONFORM_BIN`, else the one this package
installed (the scripts directory of this Python, where pip puts the wheel's executable),
else the first on PATH."""

import os
import shutil
import sysconfig

EXECUTABLE = "cts-conform.exe" if os.name == "nt" else "cts-conform"


class BinaryNotFound(RuntimeError):
    """No `cts-conform` executable could be found."""


def find_binary():
    """The path of the `cts-conform` executable to run."""
    explicit = os.environ.get("CTS_CONFORM_BIN")
    if explicit:
        if not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
            raise BinaryNotFound(f"CTS_CONFORM_BIN={explicit} is not an executable file")
        return explicit
    installed = os.path.join(sysconfig.get_path("scripts"), EXECUTABLE)
    if os.path.isfile(installed) and os.access(installed, os.X_OK):
        return installed
    found = shutil.which(EXECUTABLE)
    if found:
        return found
    raise BinaryNotFound(
        "no cts-conform executable: install the wheel (pip install cts-conform), "
        "put cts-conform on PATH, or set CTS_CONFORM_BIN"
    )
