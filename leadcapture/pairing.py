"""Pairing a tablet to an event with a one-time code (shown as text and as a QR code).

An admin asks for a code; the tablet trades it for a device token. Only a
SHA-256 of the code is stored, a code works once and for ten minutes, and
every creation, use and refusal is in the audit log. The trade route needs no
token, so failed attempts from one address are counted (in the audit log) and
refused past a limit: with 31^8 possible codes that makes guessing hopeless.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .actors import Actor
from .audit import record
from .db import utcnow
from .models import AuditEntry, Device, Event, PairingCode
from .tokens import hash_token, new_device

CODE_TTL = timedelta(minutes=10)
# No 0/O, 1/I/L: the code is read off a screen and typed on a tablet.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MAX_FAILURES = 10  # per remote address and CODE_TTL


class PairingRefused(Exception):
    """The code cannot pair a device; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def new_code(session: Session, event: Event, device_name: str, actor: Actor) -> tuple[PairingCode, str]:
    """Create a one-time code for a tablet named `device_name`; returns the row and the code (shown once)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    row = PairingCode(event_id=event.id, code_hash=hash_token(raw), device_name=device_name,
                      created_by_user_id=actor.user.id if actor.user else None,
                      expires_at=utcnow() + CODE_TTL)
    session.add(row)
    session.flush()
    record(session, actor, "pairing.create", "pairing_code", row.id, event.id, {"device_name": device_name})
    return row, format_code(raw)


def format_code(raw: str) -> str:
    return f"{raw[:4]}-{raw[4:]}"


def normalise(code: str) -> str:
    """What a person typed -> the code as generated: case, spaces and dashes do not matter."""
    return "".join(c for c in code.upper() if c.isalnum())


def pairing_url(server_url: str, code: str) -> str:
    """The address in the QR code. The code rides in the fragment, which browsers never send to servers."""
    return f"{server_url.rstrip('/')}/kiosk#pair={code}"


def redeem(session: Session, code: str, remote_addr: str | None) -> tuple[Device, str]:
    """Trade a code for a new device and its bearer token. Raises PairingRefused; only flushes."""
    now = utcnow()
    anonymous = Actor("system", f"pairing from {remote_addr or 'unknown address'}")
    if _recent_failures(session, remote_addr) >= MAX_FAILURES:
        raise PairingRefused("too many wrong codes from this address; wait ten minutes", 429)
    row = session.scalar(select(PairingCode).where(PairingCode.code_hash == hash_token(normalise(code))))
    problem = None
    if row is None:
        problem = "unknown pairing code; check it or ask for a new one"
    elif row.used_at is not None:
        problem = "this pairing code was already used; ask for a new one"
    elif row.expires_at <= now:
        problem = "this pairing code expired; ask for a new one"
    if problem:
        record(session, anonymous, "pairing.refused", "pairing_code", row.id if row else None,
               row.event_id if row else None, {"reason": problem, "remote_addr": remote_addr})
        raise PairingRefused(problem, 400)
    device, token = new_device(session, row.event, row.device_name)
    row.used_at, row.device_id = now, device.id
    record(session, Actor.for_device(device), "pairing.redeem", "device", device.id, row.event_id,
           {"pairing_code_id": row.id, "remote_addr": remote_addr})
    return device, token


def _recent_failures(session: Session, remote_addr: str | None) -> int:
    since = utcnow() - CODE_TTL
    refused = session.scalars(select(AuditEntry.details).where(
        AuditEntry.action == "pairing.refused", AuditEntry.at >= since)).all()
    return sum(1 for details in refused if details.get("remote_addr") == remote_addr)


def revoke_device(session: Session, device: Device, actor: Actor) -> bool:
    """Revoke a device (its token stops working at once); False if it already was."""
    if device.revoked_at is not None:
        return False
    device.revoked_at = utcnow()
    record(session, actor, "device.revoke", "device", device.id, device.event_id)
    return True

