"""Every reading of device output, run on real published output of the command (tests/captures/).

One generic test runs every case (pyinfra's tests/test_facts.py is the model): the capture
`<platform>/<getter>/<case>.txt` is what a real device printed for the command cityops sends
for that getter, and `<case>.yml` names its source (repository, commit, path) and the facts a
person read from it. A coverage test holds the corpus to at least three cases per getter per
platform of the estate; what is not there yet is listed, with why, in tests/captures/PENDING.yml,
and that list may only shrink. A lab test runs the lab's own answer for each getter through the
same reader, so the lab cannot drift from real devices unnoticed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from cityops import drivers, platforms
from cityops.drivers.models import Board, Config, Facts, Module, Part, Temperature, TimeSync
from cityops.parsers import ParseError
from cityops.transport import redact

MASKS = re.compile(rf"(?<!\*){re.escape(redact.MASK)}(?!\*)")  # a banner's row of asterisks is not a mask
CAPTURES = Path(__file__).resolve().parent / "captures"
MIN_CASES = 3
# every getter of every platform whose reader is meant for real output is held to three real captures; a platform
# declared `modelled` (platforms.py: no real output of its interface is public) is exempt by that declaration
ALL_FACTS = {**drivers.DRIVERS, **drivers.FACT_SETS}  # platforms' drivers and the roles' fact sets (oracle)
COVERED = tuple(p for p in drivers.DRIVERS if not platforms.get(p).modelled) + tuple(drivers.FACT_SETS)


def cases() -> list[Path]:
    return sorted(CAPTURES.glob("*/*/*.yml"))


def as_facts(reading):
    """A reading in the shape the cases' `expect` is written in."""
    if isinstance(reading, Facts):
        return {k: v for k, v in reading.__dict__.items() if v}
    if isinstance(reading, TimeSync):
        return dict(reading.__dict__)
    if isinstance(reading, Config):  # a configuration: its lines kept, the noise dropped, the secrets masked
        return {"lines": reading.text.count("\n"), "noise_lines": reading.noise_lines,
                "masked": len(MASKS.findall(reading.text))}
    if isinstance(reading, tuple):
        return list(reading)
    if isinstance(reading, list) and reading and isinstance(reading[0], Board):
        return {b.name: {"type": b.kind, "ok": b.ok} for b in reading}
    if isinstance(reading, list) and reading and isinstance(reading[0], Module):  # a name may repeat: '(2)'
        out = {}
        for m in reading:
            key, n = m.name, 2
            while key in out:
                key, n = f"{m.name} ({n})", n + 1
            out[key] = m.serial
        return out
    if isinstance(reading, list) and reading and isinstance(reading[0], Part):
        return {p.name: p.ok for p in reading}
    if isinstance(reading, list) and reading and isinstance(reading[0], Temperature):
        return {t.sensor: {"celsius": t.celsius, "ok": t.ok} for t in reading}
    return reading


@pytest.mark.parametrize("meta_path", cases(), ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.stem}")
def test_a_real_capture_reads_as_a_person_read_it(meta_path: Path):
    platform, getter = meta_path.parent.parent.name, meta_path.parent.name
    meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    source = meta["source"]
    assert source["repository"] and len(source["commit"]) == 40 and source["path"], "a capture names its source"
    g = next((v for v in ALL_FACTS[platform].variants(getter) if v.command == meta["command"]), None)
    assert g is not None, "the capture is of a command cityops sends for that getter"
    text = meta_path.with_suffix(".txt").read_text(encoding="utf-8", errors="replace")
    expect = meta["expect"]
    if expect.get("error"):  # output the reader must refuse: an error with the cause, never a reading
        with pytest.raises(ParseError, match=expect["error"]):
            g.read(text)
        return
    facts = as_facts(g.read(text))
    if "value" in expect:
        assert facts == pytest.approx(expect["value"])
        return
    assert len(facts) == expect["count"], sorted(facts)
    for name, want in expect.get("values", {}).items():
        got = facts[str(name)]
        if isinstance(got, dict) and not isinstance(want, dict):
            got = got.get("type")
        assert got == want, name
    if "others" in expect:
        named = {str(n) for n in expect.get("values", {})}
        assert {n: v for n, v in facts.items() if n not in named and v != expect["others"]} == {}
    if "not_ok" in expect:
        assert sorted(n for n, f in facts.items() if not f["ok"]) == sorted(map(str, expect["not_ok"]))


NOT_AN_ANSWER = {
    "vrp_unrecognised": "                ^\nError: Unrecognized command found at '^' position.",
    "ios_invalid": "% Invalid input detected at '^' marker.",
    "login_banner": "Info: The max number of VTY users is 5, and the number\n      of current VTY users on line is 1.\n<sw1>",
    "another_commands_answer": "Huawei Versatile Routing Platform Software\nVRP (R) software, Version 5.170\n",
    "empty": "",
}


