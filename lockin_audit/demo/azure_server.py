"""A local Microsoft cloud for the demo and the tests: identity platform, ARM and Graph.

One HTTPS server (a throwaway CA from `trustme`; the real SDKs insist on TLS) answers:
- the Microsoft identity platform endpoints that azure-identity/MSAL use for a client
  credential against a custom authority host: OpenID discovery
  (`/<tenant>/v2.0/.well-known/openid-configuration`) and the token endpoint
  (`/<tenant>/oauth2/v2.0/token`), checking the client secret;
- Azure Resource Manager paths (`lockin_audit.demo.arm_routes`);
- Microsoft Graph paths (`lockin_audit.demo.graph_routes`).

Use: `server = MicrosoftCloud(ArmData(...), secret="...")`, then point an azure target's
`authority_host`, `arm_endpoint` and `graph_endpoint` at `server.url` and its `ca_bundle`
at `server.ca_path`; `server.stop()` at the end. `server.http` is the LocalHttpServer
underneath, where the tests plug their hooks (lockin_audit.demo.local_http).
"""

from __future__ import annotations

import json
import ssl
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from lockin_audit.demo import arm_routes, graph_routes
from lockin_audit.demo.arm_routes import ArmData
from lockin_audit.demo.local_http import LocalHttpServer


class MicrosoftCloud:
    def __init__(self, arm: ArmData, *, secret: str, workdir: Path) -> None:
        import trustme

        self.arm = arm
        self.secret = secret
        self.token = f"demo-token-{uuid.uuid4().hex}"
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        workdir.mkdir(parents=True, exist_ok=True)
        self.ca_path = str(workdir / "local-microsoft-ca.pem")
        ca.cert_pem.write_to_path(self.ca_path)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(tls)
        self.http = LocalHttpServer(self.answer, tls=tls)
        self.url = self.http.url

    def stop(self) -> None:
        self.http.stop()

    def answer(self, method: str, raw_path: str, headers: dict[str, str], body: bytes
               ) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(raw_path)
        query = parse_qs(url.query)
        host = headers.get("Host") or headers.get("host") or ""
        tenant = url.path.split("/")[1] if url.path.count("/") > 1 else ""
        if url.path.endswith("/v2.0/.well-known/openid-configuration"):
            return 200, {"Content-Type": "application/json"}, json.dumps({
                "token_endpoint": f"https://{host}/{tenant}/oauth2/v2.0/token",
                "authorization_endpoint": f"https://{host}/{tenant}/oauth2/v2.0/authorize",
                "issuer": f"https://{host}/{tenant}/v2.0",
                "tenant_region_scope": "NA"}).encode()
        if url.path.endswith("/oauth2/v2.0/token"):
            form = parse_qs(body.decode())
            if form.get("client_secret") != [self.secret]:
                return 401, {"Content-Type": "application/json"}, json.dumps({
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided."
                }).encode()
            return 200, {"Content-Type": "application/json"}, json.dumps({
                "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                "access_token": self.token}).encode()
        if headers.get("Authorization") != f"Bearer {self.token}" and \
                headers.get("authorization") != f"Bearer {self.token}":
            return arm_routes.arm_error(401, "InvalidAuthenticationToken",
                                        "The access token is missing or invalid.")
        arm = arm_routes.handle(self.arm, method, url.path, query, host)
        if arm is not None:
            return arm
        graph = graph_routes.handle(method, url.path, query, headers, body)
        if graph is not None:
            return graph
        return 404, {"Content-Type": "application/json"}, b'{"error": {"code": "NotFound"}}'
