"""The RDAP source: who the registries and registrars say holds each domain.

RDAP (RFC 9082/9083) is the JSON successor of WHOIS. The IANA bootstrap files (dns.json,
ipv4.json, ipv6.json, asn.json; RFC 9224) say which server answers for a TLD or an
address block; a snapshot ships in the package, `scan.rdap.bootstrap_url` replaces it
(the base URL under which the four files live, like https://data.iana.org/rdap/), and
`scan.rdap.overrides` adds servers for ccTLDs the bootstrap lacks.

A thin registry (.com, .net) answers with little more than the registrar; its `related`
link leads to the registrar's own RDAP record, which is fetched and merged (the
registrar's contacts win). Redaction is recognised in both forms: RFC 9537 `redacted`
members and the older "REDACTED FOR PRIVACY" values and remarks.

Every request goes through the engine (one pool, per-host rate limits, Retry-After,
backoff on 5xx, timeouts); 200 answers are cached on disk for `cache_ttl_s` so a rerun
does not query again (`--no-cache` bypasses the cache). Nothing secret is ever sent or
cached: RDAP is anonymous.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import ipaddress
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from lockin_audit.facts import Fetched, FetchError, SourceFailure
from lockin_audit.guards.net import AllowList
from lockin_audit.model import Asset, Evidence
from lockin_audit.safety import is_private_dir, private_dir, write_private_text
from lockin_audit.sources.interface import Source, SourceContext, Target
from lockin_audit.transport import UrlRule, answer_limit

ACCEPT = {"Accept": "application/rdap+json, application/json;q=0.9"}
BOOTSTRAP_FILES = ("dns", "ipv4", "ipv6", "asn")
REDACTED_WORDS = ("redacted", "data protected", "not disclosed", "withheld", "privacy")
# Privacy and proxy services: the name a registrar shows in place of its customer. The
# bundled third-party list names the companies (category privacy); these are the words
# the services and registrars put in the registrant's name or organisation.
PRIVACY_SERVICES: tuple[tuple[str, str], ...] = (
    (r"\bdomains? ?by ?proxy\b", "Domains By Proxy"),
    (r"\bwhois ?guard\b", "WhoisGuard"),
    (r"\bwithheld for privacy\b", "Withheld for Privacy"),
    (r"\bcontact privacy inc\b", "Contact Privacy Inc."),
    (r"\bprivacy ?guardian\b", "PrivacyGuardian.org"),
    (r"\bperfect privacy\b", "Perfect Privacy"),
    (r"\bsuper privacy service\b", "Super Privacy Service"),
    (r"\bidentity protection service\b", "Identity Protection Service"),
    (r"\bprivacy ?protect", "a privacy protection service"),
    (r"\bwhois privacy\b", "a WHOIS privacy service"),
    (r"\bprivacy service provided by\b", "a privacy service"),
    (r"\bprivate registration\b|\bregistration private\b",
     "a private registration service"),
)
_PRIVACY = tuple((re.compile(p, re.IGNORECASE), label) for p, label in PRIVACY_SERVICES)
# Forwarding addresses that registrars and privacy services publish instead of the
# holder's own: they say nothing about who the holder is.
FORWARDING_EMAIL_DOMAINS = frozenset({
    "anonymised.email", "contactprivacy.email", "withheldforprivacy.com",
    "domainsbyproxy.com", "whoisguard.com", "privacyguardian.org", "privacy-link.com",
    "identity-protect.org", "protecteddomainservices.com", "gname.com.privacy",
})


# ---------------------------------------------------------------------------------------
# facts


@dataclass(frozen=True)
class RdapEntity:
    roles: tuple[str, ...]
    handle: str | None = None
    name: str | None = None  # vCard fn
    org: str | None = None  # vCard org
    emails: tuple[str, ...] = ()
    iana_id: str | None = None  # registrars: publicIds "IANA Registrar ID"
    redacted: tuple[str, ...] = ()  # the fields shown as redacted
    source_url: str | None = None
    # How the contact card reads: "ok", "absent" (a handle only: not published, as .cz,
    # .eu and others do) or "malformed" (a vcardArray that is not a jCard).
    card: str = "ok"
    privacy_service: str | None = None  # a privacy/proxy service shown in place of the holder
    forwarding_emails: tuple[str, ...] = ()  # the registrar's or proxy's relay addresses

    @property
    def has_data(self) -> bool:
        return bool(self.org or self.name or self.emails or self.privacy_service
                    or self.forwarding_emails or self.redacted)


@dataclass(frozen=True)
class DsData:
    key_tag: int
    algorithm: int
    digest_type: int
    digest: str  # upper-case hex


@dataclass(frozen=True)
class RegistrarRecord:
    """What the registrar's own record (the registry answer's `related` link) says beside
    the registry: its events. Its entities are merged into `RdapDomainFacts.entities`
    (the registrar's are authoritative for contacts, `merge_entities`)."""

    events: Mapping[str, str] = field(default_factory=dict)  # eventAction -> date


@dataclass(frozen=True)
class RdapDomainFacts:
    domain: str
    tld: str
    no_service: bool = False  # the bootstrap knows no RDAP server for the TLD
    registry_url: str | None = None
    registrar_url: str | None = None  # the registrar's record, as the registry links it
    # The registrar's record read at `registrar_url` (source "rdap", request "GET <url>"),
    # or why it could not be; None when the registry's answer links none.
    registrar: Fetched[RegistrarRecord] | None = None
    # The registry answered 404 for the domain: it is not registered. An answer, not a
    # read that failed (every other field is then empty and the registration checks
    # report the lapse), kept with the 404's request, reason and time as its evidence.
    not_registered: FetchError | None = None
    entities: tuple[RdapEntity, ...] = ()
    events: Mapping[str, str] = field(default_factory=dict)  # eventAction -> date
    ds_data: tuple[DsData, ...] = ()  # secureDNS.dsData of the registry (RFC 9083 5.3)
    statuses: tuple[str, ...] = ()
    nameservers: tuple[str, ...] = ()
    delegation_signed: bool | None = None
    redactions: tuple[str, ...] = ()  # RFC 9537 names or "remarks: ..." descriptions
    observed_at: str = ""
    # where an answer actually came from when the URL redirected (url -> final URL)
    redirected: Mapping[str, str] = field(default_factory=dict)

    def with_role(self, role: str) -> list[RdapEntity]:
        return [e for e in self.entities if role in e.roles]

    @property
    def registrar_error(self) -> FetchError | None:
        """Why the registrar's record could not be read (None: read, or none linked)."""
        return self.registrar.error if self.registrar is not None else None

    def evidence(self, excerpt: Mapping[str, Any]) -> Evidence:
        def shown(url: str | None) -> str:
            final = self.redirected.get(url or "")
            return f"{url} (redirected to {final})" if final else str(url)

        request = f"GET {shown(self.registry_url)}"
        if self.registrar_url:
            request += f" (+ registrar GET {shown(self.registrar_url)})"
        return Evidence("rdap", request, self.observed_at, excerpt)


# ---------------------------------------------------------------------------------------
# the shared client (also used by the network source)


class RdapClient:
    """Bootstrap lookup, cached GETs and error mapping. One client serves every scan in
    an engine with the same RDAP options (`rdap_client`): RDAP data is public, so the
    clients of a fleet share the bootstrap and the answers, and a URL several targets ask
    for at once is fetched once."""

    def __init__(self, ctx: SourceContext, source: str) -> None:
        self.engine = ctx.engine
        self.use_cache = ctx.use_cache
        self.source = source
        self.options = ctx.config.scan.rdap
        self._bootstrap: dict[str, Any] = {}
        self._bootstrap_lock = asyncio.Lock()  # concurrent domains fetch it once
        self._answers: dict[str, asyncio.Future[Any]] = {}  # url -> body or FetchError
        self.redirected: dict[str, str] = {}  # url -> the URL that answered, if elsewhere
        # Only the configured RDAP endpoints are asked as given; every other URL (the
        # bootstrap's entries when the bootstrap is fetched, related/up links, redirects)
        # came from an answer: https to a public address only (SECURITY.md).
        self.rule = UrlRule.of([self.options.bootstrap_url or "",
                                *self.options.overrides.values()],
                               AllowList.of(ctx.config.scan.allow_hosts))
        self.max_bytes = answer_limit(source, ctx.config.scan.limits.max_answer_bytes)
        self._cache_checked = False
        if ctx.cache_dir is not None:
            self.cache_dir: Path | None = ctx.cache_dir / "rdap"
        else:
            self.cache_dir = None

    # -- bootstrap ---------------------------------------------------------------------

    async def bootstrap(self, kind: str) -> dict[str, Any]:
        async with self._bootstrap_lock:
            if kind not in self._bootstrap:
                self._bootstrap[kind] = await self._load_bootstrap(kind)
            return self._bootstrap[kind]  # type: ignore[no-any-return]

    async def _load_bootstrap(self, kind: str) -> dict[str, Any]:
        base = self.options.bootstrap_url
        if base:
            url = urljoin(base if base.endswith("/") else base + "/", f"{kind}.json")
            data = await self.get_json(url)
            if isinstance(data, FetchError):
                raise SourceFailure(FetchError(self.source, data.request,
                                               f"the RDAP bootstrap cannot be read: {data.reason}",
                                               kind=data.kind))
        else:
            text = resources.files("lockin_audit").joinpath(
                f"data/rdap_bootstrap/{kind}.json").read_text(encoding="utf-8")
            data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("services"), list):
            raise SourceFailure(FetchError(self.source, f"bootstrap {kind}.json",
                                           "not an IANA bootstrap file (no services list)",
                                           kind="malformed"))
        return data

    async def domain_base(self, domain: str) -> tuple[str, str] | None:
        """(tld-or-suffix matched, base URL) for a domain, or None: no RDAP service."""
        labels = domain.split(".")
        for i in range(1, len(labels)):  # longest suffix first: co.uk before uk
            suffix = ".".join(labels[i:])
            if suffix in self.options.overrides:
                return suffix, self.options.overrides[suffix]
        data = await self.bootstrap("dns")
        best: tuple[str, str] | None = None
        for entry in data["services"]:
            if not (isinstance(entry, list) and len(entry) == 2 and entry[1]):
                continue
            for suffix in entry[0]:
                suffix = str(suffix).lower().strip(".")
                if (domain.endswith("." + suffix)
                        and (best is None or len(suffix) > len(best[0]))):
                    best = (suffix, _pick_url(entry[1]))
        return best

    async def ip_base(self, network: ipaddress.IPv4Network | ipaddress.IPv6Network
                      ) -> str | None:
        data = await self.bootstrap("ipv4" if network.version == 4 else "ipv6")
        best: tuple[int, str] | None = None
        for entry in data["services"]:
            if not (isinstance(entry, list) and len(entry) == 2 and entry[1]):
                continue
            for prefix in entry[0]:
                try:
                    block = ipaddress.ip_network(prefix, strict=False)
                except ValueError:
                    continue
                if (block.version == network.version and network.subnet_of(block)  # type: ignore[arg-type]
                        and (best is None or block.prefixlen > best[0])):
                    best = (block.prefixlen, _pick_url(entry[1]))
        return best[1] if best else None

    # -- requests ----------------------------------------------------------------------

    def _cache_path(self, url: str) -> Path | None:
        if self.cache_dir is None:
            return None
        if not self._cache_checked:
            # the cache is used only in folders this user owns and nobody else can read
            # or write (a folder another user prepared could feed us poisoned answers)
            self._cache_checked = True
            try:
                private_dir(self.cache_dir)  # its parent (the user's choice) is left as is
            except OSError:
                pass
            if not (is_private_dir(self.cache_dir.parent, others_may_read=True)
                    and is_private_dir(self.cache_dir)):
                self.cache_dir = None
                return None
        return self.cache_dir / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".json")

    async def get_json(self, url: str) -> Any:
        """The parsed JSON of a 200 answer, or a FetchError saying why not. Asked once
        per URL for the life of the client (concurrent askers share the request)."""
        fut = self._answers.get(url)
        if fut is None:
            fut = asyncio.ensure_future(self._get_json(url))
            self._answers[url] = fut
        return await asyncio.shield(fut)

    async def _get_json(self, url: str) -> Any:
        path = self._cache_path(url)
        if path is not None and self.use_cache and path.exists():
            try:
                cached = json.loads(path.read_text(encoding="utf-8"))
                if time.time() - float(cached["fetched_at"]) < self.options.cache_ttl_s:
                    return cached["body"]
            except (OSError, ValueError, KeyError, TypeError):
                pass  # a broken cache entry is refetched
        request = f"GET {url}"
        try:
            resp = await self.engine.http("GET", url, headers=ACCEPT,
                                          timeout_s=self.options.timeout_s,
                                          source=self.source, rule=self.rule,
                                          max_bytes=self.max_bytes)
        except SourceFailure as exc:
            return exc.error
        if resp.redirects:
            self.redirected[url] = resp.url
        if resp.status == 404:
            return FetchError(self.source, request, "404: the server has no such object",
                              kind="not_found")
        if resp.status == 429:
            return FetchError(self.source, request, "still rate-limited (HTTP 429) after "
                              "waiting as asked", kind="throttled")
        if resp.status in (401, 403):
            return FetchError(self.source, request, f"HTTP {resp.status}: access refused",
                              kind="denied")
        if resp.status != 200:
            return FetchError(self.source, request, f"HTTP {resp.status}",
                              kind="unavailable" if resp.status >= 500 else "error")
        if "html" in resp.content_type:
            return FetchError(self.source, request, "answered with an HTML page, not RDAP "
                              "JSON", kind="malformed")
        try:
            body = json.loads(resp.text)
        except ValueError as exc:
            return FetchError(self.source, request, f"not valid JSON: {exc}", kind="malformed")
        if not isinstance(body, dict):
            return FetchError(self.source, request, "not an RDAP object", kind="malformed")
        # cached only once it parsed as the kind of answer asked for: an RDAP object
        # (RFC 9083 objectClassName) or a bootstrap file (RFC 9224 services)
        expected = isinstance(body.get("objectClassName"), str) or \
            isinstance(body.get("services"), list)
        if path is not None and expected:
            try:
                # the file 0600 in the 0700 folders checked above, written through a
                # new file (a link planted at the path is replaced, not followed)
                write_private_text(path, json.dumps({"fetched_at": time.time(), "url": url,
                                                     "body": body}))
            except OSError:
                pass  # the cache is an optimisation
        return body


