"""Files backups (文件备份): a host's directories archived by its own `tar`, streamed through cityops to the
separate backup server its job names, verified there, and restored in drills.

Why through cityops: cityops computes the archive's sha256 itself as the bytes pass (never the backup server's
word), reads every member on the way to prove the archive whole, and keeps each member's sha256 — the manifest a
restore drill checks the restored files against, in the format `sha256sum -c` reads. Nothing is renamed into
place on the backup server until the bytes written there hash to what cityops saw: a run killed halfway leaves a
`.part` file, which the next run of the job removes, and a ledger entry a reader shows as incomplete.
"""

from __future__ import annotations

import contextlib
import hashlib
import statistics
import tarfile
import time
import zlib
from pathlib import Path

from ..files import write_atomic
from ..inventory.model import Inventory
from ..parsers import ParseError
from ..parsers.checksums import check_report, digests, manifest_line
from ..timeutil import now
from ..transport.base import TransportConfig
from ..transport.errors import ConnectFailure
from ..transport.ssh_exec import SshExec, Stream
from . import ledger
from .jobrun import EXCERPT, Evidence, JobFailed, JobRun, q, run_checked, run_job, ssh_session
from .schedule import Job

TARGET_ROOT = "/srv/backup"  # on the backup server: <root>/<owner>/<job>/<archive>
DRILL_DIR = "cityops-drill"  # a drill's scratch directory on the host, relative to the login's home unless the job
# names one (`drill_dir`); removed after the drill
CHUNK = 256 * 1024
STREAM_TIMEOUT = 300.0  # seconds without a byte moving before a stream is given up
KEEP_NEWEST = 3  # verified archives kept whatever their age, so pruning never leaves a job without a backup


def job_dir(job: Job) -> str:
    return f"{TARGET_ROOT}/{job.owner}/{job.name}"


def archive_name(job: Job, run_id: str) -> str:
    """The archive's name on the backup server: the job and the run's time and token, nothing else."""
    return f"{job.owner}_{job.name}_{run_id[:15]}_{run_id.rsplit('-', 1)[1]}.tar.gz"


class Tee:
    """The archive as it passes: hashed, counted and forwarded to the backup server while tarfile reads it."""

    def __init__(self, source: Stream, sink: Stream | None):
        self.source, self.sink = source, sink
        self.sha = hashlib.sha256()
        self.size = 0

    def read(self, size: int = CHUNK) -> bytes:
        data = self.source.read(min(max(size, 1), CHUNK))
        if data:
            self.sha.update(data)
            self.size += len(data)
            if self.sink is not None:
                self.sink.write(data)
        return data

    def drain(self) -> None:
        while self.read(CHUNK):
            pass


def read_members(tee: Tee) -> dict[str, tuple[str, int]]:
    """Every regular file of the gzip'd tar stream: name -> (sha256, size). A stream that is not a whole archive
    (cut short, not gzip, not tar) is the job's failure."""
    members: dict[str, tuple[str, int]] = {}
    try:
        with tarfile.open(fileobj=tee, mode="r|gz") as archive:  # nosec B202  # read, hashed, never extracted here
            for m in archive:
                if not m.isfile():
                    continue
                sha, fh = hashlib.sha256(), archive.extractfile(m)
                while chunk := fh.read(CHUNK):
                    sha.update(chunk)
                members[m.name] = (sha.hexdigest(), m.size)
        tee.drain()  # the end-of-archive blocks and gzip's trailer belong to the bytes stored and hashed
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise JobFailed(f"归档数据流不完整或无法读取（{type(exc).__name__}: {str(exc)[:120]}）") from None
    return members


def manifest_text(members: dict[str, tuple[str, int]]) -> str:
    return "".join(manifest_line(sha, name) for name, (sha, _size) in sorted(members.items()))


def manifest_path(reports: Path, run_id: str) -> Path:
    return Path(reports) / "backups" / "manifests" / f"{run_id}.sha256"


