"""SDK-HMAC-SHA256 request signing, as the official SDKs sign (and as `cts-conform`
verifies, src/auth/canonical.rs): the canonical request of method, path (each segment
percent-encoded, a trailing `/`), sorted query, the signed headers and the body's
SHA-256; the string to sign of the algorithm, `X-Sdk-Date` and that request's hash.
Pure functions: no I/O."""

import hashlib
import hmac
from datetime import datetime, timezone
from urllib.parse import quote, unquote_to_bytes

ALGORITHM = "SDK-HMAC-SHA256"


def sdk_date(now=None):
    """`X-Sdk-Date` for `now` (default: the current time): YYYYMMDDTHHMMSSZ, UTC."""
    return (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")


def _encode(data):
    return quote(data, safe="-_.~")


def canonical_uri(path):
    segments = unquote_to_bytes(path).split(b"/")
    uri = "/".join(_encode(segment) for segment in segments)
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(query):
    pairs = []
    for piece in query.split("&"):
        if not piece:
            continue
        key, _, value = piece.partition("=")
        pairs.append((unquote_to_bytes(key), unquote_to_bytes(value)))
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(pairs))


def authorization(method, path, query, headers, body, ak, sk):
    """The `Authorization` value signing every header in `headers` (which must hold
    `X-Sdk-Date`); `body` is bytes, `query` the raw query string."""
    lowered = {name.lower(): str(value).strip() for name, value in headers.items()}
    signed = sorted(lowered)
    canonical = "\n".join(
        [
            method,
            canonical_uri(path),
            canonical_query(query),
            "".join(f"{name}:{lowered[name]}\n" for name in signed),
            ";".join(signed),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    to_sign = "\n".join([ALGORITHM, lowered["x-sdk-date"], hashlib.sha256(canonical.encode()).hexdigest()])
    signature = hmac.new(sk.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{ALGORITHM} Access={ak}, SignedHeaders={';'.join(signed)}, Signature={signature}"
