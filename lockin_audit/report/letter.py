"""letter.md and letter.html: a firm, polite request from the client to the outgoing
provider to hand over everything the scan found held in the provider's name.

Written with every scan (companion outputs) unless the provider holds nothing. The letter
is grouped by system (domains, Microsoft 365, Azure, AWS, contracts and lines, credentials
and backups), one table per group: the item, what is asked and by when (the date of the
hand-over plan's step, lockin_audit.report.owner). What each kind of request means is
written once, not once per item. An annex, the checklist, names every item the provider
holds on a line of its own (what it is, the request it belongs to, the reference of its
finding in the report), so that the provider can act on the letter alone and the business
can tick items off. It asks for credentials to be handed over securely and never contains
any.

The letter stays a letter at any scale: a request row names at most THINGS_NAMED things
and counts the rest, and the checklist names at most LINES_NAMED items per request and
counts the rest, pointing at letter-checklist.csv, a companion written only then, which
lists every item (request, item, reference, finding id) for a spreadsheet. A scan of
5,000 domains gives a letter of a few pages and a CSV of every item, not a letter of
thousands of lines.

Both files come from one `Letter` built here; each template escapes for its own format
(Markdown escaping in letter.md, HTML autoescaping in letter.html).
"""

from __future__ import annotations

import datetime as dt
import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field

from lockin_audit import catalogue
from lockin_audit.model import Finding, ScanResult, Status, human_date
from lockin_audit.report.common import provider_findings, render_template, scan_date
from lockin_audit.report.interface import Renderer
from lockin_audit.report.owner import KIND_LABELS, due_by, owner_view

RESPONSE_DAYS = 14

# What to ask the provider for, per control, from the control catalogue
# (lockin_audit/catalogue); the area fallback and then a generic request cover controls
# of plugins. What each kind of request means is written once in the letter after its
# short name (SHORT_ASKS): "Transfer the registration: make us the registrant, ...".
ASKS: dict[str, str] = {c.id: c.ask for c in catalogue.controls().values()}
# The short name of each kind of request, used in the tables (the full ask is written
# once under each group).
SHORT_ASKS: dict[str, str] = {c.id: c.short_ask for c in catalogue.controls().values()}
AREA_ASKS: dict[str, str] = {
    "domain": "transfer control of this domain setting to us.",
    "aws": "transfer control of this AWS resource to our own account.",
    "azure": "transfer control of this Azure resource to us.",
    "m365": "transfer control of this Microsoft 365 setting to us.",
    "gws": "transfer control of this Google Workspace setting to us.",
    "gcp": "transfer control of this Google Cloud resource to us.",
    "contract": "assign this contract to us.",
    "custody": "hand over what you hold for this asset securely.",
    "network": "hand over, or plan the move of, this network resource.",
}
GENERIC_ASK = "hand over control of this asset to us."

# Letter sections: the map's row kinds, with lines and addresses together.
GROUP_OF_KIND: dict[str, str] = {"network": "contract"}
GROUP_TITLES: dict[str, str] = {**KIND_LABELS, "contract": "Contracts and lines"}
REF_LENGTH = 8  # finding ids are shown (and searchable in report.html) by their first 8
THINGS_NAMED = 10  # things named in a request's row; the rest counted (the demo: 5 at most)
LINES_NAMED = 60  # checklist items named per request; the rest in letter-checklist.csv
CHECKLIST_CSV = "letter-checklist.csv"


def ask_for(f: Finding) -> str:
    return ASKS.get(f.control) or AREA_ASKS.get(f.area) or GENERIC_ASK


def short_id(asset_id: str) -> str:
    """An ARN by its resource part ("key/c6fe..."), anything else as it is."""
    if asset_id.startswith("arn:") and asset_id.count(":") >= 5:
        return asset_id.split(":", 5)[5]
    return asset_id


def part_label(f: Finding) -> str:
    """How a part of a thing is named in a table: its name, shortened where the name only
    decorates an id ("203.0.113.10/32 (web address of ...)" -> the CIDR) or is an Entra
    guest's generated sign-in name ("admin_bobsit.example#EXT#@tenant..." -> the part
    before #EXT#). The references give the full record."""
    name, ident = f.asset.name, f.asset.id
    if not name or name.startswith(ident + " "):
        return short_id(ident)
    if "#EXT#" in name:
        return name.split("#EXT#", 1)[0]
    return name


_KEY_PREFIXES = ("phone:", "classic:", "user:", "group:", "serviceAccount:", "domain:",
                 "deleted:", "principal:")
ITEM_TEXT_MAX = 70


def own_part(f: Finding, thing: str) -> str:
    """The part of a thing a finding is about ("admin_bobsit.example" of a tenant), or ""
    when the finding is about the thing itself (its name, in any case, is the thing's)."""
    part = part_label(f)
    return part if part and part.casefold() != thing.casefold() else ""