def _archive_digest(session: SshExec, path: str, evidence: Evidence) -> str:
    text = run_checked(session, f"sha256sum -b {q(path)}", evidence, "计算备份文件校验值")
    try:
        found = digests(text)
    except ParseError as exc:
        raise JobFailed(f"{session.name}: sha256sum 的输出无法识别：{exc}") from None
    if path not in found:
        raise JobFailed(f"{session.name}: sha256sum 没有给出 {path} 的校验值：{text[:EXCERPT]!r}")
    return found[path]


def _plausible(job: Job, reports: Path, size: int, max_drop: float) -> str:
    """'' when the archive's size is plausible against the job's last verified ones, else why not (Chinese)."""
    sizes = [r.size for r in ledger.runs(reports)[0] if (r.owner, r.job) == (job.owner, job.name)
             and r.status == "verified" and r.size][-3:]
    if not sizes:
        return ""
    usual = statistics.median(sizes)
    if size < usual * (1 - max_drop):
        return f"归档 {size} 字节，比近 {len(sizes)} 次已校验备份的中位数 {int(usual)} 字节小 {1 - size / usual:.0%}"
    return ""


def backup_files(inv: Inventory, job: Job, config: TransportConfig, reports: Path, *, operator: str,
                 max_drop: float = 0.5, host_timeout: float = 6 * 3600.0) -> ledger.RunRecord:
    """Run one files job: archive, stream, verify, put in place, prune; every step on the ledger."""
    source = job.hosts[0] if job.hosts else job.owner

    def final(run_id: str) -> str:
        return f"{job_dir(job)}/{archive_name(job, run_id)}"

    def body(run: JobRun) -> None:
        src, dst = run.ssh(source), run.ssh(job.target)
        run.result.update(_archive_and_store(job, src, dst, final(run.run_id), run.evidence, run.reports,
                                             run.run_id, max_drop))

    def on_failure(run: JobRun) -> None:
        _remove_part(next((s for s in run.sessions if s.name == job.target), None), final(run.run_id), run.evidence)

    def after(run: JobRun) -> None:
        run.result["pruned_runs"] = prune(inv, job, config, run.reports, run.evidence)

    return run_job(inv, job, config, reports, operator=operator, host=source,
                   location=lambda run_id: f"{job.target}:{final(run_id)}", body=body, host_timeout=host_timeout,
                   on_failure=on_failure, after=after)


def part_of(final: str) -> str:
    """Where an archive is written until it is verified: hidden beside its final name."""
    directory, name = final.rsplit("/", 1)
    return f"{directory}/.{name}.part"


def _remove_part(dst: SshExec | None, final: str, evidence: Evidence) -> None:
    """A failed run takes its half-written archive away with it (a killed one leaves it to the next run)."""
    if dst is None or dst.fatal is not None:
        return
    try:
        answer = dst.run(f"rm -f {q(part_of(final))}")
        evidence.add(dst.name, answer.command, answer.exit_status, answer.stderr)
    except ConnectFailure as exc:
        evidence.add(dst.name, f"rm -f {part_of(final)}", exc.cause, str(exc))


