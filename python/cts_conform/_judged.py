"""What the emulator and the proxy share: a `cts-conform` process in a private temporary
directory (its log, its `--violations` file, any file it reads at start), restartable,
whose violation records are taken as they come, across restarts."""

import atexit
import shutil
import tempfile
import time
import weakref

from ._binary import find_binary
from ._process import ServerProcess, StartError
from ._violations import ViolationLog

_LIVE = weakref.WeakSet()


@atexit.register
def _stop_all():
    """Last resort when a session ends without stopping what it started."""
    for server in list(_LIVE):
        server.stop()


class JudgedServer:
    """Base of `Emulator` and `Proxy`: `start()`, `stop()`, `take_violations()`."""

    #: The subcommand, `serve` or `proxy`.
    subcommand = ""
    #: How failures name this server (`the CTS emulator`).
    description = ""

    def __init__(self, start_timeout=10.0):
        self.start_timeout = start_timeout
        self.endpoint = None
        self._workdir = None
        self._process = None
        self._log = None
        self._pending = []
        self._starts = 0

    # -- to be provided by the subclass
    def _arguments(self, workdir):
        """The subcommand's flags (but --listen and --violations)."""
        raise NotImplementedError

    def _environment(self):
        return None

    # -- lifecycle
    @property
    def pid(self):
        """The process id of the running process (None when stopped)."""
        return self._process.pid if self._process and self._process.running else None

    @property
    def running(self):
        return self._process is not None and self._process.running

    def start(self, listen="127.0.0.1:0"):
        """Starts the process on `listen` (default: a free loopback port); returns the endpoint."""
        if self.running:
            raise RuntimeError(f"{self.description} is already running at {self.endpoint}")
        if self._workdir is None:
            self._workdir = tempfile.mkdtemp(prefix="cts-conform-")
        self._starts += 1
        violations = f"{self._workdir}/violations-{self._starts}.jsonl"
        args = [self.subcommand, "--listen", listen, "--violations", violations, *self._arguments(self._workdir)]
        self._process = ServerProcess(
            find_binary(),
            args,
            f"{self._workdir}/{self.subcommand}-{self._starts}.log",
            env=self._environment(),
            start_timeout=self.start_timeout,
        )
        self._log = ViolationLog(violations)
        _LIVE.add(self)
        try:
            self.endpoint = self._process.start()
        finally:
            self._after_start(self._workdir)
        return self.endpoint

    def _after_start(self, workdir):
        """Called once the process listens or failed to (e.g. to remove a secret file)."""

    def stop(self):
        """Stops the process and removes its directory; the records it wrote are kept for
        `take_violations()`. Safe to call twice."""
        if self._process is not None:
            self._process.stop()
            self._pending += self._log.take()
            self._process = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        _LIVE.discard(self)

    def restart(self):
        """Stops and starts again on the same address (fresh state, same endpoint)."""
        address = self.endpoint.split("://", 1)[1]
        if self._process is not None:
            self._process.stop()
            self._pending += self._log.take()
        self._process = None
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                self.start(listen=address)
                return
            except StartError as error:
                # The old process's port may take a moment to be free again.
                if "cannot serve" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def log(self):
        """What the current process wrote to stderr (never a secret)."""
        return self._process.log() if self._process else ""

    def take_violations(self):
        """The violation records written since the last call (JSON objects, as
        docs/sdk-authors.md describes them). Under pytest the plugin takes them after
        each test phase: records taken here are not judged again."""
        taken, self._pending = self._pending, []
        if self._log is not None:
            taken += self._log.take()
        return taken

    def __enter__(self):
        if not self.running:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
