"""What a check sees while it runs (ctx), and the verdict it ends in (a result record).

`ctx.run(cmd)` sends a command through the host's session and keeps it as
evidence (command, exit status, excerpt, sha256, time); `ctx.measure(value,
item)` compares a number with the check's thresholds; `ctx.condition(ok, item,
shown)` records a state that is either right or not; `ctx.previous(item)` is
the value the last run stored, for trends. The verdict is the worst item:
an unreachable host or an unparsable answer is `error`, never `pass`.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

from ..terms import STATUS_NAMES, STATUS_ORDER
from ..transport import redact
from ..transport.base import Answer, Session
from ..transport.errors import ConnectFailure
from .catalogue import Check

EXCERPT = 2000


from ..parsers import ParseError  # noqa: E402 - re-exported: a check raises it for an unreadable answer


@dataclass
class Item:
    item: str
    status: str
    value: object
    shown: str  # Chinese, with the unit


@dataclass
class Evidence:
    command: str
    exit_status: int | str | None
    excerpt: str
    sha256: str
    collected: str
    seconds: float

    @classmethod
    def of(cls, answer: Answer) -> Evidence:
        text = redact.text(answer.stdout + (("\n" + answer.stderr) if answer.stderr else ""))
        return cls(redact.text(answer.command), answer.exit_status, text[:EXCERPT], hashlib.sha256(text.encode()).hexdigest(),
                   answer.collected, round(answer.seconds, 3))


@dataclass
class Context:
    check: Check
    session: Session | None  # None when the host could not even be addressed: the context only carries a verdict
    warn: float | None = None
    crit: float | None = None
    previous_values: dict = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    values: dict = field(default_factory=dict)  # item -> number, stored for the next run's trends
    shared: list[Answer] = field(default_factory=list)  # answers of facts fetched by an earlier check, reused here
    marks: list[tuple[Session, int]] = field(default_factory=list)  # (session, its answers when this check began)
    reports: object = None  # the reports directory of the run (a Path): what cityops itself recorded, e.g. backups

    def __post_init__(self):
        if self.session is not None:
            self.watch(self.session)

    def watch(self, session: Session) -> Session:
        """Every answer `session` collects from now on is this check's evidence."""
        if all(session is not s for s, _start in self.marks):
            self.marks.append((session, len(session.answers)))
        return session

    @property
    def answers(self) -> list[Answer]:
        """What this check was graded on: the answers its sessions collected while it ran, then shared facts'."""
        own = [a for s, start in self.marks for a in s.answers[start:]]
        return own + [a for a in self.shared if all(a is not b for b in own)]

    @property
    def host_name(self) -> str:
        return self.session.name

    @property
    def inventory_host(self):
        return self.session.host

    @property
    def bmc(self):
        """The host's BMC session (Redfish or IPMI), opened once per run and shared by the BMC checks."""
        from ..transport.bmc import open_bmc

        s = self.session.companions.get("bmc")
        if s is None:
            s = self.session.companions["bmc"] = open_bmc(self.inventory_host, self.session.config,
                                                         self.session.deadline)
        return self.watch(s)

    @property
    def platform(self) -> str:
        return self.session.platform.id

    def run(self, command: str, timeout: float | None = None, ok_status=(0,)) -> Answer:
        """Send a command; a non-zero exit (or the device's error marker) is an error unless `ok_status` allows it."""
        answer = self.session.run(command, timeout)
        if answer.exit_status not in ok_status:
            raise ParseError(f"'{command}' ended with status {answer.exit_status}: "
                             f"{redact.text((answer.stderr or answer.stdout).strip())[:200]}")
        return answer

    def cached(self, key: str, fetch):
        """A fact fetched once per host and run and shared by several checks (one SDR read for the three BMC
        checks): it lives in the host's fact cache with the answers it rests on, and each check that grades on it
        carries those answers as evidence, not only the first one that fetched it."""
        facts = self.session.facts
        if key not in facts:
            before = {id(a) for a in self.answers}
            value = fetch()
            facts[key] = (value, [a for a in self.answers if id(a) not in before])
        value, answers = facts[key]
        self.shared.extend(a for a in answers if all(a is not b for b in self.shared))
        return value

    def read(self, getter: str, facts: str | None = None):
        """A getter of the host's platform driver, or of the named fact set of a role the host has (`facts=
        "oracle"`): its command sent once per host and run (Cisco's fan, power, temperature and alarm getters
        share one `show environment all`), its answer read by the driver. Each check that reads it carries the
        answer as evidence."""
        from .. import drivers

        driver = drivers.fact_set(facts) if facts else drivers.get(self.platform)
        if driver is None:
            raise ParseError(f"{facts or self.platform}: no driver")
        g = driver.for_host(getter, self.inventory_host)
        if g.via == "redfish":  # 'Thermal#Fans': that resource of every chassis the controller lists
            resource = g.command.split("#", 1)[0]
            return g.read(self.cached(f"redfish:{resource}", lambda: self._redfish_chassis(resource)))
        if g.via == "ipmi":  # one SDR read serves the fan, supply and temperature getters
            return g.read(self.cached("ipmi:sdr elist", lambda: self.bmc.sensors()))
        if g.via == "api":  # a path of the device's JSON management API
            return g.read(self.cached(f"api:{g.command}", lambda: self.session.api_get(g.command)))
        def answer() -> str:  # a command that ended non-zero (as its getter allows) is read with what it said on stderr
            a = self.run(g.command, ok_status=g.ok_status)
            return a.stdout if a.exit_status == 0 else a.stdout + a.stderr

        return g.read(self.cached(f"answer:{g.command}", answer))

    def reads(self, getter: str) -> bool:
        """Does the host's platform driver have this getter (an array with an alarm list, a switch with labels)?"""
        from .. import drivers

        driver = drivers.get(self.platform)
        return driver is not None and getter in driver.getters

    def _redfish_chassis(self, resource: str) -> list:
        """The `resource` document (Thermal, Power) of each chassis in /redfish/v1/Chassis; the chassis list is
        fetched once per host and run for both resources."""
        listed = self.cached("redfish:Chassis", lambda: self.bmc.get("/redfish/v1/Chassis").get("Members") or [])
        if not listed:
            raise ParseError("Redfish: no chassis listed")
        return [self.bmc.get(f"{m['@odata.id']}/{resource}") for m in listed]

    def request(self, method: str, path: str, **kw):
        """An HTTP request through the host's session, kept as evidence like a command."""
        return self.session.request(method, path, **kw)

    @property
    def evidence(self) -> list[Evidence]:
        return [Evidence.of(a) for a in self.answers]

    def measure(self, value: float, item: str = "", unit: str | None = None, store: bool = True) -> str:
        unit = self.check.unit if unit is None else unit
        status = grade(value, self.warn, self.crit, self.check.higher_is_worse)
        self.items.append(Item(item, status, value, f"{item + ' ' if item else ''}{fmt(value)}{unit}"))
        if store:
            self.values[item or "-"] = value
        return status

    def condition(self, ok: bool, item: str, shown: str, bad: str = "fail") -> str:
        status = "pass" if ok else bad
        self.items.append(Item(item, status, shown, f"{item}：{shown}" if item else shown))
        return status

    def growth(self, counters: dict[str, int], what: str) -> None:
        """Error counters that must not rise: measure each one's increase since the last run, store them all.
        The first run (no stored values) records a baseline; a counter lower than before (cleared, rebooted)
        restarts from its new value."""
        grew = 0
        for name, count in counters.items():
            self.values[name] = count
            before = self.previous(name)
            if before is not None and count > before:
                self.measure(count - before, name, store=False)
                grew += 1
        if not grew:
            self.condition(True, what, "无" if self.previous_values else
                           f"首次巡检，已记录 {len(counters)} 个端口计数作为基线")

    def skip(self, why: str) -> str:
        """This check does not apply to the host as it stands now (a passive cluster node): `skip`, with the reason."""
        self.items.append(Item("", "skip", None, why))
        return "skip"

    def previous(self, item: str = ""):
        return self.previous_values.get(item or "-")


def fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return str(value)


def grade(value: float, warn: float | None, crit: float | None, higher_is_worse: bool = True) -> str:
    def beyond(limit):
        return limit is not None and (value >= limit if higher_is_worse else value <= limit)
    return "fail" if beyond(crit) else "warn" if beyond(warn) else "pass"


@dataclass(frozen=True)
class Verdict:
    """How one check ended on one host. Typed while cityops works with it; `record()` is its one serialised form,
    the fields of a results.jsonl line (the runner adds run, host, check and facets)."""

    status: str
    cause: str
    value: object
    unit: str
    threshold: str
    message: str
    items: tuple[Item, ...] = ()
    evidence: tuple[Evidence, ...] = ()

    def record(self) -> dict:
        return {**{k: getattr(self, k) for k in ("status", "cause", "value", "unit", "threshold", "message")},
                "items": [asdict(i) for i in self.items], "evidence": [asdict(e) for e in self.evidence]}


def threshold_text(ctx: Context) -> str:
    parts = []
    cmp = "≥" if ctx.check.higher_is_worse else "≤"
    if ctx.warn is not None:
        parts.append(f"告警 {cmp}{fmt(ctx.warn)}{ctx.check.unit}")
    if ctx.crit is not None:
        parts.append(f"严重 {cmp}{fmt(ctx.crit)}{ctx.check.unit}")
    return "，".join(parts)


