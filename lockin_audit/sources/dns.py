"""The DNS source: every record that shows who runs a domain's DNS, mail, web and
certificates, read with dnspython's async stub resolver through the scan's engine.

Each lookup becomes a `Lookup`, a `facts.Fetched` (source "dns", request "<name> <TYPE>")
holding an `Answer` (the records, the CNAME chain, and whether the name does not exist or
has no data of that type) or a `FetchError` (SERVFAIL, REFUSED, timeout, malformed
answer), so that checks can tell "no record" apart from "could not read it". One per
record set, shared by every domain that asks the same question; the records inside an
Answer are plain strings.
Truncated UDP answers are retried over TCP. Identical queries are asked once per scan
(several domains share SPF includes and mail hosts).

Every query goes through `engine.call` under the host key `dns:<ip>:<port>` (so
`scan.limits.host_rates: {"dns:10.0.0.53:53": 200}` limits one resolver); a resolver with
no configured rate gets RESOLVER_RATE queries per second (the public resolvers
PUBLIC_RESOLVER_RATE, their published limit). Each resolver has its own in-flight budget
(DNS_IN_FLIGHT, `scan.dns.max_in_flight`) instead of the engine's shared pool. Resolvers are tried in order:
a timeout, SERVFAIL or REFUSED moves on to the next; NXDOMAIN, NODATA and a malformed
answer do not.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import functools
import ipaddress
import re
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.reversename

from lockin_audit.facts import Fetched, FetchError, SourceFailure
from lockin_audit.guards.net import AllowList, address_problem, is_public
from lockin_audit.model import Asset, Evidence, iso, utc_now
from lockin_audit.sources.dns_wire import Response as WireResponse
from lockin_audit.sources.dns_wire import UdpChannel, parse_response
from lockin_audit.sources.interface import Source, SourceContext, Target

if TYPE_CHECKING:
    from lockin_audit.config import AuditConfig

NAME = "dns"
T = TypeVar("T")
MAX_CNAME_HOPS = 8
SPF_LOOKUP_LIMIT = 10  # RFC 7208 section 4.6.4
SPF_MX_LIMIT = 10  # RFC 7208 section 4.6.4: at most 10 MX hosts per mx mechanism
# DKIM selectors cannot be listed from DNS; these are the ones the common senders document
# (their setup guides name the record to publish), plus generic defaults. The audit file's
# `scan.dns.dkim_selectors` adds the business's own (Amazon SES Easy DKIM, Mimecast and
# Proofpoint generate per-customer selectors that no list can guess).
DKIM_SELECTORS = (
    "selector1", "selector2",  # Microsoft 365: CNAMEs into <tenant>.onmicrosoft.com
    "google",  # Google Workspace
    "k1", "k2", "k3",  # Mailchimp
    "mandrill", "mte1", "mte2",  # Mandrill (Mailchimp Transactional)
    "s1", "s2",  # SendGrid
    "zoho", "zmail",  # Zoho Mail
    "fm1", "fm2", "fm3",  # Fastmail
    "mimecast", "pps1",  # Mimecast, Proofpoint Essentials defaults
    "default", "dkim", "mail",  # generic defaults (cPanel, Postfix/OpenDKIM guides)
)
# The DKIM selectors each mail service documents, keyed by the MX hosts and SPF includes
# that show the service is used. When `_domainkey.<domain>` answers NXDOMAIN (RFC 8020:
# nothing below it exists), some authoritative servers still hold selectors there (they
# answer NXDOMAIN for an empty non-terminal): these selectors are asked anyway.
# Sources: Microsoft 365 "Set up DKIM" (selector1/selector2 CNAMEs), Google Workspace
# "Set up DKIM" (default selector google), Mailchimp (k1, k2, k3), Mandrill (mandrill,
# mte1, mte2), SendGrid (s1, s2), Zoho Mail (zmail), Fastmail (fm1..fm3).
MAIL_SERVICE_SELECTORS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    # (service, MX or SPF-include domain suffixes, selectors)
    ("Microsoft 365", ("protection.outlook.com", "outlook.com"), ("selector1", "selector2")),
    ("Google Workspace", ("google.com", "googlemail.com"), ("google",)),
    ("Mailchimp", ("mcsv.net", "mailchimp.com"), ("k1", "k2", "k3")),
    ("Mandrill", ("mandrillapp.com",), ("mandrill", "mte1", "mte2")),
    ("SendGrid", ("sendgrid.net",), ("s1", "s2")),
    ("Zoho Mail", ("zoho.com", "zoho.eu", "zohomail.com"), ("zmail", "zoho")),
    ("Fastmail", ("messagingengine.com", "fastmail.com"), ("fm1", "fm2", "fm3")),
)
BIMI_SELECTOR = "default"  # BIMI (draft-brand-indicators-for-message-identification)
# A resolver is ours to ask (a local or configured recursive resolver), not a public API:
# allow a high rate unless the audit file sets one for it.
RESOLVER_RATE = 5000.0
# The public resolvers publish per-client limits: Google Public DNS throttles a client IP
# above 1,000-1,500 queries per second ("Google Public DNS for ISPs", rate limits:
# https://developers.google.com/speed/public-dns/docs/isp); Cloudflare and Quad9 publish no
# lower figure. Their addresses get the lower published rate, 1,000 queries per second.
PUBLIC_RESOLVER_RATE = 1000.0
# Queries in flight at once to one resolver: its own budget, beside (not inside) the
# engine's shared pool (`limits.concurrency`, sized for HTTP APIs). By Little's law a rate
# needs rate x round trip in flight: 128 = 1,000 queries per second x 128 ms, so the
# public resolvers' published rate is reachable at any round trip up to 128 ms (the
# round trip seen by the scan includes its own event loop's delay in reading answers, not
# only the network's); a nearer resolver is held to the rate by the token bucket
# (PUBLIC_RESOLVER_RATE), not by this budget. Measured (bench_domains.py, +20 ms): 32 in
# flight 27 domains/s, 64 36/s, 128 50/s. `scan.dns.max_in_flight` changes it.
DNS_IN_FLIGHT = 128


_NOW: list[Any] = [0.0, ""]


def _observed() -> str:
    """The time of an answer, to the second (one shared string per second: a scan holds
    tens of thousands of answers)."""
    import time

    now = time.time()
    if int(now) != int(_NOW[0]):
        _NOW[0], _NOW[1] = now, iso(utc_now())
    return str(_NOW[1])


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to one query. `status` is ok, nxdomain or nodata; `chain` holds the
    CNAME targets followed from the queried name (first to last)."""

    qname: str
    rdtype: str
    status: str
    records: tuple[str, ...] = ()
    chain: tuple[str, ...] = ()
    server: str = ""
    tcp: bool = False
    observed_at: str = field(default_factory=_observed)

    @property
    def request(self) -> str:
        return f"{self.qname} {self.rdtype}"

    def evidence(self) -> Evidence:
        excerpt: dict[str, Any] = {"status": self.status, "records": list(self.records)}
        if self.chain:
            excerpt["cname_chain"] = list(self.chain)
        if self.tcp:
            excerpt["transport"] = "tcp (the UDP answer was truncated)"
        return Evidence(NAME, f"{self.request} @{self.server}", self.observed_at, excerpt)


