"""`invoke report` and evidence packs, from real runs of the test lab with injected faults, read back as files."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from html.parser import HTMLParser

import pytest

from cityops.inspect import record
from cityops.inspect.session import inspect, period_slot
from cityops.report import evidence
from cityops.report.build import make_report
from cityops.report.charts import all_charts
from cityops.report.runs import ReportError, parse_period
from cityops.timeutil import BEIJING, now

from .test_inspect import settle

HOSTS = ["lab-vrp-core", "lab-linux-app", "lab-h3c-fl", "lab-rac1"]


@pytest.fixture(scope="module")
def runs(lab, tmp_path_factory):
    """Two runs of the lab's lot 6_10 hosts: the first with three faults, the second with one of them cleared."""
    from cityops.lab import control

    inv, state = lab
    reports = tmp_path_factory.mktemp("reports")
    chosen = [inv.hosts[h] for h in HOSTS]
    control.set_fault(state, inv, "lab-vrp-core", "fan_failed")
    control.set_fault(state, inv, "lab-linux-app", "disk_full")
    control.set_fault(state, inv, "lab-h3c-fl", "unreachable")
    try:
        settle(lab, "lab-vrp-core")
        first = inspect(inv, chosen, cadence="daily", selection={"host": ",".join(HOSTS)}, reports=reports,
                        lab_dir=state.path)
        control.set_fault(state, inv, "lab-linux-app", "", clear=True)
        second = inspect(inv, chosen, cadence="daily", selection={"host": ",".join(HOSTS)}, reports=reports,
                         lab_dir=state.path)
    finally:
        for h in ("lab-vrp-core", "lab-linux-app", "lab-h3c-fl"):
            control.set_fault(state, inv, h, "", clear=True)
    return inv, reports, first, second


def results_of(run_dir):
    return [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]


class Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.urls = [], []

    def handle_data(self, data):
        self.text.append(data)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("data:"):
                self.urls.append(value)


def test_reports_carry_every_finding_and_counts_add_up(runs):
    inv, reports, first, _second = runs
    made = make_report(reports, inv, run_ids=[first.run_id])
    rows = results_of(first.run_dir)
    bad = [r for r in rows if r["status"] in ("warn", "fail", "error")]
    assert {r["host"] for r in bad} >= {"lab-vrp-core", "lab-linux-app", "lab-h3c-fl"}
    c = made.data.counts
    assert sum(c[s] for s in ("pass", "warn", "fail", "error", "waived", "skip")) == len(rows) == made.data.results

    # HTML: self-contained, every finding with host, check, value and advice
    page = Text()
    page.feed(made.html.read_text(encoding="utf-8"))
    text = "".join(page.text)
    assert page.urls == [] and "http://" not in made.html.read_text() and "https://" not in made.html.read_text()
    assert "data:image/png;base64," in made.html.read_text()
    for r in bad:  # an unreachable device is one row naming every check and the cause once
        shown = r["message"] if r["status"] != "error" else r["message"].split("：", 1)[1]
        assert r["host"] in text and r["check_id"] in text and shown in text
        if r.get("remedy"):
            assert r["remedy"] in text
    assert f"异常 {c['fail']} 项" in text and f"无法巡检 {c['error']} 项" in text

    # XLSX: summary adds up, one row per result, filters and Chinese headers
    from openpyxl import load_workbook

    wb = load_workbook(made.xlsx, read_only=True)
    detail = list(wb["巡检明细"].iter_rows(values_only=True))
    assert detail[0][:4] == ("巡检编号", "设备", "设备名称", "分系统") and len(detail) - 1 == len(rows)
    assert load_workbook(made.xlsx)["巡检明细"].auto_filter.ref == f"A1:M{len(rows) + 1}"
    for r in bad:  # the row carries the measured value as a number, and the advice
        row = next(x for x in detail if x[1] == r["host"] and x[4] == r["check_id"])
        assert row[9] == r["message"] and (row[10] or "") == (r.get("remedy") or "")
        if isinstance(r.get("value"), (int, float)):
            assert row[7] == r["value"]
    hosts = {row[0]: row for row in list(wb["设备清单"].iter_rows(values_only=True))[1:]}
    assert set(hosts) == {r["host"] for r in rows} and hosts["lab-vrp-core"][2] == inv.hosts["lab-vrp-core"].get("ansible_host")
    checks = {row[0]: row for row in list(wb["检查项"].iter_rows(values_only=True))[1:]}
    assert set(checks) == {r["check_id"] for r in rows}
    total = next(row for row in wb["汇总"].iter_rows(values_only=True) if row and row[0] == "合计")
    assert total[-1] == len(rows) and total[3] == c["fail"]
    listed = list(wb["问题清单"].iter_rows(values_only=True))[1:]
    assert len(listed) == len(made.data.findings) == len(bad)
    for r in bad:
        assert any(row[3] == r["host"] and str(row[5]).startswith(r["check_id"]) and row[8] == r["message"]
                   for row in listed)

    # DOCX: A4, East-Asian font, findings with advice, sign-off block
    import docx

    d = docx.Document(made.docx)
    assert round(d.sections[0].page_width.mm) == 210 and round(d.sections[0].page_height.mm) == 297
    rfonts = d.styles["Normal"].element.rPr.rFonts
    assert rfonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "宋体"
    cells = "\n".join(cell.text for t in d.tables for row in t.rows for cell in row.cells)
    for r in bad:
        shown = r["message"] if r["status"] != "error" else r["message"].split("：", 1)[1]
        assert r["host"] in cells and r["check_id"] in cells and shown in cells
        if r.get("remedy"):
            assert r["remedy"] in cells
    assert "巡检人（乙方）" in cells and "审核人（乙方）" in cells and "甲方确认" in cells
    table = next(t for t in d.tables if [c.text for c in t.rows[0].cells][:3] == ["序号", "状态", "设备"])
    h3c = [row for row in table.rows[1:] if row.cells[2].text.startswith("lab-h3c-fl")]
    failed = [r for r in bad if r["host"] == "lab-h3c-fl"]
    assert len(failed) > 1 and len(h3c) == 1 and all(r["check_id"] in h3c[0].cells[3].text for r in failed)


