"""Who runs each domain's DNS, mail, reports, web and certificates, read from DNS.

Every name and address in the answers (nameservers, SOA contact, MX hosts, SPF includes,
DMARC and TLS-RPT destinations, CNAME targets, addresses, CAA iodef and ACME accounts) is
attributed with `ctx.attribute`, so a foreign name that matches no party shows up once per
control in the report's unidentified list. A lookup that failed (SERVFAIL, timeout,
malformed answer) becomes `status: error`, never a pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from lockin_audit.check import CheckContext, check, status_for, worst_holder
from lockin_audit.facts import Fetched
from lockin_audit.identity import Attribution, IdKind
from lockin_audit.model import Evidence, Finding, Holder, Severity, Status
from lockin_audit.sources.dns import (
    Answer,
    DnsFacts,
    FetchError,
    HostAddresses,
    Spf,
    answer_of,
    evidence_of,
    parse_tags,
    report_addresses,
)


@dataclass(frozen=True)
class Verdict:
    holder: Holder
    attributions: tuple[Attribution, ...]

    def lines(self) -> str:
        """'Bob's IT Services: ns1.bobsit.example, hostmaster@bobsit.example; not
        identified: 192.0.2.80' (each value once, grouped by who it belongs to)."""
        groups: dict[str, list[str]] = {}
        for a in self.attributions:
            values = groups.setdefault(a.party or "not identified", [])
            if a.value not in values:  # NS and SOA MNAME often name the same host
                values.append(a.value)
        return "; ".join(f"{party}: {', '.join(values)}" for party, values in groups.items())

    def parties(self, holder: Holder) -> list[str]:
        return sorted({a.party or a.value for a in self.attributions if a.holder is holder})


def judge(ctx: CheckContext, items: Iterable[tuple[IdKind, str, str]]) -> Verdict:
    """Attribute (kind, value, where-seen) items; the worst holder decides."""
    found = tuple(ctx.attribute(kind, value, seen_in=where) for kind, value, where in items
                  if value)
    return Verdict(worst_holder(found) if found else Holder.CLIENT, found)


def _error(value: Fetched[Any] | None) -> FetchError | None:
    return value.error if value is not None else None


def _summary(verdict: Verdict, what: str) -> str:
    """A one-line conclusion for a non-technical reader, then the attributions."""
    if verdict.holder is Holder.PROVIDER:
        lead = (f"{what}: held by your IT provider "
                f"({', '.join(verdict.parties(Holder.PROVIDER))})")
    elif verdict.holder is Holder.UNKNOWN:
        lead = f"{what}: points at names or addresses nobody has identified yet; classify them"
    elif verdict.holder is Holder.THIRD_PARTY:
        lead = (f"{what}: at {', '.join(verdict.parties(Holder.THIRD_PARTY))}; confirm the "
                "account there is in your company's name")
    else:
        lead = f"{what}: under your company's own names"
    return f"{lead}. {verdict.lines()}."


def _finding(ctx: CheckContext, facts: DnsFacts, verdict: Verdict, what: str,
             evidence: list[Evidence], key: str = "") -> Finding:
    return ctx.finding(asset=ctx.target.asset, holder=verdict.holder,
                       detail=_summary(verdict, what), evidence=evidence, key=key)


def _none(ctx: CheckContext, detail: str, evidence: list[Evidence], key: str = "") -> Finding:
    """Nothing to hand over: a pass with its evidence, at info severity."""
    return ctx.finding(asset=ctx.target.asset, holder=Holder.CLIENT, status=Status.PASS,
                       severity=Severity.INFO, detail=detail, evidence=evidence, key=key)


def _nameserver_items(facts: DnsFacts) -> list[tuple[IdKind, str, str]]:
    items = [(IdKind.HOSTNAME, ns, f"NS of {facts.domain}") for ns in facts.nameservers]
    if facts.soa_parsed:
        items.append((IdKind.HOSTNAME, facts.soa_parsed.mname, f"SOA MNAME of {facts.domain}"))
        items.append((IdKind.EMAIL, facts.soa_parsed.rname_email,
                      f"SOA RNAME of {facts.domain}"))
    return items


def _missing_domain(facts: DnsFacts) -> bool:
    ns = answer_of(facts.ns)
    return ns is not None and ns.status == "nxdomain"


