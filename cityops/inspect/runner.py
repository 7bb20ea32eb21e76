"""The inspection runner: every applicable check on every selected host, hosts in parallel, one session each.

pytest alone runs hosts one after another and pytest-xdist's processes are
costly on two cores, so cityops runs the same check functions itself: a thread
per host (the work is waiting on devices), one reused session per host, a time
limit per host, and a result per host × check written the moment it is known.
A host that cannot be reached ends every one of its checks in `error` with the
cause, once, without retrying for each check; the other hosts carry on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .. import platforms
from ..inventory.model import Host
from ..terms import STATUS_ORDER
from ..transport.base import TransportConfig
from ..transport.errors import ConnectFailure
from ..transport.registry import open_session, session_class
from ..transport.testinfra_backend import host_for
from .catalogue import Check
from .context import Context, Verdict, verdict


@dataclass
class Tally:
    hosts_done: int = 0
    hosts_total: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUS_ORDER, 0))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: str) -> None:
        with self.lock:
            self.by_status[status] = self.by_status.get(status, 0) + 1


Emit = Callable[[dict], None]


def host_facets(h: Host) -> dict:
    return {"bureau": h.get("bureau"), "lots": h.lots, "subsystem": h.get("subsystem"), "site": h.get("site"),
            "zone": h.get("zone"), "device_class": h.get("device_class"), "platform": h.get("platform"),
            "address": h.get("ansible_host"), "display_name": h.get("display_name")}


def result_record(run_id: str, h: Host, c: Check, result: Verdict, seconds: float) -> dict:
    """One line of results.jsonl: the verdict, the check's declaration and the host's facets (reports group by them);
    `modelled` says the reading rests on an interface modelled without real output to test it on."""
    platform = platforms.get(str(h.get("platform")))
    return {"run_id": run_id, "host": h.name, "check_id": c.id, "title": c.title, "severity": c.severity,
            **result.record(), "remedy": c.remedy if result.status in ("warn", "fail") else "", "standard": c.standard,
            "seconds": round(seconds, 3), "modelled": bool(platform and platform.modelled), **host_facets(h)}


def run_check(c: Check, h: Host, session, tihost, previous: dict, failure: ConnectFailure | None = None,
              reports=None) -> tuple[Verdict, Context]:
    """Run one check through a session (or record why it could not run) -> (verdict, context)."""
    warn, crit = c.thresholds(h)
    ctx = Context(c, session, warn, crit, previous.get(c.id, {}), reports=reports)
    if failure is not None:
        return verdict(ctx, failure), ctx
    try:
        c.fn(tihost, ctx)
        return verdict(ctx), ctx
    except Exception as exc:
        return verdict(ctx, exc), ctx


def inspect_host(h: Host, checks: list[Check], config: TransportConfig, run_id: str, host_timeout: float,
                 previous: dict, emit: Emit, reports=None) -> dict[str, dict]:
    """Run `checks` on one host over one session; emit each result; return the values to store for trends."""
    deadline = time.monotonic() + host_timeout
    stored: dict[str, dict] = {}
    session = tihost = failure = None
    try:
        session = open_session(h, config, deadline)
        tihost = host_for(session)
    except ConnectFailure as exc:
        failure = exc
    for c in checks:
        started = time.monotonic()
        result, ctx = run_check(c, h, session, tihost, previous, failure, reports)
        if result.status != "error" and ctx.values:
            stored[c.id] = dict(ctx.values)
        emit(result_record(run_id, h, c, result, time.monotonic() - started))
    if session is not None:
        session.close()
    return stored


def warm_imports() -> None:
    """Import every client library before the workers start: two threads importing the same module for the first
    time can deadlock in Python's import lock (seen as _DeadlockError under load)."""
    import codecs  # noqa: F401
    import subprocess  # noqa: F401  # nosec B404  # imported early (import lock)

    import netmiko  # noqa: F401
    import paramiko  # noqa: F401
    import requests  # noqa: F401

    from ..transport import bmc, snmp  # noqa: F401


# Seconds a host of each transport usually keeps a worker (a device CLI waits a round trip per command, an SNMP
# agent answers in one datagram): started longest first, the slow hosts don't end up alone at the tail of the run.
TYPICAL_SECONDS = {"ssh-cli": 2.0, "ssh": 1.0, "https": 0.5, "snmp": 0.05}


def expected_seconds(h: Host, checks: list[Check]) -> float:
    """A rough cost for ordering the work: the host's transport, and its BMC when a check reads one."""
    try:
        base = TYPICAL_SECONDS.get(session_class(h).protocol, 1.0)
    except ConnectFailure:
        return 0.0  # fails at once
    return base + (1.5 if any("bmc_protocol" in c.requires for c in checks) else 0.0) + 0.01 * len(checks)


def run(hosts: list[Host], plan: dict[str, list[Check]], config: TransportConfig, run_id: str, emit: Emit,
        previous: dict, *, workers: int = 128, host_timeout: float = 120.0,
        progress: Callable[[Tally], None] | None = None,
        waive: Callable[[dict], dict] = lambda r: r, reports=None) -> tuple[Tally, dict]:
    """Inspect every host with a plan; returns the tally and the values to store, by host."""
    tally = Tally(hosts_total=sum(1 for h in hosts if plan.get(h.name)))
    values: dict[str, dict] = {}

    def counted(record: dict) -> None:
        record = waive(record)
        tally.add(record["status"])
        emit(record)

    def one(h: Host) -> None:
        stored = inspect_host(h, plan[h.name], config, run_id, host_timeout, previous.get(h.name, {}), counted,
                              reports)
        with tally.lock:
            values[h.name] = stored
            tally.hosts_done += 1
        if progress:
            progress(tally)

    warm_imports()
    todo = sorted((h for h in hosts if plan.get(h.name)), key=lambda h: -expected_seconds(h, plan[h.name]))
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(todo) or 1)), thread_name_prefix="inspect")
    try:
        for f in [pool.submit(one, h) for h in todo]:
            f.result()
    except BaseException:
        from ..transport.watchdog import WATCHDOG

        pool.shutdown(wait=False, cancel_futures=True)  # hosts not started are not started; the run ends incomplete
        WATCHDOG.cut_all()  # hosts under way end now (as past their time limit)
        raise
    pool.shutdown()
    return tally, values
