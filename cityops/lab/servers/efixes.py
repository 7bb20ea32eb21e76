"""Interim fixes (ifixes) of the lab's AIX hosts: what the zone's mirror offers for a level, what a host has.

IBM ships AIX security fixes between service packs as interim fixes: an `.epkg.Z` file per fix, installed with
`emgr -e`, listed with `emgr -l` (the host's efix database). The zone's mirror keeps them per level
(`/aix/<TL-SP>/ifix/`, with a SHA256SUMS file as a mirror publishes checksums); a host's database is its own file
(/var/lib/cityops-lab/emgr.tsv in its namespace). A healthy host has every fix of its level; `updates_pending`
puts it back to none. The labels follow IBM's form (APAR, `s`, the service pack, a letter); the fixes and their
texts are the lab's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

DB = "/var/lib/cityops-lab/emgr.tsv"  # on the host; its varlib/ directory in the lab is the host's /var/lib
MAGIC = b"CITYOPS-LAB-EPKG 1\n"


@dataclass(frozen=True)
class Ifix:
    label: str
    abstract: str
    reboot: bool = False

    @property
    def filename(self) -> str:
        return f"{self.label}.201119.epkg.Z"


CATALOGUE: dict[str, tuple[Ifix, ...]] = {
    "7100-05-06": (
        Ifix("IJ29229s6a", "openssl CVEs fixed"),
        Ifix("IJ30301s6a", "IJ30301 POTENTIAL SECURITY ISSUE (bind)"),
        Ifix("IJ31368s6a", "IJ31368 for AIX 7.1 TL5 SP6 (kernel)", reboot=True),
    ),
}


def level_of(oslevel: str) -> str:
    """`7100-05-06-2016` (oslevel -s) -> `7100-05-06`, the level a fix is built for."""
    return "-".join(oslevel.strip().split("-")[:3])


def payload(level: str, fix: Ifix) -> bytes:
    """The fix's package: what emgr reads (its label, level, abstract, whether it needs a reboot), padded as a
    package is, deterministic so its checksum is the mirror's."""
    head = (f"label={fix.label}\nlevel={level}\nabstract={fix.abstract}\nreboot={'yes' if fix.reboot else 'no'}\n"
            ).encode()
    return MAGIC + head + hashlib.sha256(head).digest() * 64


def read_payload(data: bytes) -> dict[str, str] | None:
    if not data.startswith(MAGIC):
        return None
    head = data[len(MAGIC):].split(b"\n\n", 1)[0]
    fields = {}
    for line in head.decode("utf-8", "replace").split("\n"):
        key, sep, value = line.partition("=")
        if sep and key in ("label", "level", "abstract", "reboot"):
            fields[key] = value
    return fields if set(fields) == {"label", "level", "abstract", "reboot"} else None


def mirror_files(level: str) -> dict[str, bytes]:
    """The mirror's directory of a level: each package, and SHA256SUMS (`<sha256>  <file>` per line)."""
    files = {f.filename: payload(level, f) for f in CATALOGUE.get(level, ())}
    sums = "".join(f"{hashlib.sha256(body).hexdigest()}  {name}\n" for name, body in sorted(files.items()))
    return {**files, "SHA256SUMS": sums.encode()}


# -- a host's efix database: label, state, installed (MM/DD/YY HH:MM:SS), abstract, one per line --------------------
def read_db(path: Path) -> list[list[str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    return [ln.split("\t") for ln in lines if ln.count("\t") == 3]


def write_db(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(path)


def seed(path: Path, level: str, behind: bool, installed: str) -> None:
    """A healthy host has every fix of its level (installed at `installed`); one behind has none."""
    rows = [] if behind else [[f.label, "S", installed, f.abstract] for f in CATALOGUE.get(level, ())]
    write_db(path, rows)
