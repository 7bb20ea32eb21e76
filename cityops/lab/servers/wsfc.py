"""A lab Windows failover cluster's own operations, as a rolling patch of its SQL Server nodes uses them.

Kept in the cluster's shared state (/srv/sqldata/.cityops-wsfc.json, the directory every node of the cluster
mounts), so what one node did every node sees, as on a real cluster:
- `Suspend-ClusterNode -Name N -Drain` moves the roles N owns to another node that is up and not paused (none
  left: the drain fails, as it does on a real cluster) and pauses N; `Resume-ClusterNode -Name N -Failback
  Immediate` resumes it and brings back what the drain took away;
- `shutdown /r /t S` (Windows' own, as an administrator's session runs it) takes the node down after S seconds —
  its roles fail over — and its init marks it up again when it has booted (the `no_boot` fault: it never does);
- SQL Server's patch level per node (`HKLM:\\...\\MSSQL11.MSSQLSERVER\\Setup` PatchLevel), raised by the staged
  installer run through `Start-Process` (`C:\\patches\\…` is the node's /srv/winc/patches/…; the staged file holds
  the `kb=` and `version=` it installs);
- `Get-ClusterNode` / `Get-ClusterGroup` and whether this node's instance answers follow that state, on top of
  what the faults rendered (a `sqlserver_node_down` node stays down).

Until a first operation writes the state file the shims answer from the rendered files alone.
"""

from __future__ import annotations

import re
import socket
import sys
from pathlib import Path

from .jsonstate import locked_state

STATE = Path("/srv/sqldata/.cityops-wsfc.json")
RENDERED = Path("/run/cityops-lab/win")
DRIVE = Path("/srv/winc")  # the node's C:\
# the release's own registry key and the level each release was installed at (its last service pack)
RELEASES = {"2012": ("MSSQL11.MSSQLSERVER", "11.0.7001.0"),
            "2014": ("MSSQL12.MSSQLSERVER", "12.0.6024.0"), "2016": ("MSSQL13.MSSQLSERVER", "13.0.5026.0")}


def _defaults(state: dict) -> None:
    for key, empty in (("paused", []), ("down", []), ("levels", {}), ("failback", {})):
        state.setdefault(key, empty)
    state.setdefault("owners", {g: o for g, o, _s in rendered_groups()})


def _locked(change=None) -> dict:
    return locked_state(STATE, _defaults, change)


def me() -> str:
    return socket.gethostname()


def rendered_nodes() -> list[tuple[str, str]]:
    return [tuple(line.split("|", 1)) for line in _read("cluster_nodes").splitlines() if "|" in line]


def rendered_groups() -> list[tuple[str, str, str]]:
    return [tuple(line.split("|", 2)) for line in _read("cluster_groups").splitlines() if line.count("|") == 2]


def _read(name: str) -> str:
    try:
        return (RENDERED / name).read_text()
    except OSError:
        return ""


def node_states(state: dict) -> dict[str, str]:
    """Node -> Up | Down | Paused: the faults' rendering, then what the cluster's own operations did."""
    out = {}
    for node, rendered in rendered_nodes():
        down = rendered == "Down" or node in state["down"]
        out[node] = "Down" if down else "Paused" if node in state["paused"] else "Up"
    return out


def owners(state: dict) -> dict[str, str | None]:
    """Group -> the node that runs it: its owner while that node is up, else the first node that may take it (up,
    not paused); None when no node can (the group has failed)."""
    nodes = node_states(state)
    out = {}
    listed = [g for g, _o, _s in rendered_groups()]  # in the cluster's own order, as Get-ClusterGroup lists them
    for group in sorted(state["owners"], key=lambda g: listed.index(g) if g in listed else len(listed)):
        owner = state["owners"][group]
        if nodes.get(owner) not in ("Up", "Paused"):
            owner = next((n for n, s in nodes.items() if s == "Up"), None)
        out[group] = owner
    return out


def _settle(state: dict) -> None:
    """Fail over what a down node held, as the cluster does by itself."""
    for group, owner in owners(state).items():
        if owner is not None:
            state["owners"][group] = owner


def release(host_os: str) -> tuple[str, str]:
    """(registry key, installed level) of the SQL Server release the host's `os` names."""
    m = re.search(r"SQL Server (\d{4})", host_os)
    return RELEASES.get(m.group(1) if m else "2012", RELEASES["2012"])


def level(state: dict, node: str) -> str:
    return state["levels"].get(node) or _read("sql_level").strip() or RELEASES["2012"][1]


def windows_path(text: str) -> Path | None:
    m = re.match(r"^[cC]:\\(.+)$", text.strip())
    return DRIVE.joinpath(*[p for p in m.group(1).split("\\") if p]) if m else None


def _named(script: str, param: str) -> str:
    m = re.search(rf"-{param}\s+(?:'([^']*)'|\"([^\"]*)\"|(\S+))", script, re.I)
    return next((g for g in m.groups() if g is not None), "") if m else ""


def _error(cmdlet: str, message: str, category: str) -> int:
    print(f"{cmdlet} : {message}\n    + CategoryInfo          : {category}\n"
          f"    + FullyQualifiedErrorId : {cmdlet.replace('-', '')}Failed", file=sys.stderr)
    return 1


