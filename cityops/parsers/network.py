"""Network device health: CPU, memory, fans, power supplies, temperature, alarms and interface errors.

One function per reading, each accepting the variants the estate's generations
print (Huawei VRP5 and VRP8, H3C Comware 5 and 7, Cisco IOS / IOS XE, NX-OS for
the MDS). `COMMANDS` names what to send for each reading on each platform.
"""

from __future__ import annotations

import re

from . import ParseError, textfsm

COMMANDS = {
    "huawei_vrp": {"cpu": "display cpu-usage", "memory": "display memory-usage", "fan": "display fan",
                   "power": "display power", "temperature": "display temperature all",
                   "alarms": "display alarm active", "errors": "display interface brief",
                   "boards": "display device"},
    "hp_comware": {"cpu": "display cpu-usage", "memory": "display memory", "fan": "display fan",
                   "power": "display power", "temperature": "display environment",
                   "alarms": "display alarm", "errors": "display interface"},
    "cisco_ios": {"cpu": "show processes cpu", "memory": "show memory statistics", "fan": "show environment all",
                  "power": "show environment all", "temperature": "show environment all",
                  "alarms": "show environment all", "errors": "show interfaces"},
    "cisco_nxos": {"cpu": "show system resources", "memory": "show system resources", "fan": "show environment",
                   "power": "show environment", "temperature": "show environment", "errors": "show interface"},
}
COMMANDS["huawei_vrpv8"] = COMMANDS["huawei_vrp"]
OK_WORDS = {"normal", "ok", "supply", "good", "present", "on", "powered-on"}
BAD_WORDS = {"abnormal", "notsupply", "fault", "failed", "fail", "bad", "absent", "off", "notpresent", "shutdown",
             "critical", "warning", "alarm"}


def cpu_percent(platform: str, text: str) -> float:
    patterns = {
        # VRP8 and V200R0xx ('System CPU Using Percentage : 12%', next to 'Max CPU Usage : 74%', which is the
        # peak since some day, never the current load); VRP5 S-series ('CPU Usage : 8% Max: 30%' at a line's
        # start); older VRP8 CE ('System cpu use rate is : 8%'); AR routers
        "huawei": [r"System CPU Using Percentage\s*:\s*(\d+(?:\.\d+)?)%", r"(?m)^\s*CPU Usage\s*:\s*(\d+(?:\.\d+)?)%",
                   r"cpu use rate is\s*:\s*(\d+(?:\.\d+)?)%", r"CPU utilization for five seconds:\s*(\d+)%"],
        # Comware 7 and 5: '7% in last 5 seconds' (first slot); older 'CPU Usage : 3%'
        "hp_comware": [r"(\d+)% in last 1 minute", r"(\d+)% in last 5 seconds", r"CPU Usage\s*:\s*(\d+)%"],
        "cisco_ios": [r"CPU utilization for five seconds:\s*(\d+)%"],
        "cisco_nxos": [r"CPU states\s*:\s*[\d.]+% user,\s*[\d.]+% kernel,\s*([\d.]+)% idle"],
    }
    key = "huawei" if platform.startswith("huawei") else platform
    if key == "cisco_ios" and not re.search(r"^Core \d+: CPU utilization", text, re.M):
        # (IOS XE on multi-core platforms prints a line per core, which the template does not know: the
        # patterns below read every core, and the busiest counts)
        rows = textfsm("cisco_ios", "show processes cpu", text)
        if rows and rows[0].get("cpu_usage_5_sec"):
            return float(rows[0]["cpu_usage_5_sec"])
    for pat in patterns.get(key, []):
        values = [float(v) for v in re.findall(pat, text)]
        if values:
            if key == "cisco_nxos":
                return round(100 - values[0], 1)
            return max(values)  # several slots or boards: the busiest counts
    raise ParseError(f"{platform}: no CPU usage in the answer")


