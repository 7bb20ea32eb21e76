"""Records that cannot be trusted are never reported as genuine: run ids, hashes, the run register, torn lines,
markup in results, damaged evidence packs.

The runs here are written as the tool writes them (results.jsonl, then `record.seal`: manifest with every
file's sha256 and a line in the run register) from hand-made result records, so each test can break one thing.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cityops.errors import EXIT_BAD_INPUT, BadInput
from cityops.hashchain import HashChain
from cityops.inspect import record
from cityops.report import evidence
from cityops.report.build import make_report
from cityops.report.runs import ReportError, find_runs, parse_period
from cityops.timeutil import BEIJING

from .conftest import REPO, run_invoke

MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'
YAML_BREAK = '"\nsummary_title: 被改写\n# '


def result(host: str, check: str, status: str, text: str = "", **extra) -> dict:
    return {"run_id": "", "host": host, "check_id": check, "title": f"检查{check}{text}", "severity": "major",
            "status": status, "cause": "", "value": 91 if status != "pass" else 40, "unit": "%", "threshold": "≥85",
            "items": [], "message": f"使用率{text}", "evidence": [{"command": f"df -hP {text}", "exit_status": 0,
                                                                  "excerpt": text, "sha256": "0" * 64}],
            "remedy": f"清理{text}" if status != "pass" else "", "standard": "", "seconds": 0.1, "bureau": "gxj",
            "lots": ["6_10"], "subsystem": "6_10_servers", "site": "szcs", "zone": "gov_extranet",
            "device_class": "server", "platform": "linux", "address": f"127.99.0.1{text}",
            "display_name": f"服务器{text}", **extra}


def make_run(reports: Path, when: dt.datetime, rows: list[dict], *, seal: bool = True, inspector: str = "张工") -> Path:
    run_id = f"{when:%Y%m%dT%H%M%S}-daily-{len(list((reports / 'runs').glob('*'))) if (reports / 'runs').exists() else 0:04x}"
    run_dir = reports / "runs" / run_id
    run_dir.mkdir(parents=True)
    with (run_dir / "results.jsonl").open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({**r, "run_id": run_id}, ensure_ascii=False) + "\n")
    manifest = {"run_id": run_id, "started": when.isoformat(), "ended": (when + dt.timedelta(seconds=30)).isoformat(),
                "status": "complete", "cadence": "daily", "period_slot": f"{when:%Y-%m-%d} 上午", "inspector": inspector,
                "lots": ["6_10"], "bureaus": ["gxj"], "subsystems": ["6_10_servers"],
                "checks": sorted({r["check_id"] for r in rows}), "selection": {"lot": "6_10"},
                "counts": {s: sum(r["status"] == s for r in rows) for s in ("pass", "warn", "fail", "error")},
                "results": len(rows)}
    if seal:
        record.seal(run_dir, manifest)
    else:
        record.write_manifest(run_dir, manifest)
    return run_dir


NOV = dt.datetime(2026, 11, 10, 9, tzinfo=BEIJING)


@pytest.fixture
def reports(tmp_path) -> Path:
    return tmp_path / "reports"


def two_runs(reports: Path) -> tuple[Path, Path]:
    first = make_run(reports, NOV, [result("srv-a", "LNX-FS-001", "fail"), result("srv-b", "LNX-FS-001", "pass")])
    second = make_run(reports, NOV + dt.timedelta(days=1),
                      [result("srv-a", "LNX-FS-001", "fail"), result("srv-b", "LNX-FS-001", "pass")])
    return first, second


# -- 3. markup is data ----------------------------------------------------------------------------------------


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [name for name, _value in attrs if name.startswith("on")]


def test_markup_in_every_text_field_of_a_result_is_escaped_in_the_html_report(reports):
    rows = [result(f"srv-{i}", "LNX-FS-001", status, MARKUP) for i, status in enumerate(("fail", "warn", "error", "pass"))]
    rows += [result("srv-y", "LNX-FS-002", "fail", YAML_BREAK),
             result("srv-z", "LNX-FS-003", "warn", MARKUP, value=MARKUP, threshold=MARKUP, unit="<b>%</b>")]
    run = make_run(reports, NOV, rows, inspector=MARKUP)
    made = make_report(reports, None, run_ids=[run.name])
    html = made.html.read_text(encoding="utf-8")
    parser = Tags()
    parser.feed(html)
    assert "script" not in parser.tags and parser.handlers == []  # no markup from a device became an element
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html  # shown, as text
    assert "被改写" not in made.data.title and "一、巡检概况" in html  # a result cannot rewrite the wording


# -- 4. run ids, hashes and the register ------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["../../etc", "/etc", "a/../../b", "..", "x y", "run\n2"])
def test_a_run_id_is_a_name_never_a_path(reports, bad):
    with pytest.raises(BadInput, match="not a run name"):
        record.run_dir(reports / "runs", bad)


def test_report_and_manual_refuse_a_path_as_run_id_and_write_nothing_outside(reports, tmp_path, mini):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "manifest.json").write_text(json.dumps({"run_id": "x", "started": NOV.isoformat(), "status": "complete"}))
    form = tmp_path / "form.yml"
    form.write_text("inspector: 张工\ntime: '2026-11-24T09:30:00+08:00'\nitems:\n  - {check: MAN-ROOM-001, status: pass}\n")
    rel = "../../outside"
    out = run_invoke("report", "--run", rel, "--reports", str(reports))
    assert out.returncode == EXIT_BAD_INPUT and "not a run name" in out.stderr
    out = run_invoke("inspect.manual", "--run", rel, "--file", str(form), "--reports", str(reports),
                     "--inventory", str(mini))
    assert out.returncode == EXIT_BAD_INPUT and "not a run name" in out.stderr
    assert sorted(p.name for p in outside.iterdir()) == ["manifest.json"]


def test_a_result_edited_after_the_run_is_refused_by_name_and_left_out_of_the_month(reports):
    _first, second = two_runs(reports)
    path = second / "results.jsonl"
    path.write_text(path.read_text(encoding="utf-8").replace('"status": "fail"', '"status": "pass"'), encoding="utf-8")
    with pytest.raises(ReportError, match=rf"run {second.name}: results.jsonl 与清单记录的 SHA-256 不符"):
        find_runs(reports / "runs", run_ids=[second.name])
    made = make_report(reports, None, lot="6_10", period=parse_period("2026-11"))
    assert made.data.counts["fail"] == 1  # the first run's fail; the edited run contributes nothing
    html = made.html.read_text(encoding="utf-8")
    assert "校验失败（结果未采用）" in html and "results.jsonl 与清单记录的 SHA-256 不符" in html
    out = run_invoke("evidence.pack", "--lot", "6_10", "--period", "2026-11", "--reports", str(reports))
    assert out.returncode == EXIT_BAD_INPUT and second.name in out.stderr and "校验失败" in out.stderr
    assert not (reports / "evidence").exists() or not list((reports / "evidence").glob("lot*"))


def test_a_manifest_rewritten_with_its_results_no_longer_matches_the_register(reports):
    _first, second = two_runs(reports)
    path = second / "results.jsonl"
    path.write_text(path.read_text(encoding="utf-8").replace('"status": "fail"', '"status": "pass"'), encoding="utf-8")
    manifest = json.loads((second / "manifest.json").read_text(encoding="utf-8"))
    record.write_manifest(second, manifest)  # the forger re-hashes the files, but cannot re-register quietly
    (run,) = find_runs(reports / "runs", lot="6_10", period=parse_period("2026-11-11"))
    assert run.verify() == "tampered" and run.notes == ["manifest.json 与巡检登记簿不符（清单被改写）"]
    assert run.all_results() == []


def test_a_run_missing_from_the_register_is_marked_unverified(reports):
    run = make_run(reports, NOV, [result("srv-a", "LNX-FS-001", "fail")], seal=False)
    (found,) = find_runs(reports / "runs", run_ids=[run.name])
    assert found.verify() == "unverified" and "巡检登记簿中没有该次巡检" in found.label
    assert len(found.all_results()) == 1  # shown, but marked


def test_an_edited_register_line_is_named(reports):
    two_runs(reports)
    chain = HashChain(reports / record.REGISTER, "巡检登记簿")
    lines = chain.path.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("complete", "incomplete")
    chain.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert chain.read().problems == ["巡检登记簿第 2 行之前的记录被改动、删除或插入（哈希链断开）"]
    first, second = find_runs(reports / "runs", lot="6_10", period=parse_period("2026-11"))
    assert first.verify() == second.verify() == "unverified"  # neither the edited line nor any after it vouches
    assert second.notes == ["巡检登记簿第 2 行之前的记录被改动、删除或插入（哈希链断开）"]
    assert chain.read().trusted == 0


def test_a_torn_last_line_of_a_dead_run_is_reported_as_such(reports):
    run_dir = reports / "runs" / "20261110T090000-daily-dead"
    run_dir.mkdir(parents=True)
    lines = [json.dumps({**result("srv-a", "LNX-FS-001", "fail"), "run_id": run_dir.name}, ensure_ascii=False)] * 2
    (run_dir / "results.jsonl").write_text(lines[0] + "\n" + lines[1][:40], encoding="utf-8")
    (run_dir / "manifest.json").write_text(json.dumps({
        "run_id": run_dir.name, "started": NOV.isoformat(), "ended": None, "status": "running", "cadence": "daily",
        "period_slot": "2026-11-10 上午", "lots": ["6_10"], "bureaus": ["gxj"], "checks": ["LNX-FS-001"]}))
    (run_dir / ".lock").touch()  # the lock file is there, but no process holds it: the run died
    (run,) = find_runs(reports / "runs", lot="6_10", period=parse_period("2026-11"))
    assert run.verify() == "incomplete" and len(run.all_results()) == 1
    assert "results.jsonl 第 2 行不完整（进程被终止时写了一半），已略过" in run.notes
    made = make_report(reports, None, lot="6_10", period=parse_period("2026-11"))
    assert "未完成：进程已终止" in made.html.read_text(encoding="utf-8")


def test_a_live_run_is_told_from_a_dead_one_by_its_lock(reports):
    run_dir = reports / "runs" / "20261110T090000-daily-live"
    run_dir.mkdir(parents=True)
    lock = record.RunLock(run_dir)
    try:
        assert record.is_live(run_dir)
        with pytest.raises(BadInput, match="another cityops process is writing this run"):
            record.RunLock(run_dir)
    finally:
        lock.release()
    assert not record.is_live(run_dir)


# -- 8. damaged inputs are named, never a traceback ---------------------------------------------------------------


def test_manual_join_on_a_run_whose_manifest_is_not_json_is_one_line(reports, tmp_path, mini):
    run = make_run(reports, NOV, [result("srv-a", "LNX-FS-001", "pass")])
    (run / "manifest.json").write_text("{ not json", encoding="utf-8")
    form = tmp_path / "form.yml"
    form.write_text("inspector: 张工\ntime: '2026-11-24T09:30:00+08:00'\nitems:\n  - {check: MAN-ROOM-001, status: pass}\n")
    before = (run / "results.jsonl").read_bytes()
    out = run_invoke("inspect.manual", "--run", run.name, "--file", str(form), "--reports", str(reports),
                     "--inventory", str(mini))
    assert out.returncode == EXIT_BAD_INPUT and "manifest.json is not a run manifest" in out.stderr
    assert "Traceback" not in out.stderr and (run / "results.jsonl").read_bytes() == before


def test_manual_join_reseals_the_run(reports, tmp_path, mini):
    run = make_run(reports, NOV, [result("mini-rac01", "LNX-FS-001", "pass")])
    form = tmp_path / "form.yml"
    form.write_text("inspector: 张工\ntime: '2026-11-24T09:30:00+08:00'\nsite: szcs\n"
                    "items:\n  - {check: MAN-ROOM-001, status: warn, note: 空调滴水}\n")
    out = run_invoke("inspect.manual", "--run", run.name, "--file", str(form), "--reports", str(reports),
                     "--inventory", str(mini))
    assert out.returncode == 0, out.stderr
    (found,) = find_runs(reports / "runs", run_ids=[run.name])
    assert found.verify() == "complete" and len(found.all_results()) == 2


@pytest.fixture
def sealed_pack(reports):
    two_runs(reports)
    return evidence.pack(reports, None, "6_10", parse_period("2026-11"))


def rebuild(src: Path, out: Path, change) -> Path:
    """A copy of a pack with one member rewritten by `change(zipfile, info, data)`."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(out, "w") as w:
        for info in z.infolist():
            change(w, info, z.read(info))
    return out


