"""Each lab server's own packages: what its distribution's repositories offer and what the host has installed.

A host's package database is its own file (/var/lib/rpm/cityops-lab.tsv in its namespace, a directory of the
lab's on this machine), so `yum update` on a lab host changes that host and nothing else: this machine's dpkg
database, its /usr and its Python are never touched. The repositories are real yum repositories
(repodata/repomd.xml, primary.xml.gz, updateinfo.xml.gz and the packages they list, with sha256 checksums),
served over HTTP by the lab's package mirror of the host's zone, so the lab's `yum` fetches and verifies them as
yum does.

The catalogue below is shaped on each generation's real packages (RHEL/Oracle Linux 6 at 6.9 against the 6.10
updates, CentOS/RHEL/Oracle Linux 7 at 7.9 GA against 7.9's later updates, Kylin V10 against its updates): the
version strings follow those distributions' own; the advisory identifiers and dates are the lab's, in their
formats.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import hashlib
import os
import random
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

DB = "/var/lib/rpm/cityops-lab.tsv"  # on the host; its varlib/ directory in the lab is the host's /var/lib
INSTALL_ONLY = ("kernel",)  # yum installs these beside the old ones (installonly_limit 3), never over them
INSTALL_ONLY_LIMIT = 3


@dataclass(frozen=True)
class Pkg:
    name: str
    arch: str
    epoch: str
    version: str
    release: str

    @property
    def evr(self) -> str:
        return f"{self.epoch}:{self.version}-{self.release}" if self.epoch not in ("", "0") else \
            f"{self.version}-{self.release}"

    @property
    def nvra(self) -> str:
        return f"{self.name}-{self.version}-{self.release}.{self.arch}"

    @property
    def filename(self) -> str:
        return self.nvra + ".rpm"


@dataclass(frozen=True)
class Update:
    pkg: Pkg
    advisory: str
    kind: str  # security | bugfix | enhancement
    severity: str  # Important | Moderate | Low | '' for bugfixes
    issued: str  # YYYY-MM-DD
    summary: str


# name, arch, epoch, base version-release, update version-release (or ''), advisory kind, severity
_EL6 = (
    ("kernel", "x86_64", "0", "2.6.32-696.el6", "2.6.32-754.35.1.el6", "security", "Important"),
    ("glibc", "x86_64", "0", "2.12-1.209.el6", "2.12-1.212.el6_10.3", "security", "Important"),
    ("openssl", "x86_64", "0", "1.0.1e-57.el6", "1.0.1e-58.el6_10", "security", "Important"),
    ("openssh", "x86_64", "0", "5.3p1-122.el6", "5.3p1-124.el6_10", "security", "Moderate"),
    ("openssh-server", "x86_64", "0", "5.3p1-122.el6", "5.3p1-124.el6_10", "security", "Moderate"),
    ("bash", "x86_64", "0", "4.1.2-48.el6", "", "", ""),
    ("sudo", "x86_64", "0", "1.8.6p3-28.el6", "1.8.6p3-29.el6_10.4", "security", "Important"),
    ("tzdata", "noarch", "0", "2017b-1.el6", "2020a-1.el6", "enhancement", ""),
    ("python", "x86_64", "0", "2.6.6-66.el6_8", "2.6.6-68.el6_10", "security", "Moderate"),
    ("yum", "noarch", "0", "3.2.29-81.el6", "", "", ""),
    ("rpm", "x86_64", "0", "4.8.0-55.el6", "4.8.0-59.el6", "bugfix", ""),
    ("ntp", "x86_64", "0", "4.2.6p5-12.el6_9", "4.2.6p5-15.el6_10", "security", "Moderate"),
    ("nss", "x86_64", "0", "3.28.4-1.el6_9", "3.44.0-7.el6_10", "security", "Moderate"),
    ("curl", "x86_64", "0", "7.19.7-53.el6_9", "7.19.7-54.el6_10", "security", "Moderate"),
)
_EL7 = (
    ("kernel", "x86_64", "0", "3.10.0-1160.el7", "3.10.0-1160.119.1.el7", "security", "Important"),
    ("glibc", "x86_64", "0", "2.17-317.el7", "2.17-326.el7_9", "security", "Moderate"),
    ("openssl", "x86_64", "1", "1.0.2k-19.el7", "1.0.2k-26.el7_9", "security", "Important"),
    ("openssh", "x86_64", "0", "7.4p1-21.el7", "7.4p1-23.el7_9", "security", "Moderate"),
    ("openssh-server", "x86_64", "0", "7.4p1-21.el7", "7.4p1-23.el7_9", "security", "Moderate"),
    ("bash", "x86_64", "0", "4.2.46-34.el7", "4.2.46-35.el7_9", "bugfix", ""),
    ("sudo", "x86_64", "0", "1.8.23-10.el7", "1.8.23-10.el7_9.3", "security", "Important"),
    ("tzdata", "noarch", "0", "2020a-1.el7", "2024a-1.el7", "enhancement", ""),
    ("python", "x86_64", "0", "2.7.5-89.el7", "2.7.5-94.el7_9", "security", "Moderate"),
    ("yum", "noarch", "0", "3.4.3-168.el7.centos", "", "", ""),
    ("rpm", "x86_64", "0", "4.11.3-45.el7", "4.11.3-48.el7_9", "security", "Moderate"),
    ("systemd", "x86_64", "0", "219-78.el7", "219-78.el7_9.9", "security", "Moderate"),
    ("chrony", "x86_64", "0", "3.4-1.el7", "", "", ""),
    ("nss", "x86_64", "0", "3.53.1-3.el7_9", "3.90.0-2.el7_9", "security", "Moderate"),
    ("curl", "x86_64", "0", "7.29.0-59.el7", "7.29.0-59.el7_9.2", "security", "Moderate"),
)
_EL7_PY36 = (("python3", "x86_64", "0", "3.6.8-18.el7", "3.6.8-21.el7_9", "security", "Moderate"),)
_KY10 = (
    ("kernel", "x86_64", "0", "4.19.90-23.8.v2101.ky10", "4.19.90-24.4.v2101.ky10", "security", "Important"),
    ("glibc", "x86_64", "0", "2.28-49.ky10", "2.28-84.ky10", "security", "Moderate"),
    ("openssl", "x86_64", "1", "1.1.1f-7.ky10", "1.1.1f-15.ky10", "security", "Important"),
    ("openssh", "x86_64", "0", "8.2p1-9.ky10", "8.2p1-15.ky10", "security", "Moderate"),
    ("openssh-server", "x86_64", "0", "8.2p1-9.ky10", "8.2p1-15.ky10", "security", "Moderate"),
    ("bash", "x86_64", "0", "5.0-13.ky10", "", "", ""),
    ("sudo", "x86_64", "0", "1.9.2-1.ky10", "1.9.2-7.ky10", "security", "Important"),
    ("tzdata", "noarch", "0", "2020a-1.ky10", "2024a-1.ky10", "enhancement", ""),
    ("python3", "x86_64", "0", "3.7.9-7.ky10", "3.7.9-28.ky10", "security", "Moderate"),
    ("dnf", "noarch", "0", "4.2.23-4.ky10", "", "", ""),
    ("yum", "noarch", "0", "4.2.23-4.ky10", "", "", ""),
    ("rpm", "x86_64", "0", "4.15.1-17.ky10", "", "", ""),
    ("systemd", "x86_64", "0", "243-32.ky10", "243-62.ky10", "security", "Moderate"),
    ("chrony", "x86_64", "0", "3.5-1.ky10", "", "", ""),
)
CATALOGUE = {"el6": _EL6, "el7": _EL7 + _EL7_PY36, "ky10": _KY10}
ADVISORY_PREFIX = {"el6": "RHSA", "el7": "CESA", "ky10": "KYSA"}
BUGFIX_PREFIX = {"el6": "RHBA", "el7": "CEBA", "ky10": "KYBA"}
DISTRIBUTIONS = tuple(CATALOGUE)


def dist_of(host_os: str) -> str | None:
    """The repository generation of a host's OS text in the inventory ('CentOS 7.9' -> 'el7'), None if not yum's."""
    text = host_os or ""
    if "Kylin" in text:
        return "ky10"
    m = re.search(r"(Red Hat Enterprise Linux|CentOS|Oracle Linux)\D*\b([67])\.\d", text)
    return f"el{m.group(2)}" if m else None


def _pkg(row: tuple, which: int) -> Pkg:
    version, release = row[which].rsplit("-", 1)
    return Pkg(row[0], row[1], row[2], version, release)


def _rows_for(dist: str, python: str) -> list[tuple]:
    return [r for r in CATALOGUE[dist] if r[0] != "python3" or dist != "el7" or python == "3.6"]


def installed_base(dist: str, python: str) -> list[Pkg]:
    """What a freshly installed host of `dist` carries: every base package (python3 only where the inventory says
    the host has Python 3.6)."""
    return [_pkg(r, 3) for r in _rows_for(dist, python)]


def installed_current(dist: str, python: str) -> list[Pkg]:
    """A host patched up to its mirror: each package at its update where there is one, the GA kernel kept beside
    the new one (yum installs kernels side by side)."""
    out = []
    for r in _rows_for(dist, python):
        if r[0] in INSTALL_ONLY and r[4]:
            out.append(_pkg(r, 3))
        out.append(_pkg(r, 4) if r[4] else _pkg(r, 3))
    return out


def repositories(dist: str) -> dict[str, list[Pkg]]:
    """The packages of each repository of a distribution: `base` (the GA set) and `updates`."""
    rows = CATALOGUE[dist]
    return {"base": [_pkg(r, 3) for r in rows], "updates": [_pkg(r, 4) for r in rows if r[4]]}


def advisories(dist: str) -> list[Update]:
    """updateinfo: one advisory per updated package, in the distribution's own identifier format."""
    out = []
    for i, r in enumerate(row for row in CATALOGUE[dist] if row[4]):
        prefix = ADVISORY_PREFIX[dist] if r[5] == "security" else BUGFIX_PREFIX[dist]
        issued = (dt.date(2024, 1, 9) + dt.timedelta(days=23 * i)).isoformat()
        title = f"{r[0]} {'bug fix' if r[5] == 'bugfix' else r[5]} update"
        out.append(Update(_pkg(r, 4), f"{prefix}-{issued[:4]}:{1000 + 37 * i}", r[5], r[6], issued, title))
    return out