def test_fixed_findings_and_missing_inspections_are_counted(runs):
    inv, reports, first, second = runs
    made = make_report(reports, inv, run_ids=[first.run_id, second.run_id])
    fixed = {(r["host"], r["check_id"]) for r in made.data.fixed}
    assert ("lab-linux-app", "LNX-FS-001") in fixed and made.data.counts["fixed"] == len(fixed)
    assert all(f.result["host"] != "lab-linux-app" or f.result["check_id"] != "LNX-FS-001" for f in made.data.findings)
    # a lot's report answers for every host of the lot the cadence requires, inspected or not
    period = parse_period(now().strftime("%Y-%m"))
    lot = make_report(reports, inv, lot="6_10", period=period)
    inspected = {r["host"] for run in lot.data.runs for r in run.stream()}
    assert inspected <= {h for h in inv.hosts if "6_10" in inv.hosts[h].lots}
    assert lot.data.counts["missing"] == len(lot.data.missing) > 0
    assert {h for h, _c, _w in lot.data.missing}.isdisjoint(set(HOSTS))
    # a new report never replaces an earlier one
    again = make_report(reports, inv, run_ids=[first.run_id])
    assert again.directory != made.directory and made.html.exists()


def test_charts_draw_every_chinese_glyph(runs):
    inv, reports, first, second = runs
    made = make_report(reports, inv, run_ids=[first.run_id, second.run_id])
    charts = all_charts(made.data)
    assert len(charts) == 2  # status per subsystem, and trends (two runs)
    assert all(c.png.startswith(b"\x89PNG") and not c.missing_glyphs for c in charts)


def test_unknown_runs_and_empty_periods_are_refused_with_the_reason(runs, tmp_path):
    inv, reports, *_ = runs
    with pytest.raises(ReportError, match="no such run"):
        make_report(reports, inv, run_ids=["20200101T000000-daily-0000"])
    with pytest.raises(ReportError, match="no inspection run of lot 6_10 in 2019-01"):
        make_report(reports, inv, lot="6_10", period=parse_period("2019-01"))
    with pytest.raises(ReportError, match="a quarter 2026-Q4"):
        parse_period("last month")


