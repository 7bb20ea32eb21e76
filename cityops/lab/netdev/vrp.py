"""Huawei VRP (S-series switches, NE/AR/SRG routers, USG firewalls): VRP5 and VRP8 views.

Output layouts follow real captures (ntc-templates test data, napalm-huawei-vrp's
recorded S-series output): `<name>` user view, `[name]` system view (`[~name]` on
VRP8), `  ---- More ----` paging until `screen-length 0 temporary`.
"""

from __future__ import annotations

import hashlib

from .cli import Disconnect, Platform, Session, view_name
from .configstate import render
from .device import now_text, uptime_text
from .planted import cipher

VERSIONS = {
    "S7706": ("5.170", "V200R011C10SPC600"), "S5720": ("5.170", "V200R011C10SPC600"),
    "NE80E": ("5.160", "V600R008C10SPC300"), "SRG20": ("5.120", "V100R005C01SPC200"),
    "AR161W": ("5.160", "V200R010C10SPC700"), "USG6350": ("5.170", "V500R005C20SPC300"),
    "S6730": ("8.180", "V200R019C10SPC500"), "S12708": ("8.180", "V200R019C10SPC500"),
    "S5731": ("8.180", "V200R019C10SPC500"), "CE6850": ("8.100", "V100R005C10SPC200"),
    "CE12808": ("8.180", "V200R005C10SPC800"),
}


def vrp_config(s: Session) -> str:
    d = s.dev
    ver = version_of(d.model)
    lines = [
        f"!Software Version {ver[1]}",
        f"!Last configuration was updated at {now_text('%Y-%m-%d %H:%M:%S')}+08:00 by {d.username}",
        "#",
        f" sysname {d.name}",
        "#",
        " info-center loghost 127.0.0.1",
        " info-center timestamp log format-date",
        "#",
        "vlan batch 10 20 100 200",
        "#",
        " undo http server enable",
        "#",
        "aaa",
        f" local-user {d.username} password irreversible-cipher $1a${hashlib.md5(d.name.encode()).hexdigest()[:24]}$",  # nosec B324  # a fake cipher text in a lab config
        f" local-user {d.username} privilege level 15",
        f" local-user {d.username} service-type ssh",
        "#",
        "interface Vlanif100",
        f" description 管理网段 {d.display_name}",
        f" ip address {d.address} 255.255.0.0",
        "#",
    ]
    for p in s.health.ports:
        lines.append(f"interface {p.name}")
        if p.description:
            lines.append(f" description {p.description}")
        lines.append(" port link-type trunk" if p.description.startswith("to-") else " port default vlan 10")
        if not p.up:
            lines.append(" shutdown")
        lines.append("#")
    lines += [
        "snmp-agent",
        f"snmp-agent community read cipher {cipher(d.name, 'snmp-ro')}",
        "snmp-agent sys-info version v2c v3",
        "#",
        "ntp-service unicast-server 127.0.0.1",
        "#",
        "stelnet server enable",
        f"ssh user {d.username} authentication-type password",
        f"ssh user {d.username} service-type stelnet",
        "#",
        "user-interface con 0",
        f" authentication-mode password\n set authentication password cipher {cipher(d.name, 'console')}",
        "user-interface vty 0 4",
        " authentication-mode aaa",
        " protocol inbound ssh",
        "#",
        "return",
    ]
    return "\n".join(lines)


