"""One inspection run from start to finish: plan, run directory, manifest, results, JUnit, trends, exit status.

Exit status: 0 clean, 1 findings (warn or fail), 2 a host or check could not be
inspected (error), 3 the tool itself failed (raised by the caller).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from ..change.record import active_changes
from ..errors import EXIT_FINDINGS, EXIT_UNINSPECTED
from ..inventory.model import Host, Inventory
from ..timeutil import now
from ..transport.audit import AuditLog
from ..transport.base import TransportConfig
from ..transport.credentials import Credentials
from . import record, runner, waivers
from .catalogue import applicable

REPORTS = Path("reports")


@dataclass
class RunOutcome:
    run_id: str
    run_dir: Path
    tally: runner.Tally
    results: int
    exit_status: int
    status: str  # complete | incomplete


def period_slot(t) -> str:
    return f"{t:%Y-%m-%d} {'上午' if t.hour < 12 else '下午'}"


def transport_config(audit: AuditLog, lab_dir: Path | None = None) -> TransportConfig:
    """Credentials, known_hosts and CA bundle: from the environment on a real runner, else the lab's."""
    from ..lab.statedir import LabDir

    lab = LabDir(lab_dir)
    known = Path(os.environ.get("CITYOPS_KNOWN_HOSTS", lab.known_hosts))
    ca = os.environ.get("CITYOPS_CA_BUNDLE") or (str(lab.path / "ca.pem") if (lab.path / "ca.pem").exists() else None)
    return TransportConfig(credentials=Credentials(lab_file=lab.credentials_file), known_hosts=known, audit=audit,
                           ca_file=Path(ca) if ca else None,
                           connect_timeout=float(os.environ.get("CITYOPS_CONNECT_TIMEOUT", 5)),
                           login_timeout=float(os.environ.get("CITYOPS_LOGIN_TIMEOUT", 15)),
                           command_timeout=float(os.environ.get("CITYOPS_COMMAND_TIMEOUT", 30)))


def inspect(inv: Inventory, hosts: list[Host], *, cadence: str | None, selection: dict, reports: Path = REPORTS,
            lab_dir: Path | None = None, workers: int = 128, host_timeout: float = 120.0, inspector: str = "",
            only: set[str] | None = None, progress=None, waivers_file: Path = Path("waivers.yml")) -> RunOutcome:
    start = now()
    active, expired = waivers.load(waivers_file, inv)  # a malformed waiver stops the run before it starts
    run_id = f"{start:%Y%m%dT%H%M%S}-{cadence or 'all'}-{secrets.token_hex(2)}"
    run_dir = reports / "runs" / run_id
    run_dir.mkdir(parents=True)
    with record.RunLock(run_dir):  # held until the run is sealed; a reader that can take it knows we are gone
        audit = AuditLog(reports / "audit", run_id, inspector, "inspect")
        config = transport_config(audit, lab_dir)
        plan = applicable(hosts, cadence, only)
        covered = [h for h in hosts if plan[h.name]]
        manifest = {
            "run_id": run_id, **record.tool_identity(), "inventory_sha256": inv.digest(), "selection": selection,
            "cadence": cadence, "period_slot": period_slot(start), "inspector": audit.operator, "os_user": audit.user,
            "started": start.isoformat(timespec="seconds"), "ended": None, "status": "running", "pid": os.getpid(),
            "hosts_selected": len(hosts), "hosts_inspected": len(covered),
            "hosts_without_checks": sorted(h.name for h in hosts if not plan[h.name]),
            "checks": sorted({c.id for cs in plan.values() for c in cs}),
            "lots": sorted({lot for h in covered for lot in h.lots}),
            "subsystems": sorted({str(h.get("subsystem")) for h in covered if h.get("subsystem")}),
            "bureaus": sorted({str(h.get("bureau")) for h in covered if h.get("bureau")}),
            "zones": sorted({str(h.get("zone")) for h in covered if h.get("zone")}),
            "waivers_active": [w.record() for w in active], "waivers_expired": [w.record() for w in expired],
        }
        record.write_manifest(run_dir, manifest)
        results = record.ResultsFile(run_dir / "results.jsonl")
        store = record.TrendStore(reports / "state" / "values.json")
        status, reason = "complete", ""
        previous_term = signal.getsignal(signal.SIGTERM)

        def on_term(signum, frame):  # cron's kill or a timeout: end as `incomplete`, never as a corrupt run
            raise KeyboardInterrupt("SIGTERM")

        with contextlib.suppress(ValueError):  # not the main thread (tests): SIGTERM keeps its default there
            signal.signal(signal.SIGTERM, on_term)
        t0 = time.monotonic()
        tally = runner.Tally(hosts_total=len(covered))
        try:
            under_change = active_changes(reports)  # findings on a host being changed are the change's, not new faults

            def write(row: dict) -> None:
                if row.get("host") in under_change:
                    row = {**row, "during_change": under_change[row["host"]]}
                results.write(row)

            tally, values = runner.run(hosts, plan, config, run_id, write, store.load(), workers=workers,
                                       host_timeout=host_timeout, progress=progress,
                                       waive=lambda r: waivers.apply(r, active), reports=reports)
            store.update(values)
        except KeyboardInterrupt as exc:
            status, reason = "incomplete", f"interrupted ({exc or 'SIGINT'})"
        finally:
            results.close()
            with contextlib.suppress(ValueError):
                signal.signal(signal.SIGTERM, previous_term)
        rows = results.written  # the file holds exactly these lines: it was created empty by this run
        record.junit(rows, run_id, run_dir / "junit.xml")
        counts = {s: sum(r["status"] == s for r in rows) for s in ("pass", "warn", "fail", "error", "skip", "waived")}
        manifest.update(ended=now().isoformat(timespec="seconds"), status=status, reason=reason, counts=counts,
                        results=len(rows), seconds=round(time.monotonic() - t0, 2),
                        expected_results=sum(len(cs) for cs in plan.values()))
        record.seal(run_dir, manifest, audit)
        exit_status = (EXIT_UNINSPECTED if counts["error"] or status != "complete"
                       else EXIT_FINDINGS if counts["warn"] + counts["fail"] else 0)
        return RunOutcome(run_id, run_dir, tally, len(rows), exit_status, status)
