"""report.ics: every dated finding as a calendar event with a reminder ahead of it.

Notice deadlines, domain expiries and retention dates are easy to miss in a report; in
the owner's calendar they are not. One all-day VEVENT per finding with a `due` date (the
finding's stable id makes the UID, so re-importing a later scan updates the same events
instead of duplicating them), and a VALARM two weeks before (or one day before when the
date is closer than that) at 09:00 in the reader's own time (an all-day event starts at
local midnight: the trigger is that many days before it, less nine hours), so that a
reminder never goes off in the middle of the night. A calendar entry is read long after
the scan, so nothing in it is relative to the day of the scan ("20 days from today"):
dates are written out and such counts are left out of the description. The icalendar
library escapes every text value; control characters (which RFC 5545 does not allow in a
value, and which a calendar may act on) are made visible first by `safety.printable`.
"""

from __future__ import annotations

import datetime as dt
import re

from lockin_audit.model import Finding, ScanResult, Status, human_date
from lockin_audit.report.interface import Renderer
from lockin_audit.safety import printable

REMINDER_DAYS = 14
REMINDER_HOUR = 9  # the alarm's local time of day
# "(20 days from today)", "(3 days after the scan)", "(in 5 days)": true on the day of the
# scan only
_RELATIVE = re.compile(
    r"\s*\((?:in )?-?\d+ days?(?: (?:from today|after the scan|before the scan|left|ago))?\)",
    re.IGNORECASE)


def without_relative_wording(text: str) -> str:
    return _RELATIVE.sub("", text)


def alarm_trigger(lead_days: int) -> dt.timedelta:
    """`lead_days` before an all-day event, at REMINDER_HOUR local time."""
    return -(dt.timedelta(days=lead_days) - dt.timedelta(hours=REMINDER_HOUR))


def _text(value: str, *, multiline: bool = False) -> str:
    return printable(value, keep_newlines=multiline)


def _dated(result: ScanResult) -> list[Finding]:
    return [f for f in result.findings if f.due is not None and f.status is not Status.ERROR]


class IcsRenderer(Renderer):
    name = "ics"
    filename = "report.ics"

    def wanted(self, result: ScanResult) -> bool:
        return bool(_dated(result))

    def render(self, result: ScanResult) -> str:
        import icalendar

        cal = icalendar.Calendar()
        cal.add("prodid", "-//lockin-audit//deadlines//EN")
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("x-wr-calname",
                _text(f"IT lock-in deadlines: {result.client.get('name', '')}"))
        stamp = dt.datetime.fromisoformat(result.finished_at.replace("Z", "+00:00"))
        scanned = stamp.date()
        for f in sorted(_dated(result), key=lambda f: (f.due, f.id)):
            assert f.due is not None
            event = icalendar.Event()
            event.add("uid", f"{f.id}@lockin-audit")
            event.add("dtstamp", stamp)
            event.add("dtstart", f.due)
            event.add("dtend", f.due + dt.timedelta(days=1))
            asset = f.asset.name or f.asset.id
            event.add("summary", _text(f"{f.title}: {asset}"))
            event.add("description", _text("\n\n".join(part for part in (
                f"Due {human_date(f.due)}. {without_relative_wording(f.detail)}",
                f"Why it matters: {f.risk}" if f.risk else "",
                f"What to do:\n{f.remediation}",
                f"Severity: {f.severity.value}; status: {f.status.value}; "
                f"finding {f.id}; from the scan of {human_date(scanned)}.") if part),
                multiline=True))
            event.add("categories", [_text(f.control)])
            event.add("priority", 1 if f.severity.value in ("critical", "high") else 5)
            event.add("transp", "TRANSPARENT")
            lead = REMINDER_DAYS if (f.due - scanned).days > REMINDER_DAYS else 1
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", _text(f"Due {human_date(f.due)}: {f.title}: {asset}"))
            alarm.add("trigger", alarm_trigger(lead))
            event.add_component(alarm)
            cal.add_component(event)
        return cal.to_ical().decode("utf-8")
