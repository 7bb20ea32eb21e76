"""Each lab server's directory, namespaces and sshd: prepare, start, re-render, break, reboot, stop.

A host directory holds its own /etc overlay (hostname, os-release, passwd and
shadow with the lab user, its yum repositories), its own /usr overlay (this
machine's Python, pip, apt and dpkg whited out; the Python its OS carries in
their place, or none), its own /var/lib (its package database), its sshd host
key and config, a home with the lab's client key, and run/: the rendered state
the shims print, bind-mounted at /run/cityops-lab.

Each host runs under `unshare --uts --mount --pid --fork --mount-proc`: its
hostname, mounts and process table are its own, and its init (start.sh, PID 1
of its namespace) boots it, waits on run/power and, when the host's own
`reboot` writes there, ends every process of that host and boots it again:
new boot id, the newest installed kernel running, sshd restarted. Nothing
outside the namespace is touched; when the init ends, the kernel ends the rest.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess  # nosec B404  # lab setup tools, fixed argv
from pathlib import Path

from ...drivers.linux import is_el6
from ...files import write_atomic
from ...timeutil import now
from ..statedir import LabDir
from . import aix, datafiles, efixes, esxi, oracle, packages, windows
from .shims import ENGINE, lab_tool, write_shims
from .state import os_release, render

LAB_UID = 2000
IN_PLACE = ("proc/meminfo", "proc/loadavg")  # bind-mounted files: rewrite the same inode
# What of this machine's /usr a lab server must not see: its interpreters and Debian's package tools. A real
# RHEL 6 host has neither Python 3.11 nor apt; a lab host that had them would hide what cityops meets there.
HIDDEN = ("python*", "pip*", "pydoc*", "2to3*", "idle*", "apt", "apt-*", "dpkg", "dpkg-*", "debconf*")
HIDDEN_SBIN = ("reboot", "shutdown", "halt", "poweroff", "init", "telinit", "runlevel")
# The interpreters each Python release puts on a host: (version) -> names in /usr/bin
# A host whose OS carries this machine's own Python (Debian 12: 3.11, a zone runner) keeps the real interpreter.
REAL_PYTHON = {"3.11": ("python3.11", "python3")}
INTERPRETERS = {"2.6": ("python2.6", "python2", "python"), "2.7": ("python2.7", "python2", "python"),
                "3.5": ("python3.5", "python3", "python"), "3.6": ("python3.6", "python3"),
                "3.7": ("python3.7", "python3")}
BOOT_SECONDS = 1  # how long a rebooting lab host stays away
WINDOWS_BOOT_SECONDS = 4  # a Windows node stays away longer: a watcher polling its port each second sees it gone
REPO = Path(__file__).resolve().parents[3]  # the checkout the lab's own tools run from


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
    for sub in ("etc", "etcwork", "usrwork", "ssh", "run/out", "run/proc", "run/log", "run/.engine", "varlib",
                f"home/{dev['username']}/.ssh"):
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
    if oracle.is_oracle(dev) and dev.get("cluster"):
        oracle_home(d, dev)
    if windows.is_windows(dev):
        stage_sql_patch(d, dev)
        (d / "srv/winc").mkdir(parents=True, exist_ok=True)  # C:\, where a change puts its scripts
        os.chown(d / "srv/winc", LAB_UID, LAB_UID)
        (d / "srv/wsus").mkdir(exist_ok=True)
        register_wsus_client(lab, dev)
    if esxi.is_esxi(dev):
        esxi.stage_bundle(d / "srv", dev)
        (d / "run/esxi-sw").mkdir(exist_ok=True)  # its software state (esxcli.py), its login's to write
        os.chown(d / "run/esxi-sw", LAB_UID, LAB_UID)
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
    own_usr(d, dev, el6=is_el6(dev.get("os", "")))
    own_packages(d, dev)
    power = d / "run/power"
    if not power.exists():
        os.mkfifo(power, 0o622)  # the host's own `reboot` writes here; its init reads
    power.chmod(0o622)
    (d / "run/.engine/python3").touch()  # this machine's Python is bound here for the lab's own tools
    (d / "run/boot_seconds").write_text(f"{WINDOWS_BOOT_SECONDS if windows.is_windows(dev) else BOOT_SECONDS}\n")
    (d / "start.sh").write_text(start_script(lab, name, is_el6(dev.get("os", "")), dev))


def stage_sql_patch(d: Path, dev: dict) -> None:
    """The SQL Server update a cluster node's rolling patch installs, staged where the inventory's `mssql_patch.file`
    says (C:\\ is the node's /srv/winc): the lab's installer is a note of the KB and the level it installs."""
    from .wsfc import windows_path

    patch = dev.get("mssql_patch") if isinstance(dev.get("mssql_patch"), dict) else {}
    rel = windows_path(str(patch.get("file") or ""))
    if rel is None:
        return
    path = d / "srv" / rel.relative_to("/srv")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"kb={patch.get('kb', '')}\nversion={patch.get('version', '')}\n")


def oracle_home(d: Path, dev: dict) -> None:
    """A RAC node's Oracle home as OPatch sees it (its /opt is the host's run/opt): `OPatch/opatch`, answered from
    the cluster's shared state (rac.py), and the patch staged for the next rolling patch (the October 2023
    Database PSU of 11.2.0.4, by its real id)."""
    from .rac import HOME

    home = str(dev.get("oracle_home") or HOME)
    patch = dev.get("rac_patch") if isinstance(dev.get("rac_patch"), dict) else {}
    staged = str(patch.get("dir") or "/opt/oracle/stage/35574075")
    if not (home.startswith("/opt/") and staged.startswith("/opt/")):
        return  # only the host's /opt is its own in the lab; the inventory puts the home there
    tool = d / "run/opt" / home.removeprefix("/opt/") / "OPatch" / "opatch"
    tool.parent.mkdir(parents=True, exist_ok=True)
    tool.write_text(f'#!/bin/sh\nL=/run/cityops-lab\nset -- opatch "$@"\n{lab_tool("rac")}\n')
    tool.chmod(0o755)
    stage = d / "run/opt" / staged.removeprefix("/opt/")
    stage.mkdir(parents=True, exist_ok=True)
    (stage / "patch.txt").write_text(f"id={patch.get('id', '35574075')}\ndescription="
                                     f"{patch.get('description', 'Database Patch Set Update : 11.2.0.4.231017 (35574075)')}\n"
                                     "rolling=yes\n")


def _whiteout(path: Path) -> None:
    """An overlayfs whiteout: the name is absent in the merged view whatever the lower /usr has."""
    if path.is_symlink() or path.exists():
        path.unlink()
    os.mknod(path, stat.S_IFCHR | 0o000, os.makedev(0, 0))


def own_usr(d: Path, host: dict, el6: bool) -> None:
    """The host's /usr overlay: this machine's interpreters and package tools whited out, the Python the
    inventory says the host's OS carries in their place (or none), and on RHEL 6 no systemd."""
    upper = d / "usr"
    if upper.exists():
        shutil.rmtree(upper)
    for sub in ("bin", "sbin"):
        (upper / sub).mkdir(parents=True)
    hidden = {p.name for pattern in HIDDEN for p in Path("/usr/bin").glob(pattern)}
    hidden -= set(REAL_PYTHON.get(str(host.get("python") or ""), ()))
    if el6:
        hidden |= {p.name for p in Path("/usr/bin").glob("systemd*")} | {"systemctl", "journalctl", "timedatectl"}
    for name in sorted(hidden):
        _whiteout(upper / "bin" / name)
    for name in HIDDEN_SBIN:
        if (Path("/usr/sbin") / name).exists() or (Path("/usr/sbin") / name).is_symlink():
            _whiteout(upper / "sbin" / name)
    version = str(host.get("python") or "none")
    names = INTERPRETERS.get(version, ())
    for i, name in enumerate(names):
        path = upper / "bin" / name
        if path.exists():
            path.unlink()
        if i == 0:
            path.write_text(f"#!/bin/sh\n# Python {version} as this host's OS carries it (cityops/lab/servers/interpreter.py)"
                            f"\nCITYOPS_LAB_PYTHON={version} CITYOPS_LAB_PYTHON_PATH=/usr/bin/{name} exec {ENGINE} -E -s -c "
                            f"'import sys; sys.path.insert(0, \"{REPO}\"); from cityops.lab.servers.interpreter import main; "
                            f"sys.exit(main(sys.argv[1:]))' \"$@\"\n")
            path.chmod(0o755)
        else:
            path.symlink_to(names[0])


