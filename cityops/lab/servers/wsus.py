"""A lab zone's WSUS: the server's approvals and each client's installed updates, and the client side of an install.

The zone's state (/srv/wsus/state.json, the directory every Windows host of the zone mounts) holds which updates are
approved for which computer group, and per client which it has installed. On the WSUS server, PowerShell's
UpdateServices API answers `GetComputerTargetByName('<client>').GetUpdateInstallationInfoPerUpdate()` (a row per
update of the client's release: KB|title|state|approval) and `… | Approve-WsusUpdate -Action Install
-TargetGroupName <group>` for the KBs the pipeline names. On a client: `Set-Content` of a script (base64, as the
change sends it) under C:\\ (the host's /srv/winc), `schtasks /Create | /Run | /Query` of a task run as SYSTEM whose
script drives the Windows Update Agent — the lab installs what is approved and not yet installed, writes the
script's result file (KB|ResultCode, RebootRequired|…) — and `Get-HotFix` lists what was installed.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import socket
import sys
import time
from pathlib import Path

from .jsonstate import locked_state
from .wsfc import windows_path

STATE = Path("/srv/wsus/state.json")
TASKS = Path("/srv/winc/.cityops-lab-tasks.json")
# the updates a 2012 R2 client is offered: the last public monthly rollup and the malicious software removal tool
CATALOGUE = (("5031419", "2023-10 Security Monthly Quality Rollup for Windows Server 2012 R2 for x64-based Systems "
              "(KB5031419)", "Security Updates", True),
             ("890830", "Windows Malicious Software Removal Tool x64 - v5.118 (KB890830) - October 2023",
              "Update Rollups", False))


def _defaults(state: dict) -> None:
    state.setdefault("approved", {})  # kb -> [groups]
    state.setdefault("installed", {})  # client -> {kb: epoch}
    state.setdefault("clients", {})  # client -> computer group, as registered with the server


def _zone(change=None) -> dict:
    return locked_state(STATE, _defaults, change)


def me() -> str:
    return socket.gethostname()


def server(script: str) -> int:
    low = script.lower()
    state = _zone()
    if "getcomputertargetbyname" in low:
        m = re.search(r"getcomputertargetbyname\(\s*'([^']+)'\s*\)", script, re.I)
        client = m.group(1) if m else ""
        if client not in state["clients"]:
            print(f"Exception calling \"GetComputerTargetByName\" with \"1\" argument(s): \"The computer target "
                  f"'{client}' was not found.\"", file=sys.stderr)
            return 1
        group = state["clients"][client]
        for kb, title, _cls, _reboot in CATALOGUE:
            installed = kb in state["installed"].get(client, {})
            approved = group in state["approved"].get(kb, []) or "All Computers" in state["approved"].get(kb, [])
            print(f"{kb}|{title}|{'Installed' if installed else 'NotInstalled'}|{'Install' if approved else 'NotApproved'}")
        return 0
    if "approve-wsusupdate" in low:
        kbs = re.findall(r"-contains\s+'(\d+)'", script, re.I)
        group = re.search(r"-TargetGroupName\s+'([^']+)'", script, re.I)
        if not kbs or group is None:
            print("Approve-WsusUpdate : Cannot validate argument on parameter 'TargetGroupName'.", file=sys.stderr)
            return 1

        def approve(s: dict) -> None:
            for kb in kbs:
                if any(kb == c[0] for c in CATALOGUE) and group.group(1) not in s["approved"].setdefault(kb, []):
                    s["approved"][kb].append(group.group(1))
        _zone(approve)
        return 0
    return 2


def set_content(script: str) -> int:
    path = re.search(r"Set-Content\s+-Path\s+'([^']+)'", script, re.I)
    data = re.search(r"FromBase64String\('([A-Za-z0-9+/=]+)'\)", script)
    target = windows_path(path.group(1)) if path else None
    if target is None or data is None:
        print("Set-Content : Cannot bind argument to parameter 'Path'.", file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(base64.b64decode(data.group(1)))
    return 0


def get_content(script: str) -> int:
    path = re.search(r"Get-Content\s+(?:-Path\s+)?'([^']+)'", script, re.I)
    target = windows_path(path.group(1)) if path else None
    try:
        sys.stdout.write(target.read_text())
    except (OSError, AttributeError):
        print(f"Get-Content : Cannot find path '{path.group(1) if path else ''}' because it does not exist.",
              file=sys.stderr)
        return 1
    return 0


def hotfixes() -> list[str]:
    """This client's installed updates from its WSUS, newest first, as Get-HotFix rows (HotFixID|Description|date)."""
    mine = _zone()["installed"].get(me(), {}) if STATE.exists() else {}
    kinds = {kb: cls for kb, _t, cls, _r in CATALOGUE}
    return [f"KB{kb}|{'Security Update' if kinds.get(kb) == 'Security Updates' else 'Update'}|"
            f"{dt.datetime.fromtimestamp(at).strftime('%Y/%m/%d')}"
            for kb, at in sorted(mine.items(), key=lambda kv: -kv[1])]