# One record set's read (facts.Fetched): its Answer, or the FetchError saying why it could
# not be read (SERVFAIL, REFUSED, timeout, malformed), with the query as its request
# ("example.com MX"). One per (name, type) per scan: the client shares it between domains.
Lookup = Fetched[Answer]


def lookup(value: Answer | FetchError, request: str | None = None) -> Lookup:
    """A record set's read from its answer (or failure), as the client makes it (tests
    and fact snapshots build reads with it); `request` (the query, "name TYPE") defaults
    to the answer's own, or the failure's."""
    return Fetched(NAME, request or value.request, value, value.observed_at)


def answer_of(value: Lookup | None) -> Answer | None:
    """The answer, or None when the read failed (or was not made)."""
    if value is None:
        return None
    answer = value.value
    return answer if isinstance(answer, Answer) else None


def _records(value: Lookup) -> tuple[str, ...]:
    answer = value.value
    return answer.records if isinstance(answer, Answer) else ()


def _status(value: Lookup) -> str | None:
    """ok, nxdomain or nodata; None when the read failed."""
    answer = value.value
    return answer.status if isinstance(answer, Answer) else None


def _failed(read: Lookup) -> Fetched[Any]:
    """A read derived from a record set that could not be read: the same failure, with
    the query that failed as its request."""
    assert read.error is not None
    return Fetched(NAME, read.request, read.error, read.observed_at)


def _same_read(read: Lookup, value: T) -> Fetched[T]:
    """A value parsed from a record set's read (the same request and time)."""
    return Fetched(NAME, read.request, value, read.observed_at)


@dataclass(frozen=True, slots=True)
class Soa:
    mname: str
    rname_email: str  # the RNAME as an email address (first unescaped dot -> @)


@dataclass(frozen=True, slots=True)
class Caa:
    flags: int
    tag: str
    value: str

    @property
    def accounturi(self) -> str | None:
        m = re.search(r"accounturi=([^;\s]+)", self.value)
        return m.group(1) if m else None

    @property
    def issuer(self) -> str:
        return self.value.split(";", 1)[0].strip()


@dataclass(frozen=True, slots=True)
class SpfInclude:
    mechanism: str  # include or redirect
    domain: str
    depth: int


@dataclass(frozen=True, slots=True)
class SpfTerm:
    """An a, mx, ptr or exists mechanism, or an ip4/ip6 range, with what it resolved to.
    `owner` is the domain whose SPF record holds the term (the top record or an include);
    `domain` the name it names (macros expanded where the sender is not needed, labels
    that depend on the sender dropped: `%{i}._spf.example.net` -> `_spf.example.net`)."""

    mechanism: str  # a, mx, ptr, exists, ip4, ip6
    domain: str  # the name (or the range for ip4/ip6)
    owner: str
    depth: int
    macro: bool = False
    mx_hosts: tuple[str, ...] = ()
    hosts: tuple[HostAddresses, ...] = ()  # a: the name; mx: each MX host
    mx: Lookup | None = None  # mx: the MX read of `domain`

    @property
    def error(self) -> FetchError | None:
        """The first read of this term that failed (its MX, or a host's addresses)."""
        if self.mx is not None and self.mx.error is not None:
            return self.mx.error
        return next((h.error for h in self.hosts if h.error is not None), None)


@dataclass(frozen=True)
class Spf:
    record: str | None
    includes: tuple[SpfInclude, ...] = ()
    terms: tuple[SpfTerm, ...] = ()
    lookups: int = 0
    over_limit: bool = False  # more than 10 DNS-querying terms (a permerror for receivers)
    problems: tuple[str, ...] = ()  # includes that could not be read
    answers: tuple[Answer, ...] = ()


@dataclass(frozen=True)
class Dmarc:
    answer: Answer
    record: str | None
    rua: tuple[str, ...] = ()
    ruf: tuple[str, ...] = ()
    # external report destination domain -> its `_report._dmarc` authorisation lookup
    authorisations: dict[str, Lookup] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Dkim:
    selector: str
    cname: Lookup  # the selector's CNAME (Microsoft 365 names the tenant here)
    txt: Lookup | None  # the key itself when the name exists and is not a CNAME


@dataclass(frozen=True, slots=True)
class HostAddresses:
    """A name resolved to addresses (A and AAAA), following CNAMEs."""

    name: str
    a: Lookup
    aaaa: Lookup

    @property
    def chain(self) -> tuple[str, ...]:
        for x in (self.a.value, self.aaaa.value):
            if isinstance(x, Answer) and x.chain:
                return x.chain
        return ()

    @property
    def addresses(self) -> tuple[str, ...]:
        return _records(self.a) + _records(self.aaaa)

    @property
    def error(self) -> FetchError | None:
        return self.a.error or self.aaaa.error

    def evidence(self) -> list[Evidence]:
        return [evidence_of(self.a), evidence_of(self.aaaa)]


def evidence_of(value: Lookup) -> Evidence:
    """The evidence of one record set's read: the answer (naming the server that gave it)
    or the failure."""
    answer = value.value
    return answer.evidence()


