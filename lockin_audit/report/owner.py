"""The owner's view of a scan: the asset map, the hand-over plan and the blockers per asset.

A business owner does not think in checks and controls but in things they must hold (a
domain, an AWS account, a Microsoft 365 tenant, a contract, a system with an admin login)
and in what to do first. This module turns a ScanResult into exactly that, in plain Python
that the tests exercise directly; the templates (HTML report, Markdown report, letter) only
display it.

- Rows: one per thing the business must hold. Findings on parts of a thing (an IAM role of
  an AWS account, a resource group of a subscription, a guest user of a tenant) land on the
  row of that thing.
- Families: one column per kind of control (registration, DNS, mail, web and certificates,
  billing and ownership, admin access, keys and backups, contract).
- Cells: who holds that family of that thing (you / your provider / a third party /
  unknown / not checked), decided from its findings.
- The plan: hand-over steps in a safe order (admin access first, then billing and
  ownership, registration, DNSSEC, DNS, mail, web, addresses, keys and data, then each
  contract by its notice date), each with a date derived from the deadlines.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from lockin_audit import catalogue
from lockin_audit.model import (
    Finding,
    Holder,
    ScanResult,
    Status,
    held_by_provider,
    sort_findings,
)

# ---------------------------------------------------------------- vocabulary

FAMILIES: tuple[tuple[str, str], ...] = (
    ("registration", "Registration"),
    ("dns", "DNS"),
    ("mail", "Mail"),
    ("web", "Web & certificates"),
    ("billing", "Billing & ownership"),
    ("admin", "Admin access"),
    ("keys", "Keys & backups"),
    ("contract", "Contract"),
)
FAMILY_LABELS: dict[str, str] = dict(FAMILIES)

# The family of every catalogued control (lockin_audit/catalogue).
FAMILY_OF: dict[str, str] = {c.id: c.family for c in catalogue.controls().values()}
# Controls of plugins (not in the catalogue): by what they are about.
_FAMILY_BY_WHAT: dict[str, str] = {
    "billing": "billing", "contacts": "billing", "organization": "billing",
    "tenant": "billing", "admins": "admin", "access": "admin", "apps": "admin",
    "partner": "admin", "identity": "admin", "domains": "dns", "keys": "keys",
    "backups": "keys", "registration": "registration", "dns": "dns", "mail": "mail",
    "web": "web", "certificates": "web", "holder": "contract", "deadline": "contract",
}


def family_of(control: str) -> str:
    if control in FAMILY_OF:
        return FAMILY_OF[control]
    what = control.partition(".")[2]
    return _FAMILY_BY_WHAT.get(what, "admin")


# Who holds a cell, in the words and symbols the map shows (colour is never the only cue).
CELL_STATES: tuple[str, ...] = ("provider", "unknown", "not_checked", "third_party", "you")
CELL_WORDS: dict[str, str] = {
    "you": "You", "provider": "Provider", "third_party": "Vendor", "unknown": "Unknown",
    "not_checked": "Not checked", "": "",
}
CELL_SYMBOLS: dict[str, str] = {
    "you": "✓", "provider": "✗", "third_party": "◆", "unknown": "?", "not_checked": "–",
    "": "",
}

# Row kinds, in the order the map and the letter list them.
KINDS: tuple[tuple[str, str], ...] = (
    ("domain", "Domains"),
    ("m365", "Microsoft 365"),
    ("azure", "Azure"),
    ("aws", "AWS"),
    ("google", "Google Workspace and Cloud"),
    ("contract", "Contracts and lines"),
    ("custody", "Credentials and backups"),
    ("network", "Internet addresses"),
    ("other", "Other"),
)
KIND_LABELS: dict[str, str] = dict(KINDS)

# ---------------------------------------------------------------- rows


@dataclass
class Cell:
    family: str
    state: str  # one of CELL_STATES, or "" when nothing was checked for it (not applicable)
    findings: list[Finding] = field(default_factory=list)

    @property
    def word(self) -> str:
        return CELL_WORDS[self.state]

    @property
    def symbol(self) -> str:
        return CELL_SYMBOLS[self.state]

    @property
    def open_count(self) -> int:
        """Findings in this cell that ask for something (not held by you)."""
        return sum(1 for f in self.findings if f.status is not Status.PASS)


@dataclass
class AssetRow:
    key: str  # anchor-safe
    kind: str
    label: str  # the thing's name as a person says it
    ident: str  # its id, shown in smaller type ("" when the label is the id)
    findings: list[Finding] = field(default_factory=list)
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def anchor(self, family: str | None = None) -> str:
        return f"a-{self.key}" + (f"-{family}" if family else "")

    def by_family(self) -> list[tuple[str, list[Finding]]]:
        """Its findings grouped by family (map order), worst first within each."""
        out: list[tuple[str, list[Finding]]] = []
        for fam, _ in FAMILIES:
            fs = [f for f in self.findings if family_of(f.control) == fam]
            if fs:
                out.append((fam, sort_findings(fs)))
        return out


_SLUG = re.compile(r"[^a-z0-9]+")
_ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:[^:]*:[^:]*:(\d{12}):")
_AWS_ACCOUNT_ID = re.compile(r"^arn:aws[a-z-]*:::account/(\d{12})$")
_SUBSCRIPTION = re.compile(r"^/subscriptions/([^/]+)", re.I)
_M365_TYPES = frozenset({"m365_tenant", "azure_tenant", "entra_user", "entra_service_principal",
                         "entra_group", "entra_object", "m365_partner", "m365_app",
                         "m365_ca_policy"})
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:60] or "x"


def _read_name(name: str | None, ident: str) -> str | None:
    """A name that was read (not the id again, not a bare GUID), else None."""
    if not name or name == ident or _GUID.match(name) or ident.endswith("/" + name):
        return None
    return name


class _RowIndex:
    """Decides the row of each finding (two passes: accounts and tenants first)."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.aws_accounts: dict[str, str] = {}  # id -> label
        self.tenants: dict[str, str] = {}
        self.subscriptions: dict[str, str] = {}
        self.workspaces: dict[str, str] = {}
        # the name read for an asset by any finding (several checks report on one asset;
        # not every one of them reads its display name): a name, never a bare GUID
        self.names: dict[str, str] = {}
        for f in findings:
            name = _read_name(f.asset.name, f.asset.id)
            if name:
                self.names.setdefault(f.asset.id, name)
        for f in findings:
            a = f.asset
            if a.type == "google_workspace":
                self.workspaces.setdefault(a.id, f"Google Workspace {a.name or a.id}")
            m = _AWS_ACCOUNT_ID.match(a.id)
            if a.type == "aws_account" and m:
                self.aws_accounts.setdefault(m.group(1), a.name or f"AWS account {m.group(1)}")
            elif a.type in ("m365_tenant", "azure_tenant"):
                if a.type == "m365_tenant" or a.id not in self.tenants:
                    self.tenants[a.id] = (self.names.get(a.id) or self.tenants.get(a.id)
                                          or f"Tenant {a.id}")
            elif a.type == "azure_subscription":
                sub = _SUBSCRIPTION.match(a.id)
                if sub:
                    sid = sub.group(1).lower()
                    name = self.names.get(a.id) or self.names.get(f"/subscriptions/{sid}")
                    if name or sid not in self.subscriptions:
                        self.subscriptions[sid] = name or (
                            f"Azure subscription {sid} (name not readable)")

    def name(self, f: Finding) -> str:
        """The asset's name as read by any finding, else its id."""
        return self.names.get(f.asset.id) or f.asset.id

    def row_of(self, f: Finding) -> tuple[str, str, str, str]:
        """(kind, key, label, ident) of the row a finding belongs to."""
        a = f.asset
        if a.type == "domain" or (f.area == "domain" and "." in a.id and " " not in a.id):
            return "domain", "d-" + slug(a.id), a.id, ""
        if a.type.startswith("aws_") or f.area == "aws":
            account = self._aws_account(a.id)
            if account:
                label = self.aws_accounts.get(account) or f"AWS account {account}"
                return "aws", "aws-" + account, label, account
            return "aws", "aws-" + slug(a.id), self.name(f), a.id
        if a.type in _M365_TYPES or a.type.startswith("intune_"):
            tenant = a.id if a.id in self.tenants else (
                next(iter(self.tenants)) if len(self.tenants) == 1 else "")
            if tenant:
                return "m365", "t-" + slug(tenant), self.tenants[tenant], tenant
            return "m365", "t-" + slug(a.id), self.name(f), a.id
        if a.type == "azure_management_group":
            return "azure", "mg-" + slug(a.id), self.name(f), a.id
        sub = _SUBSCRIPTION.match(a.id)
        if a.type.startswith("azure") and sub:
            sid = sub.group(1).lower()
            label = self.subscriptions.get(sid) or f"Azure subscription {sid}"
            return "azure", "s-" + slug(sid), label, f"/subscriptions/{sid}"
        if f.area == "gws" and a.type != "domain":
            # One row per Workspace account: its users and apps are details of it.
            ws = a.id if a.id in self.workspaces else (
                next(iter(self.workspaces)) if len(self.workspaces) == 1 else "")
            if ws:
                return "google", "g-" + slug(ws), self.workspaces[ws], ws
            return "google", "g-" + slug(a.id), self.name(f), a.id
        if f.area == "gcp":
            return "google", "g-" + slug(a.id), self.name(f), a.id
        if a.type == "contract" or f.area == "contract":
            name = self.name(f)  # "internet line: Metro Fiber Co" -> "Internet line: ..."
            return "contract", "c-" + slug(a.id), name[:1].upper() + name[1:], a.id
        if a.type in ("system", "backup", "device") or f.area == "custody":
            return "custody", "k-" + slug(a.id), self.name(f), ""
        if a.type == "ip_block" or f.area == "network":
            return "network", "ip", "IP addresses", ""
        return "other", "o-" + slug(a.id), self.name(f), a.id

    def _aws_account(self, asset_id: str) -> str:
        m = _AWS_ACCOUNT_ID.match(asset_id) or _ARN_ACCOUNT.match(asset_id)
        if m and m.group(1) in self.aws_accounts:
            return m.group(1)
        if len(self.aws_accounts) == 1:  # a volume id, an SSO instance, a share from afar
            return next(iter(self.aws_accounts))
        return m.group(1) if m else ""