def test_evidence_pack_holds_only_its_lot_and_verify_names_every_change(runs, tmp_path):
    inv, reports, *_ = runs
    period = parse_period(now().strftime("%Y-%m"))
    made = evidence.pack(reports, inv, "6_10", period)
    with zipfile.ZipFile(made.path) as z:
        names = z.namelist()
        raw = [json.loads(line) for n in names if n.endswith("results.jsonl")
               for line in z.read(n).decode().splitlines()]
    assert raw and all("6_10" in r["lots"] for r in raw)
    assert {"reports/report.html", "reports/report.xlsx", "reports/report.docx", "reports/ledger.xlsx",
            "reports/ledger.docx", evidence.MANIFEST} <= set(names)  # a month's pack carries its 运维台账
    assert made.root_hash in (made.report_dir / "report.html").read_text()  # printed on the cover
    import docx

    with zipfile.ZipFile(made.path) as z:
        z.extract("reports/ledger.docx", tmp_path)
    cover = [c.text for t in docx.Document(tmp_path / "reports" / "ledger.docx").tables[:1] for row in t.rows
             for c in row.cells]
    assert made.root_hash in cover  # and on the ledger's
    assert evidence.verify(made.path, reports).ok

    results = next(n for n in names if n.endswith("results.jsonl"))
    original = evidence.read_member(made.path, results)
    one_byte = original.replace(b'"pass"', b'"pasS"', 1)
    manifest = json.loads(evidence.read_member(made.path, evidence.MANIFEST))
    forged = dict(manifest, files={**manifest["files"], results: evidence.sha256(one_byte)})
    cases = {
        "one byte": ({results: one_byte}, [f"{results}: 内容已被修改"]),
        "removed": ({"reports/report.docx": None}, ["reports/report.docx: 已被删除"]),
        "added": ({"reports/extra.txt": b"x"}, ["reports/extra.txt: 登记后新增的文件"]),
        "manifest rewritten": ({results: one_byte, evidence.MANIFEST: json.dumps(forged, ensure_ascii=False).encode()},
                               [f"{evidence.MANIFEST}: 与登记时不一致", f"{results}: 内容已被修改"]),
    }
    for case, (changes, expected) in cases.items():
        tampered = tmp_path / made.path.name
        evidence.rewrite(made.path, changes, tampered)
        verdict = evidence.verify(tampered, reports)
        assert not verdict.ok, case
        for text in expected:
            assert any(p.startswith(text) for p in verdict.problems), (case, verdict.problems)
        tampered.unlink()

    # the register is append-only and chained: an edited earlier line is caught
    register = evidence.register_path(reports)
    evidence.pack(reports, inv, "6_10", period)
    lines = register.read_text().splitlines()
    lines[0] = re.sub(r'"lot": "6_10"', '"lot": "6_1O"', lines[0])
    register.write_text("\n".join(lines) + "\n")
    assert any("哈希链断开" in p for p in evidence.verify(made.path, reports).problems)
    lines[0] = lines[0][:-1]  # a line edited into broken JSON is named, not a crash
    register.write_text("\n".join(lines) + "\n")
    assert any(p.startswith("登记簿第 1 行不是有效记录") for p in evidence.verify(made.path, reports).problems)


