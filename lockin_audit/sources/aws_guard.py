"""Moved to `lockin_audit.guards.aws` (the guards live below the sources); this name stays
so that code written against it keeps working."""

from lockin_audit.guards.aws import (
    GUARD_EVENTS,
    READ_EXCEPTIONS,
    READ_PREFIXES,
    guard_client,
    guard_events,
    guard_session,
    is_read_only,
)

__all__ = ["GUARD_EVENTS", "READ_EXCEPTIONS", "READ_PREFIXES", "guard_client",
           "guard_events", "guard_session", "is_read_only"]
