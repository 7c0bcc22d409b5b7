"""What scoring and routing look at, gathered from a lead. Pure: no Flask, no database.

`facts_for` turns a lead and its meetings into a `LeadFacts`; the scoring and
routing rules only ever see that, so they can be tested, benchmarked and
tried out in the rule tester with a made-up lead.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo


@dataclass(frozen=True, slots=True)
class LeadFacts:
    answers: Mapping[str, object] = field(default_factory=dict)
    job_title: str | None = None
    company_size: int | None = None
    email: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2, upper case
    region: str | None = None  # a French department ("59", "2A", "971") or a free region code
    postal_code: str | None = None
    rating: str | None = None  # the booth rating: hot, warm, cold
    staff_met: int = 0  # distinct staff members who met this person
    visit_days: int = 0  # distinct days (event time) this person was met
    events_attended: int = 1  # events, this one included, where this e-mail became a lead
    grade: str | None = None  # filled in after scoring, for routing

    def with_grade(self, grade: str | None) -> "LeadFacts":
        return replace(self, grade=grade)


def facts_for(lead, meetings: Iterable[dict], tz: tzinfo, events_attended: int = 1) -> LeadFacts:
    """Facts about `lead` (a Lead or anything with its attributes).

    `meetings` are {"staff_id", "at"} entries as capture records them ("at" an
    aware datetime or ISO 8601 text); days are counted in the event's time zone `tz`.
    """
    staff, days = set(), set()
    for meeting in meetings:
        if meeting.get("staff_id") is not None:
            staff.add(meeting["staff_id"])
        at = meeting["at"]
        days.add((datetime.fromisoformat(at) if isinstance(at, str) else at).astimezone(tz).date())
    return LeadFacts(
        answers=lead.answers or {}, job_title=lead.job_title, company_size=lead.company_size, email=lead.email,
        country=lead.country, region=region_of(lead.country, lead.postal_code, lead.region),
        postal_code=lead.postal_code, rating=lead.rating, staff_met=len(staff), visit_days=len(days),
        events_attended=max(events_attended, 1),
    )


def region_of(country: str | None, postal_code: str | None, region: str | None) -> str | None:
    """The lead's region: as given, else for France the department its postal code names."""
    if region:
        return region.strip().upper()
    if country != "FR" or not postal_code:
        return None
    code = postal_code.replace(" ", "")
    if len(code) != 5 or not code.isdigit():
        return None
    if code.startswith("20"):  # Corsica: 200xx-201xx is Corse-du-Sud, the rest Haute-Corse
        return "2A" if code < "20200" else "2B"
    if code.startswith("97") or code.startswith("98"):  # overseas departments have three digits
        return code[:3]
    return code[:2]


def fold(text: str) -> str:
    """Case- and accent-insensitive form, so "Directrice Générale" matches "directrice generale"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
