"""The demo event "Salon Demo": users of every role, a device, questions, consent texts, attendees."""
from __future__ import annotations

import random
import unicodedata
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from .actors import Actor
from .audit import record
from .event_settings import load_settings
from .models import Attendee, Event, Role, User
from .rule_templates import bant_rules
from .rules import apply_rules
from .tokens import new_device, new_user_token

DEMO_SLUG = "salon-demo"
DEMO_PASSWORD = "demo-password"
DEMO_PIN = "1234"

DEMO_SETTINGS = {
    "questions": [
        {"id": "interest", "type": "multi", "label": {"fr": "Produits d'intérêt", "en": "Products of interest"},
         "options": [
             {"id": "kiosk", "label": {"fr": "Borne", "en": "Kiosk"}},
             {"id": "crm_sync", "label": {"fr": "Synchronisation CRM", "en": "CRM sync"}},
             {"id": "analytics", "label": {"fr": "Analyse ROI", "en": "ROI analytics"}},
         ]},
        {"id": "timeline", "type": "single", "label": {"fr": "Échéance du projet", "en": "Project timeline"},
         "options": [
             {"id": "lt3m", "label": {"fr": "< 3 mois", "en": "< 3 months"}},
             {"id": "3to12m", "label": {"fr": "3 à 12 mois", "en": "3-12 months"}},
             {"id": "later", "label": {"fr": "Plus tard", "en": "Later"}},
         ]},
        {"id": "budget", "type": "single", "label": {"fr": "Budget validé ?", "en": "Budget approved?"},
         "options": [
             {"id": "yes", "label": {"fr": "Oui", "en": "Yes"}},
             {"id": "no", "label": {"fr": "Non", "en": "No"}},
             {"id": "unknown", "label": {"fr": "Ne sait pas", "en": "Don't know"}},
         ]},
        {"id": "role", "type": "single", "label": {"fr": "Rôle dans la décision", "en": "Role in the decision"},
         "options": [
             {"id": "decider", "label": {"fr": "Décideur", "en": "Decision maker"}},
             {"id": "influencer", "label": {"fr": "Prescripteur", "en": "Influencer"}},
             {"id": "user", "label": {"fr": "Utilisateur", "en": "User"}},
         ]},
        {"id": "note", "type": "text", "label": {"fr": "Note libre", "en": "Free note"}},
    ],
    "consent": {
        "purposes": ["marketing", "sales_contact"],
        "texts": [
            {"language": "fr", "version": "2026-01",
             "text": "J'accepte que Démo SAS conserve mes coordonnées et me recontacte au sujet de ses "
                     "produits. Je peux retirer mon consentement à tout moment."},
            {"language": "en", "version": "2026-01",
             "text": "I agree that Demo SAS may keep my contact details and contact me about its products. "
                     "I can withdraw my consent at any time."},
        ],
    },
    "retention_days": 730,
}

FIRST = ["Camille", "Louis", "Léa", "Hugo", "Chloé", "Lucas", "Manon", "Jules", "Inès", "Gabriel",
         "Emma", "Oliver", "Sophie", "Thomas", "Amélie", "Noah", "Zoé", "Étienne", "Charlotte", "Mathis"]
LAST = ["Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Simon", "Michel", "Garcia",
        "van der Berg", "McDonald", "Fontaine", "Rousseau", "Blanc", "Chevalier", "Smith", "Girard", "Müller"]
COMPANIES = ["Acme Industrie", "Boulangeries Réunies", "Nordic Logistics", "Société Générale d'Outillage",
             "Pixel & Co", "Vins du Sud", "Helvetia Pharma", "TechnoBat", "Green Energy SA", "Atelier Lumière"]
TITLES = ["Directeur commercial", "Head of Marketing", "Acheteuse", "CEO", "Responsable événementiel",
          "IT Manager", "Chef de projet", "VP Sales", "Office manager", "Directrice financière"]
CITIES = [("Paris", "FR"), ("Lyon", "FR"), ("Bruxelles", "BE"), ("Genève", "CH"), ("Montréal", "CA"),
          ("London", "GB"), ("Nantes", "FR"), ("Lille", "FR")]


def load_demo(session: Session, attendees: int = 200) -> str | None:
    """Create the demo data unless the event exists. Returns how to log in, or None if already there."""
    if session.scalar(select(Event.id).where(Event.slug == DEMO_SLUG)):
        return None
    today = date.today()
    event = Event(slug=DEMO_SLUG, name="Salon Demo", venue="Paris Expo Porte de Versailles", city="Paris",
                  country="FR", starts_on=today, ends_on=today + timedelta(days=2), timezone="Europe/Paris",
                  currency="EUR", campaign_name="Salon Demo 2026", utm_source="salon-demo",
                  utm_medium="trade-show", utm_campaign="salon-demo-2026", settings=load_settings(DEMO_SETTINGS))
    session.add(event)
    people = [
        ("admin@demo.test", "Adèle Admin", Role.ADMIN),
        ("marketing@demo.test", "Marc Marketing", Role.MARKETING),
        ("alice@demo.test", "Alice", Role.STAFF),
        ("bruno@demo.test", "Bruno", Role.STAFF),
        ("rep@demo.test", "Rémi Rep", Role.REP),
        ("rose@demo.test", "Rose Rep", Role.REP),
    ]
    users = {}
    for email, name, role in people:
        user = User(email=email, name=name, role=role.value, password_hash=generate_password_hash(DEMO_PASSWORD),
                    pin_hash=generate_password_hash(DEMO_PIN) if role is Role.STAFF else None,
                    territory_countries=["FR", "BE"] if role is Role.REP else [])
        user.events = [event]
        session.add(user)
        users[role] = user
    session.flush()
    device, device_token = new_device(session, event, "Tablette stand A")
    _token_row, admin_token = new_user_token(session, users[Role.ADMIN], label="demo")
    rng = random.Random(2026)  # the same roster on every machine
    for n in range(1, attendees + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, country = rng.choice(CITIES)
        slug = _ascii(f"{first}.{last}".lower().replace(" ", ""))
        session.add(Attendee(
            event_id=event.id, registration_id=f"SD{n:05d}",
            email=f"{slug}{n}@example.com",
            first_name=first, last_name=last, company=rng.choice(COMPANIES), job_title=rng.choice(TITLES),
            city=city, country=country,
        ))
    apply_rules(session, event, bant_rules(["rep@demo.test", "rose@demo.test"], "marketing@demo.test"), Actor.cli())
    record(session, Actor.cli(), "demo.load", "event", event.id, event.id, {"attendees": attendees})
    session.flush()
    return (
        f"Demo event 'Salon Demo' ({DEMO_SLUG}) loaded with {attendees} attendees.\n"
        f"Users (password '{DEMO_PASSWORD}', kiosk PIN {DEMO_PIN} for staff): "
        + ", ".join(f"{email} ({role.value})" for email, _n, role in people) + "\n"
        f"Device 'Tablette stand A' token: {device_token}\n"
        f"Admin API token: {admin_token}\n"
        "Try: curl -X POST http://127.0.0.1:5000/api/v1/events/salon-demo/scans "
        f"-H 'Authorization: Bearer {device_token}' -H 'Content-Type: application/json' "
        "-d '{\"client_id\": \"'$(python3 -c 'import uuid; print(uuid.uuid4())')'\", "
        "\"payload\": \"SD00001\", \"captured_at\": \"2026-03-14T10:42:00+01:00\"}'"
    )


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