def _owned_addresses(ctx: CheckContext, hosts: Iterable[HostAddresses], where: str
                     ) -> list[tuple[IdKind, str, str]]:
    """The addresses of hosts named under the client's own domains (ns1.<your domain>,
    relay.<your domain>) that fall in a configured party's range: a vanity name on the
    provider's addresses is the provider's. Addresses that match no configured range
    are left out (the name is yours; an address alone proves nothing either way)."""
    items = []
    for host in hosts:
        if ctx.attribute(IdKind.HOSTNAME, host.name, where, record=False).holder \
                is not Holder.CLIENT:
            continue
        for address in host.addresses:
            if ctx.attribute(IdKind.IP, address, where, record=False).holder \
                    is not Holder.UNKNOWN:
                items.append((IdKind.IP, address, f"address of {host.name} ({where})"))
    return items


def _servers_note(facts: DnsFacts) -> str:
    return f" Answers from {', '.join(facts.servers)}." if facts.servers else ""


def _chain_items(value: Answer | None) -> list[tuple[IdKind, str, str]]:
    """The CNAME targets an answer was followed through: whoever runs any of those zones
    can change the record the name resolves to."""
    if value is None or not value.chain:
        return []
    return [(IdKind.HOSTNAME, t, f"CNAME of {value.qname}") for t in value.chain]


def _hosted(ctx: CheckContext, value: Answer | None) -> tuple[list[Attribution], str]:
    """Attribute the CNAME chain of a record's name (`_dmarc`, `_smtp._tls`, `_mta-sts`,
    `default._bimi`, DKIM selectors): (attributions, a sentence naming who hosts it)."""
    items = _chain_items(value)
    if not items or value is None:
        return [], ""
    found = [ctx.attribute(kind, v, seen_in=where) for kind, v, where in items]
    holder = worst_holder(found)
    parties = sorted({a.party or a.value for a in found if a.holder is holder})
    who = ", ".join(parties)
    target = " -> ".join(value.chain)
    if holder is Holder.PROVIDER:
        tail = (f"it is hosted in your IT provider's zone ({who}), which can change it at "
                "will and keeps it when you leave")
    elif holder is Holder.THIRD_PARTY:
        tail = (f"it is hosted by {who}, a service whose account must be yours: confirm "
                "who holds that account")
    elif holder is Holder.UNKNOWN:
        tail = (f"it is hosted in a zone nobody has identified ({who}): whoever runs it can "
                "change the record; classify it")
    else:
        tail = "it is hosted under your own names"
    return found, (f" {value.qname} is not kept in your zone: it is a CNAME to {target}, "
                   f"so {tail}.")


def _with_chain(ctx: CheckContext, items: list[tuple[IdKind, str, str]],
                value: Answer | None) -> tuple[Verdict, str]:
    """Judge a record's contents and the CNAME chain of its name together."""
    chain, note = _hosted(ctx, value)
    verdict = judge(ctx, items)
    if not chain:
        return verdict, ""
    found = (*verdict.attributions, *chain) if items else tuple(chain)
    return Verdict(worst_holder(found), found), note


# -- domain.dns_hosting -----------------------------------------------------------------

@check(
    id="domain.dns.nameservers",
    control="domain.dns_hosting",
    source="dns",
    severity=Severity.HIGH,
)
def nameservers(facts: DnsFacts, ctx: CheckContext) -> Iterator[Finding]:
    for value in (facts.ns, facts.soa):
        if err := _error(value):
            yield ctx.error(ctx.target.asset, err)
            return
    ns = facts.ns.ok
    evidence = [ns.evidence(), facts.soa.ok.evidence()]
    if _missing_domain(facts) or not facts.nameservers:
        yield ctx.finding(asset=ctx.target.asset, holder=Holder.UNKNOWN, status=Status.WARN,
                          detail=f"{facts.domain} has no nameservers in DNS "
                                 f"({ns.status}): it may have expired or "
                                 "never been delegated; check the registration.",
                          evidence=evidence)
        return
    items = _nameserver_items(facts)
    where = f"NS of {facts.domain}"
    items += _owned_addresses(ctx, facts.ns_addresses, where)
    evidence += [e for h in facts.ns_addresses for e in h.evidence()]
    verdict = judge(ctx, items)
    # Only the addresses of nameservers under the client's own names are weighed (a vanity
    # ns1.<your domain> on the provider's addresses): one of those unread cannot be cleared.
    undecided = [h for h in facts.ns_addresses if h.error is not None
                 and ctx.attribute(IdKind.HOSTNAME, h.name, where, record=False).holder
                 is Holder.CLIENT]
    if undecided and verdict.holder is Holder.CLIENT:
        yield _unassessed(ctx, undecided, "the domain's DNS", "nameservers")
        return
    finding = ctx.finding(asset=ctx.target.asset, holder=verdict.holder,
                          detail=_summary(verdict, "The domain's DNS") + _servers_note(facts),
                          evidence=evidence)
    yield _unread_note(finding, undecided)  # the other names' addresses are not weighed
    for host in undecided:
        yield ctx.error(ctx.target.asset, host.error or "address lookup failed",
                        key=f"ns-address:{host.name}")