def rdap_client(ctx: SourceContext, source: str) -> RdapClient:
    """The RDAP client for this scan's options, shared with every other scan in the same
    engine that has the same options (a fleet's clients)."""
    # keyed by every RDAP option (a field added later is part of the key too)
    key = ("rdap-client", source, ctx.config.scan.rdap.model_dump_json(),
           str(ctx.cache_dir), ctx.use_cache, tuple(ctx.config.scan.allow_hosts),
           tuple(sorted(ctx.config.scan.limits.max_answer_bytes.items())))
    client: RdapClient = ctx.engine.shared(key, lambda: RdapClient(ctx, source))
    return client


def _pick_url(urls: Sequence[str]) -> str:
    """Prefer https, as RFC 9224 advises."""
    for url in urls:
        if str(url).startswith("https://"):
            return str(url)
    return str(urls[0])


# ---------------------------------------------------------------------------------------
# parsing RFC 9083 objects


def _vcard_values(vcard: Any) -> tuple[dict[str, list[Any]], str]:
    """The jCard's properties (RFC 7095) by name, and how it read: ok, absent or
    malformed."""
    found: dict[str, list[Any]] = {}
    if vcard is None:
        return found, "absent"
    if not (isinstance(vcard, list) and len(vcard) == 2 and vcard[0] == "vcard"
            and isinstance(vcard[1], list)):
        return found, "malformed"
    broken = 0
    for prop in vcard[1]:
        if isinstance(prop, list) and len(prop) >= 4 and isinstance(prop[0], str):
            found.setdefault(prop[0].lower(), []).append(prop[3])
        else:
            broken += 1
    if broken and not (found.keys() - {"version", "kind"}):
        return found, "malformed"
    return found, "ok"


