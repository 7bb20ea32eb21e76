"""The check catalogue: what each check declares, and the registry the runner and pytest both read.

A check is a pytest-testinfra test function under checks/, decorated with
`@check(...)`: its stable id, Chinese title, the platforms (and optionally
device classes or roles) it applies to, cadences, severity, thresholds, the
standard it serves and the remediation hint. The function takes testinfra's
`host` and a `ctx` (cityops.inspect.context.Context) and reports what it
measured through `ctx`; the verdict is the catalogue's, not the function's.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..inventory.model import Host
from ..terms import CHECK_CADENCES, CHECK_SEVERITIES

CADENCES = CHECK_CADENCES
SEVERITIES = CHECK_SEVERITIES
CHECKS_DIR = Path(__file__).resolve().parents[2] / "checks"


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    platforms: tuple[str, ...]
    cadences: tuple[str, ...]
    severity: str
    remedy: str
    fn: Callable = field(compare=False, repr=False)
    warn: float | None = None
    crit: float | None = None
    unit: str = ""
    higher_is_worse: bool = True
    classes: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()  # inventory fields the host must have (bmc_protocol ...)
    standard: str = ""
    module: str = ""
    when: Callable | None = field(default=None, compare=False, repr=False)  # host -> bool: it has what is checked

    def applies(self, host: Host, cadence: str | None = None) -> bool:
        if str(host.get("platform")) not in self.platforms:
            return False
        if self.classes and str(host.get("device_class")) not in self.classes:
            return False
        if self.roles and str(host.get("role")) not in self.roles:
            return False
        if any(not host.get(field) for field in self.requires):
            return False
        if self.when is not None and not self.when(host):
            return False
        return cadence is None or cadence in self.cadences

    def thresholds(self, host: Host) -> tuple[float | None, float | None]:
        """warn/crit, overridden per group or host by the inventory's `check_thresholds: {ID: {warn, crit}}`."""
        override = (host.get("check_thresholds") or {}).get(self.id) or {}
        return override.get("warn", self.warn), override.get("crit", self.crit)


REGISTRY: dict[str, Check] = {}


def check(id: str, title: str, *, platforms, cadences=("daily",), severity="major", remedy: str, warn=None,
          crit=None, unit="", higher_is_worse=True, classes=(), roles=(), requires=(), standard="", when=None):
    """Declare a check. Raises at import if the declaration is incomplete or the id is taken."""
    def wrap(fn: Callable) -> Callable:
        bad = [c for c in cadences if c not in CADENCES]
        if bad or severity not in SEVERITIES or not remedy or not title:
            raise ValueError(f"check {id}: cadences {bad or 'ok'}, severity '{severity}', title and remedy are required")
        c = Check(id=id, title=title, platforms=tuple(platforms), cadences=tuple(cadences), severity=severity,
                  remedy=remedy, fn=fn, warn=warn, crit=crit, unit=unit, higher_is_worse=higher_is_worse,
                  classes=tuple(classes), roles=tuple(roles), requires=tuple(requires), standard=standard,
                  module=fn.__module__, when=when)
        if id in REGISTRY and REGISTRY[id].fn.__qualname__ != fn.__qualname__:
            raise ValueError(f"check id {id} declared twice ({REGISTRY[id].module} and {fn.__module__})")
        REGISTRY[id] = c
        fn.cityops_check = c
        return fn
    return wrap


def load_catalogue(directory: Path = CHECKS_DIR) -> dict[str, Check]:
    """Import every checks/test_*.py once (as pytest would) and return the registry."""
    for path in sorted(directory.glob("test_*.py")):
        name = f"cityops_checks.{path.stem}"
        if name in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return REGISTRY


def applicable(hosts: list[Host], cadence: str | None, only: set[str] | None = None) -> dict[str, list[Check]]:
    catalogue = load_catalogue()
    return {h.name: [c for c in catalogue.values() if c.applies(h, cadence) and (not only or c.id in only)]
            for h in hosts}
