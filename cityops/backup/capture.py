"""Collecting one device's configurations and judging each capture complete before anything keeps it.

A capture is kept only when all of these hold (Oxidized's and RANCID's users' worst complaint is a truncated
config stored as good when the prompt got out of step):
  1. the prompt came back after it (the connector returns an answer only at the prompt it learned at login;
     no prompt within the time limit is a failure, not a capture);
  2. no device error string in it (the driver's error markers: 'Error: Unrecognized command', '% Invalid input');
  3. the driver's reader takes it: not empty, ending with the platform's end marker (VRP and Comware `return`,
     IOS `end`), beginning with the header NX-OS always prints;
  4. at least `MIN_LINES` lines;
  5. no more than `max_drop` smaller (in lines) than the last good copy.
A capture that fails any of them is quarantined with the reason; it never replaces the last good copy. After a
quarantined capture the session is closed: what the device prints next may be the rest of this one.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import time
from dataclasses import dataclass, field

from .. import drivers
from ..drivers.base import SECTION
from ..drivers.models import Config
from ..inventory.model import Host
from ..parsers import ParseError
from ..transport import redact
from ..transport.base import TransportConfig
from ..transport.errors import ConnectFailure
from ..transport.registry import open_session

KINDS = {"running": "running_config", "startup": "startup_config"}  # what is kept -> the driver's getter
MIN_LINES = 8
MAX_DROP = 0.5

CAUSES = {  # cause code -> Chinese, for the summary and the reports
    "device_error": "设备返回错误信息", "empty": "配置输出为空", "incomplete": "配置输出不完整（无结束标记）",
    "not_a_config": "输出不是配置文件", "too_small": "配置过短", "size_drop": "配置较上次大幅缩小",
    "out_of_step": "会话已失步，未继续采集",
}


@dataclass
class Capture:
    host: str
    kind: str  # running | startup
    command: str
    status: str  # ok | quarantined | failed | skipped
    cause: str = ""  # a code of CAUSES or of transport.errors.CAUSES
    detail: str = ""
    config: Config | None = field(default=None, repr=False)
    quarantine_text: str = field(default="", repr=False)  # masked: what was captured, for the engineer to see
    seconds: float = 0.0

    @property
    def lines(self) -> int:
        return self.config.text.count("\n") if self.config else 0

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.config.text.encode()).hexdigest() if self.config else ""


def judge(host: str, kind: str, command: str, answer_text: str, failed: bool, reader, last: str | None,
          max_drop: float = MAX_DROP, document=None) -> Capture:
    """Decide whether one captured answer is a complete configuration; the reasons of checks 2-5 above. A web
    console's export is read from its JSON `document`; `answer_text` is then the configuration text it holds."""
    def quarantined(cause: str, detail: str) -> Capture:  # masked only when kept for the engineer to see
        return Capture(host, kind, command, "quarantined", cause, detail, quarantine_text=redact.text(answer_text))

    if failed:
        first = next((ln.strip() for ln in answer_text.splitlines() if ln.strip()), "")
        return quarantined("device_error", f"the device answered with an error: {first[:120]!r}")
    if not answer_text.strip():
        return quarantined("empty", "the device printed nothing for the configuration")
    try:
        config = reader(answer_text if document is None else document)
    except ParseError as exc:
        text = str(exc)
        cause = "incomplete" if "incomplete" in text else "empty" if "empty" in text else "not_a_config"
        return quarantined(cause, text.split(": ", 1)[-1][:300])
    lines = config.text.count("\n")
    if lines < MIN_LINES:
        return quarantined("too_small", f"{lines} lines (fewer than {MIN_LINES})")
    if last:
        before = last.count("\n")
        if before and lines < before * (1 - max_drop):
            return quarantined("size_drop", f"{lines} lines against {before} in the last good copy "
                                            f"(-{100 - 100 * lines // before}%, more than {int(max_drop * 100)}%)")
    return Capture(host, kind, command, "ok", config=config)