def test_an_evidence_pack_with_an_encrypted_member_is_named_not_a_traceback(sealed_pack, reports, tmp_path):
    def encrypt_results(w, info, data):
        w.writestr(info, data)
        if info.filename.endswith("results.jsonl"):
            w.close()  # flag bit 0 (encrypted) set on that member in the central directory and the local header
    target = rebuild(sealed_pack.path, tmp_path / "evidence-enc.zip", lambda w, info, data: w.writestr(info, data))
    raw = bytearray(target.read_bytes())
    name = next(i.filename for i in zipfile.ZipFile(target).infolist() if i.filename.endswith("results.jsonl")).encode()
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        at = 0
        while (at := raw.find(sig, at)) != -1:
            name_at = at + (30 if sig == b"PK\x03\x04" else 46)
            if raw[name_at:name_at + len(name)] == name:
                flag_at = at + (6 if sig == b"PK\x03\x04" else 8)
                raw[flag_at] |= 0x1
            at += 4
    target.write_bytes(bytes(raw))
    verdict = evidence.verify(target, reports)
    assert not verdict.ok and any(p.startswith(name.decode() + ": 无法读取（加密成员") for p in verdict.problems)


def test_an_evidence_pack_with_an_unknown_compression_method_is_named(sealed_pack, reports, tmp_path):
    target = rebuild(sealed_pack.path, tmp_path / "evidence-method.zip", lambda w, info, data: w.writestr(info, data))
    raw = bytearray(target.read_bytes())
    for sig, off in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = 0
        while (at := raw.find(sig, at)) != -1:
            raw[at + off:at + off + 2] = (99).to_bytes(2, "little")  # method 99 (AES) for every member
            at += 4
    target.write_bytes(bytes(raw))
    out = run_invoke("evidence.verify", str(target), "--reports", str(reports))
    assert out.returncode == 1 and "Traceback" not in out.stderr + out.stdout
    assert "无法读取" in out.stdout and "MANIFEST.json" in out.stdout