@dataclass(frozen=True)
class DnsFacts:
    domain: str
    ns: Lookup
    soa: Lookup
    soa_parsed: Soa | None
    mx: Lookup
    mx_hosts: tuple[tuple[int, str], ...]
    mx_addresses: tuple[HostAddresses, ...]
    txt: Lookup
    spf: Fetched[Spf]  # the top TXT record's SPF, expanded (a failure when TXT failed)
    dmarc: Fetched[Dmarc]  # _dmarc.<domain> TXT
    tlsrpt: Lookup
    mta_sts: Lookup
    dkim: tuple[Dkim, ...]
    caa: Lookup
    caa_parsed: tuple[Caa, ...]
    ds: Lookup
    dnskey: Lookup
    apex: HostAddresses
    www: HostAddresses
    autodiscover: Lookup
    ptr: dict[str, Lookup]
    # Where the MTA-STS policy is served (mta-sts.<domain>), when _mta-sts is published:
    # its CNAME, or its addresses when it has no CNAME.
    mta_sts_host: Lookup | HostAddresses | None = None
    # The nameservers' own addresses (a vanity ns1.<client domain> may sit on the
    # provider's addresses).
    ns_addresses: tuple[HostAddresses, ...] = ()
    dkim_selectors: tuple[str, ...] = DKIM_SELECTORS  # the selectors asked
    # `_domainkey.<domain>` answered NXDOMAIN and the selectors of these mail services
    # (named by the MX or SPF records) were asked anyway (servers that answer NXDOMAIN
    # for an empty non-terminal); empty when the subtree exists or nothing was asked.
    dkim_fallback: tuple[str, ...] = ()
    dkim_parent: Lookup | None = None  # the `_domainkey.<domain>` TXT answer
    bimi: Lookup | None = None  # default._bimi.<domain> TXT

    @property
    def servers(self) -> tuple[str, ...]:
        """The DNS servers that answered (for the report: which view of DNS this is)."""
        found = [x.value.server for x in (self.ns, self.soa, self.mx, self.txt)
                 if isinstance(x.value, Answer) and x.value.server]
        return tuple(dict.fromkeys(found))

    def missing_apex(self) -> str | None:
        """Why the zone itself was not seen (NXDOMAIN or no NS at the apex), or None."""
        ns = answer_of(self.ns)
        if ns is None or ns.records:
            return None
        seen = ", ".join(self.servers) or "the resolver"
        if ns.status == "nxdomain":
            what = "does not exist (NXDOMAIN)"
        else:
            what = "has no NS records at its apex (not a delegated zone)"
        return (f"{self.domain} {what} according to {seen}: the domain has lapsed or was "
                "never registered, or this resolver does not see the public zone (a "
                "filtered, captive or split-horizon resolver answers like this). Nothing "
                "that depends on the zone (DNS hosting, DNSSEC, mail, reports, web, "
                "certificates, verifications) was assessed")

    @property
    def nameservers(self) -> tuple[str, ...]:
        return tuple(sorted(_records(self.ns)))

    @property
    def web_addresses(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.apex.addresses + self.www.addresses))

    @property
    def mail_addresses(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a for h in self.mx_addresses for a in h.addresses))

    def address_errors(self) -> tuple[tuple[str, FetchError], ...]:
        """(what, why) for each lookup whose addresses `web_addresses` or `mail_addresses`
        could not include: readers of the addresses must not take them as complete."""
        out: list[tuple[str, FetchError]] = []
        for label, host in (("web address", self.apex), ("web address", self.www)):
            if host.error is not None:
                out.append((f"{label} of {host.name}", host.error))
        if self.mx.error is not None:
            out.append((f"mail servers of {self.domain}", self.mx.error))
        for host in self.mx_addresses:
            if host.error is not None:
                out.append((f"mail address of {host.name}", host.error))
        return tuple(out)

    @property
    def txt_records(self) -> tuple[str, ...]:
        return _records(self.txt)


# -- parsing helpers -------------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _rdtype(text: str) -> dns.rdatatype.RdataType:
    return dns.rdatatype.from_text(text)


def _host(name: str) -> str:
    return name.rstrip(".").lower()


def rname_to_email(rname: str) -> str:
    """hostmaster.bobsit.example. -> hostmaster@bobsit.example (RFC 1035; a '\\.' in the
    local part is an escaped dot)."""
    text = rname.rstrip(".")
    m = re.match(r"((?:[^.\\]|\\.)*)\.(.+)", text)
    if not m:
        return text
    return f"{m.group(1).replace(chr(92) + '.', '.')}@{m.group(2)}".lower()


def _txt_string(rdata: Any) -> str:
    return b"".join(rdata.strings).decode("utf-8", "replace")


def _rdata_text(rdata: Any) -> str:
    if rdata.rdtype == dns.rdatatype.TXT:
        return _txt_string(rdata)
    if rdata.rdtype in (dns.rdatatype.NS, dns.rdatatype.CNAME, dns.rdatatype.PTR):
        return _host(rdata.target.to_text())
    if rdata.rdtype == dns.rdatatype.MX:
        return f"{rdata.preference} {_host(rdata.exchange.to_text())}"
    if rdata.rdtype == dns.rdatatype.CAA:
        return f"{rdata.flags} {rdata.tag.decode('ascii', 'replace')} " \
               f"{rdata.value.decode('utf-8', 'replace')}"
    return str(rdata.to_text())


def parse_tags(record: str) -> dict[str, str]:
    """DMARC / TLS-RPT / MTA-STS tag lists: 'v=DMARC1; p=none; rua=...'."""
    tags: dict[str, str] = {}
    for part in record.split(";"):
        key, eq, value = part.partition("=")
        if eq:
            tags[key.strip().lower()] = value.strip()
    return tags


def report_addresses(value: str) -> tuple[str, ...]:
    """rua/ruf lists: 'mailto:a@x.example!10m,mailto:b@y.example' -> the URIs."""
    return tuple(u.strip().split("!")[0] for u in value.split(",") if u.strip())


def _spf_record(records: Iterable[str]) -> str | None:
    spf = [r for r in records if r.lower().startswith("v=spf1") and
           (len(r) == 6 or r[6] == " ")]
    return spf[0] if spf else None


def _resolver_addresses(spec: str) -> tuple[str, int]:
    spec = spec.strip()
    if spec.startswith("["):  # [::1]:53
        host, _, port = spec[1:].partition("]")
        return host, int(port.lstrip(":") or 53)
    if spec.count(":") == 1:
        host, _, port = spec.partition(":")
        return host, int(port)
    return spec, 53


# -- the resolver ----------------------------------------------------------------------

