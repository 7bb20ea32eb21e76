"""Storage arrays: the management CLIs inspections use, from one disk/pool/controller state.

Huawei OceanStor answers its ISM CLI over SSH (`admin:/>`, `show system general`,
`show disk general`, `show storage_pool general`, `show controller general`,
`show alarm`). EMC VNX, EMC VMAX, HDS AMS and IBM DS4000 are reached through their
management station's shell, where the vendor tool runs: `naviseccli -h spa ...`,
`symcfg`/`symdisk`, the SNM2 CLI (`auunitinfo`, `audrive`, `audppool`) and
`SMcli`. Inspur AS2200G2 speaks an OceanStor-like CLI here (assumed, no public
reference). Faults: storage_disk_failed, storage_pool_full, power_failed,
fan_failed, alarm_active.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .cli import Platform, Session
from .vrp import config_answer


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
        self.add("show configuration", lambda s, a: config_answer(s, self.config(s)), m)
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

    def config(self, s: Session) -> str:
        return f"system name {s.dev.name}\nntp server 127.0.0.1\nsnmp community ******\nuser {s.dev.username} level super_admin"


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
        self.add("exit", self.exit, m)

    def prompt(self, s: Session) -> str:
        return f"[{s.dev.username}@{s.dev.name} ~]$ "

    def unknown(self, s, line, position):
        return f"-bash: {line.split()[0] if line.split() else line}: command not found"


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
        if "getcrus" in words:
            return "\n".join(f"SP {c} State:                  {'Present' if ok else 'Faulted'}\n"
                             f"Enclosure SPE Power {c} State:  {'Present' if ok else 'Faulted'}" for c, ok in arr.controllers)
        return "Error: invalid command"

    # EMC VMAX (Solutions Enabler)
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

    # IBM DS4000 (SMcli)
    def smcli(self, s: Session, args) -> str:
        arr = array_state(s)
        if "healthStatus" in " ".join(args):
            return ("Performing syntax check...\n\nSyntax check complete.\n\nExecuting script...\n\n"
                    + ("Storage Subsystem health status = optimal." if not arr.alarms else
                       "The following failures have been found:\n" + "\n".join(arr.alarms))
                    + "\nScript execution complete.\n\nSMcli completed successfully.")
        return "SMcli completed successfully."


class VmaxStation(MgmtStation):
    name = "emc_vmax"


class HdsStation(MgmtStation):
    name = "hds_ams"


class DsStation(MgmtStation):
    name = "ibm_ds"
