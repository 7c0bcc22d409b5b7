"""Stored connector configurations: validate against a connector's declared fields, encrypt secrets, audit.

Used by the web pages and the `leadcapture connectors` commands; the caller
commits. Secrets go in encrypted and never come back out of this module
except into a Connector object (see `build`): `describe` shows only whether
each one is set.
"""
from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from leadcapture.actors import Actor
from leadcapture.audit import record
from leadcapture.models import CrmConnector, Event

from .base import CheckResult, Connector, Field
from .crypto import SecretsUnreadable, decrypt_secrets, encrypt_secrets
from .outbox import backfill
from .registry import connector_class

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,79}")


class ConfigRejected(Exception):
    """Configuration a person must fix; `errors` maps field name -> message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def clean_values(fields: tuple[Field, ...], values: dict, stored_secrets: dict | None = None) -> tuple[dict, dict]:
    """Split raw form/CLI values (strings) into (config, secrets), typed and checked.

    A blank secret keeps the stored one, so editing a connector never needs the
    token typed again. Raises ConfigRejected with a message per bad field.
    """
    known = {f.name: f for f in fields}
    errors = {name: "not a setting of this connector" for name in values if name not in known}
    config, secrets = {}, dict(stored_secrets or {})
    for field in fields:
        raw = values.get(field.name)
        raw = raw.strip() if isinstance(raw, str) else raw
        if raw in (None, ""):
            if field.required and not (field.secret and secrets.get(field.name)):
                errors[field.name] = "required"
            continue
        try:
            value = _typed(field, raw)
        except ValueError as exc:
            errors[field.name] = str(exc)
            continue
        (secrets if field.secret else config)[field.name] = value
    if errors:
        raise ConfigRejected(errors)
    return config, secrets


def _typed(field: Field, raw):
    if field.kind == "int":
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValueError("a whole number") from None
        if value <= 0:
            raise ValueError("a positive number")
        return value
    if field.kind == "float":
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ValueError("a number of seconds") from None
        if value <= 0:
            raise ValueError("a positive number")
        return value
    if field.kind == "bool":
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("1", "true", "yes", "on", "y"):
            return True
        if str(raw).lower() in ("0", "false", "no", "off", "n"):
            return False
        raise ValueError("yes or no")
    if field.kind == "url" and not re.match(r"https?://[^\s/]+", str(raw)):
        raise ValueError("a URL starting with https:// (or http:// on this machine)")
    return str(raw)


def add_connector(session: Session, kind: str, name: str, event: Event | None, values: dict,
                  actor: Actor) -> CrmConnector:
    """Create an enabled connector for `event` (None: every event). Raises ConfigRejected or KeyError (kind)."""
    cls = connector_class(kind)
    errors = {}
    if not NAME.fullmatch(name or ""):
        errors["name"] = "1-80 letters, digits, spaces, dots, dashes or underscores"
    elif session.scalar(select(CrmConnector.id).where(CrmConnector.name == name)):
        errors["name"] = f"a connector named {name!r} exists already"
    try:
        config, secrets = clean_values(cls.fields, values)
    except ConfigRejected as exc:
        errors.update(exc.errors)
    if errors:
        raise ConfigRejected(errors)
    row = CrmConnector(kind=kind, name=name, event_id=event.id if event else None, enabled=True, config=config,
                       secrets=encrypt_secrets(secrets), state={})
    session.add(row)
    session.flush()
    backfill(session, row)  # the leads scanned before the connector existed go too
    record(session, actor, "connector.create", "crm_connector", row.id, row.event_id,
           {"kind": kind, "name": name, "config": config, "secrets_set": sorted(secrets)})
    return row


def update_connector(session: Session, row: CrmConnector, values: dict, actor: Actor) -> None:
    """Replace a connector's settings with `values`; a secret left blank keeps the stored one.

    Raises ConfigRejected (nothing changed then). What the connector set up stays in its state.
    """
    cls = connector_class(row.kind)
    config, secrets = clean_values(cls.fields, values, decrypt_secrets(row.secrets))
    changed = sorted(k for k in {*config, *row.config} if config.get(k) != row.config.get(k))
    row.config, row.secrets = config, encrypt_secrets(secrets)
    # Paused for a problem a person may just have fixed (credentials, setup): try again now.
    row.paused_until = None
    record(session, actor, "connector.update", "crm_connector", row.id, row.event_id,
           {"name": row.name, "changed": changed, "secrets_given": sorted(k for k, v in values.items()
                                                                           if v and k in secrets)})
    session.flush()


def set_enabled(session: Session, row: CrmConnector, enabled: bool, actor: Actor) -> None:
    if row.enabled != enabled:
        row.enabled = enabled
        if enabled:
            backfill(session, row)  # what was scanned or changed while it was off
        record(session, actor, "connector.enable" if enabled else "connector.disable", "crm_connector", row.id,
               row.event_id, {"name": row.name})
        session.flush()


def build(row: CrmConnector) -> Connector:
    """A ready Connector for a stored row (secrets decrypted in memory only).

    Raises crypto.SecretsUnreadable if the encryption key changed.
    """
    return connector_class(row.kind)(dict(row.config), decrypt_secrets(row.secrets), dict(row.state or {}))


def check_connector(session: Session, row: CrmConnector, actor: Actor) -> CheckResult:
    """Run the connector's check ("Test connection"), remember what it set up, and audit the answer."""
    try:
        connector = build(row)
    except (SecretsUnreadable, KeyError) as exc:  # a changed key, or a kind this version no longer ships
        result = CheckResult(False, str(exc))
    else:
        result = connector.check()
        if connector.state != (row.state or {}):
            row.state = connector.state
    record(session, actor, "connector.check", "crm_connector", row.id, row.event_id,
           {"ok": result.ok, "message": result.message})
    session.flush()
    return result


def describe(row: CrmConnector) -> dict:
    """The connector as pages and commands may show it: its settings, and for secrets only whether set."""
    cls = connector_class(row.kind)
    secret_names = decrypt_secret_names(row)
    settings = []
    for field in cls.fields:
        if field.secret:
            shown = "set" if field.name in secret_names else "not set"
        else:
            value = row.config.get(field.name, field.default)
            shown = "" if value is None else str(value)
        settings.append({"name": field.name, "label": field.label, "value": shown, "secret": field.secret})
    return {"id": row.id, "name": row.name, "kind": row.kind, "label": cls.label, "enabled": row.enabled,
            "event_id": row.event_id, "settings": settings}


def decrypt_secret_names(row: CrmConnector) -> set[str]:
    """Which secrets are stored (names only); an unreadable store counts as none."""
    try:
        return set(decrypt_secrets(row.secrets))
    except SecretsUnreadable:
        return set()


def connectors_for(session: Session, event_ids: list[int] | None) -> list[CrmConnector]:
    """Connectors of these events plus the global ones; every connector when `event_ids` is None."""
    query = select(CrmConnector).order_by(CrmConnector.name)
    if event_ids is not None:
        query = query.where(or_(CrmConnector.event_id.in_(event_ids), CrmConnector.event_id.is_(None)))
    return list(session.scalars(query))