def memory_percent(platform: str, text: str) -> float:
    if platform.startswith("huawei"):
        m = re.search(r"Memory Using Percentage(?: Is)?\s*:\s*(\d+(?:\.\d+)?)%", text)
        if m:
            return float(m.group(1))
    elif platform == "hp_comware":
        ratios = re.findall(r"^Mem:\s+\d+\s+\d+\s+\d+.*?(\d+(?:\.\d+)?)%\s*$", text, re.M)
        if ratios:  # Comware 7: FreeRatio per slot; the fullest slot counts
            return round(100 - min(float(r) for r in ratios), 1)
        m = re.search(r"Used Rate\s*:\s*(\d+)%", text)  # Comware 5
        if m:
            return float(m.group(1))
    elif platform == "cisco_ios":
        m = re.search(r"^Processor\s+\S+\s+(\d+)\s+(\d+)\s+\d+", text, re.M)
        if m and int(m.group(1)):
            return round(100.0 * int(m.group(2)) / int(m.group(1)), 1)
    elif platform == "cisco_nxos":
        m = re.search(r"Memory usage:\s+(\d+)K total,\s+(\d+)K used", text)
        if m and int(m.group(1)):
            return round(100.0 * int(m.group(2)) / int(m.group(1)), 1)
    raise ParseError(f"{platform}: no memory usage in the answer")


def _status_word(words: list[str]) -> bool | None:
    low = [part for w in words for part in w.lower().strip(",:").split("/")]
    if any(w in BAD_WORDS for w in low):
        return False
    if any(w in OK_WORDS for w in low):
        return True
    return None


def fans(platform: str, text: str) -> list[tuple[str, bool]]:
    """[(fan, ok)] from a fan table or, on IOS/NX-OS, the environment's 'Fan' lines."""
    out = []
    if platform.startswith("cisco"):
        for m in re.finditer(r"^\s*(Fan\s*\S+?|FAN\d+\S*)\s*[:\s]\s*(\S.*)$", text, re.M | re.I):
            ok = _status_word(m.group(2).split())
            if ok is not None:
                out.append((m.group(1).rstrip(":"), ok))
    else:
        for ln in text.splitlines():
            parts = ln.split()
            if len(parts) >= 3 and (parts[0].isdigit() or parts[0].upper().startswith("FAN")):
                ok = _status_word(parts[1:])
                if ok is not None:
                    ident = parts[1] if parts[0].isdigit() and len(parts) > 3 and parts[1].isdigit() else parts[0]
                    out.append((ident, ok))
    if not out:
        raise ParseError(f"{platform}: no fan listed")
    return out


def power_supplies(platform: str, text: str) -> list[tuple[str, bool]]:
    out = []
    if platform.startswith("cisco"):
        section = False  # IOS XE ' Power   Type   State', NX-OS 'Power Supply:' / 'PS  Model  Status'
        for ln in text.splitlines():
            if re.match(r"^\s*(Power Supply:|Power\s+Type|PS\s+Model)", ln):
                section = True
                continue
            if section and not ln.strip():
                if out:
                    break
                continue
            parts = ln.split()
            if section and len(parts) >= 3 and not set(ln.strip()) <= {"-"}:
                ok = _status_word(parts[2:])
                if ok is not None:
                    out.append((parts[0], ok))
    else:
        for ln in text.splitlines():
            parts = ln.split()
            if len(parts) >= 3 and (parts[0].isdigit() or parts[0].upper().startswith(("PWR", "PS", "POWER"))):
                plain = parts[1] if parts[0].isdigit() and parts[1].lower() not in OK_WORDS | BAD_WORDS else parts[0]
                ident = next((p for p in parts if p.upper().startswith(("PWR", "PS"))), plain)
                # 'Present' is presence, not state: judge on the state column words
                ok = _status_word([p for p in parts[1:] if p.lower() != "present"])
                if ok is not None:
                    out.append((ident, ok))
    if not out:
        raise ParseError(f"{platform}: no power supply listed")
    return out


def temperatures(platform: str, text: str) -> list[tuple[str, float, bool]]:
    """[(sensor, celsius, within limits)]."""
    out = []
    if platform.startswith("huawei"):
        for ln in text.splitlines():
            m = re.match(r"^\s*(\d+)\s+(\S+)\s+(\S+)\s+(Normal|Abnormal|Minor|Major|Fatal)\s+(\d+)", ln)
            if m:
                out.append((f"{m.group(1)}/{m.group(2)}/{m.group(3)}", float(m.group(5)), m.group(4) == "Normal"))
    elif platform == "hp_comware":
        for ln in text.splitlines():
            m = re.match(r"^\s*(\d+)\s+(\S+(?: \d+)?)\s+(-?\d+)\s+(-?\d+)\s+(\d+)\s+(\d+)", ln)
            if m:
                value, warning = float(m.group(3)), float(m.group(5))
                out.append((f"{m.group(1)}/{m.group(2)}", value, value < warning))
    else:
        for m in re.finditer(r"^\s*(\S+)\s+(Temp[^\n]*?)\s{2,}(\S+)\s+(\d+) Celsius", text, re.M):
            out.append((f"{m.group(1)} {m.group(2).strip()}", float(m.group(4)), m.group(3).lower() == "normal"))
        if platform == "cisco_nxos":
            out += _nxos_temperatures(text)
    if not out:
        raise ParseError(f"{platform}: no temperature reading")
    return out


