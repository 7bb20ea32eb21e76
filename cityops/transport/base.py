"""What every connector shares: its configuration, the answer it returns, and the base session with the target
guard, the credential, the host's deadline, the login slots, the audit trail and evidence capture.

A connector (ssh_exec, cli, https, snmp, bmc) is a small subclass with `connect()` and `_run()`; they all answer
`run(command) -> Answer`, and every command is audited and kept as evidence by `run` itself. Failures raise
ConnectFailure with a cause code; `classify_ssh` turns an SSH client's exception into one."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import netguard, platforms
from ..inventory.model import Host
from ..timeutil import now
from .audit import AuditLog
from .credentials import CredentialError, Credentials
from .errors import ConnectFailure

# Causes after which the host's session is gone: later checks fail with the same cause, without retrying.
FATAL = {"refused_target", "no_credential", "timeout", "refused", "auth", "host_key_unknown", "host_key_changed",
         "host_timeout", "closed"}


@dataclass
class TransportConfig:
    credentials: Credentials
    known_hosts: Path
    audit: AuditLog
    ca_file: Path | None = None
    connect_timeout: float = 5.0  # TCP connect
    login_timeout: float = 15.0  # SSH banner, key exchange and authentication, each
    command_timeout: float = 30.0
    networks: tuple = field(default_factory=netguard.allowed_networks)
    # SSH logins under way at once: key exchanges are CPU work, and a hundred at once starve each other past
    # their timers (seen as false 'wrong password' under load); commands on open sessions are not limited.
    login_slots: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(32))


@dataclass
class Answer:
    """What a device said to one command or query."""

    command: str
    exit_status: int | None
    stdout: str
    stderr: str
    seconds: float
    collected: str  # ISO time, +08:00

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


class Session:
    """Base: guard, credential, deadline and audit shared by every transport."""

    protocol = ""
    credential_field = "credential"  # the inventory field naming the credential (a BMC's is bmc_credential)

    def __init__(self, host: Host, config: TransportConfig, deadline: float | None = None):
        self.host, self.config = host, config
        self.name = host.name
        self.address = str(host.get("ansible_host") or "")
        self.deadline = deadline
        self.platform = platforms.get(str(host.get("platform")))
        self._cred = None
        self._open = False
        self.answers: list[Answer] = []  # every answer, in order: the evidence the connector collects itself
        self.facts: dict = {}  # per-host fact cache: readings several checks share, with the answers they rest on
        self.state: dict = {}  # connection state a protocol keeps (an API token)
        self.companions: dict[str, Session] = {}  # sessions opened beside this one (the host's BMC), closed with it
        self.fatal: ConnectFailure | None = None  # once the host is lost, every later command fails the same way
        reason = netguard.refusal(self.address, config.networks)
        if reason:
            raise ConnectFailure(self.name, "refused_target", reason)

    @property
    def credential(self):
        if self._cred is None:
            try:
                self._cred = self.config.credentials.get(self.host.get(self.credential_field))
            except CredentialError as exc:
                raise ConnectFailure(self.name, "no_credential", str(exc)) from None
        return self._cred

    @property
    def opened(self) -> bool:
        return self._open

    def time_left(self, want: float) -> float:
        if self.deadline is None:
            return want
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ConnectFailure(self.name, "host_timeout")
        return min(want, left)

    def tcp(self, port: int = 22) -> socket.socket:
        """The session's TCP connection, opened here so the host's deadline can cut it (see watchdog)."""
        from .watchdog import WATCHDOG

        try:
            sock = socket.create_connection((self.address, port), timeout=self.time_left(self.config.connect_timeout))
        except ConnectionRefusedError as exc:
            raise ConnectFailure(self.name, "refused", f"{self.address}:{port} {exc.strerror or ''}".strip()) from None
        except TimeoutError:
            raise ConnectFailure(self.name, "timeout", f"{self.address}:{port}") from None
        except OSError as exc:
            raise ConnectFailure(self.name, "timeout" if exc.errno in (113, 101) else "refused",
                                 f"{self.address}:{port} {exc.strerror or exc}") from None
        if self.deadline is not None:
            self._cut = WATCHDOG.watch(sock, self.deadline)
        return sock

    @contextlib.contextmanager
    def login_slot(self):
        """Hold one of the run's login slots for the handshake; waiting for one counts against the host's time."""
        slots = self.config.login_slots
        if not slots.acquire(timeout=self.time_left(self.config.login_timeout * 3)):
            raise ConnectFailure(self.name, "host_timeout", "等待登录时隙超时")
        try:
            yield
        finally:
            slots.release()

    def failure(self, exc: BaseException) -> ConnectFailure:
        """A client's exception as a cause; a socket the watchdog cut is the host's time limit, whatever it raised."""
        if getattr(self, "_cut", None):
            return ConnectFailure(self.name, "host_timeout")
        return classify_ssh(self.name, exc)

    def audit(self, command: str, status, seconds: float, **extra) -> None:
        user = self._cred.username if self._cred else ""
        self.config.audit.record(self.name, self.address, user, self.protocol, command, status, seconds, **extra)

    def lose(self, failure: ConnectFailure) -> ConnectFailure:
        """Remember a failure that ends the host's session (not reached, refused, timed out), so no retry per check."""
        if failure.cause in FATAL or not self._open:
            self.fatal = failure
        return failure

    def run(self, command: str, timeout: float | None = None) -> Answer:
        if self.fatal is not None:
            raise self.fatal
        t0 = time.monotonic()
        collected = now().isoformat(timespec="seconds")
        if not self._open:
            try:
                self.connect()  # audits its own '<login>' failure
            except ConnectFailure as exc:
                raise self.lose(self.keep_failure(f"<login> {command}", exc, time.monotonic() - t0)) from None
            self._open = True
        try:
            rc, out, err = self._run(command, self.time_left(timeout or self.config.command_timeout))
        except ConnectFailure as exc:
            self.audit(command, exc.cause, time.monotonic() - t0)
            raise self.lose(self.keep_failure(command, exc, time.monotonic() - t0)) from None
        seconds = time.monotonic() - t0
        self.audit(command, rc, seconds)
        return self.keep(Answer(command, rc, out, err, seconds, collected))

    def keep(self, answer: Answer) -> Answer:
        self.answers.append(answer)
        return answer

    def keep_failure(self, command: str, failure: ConnectFailure, seconds: float) -> ConnectFailure:
        """A command that got no answer is evidence too: what was tried, and why it failed."""
        self.keep(Answer(command, failure.cause, "", str(failure), seconds, now().isoformat(timespec="seconds")))
        return failure

    def connect(self) -> None:
        raise NotImplementedError

    def _run(self, command: str, timeout: float) -> tuple[int | None, str, str]:
        raise NotImplementedError

    def close(self) -> None:
        for other in self.companions.values():
            other.close()
        self._open = False


