"""`Emulator`: `cts-conform serve` on a free loopback port with a generated account
(AK/SK, project id), optionally with buckets, preloaded trackers, `--cloud` behaviour and
fault modes; every request it gets is judged (`--violations`). `trackers()` reads its
state through the signed API; `reset()` restarts it on the same endpoint."""

import http.client
import json
import os
import secrets
from urllib.parse import urlencode, urlsplit

from ._judged import JudgedServer
from ._signing import authorization, sdk_date


class CtsApiError(RuntimeError):
    """The emulator answered a helper's request with an error status."""

    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


class Response:
    """What `request()` got: `status`, `headers` (lower-case names), `body` (bytes), `json()`."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body) if self.body else None


def generated_account():
    """A fresh (ak, sk, project_id), shaped like real ones."""
    ak = "AK" + secrets.token_hex(9).upper()
    sk = secrets.token_hex(20)
    return ak, sk, secrets.token_hex(16)


def signed_request(endpoint, ak, sk, project_id, method, path, query=None, body=None, timeout=30.0):
    """Sends one request signed with `ak`/`sk` (every header sent is signed); `body` is a
    JSON value, or bytes sent as they are."""
    parts = urlsplit(endpoint)
    query_string = urlencode(query or {})
    payload = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Host": parts.netloc, "X-Sdk-Date": sdk_date(), "X-Project-Id": project_id}
    if body is not None:
        headers["Content-Type"] = "application/json"
    headers["Authorization"] = authorization(method, path, query_string, headers, payload, ak, sk)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.netloc, timeout=timeout)
    try:
        connection.request(method, path + (f"?{query_string}" if query_string else ""), payload or None, headers)
        response = connection.getresponse()
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def build_client(endpoint, ak, sk, project_id):
    """The official SDK's `CtsClient` for `endpoint` (no region: it would contact IAM)."""
    try:
        from huaweicloudsdkcore.auth.credentials import BasicCredentials
        from huaweicloudsdkcts.v3 import CtsClient
    except ImportError as error:
        raise ImportError("client() needs the official SDK: pip install huaweicloudsdkcts") from error
    return (
        CtsClient.new_builder()
        .with_credentials(BasicCredentials(ak, sk, project_id))
        .with_endpoints([endpoint])
        .build()
    )


class Emulator(JudgedServer):
    """The reference emulator. Options:

    - `ak`, `sk`, `project_id`: the account it accepts (default: generated);
    - `buckets`: the OBS buckets that exist (default: every valid name exists);
    - `trackers`: trackers present at start in this project, as ListTrackers lists them;
      `preload`: the same for any projects, `{"<project_id>": {"trackers": [...]}}`;
    - `cloud`: behave like a real account (`serve --cloud`);
    - `faults`: fault modes (`cts-conform serve --list-faults`);
    - `strict_requests`: answer a request that breaks the contract 400;
    - `extra_args`: any other `serve` flags.

    Use it as a context manager, or `start()` and `stop()`."""

    subcommand = "serve"
    description = "the CTS emulator"

    def __init__(
        self,
        *,
        ak=None,
        sk=None,
        project_id=None,
        buckets=(),
        trackers=None,
        preload=None,
        cloud=False,
        faults=(),
        strict_requests=False,
        extra_args=(),
        start_timeout=10.0,
    ):
        super().__init__(start_timeout=start_timeout)
        generated = generated_account()
        self.ak = ak or generated[0]
        self.sk = sk or generated[1]
        self.project_id = project_id or generated[2]
        self.buckets = list(buckets)
        self.preload = dict(preload or {})
        if trackers is not None:
            self.preload[self.project_id] = {"trackers": list(trackers)}
        self.cloud = cloud
        self.faults = list(faults)
        self.strict_requests = strict_requests
        self.extra_args = list(extra_args)

    def __repr__(self):
        return f"<Emulator {self.endpoint or 'stopped'} project {self.project_id}>"

    def _credentials_path(self, workdir):
        return os.path.join(workdir, "credentials.json")

    def _arguments(self, workdir):
        # The account goes in a file only this user can read, removed once serve has
        # read it: never on the command line, where `ps` shows it.
        credentials = self._credentials_path(workdir)
        descriptor = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump({"accounts": [{"ak": self.ak, "sk": self.sk, "project_id": self.project_id}]}, file)
        args = ["--credentials", credentials]
        for bucket in self.buckets:
            args += ["--bucket", bucket]
        if self.preload:
            path = os.path.join(workdir, "preload.json")
            with open(path, "w") as file:
                json.dump(self.preload, file)
            args += ["--preload", path]
        if self.cloud:
            args.append("--cloud")
        for fault in self.faults:
            args += ["--fault", fault]
        if self.strict_requests:
            args.append("--strict-requests")
        return args + self.extra_args

    def _after_start(self, workdir):
        try:
            os.remove(self._credentials_path(workdir))
        except FileNotFoundError:
            pass

    def reset(self):
        """Back to the state at start (the preloaded trackers, nothing else), on the same
        endpoint: the process is restarted."""
        self.restart()

    def client(self):
        """The official SDK's `CtsClient` for this emulator (needs huaweicloudsdkcts)."""
        return build_client(self._require_endpoint(), self.ak, self.sk, self.project_id)

    def request(self, method, path, query=None, body=None, project_id=None):
        """One signed request; `path` may hold `{project_id}`. Returns a `Response`."""
        path = path.replace("{project_id}", project_id or self.project_id)
        return signed_request(
            self._require_endpoint(), self.ak, self.sk, project_id or self.project_id, method, path, query, body
        )

    def trackers(self, **filters):
        """The project's trackers as ListTrackers lists them (dicts), through the signed API;
        `tracker_name=` and `tracker_type=` filter. Raises `CtsApiError` on an error answer."""
        response = self.request("GET", "/v3/{project_id}/trackers", query=filters)
        if response.status != 200:
            raise CtsApiError(response.status, response.body.decode("utf-8", "replace"))
        return (response.json() or {}).get("trackers") or []

    def _require_endpoint(self):
        if not self.running:
            raise RuntimeError("the emulator is not running (start() it, or use it as a context manager)")
        return self.endpoint
