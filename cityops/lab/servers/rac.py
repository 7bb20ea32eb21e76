"""A lab RAC's own operations: `srvctl stop|start instance`, the cluster-wide status they change, and OPatch on a
node's home — kept in the cluster's shared state (/srv/oradata/.cityops-rac.json, the directory every node of the
cluster mounts), so what one node did every node sees, as on a real cluster.

`srvctl status database` and `crsctl stat res -t` answer as rendered for the faults (oracle.py), with the
instances stopped since shown `not running` / OFFLINE. OPatch (`$ORACLE_HOME/OPatch/opatch`) lists this node's
home (`lspatches`, as OPatch 11.2.0.3.x prints it: `<id>;<description>` then `OPatch succeeded.`), applies a
staged patch only while this node's instance is stopped (else the CheckActiveFilesAndExecutables prerequisite
fails, as it does on a live home) and rolls one back. The fault `patch_breaks_start` makes the instance of a node
whose home took a patch fail to start again — the first node of a rolling patch that goes wrong.
"""

from __future__ import annotations

import os
import re
import socket
import sys
from pathlib import Path

from .jsonstate import locked_state

STATE = Path("/srv/oradata/.cityops-rac.json")
RENDERED = Path("/run/cityops-lab/oracle")
HOME = "/opt/oracle/product/11.2.0/dbhome_1"
# the home as installed in the estate: 11.2.0.4 with the October 2020 PSUs (their real ids and descriptions)
BASE = (("31668908", "OJVM PATCH SET UPDATE 11.2.0.4.201020"),
        ("31537677", "Database Patch Set Update : 11.2.0.4.201020 (31537677)"))


def _defaults(state: dict) -> None:
    state.setdefault("stopped", [])
    state.setdefault("homes", {})


def _locked(change=None) -> dict:
    return locked_state(STATE, _defaults, change)


def node() -> str:
    return socket.gethostname()


def instances() -> dict[str, str]:
    """instance -> node, from the rendered cluster status."""
    text = (RENDERED / "srvctl_status_database").read_text()
    return {m.group(1): m.group(2) for m in re.finditer(r"^Instance (\S+) is (?:not )?running on node (\S+)", text, re.M)}


def home(state: dict, name: str) -> list[list[str]]:
    return state["homes"].get(name) or [list(p) for p in BASE]


def status_database(state: dict) -> str:
    out = []
    for line in (RENDERED / "srvctl_status_database").read_text().splitlines():
        m = re.match(r"^Instance (\S+) is (?:not )?running on node (\S+)", line)
        if m and m.group(2) in state["stopped"]:
            line = f"Instance {m.group(1)} is not running on node {m.group(2)}"
        out.append(line)
    return "\n".join(out) + "\n"


def stat_res(state: dict) -> str:
    out, in_db = [], False
    for line in (RENDERED / "crsctl_stat_res_t").read_text().splitlines():
        if line and not line[0].isspace():
            in_db = line.startswith("ora.") and line.endswith(".db")
        elif in_db:
            parts = line.split()
            if len(parts) >= 4 and parts[3] in state["stopped"]:
                line = f"{parts[0]:>7}        {'OFFLINE':<7} {'OFFLINE':<12} {parts[3]:<24} Instance Shutdown"
        out.append(line)
    return "\n".join(out) + "\n"


