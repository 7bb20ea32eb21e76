"""Windows Server 2008 R2, 2012 R2 and 2016, reached over Win32-OpenSSH: PowerShell queries every release answers.

The estate's oldest hosts run what they shipped with: PowerShell 2.0 on .NET 3.5 (2008 R2) and PowerShell 4.0 on
.NET 4.5 (2012 R2). Two things newer Windows does are missing there and fail silently, not loudly:
- `Get-Service` has no StartType before .NET 4.6.1 (PowerShell 5.1, Windows Server 2016): it prints empty, and a
  check asking for stopped *automatic* services finds none. Services are read from WMI's Win32_Service (State,
  StartMode), which every release since Windows 2000 answers the same way.
- PowerShell 2.0 loads no module by itself: `Get-ClusterNode` is 'not recognized' until `Import-Module
  FailoverClusters`, so every cluster query names the module first (harmless on later releases).
Each script prints one 'a|b|c' row per object, so one reader splits them all. The row format is cityops' own, so no
published capture of it exists (tests/captures/windows/*/EXEMPT.md); the lab answers each release as it is.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from ..parsers import ParseError
from ..parsers import windows as rows_of
from .base import FactSet, Getter, nonempty
from .models import ClusterGroup, Part, Service

PLATFORM = "windows"


def powershell(script: str) -> str:
    return f'powershell -NoProfile -NonInteractive -Command "{script}"'


CLUSTER = "Import-Module FailoverClusters; "


def disks(text: str) -> dict[str, float]:
    """Win32_LogicalDisk (local disks): DeviceID|Size|FreeSpace in bytes -> {drive: used percent}."""
    out = {}
    for drive, size, free in rows_of.rows(text, 3, "Win32_LogicalDisk"):
        if not (size.isdigit() and free.isdigit()):
            raise ParseError(f"Win32_LogicalDisk: '{drive}|{size}|{free}'")
        out[drive] = round(100.0 * (int(size) - int(free)) / int(size), 1) if int(size) else 0.0
    return nonempty(out, PLATFORM, "Win32_LogicalDisk: no local disk", text)


START_MODES = frozenset({"Auto", "Manual", "Disabled", "Boot", "System"})


def services(text: str) -> list[Service]:
    """Win32_Service: State|Name|StartMode. A StartMode WMI does not use (an empty one is what Get-Service's missing
    StartType looks like) is refused: reading it as 'not automatic' is the false pass this driver exists to stop."""
    out = []
    for state, name, mode in rows_of.rows(text, 3, "Win32_Service"):
        if mode not in START_MODES:
            raise ParseError(f"Win32_Service: '{name}' has no StartMode WMI knows ('{mode}')")
        out.append(Service(name, state, mode))
    return nonempty(out, PLATFORM, "Win32_Service: no service", text)


def hotfixes(text: str) -> list[tuple[str, dt.date]]:
    """Get-HotFix, newest first: HotFixID|Description|InstalledOn (yyyy/MM/dd)."""
    out = [(kb, rows_of.when(day).date()) for kb, _desc, day in rows_of.rows(text, 3, "Get-HotFix")]
    return nonempty(out, PLATFORM, "Get-HotFix: no update listed", text)


def cluster_nodes(text: str) -> list[Part]:
    return nonempty([Part(node, state == "Up", state) for node, state in rows_of.rows(text, 2, "Get-ClusterNode")],
                    PLATFORM, "Get-ClusterNode: no node", text)


def cluster_groups(text: str) -> list[ClusterGroup]:
    return nonempty([ClusterGroup(*row) for row in rows_of.rows(text, 3, "Get-ClusterGroup")],
                    PLATFORM, "Get-ClusterGroup: no group", text)


class Windows(FactSet):
    platform = PLATFORM
    kind = "server"
    getters: ClassVar[dict[str, Getter]] = {
        "disks": Getter(powershell("Get-WmiObject Win32_LogicalDisk -Filter DriveType=3 | ForEach-Object "
                                   "{ $_.DeviceID + '|' + $_.Size + '|' + $_.FreeSpace }"), disks),
        "services": Getter(powershell("Get-WmiObject Win32_Service | ForEach-Object "
                                      "{ $_.State + '|' + $_.Name + '|' + $_.StartMode }"), services),
        "hotfixes": Getter(powershell("Get-HotFix | Sort-Object InstalledOn -Descending | Select-Object -First 5 | "
                                      "ForEach-Object { $_.HotFixID + '|' + $_.Description + '|' + "
                                      "$_.InstalledOn.ToString('yyyy/MM/dd') }"), hotfixes),
        "cluster_nodes": Getter(powershell(CLUSTER + "Get-ClusterNode | ForEach-Object { $_.Name + '|' + $_.State }"),
                                cluster_nodes),
        "cluster_groups": Getter(powershell(CLUSTER + "Get-ClusterGroup | ForEach-Object { $_.Name + '|' + "
                                            "$_.OwnerNode + '|' + $_.State }"), cluster_groups),
    }