def test_an_evidence_pack_with_a_broken_manifest_is_named(sealed_pack, reports, tmp_path):
    def break_manifest(w, info, data):
        w.writestr(info, b"{broken" if info.filename == evidence.MANIFEST else data)

    target = rebuild(sealed_pack.path, tmp_path / "evidence-lot6_10-2026-11.zip", break_manifest)
    verdict = evidence.verify(target, reports)
    assert "MANIFEST.json: 不是有效的清单（无法读取文件列表）" in verdict.problems
    (tmp_path / "alone").mkdir()
    verdict = evidence.verify(target, tmp_path / "alone")  # no register either: still a verdict, not a traceback
    assert not verdict.ok and "evidence-lot6_10-2026-11.zip: 登记簿中没有该证据包" in verdict.problems


def test_every_reader_of_a_run_goes_through_the_verification():
    """A reader that opens results.jsonl itself would skip the hashes: only the verified paths may."""
    allowed = {"cityops/report/runs.py", "cityops/inspect/record.py", "cityops/inspect/manual.py",
               "cityops/inspect/session.py", "cityops/report/evidence.py",  # evidence writes its staged copy
               "cityops/backup/run.py",  # writes its own run's records (a backup run is read back through runs.py)
               "cityops/zone/bundle.py"}  # reads a bundle's members only after each matched its run's manifest
    readers = {str(p.relative_to(REPO)) for p in (REPO / "cityops").rglob("*.py")
               if '"results.jsonl"' in p.read_text(encoding="utf-8")}
    assert readers <= allowed, readers - allowed


