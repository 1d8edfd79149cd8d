"""cts-conform for Python: the `cts-conform` executable (installed on PATH by the wheel),
the reference emulator and the validating proxy as context managers, and a pytest plugin
(`cts_conform.pytest_plugin`: the `cts_emulator` and `cts_proxy` fixtures)."""

from ._binary import BinaryNotFound, find_binary
from ._process import StartError
from .emulator import CtsApiError, Emulator, Response
from .proxy import Proxy

__all__ = ["BinaryNotFound", "CtsApiError", "Emulator", "Proxy", "Response", "StartError", "find_binary"]
