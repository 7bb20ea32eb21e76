"""Storage arrays: the management CLIs inspections use, from one disk/pool/controller state.

Huawei OceanStor answers its ISM CLI over SSH (`admin:/>`, `show system general`,
`show disk general`, `show storage_pool general`, `show controller general`,
`show alarm`). EMC VNX, EMC VMAX, HDS AMS and IBM DS4000 are reached through their
management station's shell, where the vendor tool runs: `naviseccli -h spa ...`,
`symcfg`/`symdisk`, the SNM2 CLI (`auunitinfo`, `audrive`, `audppool`) and
`SMcli`. Inspur AS2200G2 speaks an OceanStor-like CLI here (assumed, no public
reference). Faults: storage_disk_failed, storage_pool_full, power_failed,
fan_failed, alarm_active, empty_config.

Each array also presents a configuration (`Layout`: LUNs, hosts, host groups, the
mappings between them) through the commands the backup collects, in each tool's
layout, with the columns real arrays print that move without a change of
configuration (health, a thin LUN's subscribed capacity, a LUN's current owner,
'Last update time'). `create lun name=... pool_id=... capacity=...GB` on the ISM
CLI adds a LUN, kept in the lab's configuration state like a switch's lines.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass

from .cli import Platform, Session


@dataclass
class Array:
    disks: list[tuple[int, bool]]  # (slot, ok)
    pools: list[tuple[str, int, int]]  # (name, total GB, used %)
    controllers: list[tuple[str, bool]]
    alarms: list[str]


def array_state(s: Session) -> Array:
    seed = int(hashlib.sha256(s.dev.name.encode()).hexdigest()[:8], 16)
    f = s.faults
    bad = int(f["storage_disk_failed"].get("disk", 3)) if "storage_disk_failed" in f else None
    disks = [(i, i != bad) for i in range(24)]
    full = f.get("storage_pool_full")
    pools = []
    for i, name in enumerate(("Pool_DB", "Pool_App")):
        pct = 40 + (seed >> i) % 35
        if full and i == 0:
            pct = int(full.get("percent", 95))
        pools.append((name, 20480 if i == 0 else 10240, pct))
    ctrls = [("A", True), ("B", "power_failed" not in f)]
    alarms = []
    if bad is not None:
        alarms.append(f"The disk in slot {bad} is faulty.")
    if full:
        alarms.append(f"The used capacity of storage pool {pools[0][0]} exceeds the threshold.")
    if "power_failed" in f:
        alarms.append("Power module PSU B of controller enclosure CTE0 fails.")
    if "alarm_active" in f:
        alarms.append("The BBU of controller A is about to expire.")
    return Array(disks, pools, ctrls, alarms)


@dataclass
class Layout:
    luns: list[tuple[int, str, int, int]]  # (id, name, pool id, capacity GB)
    hosts: list[tuple[int, str, str]]  # (id, name, WWN of its HBA)
    groups: list[tuple[int, str]]  # (id, name): each a host group, a LUN group and a mapping view, per pool


CREATED = re.compile(r"^lun (\S+) (\d+) (\d+)$")  # a LUN created in the lab: its configuration-state line


def layout(s: Session) -> Layout:
    """The array's configuration: three LUNs and two hosts per pool, each pool's LUNs mapped to its hosts' group,
    and every LUN created since (`create lun`)."""
    seed = int(hashlib.sha256(s.dev.name.encode()).hexdigest()[:8], 16)
    pools = ("DB", "APP")
    luns = [(i * 3 + k, f"{p}_LUN{k + 1:02d}", i, 500 + 100 * ((seed >> k) % 5)) for i, p in enumerate(pools)
            for k in range(3)]
    config = s.state.get("config_state")
    for line in config.lines(s.dev.name) if config is not None else []:
        m = CREATED.match(line)
        if m:
            luns.append((len(luns), m.group(1), int(m.group(2)), int(m.group(3))))
    hosts = [(i * 2 + k, f"{s.dev.name[:12]}-{p.lower()}{k + 1}", f"10000000c9{seed % 0xFFFF:04x}{i * 2 + k:02x}")
             for i, p in enumerate(pools) for k in range(2)]
    return Layout(luns, hosts, [(i, p) for i, p in enumerate(pools)])


def subscribed(gb: int) -> str:
    """A thin LUN's subscribed capacity: it grows by the day without any change of configuration."""
    return f"{gb * (20 + int(time.time() // 86400) % 50) / 100:.3f}GB"


