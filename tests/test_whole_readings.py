"""Readings are whole or they are errors: a BMC that answers part of its sensor list, a host cut at its time
limit, and every result carrying the evidence it was graded on (also when the answer came from the host's cache)."""

from __future__ import annotations

import pytest

from cityops.inspect.session import inspect

from .test_inspect import settle

BMC_CHECKS = {"BMC-FAN-001", "BMC-PSU-001", "BMC-TEMP-001"}
IPMI_HOST = "lab-linux-app"  # IPMI (IMM) BMC with 2 temperatures, 4 fans, 2 power supplies


def bmc_run(lab, reports) -> dict[str, dict]:
    inv, state = lab
    run = inspect(inv, [inv.hosts[IPMI_HOST]], cadence=None, selection={"host": IPMI_HOST}, reports=reports,
                  lab_dir=state.path, only=BMC_CHECKS)
    from cityops.report.runs import load_run

    return {r["check_id"]: r for r in load_run(reports / "runs", run.run_id).all_results()}


@pytest.mark.parametrize("mode", ["truncate", "unreadable"])
def test_a_bmc_answering_part_of_its_sensors_gives_error_never_pass(lab, lab_fault, tmp_path, mode):
    reports = tmp_path / "r"
    whole = bmc_run(lab, reports)  # a whole reading: 4 fans, 2 PSUs, 2 temperatures
    assert {c: r["status"] for c, r in whole.items()} == dict.fromkeys(BMC_CHECKS, "pass")
    lab_fault(IPMI_HOST, "sdr_partial", records="3", mode=mode)  # only Inlet Temp, CPU1 Temp and Fan 1 come back
    partial = bmc_run(lab, reports)
    fan, psu = partial["BMC-FAN-001"], partial["BMC-PSU-001"]
    assert fan["status"] == "error" and "read 1 of 4 fans" in fan["message"], fan["message"]
    assert psu["status"] == "error" and "no readable 'PS' sensor" in psu["message"], psu["message"]
    assert partial["BMC-TEMP-001"]["status"] == "pass"  # both temperatures were read: that reading is whole


def test_a_bmc_whose_sdr_walk_fails_is_an_error_even_on_the_first_run(lab, lab_fault, tmp_path):
    lab_fault(IPMI_HOST, "sdr_partial", records="3", mode="error")  # Get SDR of record 3 answers C3 (timeout)
    results = bmc_run(lab, tmp_path / "r")  # no earlier reading of this host to compare with
    assert {c: r["status"] for c, r in results.items()} == dict.fromkeys(BMC_CHECKS, "error")
    assert all("partial answer" in r["message"] for r in results.values()), [r["message"] for r in results.values()]


def test_the_three_bmc_checks_each_carry_the_one_sdr_reading_as_evidence(lab, tmp_path):
    results = bmc_run(lab, tmp_path / "r")
    shared = {(e["command"], e["sha256"]) for e in results["BMC-FAN-001"]["evidence"]}
    assert any(cmd == "sdr elist" for cmd, _ in shared)
    for r in results.values():
        assert {(e["command"], e["sha256"]) for e in r["evidence"]} == shared, r["check_id"]
        assert all(e["excerpt"] for e in r["evidence"])


def test_every_graded_result_of_a_whole_lab_run_carries_its_evidence(lab, tmp_path):
    inv, state = lab
    run = inspect(inv, list(inv.hosts.values()), cadence="daily", selection={"all": True}, reports=tmp_path / "r",
                  lab_dir=state.path)
    from cityops.report.runs import load_run

    results = load_run(tmp_path / "r" / "runs", run.run_id).all_results()
    graded = [r for r in results if r["status"] in ("pass", "warn", "fail")]
    assert len(graded) > 100
    bare = [f"{r['host']} {r['check_id']}" for r in graded
            if not r["evidence"] or not all(e["command"] and len(e["sha256"]) == 64 for e in r["evidence"])]
    assert bare == []


def test_a_host_cut_at_its_time_limit_is_a_timeout_not_garbage(lab, lab_fault, tmp_path):
    inv, state = lab
    lab_fault("lab-linux-app", "slow", seconds="20")
    settle(lab, "lab-linux-app")
    run = inspect(inv, [inv.hosts["lab-linux-app"]], cadence="daily", selection={"host": "lab-linux-app"},
                  reports=tmp_path / "r", lab_dir=state.path, host_timeout=4.0,
                  only={"LNX-FS-001", "LNX-MEM-001", "LNX-CPU-001"})
    from cityops.report.runs import load_run

    results = load_run(tmp_path / "r" / "runs", run.run_id).all_results()
    causes = {r["check_id"]: r["cause"] for r in results}
    assert causes and set(causes.values()) <= {"host_timeout", "read_timeout"}, causes
    assert all("设备应答无法解析" not in r["message"] for r in results)


def test_results_of_a_platform_read_through_a_modelled_interface_say_so(lab, tmp_path):
    inv, state = lab
    hosts = [h for h in inv.hosts.values() if str(h.get("platform")) in ("appliance_web", "topsec_tos", "linux")]
    run = inspect(inv, hosts, cadence="daily", selection={"host": "mixed"}, reports=tmp_path / "r", lab_dir=state.path)
    from cityops import platforms
    from cityops.report.runs import load_run

    results = load_run(tmp_path / "r" / "runs", run.run_id).all_results()
    by_platform = {(r["platform"], r["modelled"]) for r in results}
    assert {p for p, _m in by_platform} == {"appliance_web", "topsec_tos", "linux"}
    assert all(m == bool(platforms.get(p).modelled) for p, m in by_platform), by_platform


def test_a_redfish_controller_is_asked_for_each_resource_once(lab, tmp_path):
    """The three BMC checks of a Redfish host share one chassis list and one Thermal and one Power read per chassis:
    the audit log, which records every request sent, holds each once."""
    import json

    inv, state = lab
    host = "lab-linux-ora"  # Redfish (iDRAC-like) controller
    run = inspect(inv, [inv.hosts[host]], cadence=None, selection={"host": host}, reports=tmp_path / "r",
                  lab_dir=state.path, only=BMC_CHECKS)
    from cityops.report.runs import load_run

    results = load_run(tmp_path / "r" / "runs", run.run_id).all_results()
    assert {r["check_id"]: r["status"] for r in results} == dict.fromkeys(BMC_CHECKS, "pass")
    sent = [e["command"] for f in (tmp_path / "r" / "audit").glob("*.jsonl") for e in map(json.loads, f.open())
            if e["host"] == host and "redfish" in e["command"]]
    assert sent and len(sent) == len(set(sent)), sent  # no resource fetched twice
    assert sum(c.rstrip("/").endswith("/Chassis") for c in sent) == 1, sent
