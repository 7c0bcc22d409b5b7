"""All tables; importing this package registers them on Base.metadata."""
from .audit import AuditEntry
from .events import Device, Event, event_members
from .kiosk import PairingCode
from .leads import Consent, Interaction, Lead, LeadStatus, Rating, Source
from .notifications import Notification, NotificationStatus
from .people import ApiToken, Attendee, Role, User
from .roi import AttributionCredit, Deal, DealLead, EventCost, ExchangeRate, OrgSettings
from .routing import RoutingCounter
from .sync import CrmConnector, OutboxRow, OutboxStatus

__all__ = [
    "ApiToken", "Attendee", "AttributionCredit", "AuditEntry", "Deal", "DealLead", "EventCost", "ExchangeRate",
    "OrgSettings", "Consent", "CrmConnector", "Device", "Event", "Interaction",
    "Notification", "NotificationStatus", "RoutingCounter",
    "Lead", "LeadStatus", "OutboxRow", "OutboxStatus", "PairingCode", "Rating", "Role", "Source", "User", "event_members",
]