_SUFFIX = re.compile(r"~[A-Za-z0-9]+$")  # registry tags: "GKG.Net, Inc.~VRSN"


def clean_name(value: str | None) -> str | None:
    """A name as a person writes it: no registry tag suffix, no doubled full stops,
    single spaces."""
    if not value:
        return None
    text = _SUFFIX.sub("", " ".join(value.split()))
    text = re.sub(r"\.{2,}", ".", text).strip(" ,;")
    return text or None


def _text(value: Any) -> str | None:
    if isinstance(value, list):  # org may be a list of units
        value = " ".join(str(v) for v in value if v and isinstance(v, (str, int)))
    if value is None or isinstance(value, (dict, bool)):
        return None
    text = str(value).strip()
    return text or None


def _looks_redacted(value: str | None) -> bool:
    return bool(value) and any(w in value.lower() for w in REDACTED_WORDS)  # type: ignore[union-attr]


def privacy_service(*values: str | None) -> str | None:
    """The privacy or proxy service a name, organisation or email shows, or None."""
    for value in values:
        if not value:
            continue
        for pattern, label in _PRIVACY:
            if pattern.search(value):
                return label
    return None


def is_forwarding_email(email: str) -> bool:
    domain = email.rpartition("@")[2].lower().rstrip(".")
    return any(domain == d or domain.endswith("." + d) for d in FORWARDING_EMAIL_DOMAINS)


