"""Inspur arrays (AS-series): the OceanStor ISM CLI, answered alike (huawei_oceanstor.py's readers)."""

from __future__ import annotations

from typing import ClassVar

from .base import Getter
from .huawei_oceanstor import HuaweiOceanstor, config_sections

PLATFORM = "inspur_storage"


class InspurStorage(HuaweiOceanstor):
    platform = PLATFORM
    getters: ClassVar[dict[str, Getter]] = {**HuaweiOceanstor.getters, "running_config": config_sections(PLATFORM)}
