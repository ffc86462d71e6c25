"""letter.md and letter.html: a firm, polite request from the client to the outgoing
provider to hand over everything the scan found held in the provider's name.

Written with every scan (companion outputs) unless the provider holds nothing. The letter
is grouped by system (domains, Microsoft 365, Azure, AWS, contracts and lines, credentials
and backups), one table per group: the item, what is asked and by when (the date of the
hand-over plan's step, lockin_audit.report.owner), with a reference to the findings behind
it. What each kind of request means is written once, not once per item. It asks for
credentials to be handed over securely and never contains any.

Both files come from one `Letter` built here; each template escapes for its own format
(Markdown escaping in letter.md, HTML autoescaping in letter.html).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from lockin_audit.model import Finding, ScanResult, Status
from lockin_audit.report.common import provider_findings, render_template, scan_date
from lockin_audit.report.interface import Renderer
from lockin_audit.report.owner import KIND_LABELS, due_by, owner_view

RESPONSE_DAYS = 14

# What to ask the provider for, per control (the design's vocabulary); the area fallback
# and then a generic request cover controls added later or by plugins.
ASKS: dict[str, str] = {
    "domain.registration": "Transfer the domain's registration to us: make us the "
    "registrant, unlock the domain and give us its transfer authorisation (EPP) code.",
    "domain.dns_hosting": "Hand over the domain's DNS: export the complete zone file and "
    "keep the current records answering until we have moved the nameservers.",
    "domain.dnssec": "Coordinate a DNSSEC key hand-over (or a clean unsigning) so that "
    "moving the DNS does not take the domain offline.",
    "domain.mail": "Hand over mail routing and filtering: document the mail records and "
    "filtering settings, and keep delivering mail until our own service takes over.",
    "domain.mail_reports": "Stop collecting our DMARC/TLS reports and hand over the "
    "reports received so far.",
    "domain.web": "Hand over the website hosting: a full copy of the site, its data and its "
    "hosting account details.",
    "domain.certificates": "Hand over, or revoke and let us re-issue, the TLS "
    "certificates issued for our domain through your account.",
    "domain.saas_verification": "Remove or hand over the service verifications that tie "
    "our domain to accounts you control.",
    "aws.billing": "Transfer the AWS account to our own billing and organisation (remove it "
    "from your organisation or reseller billing).",
    "aws.contacts": "Change the AWS account's root email, alternate contacts and phone "
    "numbers to ours.",
    "aws.access": "Hand over administrative access to the AWS account and remove your own "
    "users and roles once we confirm our access.",
    "aws.identity": "Hand over the AWS identity configuration (IAM Identity Center or "
    "federation) to our own directory.",
    "aws.keys": "Transfer the encryption keys (KMS) to an account we control, or confirm in "
    "writing that no data depends on keys you hold.",
    "aws.network": "Hand over the network resources (addresses, VPN and connectivity) "
    "named in the table, or a written plan to move them.",
    "aws.images": "Share the machine images with, or copy them into, our own account.",
    "aws.backups": "Copy the backups into our own account and hand over any keys "
    "needed to restore them.",
    "aws.logging": "Deliver the audit logs to a destination we own.",
    "aws.domains": "Transfer the domain registrations held in your AWS account to ours.",
    "azure.tenant": "Transfer the Microsoft Azure tenant's administration to us.",
    "azure.billing": "Transfer the Azure subscription to our own billing account.",
    "azure.delegation": "Remove your delegated (Lighthouse) access to our subscriptions "
    "once we confirm our own access.",
    "azure.access": "Give our own administrators Owner access and then remove your own.",
    "azure.partner_link": "Remove your partner link (Partner Admin Link) from our "
    "subscriptions, or confirm it in writing.",
    "azure.managed_apps": "Hand over the managed applications you publish into our "
    "subscriptions, or a plan to replace them.",
    "m365.admins": "Give our own staff Global Administrator access to Microsoft 365 and then "
    "remove your administrator accounts.",
    "m365.partner": "Remove your delegated admin (GDAP/DAP) relationship with our tenant.",
    "m365.apps": "Hand over, or remove, the applications you registered with access to "
    "our tenant.",
    "m365.contacts": "Change the tenant's technical and notification contacts to ours.",
    "m365.domains": "Hand over the verified domains of our tenant and their DNS records.",
    "gws.admins": "Give our own staff super admin access to Google Workspace, then remove "
    "your administrator accounts and admin roles.",
    "gws.contacts": "Change the Workspace account's secondary (recovery) email and contact "
    "details to ours.",
    "gws.domains": "Release or verify our domains in our own Google Workspace account.",
    "gws.apps": "Hand over, or remove, the apps and domain-wide delegations you added to "
    "our Google Workspace.",
    "gws.billing": "Transfer the Google Workspace subscription to our own billing (or the "
    "reseller we choose), with the transfer token if needed.",
    "gcp.organization": "Move our Google Cloud projects into our own organization.",
    "gcp.billing": "Move our Google Cloud projects to a billing account we hold, and give "
    "us Billing Account Administrator until then.",
    "gcp.access": "Give our own staff Owner access to our Google Cloud organization and "
    "projects, then remove your users, groups and service accounts.",
    "gcp.contacts": "Change the Google Cloud Essential Contacts to our addresses.",
    "contract.holder": "Assign the contract to us (or arrange its novation) so that we "
    "become the account holder with the supplier.",
    "contract.deadline": "Do not renew the contract on our behalf; confirm the notice "
    "period and assign or terminate it as we instruct.",
    "custody.admin_credentials": "Hand over the administrator credentials securely (in "
    "person or through a shared password vault, never by plain email), then let us change "
    "them.",
    "custody.backup_keys": "Hand over the backup encryption keys securely and confirm in "
    "writing that we can restore our data with them.",
    "network.ip_space": "Confirm whether the IP addresses can move with us, and if not, "
    "give us a timetable to renumber before they are withdrawn.",
    "network.reverse_dns": "Delegate reverse DNS for our addresses to us, or update it as "
    "we instruct until the addresses move.",
}
# The short name of each kind of request, used in the tables (the full ask is written
# once under each group).
SHORT_ASKS: dict[str, str] = {
    "domain.registration": "Transfer the registration",
    "domain.dns_hosting": "Hand over DNS",
    "domain.dnssec": "Coordinate the DNSSEC hand-over",
    "domain.mail": "Hand over mail routing",
    "domain.mail_reports": "Stop collecting our mail reports",
    "domain.web": "Hand over the website",
    "domain.certificates": "Hand over certificates",
    "domain.saas_verification": "Release service verifications",
    "aws.billing": "Move the account to our billing",
    "aws.contacts": "Change the account contacts",
    "aws.access": "Hand over admin access",
    "aws.identity": "Hand over sign-in (identity)",
    "aws.keys": "Transfer encryption keys",
    "aws.network": "Hand over shared networks",
    "aws.images": "Share the machine images",
    "aws.backups": "Copy the backups to us",
    "aws.logging": "Send audit logs to us",
    "aws.domains": "Transfer the domains",
    "azure.tenant": "Transfer tenant administration",
    "azure.billing": "Move the subscription to our billing",
    "azure.delegation": "Remove delegated access",
    "azure.access": "Give us Owner, then remove yours",
    "azure.partner_link": "Remove the partner link",
    "azure.managed_apps": "Hand over managed applications",
    "m365.admins": "Give us Global Administrator",
    "m365.partner": "End the partner relationship",
    "m365.apps": "Hand over or remove your apps",
    "m365.contacts": "Change the tenant contacts",
    "m365.domains": "Hand over the tenant's domains",
    "gws.admins": "Give us super admin",
    "gws.contacts": "Change the recovery email",
    "gws.domains": "Release our domains",
    "gws.apps": "Hand over or remove your apps",
    "gws.billing": "Move Workspace to our billing",
    "gcp.organization": "Move projects to our organization",
    "gcp.billing": "Move projects to our billing",
    "gcp.access": "Give us Owner, then remove yours",
    "gcp.contacts": "Change the Essential Contacts",
    "contract.holder": "Assign the contract to us",
    "contract.deadline": "Do not renew; follow our notice",
    "custody.admin_credentials": "Hand over the admin login",
    "custody.backup_keys": "Hand over the backup key",
    "network.ip_space": "Move or renumber the addresses",
    "network.reverse_dns": "Delegate reverse DNS to us",
}
AREA_ASKS: dict[str, str] = {
    "domain": "Transfer control of this domain setting to us.",
    "aws": "Transfer control of this AWS resource to our own account.",
    "azure": "Transfer control of this Azure resource to us.",
    "m365": "Transfer control of this Microsoft 365 setting to us.",
    "gws": "Transfer control of this Google Workspace setting to us.",
    "gcp": "Transfer control of this Google Cloud resource to us.",
    "contract": "Assign this contract to us.",
    "custody": "Hand over what you hold for this asset securely.",
    "network": "Hand over, or plan the move of, this network resource.",
}
GENERIC_ASK = "Hand over control of this asset to us."

# Letter sections: the map's row kinds, with lines and addresses together.
GROUP_OF_KIND: dict[str, str] = {"network": "contract"}
GROUP_TITLES: dict[str, str] = {**KIND_LABELS, "contract": "Contracts and lines"}
REF_LENGTH = 8  # finding ids are shown (and searchable in report.html) by their first 8


def ask_for(f: Finding) -> str:
    return ASKS.get(f.control) or AREA_ASKS.get(f.area) or GENERIC_ASK


def short_id(asset_id: str) -> str:
    """An ARN by its resource part ("key/c6fe..."), anything else as it is."""
    if asset_id.startswith("arn:") and asset_id.count(":") >= 5:
        return asset_id.split(":", 5)[5]
    return asset_id


def ref(f: Finding) -> str:
    return f.id[:REF_LENGTH]


@dataclass
class Request:
    """One line of a table: one kind of request about one thing (an account's three
    provider roles are one request, naming the three)."""

    number: int
    item: str
    parts: list[str]  # the parts of the thing concerned, when not the thing itself
    what: str
    control: str
    by: dt.date
    urgent: bool  # due before the general response date
    accepted_until: dt.date | None
    findings: list[Finding]

    @property
    def refs(self) -> list[str]:
        return [ref(f) for f in self.findings]


@dataclass
class Group:
    title: str
    requests: list[Request] = field(default_factory=list)
    asks: list[tuple[str, str]] = field(default_factory=list)  # (short, full), first use


@dataclass
class TimetableLine:
    by: dt.date
    title: str
    numbers: list[int]


@dataclass
class Letter:
    client: str
    provider: str
    today: dt.date
    response: dt.date
    groups: list[Group]
    timetable: list[TimetableLine]

    @property
    def requests(self) -> list[Request]:
        return [r for g in self.groups for r in g.requests]

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.requests for f in r.findings]


def letter_findings(result: ScanResult) -> list[Finding]:
    """Everything the provider holds that is not already the client's."""
    return [f for f in provider_findings(result) if f.status is not Status.PASS]


