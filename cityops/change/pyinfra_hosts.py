"""pyinfra over SSH for the patch routes: the hosts as pyinfra targets, one command at a time, audited.

pyinfra needs nothing on a target but a POSIX shell — which is why it drives the hosts ansible-core 2.19 cannot
(Python 2.6, 2.7, 3.7 or none at all). Each host gets its inventory credential and the pinned known_hosts after
the target guard; each command goes to the audit log with its host, status and duration; after a reboot the
route waits for the host's SSH to answer and reconnects.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time

from ..errors import one_line
from ..inventory.model import Host
from ..netguard import refusal
from ..transport.base import TransportConfig
from ..transport.credentials import CredentialError


def pyinfra_state(hosts: list[Host], config: TransportConfig):
    """A pyinfra State for the hosts, each with its inventory credential and the pinned known_hosts; a host that
    cannot be a target (address outside the allowed range, no credential) is returned with its reason instead."""
    from pyinfra.api import Config, Inventory, State

    names, refused = [], {}
    for h in hosts:
        why = refusal(h.address, config.networks)
        if why:
            refused[h.name] = why
            continue
        try:
            cred = config.credentials.get(h.get("credential"))
        except CredentialError as exc:
            refused[h.name] = str(exc)
            continue
        names.append((h.name, {"ssh_hostname": h.address, "ssh_user": cred.username, "ssh_password": cred.password,
                               "ssh_known_hosts_file": str(config.known_hosts),
                               "ssh_strict_host_key_checking": "yes", "ssh_connect_retries": 0,
                               "ssh_look_for_keys": False, "ssh_allow_agent": False}))
    state = State(Inventory((names, {})), Config(CONNECT_TIMEOUT=int(config.login_timeout), FAIL_PERCENT=100))
    return state, refused


def run_command(state, host, command: str, config: TransportConfig, sudo: bool = False,
         ok_status: tuple[int, ...] = (0,)) -> tuple[bool, str, str]:
    """One command through pyinfra's connector, written to the audit log: (succeeded, stdout, stderr)."""
    from pyinfra.api import StringCommand

    t0 = time.monotonic()
    ok, output = host.run_shell_command(StringCommand(command), _sudo=sudo, _timeout=int(config.command_timeout * 20),
                                        _success_exit_codes=list(ok_status))
    config.audit.record(host.name, str(host.data.ssh_hostname), str(host.data.ssh_user), "ssh/pyinfra",
                        ("sudo " if sudo else "") + command, 0 if ok else "failed", time.monotonic() - t0)
    return ok, output.stdout, output.stderr


def connect_all(state) -> dict[str, str]:
    """Connect each host in turn; the ones that fail are named with pyinfra's reason (refused, timed out, a host
    key that is not the pinned one, a password refused)."""
    logging.getLogger("pyinfra").setLevel(logging.CRITICAL)
    failed = {}
    for host in state.inventory:
        try:
            host.connect(show_errors=False, raise_exceptions=True)
            state.activate_host(host)
        except Exception as exc:  # pyinfra's ConnectError and whatever paramiko raised under it
            failed[host.name] = f"连接失败：{one_line(str(exc), 200)}"
    return failed


def disconnect_all(state) -> None:
    from pyinfra.api.connect import disconnect_all

    with contextlib.suppress(Exception):  # a host already gone (rebooted, dropped) has nothing left to close
        disconnect_all(state)


def answers_ssh(address: str) -> bool:
    try:
        with socket.create_connection((address, 22), timeout=1.0) as sock:
            sock.settimeout(1.0)
            return sock.recv(8).startswith(b"SSH-")
    except OSError:
        return False


def wait_gone(address: str, seconds: float) -> None:
    """After a restart was asked for: its sshd still answers for a moment (Windows' /t, the old system going down);
    reconnecting then would find the old system, not the new one. Wait (at most `seconds`) until it stops."""
    gone = time.monotonic() + seconds
    while time.monotonic() < gone and answers_ssh(address):
        time.sleep(0.2)


def wait_back(state, host, seconds: float) -> bool:
    """After the reboot: wait until the host's SSH answers again, then reconnect pyinfra's session to it."""
    deadline = time.monotonic() + seconds
    wait_gone(str(host.data.ssh_hostname), min(60.0, seconds / 2))
    while time.monotonic() < deadline:
        if answers_ssh(str(host.data.ssh_hostname)):
            with contextlib.suppress(Exception):  # the old session died with the reboot
                host.disconnect()
            host.connected = False
            try:
                host.connect(show_errors=False, raise_exceptions=True)
                return True
            except Exception:  # nosec B110  # sshd is up but not yet taking logins: try again
                pass
        time.sleep(0.5)
    return False


def each_host(hosts: list[Host], config: TransportConfig, one, failed_as) -> list:
    """Connect the hosts and call `one(state, host)` for each that connected; a host refused by the target guard or
    its credential, or not reached, comes back as `failed_as(name, why)`. Results in the hosts' order."""
    state, refused = pyinfra_state(hosts, config)
    out = {name: failed_as(name, why) for name, why in refused.items()}
    failed = connect_all(state) if state.inventory.hosts else {}
    for host in state.inventory:
        out[host.name] = failed_as(host.name, failed[host.name]) if host.name in failed else one(state, host)
    disconnect_all(state)
    return [out[h.name] for h in hosts if h.name in out]
