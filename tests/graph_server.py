"""A local HTTPS server for the Graph tests and the Graph bench: the Microsoft identity
platform's OpenID discovery and client-credentials token endpoint (what azure-identity and
MSAL call) in front of the demo tenant's Graph routes (lockin_audit.demo.graph_routes)."""

from __future__ import annotations

import json
import ssl
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme

from lockin_audit.demo import graph_routes

SECRET = "s3cret-client-value"  # the only client secret the token endpoint accepts


@dataclass
class IdentityAndGraph:
    """A local HTTPS server: OpenID discovery + client-credentials token + Graph."""

    port: int
    ca_path: str
    token: str
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def paths(self, fragment: str) -> list[str]:
        return [p for _, p, _ in self.requests if fragment in p]


def start_server(workdir: Path) -> tuple[IdentityAndGraph, Callable[[], None]]:
    """Start the server on a free port of 127.0.0.1; returns its state and a stop
    function. The CA certificate is written to `workdir`."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_path = workdir / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    state = IdentityAndGraph(0, str(ca_path), f"tok-{uuid.uuid4().hex}")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = dict(self.headers.items())
            state.requests.append((self.command, self.path, headers))
            host = self.headers.get("host", "")
            tenant = url.path.split("/")[1] if url.path.count("/") > 1 else ""
            if url.path.endswith("/v2.0/.well-known/openid-configuration"):
                result = 200, {"Content-Type": "application/json"}, json.dumps({
                    "token_endpoint": f"https://{host}/{tenant}/oauth2/v2.0/token",
                    "authorization_endpoint": f"https://{host}/{tenant}/oauth2/v2.0/authorize",
                    "issuer": f"https://{host}/{tenant}/v2.0"}).encode()
            elif url.path.endswith("/oauth2/v2.0/token"):
                form = parse_qs(body.decode())
                if form.get("client_secret") != [SECRET]:
                    result = 401, {"Content-Type": "application/json"}, json.dumps({
                        "error": "invalid_client",
                        "error_description": "AADSTS7000215: Invalid client secret provided."
                    }).encode()
                else:
                    result = 200, {"Content-Type": "application/json"}, json.dumps({
                        "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                        "access_token": state.token}).encode()
            else:
                answer = graph_routes.handle(self.command, url.path, parse_qs(url.query),
                                             headers, body)
                result = answer or (404, {"Content-Type": "text/plain"}, b"not found")
            status, out_headers, payload = result
            self.send_response(status)
            for k, v in out_headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _answer
        do_POST = _answer

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        httpd.shutdown()
        httpd.server_close()

    return state, stop