def table(header: list[tuple[str, int]], rows: list[list[object]], rule: bool = True, indent: str = "  ") -> str:
    """A fixed-width table as the storage CLIs print it: each column as wide as its `width`, two spaces apart."""
    def line(cells) -> str:
        return (indent + "  ".join(f"{c!s:<{w}}" for c, (_, w) in zip(cells, header, strict=True))).rstrip()

    out = [line([h for h, _ in header])]
    if rule:
        out.append(line(["-" * w for _, w in header]))
    return "\n".join(out + [line(r) for r in rows])


class OceanStor(Platform):
    name = "huawei_oceanstor"
    more = "Press <Q> to quit, press <Space> to continue..."
    more_erase = "\r" + " " * 48 + "\r"
    pages_by_default = False

    def register(self) -> None:
        m = ("user", "system")
        self.add("show system general", self.system, m)
        self.add("show disk general", self.disks, m)
        self.add("show storage_pool general", self.pools, m)
        self.add("show controller general", self.controllers, m)
        self.add("show alarm", self.alarms, m)
        self.add("show lun general", self.luns, m)
        self.add("show lun_group general", self.lun_groups, m)
        self.add("show host general", self.hosts, m)
        self.add("show host_group general", self.host_groups, m)
        self.add("show mapping_view general", self.mapping_views, m)
        self.add("create lun", self.create_lun, m)
        self.add("exit", self.exit, m)

    def prompt(self, s: Session) -> str:
        return f"{s.dev.username}:/>"

    def unknown(self, s, line, position):
        return "^\nError: Unknown command or parameter."


    def _health(self, arr: Array) -> str:
        return "Normal" if not arr.alarms else "Fault"

    def system(self, s: Session, a) -> str:
        arr = array_state(s)
        total = sum(p[1] for p in arr.pools)
        return ("\n  System Name           : " + s.dev.name + "\n  Health Status         : " + self._health(arr)
                + "\n  Running Status        : Normal\n  Total Capacity        : " + f"{total:.3f}GB"
                + f"\n  SN                    : {s.dev.serial}\n  Location              : {s.dev.display_name}"
                + f"\n  Product Model         : {s.dev.model}\n  Product Version       : V300R006C50"
                + "\n  High Water Level(%)   : 80\n  Low Water Level(%)    : 20\n  WWN                   : 2100"
                + s.dev.mac + "0000")

    def disks(self, s: Session, a) -> str:
        rows = [f"  CTE0.{slot:<6} {'Normal' if ok else 'Fault':<14} {'Online' if ok else 'Offline':<14} SAS    "
                f"1.089TB   member" for slot, ok in array_state(s).disks]
        return ("  ID          Health Status  Running Status  Type   Capacity  Role\n"
                "  ----------  -------------  --------------  -----  --------  ------\n" + "\n".join(rows))

    def pools(self, s: Session, a) -> str:
        rows = [f"  {i:<3} {name:<10} 0               {'Normal' if pct < 90 else 'Fault':<14} Online          "
                f"{total:.3f}GB  {total * (100 - pct) / 100:.3f}GB  {pct}%"
                for i, (name, total, pct) in enumerate(array_state(s).pools)]
        return ("  ID  Name       Disk Domain ID  Health Status  Running Status  Total Capacity  Free Capacity  Usage\n"
                "  --  ---------  --------------  -------------  --------------  --------------  -------------  -----\n"
                + "\n".join(rows))

    def controllers(self, s: Session, a) -> str:
        return "\n".join(f"  Controller            : 0{c}\n  Health Status         : {'Normal' if ok else 'Fault'}\n"
                         f"  Running Status        : {'Online' if ok else 'Offline'}\n" for c, ok in array_state(s).controllers)

    def alarms(self, s: Session, a) -> str:
        arr = array_state(s)
        if not arr.alarms:
            return "  Command executed successfully."
        return ("  Sequence  Level     Occurred Time        Description\n"
                + "\n".join(f"  {i:<9} Major     2026-11-24 08:00:00  {t}" for i, t in enumerate(arr.alarms, 1)))

    # the configuration's tables
    def luns(self, s: Session, a) -> str:
        arr, lay = array_state(s), layout(s)
        sick = {i for i, (_n, _t, pct) in enumerate(arr.pools) if pct >= 90} | ({0} if arr.alarms else set())
        rows = [[i, name, pool, f"{gb:.3f}GB", subscribed(gb), "Fault" if pool in sick else "Normal",
                 "Online", "Thin", f"6{s.dev.mac}0000{i:04x}"] for i, name, pool, gb in lay.luns]
        return empty_config(s, table([("ID", 3), ("Name", 12), ("Pool ID", 7), ("Capacity", 10),
                                      ("Subscribed Capacity", 19), ("Health Status", 13), ("Running Status", 14),
                                      ("Type", 4), ("WWN", 18)], rows))

    def lun_groups(self, s: Session, a) -> str:
        return table([("ID", 3), ("Name", 8), ("LUN Number", 10)],
                     [[i, f"LG_{p}", sum(1 for ln in layout(s).luns if ln[2] == i)] for i, p in layout(s).groups])

    def hosts(self, s: Session, a) -> str:
        return table([("ID", 3), ("Name", 20), ("Health Status", 13), ("Running Status", 14), ("Operating System", 16),
                      ("Host Group ID", 13)],
                     [[i, name, "Normal", "Online", "Linux", i // 2] for i, name, _w in layout(s).hosts])

    def host_groups(self, s: Session, a) -> str:
        return table([("ID", 3), ("Name", 8), ("Host Number", 11)], [[i, f"HG_{p}", 2] for i, p in layout(s).groups])

    def mapping_views(self, s: Session, a) -> str:
        return table([("ID", 3), ("Name", 8), ("LUN Group ID", 12), ("Host Group ID", 13)],
                     [[i, f"MV_{p}", i, i] for i, p in layout(s).groups])

    def create_lun(self, s: Session, args) -> str:
        """`create lun name=DB_LUN09 pool_id=0 capacity=200GB`: kept in the lab's configuration state."""
        kv = dict(a.split("=", 1) for a in args if "=" in a)
        cap = re.fullmatch(r"(\d+)GB", kv.get("capacity", ""))
        if not kv.get("name") or not kv.get("pool_id", "").isdigit() or not cap:
            return "Error: Incorrect parameter. Usage: create lun name=? pool_id=? capacity=?GB"
        config = s.state.get("config_state")
        if config is not None:
            config.enter(s.dev.name, f"lun {kv['name']} {kv['pool_id']} {cap.group(1)}")
        return "Command executed successfully."


def empty_config(s: Session, text: str) -> str:
    """The lab's fault that empties a configuration listing (`empty_config`) applies to an array's first table."""
    return "" if "empty_config" in s.faults else text


class InspurStorage(OceanStor):
    name = "inspur_storage"

    def prompt(self, s: Session) -> str:
        return f"CLI({s.dev.name})>"


class MgmtStation(Platform):
    """The management host of VNX/VMAX/HDS/DS arrays: a bash prompt where the vendor tool runs."""

    name = "emc_vnx"
    pages_by_default = False

    def register(self) -> None:
        m = ("user", "system")
        self.add("naviseccli", self.navisec, m)
        self.add("symcfg list", self.symcfg, m)
        self.add("symdisk list", self.symdisk, m)
        self.add("auunitinfo", self.auunitinfo, m)
        self.add("audrive", self.audrive, m)
        self.add("audppool", self.audppool, m)
        self.add("SMcli", self.smcli, m)
        self.add("symaccess list", self.symaccess, m)
        self.add("auluref", self.auluref, m)
        self.add("auhgmap", self.auhgmap, m)
        self.add("exit", self.exit, m)

    def prompt(self, s: Session) -> str:
        return f"[{s.dev.username}@{s.dev.name} ~]$ "

    def unknown(self, s, line, position):
        return f"-bash: {line.split()[0] if line.split() else line}: command not found"

    def exit_status(self, out: str) -> int:
        """A shell's: 127 for a command it cannot find, 1 when the vendor tool printed its error."""
        return 127 if out.endswith("command not found") else 1 if out.startswith(("Error", "symaccess:")) else 0


    # EMC VNX (Navisphere Secure CLI)
    def navisec(self, s: Session, args: list[str]) -> str:
        words = " ".join(args)
        arr = array_state(s)
        if "faults -list" in words:
            return "The array is operating normally." if not arr.alarms else "\n".join(
                f"Faulted Subsystem: {s.dev.serial}\nEnclosure SPE : Faulted\n{t}" for t in arr.alarms)
        if "storagepool -list" in words:
            return "\n\n".join(f"Pool Name:  {n}\nPool ID:  {i}\nRaw Capacity (GBs):  {t * 1.25:.3f}\n"
                               f"User Capacity (GBs):  {t:.3f}\nConsumed Capacity (GBs):  {t * p / 100:.3f}\n"
                               f"Available Capacity (GBs):  {t * (100 - p) / 100:.3f}\nPercent Full:  {p:.3f}\n"
                               f"State:  {'Ready' if p < 90 else 'Warning'}\nStatus:  OK(0x0)"
                               for i, (n, t, p) in enumerate(arr.pools))
        if "getdisk" in words:
            return "\n\n".join(f"Bus 0 Enclosure 0  Disk {slot}\nState:                   {'Enabled' if ok else 'Faulted'}"
                               for slot, ok in arr.disks)
        if "storagegroup -list" in words:
            return empty_config(s, "\n\n".join(self.vnx_group(s, i, p) for i, p in layout(s).groups))
        if "lun -list" in words:
            return "\n\n".join(self.vnx_lun(s, *lun) for lun in layout(s).luns)
        if "getcrus" in words:
            return "\n".join(f"SP {c} State:                  {'Present' if ok else 'Faulted'}\n"
                             f"Enclosure SPE Power {c} State:  {'Present' if ok else 'Faulted'}" for c, ok in arr.controllers)
        return "Error: invalid command"

    def vnx_group(self, s: Session, gid: int, pool: str) -> str:
        lay = layout(s)
        hbas = [[f"20:00:00:00:{w[-8:-6]}:{w[-6:-4]}:{w[-4:-2]}:{w[-2:]}:{w[:2]}:{w[2:4]}:{w[4:6]}:{w[6:8]}:"
                 f"{w[8:10]}:{w[10:12]}:{w[12:14]}:{w[14:16]}", "SP A" if i % 2 == 0 else "SP B", 0]
                for i, _n, w in lay.hosts if i // 2 == gid]
        pairs = [[hlu, lun[0]] for hlu, lun in enumerate(ln for ln in lay.luns if ln[2] == gid)]
        return (f"Storage Group Name:    SG_{pool}\nStorage Group UID:     {s.dev.mac.upper()}:00:{gid:02X}\n"
                "HBA/SP Pairs:\n\n" + table([("HBA UID", 47), ("SP Name", 7), ("SPPort", 6)], hbas) +
                "\n\nHLU/ALU Pairs:\n\n" + table([("HLU Number", 10), ("ALU Number", 10)], pairs) +
                "\nShareable:             YES")

    def vnx_lun(self, s: Session, lid: int, name: str, pool: int, gb: int) -> str:
        owner = "SP B" if "power_failed" in s.faults else ("SP A" if lid % 2 == 0 else "SP B")
        return (f"LOGICAL UNIT NUMBER {lid}\nName:  {name}\nUID:  60:06:01:60:{s.dev.mac[:2]}:{s.dev.mac[2:4]}:"
                f"{s.dev.mac[4:]}:00:{lid:02X}\nCurrent Owner:  {owner}\nDefault Owner:  {'SP A' if lid % 2 == 0 else 'SP B'}\n"
                f"User Capacity (GBs):  {gb:.3f}\nConsumed Capacity (GBs):  {subscribed(gb)[:-2]}\n"
                f"Pool Name:  {array_state(s).pools[pool][0]}\nRaid Type:  r_5\nCurrent State:  Ready\n"
                f"Status:  OK(0x0)\nIs Faulted:  false\nIs Transitioning:  false\nCurrent Operation:  None\n"
                f"Is Pool LUN:  Yes\nIs Thin LUN:  Yes")

    # EMC VMAX (Solutions Enabler)
    def symaccess(self, s: Session, args) -> str:
        if "view" not in args:
            return "symaccess: missing -type or view"
        lay = layout(s)
        stamp = time.strftime("%I:%M:%S %p on %a %b %d,%Y")  # moves with every look
        views = []
        for gid, pool in lay.groups:
            wwns = "\n".join(f"       WWN  : {w}" for i, _n, w in lay.hosts if i // 2 == gid)
            devs = [[f"{0x100 + lun[0]:04X}", "07E:000", lun[3] * 1024, hlu]
                    for hlu, lun in enumerate(ln for ln in lay.luns if ln[2] == gid)]
            views.append(f"Masking View Name           : MV_{pool}\nLast update time            : {stamp}\n"
                         f"View last update time       : {stamp}\n\nInitiator Group Name        : IG_{pool}\n\n"
                         f"   Host Initiators\n     {{\n{wwns}\n     }}\n\nPort Group Name             : PG_{pool}\n\n"
                         f"   Director Identification\n     {{\n       FA-7E:0\n       FA-8E:0\n     }}\n\n"
                         f"Storage Group Name          : SG_{pool}\n\n"
                         + table([("Sym Dev", 7), ("Dir:Port", 8), ("Cap(MB)", 9), ("Host Lun", 8)], devs, indent=""))
        return empty_config(s, f"\nSymmetrix ID                : {s.dev.serial}\n\n" + "\n\n".join(views))

    def symcfg(self, s: Session, args) -> str:
        if "-pool" in args:
            return ("                 S Y M M E T R I X   P O O L S\n"
                    "Pool         Flags  Dev             Usable     Free       Used      Full\n"
                    "Name         PTECSL Config          Tracks     Tracks     Tracks    (%)\n"
                    + "\n".join(f"{n:<12} TFFDEI 2-Way Mir  {t * 1000:>10} {t * (100 - p) * 10:>10} {t * p * 10:>10}  {p:>3}"
                                for n, t, p in array_state(s).pools))
        return ("\n                                S Y M M E T R I X\n\n"
                "                                       Mcode    Cache      Num Phys  Num Symm\n"
                "    SymmID       Attachment  Model     Version  Size (MB)  Devices   Devices\n\n"
                f"    {s.dev.serial:<12} Local       {s.dev.model:<9} 5876     65536         8      1210")

    def symdisk(self, s: Session, args) -> str:
        failed = [slot for slot, ok in array_state(s).disks if not ok]
        if "-failed" in args:
            return "No Failed disks in the Symmetrix" if not failed else "\n".join(
                f"DF-1A   C   {slot}   Failed   Seagate  ST3600057" for slot in failed)
        return f"{len(array_state(s).disks)} disks"

    # HDS AMS (Storage Navigator Modular 2 CLI)
    def auunitinfo(self, s: Session, args) -> str:
        arr = array_state(s)
        return (f"Array Unit Type  : AMS2500\nH/W Rev.         : 0100\nConstruction     : Dual\n"
                f"Serial Number    : {s.dev.serial[-8:]}\nFirmware Revision: 0897/A-M\n"
                f"Array Status     : {'Normal' if not arr.alarms else 'Warning'}")

    def audrive(self, s: Session, args) -> str:
        return ("Unit  HDU  Type  Status\n" + "\n".join(f"   0  {slot:>3}  SAS   {'Normal' if ok else 'Detached'}"
                                                      for slot, ok in array_state(s).disks))

    def audppool(self, s: Session, args) -> str:
        rows = []
        for i, (_n, t, p) in enumerate(array_state(s).pools):
            status = "Normal" if p < 90 else "Over Threshold"
            rows.append(f"{i:>7}  RAID6(6D+2P) {t:>10.1f} GB {t * p / 100:>12.1f} GB {p:>8}  {status}")
        return "DP Pool  RAID Level  Total Capacity  Consumed Capacity  Usage(%)  Status\n" + "\n".join(rows)

    def auluref(self, s: Session, args) -> str:
        state = "Detached" if array_state(s).alarms else "Normal"
        rows = [[lid, f"{gb:.1f} GB", "256KB", pool, pool, "RAID6(6D+2P)", "DP", 2, state]
                for lid, _n, pool, gb in layout(s).luns]
        return empty_config(s, table([("LU", 4), ("Capacity", 10), ("Stripe Size", 11), ("RAID Group", 10),
                                      ("DP Pool", 7), ("RAID Level", 12), ("Type", 4), ("Number of Paths", 15),
                                      ("Status", 8)], rows, rule=False))

    def auhgmap(self, s: Session, args) -> str:
        lay = layout(s)
        rows = [[f"0{'AB'[gid]}", f"{gid:03d}:HG_{pool}", hlu, lun[0]] for gid, pool in lay.groups
                for hlu, lun in enumerate(ln for ln in lay.luns if ln[2] == gid)]
        return "Mapping Mode = ON\n" + table([("Port", 4), ("Group", 16), ("H-LUN", 5), ("LUN", 4)], rows, rule=False,
                                               indent="")

    # IBM DS4000 (SMcli)
    def smcli(self, s: Session, args) -> str:
        arr = array_state(s)
        words = " ".join(args)
        if "lunMappings" in words:
            lay = layout(s)
            rows = [[lun[1], hlu, "A" if lun[0] % 2 == 0 else "B", f"Host Group HG_{lay.groups[lun[2]][1]}",
                     "Degraded" if arr.alarms else "Optimal"] for hlu, lun in enumerate(lay.luns)]
            body = empty_config(s, "MAPPINGS (Storage Partitioning - Enabled (2 of 64 used))-------------------\n\n"
                                + table([("Logical Drive Name", 18), ("LUN", 3), ("Controller", 10),
                                         ("Accessible by", 20), ("Logical Drive status", 20)], rows, rule=False,
                                        indent="   "))
            return self.smcli_frame(body) if body else ""
        if "allLogicalDrives" in words:
            lay = layout(s)
            drives = "\n\n".join(
                f"   Logical Drive name: {name}\n      Logical Drive status: {'Degraded' if arr.alarms else 'Optimal'}"
                f"\n      Capacity: {gb:.3f} GB\n      Logical Drive ID: 60:0a:0b:80:00:{s.dev.mac}:{lid:02x}"
                f"\n      Associated array: {pool + 1}\n      RAID level: 5\n      Preferred owner: Controller in slot "
                f"{'AB'[lid % 2]}\n      Current owner: Controller in slot {'B' if 'power_failed' in s.faults else 'AB'[lid % 2]}"
                f"\n      Segment size: 128 KB\n      Modification priority: High\n      Read cache: Enabled"
                f"\n      Write cache: Enabled" for lid, name, pool, gb in lay.luns)
            return self.smcli_frame(f"STANDARD LOGICAL DRIVES------------------------------\n\nSUMMARY\n"
                                    f"   Number of standard logical drives: {len(lay.luns)}\n\nDETAILS\n\n{drives}")
        if "healthStatus" in words:
            return ("Performing syntax check...\n\nSyntax check complete.\n\nExecuting script...\n\n"
                    + ("Storage Subsystem health status = optimal." if not arr.alarms else
                       "The following failures have been found:\n" + "\n".join(arr.alarms))
                    + "\nScript execution complete.\n\nSMcli completed successfully.")
        return "SMcli completed successfully."

    @staticmethod
    def smcli_frame(body: str) -> str:
        """SMcli's script engine around an answer."""
        return ("Performing syntax check...\n\nSyntax check complete.\n\nExecuting script...\n\n" + body
                + "\nScript execution complete.\n\nSMcli completed successfully.")


class VmaxStation(MgmtStation):
    name = "emc_vmax"


class HdsStation(MgmtStation):
    name = "hds_ams"


class DsStation(MgmtStation):
    name = "ibm_ds"
