"""Bearer tokens for devices and users. Only a SHA-256 of each token is stored."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .actors import Actor
from .db import utcnow
from .models import ApiToken, Device, Event, User

DEVICE_PREFIX = "lcd_"
USER_PREFIX = "lcu_"
LAST_SEEN_RESOLUTION = timedelta(minutes=1)  # avoid a write on every request


class TokenRefused(Exception):
    """Why a token does not authenticate; the message is safe to show."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_device(session: Session, event: Event, name: str) -> tuple[Device, str]:
    """Create a device for an event; returns it with its token, which is shown only once."""
    token = DEVICE_PREFIX + secrets.token_urlsafe(32)
    device = Device(event_id=event.id, name=name, token_hash=hash_token(token))
    session.add(device)
    session.flush()
    return device, token


def new_user_token(session: Session, user: User, days: int | None = 90, label: str | None = None) -> tuple[ApiToken, str]:
    token = USER_PREFIX + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=days) if days else None
    row = ApiToken(user_id=user.id, token_hash=hash_token(token), label=label, expires_at=expires)
    session.add(row)
    session.flush()
    return row, token


def authenticate(session: Session, token: str) -> Actor:
    """Return the actor a bearer token stands for, or raise TokenRefused."""
    now = utcnow()
    digest = hash_token(token)
    if token.startswith(DEVICE_PREFIX):
        device = session.scalar(select(Device).where(Device.token_hash == digest))
        if device is None:
            raise TokenRefused("unknown device token")
        if device.revoked_at is not None:
            raise TokenRefused("this device was revoked; pair it again")
        if device.last_seen_at is None or now - device.last_seen_at > LAST_SEEN_RESOLUTION:
            device.last_seen_at = now
        return Actor.for_device(device)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None or row.revoked_at is not None:
        raise TokenRefused("unknown or revoked token")
    if row.expires_at is not None and row.expires_at <= now:
        raise TokenRefused("token expired; ask for a new one")
    if not row.user.active:
        raise TokenRefused("this user is deactivated")
    if row.last_used_at is None or now - row.last_used_at > LAST_SEEN_RESOLUTION:
        row.last_used_at = now
    return Actor.for_user(row.user)