def _named_node(cmdlet: str, script: str) -> tuple[str, dict, dict, int]:
    """The node a cmdlet names (-Name, else this one), the state, every node's state; an error status when that
    node is unknown or down (0 when it may be acted on)."""
    node = _named(script, "Name") or me()
    state = _locked()
    nodes = node_states(state)
    if nodes.get(node) is None:
        return node, state, nodes, _error(cmdlet, f"The cluster node '{node}' was not found.", "ObjectNotFound")
    if nodes[node] == "Down":
        return node, state, nodes, _error(cmdlet, f"The node '{node}' is Down: it cannot be paused or resumed.",
                                          "InvalidOperation")
    return node, state, nodes, 0


def suspend(script: str) -> int:
    node, state, nodes, refused = _named_node("Suspend-ClusterNode", script)
    if refused:
        return refused
    held = [g for g, o in owners(state).items() if o == node]
    target = next((n for n, s in nodes.items() if n != node and s == "Up"), None)
    if held and re.search(r"-Drain\b", script, re.I) and target is None:
        return _error("Suspend-ClusterNode", f"Node '{node}' failed to drain: no other node can host "
                      f"{', '.join(held)}.", "ResourceUnavailable")

    def pause(s: dict) -> None:
        if re.search(r"-Drain\b", script, re.I):
            for g in held:
                s["owners"][g] = target
            s["failback"][node] = held
        if node not in s["paused"]:
            s["paused"].append(node)
    _locked(pause)
    return 0


def resume(script: str) -> int:
    node, _state, _nodes, refused = _named_node("Resume-ClusterNode", script)
    if refused:
        return refused

    def unpause(s: dict) -> None:
        if node in s["paused"]:
            s["paused"].remove(node)
        back = s["failback"].pop(node, [])
        if _named(script, "Failback").lower() == "immediate":
            for g in back:
                s["owners"][g] = node
    _locked(unpause)
    return 0


def install(script: str) -> int:
    """Start-Process -FilePath '<staged installer>' ... -Wait -PassThru: the installer's exit code on stdout."""
    path = windows_path(_named(script, "FilePath"))
    try:
        fields = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line) if path else None
    except OSError:
        fields = None
    if not fields:
        return _error("Start-Process", "This command cannot be run due to the error: The system cannot find the file "
                      "specified.", "InvalidOperation: (:) [Start-Process], InvalidOperationException")
    if "/action=patch" not in _named(script, "ArgumentList").lower():
        print(1639)  # ERROR_INVALID_COMMAND_LINE: the installer was not told to patch
        return 0
    new = fields.get("version", "")
    _locked(lambda s: s["levels"].__setitem__(me(), new))
    print(0)
    return 0


def going_down() -> int:
    """The node's shutdown has begun: it is down for its peers, and the roles it ran fail over."""
    def down(s: dict) -> None:
        if me() not in s["down"]:
            s["down"].append(me())
        _settle(s)
    _locked(down)
    return 0


def booted() -> int:
    """The node's init has booted it: up again for its peers (a paused node stays paused, as on a real cluster)."""
    def up(s: dict) -> None:
        if me() in s["down"]:
            s["down"].remove(me())
    if STATE.exists():
        _locked(up)
    return 0


def powershell(script: str) -> int:
    low = script.lower()
    if "suspend-clusternode" in low:
        return suspend(script)
    if "resume-clusternode" in low:
        return resume(script)
    if "start-process" in low:
        return install(script)
    state = _locked()
    if "get-clusternode" in low:
        for node, st in node_states(state).items():
            print(f"{node}|{st}")
        return 0
    if "get-clustergroup" in low:
        for group, owner in owners(state).items():
            print(f"{group}|{owner or state['owners'][group]}|{'Online' if owner else 'Failed'}")
        return 0
    if "patchlevel" in low:
        key = _read("sql_key").strip()
        if not key or key.lower() not in low:  # another release's key (or no SQL Server here)
            path = re.search(r"'(HKLM:[^']*)'", script)
            return _error("Get-ItemProperty", f"Cannot find path '{path.group(1) if path else 'HKLM:'}' because it "
                          "does not exist.", "ObjectNotFound: (HKLM:...:String) [Get-ItemProperty], "
                          "ItemNotFoundException")
        print(level(state, me()))
        return 0
    if "test-path" in low:
        path = windows_path(re.search(r"test-path\s+'([^']*)'", script, re.I).group(1)) \
            if re.search(r"test-path\s+'([^']*)'", script, re.I) else None
        print("True" if path is not None and path.exists() else "False")
        return 0
    return 2  # not the cluster's: the shim answers it


def instance_here() -> int:
    """Exit 0 when this node runs the SQL Server role now."""
    return 0 if any(g.startswith("SQL Server") and o == me() for g, o in owners(_locked()).items()) else 1


def main(argv: list[str]) -> int:
    tool, args = argv[0], argv[1:]
    if tool == "going_down":
        return going_down()
    if tool == "booted":
        return booted()
    if tool == "instance":
        return instance_here()
    return powershell(" ".join(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
