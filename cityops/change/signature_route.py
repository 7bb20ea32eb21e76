"""Security appliances' signature libraries: an overdue one becomes a planned change (`invoke signatures`).

SEC-SIG-001 stays the source of truth for a library's age: the plan reads each appliance's libraries with the
same getters the check reads and plans an update for every library at or past the check's warning age (7 days;
lot 6-9 deducts 2 points per lapse). The change goes through the one flow — window, inspection before (an
overdue library is what the change is for, so SEC-SIG-001 failing does not refuse it), the 变更方案, check mode,
batches — and applying runs the appliance's own online update (its driver's `signature_update`), reads its
answer for the success it prints, and reads the libraries again: each must now be younger than the warning age.
"""

from __future__ import annotations

from ..drivers import cli_driver
from ..errors import one_line
from ..inspect.catalogue import load_catalogue
from ..inventory.model import Host
from ..parsers import ParseError
from ..timeutil import today
from ..transport.base import TransportConfig
from ..transport.errors import ConnectFailure
from .route import HostPlan, HostResult, Route

CHECK = "SEC-SIG-001"
GETTERS = ("signatures", "av_signatures")  # the pages the check reads (checks/test_security.py)


def warn_days() -> int:
    return int(load_catalogue()[CHECK].warn)


class SignatureRoute(Route):
    kind = "signature"
    title = "安全设备特征库升级"
    items_word, items_unit = "待升级特征库", "个"
    verify_checks = (CHECK,)
    fixes = (CHECK,)
    rollback_note = "未回退：特征库升级不回退；已停止后续批次，失败设备按复核结果处置"

    def unsupported(self, hosts: list[Host]) -> dict[str, str]:
        out = {}
        for h in hosts:
            driver = cli_driver(str(h.get("platform")))
            if driver is None or not driver.signature_update:
                out[h.name] = f"平台 {h.get('platform')} 的特征库升级不经本命令执行"
        return out

    def _libraries(self, session) -> list[tuple[str, str, int]]:
        libs = []
        for name in GETTERS:
            if name not in session.driver.getters:
                continue
            getter = session.driver.for_host(name, session.host)
            answer = session.run(getter.command)
            if not answer.ok:
                raise ParseError(f"'{getter.command}' failed: {one_line(answer.stdout, 200)}")
            libs += [(lib, version, (today() - updated).days) for lib, version, updated in getter.read(answer.stdout)]
        return libs

    def plan(self, hosts: list[Host], config: TransportConfig) -> list[HostPlan]:
        from ..transport.registry import open_session

        limit, out = warn_days(), []
        for h in hosts:
            try:
                session = open_session(h, config)
            except ConnectFailure as exc:
                out.append(HostPlan(h.name, error=str(exc)))
                continue
            try:
                libs = self._libraries(session)
            except (ConnectFailure, ParseError) as exc:
                out.append(HostPlan(h.name, error=one_line(str(exc), 300)))
                continue
            finally:
                session.close()
            overdue = [f"{lib} {version}（{days} 天未更新）" for lib, version, days in libs if days >= limit]
            out.append(HostPlan(h.name, overdue, facts={"libraries": [f"{lib} {v} {d} 天" for lib, v, d in libs]}))
        return out

    def apply(self, batch: list[Host], config: TransportConfig, plans: dict[str, HostPlan]) -> list[HostResult]:
        from ..transport.registry import open_session

        results, limit = [], warn_days()
        for h in batch:
            if not plans[h.name].items:
                results.append(HostResult(h.name, True, "特征库均在时效内，未升级"))
                continue
            try:
                session = open_session(h, config)
            except ConnectFailure as exc:
                results.append(HostResult(h.name, False, str(exc)))
                continue
            try:
                for command, success in session.driver.signature_update:
                    answer = session.run(command, timeout=600)
                    if not answer.ok or success not in answer.stdout:
                        raise ParseError(f"'{command}' 未报告成功：{one_line(answer.stdout, 200) or '无输出'}")
                libs = self._libraries(session)
            except (ConnectFailure, ParseError) as exc:
                results.append(HostResult(h.name, False, f"升级失败：{one_line(str(exc), 300)}"))
                continue
            finally:
                session.close()
            stale = [f"{lib} {days} 天" for lib, _v, days in libs if days >= limit]
            if stale:
                results.append(HostResult(h.name, False, "升级后仍未更新：" + "，".join(stale)))
            else:
                results.append(HostResult(h.name, True, f"已在线升级 {len(libs)} 个特征库，读回确认均为最新",
                                          [f"{lib} {version}" for lib, version, _d in libs]))
        return results

    def describe(self, p: HostPlan) -> str:
        return f"{p.host}: " + ("，".join(p.items) if p.items else "特征库均在时效内，无需升级")

    def plan_record(self, p: HostPlan) -> dict:
        return {"updates": p.items, "error": p.error, **p.facts}
