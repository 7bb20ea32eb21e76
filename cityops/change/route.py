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


def declared(h: Host, field_name: str, keys: tuple[str, ...]) -> tuple[dict, list[str]]:
    """The host's inventory mapping `field_name` (a patch it is to take) and the keys of it left empty."""
    value = h.get(field_name)
    value = value if isinstance(value, dict) else {}
    return value, [f"{field_name}.{k}" for k in keys if not str(value.get(k) or "")]


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
    fixes: tuple[str, ...] = ()  # checks this change puts right: failing before it does not refuse it
    rollback_note = "未回退"  # what the record says of a failed batch when the route cannot undo it
    change_id = ""  # set by the flow: the route's own runs (a backup first) are filed under it

    def unsupported(self, hosts: list[Host]) -> dict[str, str]:
        """Hosts this route does not change, each with the reason (refused by name, never skipped)."""
        return {}

    def plan(self, hosts: list[Host], config: TransportConfig) -> list[HostPlan]:
        raise NotImplementedError

    def order(self, hosts: list[Host], plans: dict[str, HostPlan]) -> list[Host]:
        """The order the hosts are changed in, from their plans (a cluster's node that runs its role goes last)."""
        return hosts

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


class PatchRoute(Route):
    """A patch route: its plan's items are the updates a host takes, its result the ones it took."""

    kind = "patch"

    def plan_record(self, plan: HostPlan) -> dict:
        return {"updates": plan.items, "error": plan.error, **plan.facts}

    @staticmethod
    def result_record(result: HostResult) -> dict:
        return {"host": result.host, "ok": result.ok, "detail": result.detail, "updated": result.changed,
                **result.facts}


class RouteByHost(Route):
    """Several routes under one change, each host taking the one its inventory names (`patch_route`): a patch of a
    lot's RHEL and AIX servers is one change, one window, one record, each host patched its own way."""

    def __init__(self, routes: dict[str, Route], field_name: str, title: str):
        self.routes, self.field_name, self.title = routes, field_name, title
        first = next(iter(routes.values()))
        self.kind, self.items_word, self.items_unit = first.kind, first.items_word, first.items_unit
        self.verify_checks = tuple(dict.fromkeys(c for r in routes.values() for c in r.verify_checks))
        self.fixes = tuple(dict.fromkeys(c for r in routes.values() for c in r.fixes))
        self.rollback_note = "；".join(dict.fromkeys(r.rollback_note for r in routes.values()))
        self._of: dict[str, Route] = {}

    def route_of(self, h: Host) -> Route | None:
        return self.routes.get(str(h.get(self.field_name) or ""))

    def unsupported(self, hosts: list[Host]) -> dict[str, str]:
        return {h.name: str(h.get(self.field_name) or f"未在清单中登记 {self.field_name}") for h in hosts
                if self.route_of(h) is None}

    def _split(self, hosts: list[Host]) -> dict[int, tuple[Route, list[Host]]]:
        groups: dict[int, tuple[Route, list[Host]]] = {}
        for h in hosts:
            route = self.route_of(h)
            self._of[h.name] = route
            route.change_id = self.change_id
            groups.setdefault(id(route), (route, []))[1].append(h)
        return groups

    def plan(self, hosts: list[Host], config: TransportConfig) -> list[HostPlan]:
        plans = {p.host: p for route, group in self._split(hosts).values() for p in route.plan(group, config)}
        return [plans[h.name] for h in hosts if h.name in plans]

    def order(self, hosts: list[Host], plans: dict[str, HostPlan]) -> list[Host]:
        return [h for route, group in self._split(hosts).values() for h in route.order(group, plans)]

    def apply(self, batch: list[Host], config: TransportConfig, plans: dict[str, HostPlan]) -> list[HostResult]:
        done = {r.host: r for route, group in self._split(batch).values() for r in route.apply(group, config, plans)}
        return [done[h.name] for h in batch if h.name in done]

    def rollback(self, batch: list[Host], config: TransportConfig,
                 plans: dict[str, HostPlan]) -> list[HostResult] | None:
        undone = [route.rollback(group, config, plans) for route, group in self._split(batch).values()]
        return None if all(u is None for u in undone) else [r for u in undone if u for r in u]

    def describe(self, plan: HostPlan) -> str:
        return self._of[plan.host].describe(plan)

    def plan_record(self, plan: HostPlan) -> dict:
        return self._of[plan.host].plan_record(plan)

    def result_record(self, result: HostResult) -> dict:  # type: ignore[override]  # per host, not static
        return self._of[result.host].result_record(result)
