"""IBM AIX (the Power minicomputers, AIX 7.1) over SSH: filesystems and inodes (AIX's own `df -k` columns), the
hardware error log, physical volumes, the SRC subsystems and the interim fixes (emgr). Readers: cityops/parsers/aix.py."""

from __future__ import annotations

from typing import ClassVar

from ..parsers import aix
from .base import FactSet, Getter


class Aix(FactSet):
    platform = "aix"
    kind = "server"
    may_be_empty = frozenset({"hardware_errors"})  # errpt prints nothing when the log holds no entry of the class
    getters: ClassVar[dict[str, Getter]] = {
        "filesystems": Getter("df -k", aix.df),
        "hardware_errors": Getter("errpt -d H", aix.errpt),
        "physical_volumes": Getter("lspv", aix.lspv),
        "subsystems": Getter("lssrc -a", aix.lssrc),
        # the interim fixes installed (label -> state): what the AIX patch route plans against
        "interim_fixes": Getter("emgr -l", lambda text: {f.label: f.state for f in aix.efixes(text)}),
    }
