"""Huawei VRP8 on the estate's campus switches (S12708, S5731-H, S6730-H; V200R019 and later).

These answer the VRP5 commands in the VRP5 layouts (tests/captures/huawei_vrpv8 holds their own captures),
so the readers are VRP5's; what differs is the session: netmiko's huawei_vrpv8 type (two-stage commit, the
'[~name]' system-view prompt). CloudEngine data-centre switches print other tables and are not in this
estate: a CE would need a driver of its own, written on CE captures.
"""

from __future__ import annotations

from .base import VRP_SECTIONS, ChangeMethod
from .huawei_vrp import HuaweiVrp


class HuaweiVrpV8(HuaweiVrp):
    platform = "huawei_vrpv8"
    netmiko = "huawei_vrpv8"
    # VRP8 keeps the typed lines as a candidate until `commit` (netmiko's commit() reads its errors)
    change = ChangeMethod(enter="system-view", leave="return", commit="commit", discard="abort",
                          sections=VRP_SECTIONS)
