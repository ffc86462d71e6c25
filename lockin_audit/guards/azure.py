"""The Azure read-only guard: an azure-core pipeline policy, added to every ARM client as
a per-call policy, that refuses any write before the request is sent."""

from __future__ import annotations

from typing import Any

from lockin_audit.guards.http import assert_read_only_http


def read_only_policy() -> Any:
    """A SansIOHTTPPolicy applying `assert_read_only_http` to every request."""
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class ReadOnlyPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
        """Refuses any write before it leaves the process."""

        def on_request(self, request: Any) -> None:
            http = request.http_request
            assert_read_only_http(http.method, http.url)

    return ReadOnlyPolicy()


__all__ = ["read_only_policy"]