def srvctl(args: list[str]) -> int:
    words = " ".join(args)
    if words.startswith("status database"):
        sys.stdout.write(status_database(_locked()))
        return 0
    m = re.match(r"^(stop|start) instance\b", words)
    opts = dict(zip(args[2::2], args[3::2], strict=False))
    inst = opts.get("-i", "")
    where = instances().get(inst)
    if m is None or where is None:
        print("PRKO-2002 : Invalid command line option" if m is None else
              f"PRCD-1027 : Failed to retrieve database {opts.get('-d', '')}\nPRCD-1035 : {inst} is not an instance")
        return 1
    state = _locked()
    stopped = where in state["stopped"]
    if m.group(1) == "stop":
        if stopped:
            print(f"PRCC-1016 : {inst} was already stopped")
            return 2
        _locked(lambda s: s["stopped"].append(where))
        return 0
    if not stopped:
        print(f"PRCC-1014 : {inst} was already running")
        return 2
    breaks = (RENDERED / "breaks_after_patch").read_text().split() if (RENDERED / "breaks_after_patch").exists() else []
    patched = [p for p, _d in home(state, where) if p not in dict(BASE)]
    if where in breaks and patched:
        db = opts.get("-d", "")
        print(f"PRCR-1013 : Failed to start resource ora.{db}.db\nPRCR-1064 : Failed to start resource ora.{db}.db on "
              f"node {where}\nCRS-5017: The resource action \"ora.{db}.db start\" encountered the following error: \n"
              "ORA-00600: internal error code, arguments: [kcbzib_kcrsds_1], [], [], [], [], [], [], [], [], [], [], []\n"
              f". For details refer to \"(:CLSN00107:)\" in \"/opt/oracle/grid/log/{where}/agent/crsd/oraagent_oracle/"
              "oraagent_oracle.log\".")
        return 1
    _locked(lambda s: s["stopped"].remove(where))
    return 0


def opatch(args: list[str]) -> int:
    me = node()
    state = _locked()
    if args[:1] == ["lspatches"]:
        for pid, desc in reversed(home(state, me)):
            print(f"{pid};{desc}")
        print("\nOPatch succeeded.")
        return 0
    head = "Oracle Interim Patch Installer version 11.2.0.3.28\nCopyright (c) 2020, Oracle Corporation.  All rights reserved.\n"
    if args[:1] == ["apply"]:
        where = next((a for a in args[1:] if not a.startswith("-")), os.getcwd())
        staged = Path(where) / "patch.txt"
        try:
            fields = dict(line.split("=", 1) for line in staged.read_text().splitlines() if "=" in line)
        except OSError:
            print(f"{head}\nOPatch failed: the patch location {where} does not hold a patch.\n\nOPatch failed with error "
                  "code 135")
            return 135
        pid, desc = fields.get("id", ""), fields.get("description", "")
        if any(p == pid for p, _d in home(state, me)):
            print(f"{head}\nThe following patch(es) are duplicate patches with patches installed in the Oracle Home.\n"
                  f" [ {pid}]\nYou have already installed same patch(es) which are going to be installed.\n\n"
                  "OPatch succeeded.")
            return 0
        if me not in state["stopped"]:
            print(f"{head}\nPrerequisite check \"CheckActiveFilesAndExecutables\" failed.\nThe details are:\n\n"
                  f"Following executables are active :\n{HOME}/bin/oracle\nUtilSession failed: Prerequisite check "
                  "\"CheckActiveFilesAndExecutables\" failed.\n\nOPatch failed with error code 73")
            return 73
        _locked(lambda s: s["homes"].__setitem__(me, [*home(s, me), [pid, desc]]))
        print(f"{head}\nOracle Home       : {HOME}\nPatching component oracle.rdbms, 11.2.0.4.0...\n\n"
              f"Composite patch {pid} successfully applied.\nLog file location: {HOME}/cfgtoollogs/opatch/"
              "opatch_apply.log\n\nOPatch succeeded.")
        return 0
    if args[:1] == ["rollback"] and "-id" in args:
        pid = args[args.index("-id") + 1] if args.index("-id") + 1 < len(args) else ""
        if me not in state["stopped"]:
            print(f"{head}\nPrerequisite check \"CheckActiveFilesAndExecutables\" failed.\n\nOPatch failed with error code 73")
            return 73
        if not any(p == pid for p, _d in home(state, me)) or pid in dict(BASE):
            print(f"{head}\nInvalid patch ID {pid}: not an applied interim patch.\n\nOPatch failed with error code 135")
            return 135
        _locked(lambda s: s["homes"].__setitem__(me, [p for p in home(s, me) if p[0] != pid]))
        print(f"{head}\nRollbackSession removing interim patch '{pid}' from inventory\n\nOPatch succeeded.")
        return 0
    print(f"{head}\nOPatch: unknown command.\n\nOPatch failed with error code 14")
    return 14


def main(argv: list[str]) -> int:
    tool, args = argv[0], argv[1:]
    if tool == "srvctl":
        return srvctl(args)
    if tool == "crsctl":
        sys.stdout.write(stat_res(_locked()))
        return 0
    return opatch(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
