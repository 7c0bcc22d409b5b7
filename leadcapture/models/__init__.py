"""All tables; importing this package registers them on Base.metadata."""
from .audit import AuditEntry
from .events import Device, Event, event_members
from .leads import Consent, Interaction, Lead, LeadStatus, Rating, Source
from .people import ApiToken, Attendee, Role, User

__all__ = [
    "ApiToken", "Attendee", "AuditEntry", "Consent", "Device", "Event", "Interaction",
    "Lead", "LeadStatus", "Rating", "Role", "Source", "User", "event_members",
]