def package_db(d: Path) -> Path:
    """The host's package database in its lab directory (its varlib/ is the host's /var/lib)."""
    return d / "varlib" / Path(packages.DB).relative_to("/var/lib")


def own_packages(d: Path, host: dict) -> None:
    """The host's package database (seeded once: a host keeps what was installed on it across lab restarts) and
    its yum repositories at its zone's mirror."""
    dist = packages.dist_of(host.get("os", ""))
    repos = d / "etc" / "yum.repos.d"
    if dist is None:
        return
    db = package_db(d)
    db.parent.mkdir(parents=True, exist_ok=True)
    os.chown(db.parent, LAB_UID, LAB_UID)  # yum, run by the lab user under the lab's sudo, replaces it
    if not db.exists():
        packages.write_db(db, packages.seed_rows(dist, str(host.get("python") or ""), 30, now()), now().tzinfo)
    repos.mkdir(parents=True, exist_ok=True)
    mirror = host.get("package_mirror") or ""
    (repos / "cityops-lab.repo").write_text(packages.repo_config(dist, mirror) if mirror else
                                            "# no package mirror in this host's zone (inventory: package_mirror)\n")
    log = d / "run/log/yum.log"
    log.touch()
    os.chown(log, LAB_UID, LAB_UID)


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


def zone_wsus(lab: LabDir, host: dict) -> Path:
    """The zone's WSUS state on this machine (bind-mounted at /srv/wsus on each Windows host of the zone)."""
    return lab.path / "servers" / "_shared" / f"zone_{host.get('zone') or 'none'}" / "wsus"


