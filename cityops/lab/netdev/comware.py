"""H3C Comware 7 (S5130/S5120/S7500E switches): `<name>`/`[name]`, `screen-length disable`.

Layouts follow Comware 7 output (display cpu-usage per slot, display memory in KB,
display power/fan per slot, display environment, display interface counters).
"""

from __future__ import annotations

from .cli import Disconnect, Platform, Session
from .device import now_text, uptime_text
from .planted import cipher
from .vrp import config_answer


class Comware(Platform):
    # Comware's `save` as engineers' notes print it (Comware 5.20 MSR, 7.1 S5130): three questions
    save_questions = (("The current configuration will be written to the device. Are you sure? [Y/N]:", ("y", "yes")),
                      ("Please input the file name(*.cfg)[flash:/startup.cfg]\n"
                       "(To leave the existing filename unchanged, press the enter key):",
                       ("", "flash:/startup.cfg", "startup.cfg")),
                      ("flash:/startup.cfg exists, overwrite? [Y/N]:", ("y", "yes")))
    saved_message = "Validating file. Please wait...\nSaved the current configuration to mainboard device successfully."
    name = "hp_comware"
    more = "---- More ----"
    more_erase = "\x1b[16D                \x1b[16D"

    def register(self) -> None:
        add = self.add
        add("display version", self.version)
        add("display current-configuration", self.config)
        add("display saved-configuration", self.startup(self.config))
        add("save", self.save)
        add("display cpu-usage", self.cpu)
        add("display memory", self.memory)
        add("display power", self.power)
        add("display fan", self.fan)
        add("display environment", self.environment)
        add("display device manuinfo", self.manuinfo)
        add("display device", self.device)
        add("display interface brief", self.interface_brief)
        add("display interface", self.interface)
        add("display alarm", self.alarm)
        add("display logbuffer", self.logbuffer)
        add("display clock", lambda s, a: f"{now_text('%H:%M:%S')} BJ {now_text('%a %m/%d/%Y')}\nTime Zone : BJ add 08:00:00")
        add("screen-length disable", self.no_paging, ("user",))
        add("system-view", self.system_view, ("user",))
        add("quit", self.quit)
        add("return", self.to_user, ("system",))

    def banner(self, s: Session) -> str:
        return "\n******************************************************************************\n" \
               "* Copyright (c) 2004-2021 New H3C Technologies Co., Ltd. All rights reserved.*\n" \
               "* Without the owner's prior written consent,                                 *\n" \
               "* no decompiling or reverse-engineering shall be allowed.                    *\n" \
               "******************************************************************************\n\n"

    def system_view(self, s, a):
        s.mode = "system"
        return "System View: return to User View with Ctrl+Z."

    def quit(self, s, a):
        if s.mode == "user":
            raise Disconnect()
        if self.leave_section(s):
            return ""
        s.mode = "user"
        return ""

    def to_user(self, s, a):
        s.mode = "user"
        s.state["context"] = ""
        return ""


    def version(self, s: Session, a) -> str:
        h = s.health
        weeks, days = divmod(h.uptime_s // 86400, 7)
        hours, minutes = (h.uptime_s % 86400) // 3600, (h.uptime_s % 3600) // 60
        return ("H3C Comware Software, Version 7.1.070, Release 6126P20\n"
                "Copyright (c) 2004-2021 New H3C Technologies Co., Ltd. All rights reserved.\n"
                f"H3C {h.model} uptime is {weeks} weeks, {days} days, {hours} hours, {minutes} minutes\n"
                "Last reboot reason : Cold reboot\n\n"
                f"Boot image: flash:/{s.dev.model.split('-')[0].lower()}-cmw710-boot-r6126p20.bin\n"
                f"System image: flash:/{s.dev.model.split('-')[0].lower()}-cmw710-system-r6126p20.bin\n\n"
                f"Slot 1:\nUptime is {uptime_text(h.uptime_s)}\n{s.dev.model} with 1 Processor\n"
                "BOARD TYPE:         " + s.dev.model + "\nDRAM:               1024M bytes\nFLASH:              512M bytes\n"
                f"PCB 1 Version:      VER.B\nBootrom Version:    147\nCPLD 1 Version:     002\n"
                f"Release Version:    H3C {s.dev.model}-6126P20")

    def config(self, s: Session, a) -> str:
        d = s.dev
        lines = ["#", " version 7.1.070, Release 6126P20", "#", f" sysname {d.name}", "#",
                 " info-center loghost 127.0.0.1", "#", " clock timezone BJ add 08:00:00", "#",
                 " lldp global enable", "#", "vlan 1", "#", "vlan 10", "#", "vlan 100", " name 管理VLAN", "#"]
        for p in s.health.ports:
            lines += [f"interface {p.name}", " port link-mode bridge"]
            if p.description:
                lines.append(f" description {p.description}")
            if not p.up:
                lines.append(" shutdown")
            lines.append("#")
        lines += ["interface Vlan-interface100", f" ip address {d.address} 255.255.0.0", "#",
                  f" snmp-agent community read cipher {cipher(d.name, 'snmp-ro').replace('%^%#', '$c$3$')}",
                  " snmp-agent sys-info version v2c v3", "#", " ntp-service enable",
                  " ntp-service unicast-server 127.0.0.1", "#", " ssh server enable", "#",
                  f"local-user {d.username} class manage",
                  f" password hash $h$6${cipher(d.name, 'local-user')[4:36]}",
                  " service-type ssh", " authorization-attribute user-role network-admin", "#",
                  "line vty 0 63", " authentication-mode scheme", " protocol inbound ssh", "#", "return"]
        return config_answer(s, "\n".join(lines))

    def cpu(self, s: Session, a) -> str:
        c = s.health.cpu
        return (f"Slot 1 CPU 0 CPU usage:\n       {c}% in last 5 seconds\n       {c}% in last 1 minute\n"
                f"       {c}% in last 5 minutes")

    def memory(self, s: Session, a) -> str:
        total = 1997680
        used = total * s.health.memory // 100
        free = total - used
        return ("Memory statistics are measured in KB:\nSlot 1:\n"
                "             Total      Used      Free    Shared   Buffers    Cached   FreeRatio\n"
                f"Mem:    {total:>10}{used:>10}{free:>10}         0      2380    267236{free * 100 / total:>11.1f}%\n"
                f"-/+ Buffers/Cache:{used - 269616:>10}{free + 269616:>10}\nSwap:             0         0         0")

    def power(self, s: Session, a) -> str:
        rows = [f" {i:<7} {'Normal' if ok else 'Fault':<8} AC     --          --          --" for i, ok in s.health.psus]
        return " Slot 1:\n PowerID State    Mode   Current(A)  Voltage(V)  Power(W)\n" + "\n".join(rows)

    def fan(self, s: Session, a) -> str:
        rows = [f" {i:<8} {'Normal' if ok else 'Fault':<11} Back-to-front" for i, ok, _sp in s.health.fans]
        return " Slot 1:\n FanID    Status      Direction\n" + "\n".join(rows)

    def environment(self, s: Session, a) -> str:
        t = s.health.temperature
        return (" System temperature information (degree centigrade):\n"
                " ----------------------------------------------------------------------\n"
                " Slot  Sensor    Temperature  Lower  Warning  Alarm  Shutdown\n"
                f" 1     hotspot 1  {t:<12} -5     65       75     NA")

    def device(self, s: Session, a) -> str:
        return ("Slot Type             State    Subslot  Soft Ver             Patch Ver\n"
                f"1    {s.dev.model:<16} Master   0        {s.dev.model}-6126P20  None")

    def manuinfo(self, s: Session, a) -> str:
        """Comware 7's electronic labels (tests/captures/hp_comware/inventory/hpe_5130_hi.txt's layout): the
        switch, its fans, its supplies."""
        serial = s.health.serial  # a swapped device (device_swapped) carries its own labels
        blocks = [("Slot 1 CPU 0", s.health.model, serial), ("Fan 1", "LSPM1FANSA", f"{serial}F1"),
                  ("Power 1", "PSR150-A1", f"{serial}P1")]
        return "\n".join(f"{where}:\nDEVICE_NAME          : {name}\nDEVICE_SERIAL_NUMBER : {sn}\n"
                         f"MAC_ADDRESS          : {s.dev.mac[:4].upper()}-{s.dev.mac[4:8].upper()}-0001\n"
                         "MANUFACTURING_DATE   : 2016-03-21\nVENDOR_NAME          : H3C" for where, name, sn in blocks)

    def interface_brief(self, s: Session, a) -> str:
        rows = []
        for p in s.health.ports:
            kind = "T" if p.description.startswith("to-") else "A"
            rows.append(f"{p.name.replace('GigabitEthernet', 'GE'):<21}{'UP' if p.up else 'ADM':<5}"
                        f"{'1G(a)' if p.up else 'auto':<8}{'F(a)' if p.up else 'A':<7}{kind:<5}{'1':<5}{p.description}")
        return ("Brief information on interfaces in bridge mode:\n"
                "Link: ADM - administratively down; Stby - standby\nSpeed: (a) - auto\n"
                "Duplex: (a)/A - auto; H - half; F - full\nType: A - access; T - trunk; H - hybrid\n"
                "Interface            Link Speed   Duplex Type PVID Description\n" + "\n".join(rows))

    def interface(self, s: Session, a) -> str:
        ports = s.ports(a)
        out = []
        for p in ports:
            pk = p.base_in // 700
            out.append(f"{p.name}\nCurrent state: {'UP' if p.up else 'Administratively DOWN'}\n"
                       f"Line protocol state: {'UP' if p.up else 'DOWN'}\n"
                       f"IP packet frame type: Ethernet II, hardware address: {s.dev.mac[:4]}-{s.dev.mac[4:]}00-0002\n"
                       f"Description: {p.description or p.name + ' Interface'}\n"
                       "Bandwidth: 1000000 kbps\nLoopback is not set\nMedia type is twisted pair\n"
                       "Port hardware type is 1000_BASE_T\n"
                       f"Input (total):  {pk} packets, {p.base_in} bytes\n"
                       f"         {pk} unicasts, 0 broadcasts, 0 multicasts, 0 pauses\n"
                       f"Input (normal):  {pk} packets, - bytes\n"
                       f"         {pk} unicasts, 0 broadcasts, 0 multicasts, 0 pauses\n"
                       f"Input:  {p.crc} input errors, 0 runts, 0 giants, 0 throttles\n"
                       f"         {p.crc} CRC, 0 frame, - overruns, 0 aborts\n"
                       "         - ignored, - parity errors\n"
                       f"Output (total): {p.base_out // 700} packets, {p.base_out} bytes\n"
                       f"         {p.base_out // 700} unicasts, 0 broadcasts, 0 multicasts, 0 pauses\n"
                       "Output: 0 output errors, - underruns, - buffer failures\n"
                       "         0 aborts, 0 deferred, 0 collisions, 0 late collisions\n"
                       "         0 lost carrier, - no carrier")
        return "\n\n".join(out)

    def alarm(self, s: Session, a) -> str:
        rows = [f"1       0     {'ERROR' if sev in ('Critical', 'Major') else 'WARNING':<7} {text}"
                for sev, _t, text in s.health.alarms]
        return "Slot    CPU   Level   Info\n" + "\n".join(rows) if rows else ""

    def logbuffer(self, s: Session, a) -> str:
        return (f"Log buffer: Enabled\nMax buffer size: 1024\nActual buffer size: 512\n"
                f"Dropped messages: 0\nOverwritten messages: 0\nCurrent messages: {len(s.health.logs)}\n"
                + "\n".join(f"%{line}" for line in reversed(s.health.logs)))
