"""F5 BIG-IP (TMOS 11.x and later) in tmsh: reached and recorded; no health getter is read yet.

The session knowledge lives here so the connector needs nothing else; health getters (`show sys
hardware`, `show sys cpu`) come with real captures, as docs/adding-a-platform.md describes.
"""

from __future__ import annotations

from typing import ClassVar

from .base import Driver, Getter


class F5Tmos(Driver):
    platform = "f5_tmos"
    kind = "load_balancer"
    netmiko = "f5_tmsh"
    error_markers = ("Syntax Error:",)
    getters: ClassVar[dict[str, Getter]] = {}