# -- version comparison (rpm's rpmvercmp)

def _segments(text: str) -> list[str]:
    return re.findall(r"\d+|[A-Za-z]+|~|\^", text)


def vercmp(a: str, b: str) -> int:
    """rpm's comparison of one version or release string: digit runs numerically, letter runs as text, a digit
    run newer than a letter run, the longer string newer when all else is equal."""
    if a == b:
        return 0
    sa, sb = _segments(a), _segments(b)
    for x, y in zip(sa, sb, strict=False):
        if x == y:
            continue
        if x.isdigit() and y.isdigit():
            return (int(x) > int(y)) - (int(x) < int(y))
        if x.isdigit() != y.isdigit():
            return 1 if x.isdigit() else -1
        return (x > y) - (x < y)
    return (len(sa) > len(sb)) - (len(sa) < len(sb))


def evr_cmp(a: Pkg, b: Pkg) -> int:
    """Epoch, then version, then release, each compared as rpm does."""
    for x, y in ((a.epoch or "0", b.epoch or "0"), (a.version, b.version), (a.release, b.release)):
        c = vercmp(x, y)
        if c:
            return c
    return 0


NEWEST = functools.cmp_to_key(evr_cmp)  # max(pkgs, key=NEWEST): the newest by rpm's order


# -- the host's package database

