"""Where a webhook may go: the SSRF guard, at registration and again at every delivery (DNS can change).

On a deployed stage only `https://` to a host whose every address is public; the local stage
also allows `http://127.0.0.1` (the integrator's receiver on the same machine). A delivery
connects to the very address that was checked, so a name that resolves elsewhere a moment
later (DNS rebinding) cannot redirect it inward.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from chalicelib.errors import FieldError, ValidationFailed

MAX_URL_LENGTH = 2000
LOCAL_HOSTS = frozenset({"127.0.0.1"})


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`), and what to ask for there."""

    scheme: str
    host: str
    port: int
    path: str  # with its query
    address: str


class UnsafeUrl(ValueError):
    """The URL may not be called: its message is a key of the text catalogue."""


def _refuse(message: str) -> UnsafeUrl:
    return UnsafeUrl(message)


def resolve(url: str, *, local: bool) -> Target:
    """The URL as a Target to connect to; UnsafeUrl when it may not be called from this stage."""
    if len(url) > MAX_URL_LENGTH or not url.isascii() or any(c.isspace() or not c.isprintable() for c in url):
        raise _refuse("webhook_url_invalid")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _refuse("webhook_url_invalid") from exc
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.username or parts.password or not host or parts.fragment:
        raise _refuse("webhook_url_invalid")
    on_this_machine = local and parts.scheme == "http" and host in LOCAL_HOSTS
    if parts.scheme != "https" and not on_this_machine:
        raise _refuse("webhook_url_https")
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if on_this_machine:
        return Target(parts.scheme, host, port, path, host)
    return Target(parts.scheme, host, port, path, _public_address(host, port))


def _public_address(host: str, port: int) -> str:
    """The first address of `host`, once every address it has is a public one."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise _refuse("webhook_url_unresolvable") from exc
    addresses = [str(info[4][0]).split("%")[0] for info in found]
    if not addresses or not all(_public(ipaddress.ip_address(a)) for a in addresses):
        raise _refuse("webhook_url_private")
    return addresses[0]


# IPv6 forms that carry an IPv4 address (NAT64, 6to4, Teredo, IPv4-compatible): Python counts some of
# them as global whatever IPv4 address they carry, so none is called.
_CARRIES_IPV4 = tuple(ipaddress.ip_network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32",
                                                        "::/96", "::ffff:0:0/96"))


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and any(address in net for net in _CARRIES_IPV4):
        return False
    return address.is_global


def checked(url: object, *, local: bool) -> str:
    """The URL of a new endpoint, or ValidationFailed naming the field `url`."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationFailed(FieldError("url", "required"))
    try:
        resolve(url.strip(), local=local)
    except UnsafeUrl as refused:
        raise ValidationFailed(FieldError("url", str(refused))) from refused
    return url.strip()