def _archive_and_store(job: Job, src: SshExec, dst: SshExec, final: str, evidence: Evidence, reports: Path,
                       run_id: str, max_drop: float) -> dict:
    directory = job_dir(job)
    part = part_of(final)
    run_checked(dst, f"mkdir -p {q(directory)} && rm -f {q(directory)}/.*.part", evidence, "准备备份目录")
    tar_cmd = "tar -C / -czf - " + " ".join(q(p.lstrip("/")) for p in job.paths)
    sink = dst.stream(f"cat > {q(part)}", STREAM_TIMEOUT)
    source = src.stream(tar_cmd, STREAM_TIMEOUT)
    tee = Tee(source, sink)
    t0 = time.monotonic()
    try:
        members = read_members(tee)
    except (JobFailed, ConnectFailure) as exc:
        source.abort()
        said = _last_words(sink)  # the backup server's side stopped first (disk full): its own words say why
        raise JobFailed(f"{dst.name}: 写入备份文件失败：{said}" if said else f"{src.name} → {dst.name}: {exc}") from None
    tar_status, tar_err = source.finish()
    evidence.add(src.name, tar_cmd, tar_status, tar_err)
    sink.close_input()
    cat_status, cat_err = sink.finish()
    evidence.add(dst.name, f"cat > {part}", cat_status, cat_err)
    seconds = time.monotonic() - t0
    if tar_status not in (0, 1):  # GNU tar: 1 = some file changed while it was read (archived all the same)
        said = tar_err.strip().splitlines()
        raise JobFailed(f"{src.name}: tar 失败（退出码 {tar_status}）：{said[0][:EXCERPT] if said else '无输出'}")
    if cat_status != 0:
        said = cat_err.strip().splitlines()
        raise JobFailed(f"{dst.name}: 写入备份文件失败（退出码 {cat_status}）：{said[-1][:EXCERPT] if said else '无输出'}")
    if not members:
        raise JobFailed(f"{src.name}: 归档中没有任何文件（{', '.join(job.paths)} 为空或不存在）")
    own = tee.sha.hexdigest()
    checks = [{"name": "归档完整（逐个成员读取）", "ok": True, "detail": f"{len(members)} 个文件"}]
    stored = _archive_digest(dst, part, evidence)
    checks.append({"name": "备份服务器上的文件与传输内容一致（sha256）", "ok": stored == own,
                   "detail": f"cityops {own[:16]}…，备份服务器 {stored[:16]}…"})
    if stored != own:
        raise JobFailed(f"{dst.name}: {part} 的 sha256 与传输内容不一致（{stored[:16]}… ≠ {own[:16]}…）")
    text = manifest_text(members)
    write_atomic(manifest_path(reports, run_id), text.encode())
    _upload(dst, f"{final}.sha256", text.encode(), evidence)
    run_checked(dst, f"mv -f {q(part)} {q(final)}", evidence, "备份文件就位")
    warnings = []
    if tar_status == 1:
        warnings.append(f"tar 退出码 1（部分文件在读取时被修改）：{tar_err.strip()[:EXCERPT]}")
    odd = _plausible(job, reports, tee.size, max_drop)
    checks.append({"name": "大小与近期备份相称", "ok": not odd, "detail": odd or f"{tee.size} 字节"})
    return {"size": tee.size, "sha256": own, "files": len(members), "seconds": round(seconds, 1),
            "manifest_sha256": hashlib.sha256(text.encode()).hexdigest(), "checks": checks, "warnings": warnings,
            "error": f"{src.name}: {odd}" if odd else ""}


def _last_words(stream: Stream) -> str:
    """What a command that stopped taking input said on its way out ('' if it is still running or said nothing)."""
    try:
        status, err = stream.finish(timeout=5.0)
    except ConnectFailure:
        stream.abort()
        return ""
    lines = err.strip().splitlines()
    return f"{lines[-1][:EXCERPT]}（退出码 {status}）" if status and lines else ""