def cell_state(findings: Sequence[Finding]) -> str:
    """provider > unknown > not checked > third party > you; "" when there is nothing."""
    if not findings:
        return ""
    judged = [f for f in findings if f.status is not Status.ERROR]
    holders = {f.holder for f in judged}
    if Holder.PROVIDER in holders:
        return "provider"
    if Holder.UNKNOWN in holders:
        return "unknown"
    if len(judged) < len(findings):
        return "not_checked"
    if Holder.THIRD_PARTY in holders:
        return "third_party"
    return "you"


def asset_rows(findings: Sequence[Finding]) -> list[AssetRow]:
    index = _RowIndex(findings)
    rows: dict[str, AssetRow] = {}
    for f in findings:
        kind, key, label, ident = index.row_of(f)
        row = rows.get(key)
        if row is None:
            row = rows[key] = AssetRow(key, kind, label, ident if ident != label else "")
        row.findings.append(f)
    kind_order = {k: i for i, (k, _) in enumerate(KINDS)}
    out = sorted(rows.values(), key=lambda r: (kind_order.get(r.kind, 99), r.label.lower(),
                                               r.key))
    for row in out:
        row.findings = sort_findings(row.findings)
        for fam, _ in FAMILIES:
            fs = [f for f in row.findings if family_of(f.control) == fam]
            row.cells[fam] = Cell(fam, cell_state(fs), fs)
    return out