NXOS_TEMP_ROW = re.compile(r"^\s*(\d+)\s+(\S.*?)\s+(\d+|N/A)\s+(\d+|N/A)\s+(\d+)\s+(Ok|Alarm|Warning|Critical|Major|Minor|"
                           r"Failed)\s*$", re.I)


def _nxos_temperatures(text: str) -> list[tuple[str, float, bool]]:
    """NX-OS `show environment`, its Temperature section: every row, 'module/sensor', the sensor name as printed
    ('Inlet  (s1)' holds a space, and each module repeats the names). A row that does not read is refused:
    grading 8 of 12 sensors as normal is the false pass this guards against."""
    section = text.split("Temperature:", 1)
    if len(section) < 2:
        return []
    out = []
    for ln in section[1].splitlines():
        if not ln.strip() or set(ln.strip()) <= {"-"} or re.match(r"^\s*(Module|\(Celsius\))", ln.strip()) \
                or ln.strip().startswith("(Celsius)"):
            continue
        if re.match(r"^[A-Z][\w ]*:\s*$", ln):  # the next section
            break
        m = NXOS_TEMP_ROW.match(ln)
        if m is None:
            raise ParseError(f"cisco_nxos: unreadable temperature row '{ln.strip()[:80]}'")
        name = " ".join(m.group(2).split())
        out.append((f"{m.group(1)}/{name}", float(m.group(5)), m.group(6).lower() == "ok"))
    return out


def alarms(platform: str, text: str) -> list[str]:
    """Active alarms, one text each."""
    if platform.startswith("huawei"):
        if re.search(r"Info: No alarm|There is no alarm", text, re.I):
            return []
        rows = [ln.strip() for ln in text.splitlines() if re.match(r"^\s*\d+/", ln)]  # VRP5 A/B/C/... rows
        rows += [ln.strip() for ln in text.splitlines()
                 if re.match(r"^\s*(?:Critical|Major|Minor|Warning)\s", ln)]  # VRP8 table
        if rows or "Sequence" in text or "AlarmId" in text:
            return rows
        if not text.strip():
            return []
        raise ParseError(f"{platform}: unreadable alarm list")
    if platform == "hp_comware":
        row = re.compile(r"^\s*\d+\s+\S+\s+(?:ERROR|WARNING|ALARM|Critical|Major|Minor|INFO)", re.I)
        header = re.compile(r"^\s*(Slot\s+CPU|Chassis\s+Slot|-{5,}|No alarm)", re.I)
        rows, other = [], []
        for ln in text.splitlines():
            if row.match(ln):
                rows.append(ln.strip())
            elif ln.strip() and not header.match(ln):
                other.append(ln)
        if other:  # an alarm table holds a header and rows, nothing else
            raise ParseError(f"{platform}: unreadable alarm list ('{other[0].strip()[:60]}')")
        return [r for r in rows if not re.search(r"\bINFO\b", r, re.I)]
    if platform == "cisco_ios":
        counts = re.findall(r"Number of (Critical|Major) alarms:\s*(\d+)", text)
        if not counts:
            raise ParseError(f"{platform}: no alarm counts in the answer")
        return [f"{kind} alarms: {n}" for kind, n in counts if int(n)]
    raise ParseError(f"{platform}: cityops reads no alarm list for this platform")


def boards(platform: str, text: str) -> list[tuple[str, str, bool, str]]:
    """[(slot or slot/card, type, ok, state)] from VRP `display device`: boards, power and fan modules and,
    on an iStack, every member as a slot. A member that left the stack stays listed as configured but
    Offline / Unregistered (marked '*'); anything not Present, not Registered or alarmed is not ok."""
    if not platform.startswith("huawei"):
        raise ParseError(f"{platform}: cityops reads no board list for this platform")
    # the title names the model, which may hold a space ("Secoway SRG20's Device status:"): the template takes
    # one word there, so the title is reduced to its fixed part
    text = re.sub(r"^.*'s Device status:[ \t]*$", "Device status:", text, flags=re.M)
    rows = textfsm("huawei_vrp", "display device", text)
    if not rows:
        raise ParseError(f"{platform}: no board listed")
    out = []
    for r in rows:
        name = r["slot"] if r["card"] in ("", "-") else (
            f"{r['slot']}/{r['card']}" if r["card"].isdigit() else f"{r['slot']} {r['card']}")
        online, register, alarm = r["online_status"], r["register_status"], r["alarm_status"]
        ok = online == "Present" and register == "Registered" and alarm == "Normal"
        out.append((name, r["pid"], ok, "/".join(x for x in (online, register, alarm) if x and x != "-")))
    return out


