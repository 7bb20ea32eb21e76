"""Cisco IOS (ISR routers) and NX-OS (MDS 9148 FC switches): `name#`, `terminal length 0`.

The ISR has a file system (`bootflash:`, a directory per device under the lab's state, written by SCP and by
`copy`) and the commands napalm's ios driver drives a configuration change with: `dir`, `verify /md5`, `copy FILE
running-config` (a merge), `copy running-config FILE`, `configure replace FILE force`, `show archive config
incremental-diffs`, `more`; `file prompt quiet` silences copy's questions as on the device.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path
from typing import ClassVar

from ...configtext import parse
from .cli import Disconnect, Platform, Session
from .device import now_text, uptime_text
from .planted import cipher, plain, type7
from .vrp import config_answer


class Ios(Platform):
    saved_message = "Building configuration...\n[OK]"
    name = "cisco_ios"
    more = " --More-- "
    more_erase = "\x08" * 10 + " " * 10 + "\x08" * 10
    page_lines = 23
    pipe_keywords: ClassVar[dict[str, str]] = {
        "include": "include", "exclude": "exclude", "begin": "begin", "section": "include"}

    def register(self) -> None:
        add = self.add
        modes = ("user", "system")
        add("show version", self.version, modes)
        add("show running-config", self.config, modes)
        add("show startup-config", self.startup(self.config), modes)
        add("write memory", self.save, modes)
        add("copy running-config startup-config", self.save, modes)
        add("show processes cpu", self.cpu, modes)
        add("show memory statistics", self.memory, modes)
        add("show environment all", self.environment, modes)
        add("show environment", self.environment, modes)
        add("show interfaces", self.interfaces, modes)
        add("show logging", self.logging, modes)
        add("show inventory", self.inventory, modes)
        add("show hosts", lambda s, a: ("Default domain is klmy.gov.cn\nName/address lookup uses domain service\n"
                                        "Name servers are 127.0.0.1\n"), modes)
        add("show ip interface brief", self.ip_brief, modes)
        add("show env temperature status", self.temperature, modes)
        add("show clock", lambda s, a: f"{now_text('%H:%M:%S.000')} BJT {now_text('%a %b %d %Y')}", modes)
        add("terminal length 0", self.no_paging, modes)
        add("terminal width", lambda s, a: "", modes)
        add("enable", lambda s, a: "", modes)
        add("configure terminal", self.configure, ("user",))
        add("configure replace", self.configure_replace, ("user",))
        add("end", self.end, ("system",))
        add("exit", self.exit, modes)
        add("dir", self.dir, ("user",))
        add("verify /md5", self.verify_md5, ("user",))
        add("more", self.more_file, ("user",))
        add("copy", self.copy, ("user",))
        add("delete", self.delete, ("user",))
        add("show archive", lambda s, a: "Archive feature not enabled", ("user",))
        add("show archive config incremental-diffs", self.incremental_diffs, ("user",))

    listing_command = "show running-config"
    file_system = "bootflash:"
    disk_bytes = 7_341_236_224

    def prompt(self, s: Session) -> str:
        if s.mode == "user":
            return f"{s.dev.name}#"
        return f"{s.dev.name}({sub_mode(s.state.get('context', ''))})#"

    def unknown(self, s: Session, line: str, position: int) -> str:
        return f"{' ' * (len(self.prompt(s)) + position)}^\n% Invalid input detected at '^' marker."

    def configure(self, s, a):
        s.mode = "system"
        return "Enter configuration commands, one per line.  End with CNTL/Z."

    def end(self, s, a):
        s.mode = "user"
        s.state["context"] = ""
        return ""

    def exit(self, s, a):
        if s.mode == "user":
            raise Disconnect()
        if not self.leave_section(s):
            s.mode = "user"
        return ""

    # -- the file system ----------------------------------------------------------
    def flash(self, s: Session) -> Path:
        return flash_dir(s.state["config_state"].lab.path, s.dev.name)

    def file_of(self, s: Session, name: str) -> Path | None:
        """`bootflash:/merge_config.txt` (or `flash:`, the ISR's alias) as a file of the device's flash; None for a
        name on another file system."""
        m = re.fullmatch(r"(?:bootflash|flash):/?([\w.-]*)", name)
        return None if m is None else self.flash(s) / m.group(1) if m.group(1) else self.flash(s)

    def dir(self, s: Session, args) -> str:
        target = self.file_of(s, args[0]) if args else self.flash(s)
        if target is None:
            return f"%Error opening {args[0]} (Invalid argument)"
        if not target.exists():
            return f"%Error opening {args[0]} (No such file or directory)"
        files = sorted(target.iterdir()) if target.is_dir() else [target]
        shown = f"{self.file_system}/" + ("" if target.is_dir() else target.name)
        rows = [f"{i:>6}  -rw-  {f.stat().st_size:>12}  {time.strftime('%b %d %Y %H:%M:%S', time.localtime(f.stat().st_mtime))}"
                f" +08:00  {f.name}" for i, f in enumerate(files, 12)]
        used = sum(f.stat().st_size for f in self.flash(s).iterdir()) + 511_705_100
        return (f"Directory of {shown}\n\n" + "\n".join(rows) + "\n\n"
                f"{self.disk_bytes} bytes total ({self.disk_bytes - used} bytes free)")

    def verify_md5(self, s: Session, args) -> str:
        target = self.file_of(s, args[0]) if args else None
        if target is None or not target.is_file():
            return f"%Error opening {args[0] if args else ''} (No such file or directory)"
        return f"........Done!\nverify /md5 ({args[0]}) = {hashlib.md5(target.read_bytes()).hexdigest()}"  # nosec B324  # IOS's own md5

    def more_file(self, s: Session, args) -> str:
        target = self.file_of(s, args[0]) if args else None
        if target is None or not target.is_file():
            return f"%Error opening {args[0] if args else ''} (No such file or directory)"
        return target.read_text(encoding="utf-8", errors="replace").rstrip("\n")

    def delete(self, s: Session, args) -> str:
        names = [a for a in args if not a.startswith("/")]
        target = self.file_of(s, names[0]) if names else None
        if target is None or not target.is_file():
            return f"%Error deleting {names[0] if names else ''} (No such file or directory)"
        target.unlink()
        return ""

    def quiet(self, s: Session) -> bool:
        return ("", "file prompt quiet") in s.state["config_state"].changes(s.dev.name).add

    def copy(self, s: Session, args) -> str:
        """`copy SRC DST`: running-config to a file, a file (or null:) to a file, a file into running-config (a
        merge: its lines as if typed in configuration mode), running-config to startup-config (a save)."""
        if len(args) != 2:
            return "% Incomplete command."
        src, dst = args
        if src == "running-config" and dst == "startup-config":
            return self.save(s, [])

        def done() -> str:
            if dst == "running-config":
                source = self.file_of(s, src)
                if source is None or not source.is_file():
                    return f"%Error opening {src} (No such file or directory)"
                text = source.read_text(encoding="utf-8", errors="replace")
                entries = merge_entries(text)
                s.state["config_state"].apply(s.dev.name, entries, self.base_entries(s))
                return f"{len(text.encode())} bytes copied in 0.112 secs ({len(text.encode()) * 9} bytes/sec)"
            target = self.file_of(s, dst)
            if target is None:
                return f"%Error opening {dst} (Invalid argument)"
            if src == "running-config":
                data = self.config(s, []) + "\n"
            elif src == "null:":
                data = ""
            else:
                source = self.file_of(s, src)
                if source is None or not source.is_file():
                    return f"%Error opening {src} (No such file or directory)"
                data = source.read_text(encoding="utf-8", errors="replace")
            target.write_text(data, encoding="utf-8")
            return f"{len(data.encode())} bytes copied in 0.095 secs ({len(data.encode()) * 10} bytes/sec)"

        if self.quiet(s):
            return done()
        name = dst.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        return self.ask(s, [(f"Destination filename [{name}]? ", ("", name.lower()))], done)

    def configure_replace(self, s: Session, args) -> str:
        """`configure replace FILE force`: the running configuration becomes the file's."""
        source = self.file_of(s, args[0]) if args else None
        if source is None or not source.is_file():
            return f"%Error opening {args[0] if args else ''} (No such file or directory)"
        wanted = listing_entries(source.read_text(encoding="utf-8", errors="replace"))
        if not any(line == "end" for _c, line in wanted):
            return f"%Error: {args[0]} is not a valid config file.\nRollback aborted"
        base = listing_entries(self.base_listing(s) or "")
        s.state["config_state"].replace(s.dev.name, [e for e in wanted if e[1] != "end"],
                                        [e for e in base if e[1] != "end"])
        return "Total number of passes: 1\nRollback Done"

    def incremental_diffs(self, s: Session, args) -> str:
        """What of a merge file the running configuration lacks, section headers with their lines, as IOS lists
        it (`!List of Commands:` … `end`, or `!No changes were found`)."""
        source = self.file_of(s, args[0]) if args else None
        if source is None or not source.is_file():
            return f"%Error opening {args[0] if args else ''} (No such file or directory)"
        have = set(listing_entries(self.config(s, [])))
        out, shown = [], set()
        for ctx, line in merge_entries(source.read_text(encoding="utf-8", errors="replace")):
            if (ctx, line) in have:
                continue
            if ctx and ctx not in shown:
                out.append(ctx)
                shown.add(ctx)
            out.append(f" {line}" if ctx else line)
        if not out:
            return "!No changes were found"
        return "!List of Commands:\n" + "\n".join(out) + "\nend"

    def version(self, s: Session, a) -> str:
        return ("Cisco IOS XE Software, Version 16.09.05\n"
                "Cisco IOS Software [Fuji], ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 16.9.5, "
                "RELEASE SOFTWARE (fc1)\nCopyright (c) 1986-2020 by Cisco Systems, Inc.\n\n"
                f"ROM: IOS-XE ROMMON\n\n{s.dev.name} uptime is {uptime_text(s.health.uptime_s)}\n"
                "Uptime for this control processor is " + uptime_text(s.health.uptime_s) + "\n"
                "System returned to ROM by reload\nSystem image file is \"bootflash:isr4400-universalk9.16.09.05.SPA.bin\"\n\n"
                f"cisco {s.health.model} (2RU) processor with 1795979K/6147K bytes of memory.\n"
                f"Processor board ID {s.health.serial}\n4 Gigabit Ethernet interfaces\n"
                "32768K bytes of non-volatile configuration memory.\n\nConfiguration register is 0x2102")

    def config(self, s: Session, a) -> str:
        d = s.dev
        startup = s.state.get("config_which") == "startup"  # 'show startup-config' heads its listing otherwise
        lines = ["Using 4211 out of 262144 bytes", "!"] if startup else [
            "Building configuration...", "", "Current configuration : 4211 bytes", "!"]
        lines += [f"! Last configuration change at {now_text('%H:%M:%S')} BJT {now_text('%a %b %d %Y')} by {d.username}",
                  *([f"! NVRAM config last updated at {now_text('%H:%M:%S')} BJT {now_text('%a %b %d %Y')} by "
                     f"{d.username}"] if startup else []),
                  "!", "version 16.9", "service timestamps log datetime msec localtime", "service password-encryption",
                  "!", f"hostname {d.name}", "!", "clock timezone BJT 8 0", "!",
                  f"enable secret 9 $9${cipher(d.name, 'enable')[4:30]}", "!",
                  f"username {d.username} privilege 15 secret 9 $9${cipher(d.name, 'user')[4:30]}",
                  f"username backup privilege 1 password 7 {type7(plain(d.name, 'backup-user'))}", "!",
                  f"tacacs-server key 7 {type7(plain(d.name, 'tacacs'), 11)}", "!"]
        for p in s.health.ports:
            lines += [f"interface {p.name}", f" description {p.description}" if p.description else " no description"]
            lines.append(f" ip address {d.address} 255.255.0.0" if p.name.endswith("/0") else " no ip address")
            lines += [" shutdown" if not p.up else " negotiation auto", "!"]
        lines += [f"snmp-server community {cipher(d.name, 'snmp')[4:20]} RO", "ntp server 127.0.0.1",
                  "logging host 127.0.0.1", "ip scp server enable", "!", "line vty 0 4", " login local",
                  " transport input ssh", "!", "end"]
        return config_answer(s, "\n".join(lines), "!")

    def cpu(self, s: Session, a) -> str:
        c = s.health.cpu
        return (f"CPU utilization for five seconds: {c}%/1%; one minute: {c}%; five minutes: {c}%\n"
                " PID Runtime(ms)     Invoked      uSecs   5Sec   1Min   5Min TTY Process\n"
                f"   1          12         412         29  0.00%  0.00%  0.00%   0 Chunk Manager")

    def memory(self, s: Session, a) -> str:
        total = 1795979000
        used = total * s.health.memory // 100
        free = total - used
        return ("                Head    Total(b)     Used(b)     Free(b)   Lowest(b)  Largest(b)\n"
                f"Processor  7F6B4E7010 {total:>11} {used:>11} {free:>11} {free - 1000:>11} {free - 5000:>11}\n"
                "      I/O     F600000    10485760     3145728     7340032     7340032     7340000")

    def ip_brief(self, s: Session, a) -> str:
        rows = [f"{p.name:<27}{(s.dev.address if i == 0 else 'unassigned'):<16}YES {'NVRAM' if i == 0 else 'unset':<6} "
                f"{'up' if p.up else 'administratively down':<21} {'up' if p.up else 'down'}"
                for i, p in enumerate(s.health.ports)]
        return "Interface                  IP-Address      OK? Method Status                Protocol\n" + "\n".join(rows)

    def temperature(self, s: Session, a) -> str:
        h = s.health
        return (f" System Temperature Value: {h.temperature} Degree Celsius\n"
                f" System Temperature State: {'GREEN' if h.temp_ok else 'RED'}\n"
                " Yellow Threshold : 60 Degree Celsius\n Red Threshold    : 70 Degree Celsius")

    def environment(self, s: Session, a) -> str:
        """The ISR 4000's layout (the ASR 1000's, tests/captures/cisco_ios/*/asr1k_iosxe.txt): alarm counts, then one
        sensor list row per slot and sensor; supplies are P0/P1, the fan tray P2, the route processor R0."""
        h = s.health
        count = {kind: sum(1 for x in h.alarms if x[0] == kind) for kind in ("Critical", "Major", "Minor")}
        rows = []
        for i, ok in h.psus:
            slot = f"P{i - 1}"
            rows += [(slot, "Vin", "Normal" if ok else "Critical", "230 V AC" if ok else "0 V AC"),
                     (slot, "Iout", "Normal" if ok else "Critical", "9 A" if ok else "0 A"),
                     (slot, "Temp1", "Normal", "27 Celsius")]
        rows += [("P2", f"RPM: fan{i - 1}", "Normal" if ok else "Critical", f"{speed if ok else 0} RPM")
                 for i, ok, speed in h.fans]
        rows.append(("R0", "Temp: Inlet", "Normal" if h.temp_ok else "Critical", f"{h.temperature} Celsius"))
        return ("".join(f"Number of {kind} alarms:{' ' * (10 - len(kind))}{n}\n" for kind, n in count.items()) + "\n"
                "Slot    Sensor       Current State       Reading\n----    ------       -------------       -------\n"
                + "\n".join(f" {slot:<5} {name:<16} {state:<16} {reading}" for slot, name, state, reading in rows))

    def interfaces(self, s: Session, a) -> str:
        ports = s.ports(a)
        return "\n".join(
            f"{p.name} is {'up' if p.up else 'administratively down'}, line protocol is {'up' if p.up else 'down'}\n"
            f"  Hardware is ISR4451-X-4x1GE, address is {s.dev.mac[:4]}.{s.dev.mac[4:]}00.0001\n"
            f"  Description: {p.description}\n  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec,\n"
            f"     {p.base_in // 700} packets input, {p.base_in} bytes, 0 no buffer\n"
            f"     {p.crc} input errors, {p.crc} CRC, 0 frame, 0 overrun, 0 ignored\n"
            f"     {p.base_out // 700} packets output, {p.base_out} bytes, 0 underruns\n"
            "     0 output errors, 0 collisions, 0 interface resets" for p in ports)

    def logging(self, s: Session, a) -> str:
        return ("Syslog logging: enabled (0 messages dropped, 0 flushes, 0 overruns)\n\nLog Buffer (8192 bytes):\n"
                + "\n".join(s.health.logs))

    def inventory(self, s: Session, a) -> str:
        return (f'NAME: "Chassis", DESCR: "Cisco {s.dev.model} Chassis"\n'
                f"PID: {s.dev.model}         , VID: V03  , SN: {s.dev.serial}")


def flash_dir(lab: Path, device: str) -> Path:
    """A lab device's flash file system: a directory of the lab's state (SCP writes here too, server.py)."""
    path = lab / "flash" / device
    path.mkdir(parents=True, exist_ok=True)
    return path


VOLATILE = re.compile(r"^(?:Building configuration|Current configuration|! (?:Last configuration change|NVRAM config)|"
                      r"Using \d+ out of)")


def listing_entries(text: str) -> list[tuple[str, str]]:
    """A configuration listing's entries without the lines that change by themselves (times, sizes)."""
    return [e for e in parse(text) if not VOLATILE.match(e[1]) and e[1] not in ("!",)]


def merge_entries(text: str) -> list[tuple[str, str]]:
    """A merge file's lines as configuration mode takes them, up to its `end`."""
    out = []
    for ctx, line in listing_entries(text):
        if line == "end" and not ctx:
            break
        out.append((ctx, line))
    return out


def sub_mode(section: str) -> str:
    """IOS's configuration sub-mode for a section: `(config-if)`, `(config-line)`, `(config-router)`."""
    if not section:
        return "config"
    word = section.split()[0]
    return {"interface": "config-if", "line": "config-line", "router": "config-router",
            "ip": "config-ext-nacl", "route-map": "config-route-map", "policy-map": "config-pmap",
            "class-map": "config-cmap", "vlan": "config-vlan"}.get(word, f"config-{word}")


class Nxos(Ios):
    """NX-OS on the MDS 9148 FC switches."""

    saved_message = "[########################################] 100%\nCopy complete."

    name = "cisco_nxos"
    more = "--More--"

    def register(self) -> None:
        super().register()
        modes = ("user", "system")
        self.add("show interface", self.fc_interfaces, modes)
        self.add("show interface brief", self.fc_brief, modes)
        self.add("show system resources", self.resources, modes)

    def config(self, s: Session, a) -> str:
        """NX-OS's listing: the '!Command:' header, the time comments, no 'end' (MDS 9148 on NX-OS 8.4)."""
        d = s.dev
        startup = s.state.get("config_which") == "startup"
        lines = ["!Command: show startup-config" if startup else "!Command: show running-config",
                 f"!Startup config saved at: {now_text('%a %b %d %H:%M:%S %Y')}" if startup else
                 f"!Running configuration last done at: {now_text('%a %b %d %H:%M:%S %Y')}",
                 f"!Time: {now_text('%a %b %d %H:%M:%S %Y')}", "", "version 8.4(2c)", "power redundancy-mode redundant",
                 "feature ssh", f"hostname {d.name}", "",
                 f"username admin password 5 $5${cipher(d.name, 'user')[4:30]} role network-admin",
                 f"snmp-server user admin network-admin auth md5 0x{cipher(d.name, 'snmp').encode().hex()[:32]} "
                 "localizedkey", f"snmp-server community {plain(d.name, 'community')} group network-operator",
                 "ntp server 127.0.0.1", "clock timezone BJT 8 0", ""]
        for p in s.health.ports:
            lines += [f"interface {p.name}", "  no shutdown" if p.up else "  shutdown", ""]
        lines += ["line console", "line vty", "logging server 127.0.0.1 6"]
        return config_answer(s, "\n".join(lines), "")

    def prompt(self, s: Session) -> str:
        return f"{s.dev.name}#" if s.mode == "user" else f"{s.dev.name}(config)#"

    def version(self, s: Session, a) -> str:
        return ("Cisco Nexus Operating System (NX-OS) Software\nTAC support: http://www.cisco.com/tac\n"
                "Software\n  BIOS:      version 1.0.19\n  loader:    version N/A\n  kickstart: version 6.2(13)\n"
                "  system:    version 6.2(13)\n\nHardware\n"
                f"  cisco {mds_chassis(s.health.model)} (1 Slot) Chassis (\"1/2/4/8 Gbps FC/Supervisor-3\")\n"
                f"  Motorola, e500v2 with 1036300 kB of memory.\n  Processor Board ID {s.health.serial}\n\n"
                f"  Device name: {s.dev.name}\n\nKernel uptime is {nxos_uptime(s.health.uptime_s)}")

    def resources(self, s: Session, a) -> str:
        c, m = s.health.cpu, s.health.memory
        total = 1036300
        return (f"Load average:   1 minute: 0.30   5 minutes: 0.25   15 minutes: 0.20\n"
                f"Processes   :   420 total, 1 running\n"
                f"CPU states  :   {c}.0% user,   1.0% kernel,   {99 - c}.0% idle\n"
                f"Memory usage:   {total}K total,   {total * m // 100}K used,   {total - total * m // 100}K free")

    def fc_brief(self, s: Session, a) -> str:
        rows = [f"{p.name:<13}1      E      on      {'up' if p.up else 'notConnected':<14}swl    {'8' if p.up else '--':<6}--"
                for p in s.health.ports]
        return ("-------------------------------------------------------------------------------\n"
                "Interface  Vsan   Admin  Admin   Status          SFP    Oper  Oper   Port\n"
                "                  Mode   Trunk                          Mode  Speed  Channel\n"
                "                         Mode                                 (Gbps)\n"
                "-------------------------------------------------------------------------------\n" + "\n".join(rows))

    def fc_interfaces(self, s: Session, a) -> str:
        ports = s.ports(a)
        return "\n\n".join(
            f"{p.name} is {'up' if p.up else 'down (Link failure or not-connected)'}\n"
            f"    Hardware is Fibre Channel, SFP is short wave laser w/o OFC (SN)\n"
            f"    Port WWN is 20:{int(p.name.split('/')[-1]):02x}:00:05:9b:{s.dev.mac[:2]}:{s.dev.mac[2:4]}:{s.dev.mac[4:]}\n"
            f"    Admin port mode is auto, trunk mode is on\n"
            f"      {p.base_in // 2000} frames input, {p.base_in} bytes\n"
            f"        0 discards, {p.fc_errors} errors\n"
            f"        {p.fc_errors} CRC,  0 unknown class\n"
            f"        0 too long, 0 too short\n"
            f"      {p.base_out // 2000} frames output, {p.base_out} bytes\n"
            "        0 discards, 0 errors" for p in ports)

    def environment(self, s: Session, a) -> str:
        h = s.health
        fans = "\n".join(f"Fan_Module-{i}          DS-C9148-FAN          --         {'ok' if ok else 'failure'}"
                         for i, ok, _sp in h.fans)
        psus = "\n".join(f"{i}        DS-C24-300AC         {'ok' if ok else 'fail/shutdown'}" for i, ok in h.psus)
        return ("Fan:\n---------------------------------------------------------------\n"
                "Fan             Model                Hw         Status\n"
                "---------------------------------------------------------------\n" + fans + "\n\n"
                "Temperature:\n--------------------------------------------------------------------\n"
                "Module   Sensor        MajorThresh   MinorThres   CurTemp     Status\n"
                "                       (Celsius)     (Celsius)    (Celsius)\n"
                "--------------------------------------------------------------------\n"
                f"1        Outlet1       75            60           {h.temperature:<11} {'ok' if h.temp_ok else 'major'}\n\n"
                "Power Supply:\n-----------------------------------------------------\n"
                "PS  Model                Status\n-----------------------------------------------------\n" + psus)


def mds_chassis(model: str) -> str:
    """How an MDS names itself in `show version` ('MDS 9148 FC') for an inventory model ('MDS DS-C9148')."""
    digits = "".join(ch for ch in model.split("C")[-1] if ch.isdigit())
    return f"MDS {digits} FC" if model.upper().startswith("MDS") and digits else model


def nxos_uptime(seconds: int) -> str:
    """NX-OS words its uptime '123 day(s), 5 hour(s), 15 minute(s), 19 second(s)'."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days} day(s), {hours} hour(s), {rest // 60} minute(s), {rest % 60} second(s)"
