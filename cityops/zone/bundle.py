"""Zone bundles: what a zone's runner hands to the centre — its runs, backup records, ledgers and audit trail —
signed with the zone's key, and their import at the centre.

The estate's networks do not reach each other, so a runner sits in each zone and its evidence travels as a file.
`export` packs what the runner has not sent yet: sealed runs that covered only its zone, the backup ledger's new
lines for its zone's hosts, what its audit segments and schedule ledger gained since the last bundle (whole lines,
each piece with the byte it continues from), and `bundle.json`
listing every member's sha256, the chain head of its audit trail, a sequence number and the sha256 of the bundle
before it; `bundle.sig` is the zone key's ed25519 signature of `bundle.json`.

`import_bundle` at the centre believes nothing in it until it is proven: the signature against the zone's key
committed under keys/zones/, every member against its sha256 (and nothing more or less), the sequence (the next
one, continuing from the last bundle of that zone: a bundle replayed, imported twice or out of order is refused),
every run and ledger line against the centre's inventory (a host of another zone is refused), and the audit
trail and schedule ledger pieces as continuations of what the centre already holds (a gap, an overlap or a
rewritten past is refused). Only then
is it merged: runs into reports/runs and the run register, ledger lines into the backup ledger, the trails under
reports/zones/<zone>/, the bundle itself kept as received, and a line in the imports register.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import socket
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BadInput, one_line
from ..files import write_atomic
from ..hashchain import HashChain
from ..inspect import record
from ..inventory.model import Inventory
from ..timeutil import now
from ..transport import audit
from . import keys

FORMAT = "cityops-zone-bundle/1"
MEMBER_RE = re.compile(r"bundle\.json|bundle\.sig|runs/[A-Za-z0-9][A-Za-z0-9_.-]{0,119}/[A-Za-z0-9_.-]{1,64}"
                       r"|audit/\d{4}-\d{2}\.jsonl|backups/ledger\.jsonl|schedule/ledger\.jsonl")
MAX_MEMBERS = 200_000
MAX_MEMBER_BYTES = 1 << 30
MAX_BUNDLE_BYTES = 8 << 30
TAR_TIME = 1767196800  # 2026-01-01: the same content makes the same archive
IMPORTS = Path("registers") / "imports.jsonl"  # under the centre's reports directory


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bundles_dir(reports: Path) -> Path:
    return Path(reports) / "bundles"


def zone_dir(reports: Path, zone: str) -> Path:
    return Path(reports) / "zones" / keys.zone_name(zone)


def _owners(inv: Inventory, zone: str) -> set[str]:
    """The zone's hosts and the clusters they form: who a backup ledger line may belong to."""
    hosts = {h.name for h in inv.hosts.values() if h.get("zone") == zone}
    return hosts | {f"cluster_{inv.hosts[n].get('cluster')}" for n in hosts if inv.hosts[n].get("cluster")}


# -- export, on the zone's runner ------------------------------------------------------------------------------

@dataclass
class Exported:
    path: Path
    sequence: int
    runs: list[str]
    ledger_lines: int
    sha256: str
    skipped: list[str] = field(default_factory=list)  # runs not for this bundle, with why


def _state_path(reports: Path, zone: str) -> Path:
    return bundles_dir(reports) / f"{zone}.state.json"


def _load_state(reports: Path, zone: str) -> dict:
    try:
        return json.loads(_state_path(reports, zone).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"sequence": 0, "last_sha256": "", "runs": [], "ledger_lines": 0}


