"""Attribution: exact matching on normalised forms, and the traps substring matching falls into."""

from __future__ import annotations

import pytest

from lockin_audit.identity import (
    Identity,
    IdKind,
    consumer_mailbox,
    consumer_mailbox_domains,
    normalize_org,
    registrable_domain,
)
from lockin_audit.model import Holder


@pytest.fixture
def identity() -> Identity:
    return Identity.from_mappings(
        {"name": "Acme Dental LLC", "aliases": ["Acme Dental"], "domains": ["acmedental.com"],
         "aws_account_ids": ["222233334444"],
         "azure_tenant_ids": ["c0ffee00-0000-4000-8000-000000000001"]},
        [
            {"name": "Bob's IT Services", "aliases": ["BITS"], "domains": ["bobsit.example"],
             "aws_account_ids": ["111122223333"], "partner_ids": ["1234567"],
             "azure_tenant_ids": ["b0b5b0b5-0000-4000-8000-000000000002"],
             "ip_ranges": ["203.0.113.0/24"]},
            {"name": "Northwind IT", "domains": ["northwind-it.example"]},
        ],
    )


@pytest.mark.parametrize(
    ("kind", "value", "holder", "party"),
    [
        (IdKind.HOSTNAME, "ns1.bobsit.example.", Holder.PROVIDER, "Bob's IT Services"),
        (IdKind.HOSTNAME, "NS1.BOBSIT.EXAMPLE", Holder.PROVIDER, "Bob's IT Services"),
        (IdKind.HOSTNAME, "bobsit.example.evil.com", Holder.UNKNOWN, None),
        (IdKind.HOSTNAME, "notbobsit.example", Holder.UNKNOWN, None),
        (IdKind.DOMAIN, "mail.acmedental.com", Holder.CLIENT, "Acme Dental LLC"),
        (IdKind.EMAIL, "Hostmaster@BobsIT.example", Holder.PROVIDER, "Bob's IT Services"),
        (IdKind.EMAIL, "mailto:dmarc@acmedental.com", Holder.CLIENT, "Acme Dental LLC"),
        (IdKind.URL, "https://portal.bobsit.example/login", Holder.PROVIDER, "Bob's IT Services"),
        (IdKind.URL, "mailto:reports@bobsit.example", Holder.PROVIDER, "Bob's IT Services"),
        (IdKind.AWS_ACCOUNT, "111122223333", Holder.PROVIDER, "Bob's IT Services"),
        (IdKind.AWS_ACCOUNT, "arn:aws:iam::222233334444:root", Holder.CLIENT, "Acme Dental LLC"),
        (IdKind.AWS_ACCOUNT, "111122223334", Holder.UNKNOWN, None),
        (IdKind.AZURE_TENANT, "B0B5B0B5-0000-4000-8000-000000000002", Holder.PROVIDER,
         "Bob's IT Services"),
        (IdKind.PARTNER_ID, "1234567", Holder.PROVIDER, "Bob's IT Services"),
        (IdKind.PARTNER_ID, "12345678", Holder.UNKNOWN, None),
        (IdKind.IP, "203.0.113.77", Holder.PROVIDER, "Bob's IT Services"),
        (IdKind.IP, "203.0.114.1", Holder.UNKNOWN, None),
        (IdKind.IP, "203.0.113.64/29", Holder.PROVIDER, "Bob's IT Services"),
        (IdKind.ORG_NAME, "Bob's IT Services, L.L.C.", Holder.PROVIDER, "Bob's IT Services"),
        (IdKind.ORG_NAME, "BITS Inc.", Holder.PROVIDER, "Bob's IT Services"),
        (IdKind.ORG_NAME, "acme dental ltd", Holder.CLIENT, "Acme Dental LLC"),
        # precision traps: substring or prefix matches must not count
        (IdKind.ORG_NAME, "Orbits Networks", Holder.UNKNOWN, None),
        (IdKind.ORG_NAME, "Northwind Bank", Holder.UNKNOWN, None),
        (IdKind.HOSTNAME, "ns1.northwind-bank.com", Holder.UNKNOWN, None),
        (IdKind.EMAIL, "it@northwind-bank.com", Holder.UNKNOWN, None),
        (IdKind.ORG_NAME, "Northwind IT Ltd", Holder.PROVIDER, "Northwind IT"),
        # known third parties from the bundled data file
        (IdKind.HOSTNAME, "ns-1234.awsdns-33.org", Holder.THIRD_PARTY, "Amazon Registrar, Inc."),
        (IdKind.HOSTNAME, "ada.ns.cloudflare.com", Holder.THIRD_PARTY, "Cloudflare, Inc."),
        (IdKind.ORG_NAME, "GoDaddy.com, LLC", Holder.THIRD_PARTY, "GoDaddy.com, LLC"),
    ],
)
def test_attribution(identity: Identity, kind: IdKind, value: str, holder: Holder,
                     party: str | None) -> None:
    got = identity.attribute(kind, value)
    assert (got.holder, got.party) == (holder, party), got.reason
    assert got.reason


def test_client_wins_over_a_longer_vendor_suffix_only_when_more_specific() -> None:
    ident = Identity.from_mappings(
        {"name": "Client", "domains": ["client.azurewebsites.net"]}, [{"name": "P"}])
    assert ident.attribute(IdKind.HOSTNAME, "www.client.azurewebsites.net").holder is Holder.CLIENT
    assert ident.attribute(IdKind.HOSTNAME, "other.azurewebsites.net").holder is Holder.THIRD_PARTY


