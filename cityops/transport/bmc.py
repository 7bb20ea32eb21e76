"""Sessions to a server's management controller (BMC): Redfish over HTTPS, or IPMI over RMCP+ with pyghmi.

The BMC is its own endpoint of the inventory host (`bmc_address`, `bmc_credential`,
`bmc_protocol`), reachable when the operating system is not: its checks get their
own session, guarded, time-bounded and audited like the host's.
"""

from __future__ import annotations

import threading

from ..inventory.model import Host
from .base import Session, TransportConfig
from .errors import ConnectFailure
from .https import HttpSession


class _BmcEndpoint:
    """Mixin: the session's credential is the BMC's (its address comes from `at_bmc`)."""

    credential_field = "bmc_credential"


class RedfishSession(_BmcEndpoint, HttpSession):
    protocol = "redfish"

    def __init__(self, host: Host, config: TransportConfig, deadline: float | None = None):
        super().__init__(at_bmc(host), config, deadline)

    def connect(self) -> None:
        super().connect()
        self.http.auth = (self.credential.username, self.credential.password)  # Basic, as DMTF allows

    def get(self, path: str) -> dict:
        r = self.request("GET", path)
        if r.status_code == 401:
            raise self.lose(ConnectFailure(self.name, "auth", f"Redfish {path}: 401"))
        if r.status_code != 200:
            raise ConnectFailure(self.name, "protocol", f"Redfish {path}: HTTP {r.status_code}")
        try:
            return r.json()
        except ValueError:
            raise ConnectFailure(self.name, "garbage", f"Redfish {path}: not JSON") from None


def at_bmc(host: Host) -> _HostView:
    """The host as its BMC session sees it: the same name and fields, with the BMC's address as the target
    (so the base Session guards and addresses the BMC)."""
    return _HostView(host, dict(host.vars, ansible_host=host.get("bmc_address")))


class _HostView:
    """The inventory host seen with its BMC address as the session's target."""

    def __init__(self, host: Host, vars_: dict):
        self._host, self.vars, self.name = host, vars_, host.name

    def get(self, key: str, default=None):
        return self.vars.get(key, default)

    def __getattr__(self, item):
        return getattr(self._host, item)


IPMI_SLOTS = threading.BoundedSemaphore(6)  # RMCP+ over UDP retransmits under load: a few BMCs at a time


class IpmiSession(_BmcEndpoint, Session):
    """IPMI 2.0 (RMCP+, cipher suite 3 as the IMM and iDRAC6 offer) through ipmitool, one short process per query.

    pyghmi's client multiplexes every BMC over one socket and one I/O thread; under a
    concurrent run it waited forever on an answer. ipmitool is what engineers run by
    hand, answers in ~30 ms, takes the password from the environment (never argv)
    and is bounded here by the host's time limit.
    """

    protocol = "ipmi"

    def __init__(self, host: Host, config: TransportConfig, deadline: float | None = None):
        super().__init__(at_bmc(host), config, deadline)

    def connect(self) -> None:
        self.credential  # noqa: B018 - resolve (and register for redaction) before the first query

    def _run(self, command: str, timeout: float) -> tuple[int | None, str, str]:
        import os
        import subprocess  # nosec B404  # ipmitool, no shell

        cred = self.credential
        argv = ["ipmitool", "-I", "lanplus", "-C", "3", "-N", "2", "-R", "1", "-H", self.address,
                "-U", cred.username, "-E", *command.split()]
        env = {**os.environ, "IPMI_PASSWORD": cred.password}

        def ipmitool(args: list[str]) -> subprocess.CompletedProcess:
            return subprocess.run(args, capture_output=True, text=True, timeout=self.time_left(timeout), env=env)  # nosec B603  # argv list, password via env

        try:
            with IPMI_SLOTS:
                p = ipmitool(argv)
                if p.returncode != 0 and "Unable to establish" in p.stderr:
                    p = ipmitool(argv)  # the same question once more: a datagram lost on a busy network
                    if p.returncode != 0 and "Unable to establish" in p.stderr:
                        why = ipmitool([argv[0], "-v", *argv[1:]])  # verbose, only to learn why: never parsed
                        p = subprocess.CompletedProcess(argv, p.returncode, p.stdout, p.stderr + why.stderr)
        except subprocess.TimeoutExpired:
            raise ConnectFailure(self.name, "read_timeout", f"ipmitool {command}: no answer in {timeout:.0f} s") from None
        except FileNotFoundError:
            raise ConnectFailure(self.name, "protocol", "ipmitool is not installed (scripts/setup.sh installs it)") from None
        if p.returncode != 0:
            err = p.stderr
            if "RAKP 2 HMAC is invalid" in err or "unauthorized name" in err.lower() or "Invalid user name" in err:
                raise ConnectFailure(self.name, "auth", "RAKP 2 HMAC is invalid")
            if "Unable to establish" in err or "Get Auth Capabilities error" in err:
                raise ConnectFailure(self.name, "timeout", f"{self.address}:623/udp 无应答")
            raise ConnectFailure(self.name, "protocol", err.strip().splitlines()[-1][:200] if err.strip() else "")
        return p.returncode, p.stdout, p.stderr  # stderr kept: ipmitool reports a record it could not read there

    def sensors(self) -> str:
        """`ipmitool sdr elist`: every sensor of the SDR repository with its status and reading; a list ipmitool
        completed with complaints on stderr (a record it could not read) is refused, never taken as the whole."""
        from ..parsers import ParseError

        answer = self.run("sdr elist")
        if answer.stderr.strip():
            raise ParseError(f"ipmitool sdr elist: partial answer — {answer.stderr.strip().splitlines()[-1][:160]}")
        return answer.stdout


def open_bmc(host: Host, config: TransportConfig, deadline: float | None = None) -> Session:
    proto = str(host.get("bmc_protocol") or "")
    if not host.get("bmc_address"):
        raise ConnectFailure(host.name, "protocol", "the inventory names no bmc_address")
    if proto == "redfish":
        return RedfishSession(host, config, deadline)
    if proto == "ipmi":
        return IpmiSession(host, config, deadline)
    raise ConnectFailure(host.name, "protocol", f"unknown bmc_protocol '{proto}'")