def parse_entity(obj: Mapping[str, Any], source_url: str | None) -> RdapEntity:
    card, state = _vcard_values(obj.get("vcardArray"))
    name = clean_name(_text((card.get("fn") or [None])[0]))
    org = clean_name(_text((card.get("org") or [None])[0]))
    raw_emails = [e for e in (_text(v) for v in card.get("email", [])) if e]
    service = privacy_service(org, name)
    forwarding = tuple(e for e in raw_emails if "@" in e and is_forwarding_email(e))
    emails = tuple(e for e in raw_emails
                   if "@" in e and not _looks_redacted(e) and e not in forwarding)
    redacted = []
    for label, value in (("name", name), ("organization", org)):
        if _looks_redacted(value) and not privacy_service(value):
            redacted.append(label)
    if raw_emails and not emails and not forwarding:
        redacted.append("email")
    iana_id = None
    for public in obj.get("publicIds") or []:
        if isinstance(public, Mapping) and "iana" in str(public.get("type", "")).lower():
            iana_id = _text(public.get("identifier"))
    if service is not None:  # the proxy's name is not the holder's
        name = None if privacy_service(name) or _looks_redacted(name) else name
        org = None if privacy_service(org) or _looks_redacted(org) else org
    return RdapEntity(
        roles=tuple(str(r).lower() for r in obj.get("roles") or [] if isinstance(r, str)),
        handle=_text(obj.get("handle")),
        name=None if _looks_redacted(name) else name,
        org=None if _looks_redacted(org) else org,
        emails=emails, iana_id=iana_id, redacted=tuple(redacted), source_url=source_url,
        card=state, privacy_service=service, forwarding_emails=forwarding)


