"""The connector registry: one connector per protocol, every platform of the estate reached by a registered one."""

from __future__ import annotations

import re

import pytest

from cityops.transport import registry
from cityops.transport.base import Session


def test_every_platform_of_the_estate_has_a_registered_connector(estate):
    seen = {}
    for host in estate.hosts.values():
        if str(host.get("platform")) in ("manual", "gb28181_camera") or host.get("platform") in seen:
            continue
        try:
            connector = registry.session_class(host)
        except Exception as exc:  # a platform cityops cannot reach yet says so, by name
            assert "no connector" in str(exc) or "unknown platform" in str(exc), exc
            continue
        seen[host.get("platform")] = connector
        assert issubclass(connector, Session) and registry.CONNECTORS[connector.protocol] is connector
    assert {"ssh", "ssh-cli", "https", "snmp"} <= {c.protocol for c in seen.values()}
    assert {"redfish", "ipmi"} <= set(registry.connectors())  # the BMC's, opened beside the host's own session


def test_a_second_connector_under_a_taken_name_is_refused():
    existing = registry.connectors()["ssh"]

    class Another(Session):
        protocol = "ssh"

    with pytest.raises(ValueError, match=re.escape("connector 'ssh' is already cityops.transport.ssh_exec.SshExec")):
        registry.register(Another)
    assert registry.register(existing) is existing  # registering the same one again is harmless
