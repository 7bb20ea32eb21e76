"""Platform drivers and fact sets: one module per platform (base.py says what one holds).

`get(platform)` is the driver of a platform id; `having(getter, kind)` the platforms whose driver reads a
getter, which is how a check says where it applies, so a new driver with a getter takes that getter's checks.
Device CLIs (network, FC, security appliances) have Drivers; storage arrays, backup appliances and web-managed
appliances, read over SSH commands or a JSON API, have FactSets, and so do Linux (their service and time
getters follow the host's generation, EL6 or later), AIX, ESXi and Windows servers. The databases are fact sets of their
roles, since one database runs on more than one OS (`fact_set("oracle")`, `fact_set("mssql")`), and
so are the management controllers, by the host's bmc_protocol (`fact_set("bmc_redfish")`, `fact_set("bmc_ipmi")`).
"""

from __future__ import annotations

from .aix import Aix
from .appliance_web import ApplianceWeb
from .backup_appliance import BackupAppliance
from .base import Driver, FactSet, Getter
from .bmc import IpmiBmc, RedfishBmc
from .brocade_fos import BrocadeFos
from .cisco_ios import CiscoIos
from .cisco_nxos import CiscoNxos
from .emc_vmax import EmcVmax
from .emc_vnx import EmcVnx
from .f5_tmos import F5Tmos
from .hds_ams import HdsAms
from .hp_comware import HpComware
from .huawei_ce import HuaweiCe
from .huawei_oceanstor import HuaweiOceanstor
from .huawei_vrp import HuaweiVrp
from .huawei_vrpv8 import HuaweiVrpV8
from .ibm_ds import IbmDs
from .inspur_storage import InspurStorage
from .linux import Linux
from .lipu_gap import LipuGap
from .mssql import MsSql
from .oracle import Oracle
from .sangfor_vpn import SangforVpn
from .topsec_tos import TopsecTos
from .vmware_esxi import VmwareEsxi
from .windows import Windows

DRIVERS: dict[str, FactSet] = {d.platform: d() for d in (
    HuaweiVrp, HuaweiVrpV8, HuaweiCe, HpComware, CiscoIos, CiscoNxos, BrocadeFos, F5Tmos, TopsecTos, SangforVpn,
    HuaweiOceanstor, InspurStorage, EmcVnx, EmcVmax, HdsAms, IbmDs, BackupAppliance, ApplianceWeb, LipuGap,
    Linux, Aix, VmwareEsxi, Windows)}

# Fact sets not keyed by a host's platform: a role's (a database runs on more than one OS: Oracle on Linux and AIX)
# and a management controller's (bmc_redfish, bmc_ipmi, by the host's bmc_protocol, whatever OS it runs).
FACT_SETS: dict[str, FactSet] = {f.platform: f for f in (Oracle(), MsSql(), RedfishBmc(), IpmiBmc())}

__all__ = ["DRIVERS", "FACT_SETS", "Driver", "FactSet", "Getter", "cli_driver", "fact_set", "get", "having"]


def get(platform: str) -> FactSet | None:
    return DRIVERS.get(platform)


def fact_set(name: str) -> FactSet | None:
    """A fact set not keyed by platform: a role's ('oracle') or a management controller's ('bmc_ipmi')."""
    return FACT_SETS.get(name)


def having(getter: str, kind: str | None = None) -> tuple[str, ...]:
    """The platform ids whose driver reads `getter` (of one kind of device when given)."""
    return tuple(p for p, d in DRIVERS.items() if getter in d.getters and (kind is None or d.kind == kind))


def cli_driver(platform: str) -> Driver | None:
    """The platform's driver if it is reached through a device CLI."""
    d = DRIVERS.get(platform)
    return d if isinstance(d, Driver) else None
