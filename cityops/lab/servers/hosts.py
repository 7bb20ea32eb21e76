"""Each lab server's directory, namespace and sshd: prepare, start, re-render, break, stop.

A host directory holds its own /etc overlay (hostname, os-release, passwd and
shadow with the lab user), its sshd host key and config, a home with the lab's
client key, and run/: the rendered state the shims print, bind-mounted at
/run/cityops-lab. sshd runs under `unshare --uts --mount`, so mounts and the
hostname are private to it and vanish with it.
"""

from __future__ import annotations

import os
import shutil
import subprocess  # nosec B404  # lab setup tools, fixed argv
from pathlib import Path

from ...drivers.linux import is_el6
from ...files import write_atomic
from ...timeutil import now
from ..statedir import LabDir
from . import aix, datafiles, esxi, oracle, windows
from .shims import write_shims
from .state import os_release, render

LAB_UID = 2000
IN_PLACE = ("proc/meminfo", "proc/loadavg")  # bind-mounted files: rewrite the same inode


def host_dir(lab: LabDir, name: str) -> Path:
    return lab.path / "servers" / name


def shims_dir(lab: LabDir) -> Path:
    return lab.path / "servers" / "_shims"


def password_hash(password: str) -> str:
    out = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password, capture_output=True, text=True,  # nosec B603 B607  # fixed argv, password on stdin
                         check=True)
    return out.stdout.strip()


def client_key(lab: LabDir) -> Path:
    """The lab's SSH client key (ansible, testinfra and cityops use it for lab servers)."""
    key = lab.path / "id_ed25519"
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "cityops-lab", "-f", str(key)], check=True)  # nosec B603 B607  # fixed argv
    return key


def prepare(lab: LabDir, entry: dict) -> None:
    """Create (or refresh) a host's directory: users, keys, sshd config, rendered state."""
    name, dev = entry["name"], entry["host"]
    d = host_dir(lab, name)
    for sub in ("etc", "etcwork", "ssh", "run/out", "run/proc", "run/log", f"home/{dev['username']}/.ssh"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    release, redhat = os_release(dev.get("os", ""))
    (d / "etc/hostname").write_text(name + "\n")
    (d / "etc/os-release").write_text(release)
    if redhat:
        (d / "etc/redhat-release").write_text(redhat)
    base_passwd = Path("/etc/passwd").read_text()
    base_group = Path("/etc/group").read_text()
    user = dev["username"]
    (d / "etc/passwd").write_text(base_passwd + f"{user}:x:{LAB_UID}:{LAB_UID}:cityops lab:/home/{user}:/bin/bash\n")
    (d / "etc/group").write_text(base_group + f"{user}:x:{LAB_UID}:\n")
    set_password(lab, name, user, dev["password"])
    key = d / "ssh/ssh_host_ed25519_key"
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True)  # nosec B603 B607  # fixed argv
    auth = d / f"home/{user}/.ssh/authorized_keys"
    auth.write_text(client_key(lab).with_suffix(".pub").read_text())
    for p in (d / f"home/{user}", d / f"home/{user}/.ssh", auth):
        os.chown(p, LAB_UID, LAB_UID)
    (d / "ssh/sshd_config").write_text(
        f"ListenAddress {dev['address']}:22\nHostKey {key}\nPidFile none\nUsePAM no\nStrictModes no\n"
        "PasswordAuthentication yes\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
        "AuthorizedKeysFile .ssh/authorized_keys\nPermitRootLogin no\nUseDNS no\nPrintMotd no\n"
        "MaxStartups 200:30:400\nMaxSessions 64\nSubsystem sftp internal-sftp\nLogLevel INFO\n"
        "AcceptEnv LANG LC_*\n")
    (d / "run/opt").mkdir(exist_ok=True)
    (d / "srv/backup").mkdir(parents=True, exist_ok=True)
    for data in ("oradata", "sqldata"):  # the database's files belong to its owner, not root
        (d / "srv" / data).mkdir(parents=True, exist_ok=True)
        os.chown(d / "srv" / data, LAB_UID, LAB_UID)
        shared = shared_dir(lab, dev, data)
        if shared is not None:  # a RAC's or a failover cluster's nodes see one database
            shared.mkdir(parents=True, exist_ok=True)
            os.chown(shared, LAB_UID, LAB_UID)
    for target in share_targets(dev):  # the backup server's share, as SQL Server writes to it
        (d / "srv" / "share" / target).mkdir(parents=True, exist_ok=True)
    datafiles.reset(d)
    datafiles.seed(d / "srv", dev, now().date())
    (d / "start.sh").write_text(start_script(lab, name, is_el6(dev.get("os", "")), dev))


def set_password(lab: LabDir, name: str, user: str, password: str | None) -> None:
    """Write the host's /etc/shadow in place (sshd reads it at each login); None locks the user out."""
    d = host_dir(lab, name)
    hashed = password_hash(password) if password else "!locked-by-lab-fault"
    shadow = "".join(f"{line.split(':')[0]}:*:19700:0:99999:7:::\n" for line in
                     Path("/etc/passwd").read_text().splitlines() if line)
    shadow += f"{user}:{hashed}:19700:0:99999:7:::\n"
    path = d / "etc/shadow"
    mode = "r+" if path.exists() else "w"
    with open(path, mode) as fh:
        fh.seek(0)
        fh.write(shadow)
        fh.truncate()
    path.chmod(0o640)


def shared_dir(lab: LabDir, host: dict, data: str = "oradata") -> Path | None:
    """Where a cluster's shared database lives on this machine (bind-mounted at /srv/<data> on every node)."""
    return lab.path / "servers" / "_shared" / str(host["cluster"]) / data if host.get("cluster") else None


