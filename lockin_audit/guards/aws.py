"""The AWS read-only guard.

A botocore event hook, registered on every session and client the AWS source creates,
that refuses any API operation not on a read-only allow-list *before* the request is
built or signed, so a bug in a check (or a plugin) can never change a client's account.
"""

from __future__ import annotations

from typing import Any

from lockin_audit.guards import WriteRefused

# Operation-name prefixes that only read (AWS's own naming convention for read APIs).
READ_PREFIXES: tuple[str, ...] = ("Describe", "List", "Get", "Search", "Lookup")
# Exact (service, operation) pairs that are allowed although they match no prefix.
READ_EXCEPTIONS: frozenset[tuple[str, str]] = frozenset({
    ("sts", "AssumeRole"),
    ("sts", "GetCallerIdentity"),
})
# The events the hook listens on: the earliest point (parameter build) and the last point
# before the request is sent (before-call), so that neither path slips past.
GUARD_EVENTS: tuple[str, ...] = ("before-parameter-build", "before-call")


def is_read_only(service: str, operation: str) -> bool:
    return operation.startswith(READ_PREFIXES) or (service, operation) in READ_EXCEPTIONS


def _refuse(model: Any = None, **_: Any) -> None:
    if model is None:  # not an operation event
        return
    service = model.service_model.endpoint_prefix
    if not is_read_only(service, model.name):
        raise WriteRefused(f"refused AWS {service}:{model.name}: lockin-audit only reads "
                           "(the operation is not on the read-only allow-list)")


def guard_events(events: Any) -> None:
    """Register the guard on a botocore event emitter (a session's or a client's)."""
    for event in GUARD_EVENTS:
        events.register(event, _refuse, unique_id=f"lockin-audit-read-only-{event}")


def guard_client(client: Any) -> Any:
    """Register the guard on one client and return it."""
    guard_events(client.meta.events)
    return client


def guard_session(session: Any) -> Any:
    """Register the guard on a boto3 Session, so every client it creates is guarded."""
    guard_events(session.events)
    return session
