"""Signing a body and POSTing it to the one address webhooks.addresses checked.

The connection goes to `Target.address` while the Host header and TLS (SNI and certificate
check) use the URL's host name: no second DNS lookup between the check and the connection.
Redirects are not followed (a 3xx is a failed try): a redirect could point anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from webhooks.addresses import Target

SIGNATURE_HEADER = "X-Slrweb-Signature"
USER_AGENT = "slrweb-webhooks/1"
TIMEOUT_SECONDS = 10.0
EXCERPT = 500  # characters of the receiver's answer kept in the log


def signature(secret: str, body: bytes) -> str:
    """The header value: "sha256=" + hex HMAC-SHA256 of the body under the secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (here for tests and as the reference): constant-time compare."""
    return hmac.compare_digest(signature(secret, body), header or "")


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer (connection refused, timeout, TLS error)
    excerpt: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout,
                         context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(target: Target, body: bytes, headers: dict[str, str],
         timeout: float = TIMEOUT_SECONDS) -> Answer:
    """POST the body; never raises for network trouble (it becomes Answer.error)."""
    pinned = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = pinned(target, timeout)
    started = time.monotonic()
    try:
        connection.request("POST", target.path, body=body, headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        excerpt = response.read(EXCERPT * 4).decode("utf-8", "replace")[:EXCERPT]
        return Answer(response.status, excerpt, "", _ms(started))
    except (OSError, http.client.HTTPException) as exc:
        return Answer(None, "", f"{type(exc).__name__}: {exc}"[:1000], _ms(started))
    finally:
        connection.close()


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