# -- domain.dnssec ----------------------------------------------------------------------

@check(
    id="domain.dns.dnssec",
    control="domain.dnssec",
    source="dns",
    severity=Severity.HIGH,
)
def dnssec(facts: DnsFacts, ctx: CheckContext) -> Iterator[Finding]:
    for value in (facts.ds, facts.dnskey, facts.ns):
        if err := _error(value):
            yield ctx.error(ctx.target.asset, err)
            return
    ds, dnskey = facts.ds.ok, facts.dnskey.ok
    evidence = [ds.evidence(), dnskey.evidence()]
    if not ds.records and not dnskey.records:
        yield _none(ctx, f"{facts.domain} is not signed with DNSSEC: there are no keys to "
                         "hand over and the nameservers can move in any order.", evidence)
        return
    verdict = judge(ctx, _nameserver_items(facts))
    state = ("signed, with a DS record published" if ds.records
             else "signed (DNSKEY present) but no DS record was found")
    yield ctx.finding(asset=ctx.target.asset, holder=verdict.holder,
                      detail=f"{facts.domain} is {state}; the keys belong to whoever runs "
                             f"the DNS. {_summary(verdict, 'The signing DNS')}",
                      evidence=evidence)


# -- domain.mail ------------------------------------------------------------------------


@check(
    id="domain.dns.mail",
    control="domain.mail",
    source="dns",
    severity=Severity.HIGH,
)
def mail(facts: DnsFacts, ctx: CheckContext) -> Iterator[Finding]:
    yield from _mx(facts, ctx)
    yield from _spf(facts, ctx)
    yield from _autodiscover(facts, ctx)
    yield from _dkim(facts, ctx)
    yield from _mta_sts(facts, ctx)
    yield from _bimi(facts, ctx)


def _mx(facts: DnsFacts, ctx: CheckContext) -> Iterator[Finding]:
    if err := _error(facts.mx):
        yield ctx.error(ctx.target.asset, err, key="mx")
        return
    evidence = [facts.mx.ok.evidence()]
    if not facts.mx_hosts:
        yield _none(ctx, f"{facts.domain} has no MX record ({facts.mx.ok.status}): it receives "
                         "no email, so no mail route has to move.", evidence, key="mx")
        return
    items = [(IdKind.HOSTNAME, h, f"MX of {facts.domain}") for _, h in facts.mx_hosts]
    unresolved: list[HostAddresses] = []
    for host in facts.mx_addresses:
        evidence += host.evidence()
        items += [(IdKind.IP, a, f"address of MX {host.name}") for a in host.addresses]
        items += [(IdKind.HOSTNAME, c, f"CNAME of MX {host.name}") for c in host.chain]
        if host.error:
            unresolved.append(host)
    verdict = judge(ctx, items)
    # The host name alone cannot clear a mail server whose address is unknown: only a
    # provider-held name already decides the verdict (a vendor's name may still sit on an
    # address of the provider's, or one nobody has identified).
    undecided = [h for h in unresolved
                 if ctx.attribute(IdKind.HOSTNAME, h.name, seen_in=f"MX of {facts.domain}",
                                  record=False).holder is not Holder.PROVIDER]
    if undecided and verdict.holder is Holder.CLIENT:
        # "under your own names" rests on the addresses too: not assessed
        yield _unassessed(ctx, undecided, "incoming mail (MX)", "mail servers", key="mx")
        return
    finding = _finding(ctx, facts, verdict, "Incoming mail (MX)", evidence, key="mx")
    yield _unread_note(finding, unresolved)
    for host in undecided:
        yield ctx.error(ctx.target.asset, host.error or "address lookup failed",
                        key=f"mx-address:{host.name}")


def _unassessed(ctx: CheckContext, hosts: list[HostAddresses], what: str, servers: str,
                key: str = "") -> Finding:
    """An error for a verdict that rests on addresses that could not be read: names which
    reads failed (with their reasons and evidence)."""
    errors = [e for h in hosts for e in (h.a.error, h.aaaa.error) if e]
    finding = ctx.error(ctx.target.asset, errors[0], key=key)
    names = ", ".join(h.name for h in hosts)
    return replace(
        finding, evidence=tuple(e.evidence() for e in errors),
        detail=f"Who runs {what} could not be judged: the addresses of {names} could not "
               f"be read, so whether these {servers} sit on your IT provider's network is "
               "unknown: "
               + "; ".join(e.describe() for e in errors) + ".")


