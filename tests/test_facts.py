"""The one value-or-error type (`lockin_audit.facts.Fetched`) and its trip through the
fact codec: what a check or `judge` relies on when a read failed or was parsed."""

from __future__ import annotations

import json

import pytest

from lockin_audit.facts import (
    Fetched,
    FetchError,
    SourceFailure,
    fact_from_json,
    fact_to_json,
)

WHEN = "2026-12-06T07:00:00Z"


def test_a_read_value_is_ok_and_has_no_error() -> None:
    read = Fetched("dns", "example.com MX", ("mx1.example.com",), WHEN)
    assert read.error is None
    assert read.ok == ("mx1.example.com",)
    assert read.get() == ("mx1.example.com",)
    evidence = read.evidence({"MX": ["mx1.example.com"]})
    assert (evidence.source, evidence.request, evidence.observed_at) == (
        "dns", "example.com MX", WHEN)


def test_a_failed_read_refuses_its_value() -> None:
    denied = FetchError("graph", "GET /roleManagement/directory/roleEligibilitySchedules",
                        "403 Forbidden", kind="denied",
                        permission="RoleEligibilitySchedule.Read.Directory",
                        observed_at=WHEN)
    read: Fetched[tuple[str, ...]] = Fetched.failure(denied)
    assert read.error is denied
    assert (read.source, read.request, read.observed_at) == (
        "graph", denied.request, WHEN)
    with pytest.raises(ValueError, match="403 Forbidden"):
        _ = read.ok
    with pytest.raises(SourceFailure) as raised:
        read.get()
    assert raised.value.error is denied


def test_map_parses_and_turns_a_parse_failure_into_a_malformed_error() -> None:
    raw = Fetched("aws", "iam:GetRole", {"Role": {"Arn": "arn:aws:iam::111122223333:role/x"}},
                  WHEN, note="kept")
    parsed = raw.map(lambda answer: answer["Role"]["Arn"])
    assert parsed.ok == "arn:aws:iam::111122223333:role/x" and parsed.note == "kept"
    broken = raw.map(lambda answer: answer["Role"]["RoleLastUsed"])
    assert broken.error is not None and broken.error.kind == "malformed"
    assert "KeyError" in broken.error.reason and broken.request == "iam:GetRole"
    failed = Fetched.failure(FetchError("aws", "iam:GetRole", "AccessDenied", kind="denied"))
    assert failed.map(lambda answer: 1 / 0).error is failed.error  # not parsed at all


def test_both_shapes_survive_the_fact_codec() -> None:
    ok = Fetched("gws", "GET admin/directory/v1/users", ("a@example.com",), WHEN,
                 note="first page only")
    failed = Fetched.failure(FetchError("gws", "GET admin/directory/v1/users", "timed out",
                                        kind="timeout", observed_at=WHEN))
    for read in (ok, failed):
        assert fact_from_json(json.loads(json.dumps(fact_to_json(read)))) == read
