"""The one connection layer: every connection cityops opens to a device passes through here.

It applies the target guard, resolves credentials by the inventory's credential
name, verifies SSH host keys against a known_hosts, bounds every wait, and
appends each command or query sent to the audit log with secrets redacted.
"""

from .base import Session, TransportConfig
from .errors import ConnectFailure
from .registry import open_session

__all__ = ["ConnectFailure", "Session", "TransportConfig", "open_session"]