# ---------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Phase:
    key: str
    title: str
    reason: str
    controls: frozenset[str]


def _phase_controls(key: str) -> frozenset[str]:
    """The catalogued controls whose hand-over step is `key`."""
    return frozenset(c.id for c in catalogue.controls().values() if c.phase == key)


PHASES: tuple[Phase, ...] = (
    Phase("admin", "Regain admin access and credentials",
          "Nothing else can be done without it: with your own administrator logins you can "
          "act on every later step yourself, and no one can lock you out halfway.",
          _phase_controls("admin")),
    Phase("billing", "Take over billing and account ownership",
          "Whoever pays for an account or receives its notices can close or suspend it; "
          "put every account in your name before moving what runs in it.",
          _phase_controls("billing")),
    Phase("registration", "Transfer the domain registrations",
          "The registrant legally controls where a domain points: secure the registration "
          "before touching DNS, and before any expiry date.",
          _phase_controls("registration")),
    Phase("dnssec", "Prepare DNSSEC for the DNS move",
          "A signed domain goes dark if its nameservers move while the old keys are still "
          "published: remove the DS record at the registrar (or add the new host's keys), "
          "wait a day for it to expire, and only then move DNS.",
          _phase_controls("dnssec")),
    Phase("dns", "Move DNS hosting",
          "Mail and websites are found through DNS: take a copy of every record and move "
          "DNS before changing mail or web.",
          _phase_controls("dns")),
    Phase("mail", "Move mail routing and reports",
          "Mail records live in DNS: change them once you control the zone, so that no "
          "message is lost.",
          _phase_controls("mail")),
    Phase("web", "Move websites and certificates",
          "Websites and their certificates follow DNS; move them once the records are "
          "yours.",
          _phase_controls("web")),
    Phase("addresses", "Move or renumber IP addresses",
          "Addresses held by the provider are withdrawn when you leave: renumber servers "
          "after DNS is yours, so that only records change.",
          _phase_controls("addresses")),
    Phase("keys", "Take over keys, backups and data",
          "Copy data and keys only into accounts you already own, and keep the old copies "
          "until you have restored from the new ones.",
          _phase_controls("keys")),
)
CONTRACT_REASON = ("A contract renews or ends on its own terms: give notice, or have it "
                   "assigned to you, before its notice date.")
