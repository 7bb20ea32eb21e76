"""Plain pytest-testinfra mode for the check catalogue.

    CITYOPS_INVENTORY=inventory pytest checks/ --hosts=cityops://gxj-dzzw-core01,cityops://rsj-db01 \
        [--cadence daily] [--cityops-lab .cityops/lab] [--cityops-results out.jsonl]

`cityops://NAME` is an inventory host reached through cityops' connection layer
(guard, credentials, known_hosts, audit). Each check becomes a pytest test per
host: `pass`/`warn` pass, `fail` fails with the Chinese message, `error` errors
with its cause, a check that does not apply to the host (or to --cadence) is
skipped. --cityops-results writes the same result records as `invoke inspect`,
which runs these very functions with its own concurrent runner.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cityops.inspect import record
from cityops.inspect.runner import result_record, run_check
from cityops.inspect.session import transport_config
from cityops.inventory.model import load_inventory
from cityops.transport import testinfra_backend
from cityops.transport.audit import AuditLog
from cityops.transport.registry import open_session

testinfra_backend.register()
STATE: dict = {}


def pytest_addoption(parser):
    group = parser.getgroup("cityops")
    group.addoption("--cityops-inventory", default=os.environ.get("CITYOPS_INVENTORY", "inventory"))
    group.addoption("--cityops-lab", default=None, help="lab state directory (credentials, known_hosts, CA)")
    group.addoption("--cityops-results", default=None, help="write result records (JSON Lines) here")
    group.addoption("--cityops-reports", default="reports", help="where the audit log and trend store live")
    group.addoption("--cadence", default=None, help="only checks of this cadence")


def pytest_configure(config):
    inv = load_inventory(Path(config.getoption("--cityops-inventory")))
    reports = Path(config.getoption("--cityops-reports"))
    run_id = f"pytest-{time.strftime('%Y%m%dT%H%M%S')}"
    audit = AuditLog(reports / "audit" / f"{time.strftime('%Y-%m')}.jsonl", run_id)
    lab = config.getoption("--cityops-lab")
    tconf = transport_config(audit, Path(lab) if lab else None)
    sessions: dict = {}

    def session_for(name: str):
        if name not in inv.hosts:
            raise pytest.UsageError(f"cityops://{name}: no such host in {inv.root}")
        if name not in sessions:  # one session per host for the whole pytest run, as the runner does
            sessions[name] = open_session(inv.hosts[name], tconf)
        return sessions[name]

    testinfra_backend.CityopsBackend.session_factory = staticmethod(session_for)
    out = config.getoption("--cityops-results")
    STATE.update(inv=inv, run_id=run_id, sessions=sessions, previous=record.TrendStore(
        reports / "state" / "values.json").load(), results=record.ResultsFile(Path(out)) if out else None,
        cadence=config.getoption("--cadence"), reports=reports)


def pytest_unconfigure(config):
    for s in STATE.get("sessions", {}).values():
        s.close()
    if STATE.get("results"):
        STATE["results"].close()


@pytest.fixture
def ctx(request, host):
    """Marks the test as a catalogue check; the verdict is made in pytest_pyfunc_call below."""
    check = request.function.cityops_check
    h = STATE["inv"].hosts[host.backend.session.name]
    if not check.applies(h, STATE["cadence"]):
        pytest.skip(f"{check.id} 不适用于 {h.name}（{h.get('platform')}）")
    return check


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    check = pyfuncitem.funcargs.get("ctx")
    if check is None or not hasattr(check, "fn"):
        return None
    host = pyfuncitem.funcargs["host"]
    session = host.backend.session
    h = STATE["inv"].hosts[session.name]
    started = time.monotonic()
    result, _ctx = run_check(check, h, session, host, STATE["previous"].get(h.name, {}), reports=STATE["reports"])
    if STATE["results"]:
        STATE["results"].write(result_record(STATE["run_id"], h, check, result, time.monotonic() - started))
    if result.status == "skip":
        pytest.skip(result.message)
    if result.status == "fail":
        pytest.fail(result.message, pytrace=False)
    if result.status == "error":
        raise RuntimeError(f"[{result.cause}] {result.message}")
    return True  # the function ran inside run_check; pytest must not call it again