def test_ledger_records_slots_runs_and_each_problem_until_fixed(runs):
    inv, reports, first, second = runs
    from openpyxl import load_workbook

    from cityops.report.ledger import make_ledger

    today = now()
    made = make_ledger(reports, inv, "6_10", parse_period(f"{today:%Y-%m}"))
    ids = [r.run_id for r in made.data.runs]
    assert first.run_id in ids and second.run_id in ids
    # cadence slots: every day of the month so far is owed a daily run; today's is filled by these runs
    daily = next(c for c in made.compliance if c.cadence == "daily")
    assert daily.due == today.day and daily.slots[-1].label == f"{today:%Y-%m-%d}"
    assert {first.run_id, second.run_id} <= set(daily.slots[-1].runs) and daily.slots[-1].hosts == len(HOSTS)
    assert daily.done == sum(1 for s in daily.slots if s.runs) and len(daily.missed) == daily.due - daily.done
    # each problem's life: the full disk found by the first run and fixed by the second; the fan still open
    problems = {(p.host, p.check_id): p for p in made.data.problems}
    disk = problems[("lab-linux-app", "LNX-FS-001")]
    assert disk.found_run == first.run_id and disk.fixed_run == second.run_id and disk.fixed > disk.found
    fan = next(p for (h, _c), p in problems.items() if h == "lab-vrp-core")
    assert fan.fixed is None and fan.times >= 2

    wb = load_workbook(made.xlsx, read_only=True)
    assert wb.sheetnames[:5] == ["台账汇总", "巡检执行情况", "巡检记录", "问题处理记录", "巡检明细"]
    run_rows = list(wb["巡检记录"].iter_rows(values_only=True))[1:]
    assert [r[0] for r in run_rows] == ids
    for row, run in zip(run_rows, made.data.runs, strict=True):  # counts per run add up to its results
        assert row[7] == made.data.by_run[run.run_id]["results"] == sum(row[8:13]) + \
            made.data.by_run[run.run_id].get("skip", 0)
    problem_rows = list(wb["问题处理记录"].iter_rows(values_only=True))[1:]
    row = next(r for r in problem_rows if r[1] == "lab-linux-app" and str(r[3]).startswith("LNX-FS-001"))
    assert row[10] == "已整改" and row[11]
    assert any(r[1] == "lab-vrp-core" and r[10] == "未整改" for r in problem_rows)
    slots = list(wb["巡检执行情况"].iter_rows(values_only=True))[1:]
    assert sum(1 for r in slots if r[0] == "每日") == daily.due
    assert sum(1 for r in slots if r[0] == "每日" and r[2] == "未巡检") == len(daily.missed)
    detail = list(wb["巡检明细"].iter_rows(values_only=True))[1:]
    assert len(detail) == made.data.results == sum(made.data.by_run[i]["results"] for i in ids)

    import docx

    d = docx.Document(made.docx)
    text = "\n".join(p.text for p in d.paragraphs) + "\n".join(
        c.text for t in d.tables for row in t.rows for c in row.cells)
    assert "运维台账" in text and "二、巡检执行情况" in text and "四、问题处理记录" in text
    assert disk.message in text and "已整改" in text and "未整改" in text
    due, done = sum(c.due for c in made.compliance), sum(c.done for c in made.compliance)
    assert f"应巡检 {due} 个时段，已巡检 {done} 个，未巡检 {due - done} 个" in text
    assert "运维工程师（乙方）" in text and "甲方确认" in text
    with pytest.raises(ReportError, match="not a lot"):
        make_ledger(reports, inv, "99", parse_period(f"{today:%Y-%m}"))


def redate(run_dir, reports, when):
    """A copy of a real run as if it had started at `when` (a quarter of lab runs without waiting a quarter)."""
    import shutil

    manifest = json.loads((run_dir / "manifest.json").read_text())
    run_id = f"{when:%Y%m%dT%H%M%S}-{manifest['cadence']}-{run_dir.name[-4:]}"
    target = reports / "runs" / run_id
    shutil.copytree(run_dir, target)
    shift = when - dt.datetime.fromisoformat(manifest["started"])
    manifest.update(run_id=run_id, started=when.isoformat(), period_slot=period_slot(when),
                    ended=(dt.datetime.fromisoformat(manifest["ended"]) + shift).isoformat())
    lines = [json.loads(line) for line in (target / "results.jsonl").read_text().splitlines()]
    (target / "results.jsonl").write_text("".join(json.dumps({**r, "run_id": run_id}, ensure_ascii=False) + "\n"
                                                  for r in lines))
    record.seal(target, manifest)  # sealed as the tool seals a run: hashes in the manifest, a line in the register
    return run_id


