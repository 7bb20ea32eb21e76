"""One configuration backup run: collect every selected device, judge, store, encrypt, commit, record.

The run leaves `reports/backups/<run-id>/` like an inspection run: `results.jsonl` (a line per device and
configuration: status, cause, lines, sha256 of the masked text and of the encrypted copy, changed or not) and
`manifest.json` (written `running` first, sealed at the end with every file's sha256 and registered in the run
register, `reports/registers/runs.jsonl`, a hash chain), read by the reports exactly as inspection runs are.
The store gets at most one commit per run, none when nothing significant changed; the quarantine keeps
(masked) what failed its checks, never in place of a good copy.

Exit status: 0 every configuration kept, 1 something quarantined, 2 a device could not be collected (or the
vault could not be used), 3 the tool itself failed.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .. import platforms
from ..errors import EXIT_FINDINGS, EXIT_UNINSPECTED
from ..files import write_atomic
from ..inspect import record
from ..inspect.session import transport_config
from ..inventory.model import Host, Inventory
from ..timeutil import now
from ..transport import redact
from ..transport.audit import AuditLog
from .capture import KINDS, MAX_DROP, Capture, changed_lines, collect, kinds_of, unsaved_lines
from .store import ConfigStore, part
from .vault import Vault, VaultError

BACKUPS = Path("backups")  # configs/ (the git store), vault/ (encrypted full copies), quarantine/
CONFIG_FAMILIES = ("network_cli", "appliance", "storage_cli")  # devices whose configuration the tender wants on file
STATE = Path("state") / "backups.json"


@dataclass
class Paths:
    """Where a backup run keeps things: the backups root (its store, vault and quarantine) and the reports."""

    root: Path = BACKUPS
    reports: Path = Path("reports")

    @property
    def store(self) -> Path:
        return self.root / "configs"

    @property
    def vault(self) -> Path:
        return self.root / "vault"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"


@dataclass
class Tally:
    total: int = 0
    done: int = 0
    counts: dict = field(default_factory=lambda: dict.fromkeys(
        ("collected", "changed", "unchanged", "failed", "quarantined", "added", "removed", "secret_changed",
         "unsaved", "unsupported"), 0))
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class BackupOutcome:
    run_id: str
    run_dir: Path
    tally: Tally
    commit: str | None
    exit_status: int
    status: str
    recovered: list[str]
    vault_problem: str = ""


def rel_path(h: Host, kind: str) -> str:
    """Where a device's configuration lives in the store: bureau/site/host(.startup).cfg."""
    bureau = part(h.get("bureau") or "unassigned", f"{h.name}: bureau")
    site = part(h.get("site") or "unassigned", f"{h.name}: site")
    name = part(h.name, "host")
    return f"{bureau}/{site}/{name}{'' if kind == 'running' else '.' + kind}.cfg"


def targets(hosts: list[Host]) -> tuple[list[Host], list[Host]]:
    """(hosts cityops can back up, config-bearing hosts whose platform has no configuration reader yet)."""
    ok, unsupported = [], []
    for h in hosts:
        p = platforms.get(str(h.get("platform")))
        if p is None or p.family not in CONFIG_FAMILIES:
            continue
        (ok if "running" in kinds_of(h) else unsupported).append(h)
    return ok, unsupported


def keep(c: Capture, h: Host, store: ConfigStore, vault: Vault | None, paths: Paths, run_id: str) -> dict:
    """Put one judged capture where it belongs and say what happened (a line of results.jsonl)."""
    rel = rel_path(h, c.kind)
    row = {"run_id": run_id, "host": h.name, "kind": c.kind, "command": c.command, "status": c.status,
           "cause": c.cause, "detail": redact.text(c.detail), "path": rel, "bureau": h.get("bureau"), "lots": h.lots,
           "site": h.get("site"), "display_name": h.get("display_name"),
           "platform": h.get("platform"), "seconds": round(c.seconds, 3), "time": now().isoformat(timespec="seconds")}
    if c.status == "quarantined":
        q = paths.quarantine / h.name / f"{run_id}.{c.kind}.cfg"
        write_atomic(q, c.quarantine_text.encode("utf-8"))
        write_atomic(q.with_suffix(".json"), json.dumps({k: row[k] for k in ("host", "kind", "cause", "detail",
                                                                              "command", "time")},
                                                        ensure_ascii=False, indent=1).encode("utf-8"))
        row["quarantine_file"] = str(q)
        return row
    if c.status != "ok":
        return row
    old = store.read(rel)
    text = c.config.text
    row.update(lines=c.lines, bytes=len(text.encode()), sha256=c.sha256, added=old is None,
               changed=old is not None and old != text, noise_lines=c.config.noise_lines)
    if old != text:
        store.write(rel, text)
        row["lines_added"], row["lines_removed"] = changed_lines((old or "").splitlines(), text.splitlines())
    if vault is not None:
        key = h.name if c.kind == "running" else f"{h.name}.{c.kind}"
        digest = vault.digest(c.config.full)
        latest = vault.latest(key)
        if latest is None or latest.digest != digest:
            copy = vault.keep(key, c.config.full, digest)
            row["encrypted_copy"] = copy.path.name
            row["secret_changed"] = latest is not None and old == text  # the full text moved, the masked did not
        else:
            row["encrypted_copy"] = latest.path.name
        row["encrypted_sha256"] = record.sha256_file(paths.vault / key / row["encrypted_copy"])
        row["encrypted_pruned"] = len(vault.prune(key))  # full copies past their time: old passwords
    return row


