"""Government web sites as the State Council's checklist (政府网站检查指标) inspects them: up, fast, current, links,
certificate, IPv6."""

import datetime as dt
import re
import ssl

from cityops.inspect.catalogue import check
from cityops.parsers import ParseError
from cityops.terms import EVERY
from cityops.timeutil import today
from cityops.transport.errors import ConnectFailure

UNREACHABLE = ("refused", "timeout", "read_timeout", "tls", "closed")

WEB = ("http",)

UPDATED = re.compile(r"更新(?:日期|时间)[:：]\s*(\d{4}-\d{2}-\d{2})")


def page_answers(ctx, item: str, fetch) -> None:
    """A page that answers 200 passes; one that is refused, times out or fails TLS is a finding, not an error."""
    try:
        r = fetch()
    except ConnectFailure as exc:
        if exc.cause not in UNREACHABLE:
            raise
        ctx.condition(False, item, f"无法访问：{exc.chinese}")
        return
    ctx.condition(r.status_code == 200, item, f"HTTP {r.status_code}")


def home(ctx, timeout: float = 20.0):
    """The home page, fetched once and kept as evidence by every check that reads it."""
    return ctx.cached("home", lambda: ctx.request("GET", "/", timeout=timeout))


@check("WEB-HTTP-001", "网站首页可访问", platforms=WEB, cadences=EVERY, severity="critical",
       standard="政府网站检查指标：站点无法访问（单项否决）",
       remedy="检查 Web 服务、负载均衡与防火墙策略，查看服务器日志；恢复后核对首页与主要栏目。")
def test_home_reachable(host, ctx):
    """Here a site that does not answer is the finding itself (异常), not a failure to inspect."""
    page_answers(ctx, "首页", lambda: home(ctx))


@check("WEB-TIME-001", "网站首页响应时间", platforms=WEB, cadences=EVERY, severity="major", warn=5, crit=15, unit="秒",
       standard="政府网站检查指标：首页打开时间超过 15 秒视为无法访问",
       remedy="排查服务器负载、数据库慢查询与出口带宽；静态资源启用缓存或 CDN。")
def test_response_time(host, ctx):
    try:
        r = home(ctx)
    except ConnectFailure as exc:
        if exc.cause != "read_timeout":
            raise
        ctx.condition(False, "首页", "20 秒内未返回页面")
        return
    ctx.measure(round(r.elapsed.total_seconds(), 2), "首页")


@check("WEB-UPD-001", "首页更新时效", platforms=WEB, cadences=EVERY, severity="critical", warn=7, crit=14, unit="天",
       standard="政府网站检查指标：首页栏目超过 2 周未更新（单项否决）",
       remedy="通知内容保障部门及时更新首页动态、通知公告等栏目，并落实更新责任人。")
def test_home_updated(host, ctx):
    r = home(ctx)
    r.encoding = r.encoding if r.encoding and r.encoding.lower() != "iso-8859-1" else "utf-8"
    m = UPDATED.search(r.text)
    if not m:
        raise ParseError("首页没有“更新日期”字样")
    ctx.measure((today() - dt.date.fromisoformat(m.group(1))).days, "首页更新")


@check("WEB-LINK-001", "首页链接可用性", platforms=WEB, cadences=("daily", "weekly", "monthly"), severity="major",
       warn=1, crit=1, unit="个", standard="政府网站检查指标：首页不可用链接",
       remedy="修复或删除失效链接，建立链接定期检测机制。")
def test_links(host, ctx):
    r = home(ctx)
    links = sorted(set(re.findall(r'href="(/[^"#]*)"', r.text)))[:50]
    dead = [link for link in links if ctx.request("GET", link, timeout=10).status_code >= 400]
    ctx.measure(len(dead), "失效链接")
    if dead:
        ctx.condition(False, "失效链接", "、".join(dead[:5]))


@check("WEB-CERT-001", "网站证书有效期", platforms=WEB, cadences=("daily", "weekly", "monthly"), severity="major",
       warn=30, crit=15, unit="天", higher_is_worse=False,
       remedy="提前向 CA 申请续期并在维护窗口更换证书，更换后核对证书链与 HTTPS 访问。")
def test_certificate(host, ctx):
    cert = ctx.session.certificate()
    expires = dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), dt.UTC)
    ctx.measure((expires - dt.datetime.now(dt.UTC)).days, "剩余天数")


@check("WEB-IPV6-001", "网站 IPv6 访问", platforms=WEB, requires=("ipv6_address",), cadences=("daily", "weekly"),
       severity="minor", standard="推进互联网协议第六版（IPv6）规模部署行动计划",
       remedy="检查 IPv6 地址、AAAA 记录与防火墙 IPv6 策略。")
def test_ipv6(host, ctx):
    page_answers(ctx, "IPv6 首页",
                 lambda: ctx.request("GET", "/", address=str(ctx.inventory_host.get("ipv6_address")), timeout=20))
