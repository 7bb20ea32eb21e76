"""Evidence packs: a lot's reports, raw results and run manifests (inspections and configuration backups) and its
lines of the backup ledger (database and file backups, drills) and its change records (变更记录) in one ZIP,
hashed, and registered.

A pack holds only the lot's own results (a run that also inspected other bureaus'
hosts is filtered, and its manifest says so). MANIFEST.json lists every file's
sha256; the root hash — sha256 over the sorted `path  sha256` lines of the raw
evidence (results and manifests) — is printed on the reports' covers. Each pack is
appended to reports/evidence/register.jsonl with its full file list, and each
register line carries the sha256 of the line before it, so the register itself
cannot be edited quietly. `verify` re-hashes a pack and compares it with the
register, not only with its own manifest: a manifest rewritten to match an edited
file is caught too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..backup.ledger import lot_lines
from ..change.record import lot_changes
from ..hashchain import HashChain
from ..inspect.record import sha256_file
from ..inventory.model import Inventory
from ..timeutil import BEIJING, now
from .build import make_report, report_directory
from .runs import Period, ReportError, Run, find_runs, scan_runs

MANIFEST = "MANIFEST.json"
RAW_FOLDERS = ("runs/", "backups/")  # the raw records the root hash covers: inspection runs, configuration backups,
# the backup ledger's lines of the lot (database and file backups, drills, manual entries)
ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # fixed member times: the same content makes the same archive


def member(name: str) -> zipfile.ZipInfo:
    """A member with a fixed time and compressed (a ZipInfo alone would be stored uncompressed)."""
    info = zipfile.ZipInfo(name, ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def root_of(files: dict[str, str]) -> str:
    return sha256("".join(f"{p}  {h}\n" for p, h in sorted(files.items())).encode())


def register_path(reports: Path) -> Path:
    return reports / "evidence" / "register.jsonl"


def register(reports: Path) -> HashChain:
    return HashChain(register_path(reports), "登记簿")


@dataclass
class Pack:
    path: Path
    root_hash: str
    files: dict[str, str]
    report_dir: Path


def periodic_document(period: Period):
    """The document the period's paperwork adds to the inspection report: ledger, analysis or yearly summary."""
    if period.kind == "month":
        from .ledger import make_ledger
        return make_ledger
    if period.kind == "quarter":
        from .analysis import make_analysis
        return make_analysis
    if period.kind == "year":
        from .yearly import make_yearly
        return make_yearly
    return None


def stage_run(run: Run, target: Path, lot: str) -> tuple[str, bytes]:
    """The lot's share of one run (inspection or backup) written under `target`: (sha256 of its results, the
    manifest's bytes), the manifest saying it was filtered and how the run verified."""
    target.mkdir(parents=True)
    digest, hosts = hashlib.sha256(), set()
    with (target / "results.jsonl").open("wb") as f:
        for r in run.stream():
            line = (json.dumps(r, ensure_ascii=False, default=str) + "\n").encode()
            f.write(line)
            digest.update(line)
            hosts.add(r["host"])
    manifest = dict(run.manifest)
    if "hosts_without_checks" in manifest:
        manifest["hosts_without_checks"] = [h for h in manifest["hosts_without_checks"] if h in hosts]
    manifest["filtered_for_lot"] = lot
    manifest["source_files"] = manifest.pop("files", {})
    manifest["integrity"] = {"state": run.state, "notes": run.notes}
    body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
    (target / "manifest.json").write_bytes(body)
    return digest.hexdigest(), body


