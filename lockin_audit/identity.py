"""Parties and attribution: who does an email, domain, account id or name belong to?

Matching is exact on normalised forms, never substring:
- domains and hostnames: lowercase, no trailing dot, IDNA; a name belongs to a party when
  it equals one of the party's domains or is a subdomain of it (the longest match wins);
- emails: case-insensitive; an address a party lists exactly (`emails:`) is that party's;
  an address at a consumer mailbox service (gmail.com, outlook.com, yahoo.com... from
  `data/consumer_mailboxes.yaml`) is a personal mailbox of an unidentified person (holder
  unknown, `Attribution.personal_mailbox` names the service), never the service's operator;
  every other address is attributed by its domain part;
- organisation names: case, punctuation and legal suffixes (LLC, Ltd, Inc, GmbH...) are
  folded, then the result must equal a configured name or alias;
- AWS account ids, Azure tenant ids and partner ids: exact;
- IP addresses: inside one of the party's ranges.

Known third parties (registrars, DNS hosts, mail filters, CAs, clouds) come from the bundled
`data/third_parties.yaml`. Foreign identifiers that match nobody are collected (with every
place they were seen) so the report can list them for the user to classify.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from lockin_audit.model import Holder, Unidentified

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class IdKind(StrEnum):
    EMAIL = "email"
    DOMAIN = "domain"
    HOSTNAME = "hostname"
    URL = "url"
    AWS_ACCOUNT = "aws_account"
    AWS_ORGANIZATION = "aws_organization"  # o-... or an OU path o-.../r-.../ou-...
    AZURE_TENANT = "azure_tenant"
    ORG_NAME = "org_name"
    IP = "ip"
    PARTNER_ID = "partner_id"
    GOOGLE_CUSTOMER = "google_customer"
    GCP_ORGANIZATION = "gcp_organization"
    GCP_BILLING_ACCOUNT = "gcp_billing_account"
    GCP_PROJECT = "gcp_project"
    GOOGLE_OAUTH_CLIENT = "google_oauth_client"
    IDENTITY_ORG = "identity_org"  # platform:name, e.g. github:bobsit, okta:bobsit.okta.com
    PHONE = "phone"  # a phone number, compared on its digits (E.164 without the +)
    # a remote-access instance: a relay or server host, or an account id (RMM tools)
    REMOTE_ACCESS = "remote_access"


# Tokens dropped from the end of organisation names before comparing them.
LEGAL_SUFFIXES = frozenset(
    {
        "llc", "llp", "lp", "ltd", "limited", "inc", "incorporated", "corp", "corporation",
        "co", "company", "plc", "gmbh", "mbh", "ag", "kg", "sa", "sas", "sarl", "srl", "spa",
        "bv", "nv", "oy", "ab", "as", "aps", "pty", "pte", "kk", "ehf", "se", "ug", "lda",
        "sl", "sro", "sp", "zoo", "pvt",
    }
)


def normalize_org(name: str) -> str:
    """'Bob's IT Services, LLC' -> 'bobs it services'. Empty for names with no letters."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = text.lower().replace("&", " and ")
    text = re.sub(r"['’`]", "", text)  # Bob's -> bobs
    text = re.sub(r"\b([a-z])\.(?=[a-z]\.)", r"\1", text)  # l.l.c. -> llc.
    text = re.sub(r"\b([a-z])\.(?=\s|$|,)", r"\1", text)
    tokens = re.sub(r"[^a-z0-9]+", " ", text).split()
    stripped = False
    while len(tokens) > 1 and (tokens[-1] in LEGAL_SUFFIXES or (stripped and tokens[-1] == "and")):
        tokens.pop()  # "GmbH & Co. KG" -> strips kg, co, and, gmbh
        stripped = True
    if tokens and tokens[0] == "the" and len(tokens) > 1:
        tokens.pop(0)
    return " ".join(tokens)


def normalize_host(name: str) -> str:
    host = name.strip().rstrip(".").lower()
    if host.startswith("*."):
        host = host[2:]
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    return host


@functools.lru_cache(maxsize=1)
def _psl() -> Any:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()  # the list bundled with the package: no download


def registrable_domain(host: str) -> str | None:
    """The registrable domain (eTLD+1) of a hostname, from the bundled public-suffix list."""
    host = normalize_host(host)
    if not host or _looks_like_ip(host):
        return None
    result = _psl().privatesuffix(host)
    return str(result) if result else None


def _looks_like_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
        return True
    except ValueError:
        return False


