"""A change route: how one kind of change is planned, applied, verified and undone on its hosts.

The flow (flow.py) is the same for every change — window, inspection before, plan, check mode, batches,
inspection after, record — and asks the route only what differs: which hosts it can change, what each would
take (a host's pending packages, a device's configuration diff), how to apply it and verify it landed, and how
to undo it when a batch fails its checks (a network change replays its backup; a yum update is not undone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..inventory.model import Host
from ..transport.base import TransportConfig


@dataclass
class HostPlan:
    host: str
    items: list[str] = field(default_factory=list)  # what would change, one line each (a package, a diff line)
    error: str = ""
    facts: dict = field(default_factory=dict)  # what the record keeps beside the items (running kernel, backup)
    payload: Any = None  # the route's own reading, for its apply


@dataclass
class HostResult:
    host: str
    ok: bool
    detail: str
    changed: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)


class Route:
    kind = "change"  # the record's kind: patch | network
    title = ""  # 变更名称, for the record and the 变更方案
    items_word = "变更项"  # what the plan's items are called in the 变更方案's scope table, and their unit
    items_unit = "项"
    verify_checks: tuple[str, ...] = ()  # checks run after each batch beside the daily ones
    rollback_note = "未回退"  # what the record says of a failed batch when the route cannot undo it
    change_id = ""  # set by the flow: the route's own runs (a backup first) are filed under it

    def unsupported(self, hosts: list[Host]) -> dict[str, str]:
        """Hosts this route does not change, each with the reason (refused by name, never skipped)."""
        return {}

    def plan(self, hosts: list[Host], config: TransportConfig) -> list[HostPlan]:
        raise NotImplementedError

    def apply(self, batch: list[Host], config: TransportConfig, plans: dict[str, HostPlan]) -> list[HostResult]:
        raise NotImplementedError

    def rollback(self, batch: list[Host], config: TransportConfig,
                 plans: dict[str, HostPlan]) -> list[HostResult] | None:
        """Undo the batch's change; None when this route cannot (the record says `rollback_note`)."""
        return None

    def describe(self, plan: HostPlan) -> str:
        """One line of the command's output for a host's plan."""
        return f"{plan.host}: {len(plan.items)} 项"

    def plan_record(self, plan: HostPlan) -> dict:
        return {"items": plan.items, "error": plan.error, **plan.facts}

    @staticmethod
    def result_record(result: HostResult) -> dict:
        return {"host": result.host, "ok": result.ok, "detail": result.detail, "changed": result.changed,
                **result.facts}