SPEED_SUFFIX = re.compile(r"\((?:\d+G|\d+M|v|e|l|s|b|B|d|p|ld|mf|c|sd|dl)\)$")  # VRP: 'GE1/0/1(10G)', '(v)', '(l)'


def _vrp_interface_brief(text: str) -> dict[str, int]:
    """VRP `display interface brief`: a legend (which grows with each release: '(p): port alarm down', '(dl): DLDP
    down' ...), the header, then one row per interface, members of an Eth-Trunk indented. The inErrors column is
    found by the header; a row that does not fit the header is refused, never skipped."""
    lines = text.splitlines()
    at = next((i for i, ln in enumerate(lines) if re.match(r"^\s*Interface\s+PHY\s+Protocol\b", ln)), None)
    if at is None:
        raise ParseError("display interface brief: no 'Interface PHY Protocol' header")
    header = lines[at].split()
    if "inErrors" not in header:
        raise ParseError(f"display interface brief: no inErrors column in '{lines[at].strip()[:80]}'")
    col = header.index("inErrors")
    out: dict[str, int] = {}
    for ln in lines[at + 1:]:
        parts = ln.split()
        if not parts or set(ln.strip()) <= {"-"}:
            continue
        if len(parts) != len(header) or not parts[col].isdigit():
            raise ParseError(f"display interface brief: unreadable row '{ln.strip()[:80]}'")
        out[SPEED_SUFFIX.sub("", parts[0])] = int(parts[col])
    return out


def _comware_interfaces(text: str) -> dict[str, int]:
    """Comware `display interface`: a block per interface, headed by its name alone (Comware 7) or by 'NAME current
    state: UP' (Comware 5, MSR); input errors and CRC counted in the block's input section only ('Input:' ...
    'Output:'), as 'N input errors', 'N errors', 'N CRC' or 'N crc' ('N input error' on tunnels)."""
    out: dict[str, int] = {}
    name, section = None, "in"
    for ln in text.splitlines():
        head = re.match(r"^(?!Line protocol)([A-Za-z][\w./:-]*\d[\w./:-]*)(?: current state\s*:.*)?\s*$", ln)
        if head:
            name, section = head.group(1), "in"
            continue
        if name is None:
            continue
        if re.match(r"^\s*Output\s*:", ln):
            section = "out"
        elif re.match(r"^\s*Input\s*:", ln):
            section = "in"
        found = [int(n) for n in re.findall(r"(\d+) input errors?\b", ln)]
        if section == "in":
            found += [int(n) for n in re.findall(r"(?<!input )\b(\d+) errors\b", ln)]
            found += [int(n) for n in re.findall(r"\b(\d+) crc\b", ln, re.I)]
        if found:
            out[name] = max(out.get(name, 0), *found)
    return out


def interface_errors(platform: str, text: str) -> dict[str, int]:
    """{interface: input errors (CRC included) since the counters were last cleared}, for every interface that
    prints input error counters (an SVI or a loopback may print none)."""
    out: dict[str, int] = {}
    if platform.startswith("huawei"):
        out = _vrp_interface_brief(text)
    elif platform == "hp_comware":
        out = _comware_interfaces(text)
    elif platform == "cisco_ios":
        for row in textfsm("cisco_ios", "show interfaces", text):
            errors = [int(row[k]) for k in ("input_errors", "crc") if str(row.get(k, "")).isdigit()]
            if errors:
                out[row["interface"]] = max(errors)
    elif platform == "cisco_nxos":
        name = None
        for ln in text.splitlines():
            m = re.match(r"^(\S+) is (?:up|down|administratively|admin|err-disabled|not|trunking|initializing)", ln)
            if m:
                name = m.group(1)
                continue
            found = [int(n) for n in re.findall(r"\b(\d+) input errors?\b", ln)]
            found += [int(n) for n in re.findall(r"\b(\d+) CRC(?:/FCS)?\b", ln)]
            if found and name:
                out[name] = max(out.get(name, 0), *found)
    if not out:
        raise ParseError(f"{platform}: no interface counters in the answer")
    return out