@dataclass(frozen=True)
class ConsumerMailbox:
    """A consumer mailbox service: anyone can open a personal address at its domains."""

    service: str  # "Gmail", "Outlook.com (Hotmail, Live, MSN)"
    operator: str  # "Google LLC"
    domain: str  # the matched domain, e.g. "gmail.com"
    source: str  # where the operator (or the maintained list) documents the domain


@functools.lru_cache(maxsize=1)
def _consumer_mailbox_index() -> dict[str, ConsumerMailbox]:
    import yaml

    text = resources.files("lockin_audit").joinpath(
        "data/consumer_mailboxes.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    index: dict[str, ConsumerMailbox] = {}
    for entry in data.get("services") or ():
        for dom in entry.get("domains") or ():
            host = normalize_host(str(dom))
            index.setdefault(host, ConsumerMailbox(
                str(entry["service"]), str(entry["operator"]), host, str(entry["source"])))
    return index


def consumer_mailbox(address_or_domain: str) -> ConsumerMailbox | None:
    """The consumer mailbox service of an email address (or of a bare mail domain), or None.

    Matching is exact on the address's domain: `jane@gmail.com` and `gmail.com` match;
    `mail.gmail.com` and `alt1.gmail-smtp-in.l.google.com` do not (those are host names)."""
    text = (address_or_domain or "").strip().lower().removeprefix("mailto:")
    domain = normalize_host(text.rpartition("@")[2])
    return _consumer_mailbox_index().get(domain) if domain else None


def consumer_mailbox_domains() -> frozenset[str]:
    """Every domain of the bundled consumer mailbox list."""
    return frozenset(_consumer_mailbox_index())


def personal_mailbox_reason(address: str, mailbox: ConsumerMailbox) -> str:
    """The why-it-matters sentence of a personal mailbox, for every area's findings."""
    return (f"{address} is a personal {mailbox.service} mailbox ({mailbox.domain} is a "
            f"consumer mail service of {mailbox.operator}, so the address is neither "
            f"{mailbox.operator}'s nor the business's): a person nobody has identified holds "
            "it, receives whatever is sent there (password resets, renewal and security "
            "notices) and keeps it when they leave (if it is the owner's own address, list "
            "it under the client's `emails:` in the audit file)")


def phone_digits(raw: str) -> str:
    """'+1 (217) 555-0142' -> '12175550142'; empty for text with fewer than 7 digits.
    Numbers compare on their digits only, so write them in full international form."""
    digits = re.sub(r"\D", "", raw or "")
    return digits if len(digits) >= 7 else ""


GOOGLE_ID_FIELDS = ("google_customer_ids", "gcp_organization_ids", "gcp_billing_account_ids",
                    "gcp_project_ids", "google_oauth_client_ids")


@dataclass(frozen=True)
class Party:
    holder: Holder
    name: str
    aliases: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    aws_account_ids: tuple[str, ...] = ()
    azure_tenant_ids: tuple[str, ...] = ()
    partner_ids: tuple[str, ...] = ()
    ip_ranges: tuple[IPNetwork, ...] = ()
    aws_organization_ids: tuple[str, ...] = ()  # Organization ids or OU paths
    emails: tuple[str, ...] = ()  # exact addresses (e.g. the owner's personal mailbox)
    phones: tuple[str, ...] = ()  # phone numbers, digits only (E.164 without the +)
    google_customer_ids: tuple[str, ...] = ()
    gcp_organization_ids: tuple[str, ...] = ()
    gcp_billing_account_ids: tuple[str, ...] = ()
    gcp_project_ids: tuple[str, ...] = ()
    google_oauth_client_ids: tuple[str, ...] = ()
    category: str | None = None  # third parties: registrar, dns, mail, ca, cloud, ...
    identity_orgs: frozenset[str] = frozenset()  # "platform:name", lower case
    # the party's RMM / remote-control instances: hosts (bobsit.screenconnect.com) or ids
    remote_access: tuple[str, ...] = ()

    @property
    def org_names(self) -> frozenset[str]:
        return frozenset(n for n in (normalize_org(x) for x in (self.name, *self.aliases)) if n)

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "domains": list(self.domains),
            "aws_account_ids": list(self.aws_account_ids),
            **({"aws_organization_ids": list(self.aws_organization_ids)}
               if self.aws_organization_ids else {}),
            "azure_tenant_ids": list(self.azure_tenant_ids),
            "partner_ids": list(self.partner_ids),
            "ip_ranges": [str(n) for n in self.ip_ranges],
            **({"emails": list(self.emails)} if self.emails else {}),
            **({"phones": ["+" + p for p in self.phones]} if self.phones else {}),
            **{key: list(getattr(self, key)) for key in GOOGLE_ID_FIELDS
               if getattr(self, key)},
            **({"remote_access": list(self.remote_access)} if self.remote_access else {}),
        }