def _unread_note(finding: Finding, hosts: Iterable[HostAddresses]) -> Finding:
    """The finding, its detail naming the address reads that failed (the verdict does not
    rest on them, and does not claim them)."""
    failed = [e.describe() for h in hosts for e in (h.a.error, h.aaaa.error) if e]
    if not failed:
        return finding
    return replace(finding, detail=f"{finding.detail} Not read (the lookup failed): "
                                   f"{'; '.join(failed)}.")


def _spf(facts: DnsFacts, ctx: CheckContext) -> Iterator[Finding]:
    # The SPF record is read from the domain's TXT records: an unreadable TXT (or SPF
    # expansion) leaves the senders unknown.
    if err := facts.txt.error or facts.spf.error:
        yield ctx.error(ctx.target.asset, err, key="spf")
        return
    spf = facts.spf.ok
    evidence = [evidence_of(facts.txt), *(a.evidence() for a in spf.answers)]
    if spf.record is None:
        yield _none(ctx, f"{facts.domain} publishes no SPF record: no sender is authorised "
                         "through DNS, so none has to be removed.", evidence, key="spf")
        return
    items = [(IdKind.DOMAIN, inc.domain, f"SPF {inc.mechanism} of {facts.domain}")
             for inc in spf.includes]
    items += _spf_term_items(ctx, facts, spf)
    items += [i for a in spf.answers for i in _chain_items(a)]
    verdict = judge(ctx, items)
    detail = _summary(verdict, "Outgoing mail authorisation (SPF)")
    if spf.problems:
        detail += " Could not read: " + "; ".join(spf.problems) + "."
    yield ctx.finding(asset=ctx.target.asset, holder=verdict.holder, detail=detail,
                      evidence=evidence, key="spf")
    if spf.over_limit:
        yield ctx.finding(
            asset=ctx.target.asset, holder=Holder.UNKNOWN, status=Status.WARN,
            severity=Severity.MEDIUM, title="SPF record needs more than 10 DNS lookups",
            detail=f"The SPF record of {facts.domain} needs more than 10 DNS lookups "
                   "(RFC 7208 4.6.4); receivers treat it as an error, so some of your mail "
                   "may already be rejected. Expansion stopped at the limit.",
            evidence=evidence, key="spf-limit",
            remediation=("Remove includes of services you no longer use (the provider's, "
                         "after the switch) or replace them with ip4:/ip6: ranges.",))


def _spf_owner_is_client(ctx: CheckContext, facts: DnsFacts, owner: str) -> bool:
    return owner == facts.domain or ctx.attribute(
        IdKind.DOMAIN, owner, f"SPF of {facts.domain}", record=False).holder is Holder.CLIENT


def _spf_term_items(ctx: CheckContext, facts: DnsFacts, spf: Spf
                    ) -> list[tuple[IdKind, str, str]]:
    """a:, mx:, ptr:, exists: names and ip4:/ip6: ranges of the records the client
    writes (its own and its own includes); a vendor's include is judged by its name."""
    items: list[tuple[IdKind, str, str]] = []
    for term in spf.terms:
        if not _spf_owner_is_client(ctx, facts, term.owner):
            continue
        where = f"SPF {term.mechanism} of {facts.domain}"
        if term.owner != facts.domain:
            where += f" (via {term.owner})"
        if term.mechanism in ("ip4", "ip6"):
            items.append((IdKind.IP, term.domain, where))
            continue
        items.append((IdKind.HOSTNAME, term.domain, where))
        items += [(IdKind.HOSTNAME, h, f"MX of {term.domain} ({where})")
                  for h in term.mx_hosts]
        items += _owned_addresses(ctx, term.hosts, where)
    return items


def _autodiscover(facts: DnsFacts, ctx: CheckContext) -> Iterator[Finding]:
    if err := _error(facts.autodiscover):
        yield ctx.error(ctx.target.asset, err, key="autodiscover")
        return
    auto = facts.autodiscover.ok
    if not auto.records:
        return  # no autodiscover record: nothing points mail clients anywhere
    verdict = judge(ctx, [(IdKind.HOSTNAME, t, f"autodiscover of {facts.domain}")
                          for t in auto.records])
    yield _finding(ctx, facts, verdict, "Mail client set-up (autodiscover)",
                   [auto.evidence()], key="autodiscover")