class DnsClient:
    """Queries through the engine, with failover between resolvers, TCP on truncation
    and one in-flight query per (name, type) per scan."""

    def __init__(self, servers: list[tuple[str, int]], timeout_s: float, engine: Any,
                 tcp_only: bool = False, max_in_flight: int = DNS_IN_FLIGHT) -> None:
        if not servers:
            raise ValueError("no resolver")
        self.servers = servers
        self.timeout_s = timeout_s
        self.engine = engine
        self.tcp_only = tcp_only
        self.max_in_flight = max_in_flight
        self._in_flight: dict[str, asyncio.Semaphore] = {}  # per resolver, made in the loop
        self.queries = 0
        self._cache: dict[tuple[str, str], asyncio.Future[Lookup]] = {}
        self._answers: dict[tuple[str, str], Lookup] = {}
        self._channels = {server: UdpChannel(*server) for server in servers}
        self._names = {(host, port): sys.intern(f"{host}:{port}") for host, port in servers}
        for host, port in servers:
            key = self._key(host, port)
            if key not in engine.limiter.host_rates:
                engine.limiter.set_rate(key, PUBLIC_RESOLVER_RATE if (host, port) in
                                        PUBLIC_RESOLVERS else RESOLVER_RATE)

    @staticmethod
    def _key(host: str, port: int) -> str:
        return f"dns:{host}:{port}"

    def slots(self, key: str) -> asyncio.Semaphore:
        """The in-flight budget of one resolver (or authoritative server)."""
        sem = self._in_flight.get(key)
        if sem is None:
            sem = self._in_flight[key] = asyncio.Semaphore(self.max_in_flight)
        return sem

    def query(self, name: str, rdtype: str) -> asyncio.Future[Lookup]:
        """The answer for name/type, to await; CNAMEs are followed (also across zones, for
        authoritative servers that do not chase them).

        A future, not a coroutine: `asyncio.gather` of futures wraps none of them in a task
        (a domain asks ~40 names); it is a shield of the one lookup shared by every asker,
        so one asker's cancellation does not cancel the others'."""
        key = (_host(name), rdtype)
        done = self._answers.get(key)
        if done is not None:
            ready: asyncio.Future[Lookup] = asyncio.get_running_loop().create_future()
            ready.set_result(done)
            return ready
        fut = self._cache.get(key)
        if fut is None:
            fut = self._cache[key] = asyncio.ensure_future(self._settle(key, rdtype))
        return asyncio.shield(fut)

    async def _settle(self, key: tuple[str, str], rdtype: str) -> Lookup:
        """Look up, then keep the answer, not the finished task (a scan asks tens of
        thousands); inside the task rather than as a done-callback (one scheduled callback
        fewer per name)."""
        result = await self._follow(key[0], rdtype)
        done = Fetched(NAME, f"{key[0]} {rdtype}", result, result.observed_at)
        self._answers[key] = done
        self._cache.pop(key, None)
        return done

    def asked(self) -> list[tuple[str, str]]:
        """Every (name, type) asked so far."""
        return [*self._answers, *self._cache]

    async def _follow(self, name: str, rdtype: str) -> Answer | FetchError:
        chain: list[str] = []
        current = name
        for _ in range(MAX_CNAME_HOPS):
            result = await self._ask(current, rdtype)
            if isinstance(result, FetchError):
                if chain:  # say where the chain broke
                    return FetchError(NAME, f"{name} {rdtype}",
                                      f"{result.reason} (after CNAME {' -> '.join(chain)})",
                                      kind=result.kind)
                return result
            answer, targets = result
            chain.extend(targets)
            if answer.records or answer.status != "ok" or not targets or \
                    rdtype == "CNAME":
                return Answer(name, rdtype, answer.status, answer.records, tuple(chain),
                              answer.server, answer.tcp)
            current = targets[-1]  # an authoritative server stopped at its zone's edge
        return FetchError(NAME, f"{name} {rdtype}", f"CNAME chain longer than "
                          f"{MAX_CNAME_HOPS}: {' -> '.join(chain)}", kind="malformed")

    async def _ask(self, name: str, rdtype: str) -> tuple[Answer, list[str]] | FetchError:
        request = f"{name} {rdtype}"
        last: FetchError | None = None
        for host, port in self.servers:
            server = f"{host}:{port}"
            result = await self._ask_one(name, rdtype, host, port)
            if isinstance(result, FetchError):
                last = FetchError(NAME, f"{request} @{server}", result.reason,
                                  kind=result.kind)
                if result.kind in ("timeout", "unavailable", "denied"):
                    continue  # another resolver may answer
                return last
            return result
        assert last is not None
        return last

    async def _ask_one(self, name: str, rdtype: str, host: str,
                       port: int) -> tuple[Answer, list[str]] | FetchError:
        rtype = _rdtype(rdtype)
        use_tcp = self.tcp_only
        key = self._key(host, port)
        server = self._names[(host, port)]
        try:
            if not use_tcp:
                channel = self._channels[(host, port)]
                lean = await self._send_lean(key, channel, name, rtype)
                if not lean.tc:
                    return _lean_answer(lean, name, rdtype, server)
                use_tcp = True  # truncated: the full answer only fits over TCP
            q = dns.message.make_query(name, rtype, use_edns=0, payload=1232)
            resp = await self._send(key, lambda: dns.asyncquery.tcp(
                q, host, timeout=self.timeout_s, port=port))
        except (dns.exception.Timeout, TimeoutError):
            return FetchError(NAME, name, f"no answer within {self.timeout_s:g} s",
                              kind="timeout")
        except (dns.exception.FormError, dns.exception.SyntaxError, ValueError,
                dns.exception.DNSException) as exc:
            return FetchError(NAME, name, f"malformed answer: {type(exc).__name__}: {exc}",
                              kind="malformed")
        except OSError as exc:
            return FetchError(NAME, name, f"cannot reach the resolver: {exc}",
                              kind="unavailable")
        rcode = resp.rcode()
        failed = _rcode_error(rcode, name, rdtype, server, use_tcp)
        if failed is not None:
            return failed
        return _parse_answer(resp, name, rtype, rdtype, server, use_tcp)

    async def _send_lean(self, key: str, channel: UdpChannel, name: str,
                         rtype: int) -> WireResponse:
        self.queries += 1
        result: WireResponse = await self.engine.call(
            key, lambda: channel.query(name, rtype, self.timeout_s),
            timeout_s=self.timeout_s + 1.0, slots=self.slots(key))
        return result

    async def _send(self, key: str,
                    fn: Callable[[], Awaitable[dns.message.Message]]) -> dns.message.Message:
        self.queries += 1
        result: dns.message.Message = await self.engine.call(
            key, fn, timeout_s=self.timeout_s + 1.0, slots=self.slots(key))
        return result


# The root servers' IPv4 addresses (IANA root hints, named.root); `scan.dns.root_hints`
# replaces them.
ROOT_SERVERS = ("198.41.0.4", "170.247.170.2", "192.33.4.12", "199.7.91.13",
                "192.203.230.10", "192.5.5.241", "192.112.36.4", "198.97.190.53",
                "192.36.148.17", "192.58.128.30", "193.0.14.129", "199.7.83.42",
                "202.12.27.33")
MAX_REFERRALS = 16
AUTHORITATIVE_RATE = 200.0  # queries per second to one authoritative server
_RESOLVING: contextvars.ContextVar[tuple[tuple[str, str], ...]] = contextvars.ContextVar(
    "_RESOLVING", default=())


