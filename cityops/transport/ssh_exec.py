"""SSH exec channels (servers: Linux, AIX, ESXi, Windows roles over OpenSSH; storage CLIs): paramiko with a
RejectPolicy on the known_hosts, each command its own channel with its exit status."""

from __future__ import annotations

import time

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

    def close(self) -> None:
        if self._open:
            self.client.close()
        super().close()