def test_findings_that_rest_on_a_modelled_reading_are_marked_in_the_report(reports):
    rows = [result("ips-1", "SEC-SIG-001", "fail", modelled=True), result("srv-a", "LNX-FS-001", "fail")]
    made = make_report(reports, None, run_ids=[make_run(reports, NOV, rows).name])
    html = made.html.read_text(encoding="utf-8")
    assert html.count("※</td>") == 1 and "※ 标注的结论所依据的读数来自建模接口" in html
    from docx import Document

    text = "\n".join(p.text for p in Document(made.docx).paragraphs)
    assert "※ 标注的结论所依据的读数来自建模接口" in text
    clean = make_report(reports, None, run_ids=[make_run(reports, NOV, rows[1:]).name])
    assert "建模接口" not in clean.html.read_text(encoding="utf-8")


def test_a_run_verified_once_is_verified_again_after_it_changes(reports):
    first, _second = two_runs(reports)
    (run,) = find_runs(reports / "runs", run_ids=[first.name])
    assert run.verify() == "complete"
    path = first / "results.jsonl"
    path.write_text(path.read_text(encoding="utf-8").replace('"status": "fail"', '"status": "pass"'), encoding="utf-8")
    with pytest.raises(ReportError, match=r"results\.jsonl 与清单记录的 SHA-256 不符"):
        find_runs(reports / "runs", run_ids=[first.name])  # the process's earlier verdict is not reused
