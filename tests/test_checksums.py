"""The sha256sum readers on published output (tests/fixtures/published/SOURCES.md), and cityops' manifests
against this machine's own GNU sha256sum: what cityops writes, the real tool reads, names and all."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from cityops.parsers import ParseError
from cityops.parsers.checksums import check_report, digests, manifest_line

PUBLISHED = Path(__file__).resolve().parent / "fixtures" / "published"


def published(name: str) -> str:
    return (PUBLISHED / name).read_text(encoding="utf-8")


def test_digest_lines_as_published():
    assert digests(published("sha256sum_simplified_guide.txt")) == {
        "package.tar.xz": "be110d6f8d61b5ddbd77bac7005548b01a51a7267183875866b264659d9d0753"}
    manifest = digests(published("sha256sum_linuxoneliners_manifest.txt"))
    assert len(manifest) == 4 and manifest["source/assets/logo.svg"].startswith("6d6ddf61")


@pytest.mark.parametrize(("name", "failed", "unreadable", "ok"), [
    ("sha256sum_check_simplified_guide.txt", [], [], True),
    ("sha256sum_check_linuxoneliners.txt", [], [], True),
    ("sha256sum_check_sortix_failed.txt", ["bar"], [], False),
    ("md5sum_check_ubuntuforums_2007.txt", ["./casper/filesystem.squashfs"], [], False),
    ("sha256sum_check_open_failed.txt", [], ["typr-v0.5.12-aarch64-apple-darwin.tar.gz"], False),
])
def test_check_reports_as_published(name, failed, unreadable, ok):
    report = check_report(published(name))
    assert (report.failed, report.unreadable, report.ok) == (failed, unreadable, ok)


@pytest.mark.parametrize("text", [
    "",  # nothing at all is not a digest
    "sha256sum: archive.tar.gz: No such file or directory\n",  # the file it was asked for is not there
    "d41d8cd98f00b204e9800998ecf8427e  x\n",  # an md5, not a sha256
    "Permission denied\n",
])
def test_what_is_not_a_digest_line_is_an_error_with_the_excerpt(text):
    with pytest.raises(ParseError):
        digests(text)


@pytest.mark.parametrize("text", [
    "sha256sum: list.sha256: No such file or directory\n",  # the list itself is missing: not 'all files match'
    "bash: sha256sum: command not found\n",
    "x: FAILED\nsha256sum: WARNING: 2 computed checksums did NOT match\n",  # its count disagrees with its lines
])
def test_what_is_not_a_check_report_is_an_error(text):
    with pytest.raises(ParseError):
        check_report(text)


NAMES = ["plain.txt", "会议纪要 2026.txt", "back\\slash.bin", "new\nline.bin", "-dash", "sp ace"]


def test_manifests_cityops_writes_are_read_by_the_real_sha256sum(tmp_path):
    """Names with spaces, Chinese, a backslash and a newline: escaped as coreutils escapes them, so the real
    `sha256sum -c` (this machine's GNU coreutils) checks them, and cityops reads back what it says."""
    tree = tmp_path / "tree"
    tree.mkdir()
    lines = []
    for i, name in enumerate(NAMES):
        data = f"file {i}\n".encode()
        (tree / name).write_bytes(data)
        lines.append(manifest_line(hashlib.sha256(data).hexdigest(), name))
    (tmp_path / "list.sha256").write_text("".join(lines))
    good = subprocess.run(["sha256sum", "-c", "--quiet", str(tmp_path / "list.sha256")], cwd=tree,
                          capture_output=True, text=True)
    assert good.returncode == 0 and check_report(good.stdout + good.stderr).ok
    (tree / "back\\slash.bin").write_bytes(b"changed")
    (tree / "new\nline.bin").unlink()
    bad = subprocess.run(["sha256sum", "-c", "--quiet", str(tmp_path / "list.sha256")], cwd=tree,
                         capture_output=True, text=True)
    report = check_report(bad.stdout + bad.stderr)
    assert bad.returncode == 1 and report.failed == ["back\\slash.bin"] and report.unreadable == ["new\nline.bin"]
    real = subprocess.run(["sha256sum", "-b", *NAMES[:3]], cwd=tree, capture_output=True, text=True, check=True)
    assert set(digests(real.stdout)) == set(NAMES[:3])