def key_text(f: Finding, thing: str) -> str:
    """What a finding's key says, when it reads as a name ("+1 555 0100 111", "mx",
    "www", "privacy:privacy@bobsit.example"); "" for paths, long ids or nothing."""
    key = f.key.strip().split("|")[-1]
    if not key or "/" in key or len(key) > 60:
        return ""
    for prefix in _KEY_PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix):]
    return "" if key.casefold() == thing.casefold() else key


_WHO_HOLDS = re.compile(r"^(?:The |A |An )?(?P<who>.+?) (?P<verb>holds|has|manages) "
                        r"(?P<what>.+?)(?: on | of |$)")


_LONG_GUID = re.compile(r"(?<=[\s(:])([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                        r"[0-9a-f]{12}\b", re.I)


def short_guids(text: str) -> str:
    """A GUID that qualifies an item ("(ForeignGroup f0e1a000...)", "exclude:a11ce000...")
    by its first 8 characters; a GUID that is the item's own name ("key/28bed5c6-...")
    stays whole. The reference leads to the full record. (letter.md only.)"""
    return _LONG_GUID.sub(r"\1...", text)


def detail_text(f: Finding) -> str:
    """Who holds what, from the first sentence of the detail ("guest Bob's IT Admin
    (admin@bobsit.example): User Access Administrator"), else that sentence shortened."""
    sentence = f.detail.strip().split(". ", 1)[0].rstrip(".")
    m = _WHO_HOLDS.match(sentence)
    if m:
        who = m.group("who")
        for prefix in _KEY_PREFIXES:
            who = who.removeprefix(prefix)
        what = m.group("what")
        text = f"{who}: {what}" if m.group("verb") != "manages" else f"{who}: manages {what}"
        if len(text) <= 2 * ITEM_TEXT_MAX:
            return text
        sentence = text
    if len(sentence) > ITEM_TEXT_MAX:
        sentence = sentence[:ITEM_TEXT_MAX].rsplit(" ", 1)[0] + "..."
    return sentence


def ref(f: Finding) -> str:
    return f.id[:REF_LENGTH]


@dataclass
class Request:
    """One line of a table: one kind of request, by one date, about one or more things of
    a group (three domains' registrations are one request; an account's three provider
    roles are one request, naming two of them and counting the rest)."""

    number: int
    things: list[str]  # what the business must hold (the asset map's rows)
    parts: list[str]  # parts of a single thing concerned, when not the thing itself
    what: str
    control: str
    by: dt.date
    urgent: bool  # due before the general response date
    accepted_until: dt.date | None
    findings: list[Finding]
    thing_of: dict[str, str] = field(default_factory=dict)  # finding id -> its thing

    @property
    def item(self) -> str:
        return ", ".join(self.things)

    @property
    def label(self) -> str:
        """The request's row: its things, the first THINGS_NAMED of them named and the
        rest counted (the checklist and letter-checklist.csv name every one)."""
        if len(self.things) <= THINGS_NAMED:
            return self.item
        return (", ".join(self.things[:THINGS_NAMED])
                + f" and {len(self.things) - THINGS_NAMED:,} more")

    @property
    def refs(self) -> list[str]:
        return [ref(f) for f in self.findings]

    @property
    def lines(self) -> list[tuple[str, str]]:
        """(item, reference) per finding: the checklist lines of this request. An item is
        named by its part of the thing ("admin_bobsit.example"), or by the thing itself
        when it is the only finding about it, or by the thing and what distinguishes it
        ("acmedental.com: spf"); the thing is prefixed when the request has several."""
        several = len(self.things) > 1
        item = self.item  # joined once: a request may name thousands of things
        bare: dict[str, int] = {}    # findings about the thing itself, per thing
        unkeyed: dict[str, int] = {}  # ... of which the key names nothing
        for f in self.findings:
            thing = self.thing_of.get(f.id, item)
            if not own_part(f, thing):
                bare[thing] = bare.get(thing, 0) + 1
                if not key_text(f, thing):
                    unkeyed[thing] = unkeyed.get(thing, 0) + 1
        out = []
        for f in self.findings:
            thing = self.thing_of.get(f.id, item)
            part = own_part(f, thing)
            if part:
                text = f"{thing}: {part}" if several else part
            elif bare[thing] == 1:
                text = thing
            elif unkeyed.get(thing) == 1 and not key_text(f, thing):
                text = thing  # the one finding about the thing itself among its parts
            else:
                aspect = key_text(f, thing) or detail_text(f)
                text = f"{thing}: {aspect}" if several else aspect
            out.append((text, ref(f)))
        # two findings about one part (a role two checks report on): tell them apart by
        # their keys, else by who holds what
        for tell in (lambda f, t: key_text(f, t), lambda f, t: detail_text(f)):
            seen: dict[str, int] = {}
            for text, _ in out:
                seen[text.casefold()] = seen.get(text.casefold(), 0) + 1
            if all(n == 1 for n in seen.values()):
                break
            for i, f in enumerate(self.findings):
                text = out[i][0]
                if seen[text.casefold()] > 1:
                    extra = tell(f, self.thing_of.get(f.id, item))
                    if extra and extra.casefold() not in text.casefold():
                        out[i] = (f"{text} ({extra})", out[i][1])
        return out


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

    @property
    def checklist(self) -> list[tuple[int, list[tuple[str, str]], int]]:
        """(request number, [(item, reference)], items not named) in request order: the
        first LINES_NAMED items of each request (letter-checklist.csv has every one)."""
        out = []
        for r in self.requests:
            lines = r.lines
            out.append((r.number, lines[:LINES_NAMED], max(0, len(lines) - LINES_NAMED)))
        return out

    @property
    def checklist_by_request(self) -> list[tuple[int, list[tuple[str, str]], int]]:
        """The checklist in the compact form of letter.md: an item that is the request's
        own thing (named in its row) is given by its reference alone ("" as its text)."""
        items = {r.number: r.item for r in self.requests}
        return [(number, [("" if t == items[number] else short_guids(t), ref_)
                          for t, ref_ in lines], more)
                for number, lines, more in self.checklist]

    @property
    def checklist_cut(self) -> bool:
        """Whether the letter names only part of the checklist (letter-checklist.csv is
        then written beside it, with every item)."""
        return any(len(r.findings) > LINES_NAMED for r in self.requests)


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
                    what = f"Keep running for now (accepted until {human_date(accepted)})"
                req = by_request[key] = Request(0, [row.label], [], what, f.control, by,
                                                False, accepted, [])
                group.requests.append(req)
                if f.control not in explained and not accepted:
                    explained.add(f.control)
                    group.asks.append((what, ask_for(f)))
            req.findings.append(f)
            req.thing_of[f.id] = row.label
            req.by = min(req.by, by)
            part = part_label(f)
            if part.casefold() != row.label.casefold() and part not in req.parts:
                req.parts.append(part)
    order = [k for k, _ in _GROUP_ORDER]
    ordered = [groups[k] for k in order if k in groups] + [
        g for k, g in groups.items() if k not in order]
    for g in ordered:
        g.requests = _merged(g.requests)
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

# The letter of each result being written: letter.md, letter.html and letter-checklist.csv
# are one letter (its owner view and plan are the larger part of the reports' time at
# thousands of domains). An entry lives as long as its result, never longer.
_LETTERS: dict[int, Letter] = {}


def letter_of(result: ScanResult) -> Letter:
    """build_letter(result), built once per result object (the renderers of one
    `write_reports` share it)."""
    key = id(result)
    letter = _LETTERS.get(key)
    if letter is None:
        letter = _LETTERS[key] = build_letter(result)
        weakref.finalize(result, _LETTERS.pop, key, None)
    return letter


def _merged(requests: list[Request]) -> list[Request]:
    """One request per kind and date within a group, listing the things it is about."""
    out: dict[tuple[str, str, dt.date, dt.date | None], Request] = {}
    for r in requests:
        key = (r.control, r.what, r.by, r.accepted_until)
        first = out.get(key)
        if first is None:
            out[key] = r
            continue
        known = set(first.things)
        first.things.extend(t for t in r.things if t not in known)
        first.findings.extend(r.findings)
        first.thing_of.update(r.thing_of)
        first.parts = []  # several things: each is named; the checklist names every part
    return list(out.values())


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
        return render_template(self.kind, self.template, letter=letter_of(result),
                               ranges=number_ranges, lines_named=LINES_NAMED,
                               checklist_csv=CHECKLIST_CSV)


class LetterHtmlRenderer(LetterRenderer):
    name = "letter_html"
    filename = "letter.html"
    template = "letter.html.j2"
    kind = "html"


CHECKLIST_COLUMNS = ("request", "item", "reference", "finding_id", "thing", "what_we_ask",
                     "by")


class LetterChecklistRenderer(Renderer):
    """letter-checklist.csv: every item of the letter's checklist, one row each, written
    beside the letter when the letter names only part of it (LINES_NAMED per request);
    formula triggers neutralised as in report.csv."""

    name = "letter_checklist"
    filename = CHECKLIST_CSV
    encoding = "utf-8-sig"

    def wanted(self, result: ScanResult) -> bool:
        return bool(letter_findings(result)) and letter_of(result).checklist_cut

    def render(self, result: ScanResult) -> str:
        return "".join(self.chunks(result))

    def chunks(self, result: ScanResult) -> Iterator[str]:
        from lockin_audit.report.csv_format import csv_chunks

        return csv_chunks(CHECKLIST_COLUMNS, (
            (r.number, text, reference, f.id, r.thing_of.get(f.id, ""), r.what,
             r.by.isoformat())
            for r in letter_of(result).requests
            for f, (text, reference) in zip(r.findings, r.lines, strict=True)))
