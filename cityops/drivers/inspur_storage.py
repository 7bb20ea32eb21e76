"""Inspur arrays (AS-series): the OceanStor ISM CLI, answered alike (huawei_oceanstor.py's readers)."""

from __future__ import annotations

from .huawei_oceanstor import HuaweiOceanstor


class InspurStorage(HuaweiOceanstor):
    platform = "inspur_storage"