@pytest.fixture(scope="module")
def quarter(lab, tmp_path_factory):
    """Four real lab runs of the lot 6_10 hosts while /data fills 50 → 56 → 62 → 68 % and the core switch's fan is
    failed, re-dated to four days of 2026-Q3; the last also finds the H3C firewall unreachable."""
    from cityops.lab import control

    inv, state = lab
    scratch = tmp_path_factory.mktemp("scratch")
    reports = tmp_path_factory.mktemp("quarter")
    chosen = [inv.hosts[h] for h in HOSTS]
    days = [dt.datetime(2026, 7, 6, 9, tzinfo=BEIJING), dt.datetime(2026, 8, 3, 9, tzinfo=BEIJING),
            dt.datetime(2026, 8, 31, 9, tzinfo=BEIJING), dt.datetime(2026, 9, 28, 9, tzinfo=BEIJING)]
    control.set_fault(state, inv, "lab-vrp-core", "fan_failed")
    ids = []
    try:
        settle(lab, "lab-vrp-core")
        for i, (percent, day) in enumerate(zip((50, 56, 62, 68), days, strict=True)):
            control.set_fault(state, inv, "lab-linux-app", "disk_full", mount="/data", percent=percent)
            if i == 3:
                control.set_fault(state, inv, "lab-h3c-fl", "unreachable")
                settle(lab, "lab-h3c-fl")
            run = inspect(inv, chosen, cadence="daily", selection={"host": ",".join(HOSTS)}, reports=scratch,
                          lab_dir=state.path)
            ids.append(redate(run.run_dir, reports, day))
    finally:
        for h in ("lab-vrp-core", "lab-linux-app", "lab-h3c-fl"):
            control.set_fault(state, inv, h, "", clear=True)
    return inv, reports, ids


def test_quarterly_analysis_per_subsystem_matches_the_runs_and_projects_the_filling_disk(quarter):
    from openpyxl import load_workbook

    from cityops.report.analysis import make_analysis

    inv, reports, ids = quarter
    made = make_analysis(reports, inv, "6_10", parse_period("2026-Q3"))
    assert [r.run_id for r in made.data.runs] == ids
    lot_subsystems = {str(h.get("subsystem")) for h in inv.hosts.values() if "6_10" in h.lots}
    assert {a.subsystem for a in made.subsystems} == lot_subsystems  # every subsystem, inspected or not
    for a in made.subsystems:  # "does not match reality" costs a point: the figures are the runs' own
        assert a.counts == made.data.by_subsystem.get(a.subsystem, {})
        with_results = {h for h, n in made.data.by_host.items() if sum(n[s] for s in ("pass", "warn", "fail", "error"))}
        assert a.inspected == len({h.name for h in a.hosts} & with_results)
    linux = next(a for a in made.subsystems if any(h.name == "lab-linux-app" for h in a.hosts))
    disk = next(p for p in linux.projections if p.key == ("lab-linux-app", "LNX-FS-001", "/data"))
    assert (disk.trend.first, disk.trend.last) == (50.0, 68.0)
    assert 6.0 < disk.trend.per_30_days < 7.0  # 18 points over 84 days
    # 80 % is LNX-FS-001's warning level: (80 - 68) / (6.43 / 30) ≈ 56 days after 2026-09-28
    assert disk.threshold.level == 80 and dt.date(2026, 11, 18) <= disk.reaches.date() <= dt.date(2026, 11, 28)
    assert any("lab-linux-app" in t and "达到告警阈值 ≥80%" in t for t in linux.advice)
    vrp = next(a for a in made.subsystems if any(h.name == "lab-vrp-core" for h in a.hosts))
    fan = next(g for g in vrp.groups if g.hosts == ["lab-vrp-core"] and g.open)
    assert fan.times == 4 and any(fan.check_id in t and "尚未整改" in t for t in vrp.advice)
    h3c = next(a for a in made.subsystems if any(h.name == "lab-h3c-fl" for h in a.hosts))
    assert any("lab-h3c-fl" in t and "无法完成巡检" in t for t in h3c.advice)
    quiet = [a for a in made.subsystems if not a.inspected]
    assert quiet and all(len(a.advice) == 1 and "无巡检结果" in a.advice[0] for a in quiet)
    daily = next(c for c in made.compliance if c.cadence == "daily")
    assert daily.due == 92 and daily.done == 4

    wb = load_workbook(made.xlsx, read_only=True)
    trend_rows = list(wb["趋势分析"].iter_rows(values_only=True))[1:]
    row = next(r for r in trend_rows if r[1] == "lab-linux-app" and r[2] == disk.title)
    assert row[4:6] == (50, 68) and row[11] == f"{disk.reaches:%Y-%m-%d}"
    advice = [r[2] for r in list(wb["问题解决方案及建议"].iter_rows(values_only=True))[1:]]
    assert advice == [t for a in made.subsystems for t in a.advice]

    import docx

    d = docx.Document(made.docx)
    text = "\n".join(p.text for p in d.paragraphs)
    assert "巡检分析报告" in text and "2026年第3季度" in text
    for a in made.subsystems:
        assert a.name in text and all(t in text for t in a.advice)
    assert "应巡检 93 个时段，已巡检 4 个" in text  # the lab F5's quarterly inspection is one of them
    charted = [a for a in made.subsystems if a.chart]  # a trend chart for each subsystem with series
    assert any(a is linux for a in charted) and len(d.inline_shapes) == len(charted)


