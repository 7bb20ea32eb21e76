"""Zone runners' evidence: a runner inspects its zone of the lab, records a backup, exports a signed bundle; the
centre imports it and its reports and ledger see the runs — and refuses a bundle with one byte altered, one
imported twice or out of order, and one carrying another zone's hosts."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from cityops.errors import BadInput
from cityops.zone import bundle, keys

from .conftest import BIN, REPO, run_invoke

ZONE = "gov_extranet"


@pytest.fixture
def zone_keys(tmp_path) -> tuple[Path, Path]:
    private, public = tmp_path / "secrets", tmp_path / "public"
    out = run_invoke("evidence.keygen", "--zone", ZONE, "--keys", str(private), "--public-keys", str(public))
    assert out.returncode == 0, out.stderr
    assert (private / f"{ZONE}.key").stat().st_mode & 0o777 == 0o600
    assert (public / f"{ZONE}.pub").read_text().startswith("ed25519 ")
    again = run_invoke("evidence.keygen", "--zone", ZONE, "--keys", str(private), "--public-keys", str(public))
    assert again.returncode == 4 and "already has a key" in again.stderr
    return private, public


def inspect(lab, reports: Path, hosts: str) -> None:
    import subprocess

    out = subprocess.run([str(BIN / "invoke"), "inspect", "--inventory", str(lab[0].root), "--lab", str(lab[1].path),
                          "--reports", str(reports), "--host", hosts, "--cadence", "daily"], cwd=REPO,
                         capture_output=True, text=True)
    assert out.returncode in (0, 1), out.stderr


def export(lab, runner: Path, private: Path) -> Path:
    out = run_invoke("evidence.export", "--zone", ZONE, "--inventory", str(lab[0].root), "--reports", str(runner),
                     "--keys", str(private))
    assert out.returncode == 0, out.stderr
    return Path(out.stdout.split(" → ")[1].split(" (sha256")[0])


def import_(lab, centre: Path, public: Path, path: Path):
    return run_invoke("evidence.import", "--bundle", str(path), "--inventory", str(lab[0].root), "--reports",
                      str(centre), "--keys", str(public))


def test_a_runner_bundle_is_imported_once_in_order_and_the_centre_sees_its_runs(lab, zone_keys, tmp_path):
    private, public = zone_keys
    runner, centre = tmp_path / "runner", tmp_path / "centre"
    inspect(lab, runner, "lab-linux-app,lab-vrp-core")
    recorded = run_invoke("backup.record", "--host", "lab-linux-app", "--job", "offline_copy", "--time",
                          "2026-12-01 10:00", "--operator", "张工", "--note", "两套硬盘已异地存放", "--reports",
                          str(runner), "--inventory", str(lab[0].root))
    assert recorded.returncode == 0, recorded.stderr
    first = export(lab, runner, private)
    got = import_(lab, centre, public, first)
    assert got.returncode == 0, got.stderr
    assert "1 runs, 1 backup ledger lines imported" in got.stdout
    (run_id,) = [p.name for p in (centre / "runs").iterdir()]
    # the centre's reports and ledger see the zone's work as their own
    made = run_invoke("report", "--run", run_id, "--reports", str(centre), "--inventory", str(lab[0].root))
    assert made.returncode == 0 and "results of 1 runs" in made.stdout, made.stdout + made.stderr
    from cityops.backup.ledger import entries as ledger_entries

    held, problems = ledger_entries(centre)
    assert problems == [] and [(e.owner, e.job, e.operator) for e in held] == [("lab-linux-app", "offline_copy", "张工")]
    verified = run_invoke("audit.verify", "--reports", str(centre))
    assert verified.returncode == 0 and f"区域 {ZONE} 的审计日志" in verified.stdout, verified.stdout
    # imported twice: refused
    twice = import_(lab, centre, public, first)
    assert twice.returncode == 4 and "重复导入" in twice.stderr
    # the runner's next two bundles: the third before the second is refused, then both go in order
    inspect(lab, runner, "lab-rac1")
    second = export(lab, runner, private)
    inspect(lab, runner, "lab-linux-ora")
    third = export(lab, runner, private)
    early = import_(lab, centre, public, third)
    assert early.returncode == 4 and "不接续" in early.stderr
    assert import_(lab, centre, public, second).returncode == 0
    assert import_(lab, centre, public, third).returncode == 0
    with tarfile.open(third) as tar:  # a bundle carries what the trail gained since the last, not the whole month
        head = json.loads(tar.extractfile("bundle.json").read())
    (segment, piece), = [(n, t) for n, t in head["trails"].items() if n.startswith("audit/")]
    assert piece["from"] > 0 and head["files"][segment]["bytes"] < (runner / segment).stat().st_size
    assert (centre / "zones" / ZONE / segment).read_bytes() == (runner / segment).read_bytes()  # joined whole
    replayed = tmp_path / "again.tar"
    shutil.copy(second, replayed)  # an old bundle replayed under another name
    late = import_(lab, centre, public, replayed)
    assert late.returncode == 4 and "重复导入" in late.stderr
    assert len(list((centre / "runs").iterdir())) == 3
    nothing = export(lab, runner, private)  # nothing new: an empty bundle still carries the trail's head
    assert import_(lab, centre, public, nothing).returncode == 0


def altered(path: Path, tmp_path: Path, member: str, change) -> Path:
    """The bundle with one member's bytes changed, everything else (signature included) kept."""
    with tarfile.open(path) as tar:
        members = {i.name: tar.extractfile(i).read() for i in tar}
    members[member] = change(members[member])
    out = tmp_path / f"altered-{member.replace('/', '_')}.tar"
    out.write_bytes(bundle._tar(members))
    return out


