"""Waivers (豁免): approved, expiring exceptions that turn a known finding into `waived` — listed, never dropped.

waivers.yml (reviewed in pull requests like the inventory):

    - check: SEC-SIG-001            # a check id, or a glob such as 'SEC-*'
      hosts: "rsj-jb-topsag"        # an ansible host pattern over the inventory
      reason: 设备已停保，特征库授权到期，替换项目已立项
      approver: 市人社局信息中心 王某
      expires: 2026-12-31           # the day after which it no longer applies

A waived result keeps its measured value, its message and the status it would
have had (`waived_from`); the waiver's reason, approver and expiry travel with it.
An expired waiver stops applying and is named in the run's manifest.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass
from pathlib import Path

from .. import safeyaml
from ..errors import BadInput
from ..inventory.model import Inventory
from ..timeutil import parse_date, today

FIELDS = ("check", "hosts", "reason", "approver", "expires")


class WaiverError(BadInput):
    pass


@dataclass(frozen=True)
class Waiver:
    check: str
    hosts: frozenset[str]
    pattern: str
    reason: str
    approver: str
    expires: dt.date
    line: int

    def covers(self, host: str, check_id: str) -> bool:
        return host in self.hosts and fnmatch.fnmatchcase(check_id, self.check)

    def record(self) -> dict:
        return {"check": self.check, "hosts": self.pattern, "reason": self.reason, "approver": self.approver,
                "expires": self.expires.isoformat()}


def load(path: Path, inv: Inventory) -> tuple[list[Waiver], list[Waiver]]:
    """(active, expired) waivers; WaiverError names the file, entry and field of anything malformed."""
    if not path.exists():
        return [], []
    try:
        entries = safeyaml.load_file(path) or []
    except BadInput as exc:
        raise WaiverError(str(exc)) from None
    if not isinstance(entries, list):
        raise WaiverError(f"{path}: expected a list of waivers")
    from ..inventory.selection import PatternMatcher

    matcher = PatternMatcher(inv)
    active, expired = [], []
    for i, e in enumerate(entries, 1):
        where = f"{path} entry {i}"
        if not isinstance(e, dict):
            raise WaiverError(f"{where}: expected a mapping with {', '.join(FIELDS)}")
        missing = [f for f in FIELDS if not str(e.get(f) or "").strip()]
        if missing:
            raise WaiverError(f"{where}: missing {', '.join(missing)} (a waiver needs all of {', '.join(FIELDS)})")
        try:
            expires = parse_date(str(e["expires"]))
        except ValueError as exc:
            raise WaiverError(f"{where}: expires: {exc}") from None
        hosts = frozenset(matcher.hosts(str(e["hosts"])))
        if not hosts:
            raise WaiverError(f"{where}: hosts '{e['hosts']}' matches no inventory host")
        w = Waiver(str(e["check"]), hosts, str(e["hosts"]), str(e["reason"]), str(e["approver"]), expires, i)
        (active if expires >= today() else expired).append(w)
    return active, expired


def apply(record: dict, waivers: list[Waiver]) -> dict:
    """Waive a warn/fail result a waiver covers; errors are never waived (they say nothing was inspected)."""
    if record["status"] not in ("warn", "fail"):
        return record
    for w in waivers:
        if w.covers(record["host"], record["check_id"]):
            return {**record, "status": "waived", "waived_from": record["status"], "waiver": w.record()}
    return record
