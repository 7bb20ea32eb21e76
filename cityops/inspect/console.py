"""The JSON management API of web-managed devices (security consoles, gatekeeper, backup appliances), for checks.

Logs in once per run with the host's credential (`POST /api/v1/login` -> token), then
GETs with `X-Auth-Token`; a rejected login ends the host's session as `auth`.
"""

from __future__ import annotations

from ..parsers import ParseError
from ..transport.errors import ConnectFailure


def console_get(ctx, path: str) -> dict:
    token = ctx.session.state.get("token")
    if token is None:
        cred = ctx.session.credential
        r = ctx.request("POST", "/api/v1/login", json={"username": cred.username, "password": cred.password})
        if r.status_code == 401:
            raise ctx.session.lose(ConnectFailure(ctx.host_name, "auth", "管理接口登录被拒绝"))
        try:
            token = ctx.session.state["token"] = r.json()["token"]
        except (ValueError, KeyError):
            raise ParseError("login answer is not the console's JSON") from None
    r = ctx.request("GET", path, headers={"X-Auth-Token": token})
    try:
        return r.json()
    except ValueError:
        raise ParseError(f"{path}: not JSON") from None
