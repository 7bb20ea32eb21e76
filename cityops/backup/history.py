"""Reading the backups back: which device is stale, what changed, what a configuration was on a day, and the
full configuration (decrypted, for an engineer restoring a device).

`status` reads the per-device state the runs keep (`reports/state/backups.json`) and flags every device not
collected within its class's limit; `diff` and `show` read the store's history (git); `restore_file` decrypts
a vault copy to a file of the engineer's, mode 0600, outside the project and the store, and records that it
did so in the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .. import platforms
from ..errors import BadInput, one_line
from ..files import write_atomic
from ..inventory.model import Host
from ..timeutil import BEIJING, now, parse_date
from ..transport.audit import AuditLog
from .capture import KINDS, kinds_of
from .run import STATE, Paths, rel_path, targets
from .store import Commit, ConfigStore
from .vault import Vault

STALE_HOURS = {"network_cli": 48, "appliance": 48, "storage_cli": 8 * 24}  # daily runs; arrays weekly
STATE_NAMES = {"ok": "正常", "stale": "超期未备份", "never": "从未备份", "failing": "最近一次失败",
               "quarantined": "最近一次被隔离"}


@dataclass
class DeviceStatus:
    host: str
    kind: str
    state: str  # ok | stale | never | failing | quarantined
    last_good: str
    age_hours: float | None
    cause: str
    path: str

    @property
    def bad(self) -> bool:
        return self.state != "ok"


def when(text: str | None, what: str = "date") -> dt.datetime | None:
    """A --at/--from/--to value: YYYY-MM-DD (the end of that day, Beijing time) or an ISO time."""
    if not text:
        return None
    try:
        if len(text) == 10:
            return dt.datetime.combine(parse_date(text), dt.time(23, 59, 59), tzinfo=BEIJING)
        t = dt.datetime.fromisoformat(text)
        return t if t.tzinfo else t.replace(tzinfo=BEIJING)
    except ValueError:
        raise BadInput(f"--{what} '{one_line(text, 40)}': not a date (YYYY-MM-DD) or an ISO time") from None


def status(hosts: list[Host], paths: Paths) -> list[DeviceStatus]:
    try:
        state = json.loads((paths.reports / STATE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        state = {}
    except ValueError:
        raise BadInput(f"{paths.reports / STATE}: not readable JSON (a damaged state file)") from None
    t = now()
    out = []
    todo, _unsupported = targets(hosts)
    for h in todo:
        family = platforms.get(str(h.get("platform"))).family
        for kind in kinds_of(h):
            e = state.get(f"{h.name}/{kind}", {})
            last = e.get("last_good", "")
            age = (t - dt.datetime.fromisoformat(last)).total_seconds() / 3600 if last else None
            if not last:
                s = "never"
            elif e.get("failing_since"):
                s = "quarantined" if e.get("last_status") == "quarantined" else "failing"
            elif age > STALE_HOURS.get(family, 48):
                s = "stale"
            else:
                s = "ok"
            if s in ("failing", "quarantined") and age is not None and age > STALE_HOURS.get(family, 48):
                s = "stale"
            out.append(DeviceStatus(h.name, kind, s, last, age, e.get("last_cause", ""), rel_path(h, kind)))
    return out


def _rel(h: Host, kind: str) -> str:
    if kind not in KINDS:
        raise BadInput(f"--kind '{one_line(kind, 20)}': one of {', '.join(KINDS)}")
    return rel_path(h, kind)


def _version(h: Host, paths: Paths, kind: str, at: str | None, what: str):
    """(store, path, the commit current at `at`) of a device's configuration; one line of bad input otherwise."""
    store, rel = ConfigStore(paths.store), _rel(h, kind)
    if not store.exists:
        raise BadInput(f"{paths.store}: no configuration store yet (run `invoke backup` first)")
    t = when(at, what)
    commit = store.at(rel, t.isoformat() if t else None)
    if commit is None:
        raise BadInput(f"{h.name}: no {kind} configuration on file{' at ' + at if at else ''}")
    return store, rel, commit


def show(h: Host, paths: Paths, at: str | None = None, kind: str = "running") -> tuple[str, str]:
    """(commit line, text) of the masked configuration as it was at `at` (the newest when None)."""
    store, rel, c = _version(h, paths, kind, at, "at")
    return f"{c.id[:12]} {c.time} {c.subject}", store.show(c.id, rel) or ""


def diff(h: Host, paths: Paths, since: str | None = None, until: str | None = None, kind: str = "running") -> str:
    """The change between two versions: by default the last change (the newest version against the one before)."""
    store, rel, new = _version(h, paths, kind, until, "to")
    if since:
        t_from = when(since, "from")
        old = store.at(rel, t_from.isoformat())
    else:
        history = store.git("log", "-n2", "--format=%H", new.id, "--", rel).split()
        old = None if len(history) < 2 else Commit(history[1], "", "")
    if old is None or old.id == new.id:
        return ""
    return store.diff(old.id, new.id, rel)


def restore_file(h: Host, paths: Paths, credentials, at: str | None, out: Path | None, project: Path,
                 audit: AuditLog, kind: str = "running") -> Path:
    """Decrypt the full configuration that was current at `at` into a 0600 file outside the project and store."""
    vault = Vault.open(paths.vault, credentials)
    key = h.name if kind == "running" else f"{h.name}.{kind}"
    copy = vault.at(key, when(at, "at"))
    if copy is None:
        raise BadInput(f"{h.name}: no encrypted {kind} configuration on file{' at ' + at if at else ''}")
    text = vault.open_copy(copy)
    target = (out or Path.home() / "cityops-restore" / f"{h.name}-{copy.taken:%Y%m%dT%H%M%S}.cfg").resolve()
    for inside in (project.resolve(), paths.root.resolve()):
        if target == inside or inside in target.parents:
            raise BadInput(f"{target}: a full configuration may not be written inside {inside}")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(target, text.encode("utf-8"), mode=0o600)
    os.chmod(target, 0o600)
    audit.record(h.name, str(h.get("ansible_host") or ""), audit.user, "vault", f"restore-file {copy.path.name}",
                 0, 0.0, written_to=str(target))
    return target