class IterativeClient(DnsClient):
    """Resolves through the delegation, as a recursive resolver does but in-process:
    from the root servers (or `scan.dns.root_hints`) down the referrals to the domain's
    own authoritative servers, asking with RD clear. Answers say which authoritative
    server gave them. Servers learned from referrals are asked on `port` (53; tests put
    a whole hierarchy on one other port)."""

    def __init__(self, roots: list[tuple[str, int]], timeout_s: float, engine: Any,
                 port: int = 53, allow: AllowList | None = None) -> None:
        super().__init__(roots, timeout_s, engine)
        self.port = port
        self._cuts: dict[str, list[tuple[str, int]]] = {"": list(roots)}
        # Referrals are answers: a nameserver address they give is asked only when it is
        # public, listed in scan.allow_hosts, or the configured roots are themselves not
        # public (a private or test hierarchy the user chose). See SECURITY.md.
        self.allow = allow or AllowList()
        self.private_roots = any(address_problem(host) not in (None, "not an IP address")
                                 for host, _ in roots)

    def _channel(self, server: tuple[str, int]) -> UdpChannel:
        channel = self._channels.get(server)
        if channel is None:
            channel = self._channels[server] = UdpChannel(*server)
            self._names[server] = sys.intern(f"{server[0]}:{server[1]}")
            key = self._key(*server)
            if key not in self.engine.limiter.host_rates:
                self.engine.limiter.set_rate(key, AUTHORITATIVE_RATE)
        return channel

    def _closest_cut(self, name: str, rdtype: str) -> str:
        # DS lives in the parent zone: ask above the name itself
        labels = name.split(".")
        start = 1 if rdtype == "DS" else 0
        for i in range(start, len(labels)):
            zone = ".".join(labels[i:])
            if zone in self._cuts:
                return zone
        return ""

    async def _ask(self, name: str, rdtype: str) -> tuple[Answer, list[str]] | FetchError:
        key = (name, rdtype)
        chain = _RESOLVING.get()
        if key in chain or len(chain) > 8:
            return FetchError(NAME, f"{name} {rdtype}", "the delegation loops (nameservers "
                              "without addresses that depend on each other)",
                              kind="malformed")
        token = _RESOLVING.set((*chain, key))
        try:
            return await self._descend(name, rdtype)
        finally:
            _RESOLVING.reset(token)

    async def _descend(self, name: str, rdtype: str
                       ) -> tuple[Answer, list[str]] | FetchError:
        rtype = int(_rdtype(rdtype))
        zone = self._closest_cut(name, rdtype)
        for _ in range(MAX_REFERRALS):
            result = await self._ask_zone(zone, name, rtype)
            if isinstance(result, FetchError):
                return result
            resp, server = result
            if resp.rcode != dns.rcode.NOERROR or resp.answer or resp.aa:
                return _lean_answer(resp, name, rdtype, server)
            referral = sorted({(owner, text) for owner, t, text in resp.authority
                               if t == dns.rdatatype.NS})
            cut = referral[0][0] if referral else None
            if cut is None or not (name == cut or name.endswith("." + cut)) or (
                    zone and not cut.endswith("." + zone)) or cut == zone:
                return _lean_answer(resp, name, rdtype, server)  # no data, no referral
            servers = await self._addresses(cut, [ns for _, ns in referral], resp)
            if isinstance(servers, FetchError):
                return servers
            self._cuts[cut] = servers
            zone = cut
        return FetchError(NAME, f"{name} {rdtype}", f"more than {MAX_REFERRALS} referrals",
                          kind="malformed")

    async def _addresses(self, cut: str, nameservers: list[str], resp: WireResponse
                         ) -> list[tuple[str, int]] | FetchError:
        glue = [text for owner, t, text in resp.additional
                if t == dns.rdatatype.A and owner in nameservers]
        if not glue:  # out-of-zone nameservers: resolve their names the same way
            found = await asyncio.gather(*(self.query(ns, "A") for ns in nameservers[:4]))
            glue = [a for x in found for a in _records(x)]
            if not glue:
                err = next((x.error for x in found if x.error is not None), None)
                return err or FetchError(NAME, f"{cut} NS", "no address for any of its "
                                         f"nameservers ({', '.join(nameservers)})",
                                         kind="not_found")
        usable = [a for a in dict.fromkeys(glue)
                  if self.private_roots or is_public(a) or self.allow.allows_address(a)]
        if not usable:
            refused = ", ".join(f"{a} ({address_problem(a)})" for a in dict.fromkeys(glue))
            return FetchError(NAME, f"{cut} NS", "the referral names only nameservers at "
                              f"addresses that are not public: {refused}; iterative "
                              "resolution follows referrals to public addresses only "
                              "(scan.allow_hosts lists exceptions)", kind="malformed")
        return [(a, self.port) for a in usable]

    async def _ask_zone(self, zone: str, name: str, rtype: int
                        ) -> tuple[WireResponse, str] | FetchError:
        last: FetchError | None = None
        for server in self._cuts[zone]:
            channel = self._channel(server)
            label = self._names[server]
            try:
                resp = await self._send_iter(server, channel, name, rtype)
            except (dns.exception.Timeout, TimeoutError):
                last = FetchError(NAME, f"{name} @{label}",
                                  f"no answer within {self.timeout_s:g} s", kind="timeout")
                continue
            except dns.exception.DNSException as exc:
                last = FetchError(NAME, f"{name} @{label}", f"malformed answer: {exc}",
                                  kind="malformed")
                continue
            except OSError as exc:
                last = FetchError(NAME, f"{name} @{label}", f"cannot reach the server: "
                                  f"{exc}", kind="unavailable")
                continue
            if resp.rcode in (dns.rcode.SERVFAIL, dns.rcode.REFUSED):
                last = FetchError(NAME, f"{name} @{label}", "the server answered "
                                  f"{dns.rcode.to_text(resp.rcode)}",  # type: ignore[arg-type]
                                  kind="unavailable")
                continue  # a lame server: try the zone's next one
            return resp, label
        assert last is not None
        return last

    async def _send_iter(self, server: tuple[str, int], channel: UdpChannel, name: str,
                         rtype: int) -> WireResponse:
        self.queries += 1
        key = self._key(*server)
        resp: WireResponse = await self.engine.call(
            key, lambda: channel.query(name, rtype, self.timeout_s, recursive=False),
            timeout_s=self.timeout_s + 1.0, slots=self.slots(key))
        if resp.tc:  # the full answer only over TCP
            q = dns.message.make_query(name, dns.rdatatype.RdataType.make(rtype), use_edns=0,
                                       payload=1232, flags=0)
            full = await self.engine.call(key, lambda: dns.asyncquery.tcp(
                q, server[0], timeout=self.timeout_s, port=server[1]),
                timeout_s=self.timeout_s + 1.0, slots=self.slots(key))
            resp = parse_response(full.to_wire(), 3)
        return resp


def _rcode_error(rcode: int, name: str, rdtype: str, server: str, tcp: bool
                 ) -> tuple[Answer, list[str]] | FetchError | None:
    if rcode == dns.rcode.NXDOMAIN:
        return Answer(name, rdtype, "nxdomain", server=server, tcp=tcp), []
    if rcode != dns.rcode.NOERROR:
        text = dns.rcode.to_text(rcode)  # type: ignore[arg-type]
        kind = {dns.rcode.SERVFAIL: "unavailable", dns.rcode.REFUSED: "denied"}.get(
            rcode, "error")  # type: ignore[call-overload]
        return FetchError(NAME, name, f"the resolver answered {text}", kind=kind)
    return None


