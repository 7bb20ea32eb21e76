"""Sessions to inventory hosts, one kind per transport, all guarded, authenticated, time-bounded and audited.

`open_session(host, config)` picks the session from the host's platform:
  - SshExec: servers (Linux, AIX, ESXi, Windows roles over OpenSSH) and storage CLIs
    over SSH exec channels, with paramiko and a RejectPolicy on the known_hosts;
  - CliSession: network devices and SSH-managed appliances through netmiko
    (device_type from the platform; Topsec and Sangfor have no driver, so the
    generic one), host keys checked the same way;
  - HttpSession: web sites and HTTPS-managed devices through requests, verified
    against a CA bundle (the lab's CA in the lab), never with verification off.
Sessions are opened lazily on the first command and reused for every check of
the host; each command gets min(command timeout, what is left of the host's
time limit). Failures raise ConnectFailure with a cause code.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from .. import netguard, platforms
from ..inventory.model import Host
from ..timeutil import now
from . import hostkeys
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

    def __init__(self, host: Host, config: TransportConfig, deadline: float | None = None):
        self.host, self.config = host, config
        self.name = host.name
        self.address = str(host.get("ansible_host") or "")
        self.deadline = deadline
        self.platform = platforms.get(str(host.get("platform")))
        self._cred = None
        self._open = False
        self.recorder: list[Answer] | None = None  # a running check collects its evidence here
        self.fatal: ConnectFailure | None = None  # once the host is lost, every later command fails the same way
        self.memo: dict = {}  # facts several checks of one run need (which node owns a cluster role ...)
        reason = netguard.refusal(self.address, config.networks)
        if reason:
            raise ConnectFailure(self.name, "refused_target", reason)

    @property
    def credential(self):
        if self._cred is None:
            try:
                self._cred = self.config.credentials.get(self.host.get("credential"))
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
        if self.recorder is not None:
            self.recorder.append(answer)
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
        for other in self.memo.values():  # sessions opened alongside this one (the host's BMC)
            if isinstance(other, Session):
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


class SshExec(Session):
    protocol = "ssh"

    def connect(self) -> None:
        import paramiko

        client = paramiko.SSHClient()
        hostkeys.trust(client, self.config.known_hosts, self.address)
        cred = self.credential
        t0 = time.monotonic()
        try:
            with self.login_slot():
                timeout = self.time_left(self.config.login_timeout)
                client.connect(self.address, username=cred.username, password=cred.password, timeout=timeout,
                               banner_timeout=timeout, auth_timeout=timeout, look_for_keys=False,
                               allow_agent=False, sock=self.tcp())
        except Exception as exc:
            client.close()
            failure = self.failure(exc)
            self.audit("<login>", failure.cause, time.monotonic() - t0)
            raise failure from None
        self.client = client

    def _run(self, command: str, timeout: float) -> tuple[int | None, str, str]:
        try:
            _stdin, out, err = self.client.exec_command(command, timeout=timeout)  # nosec B601  # the device's own CLI command, audited
            stdout = out.read().decode("utf-8", errors="replace")
            stderr = err.read().decode("utf-8", errors="replace")
            status = out.channel.recv_exit_status()
        except TimeoutError:
            if getattr(self, "_cut", None):
                raise ConnectFailure(self.name, "host_timeout", f"'{command}' cut at the host's time limit") from None
            raise ConnectFailure(self.name, "read_timeout", f"'{command}' gave no answer within {timeout:.0f} s") from None
        except Exception as exc:
            raise self.failure(exc) from None
        if getattr(self, "_cut", None):  # the watchdog shut the socket: what was read is a fragment, not an answer
            raise ConnectFailure(self.name, "host_timeout", f"'{command}' cut at the host's time limit")
        if status == -1:  # paramiko's "no exit status": the channel closed before the command finished
            raise ConnectFailure(self.name, "closed", f"'{command}': the session closed before the command finished")
        return status, stdout, stderr

    def close(self) -> None:
        if self._open:
            self.client.close()
        super().close()


NETMIKO_GENERIC = {"topsec_tos": ("generic", "gbk"), "sangfor_vpn": ("generic", "utf-8")}


class CliSession(Session):
    """An interactive CLI through netmiko: prompts, paging and the device's own errors handled by the driver."""

    protocol = "ssh-cli"

    def connect(self) -> None:
        device_type, encoding = NETMIKO_GENERIC.get(self.platform.id, (self.platform.netmiko, "utf-8"))
        cred = self.credential
        t0 = time.monotonic()
        try:
            with self.login_slot():
                timeout = self.time_left(self.config.login_timeout)
                self.conn = hostkeys.netmiko_driver(device_type, self.config.known_hosts)(
                    device_type=device_type, host=self.address, username=cred.username, password=cred.password,
                    encoding=encoding, conn_timeout=timeout, auth_timeout=timeout, banner_timeout=timeout,
                    ssh_strict=True, system_host_keys=False, alt_host_keys=False, use_keys=False,
                    allow_agent=False, fast_cli=True, read_timeout_override=timeout,  # bounds the login's reads
                    sock=self.tcp())
                self.conn.read_timeout_override = None  # from here each command's own read_timeout applies
                self._sync(timeout)
        except Exception as exc:
            failure = self.failure(exc)
            self.audit("<login>", failure.cause, time.monotonic() - t0)
            raise failure from None

    def _run(self, command: str, timeout: float) -> tuple[int | None, str, str]:
        try:
            out = self._exchange(command, timeout)
        except ConnectFailure:
            raise
        except Exception as exc:
            raise self.failure(exc) from None
        # A CLI has no exit status; the device's own error markers stand for a non-zero one.
        failed = any(m in out[:200] for m in ("Error: Unrecognized command", "% Invalid input", "% Unrecognized",
                                               "Error: Wrong parameter", "% Unknown command"))
        return (1 if failed else 0), out, ""

    # A read-only command per platform and a pattern only its answer prints.
    SYNC: ClassVar[dict[str, tuple[str, str]]] = {
            "huawei_vrp": ("display clock", r"Time Zone"), "huawei_vrpv8": ("display clock", r"Time Zone"),
            "hp_comware": ("display clock", r"Time Zone"), "cisco_ios": ("show clock", r"\d{2}:\d{2}:\d{2}\.\d{3}"),
            "cisco_nxos": ("show clock", r"\d{2}:\d{2}:\d{2}\.\d{3}"), "brocade_fos": ("version", r"Fabric OS:"),
            "topsec_tos": ("system version show", r"TopsecOS version"),
            "sangfor_vpn": ("show version", r"Software version")}

    def _sync(self, timeout: float) -> None:
        """Read past everything the login left in flight. netmiko's paging command can return at a stale
        prompt while the device's answer is still on its way, to be taken for the first command's answer. A
        device echoes type-ahead at once but answers in order, so: send a read-only command and read until
        a line only its answer prints, then the prompt after it."""
        probe = self.SYNC.get(self.platform.id)
        if not probe:
            return
        command, answer = probe
        self.conn.write_channel(command + self.conn.RETURN)
        seen, deadline = "", time.monotonic() + timeout
        while not re.search(answer, seen):
            if time.monotonic() > deadline:
                prompts = len(re.findall(self._prompt_pattern(), seen))
                if prompts and command in seen:  # it answered, but not what that command prints
                    raise ConnectFailure(self.name, "garbage", f"'{command}' answered: {seen.strip()[-120:]!r}")
                raise ConnectFailure(self.name, "read_timeout", f"no answer to '{command}' after login")
            seen += self.conn.read_channel()
            time.sleep(0.01)
        tail = re.split(answer, seen, maxsplit=1)[-1]
        if not re.search(self._prompt_pattern(), tail):
            self.conn.read_until_pattern(pattern=self._prompt_pattern(), read_timeout=timeout * 2)

    def _exchange(self, command: str, timeout: float) -> str:
        """Send one command and return what the device printed between its echo and the next prompt.

        netmiko logged in, disabled paging and knows the prompt; reading is done here with blocking receives
        on its channel rather than netmiko's 10 ms polling loop, which with dozens of sessions in threads costs
        more CPU than the SSH itself. The prompt is the one learned at login (find_prompt() per command can read
        a stale line under load and then wait for a prompt that never comes)."""
        import codecs

        chan = self.conn.remote_conn
        pattern = re.compile(self._prompt_pattern())
        decoder = codecs.getincrementaldecoder(self.conn.encoding)(errors="replace")
        buf, self.conn._read_buffer = self.conn._read_buffer or "", ""
        chan.sendall((command + self.conn.RETURN).encode(self.conn.encoding, errors="replace"))
        deadline = time.monotonic() + timeout
        while True:
            text = buf.replace("\r\n", "\n").replace("\r", "")
            start = text.find(command)
            if start >= 0:
                m = pattern.search(text, start + len(command))
                if m:
                    return text[start + len(command):m.start()].strip("\n")
            left = deadline - time.monotonic()
            if left <= 0:
                raise ConnectFailure(self.name, "read_timeout", f"'{command}' gave no prompt back within {timeout:.0f} s")
            chan.settimeout(left)
            try:
                data = chan.recv(65536)
            except TimeoutError:
                if getattr(self, "_cut", None):
                    raise ConnectFailure(self.name, "host_timeout") from None
                continue
            if not data:
                if getattr(self, "_cut", None):
                    raise ConnectFailure(self.name, "host_timeout")
                raise ConnectFailure(self.name, "closed", f"the device closed the session during '{command}'")
            buf += decoder.decode(data)

    def _prompt_pattern(self) -> str:
        base = re.escape(self.conn.base_prompt)
        if self.platform.id.startswith(("huawei", "hp_")):
            return rf"[<\[]{base}[^\n]*[>\]]"  # <name> or [name] (system view), never 'sysname name' in a config
        return rf"{base}[^\n\s]*\s?[>#$]"

    def close(self) -> None:
        if self._open:
            try:
                self.conn.remote_conn.close()  # no graceful 'quit': VRP's logout costs seconds per device
                self.conn.remote_conn_pre.close()
            except Exception:  # nosec B110  # best-effort close of a dead session
                pass
        super().close()


