"""Kiosk PINs of booth staff: set them, check them, and tell tablets when they change.

The server keeps a salted hash of each PIN (werkzeug). A tablet checks a PIN
with the server while online; on success it derives its own verifier from the
PIN it just saw (PBKDF2 with a salt made on that tablet, see
kiosk_ui/static/js/pins.js) so that the same person can switch back offline.
No server hash ever leaves the server: a stolen tablet holds verifiers for the
few people who signed in on it, salted for that tablet only, and nothing about
anyone else. `pin_stamp` changes whenever a PIN changes, so tablets drop a
stale verifier the next time they are online.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .actors import Actor
from .audit import record
from .db import utcnow
from .models import AuditEntry, Device, Event, Role, User, event_members

MAX_FAILURES = 5  # per device and person within LOCKOUT
LOCKOUT = timedelta(minutes=10)


class PinRefused(Exception):
    def __init__(self, message: str, status: int = 403):
        super().__init__(message)
        self.status = status


def valid_pin(pin: str) -> bool:
    return pin.isdigit() and 4 <= len(pin) <= 6


def set_pin(session: Session, user: User, pin: str | None, actor: Actor) -> None:
    """Set (or with None, clear) a user's kiosk PIN; audited. Raises ValueError for a malformed PIN."""
    if pin is not None and not valid_pin(pin):
        raise ValueError("a PIN is 4 to 6 digits")
    user.pin_hash = generate_password_hash(pin) if pin else None
    record(session, actor, "user.pin_set" if pin else "user.pin_clear", "user", user.id)


def kiosk_staff(session: Session, event: Event) -> list[User]:
    """Who can sign in on this event's tablets: active members with a PIN, and admins with one."""
    members = select(event_members.c.user_id).where(event_members.c.event_id == event.id)
    return list(session.scalars(
        select(User).where(User.active.is_(True), User.pin_hash.is_not(None),
                           (User.id.in_(members)) | (User.role == Role.ADMIN.value))
        .order_by(User.name)
    ))


def pin_stamp(secret_key: str, user: User) -> str:
    """A short value that changes when the PIN changes and reveals nothing about it."""
    digest = hmac.new(secret_key.encode(), f"pin:{user.id}:{user.pin_hash}".encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def check_pin(session: Session, event: Event, device: Device, user_id: int, pin: str) -> User:
    """Return the staff member if the PIN is theirs; raise PinRefused (403 wrong, 404 unknown, 429 locked)."""
    user = next((u for u in kiosk_staff(session, event) if u.id == user_id), None)
    if user is None:
        raise PinRefused("this person cannot sign in on this event's tablets", 404)
    actor = Actor.for_device(device)
    failures = session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "kiosk.pin_failed", AuditEntry.actor_kind == "device",
        AuditEntry.actor_id == device.id, AuditEntry.entity_id == user.id,
        AuditEntry.at >= utcnow() - LOCKOUT))
    if failures >= MAX_FAILURES:
        raise PinRefused("too many wrong PINs; wait ten minutes or ask an admin", 429)
    if not check_password_hash(user.pin_hash, pin):
        record(session, actor, "kiosk.pin_failed", "user", user.id, event.id)
        raise PinRefused("wrong PIN", 403)
    record(session, actor, "kiosk.pin_ok", "user", user.id, event.id)
    return user