def kinds_of(h: Host) -> list[str]:
    """The configurations the host's platform keeps that cityops can read (running; startup where apart)."""
    driver = drivers.get(str(h.get("platform")))
    return [k for k, g in KINDS.items() if driver is not None and g in driver.getters]


def answer(session, getter) -> tuple[str, bool, object]:
    """(text, device error, JSON document or None) of one configuration getter: a CLI command, several in turn
    (a storage array's tables, each under its `SECTION` line; the first that fails ends it), or a path of the web
    console's API (its export document)."""
    if getter.sections:
        parts = []
        for command in getter.sections:
            a = session.run(command)
            if not a.ok:
                return a.stdout or a.stderr or f"'{command}' failed (exit {a.exit_status})", True, None
            parts.append(f"{SECTION}{command}\n{a.stdout.rstrip()}\n")
        return "".join(parts), False, None
    if getter.via == "api":
        doc = session.api_get(getter.command)
        text = doc.get("config") if isinstance(doc, dict) and isinstance(doc.get("config"), str) else ""
        return text, False, doc
    a = session.run(getter.command)
    return a.stdout, not a.ok, None


def collect(h: Host, config: TransportConfig, deadline: float, last: dict[str, str | None],
            max_drop: float = MAX_DROP) -> list[Capture]:
    """Every configuration the host's platform keeps, over one session; a failure ends the host's captures."""
    driver = drivers.get(str(h.get("platform")))
    kinds = kinds_of(h)
    out: list[Capture] = []
    session = None
    try:
        session = open_session(h, config, deadline)
        for i, kind in enumerate(kinds):
            getter = driver.for_host(KINDS[kind], h)
            t0 = time.monotonic()
            try:
                text, failed, doc = answer(session, getter)
            except ParseError as exc:  # the console answered, but not with JSON: nothing to keep
                out.append(Capture(h.name, kind, getter.command, "quarantined", "not_a_config", str(exc)[:300],
                                   seconds=time.monotonic() - t0))
                break
            except ConnectFailure as exc:
                out.append(Capture(h.name, kind, getter.command, "failed", exc.cause, exc.detail or exc.chinese,
                                   seconds=time.monotonic() - t0))
                out += [Capture(h.name, k, driver.for_host(KINDS[k], h).command, "skipped", exc.cause,
                                "the session was lost before this capture") for k in kinds[i + 1:]]
                break
            c = judge(h.name, kind, getter.command, text, failed, getter.read, last.get(kind), max_drop, doc)
            c.seconds = time.monotonic() - t0
            out.append(c)
            if c.status != "ok":
                out += [Capture(h.name, k, driver.for_host(KINDS[k], h).command, "skipped", "out_of_step",
                                f"not asked: the {kind} capture was quarantined and the session may be out of step")
                        for k in kinds[i + 1:]]
                break
    except ConnectFailure as exc:
        out = [Capture(h.name, k, driver.for_host(KINDS[k], h).command, "failed", exc.cause, exc.detail or exc.chinese)
               for k in kinds]
    finally:
        if session is not None:
            session.close()
    return out


def unsaved_lines(platform: str, running: Config, startup: Config) -> int:
    """How many lines the running configuration and the startup one differ by (0: everything is saved); a change
    not saved is lost at the next reload. Compared on the full texts (a changed key counts), without the lines
    that only name the listing."""
    driver = drivers.get(platform)
    headers = [re.compile(h) for h in getattr(driver, "listing_headers", ())]

    def lines(text: str) -> list[str]:
        return [ln for ln in text.splitlines() if ln.strip() and not any(h.match(ln) for h in headers)]

    added, removed = changed_lines(lines(running.full), lines(startup.full))
    return added + removed


def changed_lines(old: list[str], new: list[str]) -> tuple[int, int]:
    """(lines added, lines removed) from `old` to `new`."""
    added = removed = 0
    for line in difflib.unified_diff(old, new, lineterm="", n=0):
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed
