"""A lab ESXi host's own software and power operations, as an image-profile patch uses them.

State in the host's own lab directory (esxi/software.json, kept across its reboots): maintenance mode and the
image profile installed. `esxcli software profile update -d <offline bundle> -p <profile>` needs maintenance
mode (VMware's MaintenanceModeError otherwise), reads the bundle staged on the host's datastore (the lab's bundle
is a note of the profile and the build it brings) and takes effect at the next boot, as on a real host: `vmware -v`
and `esxcli system version get` report the new build only once the host has booted after the update. `esxcli
system shutdown reboot -r <reason>` needs maintenance mode too and restarts the host through its init. Maintenance
mode survives the reboot.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

L = Path("/run/cityops-lab")
STATE = L / "esxi-sw" / "software.json"  # the host's own, writable by its login (esxi/ is rendered)
DATASTORES = Path("/srv/vmfs/volumes")  # the host's /vmfs/volumes


def _state() -> dict:
    try:
        return json.loads(STATE.read_text())
    except (OSError, ValueError):
        return {}


def _save(state: dict) -> None:
    tmp = STATE.with_name(STATE.name + ".tmp")
    tmp.write_text(json.dumps(state, sort_keys=True))
    tmp.replace(STATE)


def booted_at() -> float:
    try:
        return float((L / "booted").read_text().strip())
    except (OSError, ValueError):
        return 0.0


def base() -> tuple[str, str, str]:
    """(version, build, profile) as installed: the rendered `vmware -v`."""
    text = (L / "esxi" / "version").read_text()
    m = re.search(r"VMware ESXi (\d+\.\d+)\.\d+ build-(\d+)", text)
    version, build = (m.group(1), m.group(2)) if m else ("6.5", "0")
    return version, build, (L / "esxi" / "profile").read_text().strip() if (L / "esxi" / "profile").exists() else ""


def running() -> tuple[str, str]:
    """(build, profile) the host runs now: an update staged before its last boot has taken effect."""
    _version, build, profile = base()
    state = _state()
    pending = state.get("pending")
    if pending and pending["staged"] <= booted_at():
        return pending["build"], pending["profile"]
    return state.get("build", build), state.get("profile", profile)


def datastore_path(text: str) -> Path | None:
    m = re.match(r"^/vmfs/volumes/([^/]+)/(.+)$", text)
    if not m or ".." in m.group(2).split("/"):
        return None
    return DATASTORES / m.group(1) / m.group(2)


def bundle(text: str) -> dict | None:
    path = datastore_path(text)
    try:
        fields = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line) if path else None
    except OSError:
        return None
    return fields or None


def _opt(args: list[str], *names: str) -> str:
    for i, a in enumerate(args):
        for n in names:
            if a == n and i + 1 < len(args):
                return args[i + 1]
            if a.startswith(n + "="):
                return a.split("=", 1)[1]
    return ""


def vmware_v() -> int:
    version, _b, _p = base()
    print(f"VMware ESXi {version}.0 build-{running()[0]}")
    return 0


def esxcli(args: list[str]) -> int:
    words = " ".join(a for a in args if not a.startswith("-"))
    state = _state()
    if words.startswith("system maintenanceMode get"):
        print("Enabled" if state.get("maintenance") else "Disabled")
        return 0
    if words.startswith("system maintenanceMode set"):
        on = _opt(args, "--enable", "-e").lower()
        if on not in ("true", "false"):
            print("Error: Missing required parameter -e|--enable")
            return 1
        state["maintenance"] = on == "true"
        _save(state)
        return 0
    if words.startswith("system stats uptime get"):
        print(int((time.time() - booted_at()) * 1_000_000))
        return 0
    if words.startswith("system version get"):
        version, _b, _p = base()
        print(f"   Product: VMware ESXi\n   Version: {version}.0\n   Build: Releasebuild-{running()[0]}\n"
              "   Update: 3\n   Patch: 135")
        return 0
    if words.startswith("software profile get"):
        _build, profile = running()
        print(f"{profile}\n   Name: {profile}\n   Vendor: VMware, Inc.\n   Acceptance Level: PartnerSupported")
        return 0
    if words.startswith("software sources profile list"):
        depot = _opt(args, "--depot", "-d")
        found = bundle(depot)
        if found is None:
            print(f" [NoMatchError]\n No depot found at {depot}\n Please refer to the log file for more details.")
            return 1
        print("Name                             Vendor        Acceptance Level  Creation Time        "
              "Modification Time\n-------------------------------  ------------  ----------------  "
              "-------------------  -------------------")
        print(f"{found.get('profile', ''):<31}  VMware, Inc.  PartnerSupported  {found.get('created', '')}  "
              f"{found.get('created', '')}")
        return 0
    if words.startswith("software profile update"):
        depot, profile = _opt(args, "--depot", "-d"), _opt(args, "--profile", "-p")
        found = bundle(depot)
        if found is None:
            print(f" [NoMatchError]\n No depot found at {depot}\n Please refer to the log file for more details.")
            return 1
        if found.get("profile") != profile:
            print(f" [NoMatchError]\n No image profile found with name '{profile}'\n id = {profile}\n "
                  "Please refer to the log file for more details.")
            return 1
        if running()[1] == profile:
            print("Update Result\n   Message: Host is not changed.\n   Reboot Required: false\n   VIBs Installed: \n"
                  "   VIBs Removed: \n   VIBs Skipped: ")
            return 0
        if not state.get("maintenance"):
            print(" [MaintenanceModeError]\n MaintenanceMode is required to remove: [VMware_bootbank_esx-base]; "
                  "install: [VMware_bootbank_esx-base].\n Please refer to the log file for more details.")
            return 1
        current = running()
        state["build"], state["profile"] = current
        state["pending"] = {"build": found.get("build", ""), "profile": profile, "staged": time.time()}
        _save(state)
        print("Update Result\n   Message: The update completed successfully, but the system needs to be rebooted "
              "for the changes to be effective.\n   Reboot Required: true\n"
              f"   VIBs Installed: VMware_bootbank_esx-base_{base()[0]}.0-3.{found.get('build', '')}\n"
              f"   VIBs Removed: VMware_bootbank_esx-base_{base()[0]}.0-3.{current[0]}\n   VIBs Skipped: ")
        return 0
    if words.startswith("system shutdown reboot"):
        if not _opt(args, "--reason", "-r"):
            print("Error: Missing required parameter -r|--reason")
            return 1
        if not state.get("maintenance"):
            print("Unable to reboot the host: it is not in maintenance mode.")
            return 1
        fd = os.open(L / "power", os.O_WRONLY)  # the host's init reboots it
        os.write(fd, b"reboot\n")
        os.close(fd)
        return 0
    print(f"Error: Unknown command or namespace {words}")
    return 1


def main(argv: list[str]) -> int:
    if argv[:1] == ["vmware"]:
        return vmware_v()
    return esxcli(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