def _mta_sts(facts: DnsFacts, ctx: CheckContext) -> Iterator[Finding]:
    if err := _error(facts.mta_sts):
        # an unread _mta-sts record is not an absent one: its policy host was not asked
        yield ctx.error(ctx.target.asset, err, key="mta-sts")
        return
    host = facts.mta_sts_host
    policy = answer_of(facts.mta_sts)
    chain = policy is not None and bool(policy.chain)
    if host is None and not chain:
        return
    name = f"mta-sts.{facts.domain}"
    items: list[tuple[IdKind, str, str]] = []
    evidence: list[Evidence] = [policy.evidence()] if policy is not None else []
    if isinstance(host, HostAddresses):
        if host.error:
            yield ctx.error(ctx.target.asset, host.error, key="mta-sts")
            return
        items = [(IdKind.IP, a, f"address of {name}") for a in host.addresses]
        evidence += host.evidence()
    elif host is not None and host.error is not None:
        yield ctx.error(ctx.target.asset, host.error, key="mta-sts")
        return
    elif host is not None:
        items = [(IdKind.HOSTNAME, t, f"CNAME of {name}") for t in host.ok.records]
        evidence.append(host.ok.evidence())
    if items or chain:
        verdict, hosted = _with_chain(ctx, items, policy)
        yield ctx.finding(asset=ctx.target.asset, holder=verdict.holder,
                          detail=_summary(verdict, "The MTA-STS policy (record and web "
                                                   "server)") + hosted,
                          evidence=evidence, key="mta-sts")


def _bimi(facts: DnsFacts, ctx: CheckContext) -> Iterator[Finding]:
    """default._bimi: the logo (l=) and certificate (a=) URLs, and the record's CNAME."""
    if facts.bimi is None:
        return
    if err := _error(facts.bimi):
        yield ctx.error(ctx.target.asset, err, key="bimi")
        return
    bimi = facts.bimi.ok
    records = [r for r in bimi.records if r.lower().startswith("v=bimi1")]
    if not records and not bimi.chain:
        return
    tags = parse_tags(records[0]) if records else {}
    items = [(IdKind.URL, tags[t], f"BIMI {t}= of {facts.domain}") for t in ("l", "a")
             if tags.get(t)]
    verdict, hosted = _with_chain(ctx, items, bimi)
    yield ctx.finding(asset=ctx.target.asset, holder=verdict.holder,
                      detail=_summary(verdict, "The brand logo shown in inboxes (BIMI)")
                      + hosted, evidence=[bimi.evidence()], key="bimi")


def tenant_attribution(ctx: CheckContext, host: str, where: str) -> Attribution:
    """A name in a Microsoft 365 tenant (`<tenant>.onmicrosoft.com`): configured names
    decide; otherwise a tenant named exactly like one of a party's own domains
    (`bobsit` for bobsit.example) is that party's."""
    found = ctx.attribute(IdKind.HOSTNAME, host, where)
    m = M365_TENANT.search(host) or re.fullmatch(r"([a-z0-9-]+)\.onmicrosoft\.com", host)
    if found.holder is not Holder.THIRD_PARTY or m is None:
        return found
    label = m.group(1)
    for party in (ctx.identity.client, *ctx.identity.providers):
        for dom in party.domains:
            if dom.split(".", 1)[0] == label and not dom.endswith(".onmicrosoft.com"):
                return Attribution(party.holder, party.name, IdKind.HOSTNAME, found.value,
                                   f"the Microsoft 365 tenant {label}.onmicrosoft.com is "
                                   f"named like {dom}, a domain of {party.name}", 0.7)
    return found


def _dkim(facts: DnsFacts, ctx: CheckContext) -> Iterator[Finding]:
    attributions: list[Attribution] = []
    evidence: list[Evidence] = []
    keys: list[str] = []
    for d in facts.dkim:
        if err := _error(d.cname):
            yield ctx.error(ctx.target.asset, err, key=f"dkim:{d.selector}")
            continue
        cname = d.cname.ok
        evidence.append(cname.evidence())
        txt = answer_of(d.txt)
        # the whole chain when the key was followed through it, else the first hop
        chain = txt.chain if txt is not None and txt.chain else cname.records
        attributions += [tenant_attribution(ctx, t, f"DKIM {d.selector} of {facts.domain}")
                         for t in chain]
        if txt is not None and any("p=" in r for r in txt.records):
            if not chain:
                keys.append(d.selector)
            evidence.append(txt.evidence())
        elif err := _error(d.txt):
            yield ctx.error(ctx.target.asset, err, key=f"dkim:{d.selector}")
    caveat = " " + _dkim_scope(facts)
    if attributions:
        verdict = Verdict(worst_holder(attributions), tuple(attributions))
        detail = _summary(verdict, "Mail signing (DKIM)")
        if keys:
            detail += f" Keys published in your own zone: {', '.join(keys)}."
        yield ctx.finding(asset=ctx.target.asset, holder=verdict.holder,
                          detail=detail + caveat, evidence=evidence, key="dkim")
    elif keys:
        yield ctx.finding(asset=ctx.target.asset, holder=Holder.CLIENT, status=Status.PASS,
                          severity=Severity.INFO, key="dkim", evidence=evidence,
                          detail=f"DKIM keys for the selector(s) {', '.join(keys)} are "
                                 f"published in {facts.domain}'s own zone." + caveat)
    else:
        parent = answer_of(facts.dkim_parent)
        yield ctx.finding(asset=ctx.target.asset, holder=Holder.UNKNOWN,
                          status=Status.MANUAL, severity=Severity.LOW, key="dkim",
                          evidence=[parent.evidence()] if parent is not None else [],
                          detail=f"No DKIM selector was found under {facts.domain}. "
                                 + _dkim_scope(facts))