def walk_entities(obj: Mapping[str, Any], source_url: str | None) -> list[RdapEntity]:
    """Entities and their nested entities (a registrar's abuse contact, say)."""
    found = []
    for ent in obj.get("entities") or []:
        if isinstance(ent, Mapping):
            found.append(parse_entity(ent, source_url))
            found.extend(walk_entities(ent, source_url))
    return found


def redactions(obj: Mapping[str, Any]) -> list[str]:
    """RFC 9537 `redacted` names, plus remarks that announce redaction."""
    found = []
    for item in obj.get("redacted") or []:
        if isinstance(item, Mapping):
            name = item.get("name")
            label = name.get("description") or name.get("type") if isinstance(name, Mapping) else name
            if label:
                found.append(str(label))
    for remark in obj.get("remarks") or []:
        if isinstance(remark, Mapping):
            text = " ".join([str(remark.get("title", ""))]
                            + [str(d) for d in remark.get("description") or []])
            if "redact" in text.lower():
                found.append("remarks: " + " ".join(text.split())[:160])
    return found


def related_link(obj: Mapping[str, Any], own_url: str) -> str | None:
    for link in obj.get("links") or []:
        if not isinstance(link, Mapping):
            continue
        if (link.get("rel") == "related" and "rdap" in str(link.get("type", "rdap")).lower()
                and link.get("href") and str(link["href"]).rstrip("/") != own_url.rstrip("/")):
            return str(link["href"])
    return None


def merge_entities(registry: list[RdapEntity], registrar: list[RdapEntity]
                   ) -> list[RdapEntity]:
    """The registrar's record is authoritative for contacts (ICANN's RDAP profile: the
    registrar holds them; a thin registry shows a bare registrar entity); the registry's
    fills the roles the registrar leaves out or leaves empty."""
    full_registrar = {r for e in registrar if e.has_data for r in e.roles}
    full_registry = {r for e in registry if e.has_data for r in e.roles}
    kept_registrar = [e for e in registrar
                      if e.has_data or not set(e.roles) & full_registry]
    covered = {r for e in kept_registrar for r in e.roles if r in full_registrar
               or r not in full_registry}
    kept_registry = [e for e in registry if not set(e.roles) & covered]
    return kept_registrar + kept_registry