def _chain(exc: BaseException) -> list[BaseException]:
    out, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        out.append(exc)
        exc = exc.__cause__ or exc.__context__
    return out


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def classify_ssh(name: str, exc: BaseException) -> ConnectFailure:
    """paramiko / netmiko / socket exceptions -> a cause code (netmiko wraps the socket error: look down the chain)."""
    import errno

    import paramiko

    chain = _chain(exc)
    for e in chain:  # paramiko's auth timer firing is a slow login, not a wrong password, whatever wraps it
        if isinstance(e, paramiko.AuthenticationException) and "timeout" in str(e).lower():
            return ConnectFailure(name, "read_timeout", "登录未在时限内完成（Authentication timeout）")
        if "No existing session" in str(e):
            return ConnectFailure(name, "read_timeout", "SSH 会话在登录完成前已中断（No existing session）")
    for e in chain:
        kind = type(e).__name__
        text = str(e)
        if isinstance(e, ConnectFailure):
            return e
        if isinstance(e, paramiko.BadHostKeyException):
            return ConnectFailure(name, "host_key_changed", _first_line(e))
        if isinstance(e, paramiko.ssh_exception.NoValidConnectionsError):
            codes = {getattr(err, "errno", None) for err in e.errors.values()}
            return ConnectFailure(name, "refused" if errno.ECONNREFUSED in codes else "timeout", _first_line(e))
        if isinstance(e, ConnectionRefusedError):
            return ConnectFailure(name, "refused", _first_line(e))
        if isinstance(e, paramiko.AuthenticationException) or kind == "NetmikoAuthenticationException":
            return ConnectFailure(name, "auth", _first_line(e))
        if "not found in known_hosts" in text:
            return ConnectFailure(name, "host_key_unknown", _first_line(e))
        if kind == "ReadTimeout" or "Pattern not detected" in text or "Error reading SSH protocol banner" in text:
            return ConnectFailure(name, "read_timeout", "登录后未在时限内出现提示符" if "Pattern" in text else _first_line(e))
        if isinstance(e, (socket.timeout, TimeoutError)):
            return ConnectFailure(name, "timeout", _first_line(e))
        if isinstance(e, EOFError) or (isinstance(e, paramiko.SSHException) and "closed" in text.lower()):
            return ConnectFailure(name, "closed", _first_line(e))
    return ConnectFailure(name, "protocol", f"{type(exc).__name__}: {_first_line(exc)}")
