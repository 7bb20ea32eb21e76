"""Platform drivers: one module per platform of the estate reached over a device CLI (base.py says what one holds).

`get(platform)` is the driver of a platform id; `having(getter, kind)` the platforms whose driver reads a
getter, which is how a check says where it applies, so a new driver with a getter takes that getter's checks.
"""

from __future__ import annotations

from .base import Driver, Getter
from .brocade_fos import BrocadeFos
from .cisco_ios import CiscoIos
from .cisco_nxos import CiscoNxos
from .f5_tmos import F5Tmos
from .hp_comware import HpComware
from .huawei_ce import HuaweiCe
from .huawei_vrp import HuaweiVrp
from .huawei_vrpv8 import HuaweiVrpV8
from .sangfor_vpn import SangforVpn
from .topsec_tos import TopsecTos

DRIVERS: dict[str, Driver] = {d.platform: d() for d in (
    HuaweiVrp, HuaweiVrpV8, HuaweiCe, HpComware, CiscoIos, CiscoNxos, BrocadeFos, F5Tmos, TopsecTos, SangforVpn)}

__all__ = ["DRIVERS", "Driver", "Getter", "get", "having"]


def get(platform: str) -> Driver | None:
    return DRIVERS.get(platform)


def having(getter: str, kind: str | None = None) -> tuple[str, ...]:
    """The platform ids whose driver reads `getter` (of one kind of device when given)."""
    return tuple(p for p, d in DRIVERS.items() if getter in d.getters and (kind is None or d.kind == kind))
