"""Which webhook URLs the server may call: public addresses only (no SSRF into our network).

`check_url` parses a URL, resolves its host and refuses it when any address it resolves to is
private, loopback, link-local (cloud metadata at 169.254.169.254), multicast, reserved or
unspecified. It runs at registration AND before every delivery, and the delivery then connects
to the very address that was checked (webhooks.sending pins it): a name that resolved to a
public address when registered and to 127.0.0.1 later (DNS rebinding) is refused then.
SLRWEB_WEBHOOK_ALLOW_PRIVATE=1 allows private addresses (tests, local receivers).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

ALLOW_PRIVATE_ENV = "SLRWEB_WEBHOOK_ALLOW_PRIVATE"
MAX_URL_LENGTH = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(ValueError):
    """The URL cannot be called; the message says why (shown to the API user)."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str  # with the query string
    address: str


def private_allowed() -> bool:
    """Whether SLRWEB_WEBHOOK_ALLOW_PRIVATE=1 (read per call, so tests can set it)."""
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip() == "1"


def is_public(ip: IPAddress) -> bool:
    """Whether an address is on the public internet (an IPv4-mapped IPv6 one judged as IPv4)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to (a literal address resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"the host {host!r} cannot be resolved ({exc})") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])  # drop an IPv6 zone id
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise UnsafeURL(f"the host {host!r} has no address")
    return addresses


def parse_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of an http(s) URL; UnsafeURL for anything else."""
    if not isinstance(url, str) or not url.strip():
        raise UnsafeURL("the URL is empty")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURL(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"the URL cannot be parsed: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("the URL must start with https:// or http://")
    if not parts.hostname:
        raise UnsafeURL("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeURL("the URL must not carry a user name or password")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def check_url(url: str) -> Target:
    """Parse and resolve a webhook URL; UnsafeURL unless every address is public (or allowed)."""
    scheme, host, port, path = parse_url(url)
    addresses = resolve(host, port)
    if not private_allowed():
        blocked = [str(ip) for ip in addresses if not is_public(ip)]
        if blocked:
            raise UnsafeURL(
                f"{host} resolves to a private, loopback or link-local address "
                f"({', '.join(blocked)}); webhooks may only call public addresses")
    return Target(scheme=scheme, host=host, port=port, path=path, address=str(addresses[0]))