def copy_file(src: SshExec, path: str, dst: SshExec | None, final: str, evidence: Evidence) -> tuple[int, str]:
    """One file (an RMAN piece) from a host to its backup server through cityops: hashed on the way, written to a
    .part there, hashed again by the server, renamed into place only if both agree. Without a backup server the
    file is read and hashed all the same: its sha256 is cityops' own either way. Returns (bytes, sha256)."""
    reader = src.stream(f"cat {q(path)}", STREAM_TIMEOUT)
    sink = dst.stream(f"cat > {q(part_of(final))}", STREAM_TIMEOUT) if dst is not None else None
    sha, size = hashlib.sha256(), 0
    try:
        while data := reader.read(CHUNK):
            sha.update(data)
            size += len(data)
            if sink is not None:
                sink.write(data)
    except ConnectFailure as exc:
        reader.abort()
        said = _last_words(sink) if sink is not None else ""
        raise JobFailed(f"{dst.name}: 写入备份文件失败：{said}" if said and dst is not None
                        else f"{src.name}: 读取 {path} 中断：{exc}") from None
    status, err = reader.finish()
    evidence.add(src.name, f"cat {path}", status, err)
    if status != 0:
        if sink is not None:
            sink.abort()
        raise JobFailed(f"{src.name}: 读取 {path} 失败（退出码 {status}）：{err.strip()[:EXCERPT]}")
    own = sha.hexdigest()
    if sink is None or dst is None:
        return size, own
    sink.close_input()
    cat_status, cat_err = sink.finish()
    evidence.add(dst.name, f"cat > {part_of(final)}", cat_status, cat_err)
    if cat_status != 0:
        raise JobFailed(f"{dst.name}: 写入备份文件失败（退出码 {cat_status}）：{cat_err.strip()[:EXCERPT]}")
    stored = _archive_digest(dst, part_of(final), evidence)
    if stored != own:
        raise JobFailed(f"{dst.name}: {final} 的 sha256 与传输内容不一致（{stored[:16]}… ≠ {own[:16]}…）")
    run_checked(dst, f"mv -f {q(part_of(final))} {q(final)}", evidence, "备份文件就位")
    return size, own


def _upload(session: SshExec, path: str, data: bytes, evidence: Evidence) -> None:
    """A small file written on a host: to a .part beside it, renamed into place once whole."""
    part = f"{path}.part"
    stream = session.stream(f"cat > {q(part)}", STREAM_TIMEOUT)
    stream.write(data)
    stream.close_input()
    status, err = stream.finish()
    evidence.add(session.name, f"cat > {part}", status, err)
    if status != 0:
        raise JobFailed(f"{session.name}: 写入 {path} 失败（退出码 {status}）：{err.strip()[:EXCERPT]}")
    run_checked(session, f"mv -f {q(part)} {q(path)}", evidence, "文件就位")


def prune(inv: Inventory, job: Job, config: TransportConfig, reports: Path, evidence: Evidence) -> list[str]:
    """Backups past the job's retention removed from its backup server — a files archive with its manifest, or a
    database run's copies — never the newest KEEP_NEWEST verified, counting the run that has just been; returns
    the ids of the runs removed. Called only after a verified run."""
    verified = [r for r in ledger.runs(reports)[0] if (r.owner, r.job) == (job.owner, job.name)
                and r.status == "verified" and not r.pruned]
    cutoff = now().timestamp() - job.retention_days * 86400
    old = [r for r in verified[:-(KEEP_NEWEST - 1)] if r.started.timestamp() < cutoff]  # the run just verified
    # (not on the ledger as such until its end line) is the newest of the KEEP_NEWEST
    paths: list[str] = []
    for r in old:
        if r.pieces:
            paths += [on_server(p["stored"]) for p in r.pieces
                      if str(p.get("stored", "")).startswith(f"{job.target}:")]
        elif r.location.startswith(f"{job.target}:"):
            paths += [stored_path(r), stored_path(r) + ".sha256"]
    if not paths or not job.target:
        return []
    session = ssh_session(inv, job.target, config, time.monotonic() + 300)
    try:
        for i in range(0, len(paths), 100):  # a command line of bounded length
            run_checked(session, "rm -f -- " + " ".join(q(p) for p in paths[i:i + 100]), evidence, "删除过期备份")
    except (JobFailed, ConnectFailure) as exc:
        evidence.add(job.target, "rm -f -- <expired backups>", "failed", str(exc))
        return []
    finally:
        session.close()
    return [r.id for r in old]


def on_server(where: str) -> str:
    """The path of `<backup server>:<path>` (a run's location, a piece's `stored`)."""
    return str(where).split(":", 1)[1]