def register_wsus_client(lab: LabDir, host: dict) -> None:
    """A Windows host patched through WSUS has reported to its zone's server (its computer group: `wsus_group`)."""
    from .jsonstate import locked_state
    from .wsus import _defaults

    where = zone_wsus(lab, host)
    where.mkdir(parents=True, exist_ok=True)
    os.chown(where, LAB_UID, LAB_UID)
    if host.get("patch_route") == "wsus":
        state = where / "state.json"
        locked_state(state, _defaults, lambda s: s["clients"].__setitem__(host["name"], host.get("wsus_group")
                                                                          or "All Computers"))
        for path in (state, state.with_name(state.stem + ".lock")):
            os.chown(path, LAB_UID, LAB_UID)


def shared_dir(lab: LabDir, host: dict, data: str = "oradata") -> Path | None:
    """Where a cluster's shared database lives on this machine (bind-mounted at /srv/<data> on every node)."""
    return lab.path / "servers" / "_shared" / str(host["cluster"]) / data if host.get("cluster") else None


def share_targets(host: dict) -> list[str]:
    """The backup servers this host's SQL Server backs up to (their disk is its \\\\server\\sqlbak share)."""
    from ...backup.schedule import jobs_of

    return sorted({j.target for j in jobs_of(host) if j.kind == "sqlserver" and j.target})


