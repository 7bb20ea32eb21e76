"""Each task's result on each host as one JSON line in $CITYOPS_ANSIBLE_EVENTS, for cityops' change record and
audit log (cityops/change/rac_route.py): which task ran where, how it ended, what it printed. Module arguments
are never written (a task's may hold a secret); what a task printed is bounded."""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: cityops_events
type: notification
short_description: one JSON line per task result, for cityops' change records
description:
  - Appends host, task, status, rc and the tail of stdout, stderr and msg of every task result to the file named
    by the CITYOPS_ANSIBLE_EVENTS environment variable.
requirements:
  - enabled in callbacks_enabled
"""

LIMIT = 2000


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "cityops_events"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, result, status: str) -> None:
        path = os.environ.get("CITYOPS_ANSIBLE_EVENTS")
        if not path:
            return
        r = result._result
        line = {"host": result._host.get_name(), "task": result._task.get_name(), "status": status, "rc": r.get("rc"),
                **{k: str(r.get(k) or "")[-LIMIT:] for k in ("stdout", "stderr", "msg")}}
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")

    def v2_runner_on_ok(self, result):
        self._write(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_unreachable(self, result):
        self._write(result, "unreachable")