@dataclass(frozen=True)
class Attribution:
    holder: Holder
    party: str | None
    kind: IdKind
    value: str  # the normalised identifier that was matched
    reason: str
    confidence: float  # 1.0 exact identifier; lower for subdomain/name matches; 0 unknown
    category: str | None = None
    personal_mailbox: ConsumerMailbox | None = None  # set for consumer mailbox addresses

    @property
    def is_foreign(self) -> bool:
        return self.holder is not Holder.CLIENT


def _expand_ranges(entry: str) -> list[str]:
    """Expand '{00..63}' in a vendor domain (Route 53 uses awsdns-00 ... awsdns-63)."""
    m = re.search(r"\{(\d+)\.\.(\d+)\}", entry)
    if not m:
        return [entry]
    lo, hi, width = int(m.group(1)), int(m.group(2)), len(m.group(1))
    return [
        x
        for n in range(lo, hi + 1)
        for x in _expand_ranges(entry[: m.start()] + str(n).zfill(width) + entry[m.end() :])
    ]


def _party_from_mapping(holder: Holder, data: Mapping[str, Any]) -> Party:
    def strs(key: str) -> tuple[str, ...]:
        return tuple(str(x) for x in (data.get(key) or ()))

    domains = {
        normalize_host(d)
        for entry in (*strs("domains"), *strs("email_domains"))
        for d in _expand_ranges(entry)
    }
    return Party(
        holder=holder,
        name=str(data.get("name", "")),
        aliases=strs("aliases"),
        domains=tuple(sorted(d for d in domains if d)),
        aws_account_ids=strs("aws_account_ids"),
        aws_organization_ids=tuple(x.lower().rstrip("/") for x in strs("aws_organization_ids")),
        azure_tenant_ids=tuple(t.lower() for t in strs("azure_tenant_ids")),
        partner_ids=strs("partner_ids"),
        ip_ranges=tuple(ipaddress.ip_network(r, strict=False) for r in strs("ip_ranges")),
        emails=tuple(sorted({e.strip().lower() for e in strs("emails") if e.strip()})),
        phones=tuple(sorted({d for d in (phone_digits(x) for x in strs("phones")) if d})),
        google_customer_ids=strs("google_customer_ids"),
        gcp_organization_ids=strs("gcp_organization_ids"),
        gcp_billing_account_ids=tuple(x.upper() for x in strs("gcp_billing_account_ids")),
        gcp_project_ids=tuple(x.lower() for x in strs("gcp_project_ids")),
        google_oauth_client_ids=strs("google_oauth_client_ids"),
        category=data.get("category"),
        remote_access=tuple(sorted({x.strip().lower().rstrip(".") for x in strs("remote_access")
                                    if x.strip()})),
        identity_orgs=frozenset(
            f"{platform}:{str(name).strip().lower()}"
            for platform, names in (data.get("identity_orgs") or {}).items()
            for name in (names or ())),
    )


