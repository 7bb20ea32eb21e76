"""SSH exec channels (servers: Linux, AIX, ESXi, Windows roles over OpenSSH; storage CLIs): paramiko with a
RejectPolicy on the known_hosts, each command its own channel with its exit status.

`stream()` opens a channel for bulk bytes (an archive passing through cityops on its way from a host to its
backup server): read and write it in chunks, then `finish()` gives the exit status and stderr, and only then is
the command audited and kept as evidence, like any other."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..timeutil import now
from . import hostkeys
from .base import Session
from .errors import ConnectFailure


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

    def stream(self, command: str, timeout: float = 60.0) -> Stream:
        """A channel running `command`, for bytes too many to hold: `timeout` bounds each read and write."""
        if self.fatal is not None:
            raise self.fatal
        t0 = time.monotonic()
        if not self._open:
            try:
                self.connect()
            except ConnectFailure as exc:
                raise self.lose(self.keep_failure(f"<login> {command}", exc, time.monotonic() - t0)) from None
            self._open = True
        try:
            channel = self.client.get_transport().open_session(timeout=self.time_left(timeout))
            channel.settimeout(self.time_left(timeout))
            channel.exec_command(command)  # nosec B601  # the host's own tool (tar, cat), audited at finish()
        except Exception as exc:
            failure = self.failure(exc)
            self.audit(command, failure.cause, time.monotonic() - t0)
            raise self.lose(self.keep_failure(command, failure, time.monotonic() - t0)) from None
        return Stream(self, command, channel, t0)

    def close(self) -> None:
        if self._open:
            self.client.close()
        super().close()


STDERR_KEPT = 64 * 1024  # a tool's complaints are evidence; a flood of them is cut, not held in memory


@dataclass
class Stream:
    """One command's channel carrying bulk bytes: `read`, `write`, `close_input`, then `finish`."""

    session: SshExec
    command: str
    channel: object
    started: float
    sent: int = 0
    received: int = 0
    stderr: bytearray = field(default_factory=bytearray)

    def _drain_stderr(self) -> None:
        while self.channel.recv_stderr_ready():
            chunk = self.channel.recv_stderr(32768)
            if len(self.stderr) < STDERR_KEPT:
                self.stderr += chunk[:STDERR_KEPT - len(self.stderr)]

    def read(self, size: int = 65536) -> bytes:
        """Up to `size` bytes of the command's output; b'' at its end."""
        try:
            data = self.channel.recv(size)
        except TimeoutError:
            raise self._fail("read_timeout", f"'{self.command}' sent nothing for too long") from None
        except Exception as exc:
            raise self._fail(self.session.failure(exc).cause, str(exc)) from None
        self._drain_stderr()
        self.received += len(data)
        return data

    def write(self, data: bytes) -> None:
        try:
            self.channel.sendall(data)
        except TimeoutError:
            raise self._fail("read_timeout", f"'{self.command}' took no input for too long") from None
        except Exception as exc:  # the command ended (a full disk): finish() still collects its status and words
            raise ConnectFailure(self.session.name, "closed", f"'{self.command}' stopped taking input: {exc}") from None
        self.sent += len(data)
        self._drain_stderr()

    def close_input(self) -> None:
        self.channel.shutdown_write()

    def finish(self, timeout: float = 60.0) -> tuple[int | None, str]:
        """Wait for the command to end: its exit status and stderr; audited and kept as evidence now."""
        deadline = time.monotonic() + timeout
        while not self.channel.exit_status_ready():
            self._drain_stderr()
            if self.channel.recv_ready():
                self.received += len(self.channel.recv(65536))  # what a failing command still printed
            elif time.monotonic() > deadline:
                raise self._fail("read_timeout", f"'{self.command}' did not end within {timeout:.0f} s")
            else:
                time.sleep(0.02)
        status = self.channel.recv_exit_status()
        self._drain_stderr()
        self.channel.close()
        err = self.stderr.decode("utf-8", errors="replace")
        self._record(status, err)
        return status, err

    def abort(self) -> None:
        """Give up on the command (the other side failed): close the channel; recorded as cut."""
        if not self.channel.closed:
            self.channel.close()
            self._record("aborted", self.stderr.decode("utf-8", errors="replace"))

    def _record(self, status, err: str) -> None:
        from .base import Answer

        seconds = time.monotonic() - self.started
        self.session.audit(self.command, status, seconds, bytes_sent=self.sent, bytes_received=self.received)
        collected = now().isoformat(timespec="seconds")
        self.session.keep(Answer(self.command, status if isinstance(status, int) else None,
                                 f"<{self.received} bytes streamed, {self.sent} bytes sent>", err, seconds, collected))

    def _fail(self, cause: str, detail: str) -> ConnectFailure:
        self.channel.close()
        self._record(cause, self.stderr.decode("utf-8", errors="replace"))
        return ConnectFailure(self.session.name, cause, detail)
