"""The target guard: cityops only ever talks to addresses inside the allowed networks.

The default is loopback only (127.0.0.0/8 and ::1), which is where the lab lives.
Operators on a real zone runner widen it explicitly with CITYOPS_ALLOWED_NETWORKS
(comma-separated CIDRs); nothing widens it implicitly.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

DEFAULT_ALLOWED = ("127.0.0.0/8", "::1/128")
ENV_VAR = "CITYOPS_ALLOWED_NETWORKS"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TargetRefused(ValueError):
    """Raised when a target address lies outside the allowed networks."""


def allowed_networks(spec: str | None = None) -> tuple[Network, ...]:
    """The allowed networks: from `spec`, else the environment, else loopback only."""
    if spec is None:
        spec = os.environ.get(ENV_VAR, "")
    parts = [p.strip() for p in spec.split(",") if p.strip()] or list(DEFAULT_ALLOWED)
    nets = []
    for part in parts:
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise ValueError(f"{ENV_VAR}: '{part}' is not a network ({exc})") from None
    return tuple(nets)


def parse_address(text: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """Parse an IP address literal; raises ValueError naming the bad value."""
    if not isinstance(text, str):
        raise ValueError(f"'{text}' is not an IP address (got {type(text).__name__})")
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        raise ValueError(f"'{text}' is not an IP address") from None


def refusal(address: object, networks: tuple[Network, ...] | None = None) -> str | None:
    """Why `address` may not be a target (malformed, or outside the allowed networks), or None."""
    nets = networks or allowed_networks()
    try:
        addr = parse_address(address)
    except ValueError as exc:
        return str(exc)
    if any(addr in net for net in nets):
        return None
    shown = ", ".join(str(n) for n in nets)
    return f"address {address} is outside the allowed range ({shown})"


def url_refusal(url: object, scheme: str = "http") -> str | None:
    """Why `url` may not be fetched from (not a `scheme`:// URL, or its host outside the allowed networks), or None."""
    parts = urlsplit(str(url))
    if parts.scheme != scheme or not parts.hostname:
        return f"must be a {scheme}:// URL"
    return refusal(parts.hostname)


def is_allowed(address: str, networks: tuple[Network, ...] | None = None) -> bool:
    return refusal(address, networks) is None


def check_target(address: str, networks: tuple[Network, ...] | None = None) -> None:
    """Refuse (raise TargetRefused) unless `address` is inside the allowed networks."""
    reason = refusal(address, networks)
    if reason is not None:
        raise TargetRefused(reason)
