"""`invoke report` and `invoke evidence.pack / evidence.verify`: the paperwork the bureaus score."""

from __future__ import annotations

from pathlib import Path

from invoke import Collection, Exit, task

from .common import load

HELP = {"run": "run ids, comma-separated", "lot": "a lot (e.g. 6_10): only its hosts' results",
        "bureau": "a bureau (e.g. gxj): only its hosts' results",
        "period": "2026-11-24 | 2026-11 | 2026-Q4 | 2026 (with --lot or --bureau)",
        "reports": "reports directory (default ./reports)", "inventory": "inventory directory"}


@task(help=HELP)
def report(c, run="", lot="", bureau="", period="", reports="reports", inventory=None):
    """巡检报告: HTML, XLSX and DOCX from runs (--run) or a lot's / bureau's period; in reports/out/<name>/."""
    from ..report.build import make_report
    from ..report.runs import parse_period

    made = make_report(Path(reports), load(inventory), run_ids=[r for r in run.split(",") if r] or None,
                       lot=lot or None, bureau=bureau or None, period=parse_period(period) if period else None)
    c_ = made.data.counts
    print(f"{made.data.title}: {made.data.results} results of {len(made.data.runs)} runs — 正常 {c_['pass']} "
          f"告警 {c_['warn']} 异常 {c_['fail']} 无法巡检 {c_['error']} 已豁免 {c_['waived']} 未巡检 {c_['missing']} "
          f"已整改 {c_['fixed']}")
    for f in (made.html, made.xlsx, made.docx):
        print(f"  {f}")


def periodic(make, lot: str, period: str, default: str, reports: str, inventory, line) -> None:
    """Make one of a lot's periodic documents, print what it says in one line and where its files are."""
    from ..report.runs import parse_period

    made = make(Path(reports), load(inventory), lot, parse_period(period or default))
    print(f"标项{lot} {line(made)}")
    for f in (made.xlsx, made.docx):
        print(f"  {f}")


def fixed_text(made) -> str:
    return f"问题 {len(made.data.problems)}（已整改 {sum(1 for p in made.data.problems if p.fixed)}）"


PERIODIC_HELP = {k: HELP[k] for k in ("lot", "period", "reports", "inventory")}


@task(help=PERIODIC_HELP)
def ledger(c, lot, period="", reports="reports", inventory=None):
    """运维台账: a lot's month (default: this month) — cadence slots done/missed, runs, problems found → fixed,
    every result; XLSX and DOCX in reports/out/ledger-lot<L>-<period>-<time>/."""
    from ..report.ledger import make_ledger
    from ..timeutil import now

    def line(made) -> str:
        due, done = sum(x.due for x in made.compliance), sum(x.done for x in made.compliance)
        return (f"运维台账 {made.data.period_label}: {len(made.data.runs)} runs, 应巡检时段 {due}、已巡检 {done}、"
                f"未巡检 {due - done}; {fixed_text(made)}")

    periodic(make_ledger, lot, period, f"{now():%Y-%m}", reports, inventory, line)


@task(help=PERIODIC_HELP)
def analysis(c, lot, period="", reports="reports", inventory=None):
    """按分系统巡检分析报告: a lot's quarter (default: this quarter) — per subsystem its devices, status, problems,
    trends with the date each value will reach its warning level, and a solution for each; DOCX and XLSX."""
    from ..report.analysis import make_analysis
    from ..timeutil import now

    t = now()
    periodic(make_analysis, lot, period, f"{t.year}-Q{(t.month - 1) // 3 + 1}", reports, inventory,
             lambda made: f"巡检分析报告 {made.data.period_label}: {len(made.subsystems)} 个分系统, "
                          f"{len(made.data.runs)} runs, {fixed_text(made)}, "
                          f"建议 {sum(len(a.advice) for a in made.subsystems)} 条")


@task(help=PERIODIC_HELP)
def yearly(c, lot, period="", reports="reports", inventory=None):
    """年终总结报告: a lot's year (default: this year) — month by month, each subsystem, the main problems, those
    still open, next year's plan; DOCX and XLSX."""
    from ..report.yearly import make_yearly
    from ..timeutil import now

    periodic(make_yearly, lot, period, f"{now().year}", reports, inventory,
             lambda made: f"年终总结 {made.data.period_label}: {len(made.data.runs)} runs in {len(made.months)} months, "
                          f"{fixed_text(made)}, 建议 {len(made.plan)} 条")


@task(name="pack", help={k: HELP[k] for k in ("lot", "period", "reports", "inventory")})
def pack_(c, lot, period, reports="reports", inventory=None):
    """证据包: a lot's reports, raw results and manifests for a period, hashed and registered."""
    from ..report.evidence import pack
    from ..report.runs import parse_period

    made = pack(Path(reports), load(inventory), lot, parse_period(period))
    print(f"{made.path}\n  {len(made.files)} files, root hash {made.root_hash}\n  registered in "
          f"{Path(reports) / 'evidence' / 'register.jsonl'}")


@task(help={"pack": "the evidence ZIP", "reports": "reports directory holding the register (default ./reports)"})
def verify(c, pack, reports="reports"):
    """Re-check an evidence pack against the register; name every file changed, added or removed. Exit 1 if any."""
    from ..report.evidence import verify as check

    verdict = check(Path(pack), Path(reports))
    if verdict.ok:
        print(f"{pack}: 与登记一致，未被改动")
        return
    for line in verdict.problems:
        print(line)
    raise Exit(f"{pack}: {len(verdict.problems)} 处与登记不符", code=1)


report_ns = Collection("report")
report_ns.add_task(report, name="run", default=True)
report_ns.add_task(ledger)
report_ns.add_task(analysis)
report_ns.add_task(yearly)
evidence_ns = Collection("evidence", pack_, verify)
