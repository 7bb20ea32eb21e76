"""`invoke patch` against the lab: RHEL 6, Oracle Linux 7 and Kylin V10 hosts behind their zone's mirror, patched
through pyinfra (these hosts' Python 2.6, 2.7 and 3.7 cannot run ansible-core 2.19's modules), checked first,
windowed, rehearsed, batched, verified and recorded."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cityops.change.flow import PatchRequest, run
from cityops.hashchain import HashChain
from cityops.timeutil import BEIJING

from .conftest import lab_ssh, run_invoke, ssh_run

TARGETS = ("lab-linux-app", "lab-linux-ora", "lab-kylin")  # RHEL 6.9, Oracle Linux 7.9, Kylin V10


def tonight(hour: int) -> dt.datetime:
    """A moment of the coming night; the test lab's lot 6-10 may change daily 01:00-05:00."""
    return (dt.datetime.now(BEIJING) + dt.timedelta(days=1)).replace(hour=hour, minute=30, second=0, microsecond=0)


def sh(lab, name: str, cmd: str) -> str:
    client = lab_ssh(lab, name)
    try:
        return ssh_run(client, cmd)[1].strip()
    finally:
        client.close()


@pytest.fixture
def reports(reports_with_files_ledger):
    return reports_with_files_ledger


@pytest.fixture
def behind(lab, lab_fault):
    """The targets as first installed: every update of their mirror pending."""
    for name in TARGETS:
        lab_fault(name, "updates_pending")
    return lab_fault


def request(lab, reports, hosts=TARGETS, **kw) -> PatchRequest:
    inv, state = lab
    return PatchRequest([inv.hosts[h] for h in hosts], kw.pop("reason", "月度安全补丁（测试）"), reports=reports,
                        lab_dir=state.path, operator="测试", at=kw.pop("at", tonight(2)), boot_wait=kw.pop("boot_wait", 20),
                        **kw)


def test_check_mode_reports_what_would_change_and_changes_nothing(lab, behind, reports):
    before = {h: sh(lab, h, "rpm -qa | sort | md5sum") for h in TARGETS}
    out = run(lab[0], request(lab, reports))
    assert out.result == "rehearsed", out.lines
    plan = out.record["plan"]
    assert len(plan["lab-linux-app"]["updates"]) == 12 and len(plan["lab-linux-ora"]["updates"]) == 13
    assert "kernel.x86_64 2.6.32-754.35.1.el6 (updates)" in plan["lab-linux-app"]["updates"]
    assert any(u.startswith("openssl.x86_64 1:1.1.1f-15.ky10") for u in plan["lab-kylin"]["updates"])
    assert {h: sh(lab, h, "rpm -qa | sort | md5sum") for h in TARGETS} == before
    assert out.record["before"]["not_passing"] == [] and out.record["mode"] == "check"
    from docx import Document  # the 变更方案, written before anything changes

    plan_doc = reports / "changes" / out.change_id / out.record["plan_document"]["file"]
    text = "\n".join(p.text for p in Document(plan_doc).paragraphs)
    assert "变更方案" in text and "月度安全补丁（测试）" in text and "yum history undo" in text
    assert "2. 对目标主机执行变更前日常巡检，有异常的主机不予变更" in text  # the steps, as the template words them
    cells = [c.text for t in Document(plan_doc).tables for row in t.rows for c in row.cells]
    assert "lab-linux-app" in cells and "12 个" in cells and "pyinfra_yum" in cells
    steps = HashChain(reports / "changes" / "register.jsonl").read()
    assert not steps.problems and [e["step"] for e in steps.entries] == ["rehearsed"]
    audit = [json.loads(line) for line in next((reports / "audit").glob("*.jsonl")).read_text().splitlines()]
    sent = [a["command"] for a in audit if a["run_id"] == out.change_id]
    assert sum("yum check-update" in c for c in sent) == 3 and not any("update -y" in c or "-y update" in c for c in sent)


