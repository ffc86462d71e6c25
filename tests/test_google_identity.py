"""google_identity without a server: service agents only by Google's documented domains,
default service accounts by their project, provider-named domains by whole labels."""

from __future__ import annotations

import pytest

from lockin_audit.google_identity import classify_service_account


@pytest.mark.parametrize(("email", "kind", "project_id", "number"), [
    # cloud.google.com/iam/docs/service-agents
    ("service-415104041262@gcp-sa-logging.iam.gserviceaccount.com", "service_agent", None,
     "415104041262"),
    ("service-415104041262@compute-system.iam.gserviceaccount.com", "service_agent", None,
     "415104041262"),
    ("415104041262@cloudservices.gserviceaccount.com", "service_agent", None, "415104041262"),
    # a user-managed account named service-…: its project decides, not its name
    ("service-backup@bits-tools-prod.iam.gserviceaccount.com", "user_managed",
     "bits-tools-prod", None),
    ("service-123456@bits-tools-prod.iam.gserviceaccount.com", "user_managed",
     "bits-tools-prod", None),
    # default service accounts (user-managed, in their project)
    ("bits-tools-prod@appspot.gserviceaccount.com", "default", "bits-tools-prod", None),
    ("730219465118-compute@developer.gserviceaccount.com", "default", None, "730219465118"),
    ("730219465118@cloudbuild.gserviceaccount.com", "default", None, "730219465118"),
    # lookalikes of agent domains are not agents
    ("service-1@gcp-sa-logging.example.com", "other", None, None),
    ("x@evilgcp-sa-logging.iam.gserviceaccount.com", "user_managed",
     "evilgcp-sa-logging", None),
])
def test_classify_service_account(email: str, kind: str, project_id: str | None,
                                  number: str | None) -> None:
    sa = classify_service_account(email)
    assert (sa.kind, sa.project_id, sa.project_number) == (kind, project_id, number)


def test_organization_service_agents_name_their_organization() -> None:
    sa = classify_service_account("service-org-908172635401@gcp-sa-logging.iam."
                                  "gserviceaccount.com")
    assert (sa.kind, sa.organization_id, sa.project_number) == (
        "service_agent", "908172635401", None)


def test_default_accounts_are_named() -> None:
    assert classify_service_account("p-1234@appspot.gserviceaccount.com").name == \
        "App Engine default service account"
    assert classify_service_account("12-compute@developer.gserviceaccount.com").name == \
        "Compute Engine default service account"