def parse_domain(domain: str, tld: str, registry_url: str, registry: Mapping[str, Any],
                 registrar_url: str | None,
                 registrar_read: Fetched[Mapping[str, Any]] | None,
                 observed_at: str) -> RdapDomainFacts:
    """The registry's answer and the registrar's (read at `registrar_url`, or why not;
    None when the registry links none)."""
    entities = walk_entities(registry, registry_url)
    reds = redactions(registry)
    registrar = registrar_read.ok if registrar_read is not None and \
        registrar_read.error is None else None
    if registrar is not None:
        entities = merge_entities(entities, walk_entities(registrar, registrar_url))
        reds += redactions(registrar)
    events = _events(registry)
    record = registrar_read.map(lambda body: RegistrarRecord(_events(body))) \
        if registrar_read is not None else None
    statuses = tuple(dict.fromkeys(str(s).lower() for obj in (registry, registrar or {})
                                   for s in obj.get("status") or []))
    nameservers = tuple(dict.fromkeys(
        str(ns.get("ldhName", "")).lower().rstrip(".") for ns in registry.get("nameservers") or []
        if isinstance(ns, Mapping) and ns.get("ldhName")))
    secure = registry.get("secureDNS")
    signed = bool(secure.get("delegationSigned")) if isinstance(secure, Mapping) else None
    ds_data = _ds_data(secure) if isinstance(secure, Mapping) else ()
    return RdapDomainFacts(
        domain=domain, tld=tld, registry_url=registry_url, registrar_url=registrar_url,
        registrar=record, entities=tuple(entities), events=events, ds_data=ds_data,
        statuses=statuses, nameservers=nameservers, delegation_signed=signed,
        redactions=tuple(dict.fromkeys(reds)), observed_at=observed_at)


def _events(obj: Mapping[str, Any]) -> dict[str, str]:
    events: dict[str, str] = {}
    for ev in obj.get("events") or []:
        if isinstance(ev, Mapping) and ev.get("eventAction") and ev.get("eventDate"):
            events.setdefault(str(ev["eventAction"]).lower(), str(ev["eventDate"]))
    return events


def _ds_data(secure: Mapping[str, Any]) -> tuple[DsData, ...]:
    found = []
    for item in secure.get("dsData") or []:
        try:
            found.append(DsData(int(item["keyTag"]), int(item["algorithm"]),
                                int(item["digestType"]),
                                re.sub(r"\s", "", str(item["digest"])).upper()))
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(found)


# ---------------------------------------------------------------------------------------
# the source


class RdapSource(Source):
    name = "rdap"
    area = "domain"

    def __init__(self) -> None:
        self._client: RdapClient | None = None

    def configured(self, config: Any) -> bool:
        return bool(config.scan.domains)

    def client(self, ctx: SourceContext) -> RdapClient:
        if self._client is None:
            self._client = rdap_client(ctx, self.name)
        return self._client

    async def targets(self, ctx: SourceContext) -> list[Target]:
        return [Target(self.name, self.area, d, d, Asset("domain", d, d))
                for d in ctx.config.scan.domains]

    async def fetch(self, target: Target, ctx: SourceContext) -> RdapDomainFacts:
        from lockin_audit.model import iso, utc_now

        client = self.client(ctx)
        domain = target.id
        found = await client.domain_base(domain)
        tld = domain.rsplit(".", 1)[-1]
        if found is None:
            return RdapDomainFacts(domain, tld, no_service=True, observed_at=iso(utc_now()))
        suffix, base = found
        url = urljoin(base if base.endswith("/") else base + "/", f"domain/{domain}")
        registry = await client.get_json(url)
        observed = iso(utc_now())
        if isinstance(registry, FetchError) and registry.kind == "not_found":
            # The registry that holds the TLD does not know the name: it is not
            # registered (lapsed, or never registered), a fact, not a failure to read.
            return RdapDomainFacts(domain, suffix, registry_url=url, not_registered=registry,
                                   observed_at=observed)
        if isinstance(registry, FetchError):
            # Without the registry's answer nothing about the domain is known: the target
            # is not assessed (coverage says why), rather than assessed with errors.
            raise SourceFailure(registry)
        registrar_url = related_link(registry, url)
        registrar: Fetched[Mapping[str, Any]] | None = None
        if registrar_url:
            answer = await client.get_json(registrar_url)
            registrar = Fetched(self.name, f"GET {registrar_url}", answer, iso(utc_now()))
        facts = parse_domain(domain, suffix, url, registry, registrar_url, registrar,
                             observed)
        moved = {u: client.redirected[u] for u in (url, registrar_url or "")
                 if u in client.redirected}
        return dataclasses.replace(facts, redirected=moved) if moved else facts
