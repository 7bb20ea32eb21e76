"""Evidence packs: a lot's reports, raw results and run manifests in one ZIP, hashed, and registered.

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

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..inventory.model import Inventory
from ..timeutil import now
from .build import make_report, new_directory
from .runs import Period, find_runs

MANIFEST = "MANIFEST.json"
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


def _register_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def append_register(path: Path, entry: dict) -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = _register_lines(path)
    entry = {**entry, "previous_line_sha256": sha256(lines[-1].encode()) if lines else ""}
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


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


def pack(reports: Path, inv: Inventory | None, lot: str, period: Period) -> Pack:
    runs = find_runs(reports / "runs", lot=lot, period=period)  # results filtered to the lot
    out_dir = new_directory(reports / "evidence", f"lot{lot}-{period.label}-{now().strftime('%Y%m%dT%H%M%S')}")
    with tempfile.TemporaryDirectory(dir=out_dir) as staging:  # the lot's share of each run, on disk, not in memory
        stage = Path(staging)
        raw: dict[str, str] = {}
        for run in runs:
            target = stage / "runs" / run.run_id
            target.mkdir(parents=True)
            digest, hosts = hashlib.sha256(), set()
            with (target / "results.jsonl").open("wb") as f:
                for r in run.stream():
                    line = (json.dumps(r, ensure_ascii=False, default=str) + "\n").encode()
                    f.write(line)
                    digest.update(line)
                    hosts.add(r["host"])
            manifest = dict(run.manifest)
            manifest["hosts_without_checks"] = [h for h in manifest.get("hosts_without_checks", []) if h in hosts]
            manifest["filtered_for_lot"] = lot
            manifest["source_files"] = manifest.pop("files", {})
            body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            (target / "manifest.json").write_bytes(body)
            raw[f"runs/{run.run_id}/results.jsonl"] = digest.hexdigest()
            raw[f"runs/{run.run_id}/manifest.json"] = sha256(body)
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
                    "runs": [r.run_id for r in runs]}
        path = out_dir / f"evidence-lot{lot}-{period.label}.zip"
        with zipfile.ZipFile(path, "x", zipfile.ZIP_DEFLATED) as z:
            for name in sorted(members):
                with members[name].open("rb") as src, z.open(member(name), "w") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            z.writestr(member(MANIFEST), json.dumps(manifest, ensure_ascii=False, indent=1))
    append_register(register_path(reports), {
        "pack": path.name, "lot": lot, "period": period.label, "created": manifest["created"], "root_hash": root,
        "manifest_sha256": sha256(json.dumps(manifest, ensure_ascii=False, indent=1).encode()),
        "archive_sha256": sha256(path.read_bytes()), "files": files})
    return Pack(path, root, files, made.directory)


@dataclass
class Verdict:
    ok: bool
    problems: list[str]  # Chinese, one per finding, each naming the file


def verify(pack_path: Path, reports: Path) -> Verdict:
    problems: list[str] = []
    raw_manifest = None
    actual: dict[str, str] = {}
    try:
        with zipfile.ZipFile(pack_path) as z:  # hashed member by member: a pack of a month is not read whole
            for info in z.infolist():
                if info.is_dir():
                    continue
                if info.filename == MANIFEST:
                    raw_manifest = z.read(info)
                    continue
                digest = hashlib.sha256()
                with z.open(info) as f:
                    while chunk := f.read(1 << 20):
                        digest.update(chunk)
                actual[info.filename] = digest.hexdigest()
    except (zipfile.BadZipFile, FileNotFoundError) as exc:
        return Verdict(False, [f"{pack_path}: 不是可读的证据包（{exc}）"])
    lines = _register_lines(register_path(reports))
    register: list[dict] = []
    for i, line in enumerate(lines):
        try:
            register.append(json.loads(line))
        except json.JSONDecodeError:
            register.append({})
            problems.append(f"登记簿第 {i + 1} 行不是有效记录（被改动）")
        if i and register[i] and register[i].get("previous_line_sha256") != sha256(lines[i - 1].encode()):
            problems.append(f"登记簿第 {i + 1} 行之前的记录被改动（哈希链断开）")
    entry = next((e for e in reversed(register) if e.get("pack") == pack_path.name), None)
    if entry is None:
        problems.append(f"{pack_path.name}: 登记簿中没有该证据包")
        expected = json.loads(raw_manifest)["files"] if raw_manifest else {}
    else:
        expected = entry["files"]
        if raw_manifest is None:
            problems.append(f"{MANIFEST}: 已被删除")
        elif sha256(raw_manifest) != entry["manifest_sha256"]:
            problems.append(f"{MANIFEST}: 与登记时不一致（清单被改写）")
        raw_now = {p: h for p, h in actual.items() if p.startswith("runs/")}
        if root_of(raw_now) != entry["root_hash"]:
            problems.append(f"原始记录的根哈希与登记不符（登记 {entry['root_hash'][:16]}…，报告封面印有该值）")
    for p in sorted(set(expected) | set(actual)):
        if p not in actual:
            problems.append(f"{p}: 已被删除")
        elif p not in expected:
            problems.append(f"{p}: 登记后新增的文件")
        elif actual[p] != expected[p]:
            problems.append(f"{p}: 内容已被修改（SHA-256 {actual[p][:16]}…，登记为 {expected[p][:16]}…）")
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