def export(reports: Path, inv: Inventory, zone: str, private_dir: Path = keys.PRIVATE_DIR) -> Exported:
    """Pack and sign what the zone has not sent yet (reports/bundles/<zone>-<sequence>.tar)."""
    reports, zone = Path(reports), keys.zone_name(zone)
    key = keys.load_private(zone, private_dir)
    if not any(h.get("zone") == zone for h in inv.hosts.values()):
        raise BadInput(f"zone {zone}: no host of the inventory is in it")
    state = _recover(reports, zone, _load_state(reports, zone))
    files: dict[str, bytes] = {}
    runs, skipped = [], []
    from ..report.runs import scan_runs

    for run in scan_runs(reports / "runs"):  # through the runs' own verification: a run that does not verify stays
        name, manifest = run.run_id, run.manifest
        if name in state["runs"]:
            continue
        verdict = run.verify()
        if verdict not in ("complete", "incomplete"):
            skipped.append(f"{name}: {verdict}（{'；'.join(run.notes) or '未封存'}）")
            continue
        if manifest.get("zones") != [zone]:
            skipped.append(f"{name}: 覆盖的网络区域为 {manifest.get('zones')}，不属于本区域")
            continue
        for f in sorted(run.path.iterdir()):
            if f.is_file() and not f.name.startswith("."):
                files[f"runs/{name}/{f.name}"] = f.read_bytes()
        runs.append(name)
    from ..backup.ledger import register as backup_register

    ledger = backup_register(reports)
    chain = ledger.read(raw=True)
    if chain.problems:
        raise BadInput(f"{ledger.path}: {chain.problems[0]} — the zone's backup records cannot be vouched for")
    owners = _owners(inv, zone)
    new_lines = [line for line, e in zip(chain.lines[state["ledger_lines"]:], chain.entries[state["ledger_lines"]:],
                                         strict=True) if e.get("owner") in owners]
    if new_lines:
        files["backups/ledger.jsonl"] = b"".join(line + b"\n" for line in new_lines)
    head_now = audit.head(reports / "audit")
    trails, sent = {}, dict(state.get("trails") or {})
    for name, path in [*((f"audit/{p.name}", p) for p in audit.segments(reports / "audit")),
                       ("schedule/ledger.jsonl", reports / "schedule" / "ledger.jsonl")]:
        piece, start = _new_bytes(path, sent.get(name, 0), head_now.get("bytes")
                                  if name == f"audit/{head_now.get('segment')}" else None)
        if piece:
            files[name], trails[name] = piece, {"from": start}
            sent[name] = start + len(piece)
    sequence = state["sequence"] + 1
    head = {"format": FORMAT, "zone": zone, "runner": socket.gethostname(), "sequence": sequence,
            "created": now().isoformat(timespec="seconds"), "previous_bundle_sha256": state["last_sha256"],
            "runs": runs, "ledger_lines": len(new_lines), "audit_head": head_now, "trails": trails,
            "files": {n: {"sha256": _sha(d), "bytes": len(d)} for n, d in sorted(files.items())}}
    manifest = (json.dumps(head, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
    signature = key.sign(manifest)
    out = bundles_dir(reports) / f"{zone}-{sequence:06d}.tar"
    data = _tar({"bundle.json": manifest, "bundle.sig": signature, **dict(sorted(files.items()))})
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, data, 0o644)
    digest = _sha(data)
    state.update(sequence=sequence, last_sha256=digest, runs=[*state["runs"], *runs],
                 ledger_lines=len(chain.entries), trails=sent)
    write_atomic(_state_path(reports, zone), json.dumps(state, indent=1).encode(), 0o644)
    return Exported(out, sequence, runs, len(new_lines), digest, skipped)


def _recover(reports: Path, zone: str, state: dict) -> dict:
    """A bundle written but not yet noted in the state (killed in between) is adopted, never made twice."""
    nxt = bundles_dir(reports) / f"{zone}-{state['sequence'] + 1:06d}.tar"
    if not nxt.is_file():
        return state
    data = nxt.read_bytes()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        head = json.loads(tar.extractfile("bundle.json").read())
    trails = dict(state.get("trails") or {})
    for name, piece in (head.get("trails") or {}).items():
        trails[name] = int(piece["from"]) + int(head["files"][name]["bytes"])
    return {**state, "sequence": head["sequence"], "last_sha256": _sha(data), "runs": [*state["runs"], *head["runs"]],
            "ledger_lines": state["ledger_lines"], "trails": trails}  # its ledger lines go again: the centre skips
    # the ones it holds


def _new_bytes(path: Path, start: int, end: int | None) -> tuple[bytes, int]:
    """The whole lines of a trail written since `start` (up to `end`, the audit head, when given); refuses a trail
    shorter than what was already sent — the runner's own record was cut back."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return b"", start
    if size < start:
        raise BadInput(f"{path}: {size} bytes, less than the {start} already sent to the centre (the trail was cut "
                       f"back on the runner)")
    with open(path, "rb") as fh:
        fh.seek(start)
        piece = fh.read((end if end is not None else size) - start)
    return piece[:piece.rfind(b"\n") + 1], start  # a line being written now goes in the next bundle


def _tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), TAR_TIME, 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


# -- import, at the centre -------------------------------------------------------------------------------------

@dataclass
class Imported:
    zone: str
    sequence: int
    runs: list[str]
    ledger_lines: int
    sha256: str


def imports(reports: Path) -> HashChain:
    return HashChain(Path(reports) / IMPORTS, "区域证据导入登记簿")


def _read(path: Path) -> tuple[bytes, dict[str, bytes]]:
    """The bundle's bytes and members, bounded and checked for shape before anything in it is believed."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise BadInput(f"{path}: no such bundle") from None
    if size > MAX_BUNDLE_BYTES:
        raise BadInput(f"{path}: {size} bytes, more than a bundle may hold ({MAX_BUNDLE_BYTES})")
    data = path.read_bytes()
    members: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for n, info in enumerate(tar):
                if n >= MAX_MEMBERS:
                    raise BadInput(f"{path}: more than {MAX_MEMBERS} members")
                if not info.isfile() or not MEMBER_RE.fullmatch(info.name) or info.name in members:
                    raise BadInput(f"{path}: member '{one_line(info.name, 80)}' is not one a bundle holds")
                if info.size > MAX_MEMBER_BYTES:
                    raise BadInput(f"{path}: member {info.name} is {info.size} bytes")
                members[info.name] = tar.extractfile(info).read()
    except (tarfile.TarError, EOFError) as exc:
        raise BadInput(f"{path}: not a readable bundle ({exc})") from None
    return data, members


def import_bundle(reports: Path, path: Path, inv: Inventory, public_dir: Path = keys.PUBLIC_DIR) -> Imported:
    """Verify a zone's bundle completely, then merge it; any doubt refuses the whole bundle, naming the cause."""
    reports, path = Path(reports), Path(path)
    data, members = _read(path)
    where = path.name
    if "bundle.json" not in members or "bundle.sig" not in members:
        raise BadInput(f"{where}: bundle.json or bundle.sig missing")
    try:
        head = json.loads(members["bundle.json"])
        zone, sequence = keys.zone_name(head["zone"]), int(head["sequence"])
        listed = head["files"]
        if head["format"] != FORMAT or not isinstance(listed, dict) or not isinstance(head["runs"], list):
            raise ValueError("not this format")
    except (ValueError, KeyError, TypeError):
        raise BadInput(f"{where}: bundle.json is not a {FORMAT} manifest") from None
    if not keys.verify(keys.load_public(zone, public_dir), members["bundle.sig"], members["bundle.json"]):
        raise BadInput(f"{where}: 签名不符——内容被改动，或不是区域 {zone} 的密钥签发")
    files = {n: d for n, d in members.items() if n not in ("bundle.json", "bundle.sig")}
    if set(files) != set(listed):
        extra, missing = sorted(set(files) - set(listed)), sorted(set(listed) - set(files))
        raise BadInput(f"{where}: 内容与清单不符（多出 {extra[:3]}，缺少 {missing[:3]}）")
    for name, d in files.items():
        if _sha(d) != listed[name].get("sha256"):
            raise BadInput(f"{where}: {name} 的 sha256 与签名清单不符（被改动）")
    digest = _sha(data)
    done = imports(reports).read()
    if done.problems:
        raise BadInput(f"{imports(reports).path}: {done.problems[0]}; fix the centre's register before importing")
    mine = [e for e in done.entries if e.get("zone") == zone]
    if any(e.get("sha256") == digest for e in done.entries):
        raise BadInput(f"{where}: 重复导入——该证据包已于此前导入")
    last = mine[-1] if mine else {"sequence": 0, "sha256": ""}
    if sequence <= int(last["sequence"]):
        raise BadInput(f"{where}: 重放——区域 {zone} 第 {sequence} 批已导入（最新为第 {last['sequence']} 批）")
    if sequence != int(last["sequence"]) + 1 or head.get("previous_bundle_sha256") != last["sha256"]:
        raise BadInput(f"{where}: 区域 {zone} 第 {sequence} 批不接续已导入的第 {last['sequence']} 批"
                       f"（缺少中间的证据包，或来自另一条链）")
    runs = _check_zone(where, zone, files, head, inv)
    for run_id, run_files in runs.items():
        here = reports / "runs" / run_id / "manifest.json"
        if here.exists() and _sha(here.read_bytes()) != _sha(run_files["manifest.json"]):
            raise BadInput(f"{where}: 运行 {run_id} 在中心已存在且内容不同（重复或冲突的运行编号）")
    trails = _check_trails(where, reports, zone, files, head)
    ledger_entries = _check_ledger(where, zone, files, inv)
    # every check passed: merge
    kept = zone_dir(reports, zone) / "bundles" / path.name
    kept.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(kept, data, 0o644)
    register = record.run_register(reports / "runs")
    for run_id, run_files in runs.items():
        dest = reports / "runs" / run_id
        if dest.exists():
            continue  # the same run, from this bundle's earlier interrupted import (checked identical above)
        tmp = reports / "runs" / f".import-{run_id}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for fname, d in run_files.items():
            (tmp / fname).write_bytes(d)
        tmp.rename(dest)
        manifest = json.loads(run_files["manifest.json"])
        register.append({"run_id": run_id, "status": manifest.get("status"), "ended": manifest.get("ended"),
                         "manifest_sha256": _sha(run_files["manifest.json"]), "zone": zone, "bundle": digest})
    from ..backup.ledger import register as backup_register

    ledger = backup_register(reports)
    held = {(e.get("bundle"), e.get("bundle_line")) for e in ledger.read().entries if e.get("bundle")}
    for n, entry in enumerate(ledger_entries, 1):
        if (digest, n) not in held:
            ledger.append({**{k: v for k, v in entry.items() if k != "previous_line_sha256"}, "zone": zone,
                           "bundle": digest, "bundle_line": n, "zone_link": entry.get("previous_line_sha256", "")})
    for name, d in trails.items():
        write_atomic(zone_dir(reports, zone) / name, d, 0o644)
    imports(reports).append({"zone": zone, "sequence": sequence, "sha256": digest, "runner": head.get("runner"),
                             "created": head.get("created"), "imported_at": now().isoformat(timespec="seconds"),
                             "runs": list(runs), "ledger_lines": len(ledger_entries),
                             "audit_head": head.get("audit_head") or {}, "file": str(kept.relative_to(reports))})
    return Imported(zone, sequence, list(runs), len(ledger_entries), digest)


def _check_zone(where: str, zone: str, files: dict[str, bytes], head: dict, inv: Inventory) -> dict[str, dict]:
    """The bundle's runs, each proven to be of the zone's hosts alone."""
    runs: dict[str, dict[str, bytes]] = {}
    for name, d in files.items():
        if name.startswith("runs/"):
            _, run_id, fname = name.split("/")
            runs.setdefault(run_id, {})[fname] = d
    if sorted(runs) != sorted(head["runs"]):
        raise BadInput(f"{where}: 清单所列的运行与包内不符")
    for run_id, run_files in runs.items():
        try:
            manifest = json.loads(run_files["manifest.json"])
        except (KeyError, ValueError):
            raise BadInput(f"{where}: 运行 {run_id} 缺少可读的 manifest.json") from None
        if manifest.get("run_id") != run_id or manifest.get("zones") != [zone]:
            raise BadInput(f"{where}: 运行 {run_id} 的网络区域为 {manifest.get('zones')}，不属于区域 {zone}")
        for fname, d in run_files.items():
            if fname != "manifest.json" and (manifest.get("files") or {}).get(fname) != _sha(d):
                raise BadInput(f"{where}: 运行 {run_id} 的 {fname} 与其清单不符")
        for line in run_files.get("results.jsonl", b"").splitlines():
            row = record.parse_result_line(line)
            host = inv.hosts.get(str((row or {}).get("host", "")))
            if row is None or host is None or host.get("zone") != zone:
                name_ = (row or {}).get("host", "?")
                raise BadInput(f"{where}: 运行 {run_id} 含区域 {zone} 以外的设备 {one_line(str(name_), 60)}（越区内容）")
    return runs


def _check_trails(where: str, reports: Path, zone: str, files: dict[str, bytes], head: dict) -> dict[str, bytes]:
    """The zone's audit segments and schedule ledger: each piece must start where the centre's copy ends, and the
    joined trail must verify. Returns each trail as it will stand."""
    pieces = {n: d for n, d in files.items() if n.startswith(("audit/", "schedule/"))}
    starts = head.get("trails") or {}
    if set(starts) != set(pieces):
        raise BadInput(f"{where}: 清单所列的审计与计划任务记录片段与包内不符")
    staged = reports / "zones" / ".staging" / zone
    shutil.rmtree(staged, ignore_errors=True)
    out = {}
    for name, d in pieces.items():
        old_path = zone_dir(reports, zone) / name
        old = old_path.read_bytes() if old_path.exists() else b""
        start = starts[name].get("from") if isinstance(starts[name], dict) else None
        if start != len(old):
            raise BadInput(f"{where}: {name} 从第 {start} 字节续接，中心已保存 {len(old)} 字节（缺少或重叠的记录）")
        out[name] = old + d
    held = {f"audit/{p.name}": p for p in audit.segments(zone_dir(reports, zone) / "audit")}
    for name in sorted(set(held) | set(out)):  # the months before stand beside the new, for the chain across them
        (staged / name).parent.mkdir(parents=True, exist_ok=True)
        (staged / name).write_bytes(out[name] if name in out else held[name].read_bytes())
    try:
        verdict = audit.verify(staged / "audit")
        if not verdict.ok:
            raise BadInput(f"{where}: 审计日志未通过校验：{verdict.problems[0]}")
        if (staged / "schedule" / "ledger.jsonl").exists():
            problems = HashChain(staged / "schedule" / "ledger.jsonl").read().problems
            if problems:
                raise BadInput(f"{where}: 计划任务记录未通过校验：{problems[0]}")
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return out


def _check_ledger(where: str, zone: str, files: dict[str, bytes], inv: Inventory) -> list[dict]:
    owners = _owners(inv, zone)
    entries = []
    for n, line in enumerate(files.get("backups/ledger.jsonl", b"").splitlines(), 1):
        try:
            e = json.loads(line)
            if not isinstance(e, dict):
                raise ValueError("not an object")
        except ValueError:
            raise BadInput(f"{where}: backups/ledger.jsonl 第 {n} 行不是有效记录") from None
        if e.get("owner") not in owners:
            raise BadInput(f"{where}: 备份记录第 {n} 行属于 {one_line(str(e.get('owner')), 60)}，不在区域 {zone}（越区内容）")
        entries.append(e)
    return entries
