"""Keep secrets out of everything cityops writes: known secrets and secret-looking config lines."""

from __future__ import annotations

import re
import threading

_KNOWN: set[str] = set()
_LOCK = threading.Lock()
MASK = "******"

# Config lines that carry secrets on the estate's devices (VRP, Comware, IOS, Linux files).
PATTERNS = [
    re.compile(r"(?i)(\b(?:password|passwd|secret|cipher|irreversible-cipher|community|pre-shared-key|"
               r"key-string|authentication-key|snmp-agent community read|snmp-agent community write)\s+"
               r"(?:(?:cipher|simple|sha|md5|0|5|7|8|9|%\^%#)\s+)?)(\S+)"),
    re.compile(r"(?i)(\"?(?:password|passwd|token|secret)\"?\s*[:=]\s*\"?)([^\s\",}]+)"),
]


def register(secret: str) -> None:
    if secret and len(secret) >= 4:
        with _LOCK:
            _KNOWN.add(secret)


def text(value: str) -> str:
    """The text with every registered secret and every secret-looking value masked."""
    if not value:
        return value
    for secret in sorted(_KNOWN, key=len, reverse=True):
        if secret in value:
            value = value.replace(secret, MASK)
    for pat in PATTERNS:
        value = pat.sub(lambda m: m.group(1) + MASK, value)
    return value


def clean(obj):
    """Redact strings anywhere in a JSON-like structure."""
    if isinstance(obj, str):
        return text(obj)
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    return obj