def test_applied_one_host_at_a_time_the_next_inspection_sees_the_new_versions(lab, behind, reports):
    out = run(lab[0], request(lab, reports, hosts=("lab-linux-app", "lab-kylin"), apply=True, reboot=True))
    assert out.result == "completed", out.lines
    assert [b["hosts"] for b in out.record["batches"]] == [["lab-linux-app"], ["lab-kylin"]]
    assert sh(lab, "lab-linux-app", "rpm -q openssl") == "openssl-1.0.1e-58.el6_10.x86_64"
    assert sh(lab, "lab-linux-app", "uname -r") == "2.6.32-754.35.1.el6.x86_64"  # rebooted into the new kernel
    assert sh(lab, "lab-kylin", "rpm -q sudo") == "sudo-1.9.2-7.ky10.x86_64"
    for batch in out.record["batches"]:
        assert batch["ok"] and batch["after"]["not_passing"] == [] and batch["applied"][0]["updated"]
    first = out.record["batches"][0]["applied"][0]
    assert first["rebooted"] and first["running_kernel"] == "2.6.32-754.35.1.el6.x86_64"
    rows = [json.loads(line) for line in (reports / "runs" / out.record["batches"][0]["after"]["run_id"]
                                          / "results.jsonl").read_text().splitlines()]
    patch_check = next(r for r in rows if r["check_id"] == "LNX-PATCH-002")
    assert patch_check["status"] == "pass" and patch_check["during_change"] == out.change_id
    steps = [e["step"] for e in HashChain(reports / "changes" / "register.jsonl").read().entries]
    assert steps == ["started", "batch 1", "batch 2", "completed"]
    assert not list((reports / "changes" / "active").glob("*.json"))  # no host left marked as under change


def test_a_node_that_does_not_come_back_stops_the_change_and_the_rest_stay_untouched(lab, behind, reports):
    behind("lab-linux-app", "no_boot")
    untouched = {h: sh(lab, h, "rpm -qa | sort | md5sum") for h in ("lab-linux-ora", "lab-kylin")}
    out = run(lab[0], request(lab, reports, apply=True, reboot=True, boot_wait=3))
    assert out.result == "stopped", out.lines
    assert out.record["untouched"] == ["lab-linux-ora", "lab-kylin"]
    assert "未恢复连接" in out.record["batches"][0]["applied"][0]["detail"]
    assert {h: sh(lab, h, "rpm -qa | sort | md5sum") for h in untouched} == untouched
    record = json.loads((reports / "changes" / out.change_id / "change.json").read_text())
    assert record["result"] == "stopped" and len(record["batches"]) == 1
    from cityops.report.build import make_report  # the host that did not come back: the change's, not a new fault

    made = make_report(reports, lab[0], run_ids=[record["batches"][0]["after"]["run_id"]])
    assert f"变更 {out.change_id} 实施期间发现" in made.html.read_text(encoding="utf-8")


def test_outside_the_window_refused_unless_forced_with_a_reason(lab, behind, reports):
    out = run(lab[0], request(lab, reports, hosts=("lab-kylin",), at=tonight(10)))
    assert out.result == "refused" and "不在变更窗口内" in out.record["refused_because"]
    assert "before" not in out.record  # refused before anything was sent
    forced = run(lab[0], request(lab, reports, hosts=("lab-kylin",), at=tonight(10), force_window="紧急漏洞修复，局方同意"))
    assert forced.result == "rehearsed" and forced.record["window"]["forced_because"] == "紧急漏洞修复，局方同意"


def test_a_target_already_failing_is_refused(lab, behind, reports):
    behind("lab-kylin", "disk_full", mount="/data", percent="98")
    out = run(lab[0], request(lab, reports, hosts=("lab-kylin",)))
    assert out.result == "refused" and "变更前巡检未通过：lab-kylin" in out.record["refused_because"]
    assert "plan" not in out.record


def test_a_host_without_a_route_of_this_command_is_named(lab, reports):
    out = run(lab[0], request(lab, reports, hosts=("lab-kylin", "lab-vrp-core")))
    assert out.result == "refused" and "lab-vrp-core（未在清单中登记 patch_route）" in out.record["refused_because"]


