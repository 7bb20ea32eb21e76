"""A platform driver: everything cityops knows about one kind of device, in one module.

napalm's shape: one class per platform, a common set of getters returning typed models (models.py).
pyinfra's fact: a getter is its command and its reader together, so what is sent and how its answer is
read can never drift apart. A FactSet is a platform's getters (a storage array read over SSH commands or a
web console's API); a Driver is a FactSet reached through a device CLI, and also owns that session's
knowledge: the netmiko device type and encoding, the prompt, a read-only probe to get in step after login,
the device's own error markers and how many sessions it lets in. The connectors (transport/cli.py) and the
checks ask the driver; nothing else names a command.

A reader that meets text it does not understand raises ParseError with the cause and an excerpt: an
unparsable answer is an `error`, never a partial reading that grades as a pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from ..parsers import ParseError
from .models import Config, Part


@dataclass(frozen=True)
class Getter:
    """A command and the reader of its answer. Several getters may send the same command (Cisco's one
    `show environment all` holds fans, power and temperatures); a check run sends it once per host.
    `via="api"`: the command is a path of the device's JSON management API, and the reader takes the JSON.
    `ok_status`: the exit statuses whose output the reader judges (`lsnrctl status` exits 1 when the listener is
    down, and that answer is the reading, not a failure to read).
    `sections`: a listing assembled from several commands, sent in turn over one session (a storage array prints
    its configuration as several tables, as RANCID gathers several `show` commands into one file); `command` is
    then their names joined, for the records, and the reader takes the answers under `SECTION` lines."""

    command: str
    read: Callable[[Any], Any]
    via: str = "cli"
    ok_status: tuple[int, ...] = (0,)
    sections: tuple[str, ...] = ()


def sections_getter(commands: tuple[str, ...], read: Callable[[Any], Any]) -> Getter:
    """A getter whose answer is several commands' answers, each under its `SECTION` line."""
    return Getter(" ; ".join(commands), read, sections=commands)


class FactSet:
    """What cityops reads from one platform: `getters` maps a getter name to its Getter. A platform lists only
    what it can read; checks apply where a platform has the getter they read (`drivers.having`).

    Getters in use: facts, cpu, memory, fans, power_supplies, temperatures, alarms, boards, interface_errors
    (network and FC switches); health, signatures, alarms (security appliances); disks, pools, health, alarms
    (storage arrays and backup appliances)."""

    platform: ClassVar[str]
    kind: ClassVar[str]  # network | fc_switch | appliance | load_balancer | storage: which family of checks applies
    getters: ClassVar[dict[str, Getter]] = {}
    # getters whose empty answer is a reading (no error logged, no failed job), not a failure to read
    may_be_empty: ClassVar[frozenset[str]] = frozenset()

    def for_host(self, name: str, host) -> Getter:
        """The getter as this host is read: the variant for its generation (`variants`), its command complete. An
        array read through the CLI of its management station names its controller as `{target}`: the host's
        `sp_address`, or its own address."""
        g = self.variant(name, host)
        if "{target}" in g.command:
            target = str(host.get("sp_address") or host.get("ansible_host"))
            g = replace(g, command=g.command.replace("{target}", target),
                        sections=tuple(c.replace("{target}", target) for c in g.sections))
        return g

    def variant(self, name: str, host) -> Getter:
        """Which of a getter's variants this host answers (one, unless a platform's generations differ)."""
        return self.getter(name)

    def variants(self, name: str) -> list[Getter]:
        """Every variant of a getter, for the captures: each is held to real output of its own command."""
        return [self.getter(name)]

    def getter(self, name: str) -> Getter:
        try:
            return self.getters[name]
        except KeyError:
            raise ParseError(f"{self.platform}: cityops reads no '{name}' for this platform") from None

    def read(self, name: str, text):
        """Read an answer already in hand with the named getter's reader (tests, captures, the lab check)."""
        return self.getter(name).read(text)


@dataclass(frozen=True)
class ChangeMethod:
    """How a platform takes a reviewed configuration change (`invoke change`), and how it is undone.

    `napalm`: napalm's driver of that name — load_merge_candidate, compare_config, commit_config, rollback (its
    own rollback file). Otherwise netmiko's configuration mode: `enter` and `leave` it, `commit` where the
    platform keeps a candidate (VRP8), the platform's own save; undone by replaying the backup taken first.
    `negate` is the platform's word that takes a line back out (`undo `, `no `); `up` leaves a section, one of
    those `sections` opens (a line that opens one is followed by `up` when its lines are done); `discard` leaves
    configuration mode dropping an uncommitted candidate (VRP8 `abort`)."""

    enter: str = ""
    leave: str = ""
    up: str = "quit"
    negate: str = "undo "
    commit: str = ""
    discard: str = ""
    napalm: str = ""
    sections: tuple[str, ...] = ()

    def opens(self, line: str) -> bool:
        return any(line == s.strip() or line.startswith(s) for s in self.sections)


# the lines that open a section (a view, a sub-mode) on VRP and Comware, and on IOS
VRP_SECTIONS = ("interface ", "aaa", "acl ", "ospf", "bgp ", "user-interface ", "rip", "isis", "ip vpn-instance ",
                "route-policy ", "vlan ", "traffic classifier ", "traffic behavior ", "traffic policy ")
IOS_SECTIONS = ("interface ", "line ", "router ", "ip access-list ", "route-map ", "policy-map ", "class-map ",
                "vlan ")


class Driver(FactSet):
    """A platform reached through an interactive device CLI: the getters, and the session's own knowledge."""

    netmiko: ClassVar[str]  # the netmiko device type its CLI session is driven with
    encoding: ClassVar[str] = "utf-8"
    # how many CLI sessions the device lets in at once (VRP: 5 VTY lines); None when it sets no low limit
    max_sessions: ClassVar[int | None] = None
    # a read-only command and a pattern only its answer prints (transport/cli.py's sync after login)
    sync: ClassVar[tuple[str, str] | None] = None
    # what the device prints instead of an answer; a CLI has no exit status, so these stand for a non-zero one
    error_markers: ClassVar[tuple[str, ...]] = ("% Invalid input", "% Unknown command", "% Unrecognized")
    # lines of a configuration listing that name the listing itself (NX-OS's '!Command: show running-config'):
    # left out when the running and the startup configurations are compared for unsaved changes
    listing_headers: ClassVar[tuple[str, ...]] = ()
    # how it takes a configuration change (None: cityops makes no configuration change on it)
    change: ClassVar[ChangeMethod | None] = None
    # the commands that update its signature libraries online, and what each prints when it did (a security
    # appliance's planned signature change, cityops/change/signature_route.py); () when cityops does not
    signature_update: ClassVar[tuple[tuple[str, str], ...]] = ()

    def prompt_pattern(self, base: str) -> str:
        """The device's prompt once netmiko has learned its base (`sw1`): 'sw1#', 'sw1>', 'sw1(config)#'."""
        return rf"{re.escape(base)}[^\n\s]*\s?[>#$]"

    def failed(self, answer: str) -> bool:
        """Did the device answer with its own error instead of the command's output?"""
        head = answer[:200]
        return any(marker in head for marker in self.error_markers)


def config_reader(platform: str, end: str | None, noise: tuple[str, ...] = (), start: str | None = None):
    """The reader of a platform's configuration listing (napalm's get_config, Oxidized's and RANCID's rules):
    refused when empty or when its last line is not the platform's end marker (VRP and Comware `return`, IOS
    `end`: a listing cut short by a timeout or a lost session ends elsewhere) or, where the platform prints no end
    marker (NX-OS), when its first line is not the header it always prints (`start`); lines matching `noise`
    dropped; every secret masked by the one redaction module."""
    from ..transport import redact

    end_line = re.compile(end) if end else None
    start_line = re.compile(start) if start else None
    noise_lines = [re.compile(n) for n in noise]

    def read(text: str) -> Config:
        body = [ln.rstrip() for ln in text.replace("\r\n", "\n").split("\n")]
        while body and not body[-1]:
            body.pop()
        if not any(body):
            raise refuse(platform, "configuration: empty answer", "")
        first = next(ln for ln in body if ln.strip())
        if start_line and not start_line.match(first.strip()):
            raise refuse(platform, f"not a configuration listing: it does not begin with {start}", first)
        if end_line and not end_line.match(body[-1]):  # at the margin: a nested stanza's closer is not the end
            raise refuse(platform, f"configuration incomplete: it does not end with its end marker ({end})", body[-1])
        kept = [ln for ln in body if not any(n.search(ln) for n in noise_lines)]
        full = "\n".join(kept) + "\n"
        return Config(redact.text(full), len(body) - len(kept), full)

    return read


SECTION = "#### "  # the line a sections listing puts before each command's answer: '#### show lun general'


@dataclass(frozen=True)
class Section:
    """One command of a sections listing and what its answer must look like: its first line matching `start`
    (the table's header: an answer without it is an error message or another command's output), its last line
    matching `end` where the tool prints one ('SMcli completed successfully.'), or exactly `empty` when the
    device has none of these objects. `noise` drops lines, `state_columns` drops columns of a table by their
    header: a LUN's health, a pool's usage, a thin LUN's consumed capacity change without a change of
    configuration, and a diff must mean a change."""

    command: str
    start: str
    end: str | None = None
    empty: str | None = None
    noise: tuple[str, ...] = ()
    state_columns: tuple[str, ...] = ()


def column_spans(header: str, rule: str | None) -> list[tuple[int, int, str]]:
    """(start, end, name) of each column of a fixed-width table: from its rule of dashes when it has one,
    otherwise from the header's names (two or more spaces apart)."""
    pattern = r"-+" if rule is not None else r"\S+(?: \S+)*"
    starts = [(m.start(), m.end()) for m in re.finditer(pattern, rule if rule is not None else header)]
    spans = []
    for i, (a, _) in enumerate(starts):
        b = starts[i + 1][0] if i + 1 < len(starts) else 10_000
        spans.append((a, b, header[a:b].strip()))
    return spans


def drop_columns(lines: list[str], names: tuple[str, ...]) -> list[str]:
    """The lines without the named columns of every fixed-width table among them (a table: a header line naming
    one of them, an optional rule of dashes, rows up to the next blank line)."""
    if not names:
        return lines
    out, i = [], 0
    while i < len(lines):
        header = lines[i]
        if not any(re.search(rf"(^|\s{{2}}){re.escape(n)}(\s{{2}}|$)", header.strip()) for n in names):
            out.append(header)
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j].strip():
            j += 1
        table = lines[i:j]
        rule = table[1] if len(table) > 1 and re.fullmatch(r"[\s-]+", table[1]) and "-" in table[1] else None
        spans = column_spans(header, rule)
        keep = [(a, b) for a, b, name in spans if name not in names]
        lead = spans[0][0]  # the table's indent, and each kept column as wide as it was printed
        out += [(ln[:lead] + "".join(ln[a:b] for a, b in keep)).rstrip() for ln in table]
        i = j
    return out


def sections_reader(platform: str, sections: tuple[Section, ...]):
    """The reader of a listing assembled from several commands (`Getter.sections`): every command's answer present,
    in order, each one what its Section says it must be; noise lines and state columns dropped, every secret
    masked. One section that is not its command's answer refuses the whole listing: a configuration on file
    with a table missing is worse than yesterday's complete one."""
    from ..transport import redact

    def read(text: str) -> Config:
        parts = re.split(rf"^{re.escape(SECTION)}(.*)$", text.replace("\r\n", "\n"), flags=re.M)
        answers = list(zip(parts[1::2], parts[2::2], strict=True))
        if len(answers) != len(sections):
            raise refuse(platform, f"configuration incomplete: {len(answers)} of {len(sections)} listings", text)
        kept_all, dropped = [], 0
        for (command, answer), sec in zip(answers, sections, strict=True):
            body = [ln.rstrip() for ln in answer.split("\n")]
            while body and not body[0].strip():
                body.pop(0)
            while body and not body[-1].strip():
                body.pop()
            where = f"'{command.strip()}'"
            if not body:
                raise refuse(platform, f"configuration incomplete: {where} printed nothing", "")
            if sec.empty is not None and "\n".join(ln.strip() for ln in body) == sec.empty:
                kept_all += [SECTION + command.strip(), *body]
                continue
            if not re.match(sec.start, body[0].strip()):
                raise refuse(platform, f"not a configuration listing: {where} does not begin with {sec.start}",
                             body[0])
            if sec.end and not re.match(sec.end, body[-1].strip()):
                raise refuse(platform, f"configuration incomplete: {where} does not end with {sec.end}", body[-1])
            kept = [ln for ln in body if not any(re.search(n, ln) for n in sec.noise)]
            dropped += len(body) - len(kept)  # noise lines; state columns leave their rows in place
            kept_all += [SECTION + command.strip(), *drop_columns(kept, sec.state_columns)]
        full = "\n".join(kept_all) + "\n"
        return Config(redact.text(full), dropped, full)

    return read


def export_reader(platform: str, end: str):
    """The reader of a configuration exported through a web console's JSON API (`{"format": "text", "config":
    ...}`): the text is then read as any listing (end marker, noise, secrets)."""
    read = config_reader(platform, end)

    def from_json(doc) -> Config:
        if not isinstance(doc, dict) or not isinstance(doc.get("config"), str):
            raise refuse(platform, "configuration export: not the console's export document", str(doc)[:80])
        return read(doc["config"])

    return from_json


def excerpt(text: str, limit: int = 80) -> str:
    """The first non-blank line of an answer, cut to `limit`: what a ParseError quotes."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line[:limit]


def refuse(platform: str, what: str, text: str) -> ParseError:
    """The error for an answer that does not hold what the getter reads, quoting its first line."""
    shown = excerpt(text)
    return ParseError(f"{platform}: {what}" + (f" ('{shown}')" if shown else " (empty answer)"))


def labelled_state(platform: str, text: str, label: str, item: str, what: str) -> list:
    """An array's overall status printed as 'Label : Value': one item, healthy when the value is 'Normal'."""
    m = re.search(rf"{label}\s*:\s*(\S+)", text)
    if not m:
        raise refuse(platform, f"{what}: no {label}", text)
    return [Part(item, m.group(1) == "Normal", m.group(1))]


def nonempty(items, platform: str, what: str, text: str):
    """The reading, or the refusal quoting the answer when the reading holds nothing."""
    if not items:
        raise refuse(platform, what, text)
    return items


OK_WORDS = frozenset({"normal", "ok", "supply", "good", "present", "on", "powered-on"})
BAD_WORDS = frozenset({"abnormal", "notsupply", "fault", "failed", "fail", "bad", "absent", "off", "notpresent",
                       "shutdown", "critical", "warning", "alarm"})


def status_word(words: list[str]) -> bool | None:
    """A state column's verdict: any bad word wins, then any good one; None when neither is there."""
    low = [part for w in words for part in w.lower().strip(",:").split("/")]
    if any(w in BAD_WORDS for w in low):
        return False
    if any(w in OK_WORDS for w in low):
        return True
    return None


def first_percent(platform: str, what: str, patterns: list[str], text: str, pick=max) -> float:
    """The first pattern that matches anywhere decides; of several matches (slots, cores) `pick` chooses."""
    for pat in patterns:
        values = [float(v) for v in re.findall(pat, text)]
        if values:
            return pick(values)
    raise refuse(platform, f"no {what} in the answer", text)


def fan_table(platform: str, text: str) -> list:
    """Huawei and H3C `display fan`: one row per fan, or per member slot and fan ('0/1', '1/1' on an iStack), the
    state in a word of the row."""
    out = []
    for ln in text.splitlines():
        parts = ln.split()
        if len(parts) >= 3 and (parts[0].isdigit() or parts[0].upper().startswith("FAN")):
            ok = status_word(parts[1:])
            if ok is not None:
                slot_first = parts[0].isdigit() and len(parts) > 3 and (parts[1].isdigit() or parts[1].upper().startswith("FAN"))
                ident = f"{parts[0]}/{parts[1]}" if slot_first else parts[0]  # an iStack numbers fans per member
                out.append(Part(ident, ok, " ".join(parts[1:])[:60]))
    return nonempty(out, platform, "no fan listed", text)


def power_table(platform: str, text: str) -> list:
    """Huawei and H3C `display power`: one row per supply ('PWR1', 'PS2' or a slot number), its state in a word
    of the row; 'Present' is presence, not state, so it does not vouch for a supply."""
    out = []
    for ln in text.splitlines():
        parts = ln.split()
        if len(parts) >= 3 and (parts[0].isdigit() or parts[0].upper().startswith(("PWR", "PS", "POWER"))):
            plain = parts[1] if parts[0].isdigit() and parts[1].lower() not in OK_WORDS | BAD_WORDS else parts[0]
            ident = next((p for p in parts if p.upper().startswith(("PWR", "PS"))), plain)
            if parts[0].isdigit() and ident != parts[0]:
                ident = f"{parts[0]}/{ident}"  # 'Slot PowerID': an iStack has a PWR1 in every member
            ok = status_word([p for p in parts[1:] if p.lower() != "present"])
            if ok is not None:
                out.append(Part(ident, ok, " ".join(parts[1:])[:60]))
    return nonempty(out, platform, "no power supply listed", text)
