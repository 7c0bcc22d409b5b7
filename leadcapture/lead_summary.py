"""A lead as a person reads it, in French or English: answers with their labels, who met them.

Shared by the rep's pages and the notification e-mail so both tell the same story.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .models import Event, Lead

WORDS = {
    "en": {True: "yes", False: "no", "hot": "hot", "warm": "warm", "cold": "cold"},
    "fr": {True: "oui", False: "non", "hot": "chaud", "warm": "tiède", "cold": "froid"},
}


@dataclass(frozen=True)
class Meeting:
    by: str
    at: datetime  # aware, UTC
    notes: str | None
    rating: str | None
    answers: list[tuple[str, str]]


def lang(locale) -> str:
    return "en" if str(locale).startswith("en") else "fr"


def readable_answers(event: Event, answers: dict, locale) -> list[tuple[str, str]]:
    """[(question label, answer text)] in the event's question order; unknown questions last, as given."""
    language = lang(locale)
    out = []
    questions = event.settings.get("questions", [])
    for question in questions:
        if question["id"] in answers and answers[question["id"]] not in (None, "", []):
            out.append((question["label"][language], _answer_text(question, answers[question["id"]], language)))
    known = {q["id"] for q in questions}
    out.extend((qid, str(value)) for qid, value in answers.items() if qid not in known)
    return out


def meetings(event: Event, lead: Lead, locale) -> list[Meeting]:
    """Each time the booth met this person: who, when, what they noted and answered."""
    return [
        Meeting(by=i.staff.name if i.staff else (i.device.name if i.device else "?"), at=i.captured_at,
                notes=i.notes, rating=i.rating, answers=readable_answers(event, i.answers or {}, locale))
        for i in lead.interactions
    ]


def rating_word(rating: str | None, locale) -> str:
    return WORDS[lang(locale)].get(rating, rating or "")


def _answer_text(question: dict, value, language: str) -> str:
    kind = question["type"]
    labels = {o["id"]: o["label"][language] for o in question.get("options", [])}
    if kind == "multi" and isinstance(value, list):
        return ", ".join(labels.get(v, str(v)) for v in value)
    if kind == "single":
        return labels.get(value, str(value))
    if kind in ("boolean", "rating"):
        return WORDS[language].get(value, str(value))
    if kind == "number" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