def test_the_aix_host_without_python_takes_its_interim_fixes_from_the_mirror(lab, behind, reports):
    """AIX 7.1 has no Python at all: pyinfra plans from `oslevel -s`, `emgr -l` and the mirror's SHA256SUMS for that
    level, puts each package over SFTP, previews and installs it with emgr under sudo, and the next listing shows
    it; a RHEL host of the same change goes its own way (yum) in the same record."""
    assert sh(lab, "lab-aix", "command -v python python2 python3 || echo none") == "none"
    assert sh(lab, "lab-aix", "emgr -l") == "There is no efix data on this system."
    rehearsed = run(lab[0], request(lab, reports, hosts=("lab-aix",)))
    assert rehearsed.result == "rehearsed", rehearsed.lines
    plan = rehearsed.record["plan"]["lab-aix"]
    assert plan["level"] == "7100-05-06" and [u.split()[0] for u in plan["updates"]] == [
        "IJ29229s6a", "IJ30301s6a", "IJ31368s6a"]
    assert sh(lab, "lab-aix", "emgr -l") == "There is no efix data on this system."  # check mode changed nothing
    out = run(lab[0], request(lab, reports, hosts=("lab-aix", "lab-linux-app"), apply=True))
    assert out.result == "completed", "\n".join(out.lines)
    aix = out.record["batches"][0]["applied"][0]
    assert aix["updated"] == ["IJ29229s6a", "IJ30301s6a", "IJ31368s6a"] and aix["reboot_required"] == ["IJ31368s6a"]
    listing = sh(lab, "lab-aix", "emgr -l")
    from cityops.parsers.aix import efixes

    assert {f.label: f.state for f in efixes(listing)} == {"IJ29229s6a": "S", "IJ30301s6a": "S", "IJ31368s6a": "Q"}
    assert "shutdown: 0481-058" in sh(lab, "lab-aix", "shutdown -Fr 2>&1")  # root's only, as on AIX
    client = lab_ssh(lab, "lab-aix")  # the window's reboot puts the kernel fix in place
    ssh_run(client, "sudo shutdown -Fr")
    client.close()
    import time

    time.sleep(3)
    assert {f.label: f.state for f in efixes(sh(lab, "lab-aix", "emgr -l"))}["IJ31368s6a"] == "S"
    assert sh(lab, "lab-aix", "ls /tmp/cityops-ifix") == ""  # the staged packages are gone
    assert out.record["batches"][1]["applied"][0]["updated"]  # the RHEL host, by yum, in the same change
    sent = [json.loads(line)["command"] for line in (reports / "audit").glob("*.jsonl").__next__().read_text()
            .splitlines() if '"lab-aix"' in line]
    assert "sudo emgr -X -e /tmp/cityops-ifix/IJ31368s6a.201119.epkg.Z" in sent
    again = run(lab[0], request(lab, reports, hosts=("lab-aix",)))
    assert again.record["plan"]["lab-aix"]["updates"] == []  # the next plan finds nothing left


def test_with_reboot_the_aix_host_restarts_and_its_kernel_fix_comes_back_stable(lab, behind, reports):
    behind("lab-aix", "updates_pending")
    out = run(lab[0], request(lab, reports, hosts=("lab-aix",), apply=True, reboot=True))
    assert out.result == "completed", "\n".join(out.lines)
    aix = out.record["batches"][0]["applied"][0]
    assert aix["rebooted"] is True and aix["reboot_required"] == [] and "IJ31368s6a 已生效" in aix["detail"]
    from cityops.parsers.aix import efixes

    assert {f.state for f in efixes(sh(lab, "lab-aix", "emgr -l"))} == {"S"}
    sent = [json.loads(line)["command"] for path in (reports / "audit").glob("*.jsonl")
            for line in path.read_text().splitlines() if '"lab-aix"' in line]
    assert "sudo shutdown -Fr" in sent


def test_the_command_line(lab, behind, reports, tmp_path):
    _inv, state = lab
    common = ["patch", "--inventory", str(lab[0].root), "--lab", str(state.path), "--reports", str(reports),
              "--host", "lab-kylin"]
    r = run_invoke(*common)
    assert r.returncode == 4 and "--reason is required" in r.stderr
    r = run_invoke(*common, "--reason", "测试", "--force-window", "测试窗口外检查")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "lab-kylin: 9 个更新待安装" in r.stdout and "检查模式，未改动任何主机" in r.stdout


