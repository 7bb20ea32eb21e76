"""Sangfor SSL VPN gateways over SSH: status, signature library and alarms.

No netmiko or napalm driver exists for Sangfor: netmiko's generic driver. Its pages are modelled like
Topsec's (same labels, so the same readers); results carry `modelled: true`.
"""

from __future__ import annotations

from typing import ClassVar

from . import topsec_tos
from .base import Driver, Getter, config_reader


class SangforVpn(Driver):
    platform = "sangfor_vpn"
    kind = "appliance"
    netmiko = "generic"
    sync = ("show version", r"Software version")
    signature_update = (("update signature online", "Update succeeded"),)  # modelled
    getters: ClassVar[dict[str, Getter]] = {
        "health": Getter("show system status", topsec_tos.health),
        "signatures": Getter("show signature", topsec_tos.signatures),
        "alarms": Getter("show alarm", topsec_tos.alarms),
        "running_config": Getter("show running-config", config_reader("sangfor_vpn", r"^end$")),  # modelled
    }
