"""`yum` (and Kylin's dnf) on a lab server: the host's own repositories, fetched over HTTP, its own package database.

It reads /etc/yum.repos.d/*.repo, downloads each enabled repository's repomd.xml, primary and updateinfo from the
zone's mirror, and answers what cityops and pyinfra ask: `check-update` (exit 100 with updates, 0 without, 1 on
error), `list installed|updates`, `updateinfo list [security]`, `update|upgrade [-y] [--security] [pkg ...]`,
`install`, `clean all`, `makecache`. An update needs root (under sudo), downloads every package and checks its
sha256 against the repository's primary metadata, then replaces the host's database aside-and-rename and logs
each package to /var/log/yum.log. An unreachable mirror fails as yum does: "Cannot retrieve repository metadata".
"""

from __future__ import annotations

import configparser
import gzip
import hashlib
import os
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET  # nosec B405  # the lab's own repository metadata, served on loopback
from dataclasses import dataclass
from pathlib import Path

from ...timeutil import now
from . import packages
from .packages import INSTALL_ONLY, INSTALL_ONLY_LIMIT, Installed, Pkg, evr_cmp, read_db, write_db

DB = Path(packages.DB)
REPOS = Path("/etc/yum.repos.d")
LOG = Path("/var/log/yum.log")
NS = {"c": "http://linux.duke.edu/metadata/common", "r": "http://linux.duke.edu/metadata/repo"}


class YumError(Exception):
    pass


@dataclass(frozen=True)
class Available:
    pkg: Pkg
    repo: str
    url: str
    sha256: str
    size: int


def _fetch(url: str, timeout: float) -> bytes:
    if not url.startswith("http://127.") and not url.startswith("https://127."):
        raise YumError(f"{url}: the lab's yum fetches from loopback mirrors only")
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # nosec B310  # loopback lab mirror, checked above
        return resp.read()


def repos() -> list[tuple[str, str, float]]:
    """(id, baseurl, timeout) of every enabled repository."""
    out = []
    for path in sorted(REPOS.glob("*.repo")):
        cp = configparser.ConfigParser(interpolation=None)
        cp.read(path)
        for section in cp.sections():
            s = cp[section]
            if s.get("enabled", "1").strip() == "1" and s.get("baseurl"):
                out.append((section, s["baseurl"].strip().rstrip("/") + "/", float(s.get("timeout", "30"))))
    return out


def load_repo(repo_id: str, base: str, timeout: float) -> tuple[list[Available], dict[str, dict]]:
    """The packages and the advisories (by package nvra) of one repository."""
    try:
        repomd = ET.fromstring(_fetch(base + "repodata/repomd.xml", timeout))  # nosec B314  # lab metadata
    except (urllib.error.URLError, OSError, ET.ParseError) as exc:
        reason = getattr(exc, "reason", exc)
        raise YumError(f"{base}repodata/repomd.xml: [Errno 12] Timeout on {base}repodata/repomd.xml: {reason}\n"
                       f"Trying other mirror.\nError: Cannot retrieve repository metadata (repomd.xml) for "
                       f"repository: {repo_id}. Please verify its path and try again") from exc
    locations = {d.get("type"): d.find("r:location", NS).get("href") for d in repomd.findall("r:data", NS)}
    primary = ET.fromstring(gzip.decompress(_fetch(base + locations["primary"], timeout)))  # nosec B314
    pkgs = []
    for p in primary.findall("c:package", NS):
        v = p.find("c:version", NS)
        pkg = Pkg(p.findtext("c:name", "", NS), p.findtext("c:arch", "", NS), v.get("epoch", "0"), v.get("ver"),
                  v.get("rel"))
        pkgs.append(Available(pkg, repo_id, base + p.find("c:location", NS).get("href"),
                              p.findtext("c:checksum", "", NS), int(p.find("c:size", NS).get("package", "0"))))
    notices: dict[str, dict] = {}
    if "updateinfo" in locations:
        info = ET.fromstring(gzip.decompress(_fetch(base + locations["updateinfo"], timeout)))  # nosec B314
        for u in info.findall("update"):
            for p in u.iter("package"):
                nvra = f"{p.get('name')}-{p.get('version')}-{p.get('release')}.{p.get('arch')}"
                notices[nvra] = {"id": u.findtext("id"), "type": u.get("type"), "severity": u.findtext("severity")}
    return pkgs, notices