def _tasks(change=None) -> dict:
    return locked_state(TASKS, lambda s: None, change)


def schtasks(args: list[str]) -> int:
    opts = {a.lower(): args[i + 1] for i, a in enumerate(args[:-1]) if a.startswith("/")}
    name = opts.get("/tn", "")
    if "/create" in (a.lower() for a in args):
        if not name or "/tr" not in opts:
            print("ERROR: Invalid syntax. Mandatory option '/tr' is missing.")
            return 1
        _tasks(lambda s: s.__setitem__(name, {"run": opts["/tr"], "user": opts.get("/ru", ""), "last": 267011}))
        print(f'SUCCESS: The scheduled task "{name}" has successfully been created.')
        return 0
    task = _tasks().get(name)
    if task is None:
        print("ERROR: The system cannot find the file specified.")
        return 1
    if "/run" in (a.lower() for a in args):
        code = run_update_task(task["run"]) if task["user"].upper() == "SYSTEM" else 0x80070005
        _tasks(lambda s: s[name].__setitem__("last", code))
        print(f'SUCCESS: Attempted to run the scheduled task "{name}".')
        return 0
    if "/query" in (a.lower() for a in args):
        print(f"HostName:                             {me()}\nTaskName:                             \\{name}\n"
              f"Status:                               Ready\nLast Result:                          {task['last']}\n"
              f"Task To Run:                          {task['run']}\nRun As User:                          "
              f"{task['user']}")
        return 0
    print("ERROR: Invalid syntax.")
    return 1


def run_update_task(command: str) -> int:
    """The task's script, as the agent would run it: what is approved for this client and not yet installed."""
    script = re.search(r"-File\s+(\S+)", command)
    kbs = re.search(r"-KB\s+([\d,]+)", command)
    result = re.search(r"-Result\s+(\S+)", command)
    path = windows_path(script.group(1)) if script else None
    if path is None or not path.exists() or "Microsoft.Update.Session" not in path.read_text(errors="replace"):
        return 0x80070002  # the file the task runs is not there
    out_path = windows_path(result.group(1)) if result else path.with_name("wu-result.txt")
    wanted = [k for k in (kbs.group(1).split(",") if kbs else []) if k]
    state = _zone()
    group = state["clients"].get(me(), "")
    have = state["installed"].get(me(), {})
    todo = [c for c in CATALOGUE if c[0] in wanted and c[0] not in have
            and (group in state["approved"].get(c[0], []) or "All Computers" in state["approved"].get(c[0], []))]
    now = time.time()
    _zone(lambda s: s["installed"].setdefault(me(), {}).update({c[0]: now for c in todo}))
    lines = [f"KB{c[0]}|2" for c in todo] + [f"RebootRequired|{any(c[3] for c in todo)}"]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text("\r\n".join(lines) + "\r\n")
    return 0


def main(argv: list[str]) -> int:
    tool, args = argv[0], argv[1:]
    if tool == "schtasks":
        return schtasks(args)
    if tool == "hotfix":
        rows = hotfixes()
        if rows:
            print("\n".join(rows))
        return 0
    script = " ".join(args)
    if re.search(r"set-content", script, re.I):
        return set_content(script)
    if re.search(r"get-content", script, re.I):
        return get_content(script)
    return server(script)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
