"""The one small interface every CRM connector implements, and what it hands back.

A connector is built from its stored configuration (plain fields, decrypted
secrets and its own `state` memory) and knows nothing about Flask or the
database: the worker gives it `LeadRecord`s and turns its answers into outbox
updates. Errors that concern a whole call are raised (see below); errors that
concern one lead come back in that lead's `PushResult`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar

from .records import LeadRecord


@dataclass(frozen=True)
class Field:
    """One configuration field a connector declares; `secret` ones are encrypted and never shown."""

    name: str
    label: str
    kind: str = "str"  # str, int, float, bool, url
    required: bool = False
    secret: bool = False
    default: object = None
    help: str = ""


@dataclass
class PushResult:
    """What happened to one lead of a batch.

    outcome: "done" (the CRM has it), "retry" (try again later) or "dead"
    (refused for good; `message` is the CRM's reason). `state` is merged into
    the lead's remembered connector progress whatever the outcome, so a retry
    does not repeat what already succeeded.
    """

    outcome: str
    remote_id: str | None = None
    message: str | None = None
    retry_after: float | None = None
    state: dict = field(default_factory=dict)

    @classmethod
    def done(cls, remote_id: str | None = None, **state) -> "PushResult":
        return cls("done", remote_id=remote_id, state=state)

    @classmethod
    def dead(cls, message: str, **state) -> "PushResult":
        return cls("dead", message=message, state=state)

    @classmethod
    def retry(cls, message: str, retry_after: float | None = None, **state) -> "PushResult":
        return cls("retry", message=message, retry_after=retry_after, state=state)


@dataclass(frozen=True)
class Outcome:
    """A deal or opportunity the CRM reports, with what links it back to our leads."""

    crm_id: str
    name: str
    stage: str | None
    amount: str | None  # as the CRM gives it (a decimal string); the ROI work converts to minor units
    currency: str | None
    is_closed: bool
    is_won: bool
    close_date: date | None
    modified_at: datetime | None
    contact_ids: tuple[str, ...] = ()  # CRM contact ids associated (HubSpot)
    lead_keys: tuple[str, ...] = ()  # our stable lead keys (Salesforce converted leads)
    campaign_id: str | None = None
    created_on: date | None = None  # the day the CRM created it


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str


class SyncError(Exception):
    """Base of the errors a connector raises for a whole call."""


class TransientError(SyncError):
    """429, 5xx, a timeout or a lost connection: retry the batch later (after `retry_after` s if given)."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class BatchRejected(SyncError):
    """The CRM refused the whole call as malformed (a permanent 4xx); the worker splits the batch
    to find the lead at fault, and a batch of one becomes a dead letter with this message."""


class PauseConnector(SyncError):
    """The CRM says stop for a while (e.g. Salesforce REQUEST_LIMIT_EXCEEDED, rejected credentials):
    nothing is wrong with the leads, so they wait without counting an attempt."""

    def __init__(self, message: str, seconds: float):
        super().__init__(message)
        self.seconds = seconds


class Connector:
    """Base class: subclasses set `kind`, `label`, `fields` and `max_batch`, and implement the three calls."""

    kind: ClassVar[str]
    label: ClassVar[str]
    fields: ClassVar[tuple[Field, ...]]
    max_batch: ClassVar[int]

    def __init__(self, config: dict, secrets: dict, state: dict | None = None):
        self.config = config
        self.secrets = secrets
        # The connector may change this; the worker stores it back after each batch.
        self.state = dict(state or {})

    def __repr__(self) -> str:  # never the secrets
        return f"<{type(self).__name__} {self.config.get('base_url', '')}>"

    def setting(self, name: str):
        """A configuration value, or the declared default."""
        value = self.config.get(name)
        if value is None or value == "":
            return next(f.default for f in self.fields if f.name == name)
        return value

    def push(self, batch: list[LeadRecord]) -> list[PushResult]:
        """Send up to `max_batch` leads; one result per lead, in order.

        Raises TransientError, BatchRejected or PauseConnector for the whole batch.
        """
        raise NotImplementedError

    def pull_outcomes(self, since: datetime) -> list[Outcome]:
        """Deals or opportunities changed since `since` (aware). Raises TransientError or SyncError."""
        raise NotImplementedError

    def check(self) -> CheckResult:
        """Try the credentials and permissions with a harmless call; never raises."""
        raise NotImplementedError