class Yum:
    def __init__(self, dnf: bool, el6: bool):
        self.dnf, self.el6 = dnf, el6
        self.installed = read_db(DB)
        self.available: list[Available] = []
        self.notices: dict[str, dict] = {}

    def header(self) -> None:
        if self.dnf:
            print(f"Last metadata expiration check: 0:00:01 ago on {now().strftime('%a %d %b %Y %I:%M:%S %p')} CST.")
        else:
            print("Loaded plugins: fastestmirror" + (", security" if self.el6 else ""))
            print("Loading mirror speeds from cached hostfile")

    def load(self) -> None:
        for repo_id, base, timeout in repos():
            pkgs, notices = load_repo(repo_id, base, timeout)
            self.available += pkgs
            self.notices.update(notices)

    def updates(self, names: list[str], security: bool) -> list[Available]:
        """The newest available package of each installed name.arch newer than the newest installed one."""
        newest: dict[tuple[str, str], Pkg] = {}
        for r in self.installed:
            key = (r.pkg.name, r.pkg.arch)
            if key not in newest or evr_cmp(r.pkg, newest[key]) > 0:
                newest[key] = r.pkg
        best: dict[tuple[str, str], Available] = {}
        for a in self.available:
            key = (a.pkg.name, a.pkg.arch)
            if key in newest and evr_cmp(a.pkg, newest[key]) > 0 and (
                    key not in best or evr_cmp(a.pkg, best[key].pkg) > 0):
                best[key] = a
        out = [a for k, a in sorted(best.items())
               if not names or k[0] in names or f"{k[0]}.{k[1]}" in names or a.pkg.nvra in names]
        if security:
            out = [a for a in out if self.notices.get(a.pkg.nvra, {}).get("type") == "security"]
        return out

    def check_update(self, names: list[str], security: bool) -> int:
        ups = self.updates(names, security)
        if security and not self.dnf:
            print(f"Limiting package lists to security relevant ones\n{len(ups)} package(s) needed for security, "
                  f"out of {len(self.updates(names, False))} available")
        print()
        for a in ups:
            print(f"{a.pkg.name + '.' + a.pkg.arch:<40}{a.pkg.evr:<31}{a.repo}")
        return 100 if ups else 0

    def updateinfo(self, security: bool) -> int:
        for a in self.updates([], security):
            n = self.notices.get(a.pkg.nvra)
            if n:
                kind = f"{n['severity']}/Sec." if n["type"] == "security" else n["type"]
                print(f"{n['id']:<16} {kind:<14} {a.pkg.nvra}")
        if not self.dnf:
            print("updateinfo list done")
        return 0

    def transaction(self, ups: list[Available], assume_yes: bool, assume_no: bool) -> int:
        if not ups:
            print("No packages marked for update" if not self.dnf else "Dependencies resolved.\nNothing to do.\n"
                  "Complete!")
            return 0
        install = [a for a in ups if a.pkg.name in INSTALL_ONLY]
        update = [a for a in ups if a.pkg.name not in INSTALL_ONLY]
        print("Resolving Dependencies\n--> Running transaction check")
        for a in ups:
            if a.pkg.name not in INSTALL_ONLY:
                old = next(r.pkg for r in self.installed if (r.pkg.name, r.pkg.arch) == (a.pkg.name, a.pkg.arch))
                print(f"---> Package {old.name}.{old.arch} {old.epoch or 0}:{old.version}-{old.release} will be updated")
            print(f"---> Package {a.pkg.name}.{a.pkg.arch} {a.pkg.epoch or 0}:{a.pkg.version}-{a.pkg.release} will be "
                  f"{'installed' if a.pkg.name in INSTALL_ONLY else 'an update'}")
        print("--> Finished Dependency Resolution\n\nDependencies Resolved\n")
        rule = "=" * 80
        print(f"{rule}\n {'Package':<17}{'Arch':<10}{'Version':<30}{'Repository':<14}{'Size':>6}\n{rule}")
        for title, group in (("Installing:", install), ("Updating:", update)):
            if group:
                print(title)
                for a in group:
                    print(f" {a.pkg.name:<17}{a.pkg.arch:<10}{a.pkg.evr:<30}{a.repo:<14}{a.size / 1024:>5.1f} k")
        print(f"\nTransaction Summary\n{rule}")
        if install:
            print(f"Install       {len(install)} Package(s)")
        if update:
            print(f"Upgrade       {len(update)} Package(s)")
        print(f"\nTotal download size: {sum(a.size for a in ups) / 1024:.0f} k")
        if assume_no or not assume_yes:
            answer = "" if assume_no else sys.stdin.readline().strip().lower()
            if answer not in ("y", "yes"):
                print("Is this ok [y/N]: " + ("n" if assume_no else "") + "\nExiting on user Command")
                return 1
        print("Downloading Packages:")
        for a in ups:
            body = _fetch(a.url, 30)
            if hashlib.sha256(body).hexdigest() != a.sha256:
                print(f"{a.url}: [Errno -1] Package does not match intended download. Suggestion: run yum "
                      f"--enablerepo={a.repo} clean metadata\nTrying other mirror.\n\nError Downloading Packages:\n"
                      f"  {a.pkg.name}-{a.pkg.evr}.{a.pkg.arch}: failure: {a.url.rsplit('/', 2)[-2]}/"
                      f"{a.pkg.filename} from {a.repo}: [Errno 256] No more mirrors to try.")
                return 1
            print(f"({ups.index(a) + 1}/{len(ups)}): {a.pkg.filename:<60}| {len(body) / 1024:>4.1f} kB     00:00")
        print("Running rpm_check_debug\nRunning Transaction Test\nTransaction Test Succeeded\nRunning Transaction")
        t = int(now().timestamp())
        rows = list(self.installed)
        done = []
        for i, a in enumerate(ups):
            if a.pkg.name in INSTALL_ONLY:
                rows.append(Installed(a.pkg, t, "yum"))
                same = sorted((r for r in rows if r.pkg.name == a.pkg.name), key=lambda r: r.installtime)
                for r in same[:-INSTALL_ONLY_LIMIT]:
                    rows.remove(r)
                print(f"  Installing : {a.pkg.nvra:<60}{i + 1}/{len(ups)}")
                done.append(("Installed", a.pkg))
            else:
                rows = [r for r in rows if (r.pkg.name, r.pkg.arch) != (a.pkg.name, a.pkg.arch)]
                rows.append(Installed(a.pkg, t, "yum"))
                print(f"  Updating   : {a.pkg.nvra:<60}{i + 1}/{len(ups)}")
                done.append(("Updated", a.pkg))
        write_db(DB, rows, now().tzinfo)
        with open(LOG, "a") as log:
            for verb, p in done:
                log.write(f"{now().strftime('%b %d %H:%M:%S')} {verb}: {p.nvra if verb == 'Installed' else p.evr}\n")
        for verb in ("Installed", "Updated"):
            names = [p for v, p in done if v == verb]
            if names:
                print(f"\n{verb}:\n  " + "\n  ".join(f"{p.name}.{p.arch} {p.epoch or 0}:{p.version}-{p.release}"
                                                     for p in names))
        print("\nComplete!")
        return 0

    def install(self, names: list[str], assume_yes: bool, assume_no: bool) -> int:
        missing = [n for n in names if not any(a.pkg.name == n for a in self.available)]
        for n in missing:
            print(f"No package {n} available.")
        have = [n for n in names if any(r.pkg.name == n for r in self.installed)]
        ups = self.updates(have, False)
        for n in have:
            if not any(a.pkg.name == n for a in ups):
                p = max((r.pkg for r in self.installed if r.pkg.name == n), key=packages.NEWEST)
                print(f"Package {p.name}-{p.evr}.{p.arch} already installed and latest version")
        if missing and not have:
            print("Error: Nothing to do")
            return 1
        return self.transaction(ups, assume_yes, assume_no) if ups else (print("Nothing to do") or 0)

    def list_(self, what: str) -> int:
        if what == "installed":
            print("Installed Packages")
            for r in sorted(self.installed, key=lambda r: r.pkg.name):
                print(f"{r.pkg.name + '.' + r.pkg.arch:<40}{r.pkg.evr:<31}installed")
            return 0
        print("Updated Packages" if not self.dnf else "Available Upgrades")
        for a in self.updates([], False):
            print(f"{a.pkg.name + '.' + a.pkg.arch:<40}{a.pkg.evr:<31}{a.repo}")
        return 0