def test_change_records_go_into_the_lots_evidence_pack_and_an_edited_one_is_refused(lab, reports):
    import zipfile

    from cityops.report.evidence import pack
    from cityops.report.runs import ReportError, parse_period

    inv = lab[0]
    out = run(inv, request(lab, reports, hosts=("lab-kylin",)))  # a rehearsal: the record of a change all the same
    assert out.result == "rehearsed"
    period = parse_period(dt.datetime.now(BEIJING).strftime("%Y-%m"))
    sealed = pack(reports, inv, "6_10", period)
    name = f"changes/{out.change_id}/change.json"
    with zipfile.ZipFile(sealed.path) as z:
        assert json.loads(z.read(name))["targets"] == ["lab-kylin"]
        assert f"changes/{out.change_id}/变更方案.docx" in z.namelist()
    assert name in sealed.files
    record = reports / "changes" / out.change_id / "change.json"
    record.write_text(record.read_text().replace("lab-kylin", "lab-linux-app"))
    with pytest.raises(ReportError, match=f"变更记录 {out.change_id} 与登记簿最后一步不符"):
        pack(reports, inv, "6_10", period)


def test_a_host_under_another_change_is_not_taken_and_a_dead_changes_marker_holds_nothing(lab, reports):
    import os
    import subprocess

    active = reports / "changes" / "active"
    active.mkdir(parents=True)
    (active / "CHG-other.json").write_text(json.dumps({"change_id": "CHG-other", "hosts": ["lab-kylin"],
                                                       "pid": os.getpid()}))
    out = run(lab[0], request(lab, reports, hosts=("lab-kylin",), apply=True))
    assert out.result == "refused" and "lab-kylin（CHG-other）" in out.record["refused_because"]
    gone = subprocess.Popen(["true"])
    gone.wait()
    (active / "CHG-other.json").write_text(json.dumps({"change_id": "CHG-other", "hosts": ["lab-kylin"],
                                                       "pid": gone.pid}))
    out = run(lab[0], request(lab, reports, hosts=("lab-kylin",), apply=True))
    assert out.result == "completed", out.lines  # nothing pending on a patched host: a change with nothing to do
    assert out.record["batches"][0]["applied"][0]["detail"] == "无待安装更新"


def test_security_only_plans_the_advisories_marked_security(lab, behind, reports):
    out = run(lab[0], request(lab, reports, hosts=("lab-linux-app",), security=True))
    assert out.result == "rehearsed", out.lines
    planned = {u.split()[0] for u in out.record["plan"]["lab-linux-app"]["updates"]}
    assert {"kernel.x86_64", "openssl.x86_64", "sudo.x86_64"} <= planned
    assert not planned & {"tzdata.noarch", "rpm.x86_64"}  # an enhancement and a bug fix: not security updates


@pytest.mark.parametrize(("at", "open_"), [
    ("2026-12-05T21:59", False), ("2026-12-05T22:00", True),  # Saturday evening
    ("2026-12-06T05:59", True), ("2026-12-06T06:00", False),  # past midnight, on Sunday
    ("2026-12-06T23:00", False), ("2026-12-02T03:00", False),  # Sunday night, a Wednesday
])
def test_a_window_past_midnight_is_open_from_its_start_day_into_the_next(at, open_):
    from cityops.change.windows import parse

    window = parse("sat 22:00-06:00", "test")
    assert window.open_at(dt.datetime.fromisoformat(at).replace(tzinfo=BEIJING)) is open_
    assert parse("daily 00:00-24:00", "test").open_at(dt.datetime.fromisoformat(at).replace(tzinfo=BEIJING))


OPATCH = "/opt/oracle/product/11.2.0/dbhome_1/OPatch/opatch"
PSU = "35574075"  # the October 2023 Database PSU of 11.2.0.4, staged on the lab RAC's nodes


@pytest.fixture
def rac_as_installed(lab):
    """The lab RAC as installed: every instance running, each home at its October 2020 PSUs; put back after."""
    from cityops.lab.servers.hosts import shared_dir

    path = shared_dir(lab[1], {"cluster": "lab_rac"}) / ".cityops-rac.json"
    path.unlink(missing_ok=True)
    yield path
    path.unlink(missing_ok=True)


