"""F5 BIG-IP (TMOS 11.x and later) in tmsh: reached and recorded; no health getter is read yet.

The session knowledge lives here so the connector needs nothing else; health getters (`show sys
hardware`, `show sys cpu`) come with real captures, as docs/adding-a-platform.md describes.
"""

from __future__ import annotations

from typing import ClassVar

from .base import Driver, Getter, config_reader

PLATFORM = "f5_tmos"

# `show running-config` (tmsh; Oxidized's f5 model sends `tmsh -q list` from bash, the same stanzas): every stanza
# begins at the margin with its module ('ltm pool p1 {', 'sys global-settings {') and ends with '}' at the margin.
# TMOS prints no end marker, so a listing is complete when its last line closes a top-level stanza (a listing cut
# inside one ends on an indented line), with the prompt after it and its size against the last good copy. No
# real capture of a whole listing is public (tests/captures/PENDING.yml).
MODULES = r"(analytics|apm|asm|auth|avr|cli|cm|gtm|ilx|ltm|net|pem|security|sys|wom)\b"
config = config_reader(PLATFORM, r"^\}$", start=rf"^{MODULES}")


class F5Tmos(Driver):
    platform = PLATFORM
    kind = "load_balancer"
    netmiko = "f5_tmsh"
    error_markers = ("Syntax Error:",)
    sync = ("show sys version", r"Sys::Version")
    getters: ClassVar[dict[str, Getter]] = {"running_config": Getter("show running-config", config)}