READINGS = [(p, name) for p, d in ALL_FACTS.items() for name, g in d.getters.items() if g.via in ("cli", "ipmi")]
API_READINGS = [(p, name) for p, d in ALL_FACTS.items() for name, g in d.getters.items() if g.via in ("api", "redfish")]
NOT_A_DOCUMENT = {"empty_object": {}, "a_list": [], "a_string": "<html>502 Bad Gateway</html>", "null": None,
                  "wrong_types": {"disks": "x", "pools": "x", "alarms": "x", "jobs": "x", "libraries": "x",
                                  "units": "x", "cpu_percent": "high"}}


@pytest.mark.parametrize(("platform", "getter"), READINGS, ids=lambda x: x)
@pytest.mark.parametrize("answer", sorted(NOT_AN_ANSWER))
def test_an_answer_a_reader_does_not_understand_is_an_error_never_a_reading(platform, getter, answer):
    if getter == "alarms" and answer == "empty" and platform not in ("cisco_ios",):
        pytest.skip("PENDING.yml: whether a healthy device prints nothing for its alarm list needs a real capture")
    if answer == "empty" and getter in ALL_FACTS[platform].may_be_empty:
        pytest.skip(f"{platform}'s {getter} answers nothing when there is nothing to report (its may_be_empty)")
    for variant in ALL_FACTS[platform].variants(getter):  # each generation's reader
        with pytest.raises(ParseError):
            variant.read(NOT_AN_ANSWER[answer])


@pytest.mark.parametrize(("platform", "getter"), API_READINGS, ids=lambda x: x)
@pytest.mark.parametrize("answer", sorted(NOT_A_DOCUMENT))
def test_an_api_answer_of_the_wrong_shape_is_an_error_never_a_reading(platform, getter, answer):
    with pytest.raises(ParseError):
        ALL_FACTS[platform].read(getter, NOT_A_DOCUMENT[answer])


def pending() -> dict[str, str]:
    return yaml.safe_load((CAPTURES / "PENDING.yml").read_text(encoding="utf-8")) or {}


def test_every_getter_of_every_platform_has_three_real_cases_or_says_why_not():
    counts = {}
    for platform in COVERED:
        for getter in ALL_FACTS[platform].getters:
            counts[f"{platform}/{getter}"] = len(list((CAPTURES / platform / getter).glob("*.yml")))
    waiting = pending()
    short = {k: n for k, n in counts.items() if n < MIN_CASES and k not in waiting
             and not (CAPTURES / k / "EXEMPT.md").exists()}
    assert short == {}, "fewer than three real captures, and not listed in PENDING.yml"
    done = {k for k in waiting if counts.get(k, 0) >= MIN_CASES}
    assert done == set(), "covered now: take them off PENDING.yml"
    assert set(waiting) <= set(counts), "PENDING.yml names a getter cityops does not read"


def test_the_labs_own_answers_read_through_the_same_readers(lab, tmp_path):
    """What the lab prints for each getter must read like the real captures do: a lab drifting from real devices
    (a layout no real device prints) fails here, not in a report."""
    from cityops.backup.capture import answer as answer_of
    from cityops.inspect.session import transport_config
    from cityops.transport.audit import AuditLog
    from cityops.transport.registry import open_session

    inv, state = lab
    config = transport_config(AuditLog(tmp_path / "audit", "captures", "test"), state.path)
    seen = set()
    for host in inv.hosts.values():
        platform = str(host.get("platform"))
        driver = drivers.get(platform)
        if driver is None or platform in seen or not any(g.via == "cli" for g in driver.getters.values()):
            continue
        seen.add(platform)
        session = open_session(host, config)
        try:
            for name in driver.getters:
                g = driver.for_host(name, host)
                if g.via != "cli":
                    continue
                if g.sections:  # a listing of several commands (an array's configuration), as the backup sends them
                    text, failed, _ = answer_of(session, g)
                    assert not failed, f"{host.name} {g.command}: {text[:200]}"
                    assert g.read(text) is not None, f"{host.name} {g.command}"
                    continue
                answer = session.run(g.command)
                assert answer.exit_status in g.ok_status, f"{host.name} {g.command}: {answer.stdout[:200]}"
                assert g.read(answer.stdout) is not None, f"{host.name} {g.command}"
        finally:
            session.close()
    in_lab = {str(h.get("platform")) for h in inv.hosts.values()}
    assert seen == {p for p in in_lab if drivers.get(p) and any(g.via == "cli" for g in drivers.get(p).getters.values())}
    assert {p for p, d in drivers.DRIVERS.items() if d.kind == "network"} <= seen  # every network driver is in the lab