def test_the_rac_is_patched_one_node_at_a_time_by_its_playbook(lab, reports, rac_as_installed):
    """The RAC nodes' Python 2.6 runs no ansible module: the playbook's raw tasks stop each node's instance, apply
    the staged PSU to its home with OPatch (-local), start it and wait until every instance runs, one node per
    batch, with cityops' inspection between them."""
    rehearsed = run(lab[0], request(lab, reports, hosts=("lab-rac1", "lab-rac2")))
    assert rehearsed.result == "rehearsed", "\n".join(rehearsed.lines)
    assert rehearsed.record["plan"]["lab-rac1"]["updates"] == [
        f"{PSU} Database Patch Set Update : 11.2.0.4.231017 ({PSU})"]
    assert not sh(lab, "lab-rac1", f"{OPATCH} lspatches").startswith(f"{PSU};")  # check mode changed nothing
    out = run(lab[0], request(lab, reports, hosts=("lab-rac1", "lab-rac2"), apply=True))
    assert out.result == "completed", "\n".join(out.lines)
    assert [b["hosts"] for b in out.record["batches"]] == [["lab-rac1"], ["lab-rac2"]]
    first = out.record["batches"][0]["applied"][0]
    assert first["updated"] == [PSU] and "Apply the patch to this node's home only (rolling)" in first["tasks"]
    # a database change takes a database backup first (lot 6-3): the RAC's level 0, verified, once for the cluster
    assert rehearsed.record["plan"]["lab-rac1"]["db_backup_job"] == "cluster_lab_rac/level0"
    assert first["db_backup"]["job"] == "cluster_lab_rac/level0" and first["db_backup"]["status"] == "verified"
    assert "db_backup" not in out.record["batches"][1]["applied"][0]
    from cityops.backup.ledger import runs

    assert [r.id for r in runs(reports)[0] if r.job == "level0" and r.status == "verified"] == [first["db_backup"]["run"]]
    for node in ("lab-rac1", "lab-rac2"):
        assert sh(lab, node, f"{OPATCH} lspatches").splitlines()[0].startswith(f"{PSU};Database Patch Set Update")
    assert "is not running" not in sh(lab, "lab-rac2", "srvctl status database -d labdb")
    sent = [json.loads(line)["command"] for path in (reports / "audit").glob("*.jsonl")
            for line in path.read_text().splitlines() if '"lab-rac1"' in line]
    assert "oracle_rac_rolling_patch.yml: Stop this node's instance" in sent
    again = run(lab[0], request(lab, reports, hosts=("lab-rac1", "lab-rac2")))
    assert all(p["updates"] == [] for p in again.record["plan"].values())  # nothing left to apply


def test_the_rolling_patch_stops_at_the_first_node_that_fails_and_leaves_the_next_untouched(
        lab, lab_fault, reports, rac_as_installed):
    """Node 1's instance does not start on the patched home: the playbook's rescue tries once more and stops, the
    batch's inspection finds the instance down, the change stops — node 2 keeps its home and its instance."""
    lab_fault("lab-rac1", "patch_breaks_start")
    out = run(lab[0], request(lab, reports, hosts=("lab-rac1", "lab-rac2"), apply=True))
    assert out.result == "stopped", "\n".join(out.lines)
    batch = out.record["batches"][0]
    assert batch["hosts"] == ["lab-rac1"] and not batch["ok"]
    assert "Start this node's instance" in batch["applied"][0]["detail"] and "PRCR-1013" in batch["applied"][0]["detail"]
    assert any(h == "lab-rac1" for h, _c, _s, _m in batch["after"]["not_passing"])  # the instance is down
    assert out.record["untouched"] == ["lab-rac2"]
    assert not sh(lab, "lab-rac2", f"{OPATCH} lspatches").startswith(f"{PSU};")
    assert "Instance labdb2 is running on node lab-rac2" in sh(lab, "lab-rac2", "srvctl status database -d labdb")


GDR, GDR_LEVEL, SP4 = "KB5021123", "11.0.7512.11", "11.0.7001.0"  # SQL Server 2012 SP4 and its February 2023 GDR
LEVEL = ("powershell -NoProfile -NonInteractive -Command \"(Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\"
         "Microsoft SQL Server\\MSSQL11.MSSQLSERVER\\Setup').PatchLevel\"")
GROUPS = "powershell -NoProfile -NonInteractive -Command \"Get-ClusterGroup\""
NODES = "powershell -NoProfile -NonInteractive -Command \"Get-ClusterNode\""
BOOTED = "powershell -NoProfile -NonInteractive -Command \"(Get-WmiObject Win32_OperatingSystem).LastBootUpTime\""