def pack(reports: Path, inv: Inventory | None, lot: str, period: Period) -> Pack:
    runs = find_runs(reports / "runs", lot=lot, period=period)  # results filtered to the lot
    backups = [r for r in scan_runs(reports / "backups", period.start, period.end)  # the lot's configuration backups
               if lot in r.manifest.get("lots", [])]
    for r in backups:
        r.lot = lot
    doubtful = [f"{r.run_id}（{r.label}）" for r in runs + backups
                if r.verify() in ("tampered", "unverified", "running")]
    owners = {h.name for h in (inv.hosts.values() if inv else []) if lot in h.lots}
    owners |= {f"cluster_{inv.hosts[n].get('cluster')}" for n in owners if inv and inv.hosts[n].get("cluster")}
    start = dt.datetime.combine(period.start, dt.time(), tzinfo=BEIJING)
    ledger_bytes, ledger_problems = lot_lines(reports, owners, start,
                                              dt.datetime.combine(period.end, dt.time(), tzinfo=BEIJING))
    doubtful += [f"备份记录登记簿：{p}" for p in ledger_problems]
    change_files, change_problems = lot_changes(reports, lot, start,
                                                dt.datetime.combine(period.end, dt.time(), tzinfo=BEIJING))
    doubtful += change_problems
    if doubtful:  # sealing is vouching: a run that cannot be verified, or is still being written, is not sealed
        raise ReportError(f"evidence pack of lot {lot} {period.label} refused: {len(doubtful)} run(s) cannot be sealed: "
                          + "；".join(doubtful[:5]))
    with report_directory(reports / "evidence", f"lot{lot}-{period.label}-{now().strftime('%Y%m%dT%H%M%S')}") as box, \
            tempfile.TemporaryDirectory(dir=box.path) as staging:  # the lot's share of each run, on disk
        out_dir = box.path
        stage = Path(staging)
        raw: dict[str, str] = {}
        for folder, kind in (("runs", runs), ("backups", backups)):
            for run in kind:
                digest, body = stage_run(run, stage / folder / run.run_id, lot)
                raw[f"{folder}/{run.run_id}/results.jsonl"] = digest
                raw[f"{folder}/{run.run_id}/manifest.json"] = sha256(body)
        if ledger_bytes:  # the lot's database and file backups and drills: the ledger's own lines
            name = f"backups/ledger-lot{lot}.jsonl"
            (stage / "backups").mkdir(parents=True, exist_ok=True)
            (stage / name).write_bytes(ledger_bytes)
            raw[name] = sha256(ledger_bytes)
        for name, data in change_files.items():  # the lot's change records (变更记录) of the period
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            (stage / name).write_bytes(data)
            raw[name] = sha256(data)
        root = root_of(raw)
        made = make_report(reports, inv, lot=lot, period=period, root_hash=root, runs=runs)
        documents = [made.html, made.xlsx, made.docx]
        periodic = periodic_document(period)
        if periodic is not None and inv is not None:  # the month's 运维台账, the quarter's analysis, the year's summary
            extra = periodic(reports, inv, lot, period, root_hash=root)
            documents += [extra.xlsx, extra.docx]
        members = {name: stage / name for name in raw}
        for f in documents:
            members[f"reports/{f.name}"] = f
        files = {**raw, **{name: sha256(src.read_bytes()) for name, src in members.items() if name not in raw}}
        manifest = {"lot": lot, "period": period.label, "created": now().isoformat(timespec="seconds"),
                    "root_hash": root, "root_covers": sorted(raw), "files": files,
                    "runs": [r.run_id for r in runs], "backups": [r.run_id for r in backups]}
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
        path = out_dir / f"evidence-lot{lot}-{period.label}.zip"
        with zipfile.ZipFile(path, "x", zipfile.ZIP_DEFLATED) as z:
            for name in sorted(members):
                with members[name].open("rb") as src, z.open(member(name), "w") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            z.writestr(member(MANIFEST), manifest_bytes)
        box.result = Pack(path, root, files, made.directory)
    sealed = box.result  # its path now in the published directory
    register(reports).append({
        "pack": sealed.path.name, "lot": lot, "period": period.label, "created": manifest["created"],
        "root_hash": root, "manifest_sha256": sha256(manifest_bytes), "archive_sha256": sha256_file(sealed.path),
        "files": files})
    return sealed


