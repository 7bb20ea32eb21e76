"""Web sites and HTTPS-managed devices through requests, verified against a CA bundle (the lab's CA in the lab),
never with verification off and never through a proxy from the environment."""

from __future__ import annotations

import socket
import time

from .. import netguard
from ..timeutil import now
from .base import Answer, Session
from .errors import ConnectFailure


class HttpSession(Session):
    protocol = "https"

    def connect(self) -> None:
        import requests

        self.http = requests.Session()
        self.http.verify = str(self.config.ca_file) if self.config.ca_file else True
        self.http.trust_env = False  # never through a proxy from the environment

    def url(self, path: str) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"https://{host}{path}"

    def request(self, method: str, path: str, *, json=None, headers=None, timeout: float | None = None,
                address: str | None = None):
        """One HTTP request, audited; `address` targets another of the host's addresses (its IPv6 one)."""
        import requests

        if self.fatal is not None:
            raise self.fatal
        if address and address != self.address:
            reason = netguard.refusal(address, self.config.networks)
            if reason:
                raise ConnectFailure(self.name, "refused_target", reason)
        if not self._open:
            self.connect()
            self._open = True
        target = f"https://[{address}]{path}" if address and ":" in address else (
            f"https://{address}{path}" if address else self.url(path))
        t0 = time.monotonic()
        wait = self.time_left(timeout or self.config.command_timeout)
        try:
            r = self.http.request(method, target, json=json, headers=headers,
                                  timeout=(min(wait, self.config.connect_timeout), wait))
        except requests.exceptions.SSLError as exc:
            failure = ConnectFailure(self.name, "tls", str(exc).splitlines()[0][:200])
        except requests.exceptions.ConnectTimeout:
            failure = ConnectFailure(self.name, "timeout", f"{target}")
        except requests.exceptions.ReadTimeout:
            failure = ConnectFailure(self.name, "read_timeout", f"{target} gave no answer within {wait:.0f} s")
        except requests.exceptions.ConnectionError as exc:
            cause = "refused" if "refused" in str(exc).lower() else "closed"
            failure = ConnectFailure(self.name, cause, target)
        else:
            self.audit(f"{method} {path}", r.status_code, time.monotonic() - t0)
            self.keep(Answer(f"{method} {path}", r.status_code, r.text, "", time.monotonic() - t0,
                             now().isoformat(timespec="seconds")))
            return r
        self.audit(f"{method} {path}", failure.cause, time.monotonic() - t0)
        self.keep_failure(f"{method} {target}", failure, time.monotonic() - t0)
        raise self.lose(failure) if not address or address == self.address else failure  # another address: not lost

    def api_get(self, path: str):
        """GET a path of the device's JSON management API (the console API cityops models for web-managed
        appliances): logs in once per session with the host's credential (`POST /api/v1/login` -> token), then
        sends `X-Auth-Token`; a rejected login ends the session as `auth`."""
        from ..parsers import ParseError

        token = self.state.get("token")
        if token is None:
            cred = self.credential
            r = self.request("POST", "/api/v1/login", json={"username": cred.username, "password": cred.password})
            if r.status_code == 401:
                raise self.lose(ConnectFailure(self.name, "auth", "管理接口登录被拒绝"))
            try:
                token = self.state["token"] = r.json()["token"]
            except (ValueError, KeyError, TypeError):
                raise ParseError("login answer is not the console's JSON") from None
        r = self.request("GET", path, headers={"X-Auth-Token": token})
        try:
            return r.json()
        except ValueError:
            raise ParseError(f"{path}: not JSON") from None

    def run(self, command: str, timeout: float | None = None) -> Answer:  # request() audits and keeps it
        method, _, path = command.partition(" ")
        r = self.request(method, path, timeout=timeout)
        return Answer(command, 0 if r.ok else r.status_code, r.text, "", r.elapsed.total_seconds(), "")

    def certificate(self, port: int = 443) -> dict:
        """The server certificate of a verified TLS handshake (notAfter, subject ...), audited as a query."""
        import ssl

        if self.fatal is not None:
            raise self.fatal
        ctx = ssl.create_default_context(cafile=str(self.config.ca_file) if self.config.ca_file else None)
        t0 = time.monotonic()
        try:
            with socket.create_connection((self.address, port), timeout=self.time_left(self.config.connect_timeout)) as raw, \
                    ctx.wrap_socket(raw, server_hostname=self.address) as tls:
                cert = tls.getpeercert()
        except ssl.SSLError as exc:
            failure = ConnectFailure(self.name, "tls", str(exc)[:200])
        except ConnectionRefusedError:
            failure = self.lose(ConnectFailure(self.name, "refused", f"{self.address}:{port}"))
        except TimeoutError:
            failure = self.lose(ConnectFailure(self.name, "timeout", f"{self.address}:{port}"))
        else:
            self.audit(f"TLS {self.address}:{port}", 0, time.monotonic() - t0)
            self.keep(Answer(f"TLS handshake {self.address}:{port}", 0, f"notAfter={cert.get('notAfter')} "
                             f"subject={cert.get('subject')}", "", time.monotonic() - t0,
                             now().isoformat(timespec="seconds")))
            return cert
        self.audit(f"TLS {self.address}:{port}", failure.cause, time.monotonic() - t0)
        raise self.keep_failure(f"TLS handshake {self.address}:{port}", failure, time.monotonic() - t0)

    def close(self) -> None:
        if self._open:
            self.http.close()
        super().close()