@pytest.fixture
def sql_as_installed(lab):
    """The lab SQL Server cluster as installed: both nodes up at SQL Server 2012 SP4, node A running the role."""
    from cityops.lab.servers.hosts import shared_dir

    path = shared_dir(lab[1], {"cluster": "lab_sql"}, "sqldata") / ".cityops-wsfc.json"
    path.unlink(missing_ok=True)
    yield path
    path.unlink(missing_ok=True)


def test_the_sql_server_cluster_is_patched_passive_node_first_drained_restarted_and_failed_back(
        lab, reports, sql_as_installed):
    """Windows 2012 R2 runs no current Windows module: the playbook's raw command lines drain each node, run the
    staged GDR installer, restart the node, wait until the cluster has it back, resume it and fail its role back —
    the node that does not run the SQL Server role first, so the instance moves once, onto a patched node."""
    booted = {n: sh(lab, n, BOOTED) for n in ("lab-sqla", "lab-sqlb")}
    rehearsed = run(lab[0], request(lab, reports, hosts=("lab-sqla", "lab-sqlb")))
    assert rehearsed.result == "rehearsed", "\n".join(rehearsed.lines)
    assert rehearsed.record["order"] == ["lab-sqlb", "lab-sqla"]  # the role's node last
    assert rehearsed.record["plan"]["lab-sqla"]["runs_role"] is True
    assert rehearsed.record["plan"]["lab-sqlb"]["updates"] == [
        f"{GDR} SQL Server 2012 SP4 GDR 安全更新（2023 年 2 月）（{SP4} → {GDR_LEVEL}）"]
    assert sh(lab, "lab-sqlb", LEVEL) == SP4  # check mode changed nothing
    from docx import Document  # the 变更方案 words this route's steps, the backup first and the order

    plan_doc = reports / "changes" / rehearsed.change_id / rehearsed.record["plan_document"]["file"]
    text = "\n".join(p.text for p in Document(plan_doc).paragraphs)
    assert "全量数据库备份（cluster_lab_sql/full）" in text and "逐节点排空角色、安装更新、重启" in text
    assert "实施顺序：lab-sqlb → lab-sqla" in text and "“程序和功能 - 查看已安装的更新”卸载" in text
    out = run(lab[0], request(lab, reports, hosts=("lab-sqla", "lab-sqlb"), apply=True))
    assert out.result == "completed", "\n".join(out.lines)
    assert [b["hosts"] for b in out.record["batches"]] == [["lab-sqlb"], ["lab-sqla"]]
    first = out.record["batches"][0]["applied"][0]
    assert first["updated"] == [GDR] and "Drain this node (its roles move to another node, it is paused)" in first["tasks"]
    assert first["db_backup"]["job"] == "cluster_lab_sql/full" and first["db_backup"]["status"] == "verified"
    for node in ("lab-sqla", "lab-sqlb"):
        assert sh(lab, node, LEVEL) == GDR_LEVEL
        assert sh(lab, node, BOOTED) != booted[node]  # each node restarted
    assert sh(lab, "lab-sqlb", GROUPS).splitlines()[0] == "SQL Server (MSSQLSERVER)|lab-sqla|Online"  # failed back
    assert sorted(sh(lab, "lab-sqlb", NODES).splitlines()) == ["lab-sqla|Up", "lab-sqlb|Up"]
    sent = [json.loads(line)["command"] for path in (reports / "audit").glob("*.jsonl")
            for line in path.read_text().splitlines() if '"lab-sqla"' in line]
    assert "sqlserver_rolling_patch.yml: Resume this node and fail back its roles" in sent
    again = run(lab[0], request(lab, reports, hosts=("lab-sqla", "lab-sqlb")))
    assert all(p["updates"] == [] for p in again.record["plan"].values())  # nothing left to apply


def test_the_sql_server_rolling_patch_stops_when_a_node_does_not_come_back(lab, lab_fault, reports, sql_as_installed):
    """Node B does not boot again after its update: the playbook's wait ends at the cluster's reboot timeout, the
    change stops, node A keeps its level and runs the role; the cluster shows B down."""
    lab_fault("lab-sqlb", "no_boot")
    out = run(lab[0], request(lab, reports, hosts=("lab-sqla", "lab-sqlb"), apply=True))
    assert out.result == "stopped", "\n".join(out.lines)
    batch = out.record["batches"][0]
    assert batch["hosts"] == ["lab-sqlb"] and not batch["ok"]
    assert "节点重启后未恢复连接" in batch["applied"][0]["detail"]
    assert "Wait for this node to come back" in batch["applied"][0]["detail"]
    assert out.record["untouched"] == ["lab-sqla"]
    assert sh(lab, "lab-sqla", LEVEL) == SP4
    assert sh(lab, "lab-sqla", GROUPS).splitlines()[0] == "SQL Server (MSSQLSERVER)|lab-sqla|Online"
    assert "lab-sqlb|Down" in sh(lab, "lab-sqla", NODES).splitlines()