@dataclass
class Verdict:
    ok: bool
    problems: list[str]  # Chinese, one per finding, each naming the file


UNREADABLE_MEMBER = (RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)


def _member_hash(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    """sha256 of one member, streamed; an encrypted member or one of an unknown method says so, by name."""
    if info.flag_bits & 0x1:
        raise ValueError("加密成员，无法校验")
    digest = hashlib.sha256()
    with z.open(info) as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _manifest_files(raw: bytes | None) -> tuple[dict, str]:
    """MANIFEST.json's file list, or ({} and why it cannot be read)."""
    if raw is None:
        return {}, ""
    try:
        files = json.loads(raw)["files"]
        if isinstance(files, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
            return files, ""
    except (ValueError, KeyError, TypeError):
        pass
    return {}, f"{MANIFEST}: 不是有效的清单（无法读取文件列表）"


def verify(pack_path: Path, reports: Path) -> Verdict:
    problems: list[str] = []
    raw_manifest = None
    actual: dict[str, str] = {}
    try:
        with zipfile.ZipFile(pack_path) as z:  # hashed member by member: a pack of a month is not read whole
            for info in z.infolist():
                if info.is_dir():
                    continue
                try:
                    if info.filename == MANIFEST:
                        if info.file_size > 64 * 1024 * 1024:
                            raise ValueError("清单过大")
                        raw_manifest = z.read(info)
                        continue
                    actual[info.filename] = _member_hash(z, info)
                except UNREADABLE_MEMBER as exc:
                    problems.append(f"{info.filename}: 无法读取（{exc}）")
                    actual[info.filename] = "unreadable"
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return Verdict(False, [f"{pack_path}: 不是可读的证据包（{exc}）"])
    chain = register(reports).read()
    problems += chain.problems
    entry = next((e for e in reversed(chain.entries) if e.get("pack") == pack_path.name), None)
    own_files, broken = _manifest_files(raw_manifest)
    if broken:
        problems.append(broken)
    if entry is None or not isinstance(entry.get("files"), dict):
        problems.append(f"{pack_path.name}: 登记簿中没有该证据包")
        expected = own_files
    else:
        expected = entry["files"]
        if raw_manifest is None:
            problems.append(f"{MANIFEST}: 已被删除")
        elif sha256(raw_manifest) != entry.get("manifest_sha256"):
            problems.append(f"{MANIFEST}: 与登记时不一致（清单被改写）")
        raw_now = {p: h for p, h in actual.items() if p.startswith(RAW_FOLDERS)}
        if root_of(raw_now) != entry.get("root_hash"):
            problems.append(f"原始记录的根哈希与登记不符（登记 {str(entry.get('root_hash'))[:16]}…，报告封面印有该值）")
    for p in sorted(set(expected) | set(actual)):
        if p not in actual:
            problems.append(f"{p}: 已被删除")
        elif p not in expected:
            problems.append(f"{p}: 登记后新增的文件")
        elif actual[p] != expected[p] and actual[p] != "unreadable":
            problems.append(f"{p}: 内容已被修改（SHA-256 {actual[p][:16]}…，登记为 {str(expected[p])[:16]}…）")
    return Verdict(not problems, problems)


def read_member(pack_path: Path, name: str) -> bytes:
    with zipfile.ZipFile(pack_path) as z:
        return z.read(name)


def rewrite(pack_path: Path, changes: dict[str, bytes | None], out: Path) -> None:
    """A copy of a pack with members replaced, added or (None) removed: what tampering looks like, for drills."""
    with zipfile.ZipFile(pack_path) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
        names = {i.filename for i in z.infolist()}
        for name in sorted(names | set(changes)):
            data = changes.get(name, z.read(name) if name in names else None)
            if data is not None:
                w.writestr(member(name), data)

