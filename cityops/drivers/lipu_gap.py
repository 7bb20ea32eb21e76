"""The Lipu gatekeeper (利谱网闸): a web-managed appliance (appliance_web.py's API) with its inner and outer
units and the ferry channel between them."""

from __future__ import annotations

from typing import ClassVar

from ..parsers import ParseError
from .appliance_web import ApplianceWeb
from .base import Getter
from .models import Part


def units(doc) -> list[Part]:
    """`/api/v1/gap/units`: each unit and the channel, 'normal' or not."""
    try:
        out = [Part(u["name"], u["status"] == "normal", "正常" if u["status"] == "normal" else "故障")
               for u in doc["units"]]
        ok = doc["channel"]["status"] == "normal"
    except (KeyError, TypeError) as exc:
        raise ParseError(f"gap units JSON: {type(exc).__name__} {exc}") from None
    return [*out, Part("摆渡通道", ok, "正常" if ok else "中断")]


class LipuGap(ApplianceWeb):
    platform = "lipu_gap"
    getters: ClassVar[dict[str, Getter]] = {**ApplianceWeb.getters,
                                            "gap_units": Getter("/api/v1/gap/units", units, via="api")}