def test_a_database_change_whose_backup_fails_changes_nothing(lab, lab_fault, reports, rac_as_installed):
    """The backup server's disk is full: the RAC's level 0 before the patch fails its verification, the first node
    is refused before any step of the playbook, and the change stops with both homes as they were."""
    lab_fault("lab-rac1", "backup_disk_full")
    out = run(lab[0], request(lab, reports, hosts=("lab-rac1", "lab-rac2"), apply=True))
    assert out.result == "stopped", "\n".join(out.lines)
    first = out.record["batches"][0]["applied"][0]
    assert not first["ok"] and first["detail"].startswith("变更前数据库备份 cluster_lab_rac/level0 未通过校验，未做任何变更")
    assert "tasks" not in first  # the playbook never ran
    assert out.record["untouched"] == ["lab-rac2"]
    for node in ("lab-rac1", "lab-rac2"):
        assert not sh(lab, node, f"{OPATCH} lspatches").startswith(f"{PSU};")


U3, P09 = "13932383", "20502893"  # ESXi 6.5 Update 3 and its patch ESXi650-202210001
P09_PROFILE = "ESXi-6.5.0-20221004001-standard"


@pytest.fixture
def esx_as_installed(lab):
    """The lab ESXi host as installed (6.5 U3, out of maintenance mode); put back after."""
    from cityops.lab.servers.hosts import host_dir

    path = host_dir(lab[1], "lab-esx") / "run" / "esxi-sw" / "software.json"
    path.unlink(missing_ok=True)
    yield path
    path.unlink(missing_ok=True)


def test_the_esxi_host_takes_its_image_profile_in_maintenance_mode_and_restarts_into_the_new_build(
        lab, reports, esx_as_installed):
    """No Python for cityops on ESXi: pyinfra's shell runs esxcli — maintenance mode, the profile from the bundle
    staged on the datastore, a reboot, the new build, maintenance mode off."""
    rehearsed = run(lab[0], request(lab, reports, hosts=("lab-esx",)))
    assert rehearsed.result == "rehearsed", "\n".join(rehearsed.lines)
    assert rehearsed.record["plan"]["lab-esx"]["updates"] == [f"{P09_PROFILE}（build {U3} → {P09}）"]
    assert sh(lab, "lab-esx", "vmware -v") == f"VMware ESXi 6.5.0 build-{U3}"  # check mode changed nothing
    out = run(lab[0], request(lab, reports, hosts=("lab-esx",), apply=True))
    assert out.result == "completed", "\n".join(out.lines)
    assert sh(lab, "lab-esx", "vmware -v") == f"VMware ESXi 6.5.0 build-{P09}"
    assert sh(lab, "lab-esx", "esxcli software profile get").splitlines()[0] == P09_PROFILE
    assert sh(lab, "lab-esx", "esxcli system maintenanceMode get") == "Disabled"
    sent = [json.loads(line)["command"] for path in (reports / "audit").glob("*.jsonl")
            for line in path.read_text().splitlines() if '"lab-esx"' in line]
    assert sent.index("esxcli system maintenanceMode set --enable true") < sent.index(
        f"esxcli software profile update -d /vmfs/volumes/datastore1/patches/ESXi650-202210001.zip -p {P09_PROFILE}")
    assert any(c.startswith("esxcli system shutdown reboot -r") for c in sent)
    again = run(lab[0], request(lab, reports, hosts=("lab-esx",)))
    assert again.record["plan"]["lab-esx"]["updates"] == []