class HttpSession(Session):
    protocol = "https"

    def connect(self) -> None:
        import requests

        self.http = requests.Session()
        self.http.verify = str(self.config.ca_file) if self.config.ca_file else True
        self.http.trust_env = False  # never through a proxy from the environment

    def url(self, path: str) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"https://{host}{path}"

    def request(self, method: str, path: str, *, json=None, headers=None, timeout: float | None = None,
                address: str | None = None):
        """One HTTP request, audited; `address` targets another of the host's addresses (its IPv6 one)."""
        import requests

        if self.fatal is not None:
            raise self.fatal
        if address and address != self.address:
            reason = netguard.refusal(address, self.config.networks)
            if reason:
                raise ConnectFailure(self.name, "refused_target", reason)
        if not self._open:
            self.connect()
            self._open = True
        target = f"https://[{address}]{path}" if address and ":" in address else (
            f"https://{address}{path}" if address else self.url(path))
        t0 = time.monotonic()
        wait = self.time_left(timeout or self.config.command_timeout)
        try:
            r = self.http.request(method, target, json=json, headers=headers,
                                  timeout=(min(wait, self.config.connect_timeout), wait))
        except requests.exceptions.SSLError as exc:
            failure = ConnectFailure(self.name, "tls", str(exc).splitlines()[0][:200])
        except requests.exceptions.ConnectTimeout:
            failure = ConnectFailure(self.name, "timeout", f"{target}")
        except requests.exceptions.ReadTimeout:
            failure = ConnectFailure(self.name, "read_timeout", f"{target} gave no answer within {wait:.0f} s")
        except requests.exceptions.ConnectionError as exc:
            cause = "refused" if "refused" in str(exc).lower() else "closed"
            failure = ConnectFailure(self.name, cause, target)
        else:
            self.audit(f"{method} {path}", r.status_code, time.monotonic() - t0)
            self.keep(Answer(f"{method} {path}", r.status_code, r.text, "", time.monotonic() - t0,
                             now().isoformat(timespec="seconds")))
            return r
        self.audit(f"{method} {path}", failure.cause, time.monotonic() - t0)
        self.keep_failure(f"{method} {target}", failure, time.monotonic() - t0)
        raise self.lose(failure) if not address or address == self.address else failure  # another address: not lost

    def run(self, command: str, timeout: float | None = None) -> Answer:  # request() audits and keeps it
        method, _, path = command.partition(" ")
        r = self.request(method, path, timeout=timeout)
        return Answer(command, 0 if r.ok else r.status_code, r.text, "", r.elapsed.total_seconds(), "")

    def certificate(self, port: int = 443) -> dict:
        """The server certificate of a verified TLS handshake (notAfter, subject ...), audited as a query."""
        import ssl

        if self.fatal is not None:
            raise self.fatal
        ctx = ssl.create_default_context(cafile=str(self.config.ca_file) if self.config.ca_file else None)
        t0 = time.monotonic()
        try:
            with socket.create_connection((self.address, port), timeout=self.time_left(self.config.connect_timeout)) as raw, \
                    ctx.wrap_socket(raw, server_hostname=self.address) as tls:
                cert = tls.getpeercert()
        except ssl.SSLError as exc:
            failure = ConnectFailure(self.name, "tls", str(exc)[:200])
        except ConnectionRefusedError:
            failure = self.lose(ConnectFailure(self.name, "refused", f"{self.address}:{port}"))
        except TimeoutError:
            failure = self.lose(ConnectFailure(self.name, "timeout", f"{self.address}:{port}"))
        else:
            self.audit(f"TLS {self.address}:{port}", 0, time.monotonic() - t0)
            self.keep(Answer(f"TLS handshake {self.address}:{port}", 0, f"notAfter={cert.get('notAfter')} "
                             f"subject={cert.get('subject')}", "", time.monotonic() - t0,
                             now().isoformat(timespec="seconds")))
            return cert
        self.audit(f"TLS {self.address}:{port}", failure.cause, time.monotonic() - t0)
        raise self.keep_failure(f"TLS handshake {self.address}:{port}", failure, time.monotonic() - t0)

    def close(self) -> None:
        if self._open:
            self.http.close()
        super().close()


def session_class(host: Host) -> type[Session]:
    p = platforms.get(str(host.get("platform")))
    if p is None:
        raise ConnectFailure(host.name, "protocol", f"unknown platform '{host.get('platform')}'")
    if p.family == "server_os" or (p.family == "storage_cli" and p.transport == "ssh"):
        return SshExec
    if p.transport == "netmiko" or (p.family == "appliance" and p.transport == "ssh"):
        return CliSession
    if p.transport in ("https", "http"):
        return HttpSession
    if p.transport == "snmp":
        from .snmp import SnmpSession

        return SnmpSession
    raise ConnectFailure(host.name, "protocol", f"cityops has no session for transport '{p.transport}' yet")


def open_session(host: Host, config: TransportConfig, deadline: float | None = None) -> Session:
    return session_class(host)(host, config, deadline)