@dataclass(frozen=True)
class Installed:
    pkg: Pkg
    installtime: int  # seconds since the epoch
    origin: str  # seed (installed with the host) | yum


def read_db(path: Path) -> list[Installed]:
    out = []
    for line in path.read_text().splitlines():
        f = line.split("\t")
        if len(f) >= 7 and not line.startswith("#"):
            out.append(Installed(Pkg(f[0], f[4], f[1], f[2], f[3]), int(f[5]), f[6]))
    return out


def format_db(rows: list[Installed], tz: dt.tzinfo) -> str:
    """One package per line: name, epoch, version, release, arch, install time, origin, and the install date as
    `rpm -qa --last` prints it on a host in China Standard Time (so the shim needs no date command per line)."""
    lines = ["#name\tepoch\tversion\trelease\tarch\tinstalltime\torigin\tlast"]
    for r in sorted(rows, key=lambda r: (r.pkg.name, r.installtime)):
        when = dt.datetime.fromtimestamp(r.installtime, tz).strftime("%a %d %b %Y %I:%M:%S %p CST")
        p = r.pkg
        lines.append(f"{p.name}\t{p.epoch}\t{p.version}\t{p.release}\t{p.arch}\t{r.installtime}\t{r.origin}\t{when}")
    return "\n".join(lines) + "\n"


