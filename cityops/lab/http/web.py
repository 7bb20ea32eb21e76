"""Government web sites (政府网站) as the State Council checklist inspects them.

Each site has a home page with its update date, columns (栏目) with their latest
articles, links, a site label (网站标识码), a search page, HTTPS with a lab
certificate and, for the portal, IPv6 on ::1. Faults: slow (the page takes
longer than the checklist's 15 s), site_stale (home page not updated), broken
links, cert_expiring.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html

from aiohttp import web

from ...timeutil import now
from . import appliance, mgmt, mirror
from .base import main as serve

COLUMNS = ("政务要闻", "通知公告", "政策文件", "政策解读", "人事信息", "财政信息", "办事服务", "互动交流")


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"</head><body>{body}</body></html>")


async def handle(request: web.Request, e: dict, faults: dict) -> web.StreamResponse:
    """Route by what the endpoint is: a government web site, an NVR's ISAPI, a vCenter or an appliance console."""
    if e.get("kind") == "appliance":
        return await appliance.handle(request, e, faults)
    if e.get("kind") == "mirror":
        return await mirror.handle(request, e, faults)
    if e.get("kind") == "nvr":
        return await mgmt.nvr(request, e, faults)
    if e.get("kind") == "vcenter":
        return await mgmt.vcenter(request, e, faults, request.app["faults"])
    return await site(request, e, faults)


async def site(request: web.Request, e: dict, faults: dict) -> web.StreamResponse:
    today = now().date()
    updated = today - dt.timedelta(days=int(faults["site_stale"].get("days", 20))) if "site_stale" in faults else today
    path = request.path.rstrip("/") or "/"
    title = e["title"]
    if path in ("/", "/index.html"):
        items = []
        for i, col in enumerate(COLUMNS, 1):
            day = updated - dt.timedelta(days=i % 3)
            items.append(f'<li><a href="/column/{i}">{col}</a> <span class="date">{day.isoformat()}</span></li>')
        links = [f'<a href="/article/{i}">文章{i}</a>' for i in range(1, 6)]
        if "broken_links" in faults:
            links += [f'<a href="/missing/{i}">已失效链接{i}</a>' for i in range(int(faults["broken_links"].get("count", 3)))]
        body = (f"<h1>{html.escape(title)}</h1><p class=\"updated\">更新日期：{updated.isoformat()}</p>"
                f"<ul class=\"columns\">{''.join(items)}</ul><div class=\"links\">{' '.join(links)}</div>"
                '<form action="/search"><input name="q"><button>搜索</button></form>'
                f"<footer>网站标识码：{e['site_code']}　新ICP备{e['icp']}号</footer>")
        return web.Response(text=_page(title, body), content_type="text/html")
    if path.startswith("/column/") or path.startswith("/article/"):
        return web.Response(text=_page(title, f"<h2>{html.escape(path)}</h2><p>{updated.isoformat()}</p>"),
                            content_type="text/html")
    if path == "/search":
        q = html.escape(request.query.get("q", ""))
        return web.Response(text=_page(title, f"<p>“{q}”的搜索结果：3 条</p>"), content_type="text/html")
    return web.Response(status=404, text=_page("404", "页面不存在"), content_type="text/html")


def site_code(name: str) -> str:
    return "6502" + str(int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % 10**6).zfill(6)


def main(argv=None) -> None:
    serve("web", handle, argv)


if __name__ == "__main__":
    main()
