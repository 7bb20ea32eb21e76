"""The runner's crontab: cityops' entries as one marked block, written and removed without touching any other line.

The block starts with a BEGIN line that says how it was joined to what was there (no crontab before, a newline
added to a last line that had none, or appended as is), so `remove` gives back the previous crontab byte for byte
— with whatever the user added outside the block since. Each entry is a comment a reviewer reads (the id, what it
does, its Beijing time, its limit) and one line that calls `invoke schedule.fire --entry <id>`: the entry's
definition is looked up again at each firing, so a crontab never holds a command line of its own.

Times are translated from Beijing to the runner's own clock (cron runs on the system's time zone, and Debian's cron
has no CRON_TZ). When the translation moves a day-of-month entry across midnight the line fires every day at that
hour, and `schedule.fire` runs only at a Beijing slot: cron says when to look, the Beijing expression what is due.
"""

from __future__ import annotations

import datetime as dt
import shlex
import subprocess  # nosec B404  # crontab(1) only, fixed argv
from pathlib import Path

from ..errors import BadInput, one_line
from .plan import Entry

BEGIN = "# BEGIN cityops schedule"
END = "# END cityops schedule"
JOINS = ("none", "newline", "plain")  # no crontab before | a newline was added before the block | appended as is
BEIJING_MINUTES = 8 * 60


def _run(args: list[str], data: bytes | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["crontab", *args], input=data, capture_output=True, timeout=30, check=False)  # nosec B603 B607  # crontab from PATH, fixed argv
    except FileNotFoundError:
        raise BadInput("crontab: not installed on this runner (scripts/setup.sh installs cron)") from None


def _user_args(user: str) -> list[str]:
    return ["-u", user] if user else []


def read(user: str = "") -> bytes | None:
    """The crontab as it is (None: the user has none)."""
    out = _run([*_user_args(user), "-l"])
    if out.returncode == 0:
        return out.stdout
    if b"no crontab" in out.stderr:
        return None
    raise BadInput(f"crontab -l{' -u ' + user if user else ''}: {one_line(out.stderr.decode('utf-8', 'replace'))}")


def write(user: str, data: bytes | None) -> None:
    """Replace the crontab (None: remove it), then read it back: what cron holds must be what was meant."""
    out = _run([*_user_args(user), "-r"]) if data is None else _run([*_user_args(user), "-"], data)
    if out.returncode != 0 and not (data is None and b"no crontab" in out.stderr):
        raise BadInput(f"crontab{' -u ' + user if user else ''}: {one_line(out.stderr.decode('utf-8', 'replace'))}")
    if read(user) != data:
        raise BadInput(f"crontab{' -u ' + user if user else ''}: what cron holds differs from what was written")


def split(text: bytes | None) -> tuple[bytes | None, bytes, str]:
    """(the crontab without cityops' block as it was before install, the block, how it was joined)."""
    if text is None:
        return None, b"", ""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith(BEGIN.encode())), None)
    if start is None:
        return text, b"", ""
    end = next((i for i in range(start, len(lines)) if lines[i].rstrip(b"\n") == END.encode()), None)
    if end is None:
        raise BadInput(f"crontab: cityops' block starts at line {start + 1} and never ends ({END!r} missing): "
                       f"edit it by hand (crontab -e), then install again")
    join = next((j for j in JOINS if f"[join={j}]".encode() in lines[start]), "plain")
    before, block, after = b"".join(lines[:start]), b"".join(lines[start:end + 1]), b"".join(lines[end + 1:])
    if join == "newline" and before.endswith(b"\n") and not after:  # a line added below the block since keeps
        before = before[:-1]  # the newline that separates it from the user's last line
    rest = before + after
    if join == "none" and not rest:
        return None, block, join
    return rest, block, join


