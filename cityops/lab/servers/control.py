"""Starting lab servers and applying faults to them (re-render, lock out, refuse, go dark)."""

from __future__ import annotations

import sys

from .. import supervisor
from ..faults import FaultStore
from ..statedir import LabDir
from . import datafiles
from .hosts import cluster_members, command, host_dir, prepare_all, rerender, set_password, unmount_all

__all__ = ["apply", "start_all", "unmount_all"]


def _probe(address: str):
    def ready() -> bool:
        from ..control import probe

        return probe(address, timeout=0.5)[0]
    return ready


def start_all(lab: LabDir, entries: list[dict]) -> None:
    prepare_all(lab, entries)
    supervisor.start_many(lab, [(f"sshd:{e['name']}", command(lab, e["name"]), _probe(e["host"]["address"]))
                                for e in entries])


def apply(lab: LabDir, entry: dict, faults: dict, entries: list[dict] | None = None) -> None:
    """Make a running lab server (and its cluster peers, who report it) show exactly the current faults."""
    name, host = entry["name"], entry["host"]
    all_faults = FaultStore(lab).all()
    members = cluster_members(entry, entries or [entry])
    for member in members:
        rerender(lab, member, all_faults, members)
    datafiles.apply_faults(host_dir(lab, name), host, faults)
    locked = "wrong_password" in faults
    set_password(lab, name, host["username"], None if locked else host["password"])
    keys = host_dir(lab, name) / f"home/{host['username']}/.ssh/authorized_keys"
    pub = (lab.path / "id_ed25519.pub").read_text()
    keys.write_text("" if locked else pub)  # the key must not get around a changed password either
    if "no_boot" not in faults:
        power_on(host_dir(lab, name))
    want = "refused" if "refused" in faults else "unreachable" if "unreachable" in faults else "sshd"
    procs = supervisor.running(lab)
    have = "sshd" if f"sshd:{name}" in procs else "unreachable" if f"blackhole:{name}" in procs else "refused"
    if want == have:
        return
    for proc_name in (f"sshd:{name}", f"blackhole:{name}"):
        if proc_name in procs:
            supervisor.stop_pid(int(procs[proc_name]["pid"]))
            supervisor.forget(lab, proc_name)
    address = host["address"]
    if want == "sshd":
        supervisor.start_many(lab, [(f"sshd:{name}", command(lab, name), _probe(address))])
    elif want == "unreachable":
        ready = lab.path / f"blackhole-{name}.ready"
        ready.unlink(missing_ok=True)
        argv = [sys.executable, "-m", "cityops.lab.blackhole", address, "--ready", str(ready)]
        supervisor.start_many(lab, [(f"blackhole:{name}", argv, ready.exists)])


def power_on(d) -> None:
    """Press the power button of a host that hung at boot (its init ignores it when the host is up)."""
    import errno
    import os

    try:
        fd = os.open(d / "run" / "power", os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno in (errno.ENXIO, errno.ENOENT):  # no init listening: the host is not running at all
            return
        raise
    try:
        os.write(fd, b"power-on\n")
    finally:
        os.close(fd)