def _lean_answer(resp: WireResponse, name: str, rdtype: str, server: str
                 ) -> tuple[Answer, list[str]] | FetchError:
    """The same reading as `_parse_answer`, from the lean transport's records."""
    failed = _rcode_error(resp.rcode, name, rdtype, server, False)
    if failed is not None:
        return failed
    current = resp.qname
    targets: list[str] = []
    records: list[str] = []
    for _ in range(MAX_CNAME_HOPS + 1):
        match = [(t, text) for owner, t, text in resp.answer if owner == current]
        if not match:
            break
        direct = [text for t, text in match if t == resp.qtype]
        if direct:
            records = sorted(direct)
            break
        cname = [text for t, text in match if t == dns.rdatatype.CNAME]
        if not cname:
            break
        current = cname[0]
        targets.append(current)
    status = "ok" if records or targets else "nodata"
    return Answer(name, rdtype, status, tuple(records), (), server, False), targets


def _parse_answer(resp: dns.message.Message, name: str, rtype: int, rdtype: str,
                  server: str, tcp: bool) -> tuple[Answer, list[str]]:
    current = dns.name.from_text(name)
    targets: list[str] = []
    records: list[str] = []
    for _ in range(MAX_CNAME_HOPS + 1):
        match = [rr for rr in resp.answer if rr.name == current]
        if not match:
            break
        direct = [rr for rr in match if rr.rdtype == rtype]
        if direct:
            records = sorted(_rdata_text(rd) for rr in direct for rd in rr)
            break
        cname = [rr for rr in match if rr.rdtype == dns.rdatatype.CNAME]
        if not cname:
            break
        current = next(iter(cname[0])).target  # type: ignore[attr-defined]
        targets.append(_host(current.to_text()))
    status = "ok" if records or targets else "nodata"
    return Answer(name, rdtype, status, tuple(records), (), server, tcp), targets


# -- the source ------------------------------------------------------------------------

# The public DNS by default: a machine's own (stub) resolver inside a business is often
# split-horizon or filtered and shows a private view of the domain. These public
# resolvers (Cloudflare, Google, Quad9) follow the public delegation; `scan.dns.resolvers`
# replaces them, and `scan.dns.resolvers: [system]` asks the machine's own resolvers.
PUBLIC_RESOLVERS = (("1.1.1.1", 53), ("8.8.8.8", 53), ("9.9.9.9", 53))


def system_resolvers() -> list[tuple[str, int]]:
    try:
        resolver = dns.resolver.Resolver()
    except dns.exception.DNSException:
        return []
    return [(str(ns), 53) for ns in resolver.nameservers]


def client_from_config(ctx: SourceContext) -> DnsClient:
    """A client for `scan.dns` (resolvers, timeout, TCP), by default public resolvers;
    SourceFailure when there is none. Other sources that ask DNS questions use it too."""
    opts = ctx.config.scan.dns
    if [r.strip().lower() for r in opts.resolvers] == ["iterative"]:
        roots = [_resolver_addresses(h) for h in opts.root_hints] or [
            (h, 53) for h in ROOT_SERVERS]
        allow = AllowList.of(ctx.config.scan.allow_hosts)
        ikey = ("dns-iterative", tuple(roots), opts.timeout_s, opts.iterative_port, allow)
        iterative: DnsClient = ctx.engine.shared(ikey, lambda: IterativeClient(
            roots, opts.timeout_s, ctx.engine, opts.iterative_port, allow))
        return iterative
    servers: list[tuple[str, int]] = []
    for spec in opts.resolvers:
        if spec.strip().lower() == "system":
            servers += system_resolvers()
        else:
            servers.append(_resolver_addresses(spec))
    if not opts.resolvers:
        servers = list(PUBLIC_RESOLVERS)
    if not servers:
        raise SourceFailure(FetchError(NAME, "resolver configuration",
                                       "no resolver: set scan.dns.resolvers",
                                       kind="unavailable"))
    # DNS answers are public: every scan in the engine (a fleet's clients) with the same
    # resolvers shares one client, so a shared provider zone is asked once.
    key = ("dns-client", tuple(servers), opts.timeout_s, opts.tcp, opts.max_in_flight)
    client: DnsClient = ctx.engine.shared(
        key, lambda: DnsClient(servers, opts.timeout_s, ctx.engine, opts.tcp,
                               opts.max_in_flight))
    return client


class DnsSource(Source):
    name = NAME
    area = "domain"

    def __init__(self) -> None:
        self._client: DnsClient | None = None
        self._slots: asyncio.Semaphore | None = None

    def configured(self, config: AuditConfig) -> bool:
        return bool(config.scan.domains)

    def client(self, ctx: SourceContext) -> DnsClient:
        if self._client is None:
            self._client = client_from_config(ctx)
        return self._client

    async def targets(self, ctx: SourceContext) -> list[Target]:
        return [Target(NAME, self.area, d, d, Asset("domain", d, d))
                for d in ctx.config.scan.domains]

    async def fetch(self, target: Target, ctx: SourceContext) -> DnsFacts:
        if self._slots is None:
            # Domains in flight at once: enough to keep the engine's pool busy (each
            # domain has several queries waiting on others), few enough that a scan of
            # thousands does not hold every domain's pending queries in memory at once.
            self._slots = asyncio.Semaphore(max(16, 2 * ctx.config.scan.limits.concurrency,
                                                ctx.config.scan.dns.max_in_flight))
        async with self._slots:
            facts = await fetch_domain(self.client(ctx), target.id,
                                       ctx.config.scan.dns.dkim_selectors)
        if facts.ns.error is not None and facts.soa.error is not None:
            # Neither NS nor SOA could be read: the domain was not assessed at all (the
            # coverage says why); every check reports the error, none a pass.
            err = facts.ns.error
            if not ctx.config.scan.dns.resolvers and err.kind in ("timeout", "unavailable"):
                err = dataclasses.replace(err, reason=err.reason + " (the public resolvers "
                                          "asked by default cannot be reached from here: "
                                          "set scan.dns.resolvers, e.g. [system])")
            raise SourceFailure(err)
        missing = facts.missing_apex()
        if missing is not None:
            # No zone was seen: "no MX", "no CAA", "not signed" would be passes for a
            # domain the scan never saw. Nothing zone-dependent is assessed, with why.
            raise SourceFailure(FetchError(NAME, facts.ns.ok.evidence().request, missing,
                                           kind="not_found"))
        return facts

    async def doctor(self, ctx: SourceContext) -> list[tuple[str, bool, str]]:
        """Ask each resolver for the SOA of the first domain: a resolver that answers
        (even NXDOMAIN) can be used; SERVFAIL, REFUSED or silence cannot."""
        try:
            client = self.client(ctx)
        except SourceFailure as exc:
            return [("DNS resolver", False, exc.error.describe())]
        probe = ctx.config.scan.domains[0] if ctx.config.scan.domains else "."
        out = []
        for host, port in client.servers:
            single = DnsClient([(host, port)], client.timeout_s, ctx.engine)
            result = await single.query(probe, "SOA")
            err = result.error
            detail = (err.describe() if err is not None
                      else f"answers ({probe} SOA: {result.ok.status})")
            out.append((f"DNS resolver {host}:{port}", err is None, detail))
        return out


