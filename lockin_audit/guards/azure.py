"""The Azure guards: azure-core pipeline policies added to every ARM client.

- `read_only_policy()`: refuses any write before the request is sent;
- `endpoint_policy(base_url)`: refuses any request whose origin is not the configured ARM
  endpoint's (scheme, host and port) — a `nextLink` or a redirect naming another host
  never receives the bearer token. Added both as a per-call policy (before the SDK's
  sign-in policy attaches the token) and as a per-retry policy (after it, on every
  redirect hop and retry, just before the request leaves), together with the read-only
  rule, so a redirect cannot turn a read into a write either.
"""

from __future__ import annotations

from typing import Any

from lockin_audit.guards import ForeignHostRefused
from lockin_audit.guards.http import assert_read_only_http
from lockin_audit.guards.net import origin_of


def read_only_policy() -> Any:
    """A SansIOHTTPPolicy applying `assert_read_only_http` to every request."""
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class ReadOnlyPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
        """Refuses any write before it leaves the process."""

        def on_request(self, request: Any) -> None:
            http = request.http_request
            assert_read_only_http(http.method, http.url)

    return ReadOnlyPolicy()


def endpoint_policy(base_url: str) -> Any:
    """A SansIOHTTPPolicy refusing any request (ForeignHostRefused) that is not a read of
    `base_url`'s own origin."""
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    allowed = origin_of(base_url)

    class EndpointPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
        """Credentials go to the configured endpoint's host only, on every hop."""

        def on_request(self, request: Any) -> None:
            http = request.http_request
            assert_read_only_http(http.method, http.url)
            if origin_of(http.url) != allowed:
                raise ForeignHostRefused(
                    f"refused {http.method} {http.url}: a link or redirect to another "
                    f"host than the configured endpoint ({base_url}) never receives our "
                    "credentials")

    return EndpointPolicy()


__all__ = ["endpoint_policy", "read_only_policy"]
