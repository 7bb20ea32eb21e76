"""What every cityops task shares: the selection flags, loading the inventory, failing clearly."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import traceback
from pathlib import Path

from invoke import Exit, Task

from ..errors import EXIT_BAD_INPUT, EXIT_TOOL, BadInput
from ..inventory import Inventory, load_inventory
from ..inventory.selection import Selection, select
from ..transport import redact

SELECTION_HELP = {
    "bureau": "委办局: id or Chinese name, comma-separated (gxj, 市公安局)",
    "lot": "标项: 6-10, 12, 6 (all of 6-1..6-12), comma-separated",
    "site": "机房/站点 id (szcs, dzzw, cnpc_dc, ...)",
    "zone": "网络区域 id (gov_extranet, video, hrss, ...)",
    "class": "设备类别 (server, core_switch, camera, ...), comma-separated",
    "subsystem": "分系统 id (6_10_network, 12_server_storage, ...)",
    "host": "host names or globs, comma-separated",
    "limit": "an ansible host pattern, e.g. 'core_switches:&site_dzzw'",
    "inventory": "inventory directory (default: ./inventory)",
}
SELECTION_PARAMS = ("bureau", "lot", "site", "zone", "class_", "subsystem", "host", "limit")


class SelectionTask(Task):
    """An invoke task whose `class_` parameter is spelled `--class` on the command line."""

    def arg_opts(self, name, default, taken_names):
        opts = super().arg_opts(name, default, taken_names)
        if name.endswith("_") and not name.startswith("_"):
            opts["names"] = [name.rstrip("_")]
            opts["attr_name"] = name
        return opts


def selection_task(*args, **kwargs):
    """Decorator: an invoke task with the shared selection flags documented."""
    from invoke import task

    helps = dict(SELECTION_HELP)
    helps["class_"] = helps.pop("class")
    helps.update(kwargs.pop("help", {}))
    kwargs.setdefault("auto_shortflags", False)
    return task(*args, klass=SelectionTask, help=helps, **kwargs)


@contextlib.contextmanager
def tool_failure(what: str):
    """Around a task's work: bad input passes through (one line, exit 4); anything else unexpected is the tool's
    own failure: the traceback for the engineer, then one line and exit 3."""
    try:
        yield
    except BadInput:
        raise
    except Exception:
        sys.stderr.write(redact.text(traceback.format_exc()))
        raise Exit(f"cityops: {what} failed (tool error, exit 3)", code=EXIT_TOOL) from None


def refusing_bad_input(body):
    """Wrap a task: input it refuses ends in one line naming the place and the cause, exit status 4, no traceback."""

    @functools.wraps(body)
    def wrapper(*args, **kwargs):
        try:
            return body(*args, **kwargs)
        except BadInput as exc:
            raise Exit(redact.text(f"cityops: {exc}"), code=EXIT_BAD_INPUT) from None
        except Exit as exc:  # a task's own last word passes the same redaction as everything else it writes
            if isinstance(exc.message, str):
                raise Exit(redact.text(exc.message), code=exc.code) from None
            raise
        except BrokenPipeError:  # `invoke backup.schedule | head`: the reader left; stop quietly, as a Unix tool does
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise Exit(code=141) from None

    return wrapper


def guard_collection(collection) -> None:
    """Every task of a collection (and of the collections in it) refuses bad input the same way."""
    for t in collection.tasks.values():
        if not getattr(t.body, "_refuses_bad_input", False):
            t.body = refusing_bad_input(t.body)
            t.body._refuses_bad_input = True
    for sub in collection.collections.values():
        guard_collection(sub)


def inventory_root(path: str | None) -> Path:
    if path:
        return Path(path)
    env = os.environ.get("CITYOPS_INVENTORY")
    return Path(env) if env else Path.cwd() / "inventory"


def load(path: str | None = None) -> Inventory:
    root = inventory_root(path)
    if not root.is_dir():
        raise Exit(f"cityops: inventory directory {root} does not exist (run from the repository root "
                   f"or pass --inventory)", code=3)
    return load_inventory(root)


def warn_problems(inv: Inventory) -> None:
    """Tasks other than inventory.check go on despite inventory problems, but say so."""
    if inv.problems:
        print(f"cityops: the inventory has {len(inv.problems)} problem(s); run `invoke inventory.check`. First:",
              file=sys.stderr)
        for p in inv.problems[:5]:
            print(f"  {p}", file=sys.stderr)


def selection(inv: Inventory, *, bureau=None, lot=None, site=None, zone=None, class_=None, subsystem=None,
              host=None, limit=None, **extra) -> Selection:
    return select(inv, bureau=bureau, lot=lot, site=site, zone=zone, device_class=class_, subsystem=subsystem,
                  host=host, limit=limit, **extra)  # SelectionError is bad input: exit 4