def _dkim_scope(facts: DnsFacts) -> str:
    """Which selectors were asked, and why (the scope of a DKIM finding)."""
    parent = answer_of(facts.dkim_parent)
    how = ("Selectors cannot be listed from DNS, so other selectors may exist: ask each "
           "service that sends mail as your "
           "domain which selector it signs with, and add it to scan.dns.dkim_selectors.")
    if parent is not None and parent.status == "nxdomain":
        head = (f"_domainkey.{facts.domain} answered NXDOMAIN, which by RFC 8020 means no "
                "selector exists below it")
        if facts.dkim_fallback:
            return (f"{head}; some DNS servers answer so while selectors exist, so the "
                    "selectors of the mail services the MX and SPF records name, and the "
                    f"configured ones, were asked anyway: {'; '.join(facts.dkim_fallback)}."
                    f" {how}")
        return (f"{head}; no mail service the MX and SPF records name has known selectors, "
                f"so none was asked. {how}")
    return f"{len(facts.dkim_selectors)} commonly used selectors were asked. {how}"


# -- domain.mail_reports ----------------------------------------------------------------

@check(
    id="domain.dns.mail-reports",
    control="domain.mail_reports",
    source="dns",
    severity=Severity.MEDIUM,
)
def mail_reports(facts: DnsFacts, ctx: CheckContext) -> Iterator[Finding]:
    if err := facts.dmarc.error:
        yield ctx.error(ctx.target.asset, err, key="dmarc")
        yield from _tlsrpt(facts, ctx)
        return
    dmarc = facts.dmarc.ok
    if dmarc.record is None:
        if dmarc.answer.chain:
            verdict, note = _with_chain(ctx, [], dmarc.answer)
            yield ctx.finding(asset=ctx.target.asset, holder=verdict.holder,
                              detail=_summary(verdict, "The DMARC record's name") + note +
                              " It publishes no DMARC record today, but whoever runs "
                              "that zone can publish one.",
                              evidence=[dmarc.answer.evidence()], key="dmarc")
        else:
            yield _none(ctx, f"{facts.domain} publishes no DMARC record, so no reports are "
                             "sent anywhere (consider publishing one in your own name).",
                        [dmarc.answer.evidence()], key="dmarc")
    else:
        evidence = [dmarc.answer.evidence()]
        evidence += [evidence_of(a) for a in dmarc.authorisations.values()]
        items = [(IdKind.EMAIL if u.lower().startswith("mailto:") else IdKind.URL, u,
                  f"DMARC {tag} of {facts.domain}")
                 for tag, uris in (("rua", dmarc.rua), ("ruf", dmarc.ruf)) for u in uris]
        if items or dmarc.answer.chain:
            authorised = [d for d, a in dmarc.authorisations.items()
                          if (found := answer_of(a)) is not None and found.records]
            unread = {d: a.error for d, a in dmarc.authorisations.items() if a.error}
            missing = [d for d in dmarc.authorisations if d not in authorised and d not in unread]
            note = (f" External destinations authorised by a _report._dmarc record: "
                    f"{', '.join(authorised)}." if authorised else "")
            if missing:
                note += (f" Not authorised (no {facts.domain}._report._dmarc record, so "
                         f"receivers send them no reports): {', '.join(missing)}.")
            if unread:  # a failed lookup is not an absent record: say which could not be read
                note += (" Not known whether authorised (the lookup failed): " + "; ".join(
                    f"{d} ({err.describe()})" for d, err in unread.items()) + ".")
            if not items:
                note += " The record asks for no reports."
            verdict, hosted = _with_chain(ctx, items, dmarc.answer)
            yield ctx.finding(asset=ctx.target.asset, holder=verdict.holder,
                              detail=_summary(verdict, "DMARC reports and policy") + hosted
                              + note, evidence=evidence, key="dmarc")
        else:
            yield _none(ctx, "The DMARC record asks for no reports.", evidence, key="dmarc")
    yield from _tlsrpt(facts, ctx)