def commit_message(run_id: str, rows: list[dict], removed: list[str]) -> tuple[str, str]:
    changed = [r for r in rows if r["status"] == "ok" and (r.get("changed") or r.get("added"))]
    secret = [r for r in rows if r.get("secret_changed")]
    hosts = sorted({r["host"] for r in changed})
    subject = f"backup {run_id}: {len(hosts)} device(s) changed"
    if hosts:
        subject += f" ({', '.join(hosts[:5])}{', ...' if len(hosts) > 5 else ''})"
    body = []
    for r in sorted(changed, key=lambda r: (r["host"], r["kind"])):
        what = "added" if r.get("added") else f"+{r.get('lines_added', 0)} -{r.get('lines_removed', 0)}"
        body.append(f"{r['host']} {r['kind']}: {what}")
    body += [f"{r['host']} {r['kind']}: secret changed (see the encrypted copy)" for r in secret]
    body += [f"{path}: removed (no longer in the inventory)" for path in removed]
    return subject, "\n".join(body)


def removed_files(store: ConfigStore, inv: Inventory) -> list[str]:
    """Store files of devices the inventory no longer has (RANCID's deleted devices)."""
    names = set(inv.hosts)
    out = []
    for rel in store.files():
        host = rel.rsplit("/", 1)[-1].removesuffix(".cfg").removesuffix(".startup")
        if host not in names:
            out.append(rel)
    return out


