"""One small threaded HTTP(S) server for the demo's and the tests' local services.

`LocalHttpServer(answer, tls=...)` listens on 127.0.0.1 at a free port and hands every
request (method, path with query, headers, body) to `answer`, which returns (status,
headers, body). Keep-alive like the real APIs, and each answer written as one segment so
that Nagle and delayed ACKs do not add 40 ms stalls to every request.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Reply = tuple[int, dict[str, str], bytes]
AnswerFn = Callable[[str, str, dict[str, str], bytes], Reply]


class LocalHttpServer:
    def __init__(self, answer: AnswerFn, *, tls: ssl.SSLContext | None = None) -> None:

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = answer(self.command, self.path,
                                                  dict(self.headers.items()), body)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()

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
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True,
                                                do_handshake_on_connect=False)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
