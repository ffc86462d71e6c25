"""One small threaded HTTP(S) server for the demo's and the tests' local services.

`LocalHttpServer(answer, tls=..., host=...)` listens on 127.0.0.1 (or another loopback
address) at a free port and hands every
request (method, path with query, headers, body) to `answer`, which returns (status,
headers, body). Keep-alive like the real APIs, and each answer written as one segment so
that Nagle and delayed ACKs do not add 40 ms stalls to every request.

Hooks (the one place where code outside a server plugs into it): `server.observers` are
called with every request (method, path with query, headers, body) before it is answered;
`server.interceptors` are then asked in order, each an answer function that may decline
(None), and the first answer given is sent instead of the server's own. The demo installs
none; the tests plug in their fault rules and request logs (tests/hooks.py). Every demo
server built on this one exposes it as `.http`. `LocalHttpServer.running` finds a running
server by its URL.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

Reply = tuple[int, dict[str, str], bytes]
AnswerFn = Callable[[str, str, dict[str, str], bytes], Reply]
# An answer function that may decline (None): asked before the server's own answer.
Interceptor = Callable[[str, str, dict[str, str], bytes], Reply | None]
# Called with every request before it is answered.
Observer = Callable[[str, str, dict[str, str], bytes], None]


class LocalHttpServer:
    running: ClassVar[dict[str, LocalHttpServer]] = {}

    def __init__(self, answer: AnswerFn, *, tls: ssl.SSLContext | None = None,
                 host: str = "127.0.0.1", interceptors: Iterable[Interceptor] = (),
                 observers: Iterable[Observer] = ()) -> None:
        self.interceptors: list[Interceptor] = list(interceptors)
        self.observers: list[Observer] = list(observers)
        server = self

        def respond(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
            for observe in list(server.observers):
                observe(method, path, headers, body)
            for intercept in list(server.interceptors):
                reply = intercept(method, path, headers, body)
                if reply is not None:
                    return reply
            return answer(method, path, headers, body)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = respond(self.command, self.path,
                                                   dict(self.headers.items()), body)
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):  # the client gave up
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, *args: object) -> None:
                pass

            def setup(self) -> None:
                # The TLS handshake runs here, in the connection's own thread: done in
                # accept(), one client that connects and never sends its hello (a request
                # cancelled mid-connect) would stall every other client.
                self.broken = False
                if isinstance(self.request, ssl.SSLSocket):
                    try:
                        self.request.settimeout(10)
                        self.request.do_handshake()
                        self.request.settimeout(None)
                    except (OSError, ssl.SSLError):
                        self.broken = True  # the client went away: nothing to answer
                super().setup()

            def handle(self) -> None:
                if not self.broken:
                    super().handle()

        ThreadingHTTPServer.request_queue_size = 128
        if not host.startswith("127."):  # loopback only, whatever the caller asks
            raise ValueError(f"local servers listen on loopback addresses only, not {host}")
        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True,
                                                do_handshake_on_connect=False)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://{host}:{self.httpd.server_address[1]}"
        LocalHttpServer.running[self.url] = self
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        LocalHttpServer.running.pop(self.url, None)
        self.httpd.shutdown()
        self.httpd.server_close()
