"""The JSON management API of web-managed devices (security consoles, gatekeeper, backup appliances), for checks:
the host's HTTPS session logs in once per run and GETs with its token (transport/https.py `api_get`)."""

from __future__ import annotations


def console_get(ctx, path: str) -> dict:
    return ctx.session.api_get(path)
