"""One aiohttp process serving every endpoint of a kind, each on its own address with its own certificate.

A request is routed to its endpoint by the local address it arrived on, so one
application serves all of them. Faults are re-read when faults.json changes;
a certificate fault re-issues the endpoint's certificate in place, `refused`
closes the endpoint's listeners and `unreachable` replaces them with a full
accept queue (connects time out), as the netdev server does. An endpoint's
`latency` (per class, from `lab.up --latency`) delays every answer.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import ssl
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from ..blackhole import blackhole
from ..faults import FaultView
from ..statedir import LabDir
from ..tls import issue

log = logging.getLogger("cityops.lab.http")
Handler = Callable[[web.Request, dict, dict], Awaitable[web.StreamResponse]]


class HttpLab:
    def __init__(self, lab: LabDir, kind: str, endpoints: list[dict], handler: Handler):
        self.lab, self.kind, self.handler = lab, kind, handler
        self.by_address = {}
        for e in endpoints:
            for addr in e["addresses"]:
                self.by_address[addr] = e
        self.endpoints = endpoints
        self.faults = FaultView(lab)
        self.contexts: dict[str, ssl.SSLContext] = {}
        self.cert_days: dict[str, int] = {}
        self.runner: web.AppRunner | None = None
        self.sites: dict[str, list] = {}  # endpoint -> its TCPSites, or blackhole sockets when unreachable
        self.listening: dict[str, str] = {}  # endpoint -> "serve" | "refused" | "unreachable"

    def context(self, e: dict) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.contexts[e["name"]] = ctx
        self.load_cert(e)
        return ctx

    def load_cert(self, e: dict) -> None:
        f = self.faults.of(e["host"])
        days = int(f["cert_expiring"].get("days", 10)) if "cert_expiring" in f else 365
        if self.cert_days.get(e["name"]) != days:
            cert, key = issue(self.lab, e["name"], e["addresses"], days)
            self.contexts[e["name"]].load_cert_chain(cert, key)  # new handshakes get the new certificate
            self.cert_days[e["name"]] = days

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        local = request.transport.get_extra_info("sockname")[0] if request.transport else ""
        e = self.by_address.get(local)
        if e is None:
            return web.Response(status=421, text="misdirected request")
        faults = self.faults.of(e["host"])
        slow = faults.get("site_slow") or faults.get("slow")
        if slow:
            await asyncio.sleep(float(slow.get("seconds", 16)))
        elif e.get("latency"):
            await asyncio.sleep(float(e["latency"]))
        return await self.handler(request, e, faults)

    async def listen(self, e: dict) -> None:
        """Make the endpoint's listeners match its connection faults."""
        f = self.faults.of(e["host"]) if e.get("connection_faults", True) else {}  # a BMC stays up when its OS does not
        want = "refused" if "refused" in f else "unreachable" if "unreachable" in f else "serve"
        if self.listening.get(e["name"]) == want:
            return
        for site in self.sites.pop(e["name"], []):
            if isinstance(site, web.BaseSite):
                await site.stop()
            else:
                site.close()
        ports = [e.get("port", 443)] + ([e["http_port"]] if e.get("http_port") else [])
        sites: list = []
        for addr in e["addresses"]:
            for port in ports:
                if want == "serve":
                    ctx = self.contexts[e["name"]] if port == e.get("port", 443) else None
                    site = web.TCPSite(self.runner, addr, port, ssl_context=ctx, reuse_address=True)
                    await site.start()
                    sites.append(site)
                elif want == "unreachable" and ":" not in addr:
                    sites.extend(blackhole(addr, port))
        self.sites[e["name"]] = sites
        self.listening[e["name"]] = want

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(0.2)
            if self.faults.refresh():
                for e in self.endpoints:
                    self.load_cert(e)
                    await self.listen(e)

    async def run(self) -> None:
        app = web.Application()
        app["faults"] = self.faults  # handlers that report other hosts (vCenter) read their faults too
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        self.runner = runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        self.faults.refresh()
        for e in self.endpoints:
            self.context(e)
            await self.listen(e)
        (self.lab.path / f"{self.kind}.ready").write_text(str(os.getpid()))
        log.info("serving %d %s endpoints", len(self.endpoints), self.kind)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        watcher = asyncio.create_task(self.watch())
        await stop.wait()
        watcher.cancel()
        await runner.cleanup()


def main(kind: str, handler: Handler, argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lab", required=True)
    args = parser.parse_args(argv)
    lab = LabDir(Path(args.lab))
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {kind} %(levelname)s %(message)s", stream=sys.stderr)
    plan = lab.read_json(lab.plan_file(kind), None)
    if plan is None:
        raise SystemExit(f"no plan at {lab.plan_file(kind)}")
    asyncio.run(HttpLab(lab, kind, plan["endpoints"], handler).run())
