"""An address that accepts no connection: a listener with a full accept queue, so connects time out.

Every 127.x address answers ping, so a dead lab host has to be dead at the TCP
level: the SYN of a new connect is dropped and the client's connect times out,
exactly as against a powered-off device. Used in-process by the netdev server and
as a small process (`python -m cityops.lab.blackhole ADDRESS`) for sshd hosts.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket


def blackhole(address: str, port: int = 22) -> list[socket.socket]:
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((address, port))
    lsock.listen(0)
    fillers = []
    for _ in range(2):  # backlog 0 admits one; a second fills the queue
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        with contextlib.suppress(BlockingIOError, OSError):
            c.connect((address, port))
        fillers.append(c)
    return [lsock, *fillers]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("address")
    parser.add_argument("--port", type=int, default=22)
    parser.add_argument("--lab", help="lab state directory (accepted for the supervisor's calling convention)")
    parser.add_argument("--ready", help="file to create once the address is held")
    args = parser.parse_args(argv)
    socks = blackhole(args.address, args.port)
    if args.ready:
        open(args.ready, "w").close()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
