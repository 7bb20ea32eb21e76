"""Enforce a host's time limit on a blocking client: shut its socket down when the deadline passes.

netmiko waits up to 20 s for a login prompt whatever it is told and paramiko
blocks in reads; neither can be interrupted from outside except by closing the
socket under it. Sessions therefore open the TCP socket themselves, hand it to
the client, and register it here; one thread watches every deadline (not a timer
thread per host).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time


class Watchdog:
    def __init__(self):
        self._heap: list[tuple[float, int, socket.socket, list]] = []
        self._cv = threading.Condition()
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, sock: socket.socket, deadline: float) -> list:
        """Register `sock`; the returned flag list gets True appended if the deadline cut it."""
        flag: list = []
        with self._cv:
            heapq.heappush(self._heap, (deadline, next(self._ids), sock, flag))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cityops-watchdog", daemon=True)
                self._thread.start()
            self._cv.notify()
        return flag

    def cut_all(self) -> None:
        """An interrupted run: end every watched connection now, so no worker outlives the run by minutes."""
        with self._cv:
            for _deadline, _i, _sock, flag in self._heap:
                flag.append(True)
            self._heap = [(0.0, i, sock, flag) for _d, i, sock, flag in self._heap]
            heapq.heapify(self._heap)
            self._cv.notify()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._heap:
                    self._cv.wait()
                deadline, _i, sock, flag = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._cv.wait(timeout=min(wait, 1.0))
                    continue
                heapq.heappop(self._heap)
            if sock.fileno() != -1:  # still open: the host ran past its time limit
                flag.append(True)
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


WATCHDOG = Watchdog()