def test_normalize_org_folds_legal_suffixes_and_punctuation() -> None:
    assert normalize_org("Bob's IT Services, LLC") == "bobs it services"
    assert normalize_org("ACME Dental GmbH & Co. KG") == normalize_org("Acme Dental and Co")
    assert normalize_org("Orbits Networks") != normalize_org("BITS")


def test_registrable_domain_uses_bundled_public_suffix_list() -> None:
    assert registrable_domain("a.b.example.co.uk.") == "example.co.uk"
    assert registrable_domain("x.foo.github.io") == "foo.github.io"  # private section too
    assert registrable_domain("203.0.113.5") is None


def test_unidentified_are_ranked_by_recurrence_across_controls(identity: Identity) -> None:
    for where, control in [("NS of acmedental.com", "domain.dns_hosting"),
                           ("MX of acmedental.com", "domain.mail"),
                           ("SOA of acmedental.com", "domain.dns_hosting")]:
        identity.record(identity.attribute(IdKind.HOSTNAME, "ns1.forgotten-msp.net"), where,
                        control)
    identity.record(identity.attribute(IdKind.EMAIL, "x@once.example"), "DMARC rua",
                    "domain.mail_reports")
    identity.record(identity.attribute(IdKind.HOSTNAME, "ns1.bobsit.example"), "NS", "domain.x")
    ranked = identity.unidentified.ranked()
    assert [u.value for u in ranked] == ["forgotten-msp.net", "once.example"]
    assert ranked[0].controls == ("domain.dns_hosting", "domain.mail")
    assert len(ranked[0].seen_in) == 3


# -- the shared consumer-mailbox rule (issue 22) -----------------------------------------

@pytest.mark.parametrize("address", [
    "jane.doe@gmail.com", "JANE@GoogleMail.com", "it-admin@outlook.com", "x@hotmail.co.uk",
    "x@live.com", "x@msn.com", "x@yahoo.com", "x@ymail.com", "x@icloud.com", "x@me.com",
    "x@proton.me", "x@pm.me", "x@gmx.de", "x@aol.com", "mailto:x@web.de",
])
def test_a_consumer_mailbox_is_an_unidentified_person_never_the_vendor(
        identity: Identity, address: str) -> None:
    got = identity.attribute(IdKind.EMAIL, address)
    assert got.holder is Holder.UNKNOWN and got.party is None
    assert got.personal_mailbox is not None
    assert got.category == "personal_mailbox"
    assert "personal" in got.reason and "nobody has identified" in got.reason
    assert f"neither {got.personal_mailbox.operator}'s" in got.reason


def test_the_mailbox_rule_applies_to_addresses_only_not_to_host_names(
        identity: Identity) -> None:
    # Microsoft's MX and Google's hosts stay the vendor's
    assert identity.attribute(IdKind.HOSTNAME, "acme-com.mail.protection.outlook.com"
                              ).party == "Microsoft Corporation"
    assert identity.attribute(IdKind.DOMAIN, "outlook.com").party == "Microsoft Corporation"
    # a subdomain of a mailbox domain is not the mailbox service
    assert consumer_mailbox("x@mail.gmail.example") is None
    assert consumer_mailbox("alt1.gmail-smtp-in.l.google.com") is None
    # a vendor's staff address is still the vendor's
    assert identity.attribute(IdKind.EMAIL, "noreply@google.com").party == "Google LLC"
    box = consumer_mailbox("Someone@GMAIL.com")
    assert box is not None and box.service == "Gmail" and box.source


def test_a_configured_personal_address_is_that_partys() -> None:
    ident = Identity.from_mappings(
        {"name": "Acme", "domains": ["acme.example"], "emails": ["Owner.Acme@gmail.com"]},
        [{"name": "Bob", "domains": ["bob.example"], "emails": ["bob.tech@outlook.com"]}])
    assert ident.attribute(IdKind.EMAIL, "owner.acme@gmail.com").holder is Holder.CLIENT
    assert ident.attribute(IdKind.EMAIL, "BOB.TECH@outlook.com").holder is Holder.PROVIDER
    assert ident.attribute(IdKind.EMAIL, "someone.else@gmail.com").holder is Holder.UNKNOWN


def test_a_personal_mailbox_is_listed_as_an_address_not_as_the_vendor_domain(
        identity: Identity) -> None:
    for where in ("AWS alternate contact", "Essential Contacts of projects/p"):
        identity.record(identity.attribute(IdKind.EMAIL, "Jane@Gmail.com"), where, "x.y")
    (only,) = identity.unidentified.ranked()
    assert (only.kind, only.value) == ("email", "jane@gmail.com")
    assert len(only.seen_in) == 2


def test_the_mailbox_list_names_its_source_and_keeps_vendor_domains_out() -> None:
    from importlib import resources

    import yaml

    data = yaml.safe_load(resources.files("lockin_audit").joinpath(
        "data/consumer_mailboxes.yaml").read_text("utf-8"))
    assert all(s["source"] and s["operator"] and s["domains"] for s in data["services"])
    domains = consumer_mailbox_domains()
    for must in ("gmail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com",
                 "icloud.com", "proton.me", "gmx.net", "aol.com"):
        assert must in domains
    # registrars and DNS hosts that free-mail lists also carry are not personal mailboxes
    for vendor in ("name.com", "dnsmadeeasy.com", "godaddy.com", "google.com"):
        assert vendor not in domains