def test_an_esxi_update_without_maintenance_mode_is_refused_by_the_host(lab, esx_as_installed):
    """The lab host answers as ESXi does: the profile update needs maintenance mode, and takes effect at boot."""
    update = f"esxcli software profile update -d /vmfs/volumes/datastore1/patches/ESXi650-202210001.zip -p {P09_PROFILE}"
    assert "[MaintenanceModeError]" in sh(lab, "lab-esx", update)
    sh(lab, "lab-esx", "esxcli system maintenanceMode set --enable true")
    assert "Reboot Required: true" in sh(lab, "lab-esx", update)
    assert sh(lab, "lab-esx", "vmware -v") == f"VMware ESXi 6.5.0 build-{U3}"  # until it boots


def test_an_esxi_host_that_does_not_come_back_stops_the_change_named_in_maintenance_mode(
        lab, lab_fault, reports, esx_as_installed):
    lab_fault("lab-esx", "no_boot")
    out = run(lab[0], request(lab, reports, hosts=("lab-esx",), apply=True, boot_wait=4))
    assert out.result == "stopped", "\n".join(out.lines)
    applied = out.record["batches"][0]["applied"][0]
    assert applied["detail"] == "重启后 4 秒内未恢复连接，主机仍在维护模式" and applied["maintenance"] is True
    assert "ESXi 可在启动时按 Shift+R 回到上一映像" in out.record["rollback"]


HOTFIX_IDS = "powershell -NoProfile -NonInteractive -Command \"Get-HotFix | ForEach-Object { $_.HotFixID }\""


@pytest.fixture
def wsus_as_installed(lab):
    """The zone's WSUS as set up: its clients registered, nothing approved or installed through it; put back after."""
    from cityops.lab.servers.hosts import zone_wsus

    path = zone_wsus(lab[1], {"zone": "gov_extranet"}) / "state.json"
    saved = path.read_text()
    fresh = {**json.loads(saved), "approved": {}, "installed": {}}
    path.write_text(json.dumps(fresh))
    yield path
    path.write_text(json.dumps(fresh))


def test_a_windows_server_takes_its_updates_approved_on_wsus_installed_as_system_and_is_restarted(
        lab, reports, wsus_as_installed):
    """Windows 2012 R2 outside a cluster: the plan is what the zone's WSUS says the host still needs; applying
    approves those updates for its computer group, runs the install as SYSTEM through a scheduled task (the update
    agent refuses a remote logon), restarts the host as the agent asks and finds the rollup in Get-HotFix."""
    rehearsed = run(lab[0], request(lab, reports, hosts=("lab-wsus",)))
    assert rehearsed.result == "rehearsed", "\n".join(rehearsed.lines)
    plan = rehearsed.record["plan"]["lab-wsus"]
    assert [u.split()[0] for u in plan["updates"]] == ["KB5031419", "KB890830"] and plan["wsus_server"] == "lab-wsus"
    assert json.loads(wsus_as_installed.read_text())["approved"] == {}  # check mode approved nothing
    out = run(lab[0], request(lab, reports, hosts=("lab-wsus",), apply=True))
    assert out.result == "completed", "\n".join(out.lines)
    applied = out.record["batches"][0]["applied"][0]
    assert applied["updated"] == ["KB5031419", "KB890830"] and applied["rebooted"] is True
    assert json.loads(wsus_as_installed.read_text())["approved"] == {"5031419": ["All Computers"],
                                                                     "890830": ["All Computers"]}
    assert "KB5031419" in [row.split("|")[0] for row in sh(lab, "lab-wsus", HOTFIX_IDS).splitlines()]
    sent = [json.loads(line)["command"] for path in (reports / "audit").glob("*.jsonl")
            for line in path.read_text().splitlines() if '"lab-wsus"' in line]
    assert any("Approve-WsusUpdate -Action Install -TargetGroupName 'All Computers'" in c for c in sent)
    assert "schtasks /Run /TN cityops-wu" in sent and any(c.startswith("shutdown /r /t 5") for c in sent)
    again = run(lab[0], request(lab, reports, hosts=("lab-wsus",)))
    assert again.record["plan"]["lab-wsus"]["updates"] == []


def test_the_wsus_server_rows_are_read_whole_or_refused():
    from cityops.change.wsus_route import client_updates

    assert client_updates("5031419|2023-10 Rollup (KB5031419)|NotInstalled|NotApproved\r\n") == [
        ("5031419", "2023-10 Rollup (KB5031419)", "NotInstalled", "NotApproved")]
    with pytest.raises(ValueError, match="第 2 行"):
        client_updates("5031419|Rollup|NotInstalled|Install\nException calling GetComputerTargetByName\n")
