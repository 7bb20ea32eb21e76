"""Sessions to a server's management controller (BMC): Redfish over HTTPS, or IPMI over RMCP+ with pyghmi.

The BMC is its own endpoint of the inventory host (`bmc_address`, `bmc_credential`,
`bmc_protocol`), reachable when the operating system is not: its checks get their
own session, guarded, time-bounded and audited like the host's.
"""

from __future__ import annotations

import threading
import time

from ..inventory.model import Host
from ..timeutil import now
from .credentials import CredentialError
from .errors import ConnectFailure
from .session import Answer, HttpSession, Session, TransportConfig


class _BmcEndpoint:
    """Mixin: the session's address and credential are the BMC's."""

    def _bmc_init(self, host: Host) -> None:
        self.address = str(host.get("bmc_address") or "")

    @property
    def credential(self):
        if self._cred is None:
            try:
                self._cred = self.config.credentials.get(self.host.get("bmc_credential"))
            except CredentialError as exc:
                raise ConnectFailure(self.name, "no_credential", str(exc)) from None
        return self._cred


class RedfishSession(_BmcEndpoint, HttpSession):
    protocol = "redfish"

    def __init__(self, host: Host, config: TransportConfig, deadline: float | None = None):
        _patched = dict(host.vars, ansible_host=host.get("bmc_address"))
        super().__init__(_HostView(host, _patched), config, deadline)
        self._bmc_init(host)

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


class _HostView:
    """The inventory host seen with its BMC address as the session's target."""

    def __init__(self, host: Host, vars_: dict):
        self._host, self.vars, self.name = host, vars_, host.name

    def get(self, key: str, default=None):
        return self.vars.get(key, default)

    def __getattr__(self, item):
        return getattr(self._host, item)


_IPMI: dict[tuple, object] = {}
_IPMI_LOCK = threading.Lock()


class IpmiSession(_BmcEndpoint, Session):
    """IPMI 2.0 (RMCP+) through pyghmi; one client per BMC and user for the process (pyghmi shares sessions)."""

    protocol = "ipmi"

    def __init__(self, host: Host, config: TransportConfig, deadline: float | None = None):
        super().__init__(_HostView(host, dict(host.vars, ansible_host=host.get("bmc_address"))), config, deadline)
        self._bmc_init(host)

    def connect(self) -> None:
        from pyghmi.exceptions import IpmiException
        from pyghmi.ipmi import command

        cred = self.credential
        key = (self.address, cred.username, cred.password)
        t0 = time.monotonic()
        with _IPMI_LOCK:
            self.client = _IPMI.get(key)
            if self.client is None:
                try:
                    self.client = command.Command(bmc=self.address, userid=cred.username, password=cred.password)
                except IpmiException as exc:
                    cause = "auth" if "password" in str(exc).lower() or "unauthorized" in str(exc).lower() else "timeout"
                    failure = ConnectFailure(self.name, cause, str(exc)[:200])
                    self.audit("<login>", cause, time.monotonic() - t0)
                    raise failure from None
                _IPMI[key] = self.client

    def sensors(self) -> list:
        """Every sensor reading (name, value, units, health, states)."""
        if self.fatal is not None:
            raise self.fatal
        if not self._open:
            try:
                self.connect()
            except ConnectFailure as exc:
                raise self.lose(exc) from None
            self._open = True
        t0 = time.monotonic()
        try:
            readings = list(self.client.get_sensor_data())
        except Exception as exc:
            with _IPMI_LOCK:
                _IPMI.pop((self.address, self.credential.username, self.credential.password), None)
            failure = ConnectFailure(self.name, "timeout" if "timeout" in str(exc).lower() else "protocol",
                                     str(exc)[:200])
            self.audit("get_sensor_data", failure.cause, time.monotonic() - t0)
            raise self.lose(failure) from None
        self.audit("get_sensor_data", 0, time.monotonic() - t0)
        text = "\n".join(f"{s.name} = {s.value} {s.units or ''} health={s.health} {','.join(s.states)}" for s in readings)
        self.keep(Answer("ipmi get_sensor_data", 0, text, "", time.monotonic() - t0, now().isoformat(timespec="seconds")))
        return readings


def open_bmc(host: Host, config: TransportConfig, deadline: float | None = None) -> Session:
    proto = str(host.get("bmc_protocol") or "")
    if not host.get("bmc_address"):
        raise ConnectFailure(host.name, "protocol", "the inventory names no bmc_address")
    if proto == "redfish":
        return RedfishSession(host, config, deadline)
    if proto == "ipmi":
        return IpmiSession(host, config, deadline)
    raise ConnectFailure(host.name, "protocol", f"unknown bmc_protocol '{proto}'")
