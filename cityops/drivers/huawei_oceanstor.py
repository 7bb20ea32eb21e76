"""Huawei OceanStor arrays through their ISM CLI over SSH: disks, storage pools, system health and alarms.

Inspur's arrays answer the same CLI (inspur_storage.py). The readers were written to the ISM CLI reference's
layouts; no real capture of them is public yet (tests/captures/PENDING.yml).
"""

from __future__ import annotations

import re
from typing import ClassVar

from .base import FactSet, Getter, Section, labelled_state, nonempty, refuse, sections_getter, sections_reader
from .models import Part

PLATFORM = "huawei_oceanstor"


def _table(text: str, first: str, what: str) -> list[list[str]]:
    """Rows of an ISM table: a header line starting with `first`, a rule, then rows of columns two spaces apart."""
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.strip().startswith(first)), None)
    if start is None:
        raise refuse(PLATFORM, f"{what}: no table with a '{first}' header", text)
    return [re.split(r"\s{2,}", ln.strip()) for ln in lines[start + 2:] if ln.strip()]


def disks(text: str) -> list[Part]:
    """`show disk general`: ID, Health Status, Running Status ..."""
    rows = _table(text, "ID", "show disk general")
    return nonempty([Part(r[0], r[1] == "Normal", r[1]) for r in rows if len(r) >= 3], PLATFORM,
                    "show disk general: no disk rows", text)


def pools(text: str) -> dict[str, float]:
    """`show storage_pool general`: ID, Name, ..., Usage ('67%'), the last column."""
    out = {}
    for r in _table(text, "ID", "show storage_pool general"):
        m = re.search(r"(\d+(?:\.\d+)?)%$", r[-1])
        if len(r) >= 5 and m:
            out[r[1]] = float(m.group(1))
    return nonempty(out, PLATFORM, "show storage_pool general: no pool rows", text)


def health(text: str) -> list[Part]:
    """`show system general`: 'Health Status : Normal'."""
    return labelled_state(PLATFORM, text, "Health Status", "系统健康状态", "show system general")


def alarms(text: str) -> list[Part]:
    """`show alarm`: 'Command executed successfully.' alone when there is none; otherwise a 'Sequence  Level ...'
    header, a rule, and one alarm per line. Anything else is not an alarm list."""
    if "Command executed successfully" in text:
        return []
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines or not lines[0].startswith("Sequence"):
        raise refuse(PLATFORM, "show alarm: neither 'Command executed successfully' nor an alarm table", text)
    return [Part("告警", False, row) for row in lines[1:] if not set(row) <= {"-", " "}]


# The configuration on file (设备系统档案) of an array is what a rebuild needs: its LUNs, LUN groups, hosts, host
# groups and the mapping views that join them, one ISM `show ... general` table each (the CLI has no one-command
# dump; its `export configuration_data` writes a database file to an FTP/SFTP server, not a text to keep and
# compare). Columns that change without a change of configuration are dropped: health, running status, a thin
# LUN's subscribed capacity. An empty list is 'Command executed successfully.', as for `show alarm`.
NONE = "Command executed successfully."
STATE_COLUMNS = ("Health Status", "Running Status", "Subscribed Capacity", "Protection Capacity", "Work Controller")
CONFIG_SECTIONS = tuple(Section(f"show {what} general", r"ID\s{2,}Name", empty=NONE, state_columns=STATE_COLUMNS)
                        for what in ("lun", "lun_group", "host", "host_group", "mapping_view"))


def config_sections(platform: str) -> Getter:
    """The running configuration of an array that speaks the ISM CLI (OceanStor, Inspur AS)."""
    return sections_getter(tuple(s.command for s in CONFIG_SECTIONS), sections_reader(platform, CONFIG_SECTIONS))


class HuaweiOceanstor(FactSet):
    platform = PLATFORM
    kind = "storage"
    getters: ClassVar[dict[str, Getter]] = {
        "disks": Getter("show disk general", disks),
        "pools": Getter("show storage_pool general", pools),
        "health": Getter("show system general", health),
        "alarms": Getter("show alarm", alarms),
        "running_config": config_sections(PLATFORM),
    }
