"""One `cts-conform serve` or `cts-conform proxy` process: started with its stderr in a
log file, ready when the log says `listening on http://ADDR`, stopped with SIGINT (its
Ctrl-C: it finishes open requests and prints its summary), then SIGKILL after a grace
period. On Linux the child also gets SIGTERM if the Python process dies, so a killed
test session leaves nothing running."""

import re
import signal
import subprocess
import sys
import time

LISTENING = re.compile(r"^listening on (http://\S+)$", re.MULTILINE)
STOP_GRACE_SECONDS = 5.0


class StartError(RuntimeError):
    """The process exited or stayed silent instead of listening."""


def _parent_death_signal():
    """On Linux, a function for the child (between fork and exec) asking the kernel to
    send it SIGTERM when its parent dies; resolved here, in the parent, so that the child
    imports nothing (another thread might hold the import lock at the fork)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return None
    PR_SET_PDEATHSIG = 1

    def die_with_parent():  # pragma: no cover - runs in the child
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))

    return die_with_parent


_DIE_WITH_PARENT = _parent_death_signal()


class ServerProcess:
    """A `cts-conform` subcommand listening on loopback; `endpoint` once started."""

    def __init__(self, binary, args, log_path, env=None, start_timeout=10.0):
        self.binary = binary
        self.args = list(args)
        self.log_path = log_path
        self.env = env
        self.start_timeout = start_timeout
        self.endpoint = None
        self._process = None

    @property
    def pid(self):
        return self._process.pid if self._process else None

    @property
    def running(self):
        return self._process is not None and self._process.poll() is None

    def start(self):
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(
                [self.binary, *self.args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=self.env,
                preexec_fn=_DIE_WITH_PARENT,  # noqa: PLW1509 - no lock taken, nothing imported
            )
        deadline = time.monotonic() + self.start_timeout
        while True:
            log_text = self.log()
            found = LISTENING.search(log_text)
            if found:
                self.endpoint = found.group(1)
                return self.endpoint
            code = self._process.poll()
            if code is not None:
                raise StartError(f"cts-conform {self.args[0]} exited with {code} before listening:\n{log_text}")
            if time.monotonic() > deadline:
                self.stop()
                raise StartError(
                    f"cts-conform {self.args[0]} did not listen within {self.start_timeout} s:\n{log_text}"
                )
            time.sleep(0.02)

    def log(self):
        """What the process wrote so far (it never prints a secret)."""
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as log:
                return log.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        """Stops the process (SIGINT, then SIGKILL after the grace period) and reaps it;
        returns its exit code, or None when it was never started."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            try:
                process.send_signal(signal.SIGINT)
                process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode
