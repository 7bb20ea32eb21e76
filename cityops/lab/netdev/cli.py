"""The CLI engine every lab platform shares: modes, prompts, abbreviated commands, pipes, paging.

A platform is a table of commands (keyword tuples, matched by prefix the way
VRP accepts `dis cur`), a prompt per mode and a pager. Handlers render text
from the device's Health; the engine does the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from ...configtext import parse
from .device import Device, Health, health, now_text


class Disconnect(Exception):
    """The command ends the session (quit from user view, exit)."""


@dataclass
class Session:
    dev: Device
    faults: dict
    mode: str = "user"
    paging: bool = True
    width: int = 80
    state: dict = field(default_factory=dict)

    @property
    def health(self) -> Health:
        if "_health" not in self.state:
            self.state["_health"] = configured(health(self.dev, self.faults), self)
        return self.state["_health"]

    def ports(self, args: list[str]) -> list:
        """The ports a `display/show interface [NAME]` names: all, or those whose name is or ends with NAME."""
        if not args:
            return self.health.ports
        want = args[0].lower()
        return [p for p in self.health.ports if p.name.lower() == want or p.name.lower().endswith(want)]

    def begin_command(self, faults: dict) -> None:
        self.faults = faults
        self.state.pop("_health", None)


Handler = Callable[[Session, list[str]], str]


def configured(h: Health, s: Session) -> Health:
    """The device's state as its running configuration changes it: a port `shutdown` in its interface section is
    down, one whose `shutdown` was taken out is up; and the fault `alarm_on_change` (a change that breaks a
    neighbour, a peer, a service) raises a critical alarm while a running change matches it."""
    config = s.state.get("config_state")
    if config is None:
        return h
    changes = config.changes(s.dev.name)
    for p in h.ports:
        section = f"interface {p.name}"
        if (section, "shutdown") in changes.add:
            p.up = False
        elif changes.dropped((section, "shutdown")):
            p.up = True
    updated = config.signatures_updated(s.dev.name)
    outdated = s.faults.get("signature_outdated")
    if updated is not None and (outdated is None or updated >= float(outdated.get("since", 0))):
        h.signature_age_days = 0  # updated online since the libraries fell behind
    fault = s.faults.get("alarm_on_change")
    if fault is not None:
        want = str(fault.get("match", ""))
        hit = next((line for _ctx, line in changes.add if want in line), None)
        if hit is not None:
            h.alarms.append(("Critical", now_text(), f"The peer went down after a configuration change ({hit})."))
    return h


class Platform:
    """Base for a vendor CLI: subclasses fill `commands` and the prompts."""

    name = "base"
    more = "  ---- More ----"
    more_erase = "\x1b[16D                \x1b[16D"
    page_lines = 24
    pages_by_default = True  # until the session turns paging off (screen-length 0 temporary ...)
    pipe_keywords: ClassVar[dict[str, str]] = {"include": "include", "exclude": "exclude", "begin": "begin"}

    def __init__(self):
        self.commands: list[tuple[tuple[str, ...], Handler, tuple[str, ...]]] = []
        self.register()

    def register(self) -> None:  # pragma: no cover - subclasses
        raise NotImplementedError

    def add(self, words: str, handler: Handler, modes: tuple[str, ...] = ("user", "system")) -> None:
        self.commands.append((tuple(words.split()), handler, modes))

    # -- what the session shows ------------------------------------------------
    def banner(self, s: Session) -> str:
        return ""

    def prompt(self, s: Session) -> str:
        context = s.state.get("context")
        return f"<{s.dev.name}>" if s.mode == "user" else f"[{s.dev.name}{'-' + view_name(context) if context else ''}]"

    def exit_status(self, out: str) -> int:
        """The exit status of a command run over an exec channel: a device CLI says 0 whatever it printed."""
        return 0

    def unknown(self, s: Session, line: str, position: int) -> str:
        return f"{' ' * (len(self.prompt(s)) + position)}^\nError: Unrecognized command found at '^' position."

    # -- configuration mode -------------------------------------------------------
    # the lines that open a section (its lines are typed after it, in its own view/sub-mode)
    section_openers: ClassVar[tuple[str, ...]] = (
        "interface ", "aaa", "acl ", "ospf", "bgp ", "user-interface ", "rip", "isis", "ip vpn-instance ",
        "route-policy ", "vlan ", "line ", "router ", "ip access-list ", "route-map ", "policy-map ", "class-map ")

    def opens_section(self, line: str) -> bool:
        return any(line == o.strip() or line.startswith(o) for o in self.section_openers) and not (
            line.startswith("vlan ") and not line[5:].strip().isdigit())  # `vlan batch 10 20` is one line

    listing_command = "display current-configuration"

    def base_listing(self, s: Session) -> str | None:
        """The configuration the device renders before any change (None: a device with no such listing)."""
        found = self.match(s, self.listing_command.split())
        if found is None:
            return None
        s.state["config_raw"] = True
        try:
            return found[1](s, [])
        finally:
            s.state.pop("config_raw", None)

    def base_entries(self, s: Session) -> frozenset:
        text = self.base_listing(s)
        return frozenset(parse(text)) if text else frozenset()

    def configure_line(self, s: Session, text: str) -> str:
        """A line typed in configuration mode: a section's opening line enters that section."""
        context = s.state.get("context", "")
        if self.opens_section(text):
            context, s.state["context"] = "", text
        self.take_line(s, context, text)
        return ""

    def take_line(self, s: Session, context: str, text: str) -> None:
        """Where a typed line goes: straight into the running configuration (VRP8 keeps it for `commit`)."""
        s.state["config_state"].enter(s.dev.name, text, context, self.base_entries(s))

    def leave_section(self, s: Session) -> bool:
        """`quit`/`exit` inside a section: back to the configuration mode's top level."""
        if s.state.get("context"):
            s.state["context"] = ""
            return True
        return False

    # handlers most platforms share
    def no_paging(self, s: Session, args) -> str:
        s.paging = False
        return ""

    def exit(self, s: Session, args) -> str:
        raise Disconnect()

    def save(self, s: Session, args) -> str:
        """`save` / `write memory` / `copy running-config startup-config`: the running changes become the startup,
        after the platform's questions (`save_questions`), answered one line each as a person or netmiko does."""
        def done() -> str:
            config = s.state.get("config_state")
            if config is not None:
                config.save(s.dev.name)
            return self.saved_message

        return self.ask(s, [] if "force" in args else list(self.save_questions), done)  # `save force`: no questions

    saved_message = "Info: The current configuration was saved to the device successfully."
    save_questions: ClassVar[tuple[tuple[str, tuple[str, ...]], ...]] = ()  # (question, answers that go on)

    def ask(self, s: Session, questions: list, done: Callable[[], str]) -> str:
        """A dialog: each question is printed where the prompt would be and waits for a line; an answer it does not
        accept ends the dialog with nothing done, as a device does."""
        if not questions:
            return done()
        s.state["dialog"] = (questions, done)
        return questions[0][0]

    def answer_dialog(self, s: Session, line: str) -> str:
        questions, done = s.state.pop("dialog")
        if line.strip().lower() not in questions[0][1]:
            return "Info: The operation was cancelled."
        return self.ask(s, questions[1:], done)

    @staticmethod
    def startup(handler: Handler) -> Handler:
        """The startup configuration's handler: the running one's, rendered with the saved changes."""
        def render(s: Session, args) -> str:
            s.state["config_which"] = "startup"
            try:
                return handler(s, args)
            finally:
                s.state.pop("config_which", None)
        return render

    # -- dispatch ---------------------------------------------------------------
    def match(self, s: Session, tokens: list[str]):
        """The command whose keywords the tokens abbreviate; more keywords, then more exact words, win."""
        best, best_score = None, None
        for words, handler, modes in self.commands:
            if s.mode not in modes or len(tokens) < len(words):
                continue
            pairs = list(zip(tokens, words, strict=False))
            if all(w.lower().startswith(t.lower()) for t, w in pairs):
                score = (len(words), sum(t.lower() == w.lower() for t, w in pairs))
                if best_score is None or score > best_score:
                    best, best_score = (words, handler), score
        return best

    def execute(self, s: Session, line: str) -> str:
        """Run one command line; returns its output (without the prompt)."""
        if "dialog" in s.state:  # the line answers the question just asked
            return self.answer_dialog(s, line)
        text = line.strip()
        if not text:
            return ""
        pipe = None
        if "|" in text:
            text, _, pipe = text.partition("|")
            text = text.strip()
        tokens = text.split()
        found = self.match(s, tokens)
        if found is None:
            config = s.state.get("config_state")
            if s.mode == "system" and config is not None:  # configuration mode: a configuration line
                return self.configure_line(s, text)
            position = _first_bad_position(self, s, text)
            return self.unknown(s, text, position)
        words, handler = found
        out = handler(s, tokens[len(words):])
        return apply_pipe(out, pipe, self.pipe_keywords) if pipe else out

    def pages(self, s: Session, text: str) -> list[str]:
        """Split output into pager screens (one screen when paging is off)."""
        lines = text.split("\n")
        if not s.paging or len(lines) <= self.page_lines:
            return [text]
        return ["\n".join(lines[i:i + self.page_lines]) for i in range(0, len(lines), self.page_lines)]