def test_one_altered_byte_or_another_zones_host_refuses_the_whole_bundle(lab, zone_keys, tmp_path):
    private, public = zone_keys
    runner, centre = tmp_path / "runner", tmp_path / "centre"
    inspect(lab, runner, "lab-linux-app")
    good = export(lab, runner, private)
    with tarfile.open(good) as tar:
        results = next(n for n in tar.getnames() if n.endswith("results.jsonl"))

    def flip(data: bytes) -> bytes:  # one bit of one byte in the middle
        i = len(data) // 2
        return data[:i] + bytes([data[i] ^ 1]) + data[i + 1:]

    for member, cause in ((results, "sha256 与签名清单不符"), ("bundle.json", "签名不符")):
        bad = import_(lab, centre, public, altered(good, tmp_path, member, flip))
        assert bad.returncode == 4 and cause in bad.stderr, bad.stderr
    assert not (centre / "runs").exists() or not any((centre / "runs").iterdir())  # nothing merged
    # a bundle signed by another zone's key claiming its run: refused, whoever signed it
    other_private, other_public = tmp_path / "o-secrets", tmp_path / "o-public"
    keys.generate("video", other_private, other_public)
    with tarfile.open(good) as tar:
        members = {i.name: tar.extractfile(i).read() for i in tar}
    head = json.loads(members["bundle.json"])
    for claimed_zones, cause in (([ZONE], "不属于区域 video"), (["video"], "越区内容")):
        run_id = head["runs"][0]
        manifest = json.loads(members[f"runs/{run_id}/manifest.json"])
        forged = {**members, f"runs/{run_id}/manifest.json": json.dumps({**manifest, "zones": claimed_zones}).encode()}
        files = {n: d for n, d in forged.items() if n not in ("bundle.json", "bundle.sig")}
        new_head = {**head, "zone": "video",
                    "files": {n: {"sha256": bundle._sha(d), "bytes": len(d)} for n, d in files.items()}}
        body = json.dumps(new_head).encode()
        signed = {"bundle.json": body, "bundle.sig": keys.load_private("video", other_private).sign(body), **files}
        path = tmp_path / f"video-{claimed_zones[0]}.tar"
        path.write_bytes(bundle._tar(signed))
        out = import_(lab, centre, other_public, path)
        assert out.returncode == 4 and cause in out.stderr, out.stderr
    # a member outside a bundle's layout is refused before anything is read
    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w") as tar:
        info = tarfile.TarInfo("../../etc/cron.d/x")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    (tmp_path / "evil.tar").write_bytes(evil.getvalue())
    with pytest.raises(BadInput, match="is not one a bundle holds"):
        bundle.import_bundle(centre, tmp_path / "evil.tar", lab[0], public)
    assert import_(lab, centre, public, good).returncode == 0  # the genuine one still goes in