def config_answer(s: Session, text: str, separator: str = "#") -> str:
    """A configuration listing with the changes made in configuration mode (the running ones, or the saved ones
    for the startup listing) in their sections (configstate.render); then the faults that damage a dump: empty,
    or cut off mid-way (no `return`)."""
    if s.state.get("config_raw"):
        return text
    config = s.state.get("config_state")
    if config is not None:
        text = render(text, config.changes(s.dev.name, s.state.get("config_which", "running")), separator)
    if "empty_config" in s.faults:
        return ""
    if "truncated_config" in s.faults:
        lines = text.split("\n")
        return "\n".join(lines[: max(3, len(lines) * 2 // 5)])
    return text


def version_of(model: str) -> tuple[str, str]:
    for key, ver in VERSIONS.items():
        if key in model:
            return ver
    return ("5.170", "V200R011C10SPC600")


class Vrp(Platform):
    name = "huawei_vrp"
    save_questions = (("Warning: The current configuration will be written to the device. Continue? [Y/N]:",
                       ("y", "yes")),)
    saved_message = ("Now saving the current configuration to the slot 0.\n"
                     "Info: Save the configuration successfully.")
    title_suffix = " Routing Switch"  # 'HUAWEI S7706 Routing Switch uptime is'; a CE prints its model alone
    system_prompt = "[{name}]"

    def register(self) -> None:
        add = self.add
        add("display version", self.version)
        add("display current-configuration", self.current_config)
        add("display saved-configuration", self.startup(self.current_config))
        add("save", self.save)
        add("display cpu-usage", self.cpu)
        add("display memory-usage", self.memory)
        add("display power", self.power)
        add("display fan", self.fan)
        add("display temperature all", self.temperature)
        add("display device", self.device)
        add("display interface brief", self.interface_brief)
        add("display interface", self.interface)
        add("display alarm active", self.alarms)
        add("display logbuffer", self.logbuffer)
        add("display clock", lambda s, a: f"{now_text()}+08:00\n{now_text('%A')}\nTime Zone(Beijing) : UTC+08:00")
        add("display users", self.users)
        add("screen-length 0 temporary", self.no_paging, ("user",))
        add("screen-length", self.screen_length, ("system",))
        add("system-view", self.system_view, ("user",))
        add("quit", self.quit)
        add("return", self.to_user, ("system",))

    def banner(self, s: Session) -> str:
        return ("\nInfo: The max number of VTY users is 5, and the number\n"
                f"      of current VTY users on line is {s.state.get('vty', 1)}.\n"
                f"      The current login time is {now_text()}+08:00.\n")

    def prompt(self, s: Session) -> str:
        if s.mode == "user":
            return f"<{s.dev.name}>"
        context = s.state.get("context")
        return self.system_prompt.format(name=s.dev.name + (f"-{view_name(context)}" if context else ""))

    # -- modes -------------------------------------------------------------------
    def system_view(self, s: Session, args) -> str:
        s.mode = "system"
        return "Enter system view, return user view with Ctrl+Z."

    def quit(self, s: Session, args) -> str:
        if s.mode == "user":
            raise Disconnect()
        if not self.leave_section(s):
            s.mode = "user"
        return ""

    def to_user(self, s: Session, args) -> str:
        s.mode = "user"
        s.state["context"] = ""
        return ""

    def no_paging(self, s: Session, args) -> str:
        s.paging = False
        return "Info: The configuration takes effect on the current user terminal interface only."

    def screen_length(self, s: Session, args) -> str:
        return ""

    # -- displays ----------------------------------------------------------------
    def version(self, s: Session, args) -> str:
        d, h = s.dev, s.health
        ver, rel = version_of(h.model)
        return (f"Huawei Versatile Routing Platform Software\n"
                f"VRP (R) software, Version {ver} ({h.model} {rel})\n"
                f"Copyright (C) 2000-2020 HUAWEI TECH CO., LTD\n"
                f"HUAWEI {h.model}{self.title_suffix} uptime is {uptime_text(h.uptime_s)}\n\n"
                f"MPU(Master) 0 : uptime is {uptime_text(h.uptime_s)}\n"
                f"DDR             Memory Size : 2048    M bytes\n"
                f"FLASH Total     Memory Size : 512     M bytes\n"
                f"Pcb      Version : VER.B\n"
                f"BootROM  Version : 0213.0000\n"
                f"Software Version : VRP (R) Software, Version {ver} ({rel})\n"
                f"ESN              : {d.serial}")

    def current_config(self, s: Session, args) -> str:
        return config_answer(s, vrp_config(s))

    def cpu(self, s: Session, args) -> str:
        h = s.health
        return (f"CPU Usage Stat. Cycle: 60 (Second)\n"
                f"CPU Usage            : {h.cpu}% Max: {h.cpu_max}%\n"
                f"CPU Usage Stat. Time : {now_text()}\n"
                f"CPU utilization for five seconds: {h.cpu}%: one minute: {h.cpu}%: five minutes: {h.cpu}%\n"
                f"Max CPU Usage Stat. Time : {now_text('%Y-%m-%d %H:%M:%S', hours_ago=5)}.")

    def memory(self, s: Session, args) -> str:
        total = 1598029824
        used = total * s.health.memory // 100
        return (f" Memory utilization statistics at {now_text()}+08:00\n"
                f" System Total Memory Is: {total} bytes\n"
                f" Total Memory Used Is: {used} bytes\n"
                f" Memory Using Percentage Is: {s.health.memory}%")

    def power(self, s: Session, args) -> str:
        rows = [f" 0       PWR{i}     Present  AC     {'Supply' if ok else 'NotSupply':<10} 600.00"
                for i, ok in s.health.psus]
        return ("------------------------------------------------------------\n"
                " Slot    PowerID  Online   Mode   State      Power(W)\n"
                "------------------------------------------------------------\n" + "\n".join(rows))

    def fan(self, s: Session, args) -> str:
        rows = [f" 0     {i:<7} Present   {'Normal' if ok else 'Abnormal':<9} {speed}%{'':<7} Auto     Side-to-Back"
                for i, ok, speed in s.health.fans]
        return (" Slot  FanID   Online    Status    Speed     Mode     Airflow\n"
                "-------------------------------------------------------------------------\n" + "\n".join(rows))

    def temperature(self, s: Session, args) -> str:
        h = s.health
        status = "Normal" if h.temp_ok else "Abnormal"
        return ("-------------------------------------------------------------------------------\n"
                " Slot  Card  Sensor Status    Current(C) Lower(C) Lower     Upper(C) Upper\n"
                "                                                          Resume(C)          Resume(C)\n"
                "-------------------------------------------------------------------------------\n"
                f" 0     NA    NA     {status:<9} {h.temperature:<9} 0        4         68       63")

    def device(self, s: Session, args) -> str:
        """Slot rows per stack member (0 master, 1 standby, then slaves), with their power and fan modules;
        a member or board that dropped out stays listed as configured but Offline/Unregistered."""
        h, d = s.health, s.dev
        fault = s.faults.get("stack_member_offline")
        down = int(fault.get("slot", 1)) if fault is not None else None
        members = max(d.stack_members, (down or 0) + 1 if fault is not None else 1)
        rows = []
        for slot in range(members):
            if slot == down:
                rows.append(f"{slot:<5} -      {'*' + d.model:<24} Offline  -     Unregistered -         NA")
                continue
            role = "Master" if slot == 0 else "Standby" if slot == 1 else "Slave"
            rows.append(f"{slot:<5} -      {d.model:<24} Present  On    Registered   Normal    {role}")
            for i, ok in h.psus:
                rows.append(f"      PWR{i}   {'PAC-600WA':<24} Present  {'On' if ok else 'Off':<5} Registered   "
                            f"{'Normal' if ok else 'Abnormal':<9} NA")
            for i, ok, _sp in h.fans:
                rows.append(f"      FAN{i}   {'FAN-40SB-A':<24} Present  On    Registered   "
                            f"{'Normal' if ok else 'Abnormal':<9} NA")
        return ("*: configured, unactived board\n"
                f"{d.model}'s Device status:\n"
                "-------------------------------------------------------------------------------\n"
                "Slot  Card   Type                     Online   Power Register     Alarm     Primary\n"
                "-------------------------------------------------------------------------------\n"
                + "\n".join(rows) + "\n"
                "-------------------------------------------------------------------------------")

    def interface_brief(self, s: Session, args) -> str:
        rows = []
        for p in s.health.ports:
            state = "up" if p.up else "*down"
            rows.append(f"{p.name:<28}{state:<6}{'up' if p.up else 'down':<10}{'0.01%' if p.up else '0%':>6}"
                        f"{'0.01%' if p.up else '0%':>7}{p.crc:>11}{0:>11}")
        return ("PHY: Physical\n*down: administratively down\n^down: standby\n(l): loopback\n(s): spoofing\n"
                "(b): BFD down\n(e): ETHOAM down\n(dl): DLDP down\n(d): Dampening Suppressed\n"
                "InUti/OutUti: input utility/output utility\n"
                "Interface                   PHY   Protocol  InUti OutUti   inErrors  outErrors\n" + "\n".join(rows))

    def interface(self, s: Session, args) -> str:
        ports = s.ports(args)
        if not ports:
            return "Error: Wrong parameter found at '^' position."
        return "\n\n".join(self._one_interface(s, p) for p in ports)

    def _one_interface(self, s: Session, p) -> str:
        state = "UP" if p.up else "Administratively DOWN"
        pk_in, pk_out = p.base_in // 700, p.base_out // 700
        return (f"{p.name} current state : {state}\n"
                f"Line protocol current state : {'UP' if p.up else 'DOWN'}\n"
                f"Description:{p.description or 'HUAWEI, ' + p.name + ' Interface'}\n"
                "Switch Port, PVID :   10, TPID : 8100(Hex), The Maximum Frame Length is 9216\n"
                f"IP Sending Frames' Format is PKTFMT_ETHNT_2, Hardware address is {s.dev.mac[:4]}-{s.dev.mac[4:]}00-0001\n"
                f"Current system time: {now_text()}+08:00\n"
                "Port Mode: COMMON COPPER\n"
                "Speed : 1000,  Loopback: NONE\n"
                "Duplex: FULL,  Negotiation: ENABLE\n"
                "Mdi   : AUTO,  Clock   : -\n"
                "Last 300 seconds input rate 15628 bits/sec, 12 packets/sec\n"
                "Last 300 seconds output rate 20016 bits/sec, 15 packets/sec\n\n"
                f"Input:  {pk_in} packets, {p.base_in} bytes\n"
                f"  Unicast:         {pk_in:>10},  Multicast:                   0\n"
                f"  Broadcast:                0,  Jumbo:                       0\n"
                f"  Discard:                  0,  Total Error:      {p.crc:>10}\n\n"
                f"  CRC:             {p.crc:>10},  Giants:                      0\n"
                "  Jabbers:                  0,  Throttles:                   0\n"
                "  Runts:                    0,  Symbols:                     0\n"
                "  Ignoreds:                 0,  Frames:                      0\n\n"
                f"Output:  {pk_out} packets, {p.base_out} bytes\n"
                f"  Unicast:         {pk_out:>10},  Multicast:                   0\n"
                "  Broadcast:                0,  Jumbo:                       0\n"
                "  Discard:                  0,  Total Error:                 0\n\n"
                "  Collisions:               0,  ExcessiveCollisions:         0\n"
                "  Late Collisions:          0,  Deferreds:                   0\n\n"
                "    Input bandwidth utilization threshold : 80.00%\n"
                "    Output bandwidth utilization threshold: 80.00%\n"
                "    Input bandwidth utilization  : 0.01%\n"
                "    Output bandwidth utilization : 0.01%")

    def alarms(self, s: Session, args) -> str:
        head = ("A/B/C/D/E/F/G/H/I/J\nA=Sequence, B=RootKindFlag(Independent|RootCause|nonRootCause)\n"
                "C=Generating time, D=Clearing time\nE=ID, F=Name, G=Level, H=State\n"
                "I=Description information for locating(Para Info, Reason Info)\nJ=RootCause alarm sequence(Only for "
                "nonRootCause alarm)\n")
        if not s.health.alarms:
            return "Info: No alarm"
        rows = [f"  {i}/Independent/{t}/-/0x{0x8130001 + i:x}/hwAlarm{i}/{sev}/Start/{text}"
                for i, (sev, t, text) in enumerate(s.health.alarms, 1)]
        return head + "-" * 79 + "\n" + "\n".join(rows) + "\n" + "-" * 79

    def logbuffer(self, s: Session, args) -> str:
        logs = s.health.logs
        return (f"Logging buffer configuration and contents : enabled\nAllowed max buffer size : 1024\n"
                f"Actual buffer size : 512\nChannel number : 4 , Channel name : logbuffer\n"
                f"Dropped messages : 0\nOverwritten messages : 0\nCurrent messages : {len(logs)}\n\n"
                + "\n".join(reversed(logs)))

    def users(self, s: Session, args) -> str:
        return ("  User-Intf    Delay    Type   Network Address     AuthenStatus    AuthorcmdFlag\n"
                f"+ 34  VTY 0   00:00:00  SSH    127.0.0.1                 pass           no\n"
                f"  Username : {s.dev.username}")


class VrpV8(Vrp):
    """VRP8 (S6730, S12708, CE): two-stage configuration. Lines typed in the system view wait in the session's
    candidate (the prompt turns from `[~name]` to `[*name]`) until `commit` applies them all at once; leaving with
    lines uncommitted asks whether to commit them, as the device does."""

    name = "huawei_vrpv8"
    system_prompt = "[~{name}]"
    uncommitted_question = ("Warning: Uncommitted configurations found. Are you sure to commit them before exiting? "
                            "[Y(yes)/N(no)/C(cancel)]:")

    def register(self) -> None:
        super().register()
        self.add("commit", self.commit, ("system",))
        self.add("abort", self.abort, ("system",))

    def prompt(self, s: Session) -> str:
        text = super().prompt(s)
        return text.replace("[~", "[*", 1) if s.mode == "system" and s.state.get("candidate") else text

    def take_line(self, s: Session, context: str, text: str) -> None:
        s.state.setdefault("candidate", []).append((context, text))

    def commit(self, s: Session, args) -> str:
        candidate = s.state.pop("candidate", [])
        if candidate:
            s.state["config_state"].apply(s.dev.name, candidate, self.base_entries(s))
        return ""

    def abort(self, s: Session, args) -> str:
        """Leave the system view, dropping what was not committed."""
        s.state.pop("candidate", None)
        return super().to_user(s, args)

    def to_user(self, s: Session, args) -> str:
        if not s.state.get("candidate"):
            return super().to_user(s, args)

        def done() -> str:
            if s.state.pop("answer", "n").startswith("y"):
                self.commit(s, [])
            s.state.pop("candidate", None)
            return super(VrpV8, self).to_user(s, args)

        return self.ask(s, [(self.uncommitted_question, ("y", "yes", "n", "no"))], done)

    def quit(self, s: Session, args) -> str:
        if s.mode == "system" and not s.state.get("context") and s.state.get("candidate"):
            return self.to_user(s, args)
        return super().quit(s, args)

    def answer_dialog(self, s: Session, line: str) -> str:
        s.state["answer"] = line.strip().lower()
        return super().answer_dialog(s, line)


class Ce(VrpV8):
    """CloudEngine (CE6850, CE12800): VRP8 with the data-centre environment commands and their tables, as napalm-ce's
    recorded CE6850-48S6Q-HI prints them. (Whether a CE also takes the campus `display fan` and `-usage` forms is
    not in any public capture, so the lab leaves them as VRP8 answers them.)"""

    name = "huawei_ce"
    title_suffix = ""

    def register(self) -> None:
        super().register()
        self.add("display cpu", self.ce_cpu)
        self.add("display memory", self.ce_memory)
        self.add("display device fan", self.ce_fan)
        self.add("display device power", self.ce_power)
        self.add("display device temperature all", self.ce_temperature)

    def ce_cpu(self, s: Session, args) -> str:
        h = s.health
        return (f"CPU utilization statistics at {now_text()} 616 ms\n"
                f"System CPU Using Percentage :  {h.cpu}%\n"
                f"CPU utilization for five seconds: {h.cpu}%, one minute: {h.cpu}%, five minutes: {h.cpu}%.\n"
                f"Max CPU Usage :                {h.cpu_max}%\n"
                f"Max CPU Usage Stat. Time : {now_text('%Y-%m-%d %H:%M:%S', hours_ago=5)} 642 ms\n"
                "State: Non-overload\nOverload threshold:  90%, Overload clear threshold:  75%, Duration:     480s")

    def ce_memory(self, s: Session, args) -> str:
        total = 3884224
        return (f"Memory utilization statistics at {now_text()} 781 ms\nSystem Total Memory: {total} Kbytes\n"
                f"Total Memory Used: {total * s.health.memory // 100} Kbytes\n"
                f"Memory Using Percentage: {s.health.memory}%\nState: Non-overload")

    def ce_fan(self, s: Session, args) -> str:
        rule = "-" * 81
        rows = []
        for i, ok, speed in s.health.fans:
            rpm = speed * 178
            rows.append(f"{'1' if i == 1 else ' ':<7}FAN{i:<5}[1-2]     {'Normal' if ok else 'Abnormal':<13}"
                        f"{speed}%({rpm}){'':<4}Auto    Front-to-Back")
            rows += [f"{'':<18}{n:<21}{rpm if ok else 0}" for n in (1, 2)]
        return ("fan module:\n" + rule + "\nSlot   FanID    FanNum    Status       Speed         Mode    Airflow Direction\n"
                + rule + "\n" + "\n".join(rows) + "\n" + rule)

    def ce_power(self, s: Session, args) -> str:
        rule = "-" * 79
        rows = [f"{'1' if i == 1 else ' ':<5}PWR{i:<5}YES     AC   {'Supply' if ok else 'NotSupply':<10}"
                f"{'7.6' if ok else '0.0':<10}{'12.1' if ok else '0.0':<10}{'92' if ok else '0':<12}600"
                for i, ok in s.health.psus]
        return (rule + "\nSlot PowerNo Present Mode State     Current   Voltage   ActualPower RatedPower\n"
                "                                    (Ampere)  (Volt)      (Watts)     (Watts)\n" + rule + "\n"
                + "\n".join(rows) + "\n" + rule + "\nN/A:Power not available")

    def ce_temperature(self, s: Session, args) -> str:
        h = s.health
        rule = "-" * 81
        status = "NORMAL" if h.temp_ok else "MAJOR"
        return (rule + "\nSlot    Card    SensorName    Status         Major        Fatal        Current\n"
                "                                           (Celsius)    (Celsius)     (Celsius)\n" + rule + "\n"
                f"1       --      Outlet-1(LSW) {status:<15}58           --            {h.temperature}\n"
                f"        --      Intake-1(LSW) NORMAL          63           --            {h.temperature - 4}\n"
                f"        --      CPU           NORMAL          95          100            {h.temperature + 9}\n"
                + rule)
