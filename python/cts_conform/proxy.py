"""`Proxy`: `cts-conform proxy` on a free loopback port in front of an upstream (a real
endpoint, or an emulator): every request is judged, re-signed and forwarded, every answer
judged on the way back (`--violations`, docs/sdk-authors.md)."""

import os

from ._judged import JudgedServer
from .emulator import build_client


class Proxy(JudgedServer):
    """The validating proxy. `ak`/`sk` (or `token`) are the credentials the client signs
    with and the proxy re-signs with (default: `HUAWEICLOUD_SDK_AK`/`_SK`, `CTS_AUTH_TOKEN`);
    they reach the process by its environment, never its command line. `project_id`
    (default `HUAWEICLOUD_SDK_PROJECT_ID`) is the one project the proxy forwards requests
    of (`--project-id`; without it, any one project per request, and the credentials are
    not checked at start), and `client()`'s."""

    subcommand = "proxy"
    description = "the CTS proxy"

    def __init__(self, upstream, *, ak=None, sk=None, token=None, project_id=None, timeout=None, start_timeout=10.0):
        super().__init__(start_timeout=start_timeout)
        self.upstream = upstream
        self.ak = ak or os.environ.get("HUAWEICLOUD_SDK_AK")
        self.sk = sk or os.environ.get("HUAWEICLOUD_SDK_SK")
        self.token = token
        self.project_id = project_id or os.environ.get("HUAWEICLOUD_SDK_PROJECT_ID")
        self.timeout = timeout

    def __repr__(self):
        return f"<Proxy {self.endpoint or 'stopped'} -> {self.upstream}>"

    def _arguments(self, workdir):
        args = ["--upstream", self.upstream]
        if self.project_id:
            args += ["--project-id", self.project_id]
        if self.timeout is not None:
            args += ["--timeout", str(self.timeout)]
        return args

    def _environment(self):
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "CTS_AUTH_TOKEN")
        }
        if self.token:
            env["CTS_AUTH_TOKEN"] = self.token
        elif self.ak and self.sk:
            env["HUAWEICLOUD_SDK_AK"] = self.ak
            env["HUAWEICLOUD_SDK_SK"] = self.sk
        return env

    def client(self):
        """The official SDK's `CtsClient` through the proxy (needs huaweicloudsdkcts, ak/sk
        and project_id)."""
        if not (self.ak and self.sk and self.project_id):
            raise RuntimeError("client() needs ak, sk and project_id")
        if not self.running:
            raise RuntimeError("the proxy is not running")
        return build_client(self.endpoint, self.ak, self.sk, self.project_id)