def start_script(lab: LabDir, name: str, el6: bool = False, host: dict | None = None) -> str:
    """The host's init, PID 1 of its own namespaces: its own /etc, /usr, /var/lib, state, logs and the shims of its
    generation on the PATH, then boot (sshd) and wait for its own `reboot`. A RHEL 6 host gets the EL6 shims
    (SysV `service`, `ntpq`; no `systemctl`, no `chronyc`)."""
    d = host_dir(lab, name)
    shared_mount = "".join(f"mount --bind {shared_dir(lab, host, data)} /srv/{data}\n"
                           for data in ("oradata", "sqldata") if host and host.get("cluster"))
    if host and windows.is_windows(host):
        shared_mount += f"mount --bind {zone_wsus(lab, host)} /srv/wsus\n"
    shared_mount += "".join(f"mount --bind {host_dir(lab, t)}/srv/backup /srv/share/{t}\n"
                            for t in (share_targets(host) if host else []) if host_dir(lab, t).is_dir())
    shims = shims_dir(lab) / ("el6" if el6 else "el7")
    engine = os.path.realpath("/usr/bin/python3")
    return f"""#!/bin/sh
# cityops lab: {name}'s init (run under `unshare --uts --mount --pid --fork --mount-proc --propagation private`)
set -e
hostname {name}
mount --bind {engine} {d}/run/.engine/python3
mount -t overlay cityops-etc -o lowerdir=/etc,upperdir={d}/etc,workdir={d}/etcwork /etc
mount -t overlay cityops-usr -o lowerdir=/usr,upperdir={d}/usr,workdir={d}/usrwork /usr
mount -t tmpfs -o mode=755 cityops-run /run
mkdir -p /run/sshd /run/cityops-lab
mount --rbind {d}/run /run/cityops-lab
mount --bind {d}/run/proc/meminfo /proc/meminfo
mount --bind {d}/run/proc/loadavg /proc/loadavg
mount --bind {d}/run/log /var/log
mount --bind {d}/varlib /var/lib
mount --bind {d}/home /home
mount --bind {d}/run/opt /opt
mount --rbind {d}/srv /srv
{shared_mount}mount --bind -o ro {shims} /usr/local/bin
set +e
L=/run/cityops-lab
# PID 1 of a namespace ignores a signal it has no handler for: lab.down's SIGTERM ends the host at once
trap 'kill -KILL -1 2>/dev/null; exit 0' TERM INT HUP
boot() {{
    cat /proc/sys/kernel/random/uuid > $L/boot_id
    umount /proc/sys/kernel/random/boot_id 2>/dev/null
    mount --bind $L/boot_id /proc/sys/kernel/random/boot_id
    DB={packages.DB}
    [ -f $DB ] && PYTHONHOME=/usr PYTHONPATH={REPO} {ENGINE} -m cityops.lab.servers.packages $DB > $L/running_kernel
    if [ -s $L/no_boot ]; then up=; return; fi  # the no_boot fault: it hangs until powered on again
    [ -f /srv/sqldata/.cityops-wsfc.json ] && ( set -- booted; {lab_tool("wsfc")} )  # back in its failover cluster
    if [ -s $L/up_since ]; then cp $L/up_since $L/booted; : > $L/up_since; else date +%s > $L/booted; fi
    echo "$(date '+%b %d %H:%M:%S') {name} kernel: Linux version $(cat $L/running_kernel 2>/dev/null) booted" >> /var/log/messages
    /usr/sbin/sshd -D -e -f {d}/ssh/sshd_config &
    up=1
}}
boot
while :; do
    read -r cmd < $L/power || continue
    case "$cmd" in
        reboot|"reboot "*)  # `reboot <seconds>`: Windows' shutdown /r /t, timed by the host itself
            delay=${{cmd#reboot}}; [ -n "$delay" ] && sleep $delay
            echo "$(date '+%b %d %H:%M:%S') {name} shutdown[1]: system is going down for reboot NOW" >> /var/log/messages
            kill -TERM -1 2>/dev/null; sleep 0.5; kill -KILL -1 2>/dev/null; wait; up=
            sleep "$(cat $L/boot_seconds 2>/dev/null || echo 1)"
            boot ;;
        power-on) [ -n "$up" ] || boot ;;
    esac
done
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
    files.update(identity(host))
    for rel, text in files.items():
        path = d / rel
        if rel in IN_PLACE and path.exists():
            with open(path, "r+") as fh:
                fh.write(text)
                fh.truncate()
        else:
            write_atomic(path, text.encode(), 0o644)


    sync_packages(host_dir(lab, entry["name"]), host, int(files["installed_days_ago"]),
                  "updates_pending" in all_faults.get(entry["name"], {}))


def sync_packages(d: Path, host: dict, days: int, behind: bool) -> None:
    """The host's package database under the current faults: `updates_pending` puts it back to its distribution's
    base packages (and its running kernel with them), clearing it patches it up to its mirror again; `patch_old`
    (or its clearing) moves the install times of what the host came with. What yum installed keeps its time."""
    if aix.is_aix(host):
        sync_efixes(d, behind)
        return
    db = package_db(d)
    dist = packages.dist_of(host.get("os", ""))
    if not db.exists() or dist is None:
        return
    marker = d / "run" / "behind"
    if behind != marker.exists():
        rows = packages.seed_rows(dist, str(host.get("python") or ""), days, now(), behind=behind)
        packages.write_db(db, rows, now().tzinfo)
        kernel = packages.newest_kernel(rows)
        (d / "run" / "running_kernel").write_text(f"{packages.kernel_release(kernel)}\n" if kernel else "")
        if behind:
            marker.touch()
        else:
            marker.unlink()
        return
    rows = packages.read_db(db)
    moved = packages.reseed_times(rows, days, now())
    if moved != rows:
        packages.write_db(db, moved, now().tzinfo)


def sync_efixes(d: Path, behind: bool) -> None:
    """An AIX host's efix database: every fix of its level when healthy, none under `updates_pending`; seeded once
    and again only when the fault comes or goes, so what emgr installed meanwhile stays."""
    db = d / "varlib" / Path(efixes.DB).relative_to("/var/lib")
    marker = d / "run" / "behind"
    if db.exists() and behind == marker.exists():
        return
    level = efixes.level_of((d / "aix" / "oslevel").read_text()) if (d / "aix" / "oslevel").exists() else ""
    efixes.seed(db, level, behind, now().strftime("%m/%d/%y %H:%M:%S"))
    db.with_name("emgr-reboot.json").unlink(missing_ok=True)  # no fix of the new seed waits for a boot
    os.chown(db.parent, LAB_UID, LAB_UID)  # emgr, run by the lab user under the lab's sudo, replaces it
    os.chown(db, LAB_UID, LAB_UID)
    if behind:
        marker.touch()
    else:
        marker.unlink(missing_ok=True)


def identity(host: dict) -> dict[str, str]:
    """What `uname` says beside the running kernel (which a Linux host's init reads from its packages at boot)."""
    if aix.is_aix(host):
        return {"uname_s": "AIX\n", "running_kernel": "1\n", "uname_v": "7\n", "uname_m": "00F84C9A4C00\n"}
    if esxi.is_esxi(host):
        release = next((w for w in str(host.get("os", "")).split() if w[:1].isdigit()), "6.5")
        return {"uname_s": "VMkernel\n", "running_kernel": f"{release}.0\n",
                "uname_v": "#1 SMP Release build-5310538 Apr  3 2017 17:13:48\n"}
    return {"uname_s": "Linux\n", "uname_v": "#1 SMP Tue Jan 14 14:25:54 EST 2020\n",
            "dnf": "1" if packages.dist_of(host.get("os", "")) == "ky10" else ""}


def cluster_members(entry: dict, entries: list[dict]) -> list[dict]:
    cluster = entry["host"].get("cluster")
    return [e for e in entries if cluster and e["host"].get("cluster") == cluster] or [entry]


def command(lab: LabDir, name: str) -> list[str]:
    return ["unshare", "--uts", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--propagation",
            "private", "/bin/sh", str(host_dir(lab, name) / "start.sh")]


def prepare_all(lab: LabDir, entries: list[dict]) -> None:
    shims = shims_dir(lab)
    if shims.exists():
        shutil.rmtree(shims)
    write_shims(shims / "el7")
    write_shims(shims / "el6", el6=True)
    client_key(lab)
    for name in backup_servers(entries):  # a real, small disk: a full one fails the real `cat` with ENOSPC
        datafiles.mount_backup_fs(host_dir(lab, name))
    for e in entries:
        prepare(lab, e)
    for e in entries:
        rerender(lab, e, {}, cluster_members(e, entries))
        run = host_dir(lab, e["name"]) / "run"
        days = int((run / "up_days").read_text())  # the init takes this as its first boot's time
        (run / "up_since").write_text(f"{int(now().timestamp()) - days * 86400 - 3 * 3600 - 12 * 60}\n")


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