async def resolve_host(client: DnsClient, name: str) -> HostAddresses:
    a, aaaa = await asyncio.gather(client.query(name, "A"), client.query(name, "AAAA"))
    return HostAddresses(_host(name), a, aaaa)


async def fetch_domain(client: DnsClient, domain: str,
                       selectors: Iterable[str] = ()) -> DnsFacts:
    q = client.query
    selectors = tuple(dict.fromkeys((*DKIM_SELECTORS, *(s.strip().lower() for s in selectors
                                                         if s.strip()))))
    hosts = asyncio.gather(resolve_host(client, domain), resolve_host(client, f"www.{domain}"))
    (ns, soa, mx, txt, tlsrpt, mta_sts, caa, ds, dnskey, autodiscover,
     bimi) = await asyncio.gather(
        q(domain, "NS"), q(domain, "SOA"), q(domain, "MX"), q(domain, "TXT"),
        q(f"_smtp._tls.{domain}", "TXT"), q(f"_mta-sts.{domain}", "TXT"),
        q(domain, "CAA"), q(domain, "DS"), q(domain, "DNSKEY"),
        q(f"autodiscover.{domain}", "CNAME"), q(f"{BIMI_SELECTOR}._bimi.{domain}", "TXT"))
    apex, www = await hosts
    mx_hosts = tuple(sorted((int(p), h) for p, h in (r.split(" ", 1) for r in _records(mx))
                            if h))
    spf_task = expand_spf(client, domain, txt)
    dmarc_task = fetch_dmarc(client, domain)
    dkim_task = fetch_all_dkim(client, domain, selectors,
                               mail_services(mx_hosts, _records(txt)))
    mx_task = asyncio.gather(*(resolve_host(client, h) for _, h in mx_hosts))
    ns_task = asyncio.gather(*(resolve_host(client, h) for h in sorted(_records(ns))))
    spf, dmarc, (dkim_parent, dkim, fallback), mx_addresses, mta_sts_host, \
        ns_addresses = await asyncio.gather(
        spf_task, dmarc_task, dkim_task, mx_task, fetch_mta_sts_host(client, domain, mta_sts),
        ns_task)
    addresses = {a for h in (apex, www, *mx_addresses) for a in h.addresses}
    ptrs = await asyncio.gather(*(q(dns.reversename.from_address(a).to_text(), "PTR")
                                  for a in sorted(addresses)))
    soa_parsed = None
    if _records(soa):
        parts = _records(soa)[0].split()
        soa_parsed = Soa(_host(parts[0]), rname_to_email(parts[1]))
    caa_parsed: list[Caa] = []
    for r in _records(caa):
        flags, tag, value = [*r.split(" ", 2), "", ""][:3]
        caa_parsed.append(Caa(int(flags) if flags.isdigit() else 0, tag.lower(),
                              value.strip('"')))
    return DnsFacts(
        domain=domain, ns=ns, soa=soa, soa_parsed=soa_parsed, mx=mx, mx_hosts=mx_hosts,
        mx_addresses=tuple(mx_addresses), txt=txt, spf=spf, dmarc=dmarc, tlsrpt=tlsrpt,
        mta_sts=mta_sts, dkim=tuple(d for d in dkim if d is not None), caa=caa,
        caa_parsed=tuple(caa_parsed), ds=ds, dnskey=dnskey, apex=apex, www=www,
        autodiscover=autodiscover, ptr=dict(zip(sorted(addresses), ptrs, strict=True)),
        mta_sts_host=mta_sts_host, ns_addresses=tuple(ns_addresses),
        dkim_selectors=selectors, dkim_fallback=fallback, dkim_parent=dkim_parent,
        bimi=bimi)


async def fetch_mta_sts_host(client: DnsClient, domain: str,
                             txt: Lookup) -> Lookup | HostAddresses | None:
    if not any(r.lower().startswith("v=stsv1") for r in _records(txt)):
        return None
    name = f"mta-sts.{domain}"
    cname = await client.query(name, "CNAME")
    if _status(cname) == "nodata":
        return await resolve_host(client, name)
    return cname


