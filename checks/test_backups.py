"""The backups cityops takes itself, held against their schedules: what the host's files backups left on the
backup ledger (reports/backups/ledger.jsonl), and that the directories they archive are still there.

A files backup has no engine keeping a catalogue (RMAN's and SQL Server's are read by ORA-BAK-002 and
MSSQL-BAK-002), so the ledger is its record: its last good run (verified, still kept, not found damaged since)
must fall within its schedule and window, as `backup.status` shows it.
"""

from pathlib import Path

from cityops.backup.jobstatus import job_states
from cityops.backup.schedule import jobs_of
from cityops.inspect.catalogue import check
from cityops.inspect.context import ParseError
from cityops.terms import EVERY

LINUX = ("linux",)


def files_jobs(host) -> list:
    return [j for j in jobs_of(host) if j.kind == "files" and j.owner == host.name]


@check("BAK-FILE-001", "文件备份执行情况（按备份计划）", platforms=LINUX, cadences=EVERY, severity="critical",
       requires=("backup_jobs",), when=lambda h: bool(files_jobs(h)),
       remedy="执行 invoke backup --kind files --host <主机> 补做文件备份，查明未按计划执行或失败的原因"
              "（备份服务器空间、文件被锁、网络），补做后用 backup.verify 与 backup.drill 验证。")
def test_files_backup_schedule(host, ctx):
    jobs = files_jobs(ctx.inventory_host)
    paths = sorted({p for j in jobs for p in j.paths})
    answer = ctx.run("ls -d -- " + " ".join(paths) + " 2>&1", ok_status=(0, 2))
    said = [line.strip() for line in answer.stdout.splitlines() if line.strip()]
    missing = [p for p in paths if p not in said]
    odd = [line for line in said if line not in paths and "No such file or directory" not in line]
    if odd:
        raise ParseError(f"ls -d: 无法识别的输出 {odd[0][:80]!r}")
    for p in missing:
        ctx.condition(False, f"备份目录 {p}", "不存在（文件备份将缺少该目录）")
    states, problems = job_states(jobs, Path(ctx.reports or "reports"))
    for problem in problems:
        ctx.condition(False, "备份记录登记簿", f"校验异常：{problem}")
    for state in states:
        ctx.condition(state.state == "ok", state.job.label, state.detail)