def _tlsrpt(facts: DnsFacts, ctx: CheckContext) -> Iterator[Finding]:
    if err := _error(facts.tlsrpt):
        yield ctx.error(ctx.target.asset, err, key="tlsrpt")
        return
    tlsrpt = facts.tlsrpt.ok
    records = [r for r in tlsrpt.records if r.lower().startswith("v=tlsrptv1")]
    if not records and not tlsrpt.chain:
        return
    uris = report_addresses(parse_tags(records[0]).get("rua", "")) if records else ()
    items = [(IdKind.EMAIL if u.lower().startswith("mailto:") else IdKind.URL, u,
              f"TLS-RPT rua of {facts.domain}") for u in uris]
    verdict, hosted = _with_chain(ctx, items, tlsrpt)
    yield ctx.finding(asset=ctx.target.asset, holder=verdict.holder,
                      detail=_summary(verdict, "TLS delivery reports (TLS-RPT)") + hosted,
                      evidence=[tlsrpt.evidence()], key="tlsrpt")


# -- domain.web -------------------------------------------------------------------------

@check(
    id="domain.dns.web",
    control="domain.web",
    source="dns",
    severity=Severity.HIGH,
)
def web(facts: DnsFacts, ctx: CheckContext) -> Iterator[Finding]:
    found = False
    for label, host in (("apex", facts.apex), ("www", facts.www)):
        if host.error:
            yield ctx.error(ctx.target.asset, host.error, key=label)
            found = True
            continue
        if not host.addresses and not host.chain:
            continue
        items = [(IdKind.HOSTNAME, c, f"CNAME of {host.name}") for c in host.chain]
        items += [(IdKind.IP, a, f"address of {host.name}") for a in host.addresses]
        evidence = host.evidence()
        ptrs = [(a, facts.ptr[a]) for a in host.addresses if a in facts.ptr]
        evidence += [evidence_of(p) for _, p in ptrs]
        items += [(IdKind.HOSTNAME, name, f"PTR of {a}") for a, p in ptrs
                  if p.error is None for name in p.ok.records]
        finding = _finding(ctx, facts, judge(ctx, items), f"The website at {host.name}",
                           evidence, key=label)
        failed_ptr = next((p.error for _, p in ptrs if p.error is not None), None)
        if failed_ptr is not None and finding.status is Status.PASS:
            # the PTR that could not be read may have named the provider's hosting
            yield ctx.error(ctx.target.asset, failed_ptr, key=label)
        else:
            yield finding
        found = True
    if not found:
        yield _none(ctx, f"Neither {facts.domain} nor www.{facts.domain} has an address: "
                         "no website to move.", facts.apex.evidence() + facts.www.evidence())


# -- domain.certificates ----------------------------------------------------------------

@check(
    id="domain.dns.caa",
    control="domain.certificates",
    source="dns",
    severity=Severity.MEDIUM,
)
def caa(facts: DnsFacts, ctx: CheckContext) -> Iterator[Finding]:
    if err := _error(facts.caa):
        yield ctx.error(ctx.target.asset, err)
        return
    evidence = [facts.caa.ok.evidence()]
    if not facts.caa_parsed:
        yield _none(ctx, f"{facts.domain} has no CAA record: any certificate authority may "
                         "issue, and no CAA record ties certificate issuance to the "
                         "provider.", evidence)
        return
    where = f"CAA of {facts.domain}"
    items: list[tuple[IdKind, str, str]] = []
    accounts: list[str] = []
    for rec in facts.caa_parsed:
        if rec.tag == "iodef":
            kind = IdKind.EMAIL if rec.value.lower().startswith("mailto:") else IdKind.URL
            items.append((kind, rec.value, where))
        elif rec.tag in ("issue", "issuewild") and rec.accounturi:
            accounts.append(rec.accounturi)
    verdict = judge(ctx, items)
    cas = sorted({r.issuer for r in facts.caa_parsed if r.tag in ("issue", "issuewild")})
    detail = f"Certificate authorities allowed: {', '.join(cas) or 'none'}."
    if verdict.attributions:
        detail += " " + _summary(verdict, "Certificate problem reports (iodef)")
    if accounts:
        detail += (f" Issuance is pinned to the ACME account(s) {', '.join(accounts)} "
                   "(RFC 8657): its holder cannot be seen from DNS; ask who holds it.")
    status = status_for(verdict.holder) if verdict.holder is not Holder.THIRD_PARTY \
        else Status.PASS
    if accounts and status is Status.PASS:
        status = Status.MANUAL
    holder = verdict.holder if verdict.attributions else (
        Holder.UNKNOWN if accounts else Holder.CLIENT)
    yield ctx.finding(asset=ctx.target.asset, holder=holder, status=status, detail=detail,
                      evidence=evidence)


