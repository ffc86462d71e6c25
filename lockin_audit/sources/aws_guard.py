"""Moved to `lockin_audit.guards.aws` (the guards live below the sources); this name stays
so that code written against it keeps working."""

from lockin_audit.guards.aws import (
    ALLOWED_OPERATIONS,
    CREDENTIAL_OPERATIONS,
    GUARD_EVENTS,
    READ_OPERATIONS,
    guard_client,
    guard_events,
    guard_session,
    is_read_only,
)

__all__ = ["ALLOWED_OPERATIONS", "CREDENTIAL_OPERATIONS", "GUARD_EVENTS", "READ_OPERATIONS",
           "guard_client",
           "guard_events", "guard_session", "is_read_only"]