def verdict(ctx: Context, error: BaseException | None = None) -> Verdict:
    """The verdict a context ends in: its worst item, or `error` with the cause when it could not be read."""
    check = ctx.check
    threshold = threshold_text(ctx)
    if error is not None:
        if isinstance(error, ConnectFailure):
            cause, message = error.cause, f"{check.title}：{error.chinese}" + (f"（{error.detail}）" if error.detail else "")
        elif isinstance(error, ParseError):
            cause, message = "garbage", f"{check.title}：设备应答无法解析 — {error}"
        else:
            cause, message = "check_bug", f"{check.title}：检查程序出错 — {type(error).__name__}: {error}"
        return Verdict("error", cause, None, check.unit, threshold, redact.text(message), (), tuple(ctx.evidence))
    if not ctx.items:
        status, message, value = "error", f"{check.title}：检查未取得任何数据", None
    else:
        worst = max(ctx.items, key=lambda i: STATUS_ORDER.index(i.status))
        numeric = [i for i in ctx.items if i.status == worst.status and isinstance(i.value, (int, float))
                   and not isinstance(i.value, bool)]
        if numeric:  # of equally graded items the most extreme one speaks for the check: /data at 68 %, not / at 36 %
            pick = max if check.higher_is_worse else min
            worst = pick(numeric, key=lambda i: i.value)
        status, value = worst.status, worst.value
        bad = [i for i in ctx.items if i.status not in ("pass", "skip")]
        if status == "skip":
            message = f"{check.title}：不适用 — {worst.shown}"
        elif bad:
            message = f"{check.title}{STATUS_NAMES[status]}：" + "；".join(i.shown for i in bad[:8]) + (
                f" 等 {len(bad)} 项" if len(bad) > 8 else "") + (f"（阈值：{threshold}）" if threshold else "")
        else:
            message = f"{check.title}正常" + (f"：{worst.shown}" if len(ctx.items) == 1 else f"（{len(ctx.items)} 项）")
    return Verdict(status, "", value, check.unit, threshold, redact.text(message), tuple(ctx.items), tuple(ctx.evidence))
