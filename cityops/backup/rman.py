"""Oracle backups through RMAN (数据库备份): run on a node of the database with the engine's own tool, validated by
the engine, copied to the separate backup server through cityops, and on the ledger.

Never by copying data files behind the engine's back: RMAN writes the pieces and records them in its control
file (the catalogue ORA-BAK-002 reads), cityops names each run with its own tag, then asks RMAN to read every
piece of that tag back (`restore database validate from tag`, `restore archivelog all validate from tag`) and
reads its answer with the reader tested on published RMAN output. Each piece then passes through cityops to the
backup server the job names, hashed on the way and there (files.copy_file), so the ledger's sha256 is cityops'
own. A RAC takes the backup once, on the first node that answers.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from ..inventory.model import Inventory
from ..parsers import ParseError
from ..parsers.rman import RmanReport, report
from ..transport.base import TransportConfig
from ..transport.errors import ConnectFailure
from ..transport.ssh_exec import SshExec
from . import ledger
from .dbrows import oracle_point
from .files import _plausible, _remove_part, copy_file, job_dir, prune
from .jobrun import EXCERPT, Evidence, JobFailed, JobRun, q, run_checked, run_job, ssh_session
from .schedule import Job

PIECES = "/srv/backup/rman"  # RMAN's format on the database host: its own backup disk, before the copy
COMMANDS = {"0": "backup incremental level 0 database", "1": "backup incremental level 1 database",
            "archivelog": "backup archivelog all not backed up 1 times"}
# what RMAN reads back of a run: the data files' set and the control file's (11g takes it with data file 1), or
# the archived logs
VALIDATE = {"0": ("restore database validate", "restore controlfile validate"),
            "1": ("restore database validate", "restore controlfile validate"),
            "archivelog": ("restore archivelog all validate",)}


def validate(level: str, tag: str) -> list[str]:
    return [f"{c} from tag '{tag}'" for c in VALIDATE[level]]


def tag_of(job: Job) -> str:
    """RMAN's tag for one run (30 characters at most, upper case): the run's own, so validation reads its pieces
    and nothing else."""
    level = {"archivelog": "ARCH"}.get(job.level, f"L{job.level}")
    return f"CITYOPS_{level}_{secrets.token_hex(4).upper()}"


def rman_script(*commands: str) -> str:
    """`rman target /` with the commands on a quoted here-document: nothing in them is expanded by the shell. A
    `run { … }` block takes no ';' after it (RMAN-01009 'found ";"' otherwise)."""
    body = "".join(f"{c}\n" if c.endswith("}") else f"{c};\n" for c in commands) + "exit;\n"
    return f"rman target / <<'CITYOPS_RMAN'\n{body}CITYOPS_RMAN"


def _rman(session: SshExec, command: str | list[str], kind: str, evidence: Evidence, timeout: float,
          prefix: str = "") -> RmanReport:
    commands = [command] if isinstance(command, str) else command
    answer = session.run(prefix + rman_script(*commands), timeout=timeout)
    evidence.add(session.name, prefix + "; ".join(commands), answer.exit_status,
                 answer.stdout[-EXCERPT:] + answer.stderr[-EXCERPT:])
    if answer.exit_status == 127 or "command not found" in answer.stderr:
        raise JobFailed(f"{session.name}: 找不到 rman（{answer.stderr.strip()[:EXCERPT]}）")
    try:
        return report(answer.stdout, kind)
    except ParseError as exc:
        raise JobFailed(f"{session.name}: RMAN 的输出无法识别：{exc}") from None


def oracle_prefix(inv: Inventory, host: str) -> str:
    """What goes before sqlplus and rman on the host to be in the oracle user's environment (the inventory's
    `oracle_shell_prefix`, e.g. 'sudo -iu oracle'), with its space."""
    prefix = str(inv.hosts[host].get("oracle_shell_prefix") or "").strip()
    return prefix + " " if prefix else ""


def _node(inv: Inventory, job: Job, config: TransportConfig, deadline: float) -> SshExec:
    """The first node of the database that lets cityops in (a RAC node down is not the backup's failure)."""
    tried = []
    for name in job.hosts or (job.owner,):
        session = ssh_session(inv, name, config, deadline)
        try:
            session.run("true")
            return session
        except ConnectFailure as exc:
            session.close()
            tried.append(str(exc))
    raise JobFailed("；".join(tried) or f"{job.owner}: no node to run RMAN on")


def backup_rman(inv: Inventory, job: Job, config: TransportConfig, reports: Path, *, operator: str,
                max_drop: float = 0.5, host_timeout: float = 8 * 3600.0) -> ledger.RunRecord:
    """Run one RMAN job: back up, validate, copy each piece to the backup server; every step on the ledger."""
    tag = tag_of(job)
    writing = {"final": "", "dst": None}  # the copy under way, taken away if the run fails

    def body(run: JobRun) -> None:
        run.result["tag"] = tag
        node = run.adopt(_node(inv, job, config, run.deadline))
        run.result["node"] = node.name
        prefix = oracle_prefix(inv, node.name)
        done = _rman(node, f"{COMMANDS[job.level]} format '{PIECES}/%d_%T_%U' tag '{tag}'", "backup", run.evidence,
                     host_timeout, prefix)
        if not done.ok:
            raise JobFailed(f"{node.name}: RMAN 备份失败：{'；'.join(done.errors[:4])}")
        pieces = [h for h, t in done.pieces if t.upper() == tag]
        if not pieces:
            raise JobFailed(f"{node.name}: RMAN 报告完成，却没有标记 {tag} 的备份片：{done.pieces[:3]}")
        run.check("RMAN 备份完成", True, f"{len(pieces)} 个备份片，标记 {tag}")
        checked = _rman(node, validate(job.level, tag), "restore", run.evidence, host_timeout, prefix)
        if not checked.ok:
            named = "，".join(f"{p} 的第 {b} 块" for p, b in checked.corrupt) or "；".join(checked.errors[:3])
            raise JobFailed(f"{node.name}: RMAN 校验（restore … validate）失败：{named}")
        unread = sorted(set(pieces) - set(checked.read))
        if unread:
            raise JobFailed(f"{node.name}: RMAN 校验没有读取备份片 {unread[0]}")
        run.check("RMAN 校验（restore … validate）通过", True, f"逐块读取 {len(checked.read)} 个备份片")
        dst = None
        if job.target:
            dst = writing["dst"] = run.ssh(job.target)
            run_checked(dst, f"mkdir -p {q(job_dir(job))}", run.evidence, "准备备份目录")
        stored = []
        for piece in pieces:
            final = writing["final"] = f"{job_dir(job)}/{piece.rsplit('/', 1)[1]}" if dst is not None else ""
            size, sha = copy_file(node, piece, dst, final or piece, run.evidence)
            stored.append({"handle": piece, "bytes": size, "sha256": sha,
                           "stored": f"{job.target}:{final}" if dst is not None else f"{node.name}:{piece}",
                           **({"control": True} if piece in done.control_pieces else {})})
        writing["final"] = ""
        total = sum(p["bytes"] for p in stored)
        run.check("备份片 sha256（cityops 传输中计算" + ("，备份服务器复核一致）" if dst else "）"), True,
                  f"{len(stored)} 个，共 {total} 字节")
        odd = _plausible(job, run.reports, total, max_drop) if job.level == "0" else ""
        run.check("大小与近期备份相称", not odd, odd or f"{total} 字节")
        digest = stored[0]["sha256"] if len(stored) == 1 else hashlib.sha256(
            "".join(f"{p['sha256']}  {p['handle']}\n" for p in stored).encode()).hexdigest()
        run.result.update(pieces=stored, size=total, sha256=digest, files=len(stored), error=odd)
        try:  # the point a drill recovers to and the rows it must find there; the backup stands without it
            run.result["point"] = oracle_point(node, job.tables, run.evidence, tag=tag, level=job.level,
                                               prefix=prefix)
        except (JobFailed, ConnectFailure) as exc:
            run.result.setdefault("warnings", []).append(f"未能记录恢复点与表行数（恢复演练无法核对）：{exc}")

    def on_failure(run: JobRun) -> None:
        if writing["final"]:
            _remove_part(writing["dst"], writing["final"], run.evidence)

    where = f"{job.target}:{job_dir(job)}" if job.target else f"{(job.hosts or (job.owner,))[0]}:{PIECES}"
    return run_job(inv, job, config, reports, operator=operator, host=",".join(job.hosts) or job.owner,
                   location=lambda _run_id: where, body=body, host_timeout=host_timeout, on_failure=on_failure,
                   after=lambda run: run.result.update(pruned_runs=prune(inv, job, config, run.reports, run.evidence)))


def verify_rman(inv: Inventory, job: Job, config: TransportConfig, reports: Path) -> list[tuple]:
    """Check again every RMAN run of the job still kept: RMAN reads its pieces on the node that took them
    (`restore … validate from tag`), and each copy on the backup server is hashed there against the ledger."""
    from .recheck import recheck_runs

    def engine(node: SshExec, run: ledger.RunRecord, evidence: Evidence) -> list[str]:
        checked = _rman(node, validate(job.level, run.tag), "restore", evidence, 3600, oracle_prefix(inv, node.name))
        if checked.ok:
            return []
        if not checked.corrupt and any(e.startswith("ORA-19505") for e in checked.errors):
            # the node's own pieces are gone (RMAN's retention, `delete obsolete`, a rebuilt disk): nothing is
            # damaged; the copies on the backup server, hashed against the ledger, are the backup of record
            evidence.add(node.name, "(note)", "", "本机 RMAN 备份片已不在，以备份服务器副本的 sha256 为准")
            return []
        return ["RMAN 校验失败：" + ("，".join(f"{p} 的第 {b} 块损坏" for p, b in checked.corrupt)
                                   or "；".join(checked.errors[:3]))]

    return recheck_runs(inv, job, config, reports, engine, "RMAN 校验")
