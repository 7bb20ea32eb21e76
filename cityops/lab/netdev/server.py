"""The lab's network-device server: every switch, router and appliance of the plan in one process.

Each device listens on its own loopback address, port 22, with its own host key.
Old devices offer only diffie-hellman-group14-sha1 and ssh-rsa, as the real
ones do. Connection faults change the listener itself: `refused` closes it,
`unreachable` replaces it with a socket whose accept queue is full, so a client's
connect times out exactly as it would against a dead device.

Run by `invoke lab.up`:  python -m cityops.lab.netdev.server --lab DIR
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import signal
import sys
from collections import defaultdict
from pathlib import Path

import asyncssh

from ..blackhole import blackhole
from ..faults import FaultView
from ..statedir import LabDir
from .appliances import BrocadeFos, F5Tmos, Sangfor, Topsec
from .cli import Disconnect, Platform, Session
from .comware import Comware
from .configstate import ConfigState
from .device import Device
from .ios import Ios, Nxos, flash_dir
from .storage import DsStation, HdsStation, InspurStorage, MgmtStation, OceanStor, VmaxStation
from .vrp import Ce, Vrp, VrpV8

log = logging.getLogger("cityops.lab.netdev")

# A device echoes each typed character once, whatever terminal type the client names. asyncssh's line editor
# redraws the whole line with backspaces after every key for a type it does not know as ANSI (RANCID's clogin runs
# with TERM=network), which no device does and which RANCID reads as a garbled 'quit': every known type it is.
asyncssh.editor._ansi_terminals = (*asyncssh.editor._ansi_terminals, "network", "dumb", "vt")

PLATFORMS: dict[str, Platform] = {p.name: p for p in (
    Vrp(), VrpV8(), Ce(), Comware(), Ios(), Nxos(), Topsec(), Sangfor(), BrocadeFos(), F5Tmos(),
    OceanStor(), InspurStorage(), MgmtStation(), VmaxStation(), HdsStation(), DsStation())}
OLD_KEX = ("diffie-hellman-group14-sha1",)
OLD_HOSTKEY_ALGS = (b"ssh-rsa",)


def garble(text: str) -> str:
    """What a device with a corrupted CLI process answers: printable nonsense of the same length."""
    return "".join(c if c == "\n" else chr(0x2500 + (ord(c) * 7) % 127) for c in text)


class _DeviceSSH(asyncssh.SSHServer):
    def __init__(self, server: NetdevServer, dev: Device):
        self.server, self.dev = server, dev

    def connection_made(self, conn):
        self.server.active[self.dev.name] += 1

    def connection_lost(self, exc):
        self.server.active[self.dev.name] -= 1

    def begin_auth(self, username):
        if self.server.active[self.dev.name] > self.dev.max_sessions:
            raise asyncssh.DisconnectError(asyncssh.DISC_TOO_MANY_CONNECTIONS,
                                           f"The number of VTY users reached the upper limit ({self.dev.max_sessions})")
        return True

    def password_auth_supported(self):
        return True

    def validate_password(self, username, password):
        if "wrong_password" in self.server.faults.of(self.dev.name):
            return False
        return username == self.dev.username and password == self.dev.password


class _Flash(asyncssh.SFTPServer):
    """A device's flash over SCP (`scp file sw1:bootflash:/merge_config.txt`, netmiko's file transfer): every path
    is a name in its flash directory, whatever file system it is prefixed with."""

    def __init__(self, chan, root: Path):
        super().__init__(chan, chroot=str(root).encode())

    def map_path(self, path: bytes) -> bytes:
        name = re.sub(rb"^[A-Za-z]+:", b"", path).rstrip(b"/").rsplit(b"/", 1)[-1]
        return super().map_path(b"/" + name)


class NetdevServer:
    def __init__(self, lab: LabDir, plan: dict):
        self.lab = lab
        self.devices = {e["name"]: Device(**e["device"]) for e in plan["devices"]}
        self.faults = FaultView(lab)
        self.config_state = ConfigState(lab)
        self.listeners: dict[str, tuple[str, object]] = {}
        self.active: dict[str, int] = defaultdict(int)
        self.keys = {name: self._host_key(lab, dev) for name, dev in self.devices.items()}

    @staticmethod
    def _host_key(lab: LabDir, dev: Device):
        """The device's RSA key; old devices sign with ssh-rsa (SHA-1) only, as their firmware does."""
        # The lab generated these keys itself; skipping cryptography's RSA re-validation saves ~25 ms a key.
        keypair = asyncssh.load_keypairs([str(lab.keys_dir / f"{dev.name}.key")],
                                         unsafe_skip_rsa_key_validation=True)[0]
        if dev.era == "old":
            keypair.host_key_algorithms = OLD_HOSTKEY_ALGS
        return keypair

    # -- listeners -------------------------------------------------------------
    def desired(self, name: str) -> str:
        f = self.faults.of(name)
        if "refused" in f:
            return "closed"
        if "unreachable" in f:
            return "blackhole"
        return "ssh"

    async def reconcile(self) -> None:
        for name in self.devices:
            want = self.desired(name)
            have = self.listeners.get(name, ("none", None))[0]
            if want != have:
                await self._close(name)
                await self._open(name, want)

    async def _open(self, name: str, how: str) -> None:
        dev = self.devices[name]
        if how == "ssh":
            old = dev.era == "old"
            flash = flash_dir(self.lab.path, dev.name) if isinstance(PLATFORMS[dev.platform], Ios) else None
            server = await asyncssh.create_server(
                lambda: _DeviceSSH(self, dev), dev.address, 22,
                server_host_keys=[self.keys[name]],
                process_factory=lambda proc: self.session(proc, dev),
                encoding=dev.encoding, line_editor=True, reuse_address=True,
                kex_algs=OLD_KEX if old else (),
                login_timeout=30, keepalive_interval=0,
                sftp_factory=(lambda chan, root=flash: _Flash(chan, root)) if flash else None, allow_scp=bool(flash),
            )
            self.listeners[name] = ("ssh", server)
        elif how == "blackhole":
            self.listeners[name] = ("blackhole", blackhole(dev.address, 22))
        else:
            self.listeners[name] = ("closed", None)

    async def _close(self, name: str) -> None:
        how, obj = self.listeners.pop(name, ("none", None))
        if how == "ssh":
            obj.close()
            await obj.wait_closed()
        elif how == "blackhole":
            for sock in obj:
                sock.close()

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(0.2)
            if self.faults.refresh():
                await self.reconcile()

    # -- one CLI session -------------------------------------------------------
    async def session(self, process: asyncssh.SSHServerProcess, dev: Device) -> None:
        platform = PLATFORMS[dev.platform]
        s = Session(dev, self.faults.of(dev.name), paging=platform.pages_by_default)
        s.state["vty"] = self.active[dev.name]
        s.state["config_state"] = self.config_state
        status = 0
        try:
            if process.command:  # `ssh host "display version"`: one command, no prompt
                out = await self.answer(platform, s, process.command)
                process.stdout.write(out.replace("\n", "\r\n") + "\r\n")
                status = platform.exit_status(out)
                return
            process.stdout.write(platform.banner(s).replace("\n", "\r\n") + platform.prompt(s))
            while True:
                try:
                    line = await process.stdin.readline()
                except (asyncssh.BreakReceived, asyncssh.TerminalSizeChanged, asyncssh.SignalReceived):
                    continue
                if not line:
                    break
                try:
                    out = await self.answer(platform, s, line)
                except Disconnect:
                    break
                if out:
                    await self.write_paged(process, platform, s, out)
                if "dialog" not in s.state:  # a question waits on its own line, where the prompt would be
                    process.stdout.write("\r\n" + platform.prompt(s))
        except (asyncssh.ConnectionLost, BrokenPipeError, ConnectionResetError):
            pass
        finally:
            process.exit(status)

    async def answer(self, platform: Platform, s: Session, line: str) -> str:
        faults = self.faults.of(s.dev.name)
        s.begin_command(faults)
        delay = s.dev.latency + float(faults.get("slow", {}).get("seconds", 0) if "slow" in faults else 0)
        if delay and line.strip():
            await asyncio.sleep(delay)
        out = platform.execute(s, line)
        if "desync_prompt" in faults and out.count("\n") > 20:  # a prompt mid-output: the session out of step
            lines = out.split("\n")
            at = len(lines) * 2 // 5
            out = "\n".join([*lines[:at], platform.prompt(s), *lines[at:]])
        if "garbage" in faults and line.strip():
            out = garble(out or "x" * 40)
        return out

    async def write_paged(self, process, platform: Platform, s: Session, out: str) -> None:
        pages = platform.pages(s, out)
        for i, page in enumerate(pages):
            process.stdout.write(page.replace("\n", "\r\n"))
            if i == len(pages) - 1:
                break
            process.stdout.write("\r\n" + platform.more)
            process.channel.set_line_mode(False)
            try:
                key = await process.stdin.read(1)
            finally:
                process.channel.set_line_mode(True)
            process.stdout.write(platform.more_erase)
            if not key or key in "qQ\x03":
                break


async def serve(lab: LabDir) -> None:
    plan = lab.read_json(lab.plan_file("netdev"), None)
    if plan is None:
        raise SystemExit(f"no plan at {lab.plan_file('netdev')}; run `invoke lab.up`")
    server = NetdevServer(lab, plan)
    server.faults.refresh()
    await server.reconcile()
    ready = lab.path / "netdev.ready"
    ready.write_text(str(os.getpid()))
    log.info("serving %d devices", len(server.devices))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    watcher = asyncio.create_task(server.watch())
    await stop.wait()
    watcher.cancel()
    for name in list(server.listeners):
        await server._close(name)
    ready.unlink(missing_ok=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lab", required=True, help="lab state directory")
    args = parser.parse_args(argv)
    lab = LabDir(Path(args.lab))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s netdev %(levelname)s %(message)s",
                        stream=sys.stderr)
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    asyncio.run(serve(lab))


if __name__ == "__main__":
    main()
