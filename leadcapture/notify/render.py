"""What the "lead assigned" e-mail and webhook say, in the rep's language (French or English).

No Flask: the catalogue is read with Babel directly, so the sender can run
from the command line or a thread. Strings are in the project's catalogue
(leadcapture/translations) like the web pages'.
"""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from functools import lru_cache
from pathlib import Path

from babel.dates import format_datetime
from babel.support import Translations

from ..lead_summary import lang, meetings, readable_answers
from ..models import Event, Lead, User

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


@lru_cache(maxsize=4)
def translations(language: str) -> Translations:
    return Translations.load(str(TRANSLATIONS), [language])


def lead_url(server_url: str, lead: Lead) -> str:
    return f"{server_url.rstrip('/')}/leads/{lead.id}"


def assignment_email(lead: Lead, event: Event, owner: User, server_url: str, notification_id: int) -> EmailMessage:
    """The e-mail telling `owner` about `lead`: who, company, grade and why, answers, notes, who met them, link.

    Its Message-ID is derived from the notification, so a mail client shows
    one message even in the rare case a sender died between the server's
    acceptance and marking the row sent, and the message went twice.
    """
    language = lang(owner.locale)
    t = translations(language)
    name = lead.full_name or lead.email or t.gettext("(no name)")
    message = EmailMessage()
    message["To"] = owner.email
    message["Subject"] = t.gettext("New lead for you: %(name)s, grade %(grade)s") % {
        "name": name + (f" ({lead.company})" if lead.company else ""), "grade": lead.grade or "-"}
    message["Message-ID"] = make_msgid(f"lead-assigned-{notification_id}", domain="leadcapture")
    message.set_content("\n".join(assignment_lines(lead, event, owner, server_url, language)) + "\n")
    return message


def assignment_lines(lead: Lead, event: Event, owner: User, server_url: str, language: str) -> list[str]:
    t = translations(language)
    when = lambda dt: format_datetime(dt, "short", tzinfo=event.tz, locale=language)  # noqa: E731
    lines = [t.gettext("Hello %(name)s,") % {"name": owner.name}, "",
             t.gettext("%(event)s gives you a new lead:") % {"event": event.name}, ""]
    who = ", ".join(p for p in (lead.full_name, lead.job_title, lead.company) if p)
    lines.append(f"  {who or lead.email or '?'}")
    for value in (lead.email, lead.phone, ", ".join(p for p in (lead.city, lead.country) if p)):
        if value:
            lines.append(f"  {value}")
    lines.append("")
    if lead.grade:
        lines.append(t.gettext("Grade %(grade)s (score %(score)s/100), because:") % {
            "grade": lead.grade, "score": lead.score})
        for entry in lead.score_explanation or []:
            lines.append(f"  {entry['points']:+d}  {entry[language]}")
        lines.append("")
    answers = readable_answers(event, lead.answers or {}, language)
    if answers:
        lines.append(t.gettext("Answers at the booth:"))
        lines.extend(f"  {label}: {text}" for label, text in answers)
        lines.append("")
    if lead.notes:
        lines.append(t.gettext("Notes:"))
        lines.extend(f"  {line}" for line in lead.notes.splitlines())
        lines.append("")
    met = meetings(event, lead, language)
    if met:
        lines.append(t.gettext("Met by:"))
        lines.extend(f"  {m.by}, {when(m.at)}" for m in met)
        lines.append("")
    if lead.routing_reason:
        lines.append(t.gettext("Why you: %(reason)s") % {"reason": lead.routing_reason[language]})
    if lead.sla_due_at:
        lines.append(t.gettext("Please contact them before %(due)s.") % {"due": when(lead.sla_due_at)})
    lines.extend(["", t.gettext("Open the lead: %(url)s") % {"url": lead_url(server_url, lead)}])
    return lines


def assignment_webhook(lead: Lead, event: Event, owner: User | None, server_url: str) -> dict:
    """Slack-compatible body ({"text", "blocks"}) with the lead as data for other receivers."""
    url = lead_url(server_url, lead)
    who = ", ".join(p for p in (lead.full_name or lead.email, lead.job_title, lead.company) if p)
    owner_name = owner.name if owner else "-"
    text = f"New lead for {owner_name}: {who} — grade {lead.grade or '-'} ({event.name})"
    why = "\n".join(f"{e['points']:+d} {e['en']}" for e in lead.score_explanation or [])
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*\n<{url}|Open the lead>"}},
            *([{"type": "section", "text": {"type": "mrkdwn", "text": why}}] if why else []),
        ],
        "lead": {"id": lead.id, "event": event.slug, "name": lead.full_name, "company": lead.company,
                 "email": lead.email, "grade": lead.grade, "score": lead.score, "owner": owner.email if owner else None,
                 "routing_rule": lead.routing_rule, "url": url},
    }