def build_letter(result: ScanResult) -> Letter:
    today = scan_date(result)
    response = today + dt.timedelta(days=RESPONSE_DAYS)
    view = owner_view(result, today)
    dates = due_by(view.plan)
    wanted = {f.id for f in letter_findings(result)}

    groups: dict[str, Group] = {}
    explained: set[str] = set()
    by_request: dict[tuple[str, str, bool], Request] = {}
    number = 0
    for row in view.rows:
        held = [f for f in row.findings if f.id in wanted]
        for f in sorted(held, key=lambda f: _plan_order(f, dates, response)):
            accepted = f.accepted.expires if f.accepted else None
            key = (row.key, f.control, accepted is not None)
            req = by_request.get(key)
            by = dates.get(f.id) or response
            if f.due:
                by = min(by, f.due)
            if req is None:
                gkey = GROUP_OF_KIND.get(row.kind, row.kind)
                group = groups.setdefault(gkey, Group(GROUP_TITLES.get(gkey, gkey)))
                what = SHORT_ASKS.get(f.control) or _fallback_short(f)
                if accepted:
                    what = f"Keep running for now (accepted until {accepted.isoformat()})"
                req = by_request[key] = Request(0, row.label, [], what, f.control, by,
                                                False, accepted, [])
                group.requests.append(req)
                if f.control not in explained and not accepted:
                    explained.add(f.control)
                    group.asks.append((what, ask_for(f)))
            req.findings.append(f)
            req.by = min(req.by, by)
            part = f.asset.name or short_id(f.asset.id)
            if part != row.label and part not in req.parts:
                req.parts.append(part)
    order = [k for k, _ in _GROUP_ORDER]
    ordered = [groups[k] for k in order if k in groups] + [
        g for k, g in groups.items() if k not in order]
    for g in ordered:
        g.requests.sort(key=lambda r: (r.by, r.item.lower(), r.what))
        for r in g.requests:
            number += 1
            r.number = number
            r.urgent = r.by < response and r.accepted_until is None
    numbers = {f.id: r.number for g in ordered for r in g.requests for f in r.findings}
    timetable = []
    for step in view.plan:
        nums = sorted({numbers[f.id] for f in step.findings if f.id in numbers})
        if nums:
            timetable.append(TimetableLine(step.by, step.title, nums))
    return Letter(view.client or "[Client name]", view.provider or "[Provider name]", today,
                  response, ordered, timetable)


_GROUP_ORDER = [(k, v) for k, v in GROUP_TITLES.items() if k != "network"]


def _plan_order(f: Finding, dates: dict[str, dt.date], response: dt.date) -> tuple[dt.date, str]:
    return (dates.get(f.id) or response, f.control)


def _fallback_short(f: Finding) -> str:
    return {"domain": "Transfer this domain setting", "aws": "Transfer this AWS resource",
            "azure": "Transfer this Azure resource", "m365": "Transfer this setting",
            "contract": "Assign the contract to us", "custody": "Hand this over securely",
            "network": "Hand over or move this"}.get(f.area, "Hand this over")


def number_ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 5] -> "1-3, 5"."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


class LetterRenderer(Renderer):
    name = "letter"
    filename = "letter.md"
    template = "letter.md.j2"
    kind = "md"

    def wanted(self, result: ScanResult) -> bool:
        return bool(letter_findings(result))

    def render(self, result: ScanResult) -> str:
        return render_template(self.kind, self.template, letter=build_letter(result),
                               ranges=number_ranges)


class LetterHtmlRenderer(LetterRenderer):
    name = "letter_html"
    filename = "letter.html"
    template = "letter.html.j2"
    kind = "html"