PHASE_DAYS = 7  # time allowed per step when no deadline is nearer
MARGIN_DAYS = 7  # act this long before a hard date


def _phase_for(f: Finding) -> str:
    for phase in PHASES:
        if f.control in phase.controls:
            return phase.key
    if f.area == "contract":
        return "contract"
    fam = family_of(f.control)
    return {"admin": "admin", "billing": "billing", "registration": "registration",
            "dns": "dns", "mail": "mail", "web": "web", "keys": "keys",
            "contract": "contract"}.get(fam, "admin")


@dataclass
class PlanLink:
    label: str
    anchor: str  # the first of the step's findings on that row


@dataclass
class PlanStep:
    number: int
    key: str
    title: str
    reason: str
    by: dt.date
    hard_date: dt.date | None  # the earliest deadline among its findings
    findings: list[Finding]
    links: list[PlanLink]

    @property
    def provider_count(self) -> int:
        return sum(1 for f in self.findings if held_by_provider(f))


def wants_action(f: Finding) -> bool:
    """In the plan: what is not yet the client's (provider-held, risks, evidence to collect).
    Errors go to "what could not be checked"; accepted findings are left with the provider."""
    return f.status in (Status.FAIL, Status.WARN, Status.MANUAL) and not is_accepted(f)


def is_accepted(f: Finding) -> bool:
    return f.accepted is not None


def _links(findings: Sequence[Finding], row_of: Mapping[str, AssetRow]) -> list[PlanLink]:
    seen: dict[str, PlanLink] = {}
    for f in findings:
        row = row_of[f.id]
        if row.key not in seen:
            seen[row.key] = PlanLink(row.label, f"f-{f.id}")
    return list(seen.values())


def _earliest(findings: Iterable[Finding]) -> dt.date | None:
    dues = [f.due for f in findings if f.due]
    return min(dues) if dues else None


def plan(result: ScanResult, rows: Sequence[AssetRow], today: dt.date) -> list[PlanStep]:
    row_of = {f.id: r for r in rows for f in r.findings}
    todo = [f for f in sort_findings(result.findings) if wants_action(f)]
    by_phase: dict[str, list[Finding]] = {}
    for f in todo:
        by_phase.setdefault(_phase_for(f), []).append(f)

    steps: list[PlanStep] = []
    for phase in PHASES:
        fs = by_phase.get(phase.key)
        if not fs:
            continue
        by = today + dt.timedelta(days=PHASE_DAYS * (len(steps) + 1))
        hard = _earliest(fs)
        if hard:
            by = min(by, max(today, hard - dt.timedelta(days=MARGIN_DAYS)))
        steps.append(PlanStep(0, phase.key, phase.title, phase.reason, by, hard, fs,
                              _links(fs, row_of)))
    # an earlier step can never be due after a later one (the order is the point)
    for i in range(len(steps) - 2, -1, -1):
        steps[i].by = min(steps[i].by, steps[i + 1].by)

    # each contract by its own notice date
    last = steps[-1].by if steps else today + dt.timedelta(days=PHASE_DAYS)
    contracts: dict[str, list[Finding]] = {}
    for f in by_phase.get("contract", []):
        contracts.setdefault(row_of[f.id].key, []).append(f)
    contract_steps: list[PlanStep] = []
    for key, fs in contracts.items():
        row = next(r for r in rows if r.key == key)
        hard = _earliest(fs)
        by = max(today, hard - dt.timedelta(days=MARGIN_DAYS)) if hard else last
        contract_steps.append(PlanStep(0, "contract", f"Contract: {row.label}",
                                       CONTRACT_REASON, by, hard, fs, _links(fs, row_of)))
    contract_steps.sort(key=lambda s: (s.by, s.title))
    # each contract takes its place in the timetable by date, without reordering the
    # chain of steps above (a contract due early comes before the later steps)
    out = list(steps)
    for cs in contract_steps:
        at = next((i for i, st in enumerate(out) if st.key != "contract" and st.by > cs.by),
                  len(out))
        out.insert(at, cs)
    for n, step in enumerate(out, 1):
        step.number = n
    return out


