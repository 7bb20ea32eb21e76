"""Which inspection runs a report covers: named by id, or every run of a lot / bureau in a period.

A period is a day (`2026-11-24`), a month (`2026-11`), a quarter (`2026-Q4`) or a
year (`2026`), in Beijing time, matched against each run's start. Runs are read
from `reports/runs/<run-id>/` (manifest.json + results.jsonl) and never changed.

A month of twice-daily whole-estate runs is 240,000 results and 300 MB of JSON, so
a run's results are streamed, never held: `Run.stream()` reads its file line by
line and keeps only the lot's or bureau's lines. A line that cannot be the scope's
(its lot or bureau string does not occur in it at all) is passed over before it is
parsed; every line that is parsed is then checked exactly.

Nothing a run directory holds is taken on trust. Each run read is verified
(`Run.verify()`, once): every file against the sha256 its manifest lists, the
manifest against the run register, and a `running` manifest against the run's
lock (a run whose lock can be taken died without finishing). The verdict is the
run's `state`, shown beside it in every report:
    complete    sealed, files and register agree
    incomplete  interrupted or killed: its lines so far are reported, marked so
    running     its process is still at work
    unverified  files agree with the manifest, but the manifest is not registered
    tampered    a file or the manifest differs from what was sealed: its results
                are not used, and the report names the file
A torn last line (a killed run's half write) is reported as such, never parsed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BadInput, one_line
from ..inspect import record
from ..inspect.record import parse_result_line


class ReportError(BadInput):
    """A report that cannot be made as asked (unknown run, empty period...), said in one line."""


STATE_LABELS = {"complete": "完成", "incomplete": "未完成", "running": "进行中", "unverified": "未登记（无法确认未被改写）",
                "tampered": "校验失败（结果未采用）"}


@dataclass
class Period:
    label: str  # as the user wrote it
    start: dt.date
    end: dt.date  # exclusive
    kind: str  # day | month | quarter | year

    @property
    def chinese(self) -> str:
        if self.kind == "day":
            return f"{self.start.year}年{self.start.month}月{self.start.day}日"
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == "quarter":
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        return f"{self.start.year}年度"

    def holds(self, day: dt.date) -> bool:
        return self.start <= day < self.end


def parse_period(text: str) -> Period:
    text = text.strip()
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
        try:
            d = dt.date(*map(int, m.groups()))
        except ValueError as exc:
            raise ReportError(f"period '{text}': not a real day ({exc})") from None
        return Period(text, d, d + dt.timedelta(days=1), "day")
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        y, mo = map(int, m.groups())
        if not 1 <= mo <= 12:
            raise ReportError(f"period '{text}': no month {mo}")
        return Period(text, dt.date(y, mo, 1), dt.date(y + mo // 12, mo % 12 + 1, 1), "month")
    if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
        y, q = int(m.group(1)), int(m.group(2))
        start = dt.date(y, 3 * q - 2, 1)
        return Period(text, start, dt.date(y + (q == 4), 1 if q == 4 else 3 * q + 1, 1), "quarter")
    if re.fullmatch(r"\d{4}", text) and int(text) >= 1:
        return Period(text, dt.date(int(text), 1, 1), dt.date(int(text) + 1, 1, 1), "year")
    raise ReportError(f"period '{one_line(text, 40)}': write a day 2026-11-24, a month 2026-11, a quarter 2026-Q4 or a year 2026")


@dataclass
class Run:
    run_id: str
    path: Path
    manifest: dict
    lot: str | None = None  # when set, only this lot's results are the run's for this report
    bureau: str | None = None
    count: int = 0  # results of the scope, known after a first stream()
    state: str = ""  # set by verify(): complete | incomplete | running | unverified | tampered
    notes: list[str] = field(default_factory=list)  # Chinese, each naming the file: why the state is what it is
    register: Register | None = None  # the run register (shared by the runs of one lookup)

    @property
    def started(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.manifest["started"])

    @property
    def label(self) -> str:
        """The run's state in a report's runs table, with the reason."""
        self.verify()
        if self.state == "incomplete":
            return f"未完成：{self.manifest.get('reason') or '进程已终止'}"
        text = STATE_LABELS[self.state]
        return f"{text}：{'；'.join(self.notes)}" if self.notes and self.state != "complete" else text

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def verify(self) -> str:
        """Check the run's files, manifest, register entry and lock once; sets and returns `state`. A sealed run
        whose files and register have not changed since it was last verified in this process is not hashed again
        (a ledger looks at each run of its month twice: for the month's results and for the cadence slots)."""
        if self.state:
            return self.state
        key = _verify_key(self.path) if self.manifest.get("status") != "running" else None  # liveness: ask anew
        known = _VERIFIED.get(self.path)
        if key is not None and known is not None and known[0] == key:
            self.state, self.notes = known[1], list(known[2])
            return self.state
        self._verify()
        if key is not None:
            _VERIFIED[self.path] = (key, self.state, list(self.notes))
        return self.state

    def _verify(self) -> str:
        status = self.manifest.get("status")
        if status == "running":
            if record.is_live(self.path):
                self.state = "running"
                return self.state
            self.manifest = {**self.manifest, "status": "incomplete",
                             "reason": "进程已终止，巡检未正常结束（结果截至终止时）"}
            self.state = "incomplete"
            return self.state
        files = self.manifest.get("files")
        if not isinstance(files, dict):
            self.note("manifest.json 未列出文件的 SHA-256")
            self.state = "tampered"
            return self.state
        for name, digest in files.items():
            path = self.path / str(name)
            if "/" in str(name) or not path.is_file():
                self.note(f"{name} 已缺失")
            elif record.sha256_file(path) != digest:
                self.note(f"{name} 与清单记录的 SHA-256 不符（运行后被改动）")
        if self.register is None:
            self.register = registered(self.path.parent)
        entry = self.register.entries.get(self.run_id)
        if self.notes:
            self.state = "tampered"
        elif entry is None:
            self.note(self.register.problems[0] if self.register.problems else "巡检登记簿中没有该次巡检")
            self.state = "unverified"
        elif entry.get("manifest_sha256") != record.sha256_file(self.path / "manifest.json"):
            self.note("manifest.json 与巡检登记簿不符（清单被改写）")
            self.state = "tampered"
        else:
            self.state = "incomplete" if status == "incomplete" else "complete"
        return self.state

    @property
    def usable(self) -> bool:
        return self.verify() != "tampered"

    def stream(self):
        """The run's results in the report's scope, one dict at a time; nothing from a tampered run, and a torn
        or unparsable line is noted (by line number) and passed over, never read as a result."""
        if not self.usable:
            return
        needles = [n.encode() for n in (f'"{self.lot}"' if self.lot else "", f'"{self.bureau}"' if self.bureau else "")
                   if n]
        n = 0
        try:
            f = (self.path / "results.jsonl").open("rb")
        except FileNotFoundError:
            return
        with f:
            for number, line in enumerate(f, 1):
                if not line.endswith(b"\n"):  # every result is one write ending in a newline: this one was cut
                    self.note(f"results.jsonl 第 {number} 行不完整（进程被终止时写了一半），已略过")
                    continue
                if needles and not all(x in line for x in needles):
                    continue
                r = parse_result_line(line)
                if r is None:
                    self.note(f"results.jsonl 第 {number} 行无法解析，已略过")
                    continue
                if (self.lot and self.lot not in (r.get("lots") or [])) or (
                        self.bureau and r.get("bureau") != self.bureau):
                    continue
                n += 1
                yield r
        self.count = n

    def all_results(self) -> list[dict]:
        """All of them at once: for one run (a test, a single check), never in a loop over a period's runs."""
        return list(self.stream())


_VERIFIED: dict[Path, tuple[tuple, str, list[str]]] = {}


def _verify_key(path: Path) -> tuple | None:
    """What a verification depends on: the run's files and the run register, as their sizes and change times."""
    try:
        stats = [p.stat() for p in sorted(path.iterdir()) if p.is_file() and not p.name.startswith(".")]
        register = path.parent.parent / record.REGISTER
        reg = register.stat() if register.exists() else None
    except OSError:
        return None
    return (tuple((s.st_size, s.st_mtime_ns, s.st_ino) for s in stats),
            (reg.st_size, reg.st_mtime_ns) if reg else None)


@dataclass
class Register:
    """The run register as a reader may trust it: run id -> latest entry, from the lines before the first break in
    the chain only (a line after an edited, removed or inserted one vouches for nothing), and what is broken."""

    entries: dict[str, dict] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


_REGISTERS: dict[Path, tuple[tuple, Register]] = {}


def registered(runs_dir: Path) -> Register:
    """The run register of a reports directory, read once per change of the file."""
    path = runs_dir.parent / record.REGISTER
    try:
        st = path.stat()
        key = (st.st_mtime_ns, st.st_size)
    except FileNotFoundError:
        return Register()
    cached = _REGISTERS.get(path)
    if cached and cached[0] == key:
        return cached[1]
    chain = record.run_register(runs_dir).read()
    trusted = {str(e.get("run_id")): e for e in chain.entries[:chain.trusted] if e.get("run_id")}
    _REGISTERS[path] = (key, Register(trusted, chain.problems))
    return _REGISTERS[path][1]


def read_manifest(path: Path) -> dict:
    """A run's manifest.json: a JSON object with a start time, or ReportError naming the file and the cause."""
    where = path / "manifest.json"
    try:
        data = where.read_bytes()
        if len(data) > 32 * 1024 * 1024:
            raise ReportError(f"run {path.name}: manifest.json is {len(data):,} bytes (not a manifest)")
        manifest = json.loads(data)
        if not isinstance(manifest, dict):
            raise ValueError("not an object")
        dt.datetime.fromisoformat(str(manifest["started"]))
    except FileNotFoundError:
        raise ReportError(f"run {path.name}: no such run under {path.parent}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ReportError(f"run {path.name}: manifest.json is not a run manifest ({one_line(exc, 120)})") from None
    return manifest


def load_run(runs_dir: Path, run_id: str) -> Run:
    path = record.run_dir(runs_dir, run_id)
    return Run(path.name, path, read_manifest(path))


def scan_runs(runs_dir: Path, first: dt.datetime | dt.date | None = None, last=None) -> list[Run]:
    """Every run directory whose manifest reads, started in [first, last) when given (results are not read);
    a directory whose manifest does not read is named on stderr, never silently reported on."""
    import sys

    out: list[Run] = []
    if not runs_dir.is_dir():
        return out
    register = registered(runs_dir)
    for path in sorted(p for p in runs_dir.iterdir() if p.is_dir() and (p / "manifest.json").exists()):
        try:
            manifest = read_manifest(path)
        except ReportError as exc:
            print(f"cityops: {exc}; left out", file=sys.stderr)
            continue
        started = dt.datetime.fromisoformat(manifest["started"])
        when = started if isinstance(first, dt.datetime) else started.date()
        if (first is not None and when < first) or (last is not None and when >= last):
            continue
        out.append(Run(path.name, path, manifest, register=register))
    return out


def find_runs(runs_dir: Path, *, run_ids: list[str] | None = None, lot: str | None = None,
              bureau: str | None = None, period: Period | None = None) -> list[Run]:
    """The runs asked for, oldest first; with a lot or bureau, only their results are kept in each run.
    A run named by id that fails verification is refused, naming the file; in a period it is listed as such."""
    if run_ids:
        runs = [load_run(runs_dir, r) for r in run_ids]
        for run in runs:
            if run.verify() == "tampered":
                raise ReportError(f"run {run.run_id}: {'；'.join(run.notes)}")
    else:
        if period is None:
            raise ReportError("name runs (--run) or a period (--period) with --lot or --bureau")
        runs = [r for r in scan_runs(runs_dir, period.start, period.end)
                if (not lot or lot in r.manifest.get("lots", [])) and (not bureau or bureau in r.manifest.get("bureaus", []))]
    for run in runs:  # another bureau's hosts never reach this bureau's report
        run.lot, run.bureau = lot, bureau
    runs.sort(key=lambda r: r.started)
    if not runs:
        scope = " ".join(x for x in (f"lot {lot}" if lot else "", f"bureau {bureau}" if bureau else "") if x)
        raise ReportError(f"no inspection run of {scope or 'the estate'} in {period.label if period else 'that list'}")
    return runs