def update_state(path: Path, rows: list[dict]) -> None:
    """reports/state/backups.json: per host and kind, the last good capture and the last failure (status reads)."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        state = {}
    for r in rows:
        entry = state.setdefault(f"{r['host']}/{r['kind']}", {})
        if r["status"] == "ok":
            entry.update(last_good=r["time"], run_id=r["run_id"], path=r["path"], sha256=r.get("sha256"),
                         lines=r.get("lines"))
            entry.pop("failing_since", None)
        elif r["status"] in ("failed", "quarantined"):
            entry.setdefault("failing_since", r["time"])
            entry.update(last_failure=r["time"], last_cause=r["cause"], last_status=r["status"])
    write_atomic(path, json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"))


def backup(inv: Inventory, hosts: list[Host], *, selection: dict, paths: Paths | None = None,
           lab_dir: Path | None = None, workers: int = 128, host_timeout: float = 120.0, max_drop: float = MAX_DROP,
           operator: str = "", progress: Callable[[Tally], None] | None = None) -> BackupOutcome:
    paths = paths or Paths()
    start = now()
    run_id = f"{start:%Y%m%dT%H%M%S}-backup-{secrets.token_hex(2)}"
    run_dir = paths.reports / "backups" / run_id
    run_dir.mkdir(parents=True)
    with record.RunLock(run_dir):
        audit = AuditLog(paths.reports / "audit", run_id, operator, "backup")
        config = transport_config(audit, lab_dir)
        store = ConfigStore(paths.store)
        store.lock()
        try:
            recovered = store.recover()
            vault, vault_problem = None, ""
            try:
                vault = Vault.open(paths.vault, config.credentials)
            except VaultError as exc:
                vault_problem = str(exc)
            todo, unsupported = targets(hosts)
            tally = Tally(total=len(todo))
            tally.counts["unsupported"] = len(unsupported)
            manifest = {"run_id": run_id, "kind": "config_backup", **record.tool_identity(),
                        "inventory_sha256": inv.digest(), "selection": selection, "operator": audit.operator,
                        "os_user": audit.user, "started": start.isoformat(timespec="seconds"), "ended": None,
                        "status": "running", "pid": os.getpid(), "store": str(paths.store),
                        "devices": len(todo), "unsupported": sorted(h.name for h in unsupported),
                        "lots": sorted({lot for h in todo + unsupported for lot in h.lots}),
                        "bureaus": sorted({str(h.get("bureau")) for h in todo + unsupported if h.get("bureau")}),
                        "zones": sorted({str(h.get("zone")) for h in todo + unsupported if h.get("zone")}),
                        "recovered": recovered, "vault_problem": vault_problem}
            record.write_manifest(run_dir, manifest)
            results = record.ResultsFile(run_dir / "results.jsonl")
            for h in unsupported:
                results.write({"run_id": run_id, "host": h.name, "kind": "running", "status": "unsupported",
                               "cause": "no_reader", "platform": h.get("platform"), "bureau": h.get("bureau"),
                               "lots": h.lots,
                               "detail": f"cityops has no configuration reader for platform {h.get('platform')} yet",
                               "time": now().isoformat(timespec="seconds")})
            status, reason, commit = "complete", "", None
            previous_term = signal.getsignal(signal.SIGTERM)

            def on_term(signum, frame):
                raise KeyboardInterrupt("SIGTERM")

            with contextlib.suppress(ValueError):
                signal.signal(signal.SIGTERM, on_term)

            def one(h: Host) -> None:
                last = {k: store.read(rel_path(h, k)) for k in KINDS}
                captures = collect(h, config, time.monotonic() + host_timeout, last, max_drop)
                kept = {c.kind: c.config for c in captures if c.status == "ok"}
                unsaved = (unsaved_lines(str(h.get("platform")), kept["running"], kept["startup"])
                           if {"running", "startup"} <= set(kept) else None)
                for c in captures:
                    row = keep(c, h, store, vault, paths, run_id)
                    if c.kind == "running" and unsaved is not None:
                        row["unsaved_lines"] = unsaved  # running differs from startup: lost at the next reload
                    results.write(row)
                    with tally.lock:
                        counts = tally.counts
                        if c.status == "ok":
                            counts["collected"] += 1
                            counts["added" if row.get("added") else "changed" if row.get("changed")
                                   else "unchanged"] += 1
                            counts["secret_changed"] += bool(row.get("secret_changed"))
                            counts["unsaved"] += bool(row.get("unsaved_lines"))
                        elif c.status in ("failed", "quarantined"):
                            counts[c.status] += 1
                with tally.lock:
                    tally.done += 1
                if progress:
                    progress(tally)

            t0 = time.monotonic()
            from ..inspect.runner import warm_imports

            warm_imports()
            pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(todo) or 1)), thread_name_prefix="backup")
            try:
                for f in [pool.submit(one, h) for h in todo]:
                    f.result()
                pool.shutdown()
            except KeyboardInterrupt as exc:
                from ..transport.watchdog import WATCHDOG

                pool.shutdown(wait=False, cancel_futures=True)
                WATCHDOG.cut_all()
                status, reason = "incomplete", f"interrupted ({exc or 'SIGINT'})"
            finally:
                with contextlib.suppress(ValueError):
                    signal.signal(signal.SIGTERM, previous_term)
            rows = list(results.written)
            removed = removed_files(store, inv) if status == "complete" else []
            for rel in removed:
                store.remove(rel)
            tally.counts["removed"] = len(removed)
            subject, body = commit_message(run_id, rows, removed)
            commit = store.commit(subject, body)
            results.close()
            update_state(paths.reports / STATE, rows)
        finally:
            store.unlock()
        counts = dict(tally.counts)
        manifest.update(ended=now().isoformat(timespec="seconds"), status=status, reason=reason, counts=counts,
                        commit=commit, seconds=round(time.monotonic() - t0, 2), results=len(rows))
        record.seal(run_dir, manifest, audit)  # the run register every run is sealed in (reports/registers/runs.jsonl)
        exit_status = (EXIT_UNINSPECTED if counts["failed"] or status != "complete" or vault_problem
                       else EXIT_FINDINGS if counts["quarantined"] else 0)
        return BackupOutcome(run_id, run_dir, tally, commit, exit_status, status, recovered, vault_problem)