def share_targets(host: dict) -> list[str]:
    """The backup servers this host's SQL Server backs up to (their disk is its \\\\server\\sqlbak share)."""
    from ...backup.schedule import jobs_of

    return sorted({j.target for j in jobs_of(host) if j.kind == "sqlserver" and j.target})


def start_script(lab: LabDir, name: str, el6: bool = False, host: dict | None = None) -> str:
    """The host's namespace: its own /etc, state, logs and the shims of its generation on the PATH. A RHEL 6 host
    gets the EL6 shims (SysV `service`, `ntpq`; no `systemctl`, no `chronyc`), and this machine's own systemctl
    answers 'command not found' (exit 127) there, as on a real RHEL 6."""
    d = host_dir(lab, name)
    shared_mount = "".join(f"mount --bind {shared_dir(lab, host, data)} /srv/{data}\n"
                           for data in ("oradata", "sqldata") if host and host.get("cluster"))
    shared_mount += "".join(f"mount --bind {host_dir(lab, t)}/srv/backup /srv/share/{t}\n"
                            for t in (share_targets(host) if host else []) if host_dir(lab, t).is_dir())
    shims = shims_dir(lab) / ("el6" if el6 else "el7")
    absent = shims_dir(lab) / "absent"
    mask = f"[ -e /usr/bin/systemctl ] && mount --bind {absent} /usr/bin/systemctl\n" if el6 else ""
    return f"""#!/bin/sh
# cityops lab: {name}'s own namespace (run under `unshare --uts --mount --propagation private`)
set -e
hostname {name}
mount -t overlay cityops-etc -o lowerdir=/etc,upperdir={d}/etc,workdir={d}/etcwork /etc
mount -t tmpfs -o mode=755 cityops-run /run
mkdir -p /run/sshd /run/cityops-lab
mount --bind {d}/run /run/cityops-lab
mount --bind {d}/run/proc/meminfo /proc/meminfo
mount --bind {d}/run/proc/loadavg /proc/loadavg
mount --bind {d}/run/log /var/log
mount --bind {d}/home /home
mount --bind {d}/run/opt /opt
mount --rbind {d}/srv /srv
{shared_mount}mount --bind -o ro {shims} /usr/local/bin
{mask}exec /usr/sbin/sshd -D -e -f {d}/ssh/sshd_config
"""


def rerender(lab: LabDir, entry: dict, all_faults: dict, members: list[dict] | None = None) -> None:
    """Write the host's state files for the current faults (bind-mounted ones in place).

    `all_faults` is the whole fault store: a RAC node's answers depend on its peers' faults.
    """
    d = host_dir(lab, entry["name"]) / "run"
    host = entry["host"]
    files = render(host, all_faults.get(entry["name"], {}), now())
    peers = [m["host"] for m in (members or [entry])]
    if oracle.is_oracle(host):
        files.update(oracle.render(host, peers, all_faults, now()))
    if windows.is_windows(host):
        files.update(windows.render(host, peers, all_faults, now()))
    if aix.is_aix(host):
        files.update(aix.render(host, all_faults.get(entry["name"], {}), now()))
    if esxi.is_esxi(host):
        files.update(esxi.render(host, all_faults.get(entry["name"], {}), now()))
    datafiles.seed(host_dir(lab, entry["name"]) / "srv", host, now().date())  # the documents of the lab's today
    for rel, text in files.items():
        path = d / rel
        if rel in IN_PLACE and path.exists():
            with open(path, "r+") as fh:
                fh.write(text)
                fh.truncate()
        else:
            write_atomic(path, text.encode(), 0o644)


def cluster_members(entry: dict, entries: list[dict]) -> list[dict]:
    cluster = entry["host"].get("cluster")
    return [e for e in entries if cluster and e["host"].get("cluster") == cluster] or [entry]


def command(lab: LabDir, name: str) -> list[str]:
    return ["unshare", "--uts", "--mount", "--propagation", "private", "/bin/sh", str(host_dir(lab, name) / "start.sh")]


def prepare_all(lab: LabDir, entries: list[dict]) -> None:
    shims = shims_dir(lab)
    if shims.exists():
        shutil.rmtree(shims)
    write_shims(shims / "el7")
    write_shims(shims / "el6", el6=True)
    (shims / "absent").write_text('#!/bin/sh\necho "bash: $(basename "$0"): command not found" >&2\nexit 127\n')
    (shims / "absent").chmod(0o755)
    client_key(lab)
    for name in backup_servers(entries):  # a real, small disk: a full one fails the real `cat` with ENOSPC
        datafiles.mount_backup_fs(host_dir(lab, name))
    for e in entries:
        prepare(lab, e)
    for e in entries:
        rerender(lab, e, {}, cluster_members(e, entries))


def backup_servers(entries: list[dict]) -> set[str]:
    """The lab servers with a backup disk of their own: those files and RMAN backups are copied to, and the
    databases RMAN writes its pieces on first."""
    from ...backup.schedule import jobs_of

    names = {e["name"] for e in entries}
    targets = {j.target for e in entries for j in jobs_of(e["host"]) if j.kind in ("files", "rman", "sqlserver")}
    engines = {e["name"] for e in entries for j in jobs_of(e["host"]) if j.kind == "rman"}  # RMAN's own disk
    return (targets | engines) & names


def unmount_all(lab: LabDir) -> None:
    """Release the backup servers' disks (lab.down): they live in this machine's mount table, not the hosts'."""
    root = lab.path / "servers"
    if root.is_dir():
        for d in root.iterdir():
            datafiles.unmount_backup_fs(d)