def local_cron(cron: str, offset_minutes: int) -> tuple[str, bool]:
    """A Beijing cron expression on a clock `offset_minutes` east of UTC: (expression, whether days were widened to
    every day because the time crossed midnight on a day-of-month line)."""
    minute, hour, dom, months, dow = cron.split()
    shift = offset_minutes - BEIJING_MINUTES
    if shift == 0:
        return cron, False
    if hour == "*" or hour.startswith("*/"):
        step = int(hour[2:]) if hour.startswith("*/") else 1
        if shift % 60:
            raise BadInput(f"cron '{cron}': an hourly entry on a clock not a whole number of hours from Beijing")
        hours = sorted(((h + shift // 60) % 24) for h in range(0, 24, step))
        return f"{minute} {','.join(map(str, hours))} {dom} {months} {dow}", False
    days, at = divmod(int(hour) * 60 + int(minute) + shift, 24 * 60)
    new_minute, new_hour = at % 60, at // 60
    if days == 0:
        return f"{new_minute} {new_hour} {dom} {months} {dow}", False
    if dom == "*" and months == "*":
        new_dow = dow if dow == "*" else ",".join(str((int(d) + days) % 7) for d in dow.split(","))
        return f"{new_minute} {new_hour} * * {new_dow}", False
    return f"{new_minute} {new_hour} * * *", True


def runner_offset() -> int:
    """Minutes east of UTC of this machine's clock, as cron sees it."""
    return int(dt.datetime.now().astimezone().utcoffset().total_seconds() // 60)


def _cron_quote(text: str) -> str:
    """A shell word for a crontab command line: quoted, and '%' (a newline to cron) escaped."""
    if "\n" in text:
        raise BadInput(f"crontab: {one_line(text, 60)!r} holds a newline")
    return shlex.quote(text).replace("%", "\\%")


def block(entries: list[Entry], *, repo: Path, reports: Path, inventory: Path | None, join: str,
          offset_minutes: int, stamp: str, invoke: list[str] | None = None, env_file: Path | None = None) -> bytes:
    """cityops' block: a header a reviewer reads, then a comment and a line per entry. `invoke` is how the runner
    starts invoke (default: the checkout's .venv), `env_file` what each line sources first (a zone runner's
    credentials and known_hosts)."""
    invoke = invoke or [str(repo / ".venv" / "bin" / "invoke")]
    log = reports / "schedule" / "cron.log"
    sign = "+" if offset_minutes >= 0 else "-"
    clock = f"UTC{sign}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"
    lines = [f"{BEGIN} [join={join}] — written by `invoke schedule.install` {stamp}; remove with "
             f"`invoke schedule.remove`, change schedule.yml or the inventory and install again",
             f"# runner clock {clock}; each entry's 北京时间 is in its comment. Lines: minute hour day month weekday.",
             f"# every firing and every missed or skipped slot goes to {reports / 'schedule' / 'ledger.jsonl'}"]
    for e in entries:
        cron, widened = local_cron(e.cron, offset_minutes)
        state = f"；已停用：{e.disabled}" if e.disabled else ""
        lines.append(f"# {e.id}: {e.title} — 北京时间 {e.cron}，限时 {e.limit_minutes:g} 分钟，"
                     f"{'上次未结束则跳过' if e.overlap == 'skip' else '上次未结束则等待'}"
                     + ("；跨零点：每日触发，仅在北京时间的计划日运行" if widened else "") + state)
        argv = [*invoke, "schedule.fire", "--entry", e.id, "--reports", str(reports)]
        if inventory:
            argv += ["--inventory", str(inventory)]
        source = f". {_cron_quote(str(env_file))} && " if env_file else ""
        command = (f"cd {_cron_quote(str(repo))} && {source}{' '.join(map(_cron_quote, argv))} "
                   f">> {_cron_quote(str(log))} 2>&1")
        lines.append(("# " if e.disabled else "") + f"{cron} {command}")
    lines.append(END)
    return ("\n".join(lines) + "\n").encode()


def joined(previous: bytes | None, new_block: bytes) -> bytes:
    """The previous crontab with the block after it."""
    if not previous:
        return new_block
    return previous + (b"" if previous.endswith(b"\n") else b"\n") + new_block


def join_of(previous: bytes | None) -> str:
    if previous is None:
        return "none"
    return "plain" if not previous or previous.endswith(b"\n") else "newline"