def main(argv: list[str]) -> int:
    prog = os.environ.get("CITYOPS_LAB_YUM", "yum")
    el6 = Path("/run/cityops-lab/el6").is_file() and Path("/run/cityops-lab/el6").read_text().strip() == "1"
    marker = Path("/run/cityops-lab/dnf")
    dnf = prog == "dnf" or (marker.is_file() and marker.read_text().strip() == "1")
    flags = [a for a in argv if a.startswith("-")]
    words = [a for a in argv if not a.startswith("-")]
    assume_yes = any(f in ("-y", "--assumeyes") for f in flags)
    assume_no = "--assumeno" in flags
    security = "--security" in flags or "--sec-severity" in flags
    if "--version" in flags:
        print("4.2.23" if dnf else "3.2.29" if el6 else "3.4.3")
        return 0
    if not words:
        print(f"You need to give some command\nusage: {prog} [options] COMMAND", file=sys.stderr)
        return 1
    command, args = words[0], words[1:]
    root = os.environ.get("CITYOPS_LAB_ROOT") == "1" or os.getuid() == 0
    if command in ("update", "upgrade", "install", "remove", "erase", "clean", "makecache") and not root:
        print("You need to be root to perform this command." if not dnf else
              "Error: This command has to be run with superuser privileges (under the root user on most systems).",
              file=sys.stderr)
        return 1
    y = Yum(dnf, el6)
    if command == "clean":
        y.header()
        print("Cleaning repos: " + " ".join(r[0] for r in repos()) + "\nCleaning up Everything")
        return 0
    y.header()
    try:
        y.load()
        if command == "check-update":
            return y.check_update(args, security)
        if command == "updateinfo":
            return y.updateinfo(security or "security" in args or "sec" in args)
        if command == "list":
            return y.list_(args[0] if args else "installed")
        if command in ("update", "upgrade"):
            return y.transaction(y.updates(args, security), assume_yes, assume_no)
        if command == "install":
            return y.install(args, assume_yes, assume_no)
        if command == "makecache":
            print("Metadata Cache Created")
            return 0
    except YumError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print(f"No such command: {command}. Please use /usr/bin/{prog} --help", file=sys.stderr)
    return 1


if __name__ == "__main__":
    os.environ.setdefault("TZ", "Asia/Shanghai")
    sys.exit(main(sys.argv[1:]))