# -- domain.saas_verification -----------------------------------------------------------

# TXT verification prefixes: each proves that some account at the service controls the
# domain. Sources: each vendor's domain verification documentation.
VERIFICATION_PREFIXES: tuple[tuple[str, str], ...] = (
    ("ms=", "Microsoft 365"),
    ("google-site-verification=", "Google (Workspace / Search Console)"),
    ("facebook-domain-verification=", "Meta Business"),
    ("apple-domain-verification=", "Apple"),
    ("atlassian-domain-verification=", "Atlassian"),
    ("docusign=", "DocuSign"),
    ("adobe-idp-site-verification=", "Adobe"),
    ("zoom-domain-verification", "Zoom"),
    ("slack-domain-verification=", "Slack"),
    ("stripe-verification=", "Stripe"),
    ("dropbox-domain-verification=", "Dropbox"),
    ("hubspot-developer-verification=", "HubSpot"),
    ("amazonses:", "Amazon SES"),
    ("_globalsign-domain-verification=", "GlobalSign"),
    ("globalsign-domain-verification=", "GlobalSign"),
    ("zoho-verification=", "Zoho"),
    ("mailru-verification:", "Mail.ru"),
    ("yandex-verification:", "Yandex"),
    ("webexdomainverification", "Cisco Webex"),
    ("citrix-verification-code=", "Citrix"),
    ("miro-verification=", "Miro"),
    ("onetrust-domain-verification=", "OneTrust"),
    ("knowbe4-site-verification=", "KnowBe4"),
)
M365_TENANT = re.compile(r"\._domainkey\.([a-z0-9-]+)\.onmicrosoft\.com$")


@check(
    id="domain.dns.saas-verification",
    control="domain.saas_verification",
    source="dns",
    severity=Severity.MEDIUM,
)
def saas_verification(facts: DnsFacts, ctx: CheckContext) -> Iterator[Finding]:
    if err := _error(facts.txt):
        yield ctx.error(ctx.target.asset, err)
        return
    txt = facts.txt.ok
    evidence = [txt.evidence()]  # all TXT records, recognised or not
    found = 0
    for record in txt.records:
        low = record.lower()
        service = next((name for prefix, name in VERIFICATION_PREFIXES
                        if low.startswith(prefix)), None)
        if service is None:
            continue
        found += 1
        yield ctx.finding(
            asset=ctx.target.asset, holder=Holder.THIRD_PARTY, status=Status.MANUAL,
            title=f"{service} account verified for the domain",
            detail=f"A {service} account has verified {facts.domain} (TXT record "
                   f"'{record[:80]}'). DNS cannot show whose account it is: confirm it is "
                   "your company's.", evidence=evidence, key=f"txt:{low[:60]}")
    tenants: set[str] = set()
    for d in facts.dkim:
        if err := d.cname.error:  # the tenant it may name cannot be seen
            found += 1
            yield ctx.error(ctx.target.asset, err, key=f"dkim-cname:{d.selector}")
            continue
        cname = d.cname.ok
        for target in cname.records:
            m = M365_TENANT.search(target)
            if not m or f"{m.group(1)}.onmicrosoft.com" in tenants:
                continue
            tenant = f"{m.group(1)}.onmicrosoft.com"
            tenants.add(tenant)
            who = tenant_attribution(ctx, tenant, f"DKIM {d.selector} of {facts.domain}")
            found += 1
            if who.holder is Holder.PROVIDER:
                detail = (f"The DKIM selector CNAMEs of {facts.domain} point into the "
                          f"provider's Microsoft 365 tenant {tenant} ({who.party}): the "
                          "provider's tenant signs your mail and has verified your domain.")
            elif who.holder is Holder.CLIENT:
                detail = (f"The DKIM selector CNAMEs of {facts.domain} name your own "
                          f"Microsoft 365 tenant {tenant}.")
            else:
                detail = (f"The DKIM selector CNAMEs of {facts.domain} name the Microsoft "
                          f"365 tenant {tenant}: check that this tenant is your company's "
                          "(its global administrators, and the billing account).")
            yield ctx.finding(
                asset=ctx.target.asset, holder=who.holder,
                status=Status.MANUAL if who.holder is Holder.THIRD_PARTY else None,
                title="Microsoft 365 tenant named by the DKIM records", detail=detail,
                evidence=[cname.evidence()], key=f"m365:{tenant}")
    if not found:
        yield _none(ctx, f"No service verification token among the {len(txt.records)} "
                         f"TXT record(s) of {facts.domain}.", evidence)
