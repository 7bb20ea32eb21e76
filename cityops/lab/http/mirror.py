"""A zone's package mirror (内网软件源): the yum repositories of each distribution the zone's servers run, and the
AIX interim fixes of each level.

Serves /<dist>/<repo>/repodata/… and /<dist>/<repo>/Packages/… as packages.py builds them, and
/aix/<TL-SP>/ifix/<file> (each fix's package and SHA256SUMS, efixes.py), over the endpoint's
plain HTTP port, as an internal mirror does. A mirror is lab infrastructure, not an inventory host: no fault
applies to it yet (a host's own repository file can point it at an address nothing answers on).
"""

from __future__ import annotations

import functools

from aiohttp import web

from ..servers import efixes
from ..servers.packages import DISTRIBUTIONS, repo_files


@functools.lru_cache(maxsize=16)
def _files(dist: str, repo: str) -> dict[str, bytes]:
    return repo_files(dist, repo)


async def handle(request: web.Request, e: dict, faults: dict) -> web.StreamResponse:
    parts = request.path.strip("/").split("/", 2)
    if parts[0] == "aix" and len(parts) == 3 and parts[2].startswith("ifix/"):
        body = efixes.mirror_files(parts[1]).get(parts[2][len("ifix/"):])
        if body is None or parts[1] not in efixes.CATALOGUE:
            raise web.HTTPNotFound(text="404 Not Found\n")
        return web.Response(body=body, content_type="application/octet-stream")
    if len(parts) < 3 or parts[0] not in DISTRIBUTIONS or parts[1] not in ("base", "updates"):
        raise web.HTTPNotFound(text="404 Not Found\n")
    body = _files(parts[0], parts[1]).get(parts[2])
    if body is None:
        raise web.HTTPNotFound(text="404 Not Found\n")
    kind = "application/xml" if parts[2].endswith(".xml") else "application/octet-stream"
    return web.Response(body=body, content_type=kind)