def mail_services(mx_hosts: Iterable[tuple[int, str]], txt: Iterable[str]
                  ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(service, its documented DKIM selectors) for each mail service the MX hosts or
    the top SPF record's include:/redirect= names point to."""
    names = [h for _, h in mx_hosts]
    record = _spf_record(txt)
    if record:
        names += [spf_target(arg, "")[0] for mech, arg in _spf_terms(record)
                  if mech in ("include", "redirect") and arg]
    found = []
    for service, suffixes, selectors in MAIL_SERVICE_SELECTORS:
        if any(n == s or n.endswith("." + s) for n in names for s in suffixes):
            found.append((service, selectors))
    return tuple(found)


async def fetch_all_dkim(client: DnsClient, domain: str, selectors: tuple[str, ...],
                         services: tuple[tuple[str, tuple[str, ...]], ...] = ()
                         ) -> tuple[Lookup, list[Dkim | None], tuple[str, ...]]:
    """(the `_domainkey` answer, the selectors that exist, the services whose selectors
    were asked despite NXDOMAIN). When `_domainkey.<domain>` does not exist (NXDOMAIN:
    nothing exists below it, RFC 8020), the common list is not asked; the selectors of
    the mail services the MX and SPF records name, and those configured in
    `scan.dns.dkim_selectors` beyond the common list, still are: some authoritative
    servers answer NXDOMAIN for an empty non-terminal while the selectors exist."""
    parent = await client.query(f"_domainkey.{domain}", "TXT")
    fallback: tuple[str, ...] = ()
    if _status(parent) == "nxdomain":
        configured = tuple(s for s in selectors if s not in DKIM_SELECTORS)
        groups = [*services, *([("scan.dns.dkim_selectors", configured)] if configured
                               else [])]
        selectors = tuple(dict.fromkeys(s for _, sels in groups for s in sels))
        if not selectors:
            return parent, [], ()
        fallback = tuple(f"{name} ({', '.join(sels)})" for name, sels in groups)
    found = await asyncio.gather(*(fetch_dkim(client, domain, s) for s in selectors))
    return parent, list(found), fallback


async def fetch_dkim(client: DnsClient, domain: str, selector: str) -> Dkim | None:
    name = f"{selector}._domainkey.{domain}"
    cname = await client.query(name, "CNAME")
    if _status(cname) == "nxdomain":
        return None  # the usual case: this selector is not used
    txt = None
    if cname.error is None:
        # The key itself, through the whole CNAME chain when there is one (each hop's
        # zone can change the key).
        txt = await client.query(name, "TXT")
    return Dkim(selector, cname, txt)


async def fetch_dmarc(client: DnsClient, domain: str) -> Fetched[Dmarc]:
    read = await client.query(f"_dmarc.{domain}", "TXT")
    if read.error is not None:
        return _failed(read)
    answer = read.ok
    records = [r for r in answer.records if r.lower().startswith("v=dmarc1")]
    if not records:
        return _same_read(read, Dmarc(answer, None))
    tags = parse_tags(records[0])
    rua = report_addresses(tags.get("rua", ""))
    ruf = report_addresses(tags.get("ruf", ""))
    # RFC 7489 section 7.1: an external destination must publish an authorisation.
    dests = sorted({u.rpartition("@")[2].lower() for u in rua + ruf if "@" in u})
    external = [d for d in dests if d != domain and not d.endswith("." + domain)]
    auths = await asyncio.gather(*(client.query(f"{domain}._report._dmarc.{d}", "TXT")
                                   for d in external))
    return _same_read(read, Dmarc(answer, records[0], rua, ruf,
                                  dict(zip(external, auths, strict=True))))


_MACRO = re.compile(r"%\{([a-zA-Z])(\d*)(r?)([.\-+,/_=]*)\}")


def spf_target(arg: str, owner: str) -> tuple[str, bool]:
    """The domain an SPF mechanism names, and whether it held macros (RFC 7208 section 7).
    %{d} (and %{o}, taken as the record's own domain) is expanded; labels that depend
    on the connecting sender (%{i}, %{s}, %{l}, %{h} ...) are dropped from the left."""
    if "%" not in arg:
        return _host(arg or owner), False
    text = arg.replace("%%", "%").replace("%_", " ").replace("%-", "%20")
    text = _MACRO.sub(lambda m: owner if m.group(1).lower() in ("d", "o") and
                      not m.group(2) and not m.group(3) else "\x00", text)
    labels = text.split(".")
    bad = [i for i, label in enumerate(labels) if "\x00" in label or "%" in label
           or " " in label]
    keep = labels[bad[-1] + 1:] if bad else labels
    return _host(".".join(keep)), True


def _spf_terms(record: str) -> Iterator[tuple[str, str]]:
    """(mechanism or modifier, argument) for each term after v=spf1; a cidr suffix
    (a/24, mx:host/24//64) is dropped."""
    for term in record.split()[1:]:
        t = term.lstrip("+-~?")
        if "=" in t and (":" not in t or t.index("=") < t.index(":")):
            name, _, arg = t.partition("=")
            yield name.lower(), arg
            continue
        name, _, arg = t.partition(":")
        name = name.lower().split("/", 1)[0]
        if name in ("a", "mx") and arg:
            arg = arg.split("/", 1)[0]
        yield name, arg


async def expand_spf(client: DnsClient, domain: str, txt: Lookup) -> Fetched[Spf]:
    """Follow include: and redirect= (breadth first) and resolve a:, mx:, ptr: and
    exists: names, counting every DNS-querying term against RFC 7208's limit of 10; stop
    expanding once the limit is reached. The read is the top TXT record's (a failure
    when it could not be read)."""
    if txt.error is not None:
        return _failed(txt)
    return _same_read(txt, await _expand_spf(client, domain, txt.ok))


async def _expand_spf(client: DnsClient, domain: str, txt: Answer) -> Spf:
    record = _spf_record(txt.records)
    if record is None:
        return Spf(None)
    includes: list[SpfInclude] = []
    terms: list[SpfTerm] = []
    problems: list[str] = []
    answers: list[Answer] = []
    lookups = 0
    over = False
    queue: list[tuple[str, int, str]] = [(record, 0, domain)]
    seen = {domain}
    while queue and not over:
        current, depth, owner = queue.pop(0)
        pending: list[Awaitable[SpfTerm]] = []
        subs: list[tuple[str, Awaitable[Lookup]]] = []  # include/redirect TXT reads
        for mech, arg in _spf_terms(current):
            if mech in ("ip4", "ip6"):
                if arg:
                    terms.append(SpfTerm(mech, arg, owner, depth))
                continue
            if mech not in ("include", "redirect", "a", "mx", "ptr", "exists"):
                continue
            lookups += 1
            if lookups > SPF_LOOKUP_LIMIT:
                over = True
                break
            target, macro = spf_target(arg, owner)
            if mech in ("include", "redirect"):
                if not arg:
                    continue
                includes.append(SpfInclude(mech, target, depth + 1))
                if target in seen or macro or not target:
                    continue  # loops are read once; sender-dependent names cannot be
                seen.add(target)
                subs.append((target, client.query(target, "TXT")))
            elif not target:
                continue
            elif macro or mech in ("ptr", "exists"):
                # ptr names the domain senders' PTR names must end in; exists asks a
                # sender-dependent name: the fixed part is attributed, nothing resolved.
                terms.append(SpfTerm(mech, target, owner, depth + 1, macro))
            else:
                pending.append(_resolve_spf_term(client, mech, target, owner, depth + 1))
        results = await asyncio.gather(*pending, *(q for _, q in subs))
        terms.extend(results[:len(pending)])  # type: ignore[arg-type]
        for (target, _), read in zip(subs, results[len(pending):], strict=True):
            assert isinstance(read, Fetched)
            if read.error is not None:
                problems.append(read.error.describe())
                continue
            sub = read.ok
            answers.append(sub)
            sub_record = _spf_record(sub.records)
            if sub_record is None:
                problems.append(f"{target} has no SPF record")
                continue
            queue.append((sub_record, depth + 1, target))
    for term in terms:
        if term.error is not None:
            problems.append(term.error.describe())
    return Spf(record, tuple(includes), tuple(terms), lookups, over, tuple(problems),
               tuple(answers))


async def _resolve_spf_term(client: DnsClient, mech: str, target: str, owner: str,
                            depth: int) -> SpfTerm:
    if mech == "a":
        host = await resolve_host(client, target)
        return SpfTerm(mech, target, owner, depth, hosts=(host,))
    mx = await client.query(target, "MX")
    if mx.error is not None:
        return SpfTerm(mech, target, owner, depth, mx=mx)
    names = tuple(h for h in (r.split(" ", 1)[-1] for r in mx.ok.records) if h and h != ".")
    hosts = await asyncio.gather(*(resolve_host(client, h) for h in names[:SPF_MX_LIMIT]))
    return SpfTerm(mech, target, owner, depth, mx_hosts=names, hosts=tuple(hosts), mx=mx)


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False
