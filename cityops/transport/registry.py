"""Which connector serves a host: one registry of connectors by protocol, chosen from the host's platform.

Every connector (ssh_exec, cli, https, snmp; the BMC's redfish and ipmi) registers under its `protocol` and
answers the same `run(command) -> Answer`; a second connector under a taken name is refused (nornir's rule), so
a new transport is one module and one line here.
"""

from __future__ import annotations

from .. import platforms
from ..inventory.model import Host
from .base import Session, TransportConfig
from .errors import ConnectFailure

CONNECTORS: dict[str, type[Session]] = {}


def register(connector: type[Session]) -> type[Session]:
    """Add a connector under its protocol name; refuses a second one under a taken name."""
    taken = CONNECTORS.get(connector.protocol)
    if taken is not None and taken is not connector:
        raise ValueError(f"connector '{connector.protocol}' is already {taken.__module__}.{taken.__name__}")
    CONNECTORS[connector.protocol] = connector
    return connector


def _register_all() -> None:
    from .bmc import IpmiSession, RedfishSession
    from .cli import CliSession
    from .https import HttpSession
    from .snmp import SnmpSession
    from .ssh_exec import SshExec

    for connector in (SshExec, CliSession, HttpSession, SnmpSession, RedfishSession, IpmiSession):
        register(connector)


def protocol_of(host: Host) -> str:
    """The connector a host's platform is reached by."""
    p = platforms.get(str(host.get("platform")))
    if p is None:
        raise ConnectFailure(host.name, "protocol", f"unknown platform '{host.get('platform')}'")
    if p.family == "server_os" or (p.family == "storage_cli" and p.transport == "ssh"):
        return "ssh"
    if p.transport == "cli":  # its driver (cityops/drivers) says how
        return "ssh-cli"
    if p.transport in ("https", "http"):
        return "https"
    if p.transport == "snmp":
        return "snmp"
    raise ConnectFailure(host.name, "protocol", f"cityops has no connector for transport '{p.transport}' yet")


def connectors() -> dict[str, type[Session]]:
    """Every registered connector by protocol (registered on first use: the clients they import are heavy)."""
    if not CONNECTORS:
        _register_all()
    return CONNECTORS


def session_class(host: Host) -> type[Session]:
    return connectors()[protocol_of(host)]


def open_session(host: Host, config: TransportConfig, deadline: float | None = None) -> Session:
    return session_class(host)(host, config, deadline)
