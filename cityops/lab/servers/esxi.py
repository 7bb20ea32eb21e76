"""VMware ESXi 6.x hosts: `vmware -v` and the esxcli namespaces an inspection reads, from state and faults.

Like AIX, the lab host underneath is the Debian userland over SSH; what makes it
ESXi for a check is what these answer: version, hardware platform, VMFS
filesystems (disk_full), storage paths (io_errors kills one), NICs, the
vmkernel log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

# the image profile each release's build above came with: 6.0 U2, 6.5 U3, 6.7 P03
BASE_PROFILES = {"6.0": "ESXi-6.0.0-20160302001-standard", "6.5": "ESXi-6.5.0-20190702001-standard",
                 "6.7": "ESXi-6.7.0-20201104001-standard"}


def stage_bundle(srv: Path, host: dict) -> None:
    """The offline bundle the host's `esxi_patch` names, staged on its datastore (/vmfs/volumes is the host's
    /srv/vmfs/volumes): the lab's bundle is a note of the image profile and build it brings."""
    from .esxcli import datastore_path

    patch = host.get("esxi_patch") if isinstance(host.get("esxi_patch"), dict) else {}
    where = datastore_path(str(patch.get("bundle") or ""))
    if where is None:
        return
    path = srv / where.relative_to("/srv")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"profile={patch.get('profile', '')}\nbuild={patch.get('build', '')}\n"
                    f"created={patch.get('released', '')}T00:00:00\n")


def is_esxi(host: dict) -> bool:
    return host.get("os", "").startswith("VMware ESXi")


def render(host: dict, faults: dict, now: dt.datetime) -> dict[str, str]:
    seed = int(hashlib.sha256(host["name"].encode()).hexdigest()[:8], 16)
    version = host["os"].split()[-1]
    build = {"6.0": "3620759", "6.5": "13932383", "6.7": "17167734"}.get(version, "17167734")
    profile = BASE_PROFILES.get(version, BASE_PROFILES["6.7"])
    full = faults.get("disk_full")
    used = int(full.get("percent", 97)) if full else 40 + seed % 35
    size = 4 * 1024**4
    dead = "io_errors" in faults
    out = {
        "esxi/version": f"VMware ESXi {version}.0 build-{build}\n",
        "esxi/profile": f"(Updated) {profile}\n",  # the image profile of that build (esxcli.py: what updates it)
        "esxi/system_version": (f"   Product: VMware ESXi\n   Version: {version}.0\n   Build: Releasebuild-{build}\n"
                                "   Update: 3\n   Patch: 135\n"),
        "esxi/hardware_platform": (f"Platform Information\n   UUID: 0x{seed:08x} 0x12 0x34\n"
                                   f"   Product Name: {host.get('model', '')}\n   Vendor Name: {host.get('vendor', 'IBM')}\n"
                                   f"   Serial Number: 06{seed % 10**5:05d}\n"),
        "esxi/filesystem_list": ("Mount Point                                        Volume Name  "
                                 "UUID                                 Mounted  Type    Size           Free\n"
                                 "/vmfs/volumes/5c1a2b3c-datastore1                 datastore1   "
                                 f"5c1a2b3c-0000-0000-0000-{seed:012x}  true     VMFS-6  {size}  {size * (100 - used) // 100}\n"),
        "esxi/path_list": "".join(
            f"vmhba2:C0:T{t}:L0\n   Runtime Name: vmhba2:C0:T{t}:L0\n   Device: naa.6000{seed:08x}{t:04d}\n"
            f"   State: {'dead' if dead and t == 1 else 'active'}\n" for t in range(2)),
        "esxi/nic_list": ("Name    PCI Device    Driver  Admin Status  Link Status  Speed  Duplex\n"
                          "vmnic0  0000:01:00.0  igbn    Up            Up            1000  Full\n"
                          "vmnic1  0000:01:00.1  igbn    Up            Up            1000  Full\n"),
    }
    log = [f"{now.strftime('%Y-%m-%dT%H:%M:%S')}Z cpu1:2097 vmkernel: hostd started"]
    if dead:
        log.append(f"{now.strftime('%Y-%m-%dT%H:%M:%S')}Z cpu3:2112)NMP: nmp_ThrottleLogForDevice: "
                   f"Cmd 0x2a to dev naa.6000{seed:08x}0001 on path vmhba2:C0:T1:L0 Failed: H:0x1 D:0x0 P:0x0")
    out["log/vmkernel.log"] = "\n".join(log) + "\n"
    return out