@functools.lru_cache(maxsize=1)
def known_third_parties() -> tuple[Party, ...]:
    """Known vendors bundled in data/third_parties.yaml (documented there)."""
    import yaml

    text = resources.files("lockin_audit").joinpath("data/third_parties.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    return tuple(_party_from_mapping(Holder.THIRD_PARTY, v) for v in data.get("vendors", []))


class UnidentifiedCollector:
    """Thread-safe record of foreign identifiers that matched nobody."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], tuple[list[str], set[str]]] = {}

    def add(self, kind: str, value: str, seen_in: str, control: str | None = None) -> None:
        with self._lock:
            places, controls = self._seen.setdefault((kind, value), ([], set()))
            if seen_in and seen_in not in places:
                places.append(seen_in)
            if control:
                controls.add(control)

    def ranked(self) -> tuple[Unidentified, ...]:
        """Identifiers seen under the most controls first (the same foreign domain in NS,
        MX and SOA is likely a provider the user forgot to name), then most places."""
        with self._lock:
            items = [
                Unidentified(kind, value, tuple(places), tuple(sorted(controls)))
                for (kind, value), (places, controls) in self._seen.items()
            ]
        return tuple(
            sorted(items, key=lambda u: (-len(u.controls), -len(u.seen_in), u.kind, u.value))
        )


@dataclass
class Identity:
    """The parties of one audit and the attribution function."""

    client: Party
    providers: Sequence[Party]
    third_parties: Sequence[Party] = field(default_factory=known_third_parties)
    unidentified: UnidentifiedCollector = field(default_factory=UnidentifiedCollector)

    @classmethod
    def from_mappings(
        cls, client: Mapping[str, Any], providers: Iterable[Mapping[str, Any]]
    ) -> Identity:
        return cls(
            client=_party_from_mapping(Holder.CLIENT, client),
            providers=[_party_from_mapping(Holder.PROVIDER, p) for p in providers],
        )

    @property
    def parties(self) -> list[Party]:
        # Order matters for ties: the client first, then providers, then vendors.
        return [self.client, *self.providers, *self.third_parties]

    # -- attribution -------------------------------------------------------------------
    def attribute(self, kind: IdKind | str, value: str) -> Attribution:
        kind = IdKind(kind)
        raw = (value or "").strip()
        if not raw:
            return Attribution(Holder.UNKNOWN, None, kind, "", "empty value", 0.0)
        handlers = self.__dict__.get("_handlers")
        if handlers is None:
            handlers = self.__dict__["_handlers"] = self._handlers()
        return handlers[kind](kind, raw)  # type: ignore[no-any-return]

    def _handlers(self) -> dict[IdKind, Any]:
        return {
            IdKind.EMAIL: self._email,
            IdKind.DOMAIN: self._host,
            IdKind.HOSTNAME: self._host,
            IdKind.REMOTE_ACCESS: self._remote_access,
            IdKind.URL: self._url,
            IdKind.AWS_ACCOUNT: self._aws,
            IdKind.AWS_ORGANIZATION: self._aws_org,
            IdKind.AZURE_TENANT: self._tenant,
            IdKind.ORG_NAME: self._org,
            IdKind.IP: self._ip,
            IdKind.PARTNER_ID: self._partner,
            IdKind.GOOGLE_CUSTOMER: self._google,
            IdKind.GCP_ORGANIZATION: self._google,
            IdKind.GCP_BILLING_ACCOUNT: self._google,
            IdKind.GCP_PROJECT: self._google,
            IdKind.GOOGLE_OAUTH_CLIENT: self._google,
            IdKind.IDENTITY_ORG: self._identity_org,
            IdKind.PHONE: self._phone,
        }

    def record(self, attribution: Attribution, seen_in: str, control: str | None = None) -> None:
        """Collect an unknown attribution for the report's 'unidentified' list."""
        if attribution.holder is not Holder.UNKNOWN or not attribution.value or \
                attribution.kind is IdKind.PHONE:
            return  # a phone number nobody lists is said where it is seen, not classified
        kind, value = attribution.kind, attribution.value
        if attribution.personal_mailbox is not None:
            # a person, not a domain to classify: gmail.com is nobody's to name
            self.unidentified.add(IdKind.EMAIL.value, value, seen_in, control)
            return
        if kind in (IdKind.EMAIL, IdKind.HOSTNAME, IdKind.URL, IdKind.DOMAIN):
            host = value.rpartition("@")[2] if kind is IdKind.EMAIL else value
            base = registrable_domain(host)
            if base:
                kind, value = IdKind.DOMAIN, base
        self.unidentified.add(kind.value, value, seen_in, control)

    def _unknown(self, kind: IdKind, value: str) -> Attribution:
        return Attribution(Holder.UNKNOWN, None, kind, value,
                           "matches no configured party or known vendor", 0.0)

    def _domain_index(self) -> dict[str, Party]:
        """Domain -> the first party (client, providers, vendors) that lists it; rebuilt
        when the parties change."""
        # the stamp names the party containers, not every party: a scan attributes tens of
        # thousands of names against ~60 parties
        stamp = (id(self.client), id(self.providers), len(self.providers),
                 id(self.third_parties), len(self.third_parties))
        cached = self.__dict__.get("_index")
        if cached is None or cached[0] != stamp:
            index: dict[str, Party] = {}
            for party in self.parties:
                for dom in party.domains:
                    index.setdefault(dom, party)
            cached = (stamp, index)
            self.__dict__["_index"] = cached
        return cached[1]  # type: ignore[no-any-return]

    def _remote_access(self, kind: IdKind, raw: str) -> Attribution:
        """An RMM or remote-control instance: a party's configured `remote_access` entry
        (exactly, or a host under it) decides first; else an address by its e-mail rule
        and a host by its domain; anything else is unknown."""
        value = raw.strip().lower().rstrip(".")
        for party in self.parties:
            for entry in party.remote_access:
                if value == entry or value.endswith("." + entry):
                    return Attribution(party.holder, party.name, kind, value,
                                       f"{value} is configured as a remote-access instance "
                                       f"of {party.name}" + ("" if value == entry
                                                             else f" (under {entry})"),
                                       1.0 if value == entry else 0.95, party.category)
        if "@" in value:
            return self._email(IdKind.EMAIL, value)
        if re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", value):
            return self._host(IdKind.HOSTNAME, value)
        return self._unknown(kind, value)

    def _host(self, kind: IdKind, raw: str) -> Attribution:
        host = normalize_host(raw)
        if _looks_like_ip(host):
            return self._ip(IdKind.IP, host)
        index = self._domain_index()
        labels = host.split(".")
        found: tuple[Party, str] | None = None
        for i in range(len(labels)):  # the longest matching domain first
            suffix = ".".join(labels[i:])
            if suffix in index:
                found = (index[suffix], suffix)
                break
        if found is None:
            return self._unknown(kind, host)
        party, dom = found
        exact = host == dom
        reason = (f"{host} is {party.name}'s domain" if exact
                  else f"{host} is under {dom}, a domain of {party.name}")
        return Attribution(party.holder, party.name, kind, host, reason,
                           1.0 if exact else 0.95, party.category)

    def _email(self, kind: IdKind, raw: str) -> Attribution:
        email = raw.lower().removeprefix("mailto:").split("!")[0].strip()
        local, at, domain = email.rpartition("@")
        if not at or not local or not domain:
            return Attribution(Holder.UNKNOWN, None, kind, email, "not an email address", 0.0)
        for party in self.parties:
            if email in party.emails:
                return Attribution(party.holder, party.name, kind, email,
                                   f"{email} is configured as an address of {party.name}",
                                   1.0, party.category)
        mailbox = consumer_mailbox(email)
        if mailbox is not None:
            return Attribution(Holder.UNKNOWN, None, kind, email,
                               personal_mailbox_reason(email, mailbox), 0.0,
                               "personal_mailbox", mailbox)
        host = self._host(IdKind.HOSTNAME, domain)
        if host.holder is Holder.UNKNOWN:
            return self._unknown(kind, email)
        return Attribution(host.holder, host.party, kind, email,
                           f"email domain {domain}: {host.reason}",
                           min(host.confidence, 0.95), host.category)

    def _url(self, kind: IdKind, raw: str) -> Attribution:
        if raw.lower().startswith("mailto:"):
            return self._email(IdKind.EMAIL, raw)
        parts = urlsplit(raw if "//" in raw else "//" + raw)
        host = parts.hostname or ""
        if not host:
            return Attribution(Holder.UNKNOWN, None, kind, raw, "URL has no host", 0.0)
        attribution = self._host(IdKind.HOSTNAME, host)
        return Attribution(attribution.holder, attribution.party, kind, attribution.value,
                           attribution.reason, attribution.confidence, attribution.category)

    def _exact_id(self, kind: IdKind, value: str, attr: str, label: str) -> Attribution:
        for party in self.parties:
            if value in getattr(party, attr):
                return Attribution(party.holder, party.name, kind, value,
                                   f"{label} {value} is configured for {party.name}", 1.0,
                                   party.category)
        return self._unknown(kind, value)

    def _aws(self, kind: IdKind, raw: str) -> Attribution:
        value = raw.strip()
        m = re.search(r"(?<!\d)(\d{12})(?!\d)", value)  # accepts ARNs and bare ids
        if not m:
            return Attribution(Holder.UNKNOWN, None, kind, value, "not an AWS account id", 0.0)
        return self._exact_id(kind, m.group(1), "aws_account_ids", "AWS account")

    def _aws_org(self, kind: IdKind, raw: str) -> Attribution:
        """An Organization id or OU path against the parties' aws_organization_ids: a
        configured entry matches the value itself or any path under it; the most specific
        entry wins (a client OU inside the provider's Organization is the client's)."""
        value = raw.strip().lower().rstrip("*").rstrip("/")
        best: tuple[int, Party, str] | None = None
        for party in self.parties:
            for entry in party.aws_organization_ids:
                if value == entry or value.startswith(entry + "/"):
                    if best is None or len(entry) > best[0]:
                        best = (len(entry), party, entry)
        if best is None:
            return self._unknown(kind, value)
        _, party, entry = best
        what = "AWS Organization" if "/" not in entry else "AWS organizational unit"
        return Attribution(party.holder, party.name, kind, value,
                           f"{what} {entry} is configured for {party.name}"
                           + (f" ({value} is under it)" if value != entry else ""), 1.0,
                           party.category)

    def _tenant(self, kind: IdKind, raw: str) -> Attribution:
        return self._exact_id(kind, raw.strip().lower(), "azure_tenant_ids", "Azure tenant")

    def _partner(self, kind: IdKind, raw: str) -> Attribution:
        return self._exact_id(kind, raw.strip(), "partner_ids", "Microsoft partner id")

    def _google(self, kind: IdKind, raw: str) -> Attribution:
        """Google ids, exact: customer C0..., organizations/N, billingAccounts/X, project."""
        attr, label, value = {
            IdKind.GOOGLE_CUSTOMER: ("google_customer_ids", "Google customer",
                                     raw.strip()),
            IdKind.GCP_ORGANIZATION: ("gcp_organization_ids", "Google Cloud organization",
                                      raw.strip().removeprefix("organizations/")),
            IdKind.GCP_BILLING_ACCOUNT: ("gcp_billing_account_ids", "Cloud Billing account",
                                         raw.strip().removeprefix("billingAccounts/").upper()),
            IdKind.GCP_PROJECT: ("gcp_project_ids", "Google Cloud project",
                                 raw.strip().lower()),
            IdKind.GOOGLE_OAUTH_CLIENT: ("google_oauth_client_ids", "Google OAuth client",
                                         raw.strip()),
        }[kind]
        return self._exact_id(kind, value, attr, label)

    def _phone(self, kind: IdKind, raw: str) -> Attribution:
        digits = phone_digits(raw)
        if not digits:
            return Attribution(Holder.UNKNOWN, None, kind, raw, "not a phone number", 0.0)
        for party in self.parties:
            if digits in party.phones:
                return Attribution(party.holder, party.name, kind, "+" + digits,
                                   f"+{digits} is a phone number configured for {party.name}",
                                   1.0, party.category)
        return Attribution(Holder.UNKNOWN, None, kind, "+" + digits,
                           "a phone number no party of the audit file lists", 0.0)

    def _identity_org(self, kind: IdKind, raw: str) -> Attribution:
        """`platform:name` (github, gitlab, terraform_cloud, okta, google_workspace,
        jumpcloud) against the parties' identity_orgs, exactly (case-insensitive)."""
        platform, sep, name = raw.strip().lower().partition(":")
        if not sep or not name:
            return Attribution(Holder.UNKNOWN, None, kind, raw, "not platform:name", 0.0)
        return self._exact_id(kind, f"{platform}:{name}", "identity_orgs",
                              "identity-platform organisation")

    def _org(self, kind: IdKind, raw: str) -> Attribution:
        norm = normalize_org(raw)
        if not norm:
            return Attribution(Holder.UNKNOWN, None, kind, raw, "no name to compare", 0.0)
        for party in self.parties:
            if norm in party.org_names:
                return Attribution(party.holder, party.name, kind, norm,
                                   f"'{raw}' is the name of {party.name}", 0.8,
                                   party.category)
        return self._unknown(kind, raw.strip())

    def _ip(self, kind: IdKind, raw: str) -> Attribution:
        try:
            addr = ipaddress.ip_address(raw.strip("[]"))
        except ValueError:
            try:
                net = ipaddress.ip_network(raw, strict=False)
            except ValueError:
                return Attribution(Holder.UNKNOWN, None, kind, raw, "not an IP address", 0.0)
            for party in self.parties:
                for rng in party.ip_ranges:
                    if net.version == rng.version and net.subnet_of(rng):  # type: ignore[arg-type]
                        return Attribution(party.holder, party.name, kind, str(net),
                                           f"{net} is inside {rng}, a range of {party.name}",
                                           0.9, party.category)
            return self._unknown(kind, str(net))
        for party in self.parties:
            for rng in party.ip_ranges:
                if addr in rng:
                    return Attribution(party.holder, party.name, kind, str(addr),
                                       f"{addr} is inside {rng}, a range of {party.name}", 0.9,
                                       party.category)
        return self._unknown(kind, str(addr))
