"""RMAN's words, shared by the lab's RMAN on a database (rman.py) and on a drill's scratch instance
(scratchdb.py): its dates, its elapsed times, its error stack and the disk channel it allocates once a session."""

from __future__ import annotations

import datetime as dt

from ...timeutil import now

STACK = ("RMAN-00571: ===========================================================\n"
         "RMAN-00569: =============== ERROR MESSAGE STACK FOLLOWS ===============\n"
         "RMAN-00571: ===========================================================\n")


class RmanError(Exception):
    """An error RMAN reports in its stack: the lines after the banner."""


def day(t: dt.datetime | None = None) -> str:
    return (t or now()).strftime("%d-%b-%y").upper()


def stamp(t: dt.datetime | None = None) -> str:
    return (t or now()).strftime("%m/%d/%Y %H:%M:%S")


def elapsed(seconds: float) -> str:
    s = int(seconds) + 1
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


class Speaker:
    """A session's output: its lines, and ORA_DISK_1 allocated on the first command that needs it."""

    def __init__(self, out):
        self.out = out
        self.channel_allocated = False

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def channel(self, sid: str = "SID=10") -> None:
        if self.channel_allocated:
            self.say("using channel ORA_DISK_1")
            return
        self.say("using target database control file instead of recovery catalog")
        self.say("allocated channel: ORA_DISK_1")
        self.say(f"channel ORA_DISK_1: {sid} device type=DISK")
        self.channel_allocated = True
