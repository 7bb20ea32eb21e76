"""Interactive device CLIs through netmiko (network devices, SSH-managed appliances).

What differs by platform (netmiko device type, encoding, prompt, the probe read after login, the device's
own error markers) is the platform driver's (cityops/drivers); this module only drives the channel."""

from __future__ import annotations

import re
import time

from .. import drivers
from ..drivers.base import Driver
from . import hostkeys
from .base import Session
from .errors import ConnectFailure


class CliSession(Session):
    """An interactive CLI through netmiko: prompts, paging and the device's own errors handled by the driver."""

    protocol = "ssh-cli"

    @property
    def driver(self) -> Driver:
        driver = drivers.cli_driver(self.platform.id)
        if driver is None:
            raise ConnectFailure(self.name, "protocol", f"cityops has no CLI driver for platform '{self.platform.id}'")
        return driver

    def connect(self) -> None:
        device_type, encoding = self.driver.netmiko, self.driver.encoding
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
                if not self.conn.base_prompt:  # netmiko's generic driver (Topsec, Sangfor) learns no prompt: without
                    self.conn.set_base_prompt(pri_prompt_terminator="#", alt_prompt_terminator=">")  # it any '#' ends
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
        return (1 if self.driver.failed(out) else 0), out, ""

    def _sync(self, timeout: float) -> None:
        """Read past everything the login left in flight. netmiko's paging command can return at a stale
        prompt while the device's answer is still on its way, to be taken for the first command's answer. A
        device echoes type-ahead at once but answers in order, so: send a read-only command and read until
        a line only its answer prints, then the prompt after it."""
        probe = self.driver.sync
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

    def driven(self):
        """The session's netmiko connection, logged in, for a library that drives it itself (napalm's drivers,
        netmiko's own save and commit dialogs). Every command it sends is written to the audit log under this
        session; a second SSH connection it opens (napalm's SCP) gets a socket of its own through the same
        target guard and the same pinned host keys."""
        if self.fatal is not None:
            raise self.fatal
        if not self._open:
            self.connect()
            self._open = True
        conn = self.conn
        if not getattr(conn, "_cityops_audited", False):
            for name in ("send_command", "send_command_timing", "send_config_set", "save_config", "commit"):
                if hasattr(conn, name):
                    setattr(conn, name, self._audited(getattr(conn, name), name))
            params = conn._connect_params_dict
            conn._connect_params_dict = lambda: {**params(), "sock": self.tcp()}
            conn._cityops_audited = True
        return conn

    def _audited(self, method, name: str):
        def call(*args, **kwargs):
            what = args[0] if args else kwargs.get("command_string", kwargs.get("config_commands", ""))
            if name == "send_config_set":
                what = "; ".join(str(x) for x in (what or []))
            elif name in ("save_config", "commit"):
                what = f"<netmiko {name}>"
            t0 = time.monotonic()
            try:
                out = method(*args, **kwargs)
            except Exception as exc:
                self.audit(str(what), f"failed: {type(exc).__name__}", time.monotonic() - t0)
                raise
            self.audit(str(what), 1 if isinstance(out, str) and self.driver.failed(out) else 0, time.monotonic() - t0)
            return out

        return call

    def _prompt_pattern(self) -> str:
        return self.driver.prompt_pattern(self.conn.base_prompt)

    def close(self) -> None:
        if self._open:
            try:
                self.conn.remote_conn.close()  # no graceful 'quit': VRP's logout costs seconds per device
                self.conn.remote_conn_pre.close()
            except Exception:  # nosec B110  # best-effort close of a dead session
                pass
        super().close()
