"""Oracle as each release in the estate is: 10g R2 (lot 24's archive database) keeps its alert log under
$ORACLE_BASE/admin/<db>/bdump, 11g and later under ADR's diag/ tree. ORA-ALERT-001 asks the database
(background_dump_dest) instead of looking in one tree: on the 10g host the old check found no alert log at all.
The lab's sqlplus shim is run here on the state the lab renders for each release, and the path it names holds
the alert log the lab wrote."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from cityops.drivers import oracle as ora
from cityops.lab.servers import oracle, shims


def sqlplus(tmp_path, host: dict, query: str, faults=None) -> tuple[str, dict[str, str]]:
    files = oracle.render(host, [host], faults or {}, dt.datetime(2026, 12, 1, 9, 0))
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    script = (shims.PRELUDE + shims.ORACLE_PRELUDE + shims.ORACLE_SHIMS["sqlplus"]).replace(
        "L=/run/cityops-lab", f"L={tmp_path}")
    answer = subprocess.run(["sh", "-c", script, "sqlplus"], input=f"{ora.SQL_PRELUDE}\n{query}\nexit\n",
                            capture_output=True, text=True, check=False)
    return answer.stdout, files


@pytest.mark.parametrize(("os_name", "tree"), [
    ("Oracle Linux 6.10 / Oracle Database 10g Release 2", "/opt/oracle/admin/"),
    ("Oracle Linux 7.9 / Oracle 11.2.0.4", "/opt/oracle/diag/rdbms/"),
])
def test_the_alert_log_is_where_the_release_writes_it(tmp_path, os_name, tree):
    host = {"name": "dag-zwy-db01", "os": os_name, "role": "oracle_db"}
    out, files = sqlplus(tmp_path, host, ora.SQL["alert_dir"], {"dag-zwy-db01": {"ora_errors": {}}})
    ((sid, directory),) = ora.rows(out, 2)
    assert directory.startswith(tree)
    alert = files[f"{directory.lstrip('/')}/alert_{sid}.log"]
    assert ora.alert_errors(alert.splitlines())  # the fault's ORA-00600 is in the file the check will read
    version = ora.rows(sqlplus(tmp_path, host, ora.SQL["instance"])[0], 5)[0][4]
    assert version.startswith("10.2" if "10g" in os_name else "11.2")