def stored_path(run: ledger.RunRecord) -> str:
    return on_server(run.location)


def scratch_dir(session: SshExec, directory: str, evidence: Evidence) -> str:
    """A drill's scratch directory made empty on the host, as its absolute path (a relative one is under the
    login's home); a path the shell would have to quote again later is refused."""
    where = run_checked(session, f"rm -rf {q(directory)} && mkdir -p {q(directory)} && cd {q(directory)} && pwd -P",
                        evidence, "准备演练目录").strip()
    if not where.startswith("/") or "\n" in where or "'" in where:
        raise JobFailed(f"{session.name}: 演练目录的绝对路径无法识别：{where[:EXCERPT]!r}")
    return where


def verify_files(inv: Inventory, job: Job, config: TransportConfig, reports: Path) -> list[tuple]:
    """Hash again, on the backup server, every archive of the job still kept there, against what the ledger says
    was verified: (run, ok, detail) each, and each on the ledger. A flipped byte or a missing file is named."""
    from .recheck import recheck_runs

    return recheck_runs(inv, job, config, reports, unit="个归档")


def choose(reports: Path, job: Job, at=None) -> ledger.RunRecord:
    """The backup a drill restores: the newest one verified when taken, at or before `at` (default: the newest),
    and still kept — even one a later check found damaged, since that is the one a real recovery would reach for
    first, and the drill must show what it would meet."""
    kept = [r for r in ledger.runs(reports)[0] if (r.owner, r.job) == (job.owner, job.name)
            and r.status == "verified" and not r.pruned and (at is None or r.started <= at)]
    if not kept:
        raise JobFailed(f"{job.owner} {job.name}: 没有可用于恢复演练的已校验备份"
                        + (f"（{at:%Y-%m-%d %H:%M} 之前）" if at else ""))
    return kept[-1]


def _pump(reader: Stream, writer: Stream) -> str:
    sha = hashlib.sha256()
    while data := reader.read(CHUNK):
        sha.update(data)
        writer.write(data)
    return sha.hexdigest()


def _check_tree(session: SshExec, directory: str, manifest: str, evidence: Evidence):
    """`sha256sum -c --quiet` of the manifest in `directory`: its report (what differs, what is missing)."""
    command = f"cd {q(directory)} && sha256sum -c --quiet {q(manifest)} 2>&1"
    answer = session.run(command)
    evidence.add(session.name, command, answer.exit_status, answer.stdout)
    try:
        report = check_report(answer.stdout)
    except ParseError as exc:
        raise JobFailed(f"{session.name}: sha256sum -c 的输出无法识别：{exc}") from None
    if not answer.ok and report.ok:
        raise JobFailed(f"{session.name}: sha256sum -c 退出码 {answer.exit_status} 却未列出差异："
                        f"{answer.stdout.strip()[:EXCERPT]!r}")
    return report


def _count_files(session: SshExec, paths: list[str], evidence: Evidence) -> int:
    command = "find " + " ".join(q(p) for p in paths) + " -type f | wc -l"
    text = run_checked(session, command, evidence, "统计文件数")
    if not text.strip().isdigit():
        raise JobFailed(f"{session.name}: 文件计数无法识别：{text.strip()[:EXCERPT]!r}")
    return int(text.strip())


