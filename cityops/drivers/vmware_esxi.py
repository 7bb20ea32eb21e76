"""VMware ESXi hosts (6.0, 6.5) over SSH: datastore capacity and storage paths through esxcli.
Readers: cityops/parsers/esxi.py."""

from __future__ import annotations

from typing import ClassVar

from ..parsers import esxi
from .base import FactSet, Getter


class VmwareEsxi(FactSet):
    platform = "vmware_esxi"
    kind = "server"
    getters: ClassVar[dict[str, Getter]] = {
        "datastores": Getter("esxcli storage filesystem list", esxi.filesystems),
        "storage_paths": Getter("esxcli storage core path list", esxi.paths),
    }
