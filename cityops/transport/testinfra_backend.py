"""A pytest-testinfra backend over cityops' sessions, so checks use testinfra's `host` API through the one layer.

Runner mode wraps an open session (`host_for(session)`); pytest mode registers the
`cityops://HOSTNAME` scheme (`pytest checks/ --hosts=cityops://web01,cityops://sw01`)
and opens the session from the inventory, the credentials and the known_hosts
named by CITYOPS_INVENTORY and CITYOPS_LAB (see checks/conftest.py).
"""

from __future__ import annotations

from typing import Any

import testinfra.backend
import testinfra.host
from testinfra.backend import base

from .base import Session


class CityopsBackend(base.BaseBackend):
    NAME = "cityops"
    session_factory = None  # set by checks/conftest.py in pytest mode: name -> Session

    def __init__(self, hostspec: str, *args: Any, session: Session | None = None, **kwargs: Any):
        name = self.parse_hostspec(hostspec).name
        self.session = session or type(self).session_factory(name)
        super().__init__(name, *args, **kwargs)

    def get_encoding(self) -> str:
        return "utf-8"

    def run(self, command: str, *args: str, **kwargs: Any) -> base.CommandResult:
        cmd = self.get_command(command, *args)
        answer = self.session.run(cmd)
        return self.result(answer.exit_status if answer.exit_status is not None else -1, self.encode(cmd),
                           answer.stdout.encode(), answer.stderr.encode())


def register() -> None:
    testinfra.backend.BACKENDS["cityops"] = f"{__name__}.CityopsBackend"


def host_for(session: Session) -> testinfra.host.Host:
    backend = CityopsBackend(session.name, session=session)
    host = testinfra.host.Host(backend)
    backend.set_host(host)
    return host
