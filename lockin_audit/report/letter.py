"""letter.md: a formal request from the client to the outgoing provider to hand over or
transfer everything the scan found held in the provider's name.

Written with every scan (a companion output) unless the provider holds nothing. Each item
says what to hand over for its control (admin credentials, a domain's transfer code, an
account or subscription transfer, a contract assignment), the check's numbered steps, the
asset, and a deadline; the letter ends with a response date and a sign-off table. It asks
for credentials to be handed over securely and never contains any.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lockin_audit.model import Finding, ScanResult, Status
from lockin_audit.report.common import provider_findings, render_template, scan_date, steps
from lockin_audit.report.interface import Renderer

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
    "listed below, or a written plan to move them.",
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
AREA_ASKS: dict[str, str] = {
    "domain": "Transfer control of this domain setting to us.",
    "aws": "Transfer control of this AWS resource to our own account.",
    "azure": "Transfer control of this Azure resource to us.",
    "m365": "Transfer control of this Microsoft 365 setting to us.",
    "contract": "Assign this contract to us.",
    "custody": "Hand over what you hold for this asset securely.",
    "network": "Hand over, or plan the move of, this network resource.",
}
GENERIC_ASK = "Hand over control of this asset to us."


def ask_for(f: Finding) -> str:
    return ASKS.get(f.control) or AREA_ASKS.get(f.area) or GENERIC_ASK


@dataclass
class Item:
    number: int
    finding: Finding
    ask: str
    steps: list[str]
    deadline: dt.date
    urgent: bool  # its own deadline comes before the general response date


def items(result: ScanResult, response: dt.date) -> list[Item]:
    out: list[Item] = []
    for n, f in enumerate((f for f in provider_findings(result)
                           if f.status is not Status.PASS), 1):
        deadline = min(f.due, response) if f.due else response
        out.append(Item(n, f, ask_for(f), steps(f.remediation), deadline,
                        bool(f.due and f.due < response)))
    return out


class LetterRenderer(Renderer):
    name = "letter"
    filename = "letter.md"

    def wanted(self, result: ScanResult) -> bool:
        return any(True for f in provider_findings(result) if f.status is not Status.PASS)

    def render(self, result: ScanResult) -> str:
        today = scan_date(result)
        response = today + dt.timedelta(days=RESPONSE_DAYS)
        providers = [str(p.get("name") or "") for p in result.provider if p.get("name")]
        return render_template(
            "md", "letter.md.j2", r=result, today=today, response=response,
            items=items(result, response),
            client=str(result.client.get("name") or "[Client name]"),
            provider=" / ".join(providers) or "[Provider name]")
