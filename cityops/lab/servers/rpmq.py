"""`rpm -q…` on a lab server, answered from the host's own package database (packages.py).

Queries only, as cityops and pyinfra send them: `-qa`, `-q NAME…` (every installed version, as for kernels;
"package NAME is not installed" and exit 1 otherwise), `--last`, and `--queryformat` with the tags NAME, EPOCH,
VERSION, RELEASE, ARCH and INSTALLTIME. The shim answers the inspection's `rpm -qa --last` itself, without this.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from . import packages
from .packages import read_db

DB = Path(packages.DB)


def render(fmt: str, row) -> str:
    p = row.pkg
    values = {"NAME": p.name, "EPOCH": p.epoch if p.epoch not in ("", "0") else "(none)", "VERSION": p.version,
              "RELEASE": p.release, "ARCH": p.arch, "INSTALLTIME": str(row.installtime)}
    text = re.sub(r"%\{(\w+)\}", lambda m: values.get(m.group(1).upper(), "(none)"), fmt)
    return text.replace("\\n", "\n").replace("\\t", "\t")


def main(argv: list[str]) -> int:
    fmt, names, query, all_ = None, [], False, False
    it = iter(argv)
    for a in it:
        if a in ("--queryformat", "--qf"):
            fmt = next(it, "")
        elif a.startswith("--queryformat="):
            fmt = a.split("=", 1)[1]
        elif a in ("-qa", "-aq"):
            query = all_ = True
        elif a == "-q":
            query = True
        elif a == "-a":
            all_ = True
        elif a.startswith("-"):
            continue
        else:
            names.append(a)
    if not query:
        print("rpm: the lab's rpm answers queries (-q, -qa) only; packages are installed with yum", file=sys.stderr)
        return 1
    rows = sorted(read_db(DB), key=lambda r: (r.pkg.name, r.installtime))
    status = 0
    chosen = rows if all_ else []
    for n in names if not all_ else []:
        found = [r for r in rows if r.pkg.name == n or r.pkg.nvra == n or f"{r.pkg.name}.{r.pkg.arch}" == n]
        if not found:
            print(f"package {n} is not installed")
            status = 1
        chosen += found
    for r in chosen:
        sys.stdout.write(render(fmt, r) if fmt is not None else r.pkg.nvra + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