def due_by(steps: Sequence[PlanStep]) -> dict[str, dt.date]:
    """finding id -> the date of the plan step that asks for it."""
    return {f.id: s.by for s in steps for f in s.findings}


# ---------------------------------------------------------------- blockers per asset


@dataclass
class BlockerRow:
    row: AssetRow
    findings: list[Finding]
    titles: list[tuple[str, int, str]]  # (title, how many, anchor of the first)


def blockers_by_asset(rows: Sequence[AssetRow]) -> list[BlockerRow]:
    """High and critical provider-held findings, one line per thing, its distinct issues
    once each (three access findings on one subscription are one issue, x3)."""
    out: list[BlockerRow] = []
    for row in rows:
        fs = [f for f in row.findings if held_by_provider(f) and f.severity.rank >= 3]
        if not fs:
            continue
        titles: dict[str, list[Finding]] = {}
        for f in fs:
            titles.setdefault(f.title, []).append(f)
        out.append(BlockerRow(row, fs, [(t, len(v), f"f-{v[0].id}") for t, v in titles.items()]))
    out.sort(key=lambda b: (-max(f.severity.rank for f in b.findings), -len(b.findings)))
    return out


# ---------------------------------------------------------------- plain words


def provider_name(result: ScanResult) -> str:
    names = [str(p.get("name")) for p in result.provider if p.get("name")]
    return " / ".join(names)


def client_name(result: ScanResult) -> str:
    return str(result.client.get("name") or "")


def holder_phrase(holder: Holder | str, result: ScanResult) -> str:
    """"your provider, Bob's IT Services" rather than "The provider"."""
    h = Holder(holder)
    if h is Holder.PROVIDER:
        name = provider_name(result)
        return f"Your provider, {name}" if name else "Your provider"
    if h is Holder.CLIENT:
        name = client_name(result)
        return f"You ({name})" if name else "You"
    if h is Holder.THIRD_PARTY:
        return "A third party (a vendor such as a registrar, DNS host or cloud)"
    return "Someone not yet identified"


@dataclass
class OwnerView:
    rows: list[AssetRow]
    plan: list[PlanStep]
    blockers: list[BlockerRow]
    provider: str
    client: str

    def by_kind(self) -> list[tuple[str, list[AssetRow]]]:
        """The rows under their kind's heading, in the map's order."""
        out: dict[str, list[AssetRow]] = {}
        for row in self.rows:
            out.setdefault(row.kind_label, []).append(row)
        return list(out.items())

    @property
    def legend(self) -> list[tuple[str, str, str, str]]:
        """(state, symbol, word, meaning) for the map's key."""
        meanings = {
            "you": f"you hold it{f' ({self.client})' if self.client else ''}",
            "provider": f"your provider{f', {self.provider},' if self.provider else ''} "
                        "holds it",
            "third_party": "a vendor holds it (registrar, DNS host, cloud): confirm the "
                           "account is yours",
            "unknown": "held by someone not yet identified",
            "not_checked": "could not be checked",
        }
        order = ("you", "provider", "third_party", "unknown", "not_checked")
        return [(s, CELL_SYMBOLS[s], CELL_WORDS[s], meanings[s]) for s in order]


def owner_view(result: ScanResult, today: dt.date) -> OwnerView:
    rows = asset_rows(result.findings)
    return OwnerView(rows=rows, plan=plan(result, rows, today),
                     blockers=blockers_by_asset(rows), provider=provider_name(result),
                     client=client_name(result))