def view_name(section: str) -> str:
    """How VRP names a section's view in its prompt: `[sw-GigabitEthernet0/0/1]`, `[sw-aaa]`, `[sw-acl-basic-2000]`,
    `[sw-ui-vty0-4]`, `[sw-ospf-1]`."""
    words = section.split()
    if words[0] == "interface" and len(words) > 1:
        return "".join(words[1:])
    if words[0] == "acl":
        number = words[-1]
        kind = "basic" if number.isdigit() and 2000 <= int(number) < 3000 else "adv"
        return f"acl-{kind}-{number}"
    if words[0] == "user-interface":
        return "ui-" + "".join(words[1:2]) + "-".join(words[2:])
    return "-".join(words)


def _first_bad_position(platform: Platform, s: Session, text: str) -> int:
    tokens = text.split()
    pos = 0
    for i in range(len(tokens)):
        if platform.match(s, tokens[: i + 1]) is None and not _is_prefix_of_any(platform, s, tokens[: i + 1]):
            return text.find(tokens[i], pos)
        pos = text.find(tokens[i], pos) + len(tokens[i])
    return len(text)


def _is_prefix_of_any(platform: Platform, s: Session, tokens: list[str]) -> bool:
    for words, _h, modes in platform.commands:
        if s.mode in modes and len(words) >= len(tokens) and all(
            w.lower().startswith(t.lower()) for t, w in zip(tokens, words, strict=False)
        ):
            return True
    return False


def apply_pipe(out: str, pipe: str, keywords: dict) -> str:
    parts = pipe.strip().split(None, 1)
    if len(parts) < 2:
        return out
    op = next((v for k, v in keywords.items() if k.startswith(parts[0].lower())), None)
    try:
        rx = re.compile(parts[1])
    except re.error:
        rx = re.compile(re.escape(parts[1]))
    lines = out.split("\n")
    if op == "include":
        return "\n".join(x for x in lines if rx.search(x))
    if op == "exclude":
        return "\n".join(x for x in lines if not rx.search(x))
    if op == "begin":
        for i, x in enumerate(lines):
            if rx.search(x):
                return "\n".join(lines[i:])
        return ""
    return out