def test_yearly_summary_goes_month_by_month_and_plans_from_the_open_problems(quarter):
    from openpyxl import load_workbook

    from cityops.report.yearly import make_yearly

    inv, reports, _ids = quarter
    with pytest.raises(ReportError, match="a yearly summary is of a year"):
        make_yearly(reports, inv, "6_10", parse_period("2026-Q3"))
    made = make_yearly(reports, inv, "6_10", parse_period("2026"))
    months = {m.label: m for m in made.months}
    assert months["2026-07"].runs == 1 and months["2026-08"].runs == 2 and months["2026-09"].runs == 1
    assert sum(m.results for m in made.months) == made.data.results
    # January: 31 daily slots and the lab F5's quarterly one
    assert months["2026-01"].runs == 0 and months["2026-01"].due == 32 and months["2026-01"].done == 0
    assert months["2026-07"].found >= 1  # the fan, found in July
    still = [p for p in made.data.problems if not p.fixed]
    assert any(p.host == "lab-vrp-core" for p in still)
    assert any("lab-vrp-core" in t or "尚未整改" in t for t in made.plan)
    assert any("巡检时段未执行" in t for t in made.plan)

    wb = load_workbook(made.xlsx, read_only=True)
    rows = list(wb["各月情况"].iter_rows(values_only=True))[1:]
    assert [r[0] for r in rows] == sorted(months) and sum(r[2] for r in rows) == made.data.results
    assert len(list(wb["年末未整改问题"].iter_rows(values_only=True))) - 1 == len(still)

    import docx

    d = docx.Document(made.docx)
    text = "\n".join(p.text for p in d.paragraphs)
    assert "2026年年终总结报告" in text and "六、下一年度工作建议" in text and all(t in text for t in made.plan)
    assert len(d.inline_shapes) == 1  # the monthly chart


def test_a_month_ledger_tracks_a_problem_found_in_an_earlier_month_and_names_missed_days_as_spans(quarter):
    from cityops.report.ledger import make_ledger

    inv, reports, ids = quarter
    made = make_ledger(reports, inv, "6_10", parse_period("2026-08"))
    carried = [p for p in made.data.problems if p.host == "lab-vrp-core"]
    assert carried and all(p.found_run == ids[0] and p.fixed is None and p.times == 2 for p in carried)  # seen twice in August
    assert made.data.inspected_hosts == len(HOSTS)
    daily = next(c for c in made.compliance if c.cadence == "daily")
    assert daily.due == 31 and daily.done == 2  # the 3rd and the 31st
    import docx

    cells = [[c.text for c in row.cells] for t in docx.Document(made.docx).tables for row in t.rows]
    assert ["每日", "2026-08-04 至 2026-08-30", "27"] in cells and ["每日", "2026-08-01 至 2026-08-02", "2"] in cells