def write_db(path: Path, rows: list[Installed], tz: dt.tzinfo) -> None:
    """Aside, then renamed into place: a yum killed mid-transaction leaves the old database whole."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(format_db(rows, tz))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _seeded_at(installed_days_ago: int, now: dt.datetime) -> int:
    return int((now - dt.timedelta(days=installed_days_ago)).replace(hour=10, minute=10, second=0).timestamp())


def seed_rows(dist: str, python: str, installed_days_ago: int, now: dt.datetime, behind: bool = False) -> list[Installed]:
    """A host as the lab finds it: patched up to its mirror (or, `behind`, as first installed), the packages'
    install times `installed_days_ago` before now, a minute apart (the `patch_old` fault moves them)."""
    t0 = _seeded_at(installed_days_ago, now)
    pkgs = installed_base(dist, python) if behind else installed_current(dist, python)
    return [Installed(p, t0 + 60 * i, "seed") for i, p in enumerate(pkgs)]


def reseed_times(rows: list[Installed], installed_days_ago: int, now: dt.datetime) -> list[Installed]:
    """The seed packages moved to `installed_days_ago`; what yum installed keeps its real time."""
    t0 = _seeded_at(installed_days_ago, now)
    seeds = [r for r in rows if r.origin == "seed"]
    return [Installed(r.pkg, t0 + 60 * seeds.index(r), "seed") if r.origin == "seed" else r for r in rows]


def newest_kernel(rows: list[Installed]) -> Pkg | None:
    return max((r.pkg for r in rows if r.pkg.name == "kernel"), key=NEWEST, default=None)


def kernel_release(pkg: Pkg) -> str:
    """A kernel package as `uname -r` names it when it runs: 2.6.32-754.35.1.el6.x86_64."""
    return f"{pkg.version}-{pkg.release}.{pkg.arch}"


# -- the repositories as files

def payload(pkg: Pkg) -> bytes:
    """A package file's bytes: the lab installs no files from it, but yum downloads and checks every byte."""
    rng = random.Random(pkg.nvra)  # nosec B311  # reproducible lab bytes, not security
    return b"\xed\xab\xee\xdb" + pkg.nvra.encode() + bytes(rng.getrandbits(8) for _ in range(4096))


def _primary(pkgs: list[Pkg], bodies: dict[Pkg, bytes]) -> bytes:
    rows = []
    for p in pkgs:
        body = bodies[p]
        rows.append(
            f'<package type="rpm"><name>{escape(p.name)}</name><arch>{p.arch}</arch>'
            f'<version epoch="{p.epoch or 0}" ver="{escape(p.version)}" rel="{escape(p.release)}"/>'
            f'<checksum type="sha256" pkgid="YES">{hashlib.sha256(body).hexdigest()}</checksum>'
            f'<summary>{escape(p.name)}</summary><size package="{len(body)}"/>'
            f'<location href="Packages/{escape(p.filename)}"/></package>')
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" '
            f'xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="{len(pkgs)}">\n'
            + "\n".join(rows) + "\n</metadata>\n").encode()


def _updateinfo(updates: list[Update]) -> bytes:
    rows = []
    for u in updates:
        p = u.pkg
        rows.append(
            f'<update from="cityops-lab" status="final" type="{u.kind}" version="1"><id>{u.advisory}</id>'
            f'<title>{escape(u.summary)}</title><issued date="{u.issued} 00:00:00"/>'
            f'<severity>{u.severity}</severity><pkglist><collection>'
            f'<package name="{escape(p.name)}" version="{escape(p.version)}" release="{escape(p.release)}" '
            f'epoch="{p.epoch or 0}" arch="{p.arch}"><filename>{escape(p.filename)}</filename></package>'
            f'</collection></pkglist></update>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n' + "\n".join(rows) + "\n</updates>\n").encode()


def repo_files(dist: str, repo: str) -> dict[str, bytes]:
    """Every file of one repository by its path under the repository's URL: repodata and packages."""
    pkgs = repositories(dist)[repo]
    bodies = {p: payload(p) for p in pkgs}
    meta = {"primary": gzip.compress(_primary(pkgs, bodies), mtime=0)}
    if repo == "updates":
        meta["updateinfo"] = gzip.compress(_updateinfo(advisories(dist)), mtime=0)
    files = {f"repodata/{kind}.xml.gz": data for kind, data in meta.items()}
    entries = "".join(
        f'<data type="{kind}"><checksum type="sha256">{hashlib.sha256(data).hexdigest()}</checksum>'
        f'<location href="repodata/{kind}.xml.gz"/><size>{len(data)}</size></data>' for kind, data in meta.items())
    files["repodata/repomd.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/'
                                    f'metadata/repo"><revision>1</revision>{entries}</repomd>\n').encode()
    for p in pkgs:
        files[f"Packages/{p.filename}"] = bodies[p]
    return files


def repo_config(dist: str, mirror: str) -> str:
    """/etc/yum.repos.d/ of a host: its zone's mirror, base and updates."""
    base = mirror.rstrip("/")
    return "".join(f"[{repo}]\nname=cityops lab {dist} {repo}\nbaseurl={base}/{dist}/{repo}/\nenabled=1\n"
                   f"gpgcheck=0\ntimeout=5\n\n" for repo in ("base", "updates"))


if __name__ == "__main__":  # a host's init at boot: the kernel it boots is the newest one installed
    import sys

    newest = newest_kernel(read_db(Path(sys.argv[1])))
    print(kernel_release(newest) if newest else "")
