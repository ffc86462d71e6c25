"""History: every scan recorded, diffs against a baseline, accepted items, trends.

The store API (used by the CLI and by fleet runs)::

    from lockin_audit.history import open_store

    with open_store("postgresql://audit@db/lockin") as store:   # or a path, or None
        scan_id = store.record(result, "Acme Dental LLC", audit_hash)
        store.scans(client="Acme Dental LLC")        # [ScanRecord], oldest first
        store.load("last~1", client="Acme Dental LLC")   # StoredScan(record, result)
        store.history_points("Acme Dental LLC")      # [HistoryPoint] for the trend

`open_store(None)` is the default SQLite file (`default_store_path()`). Every error is a
`HistoryError` whose message never contains a password. See store.py for what is stored.
"""

from lockin_audit.history.store import (
    HEAD_REVISION,
    HistoryError,
    HistoryStore,
    ScanRecord,
    StoredScan,
    default_store_path,
    normalise_url,
    open_store,
    redact,
)

__all__ = [
    "HEAD_REVISION", "HistoryError", "HistoryStore", "ScanRecord", "StoredScan",
    "default_store_path", "normalise_url", "open_store", "redact",
]