def drill_files(inv: Inventory, job: Job, config: TransportConfig, reports: Path, *, at=None,
                keep: bool = False) -> dict:
    """A restore drill (恢复演练): the chosen archive streamed from the backup server into a scratch directory on the
    host, hashed on the way against the ledger, every restored file checked against the manifest of the backup,
    and the live data compared with it too — what would be lost if the host failed now. Recorded on the ledger."""
    reports = Path(reports)
    run = choose(reports, job, at or now())
    evidence = Evidence()
    scratch = f"{job.drill_dir or DRILL_DIR}/{run.id}"
    manifest_file = f"{scratch}.sha256"
    facts: dict = {"backup": run.id, "archive": run.location, "backup_time": run.started.isoformat(timespec="seconds"),
                   "restored_to": f"{run.host}:{scratch}", "files_expected": run.files}
    problems: list[str] = []
    deadline = time.monotonic() + 12 * 3600
    src = dst = None
    started = now()
    try:
        local = manifest_path(reports, run.id).read_bytes()
        if hashlib.sha256(local).hexdigest() != run.manifest_sha256:
            raise JobFailed(f"{manifest_path(reports, run.id)}: 清单与台账记录的 sha256 不一致（被改动）")
        src = ssh_session(inv, run.host, config, deadline)
        dst = ssh_session(inv, run.target, config, deadline)
        where = scratch_dir(src, scratch, evidence)
        scratch, manifest_file = where, f"{where}.sha256"
        facts["restored_to"] = f"{run.host}:{scratch}"
        t0 = time.monotonic()
        reader = dst.stream(f"cat {q(stored_path(run))}", STREAM_TIMEOUT)
        writer = src.stream(f"tar -C {q(scratch)} -xzf -", STREAM_TIMEOUT)
        try:
            sha = _pump(reader, writer)
        except ConnectFailure as exc:
            reader.abort()
            writer.abort()
            raise JobFailed(f"{run.target} → {run.host}: 恢复数据流中断：{exc}") from None
        cat_status, cat_err = reader.finish()
        evidence.add(run.target, f"cat {stored_path(run)}", cat_status, cat_err)
        writer.close_input()
        tar_status, tar_err = writer.finish()
        evidence.add(run.host, f"tar -C {scratch} -xzf -", tar_status, tar_err)
        facts["restore_seconds"] = round(time.monotonic() - t0, 1)
        if cat_status != 0:
            raise JobFailed(f"{run.target}: 读取备份文件失败（退出码 {cat_status}）：{cat_err.strip()[:EXCERPT]}")
        if sha != run.sha256:
            problems.append(f"备份文件 {run.location} 已损坏：sha256 {sha[:16]}… 与备份时 {run.sha256[:16]}… 不一致")
        if tar_status != 0:
            said = tar_err.strip().splitlines()
            problems.append(f"{run.host}: tar 解包失败（退出码 {tar_status}）：{said[0][:EXCERPT] if said else '无输出'}")
        _upload(src, manifest_file, local, evidence)
        restored = _check_tree(src, scratch, manifest_file, evidence)
        facts["files_restored"] = _count_files(src, [scratch], evidence)
        if not restored.ok:
            names = restored.failed + restored.unreadable
            problems.append(f"恢复的文件与备份清单不一致：{len(restored.failed)} 个不同，{len(restored.unreadable)} 个缺失"
                            f"（如 {names[0][:80] if names else '-'}）")
        live = _check_tree(src, "/", manifest_file, evidence)
        now_count = _count_files(src, list(job.paths), evidence)
        facts["changed_since"] = len(live.failed)
        facts["removed_since"] = len(live.unreadable)
        facts["new_since"] = max(0, now_count - (run.files - len(live.unreadable)))
    except (JobFailed, ConnectFailure, OSError) as exc:
        problems.append(str(exc))
    finally:
        if src is not None and src.fatal is None and not keep:
            with contextlib.suppress(ConnectFailure):
                src.run(f"rm -rf {q(scratch)} {q(manifest_file)}")
        for s in (src, dst):
            if s is not None:
                s.close()
    facts["backup_age_hours"] = round((started - run.started).total_seconds() / 3600, 1)
    ok = not problems
    detail = ("恢复成功：" + f"{facts.get('files_restored')} 个文件与备份清单逐一一致，用时 {facts.get('restore_seconds')} 秒"
              if ok else "恢复失败：" + "；".join(problems))
    ledger.record_check(reports, run, ok=ok, detail=detail, evidence=evidence.lines, kind="drill", **facts)
    return {"run": run, "ok": ok, "detail": detail, **facts}

