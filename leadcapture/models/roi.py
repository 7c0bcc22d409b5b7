"""Event ROI: the cost ledger, deals pulled from the CRM, exchange rates, settings and attribution credits.

Money is integer minor units (cents) with an ISO 4217 code everywhere; only
`ExchangeRate.rate` is a decimal, and conversions round once per figure (see
leadcapture.roi.rates).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, utcnow
from .leads import Lead

# A person across events is found by e-mail (see roi.touches); the per-event index does not serve that.
Index("ix_leads_email", Lead.email)


class OrgSettings(Base):
    """The organisation's ROI settings: one row (id 1). `attribution` is validated by roi.config."""

    __tablename__ = "org_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    reporting_currency: Mapped[str] = mapped_column(String(3), default="EUR")
    attribution: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EventCost(Base):
    """One line of an event's cost ledger. Staff time keeps its days and daily rate; amount = days x rate."""

    __tablename__ = "event_costs"
    __table_args__ = (Index("ix_event_costs_event_kind", "event_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(30))  # a roi.costs.CATEGORIES key
    kind: Mapped[str] = mapped_column(String(10))  # "planned" or "actual"
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    days: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    daily_rate_minor: Mapped[int | None] = mapped_column(BigInteger)
    supplier: Mapped[str | None] = mapped_column(String(200))
    spent_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExchangeRate(Base):
    """1 `currency` = `rate` `base` from `valid_from`. The admin maintains them; conversions use the latest on or
    before the date they need."""

    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("base", "currency", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    base: Mapped[str] = mapped_column(String(3))
    currency: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(Numeric(20, 10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Deal(Base):
    """A deal/opportunity from a CRM (or a CSV of deals). `origin` is "connector:<id>" or "csv";
    a pull upserts by (origin, crm_id), so pulling twice stores it once."""

    __tablename__ = "deals"
    __table_args__ = (UniqueConstraint("origin", "crm_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(40))
    connector_id: Mapped[int | None] = mapped_column(ForeignKey("crm_connectors.id", ondelete="SET NULL"))
    crm_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300), default="")
    stage: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(4))  # open, won, lost
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    created_on: Mapped[date] = mapped_column(Date)
    close_date: Mapped[date | None] = mapped_column(Date, index=True)
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_ids: Mapped[list] = mapped_column(JSON, default=list)  # the CRM's contact ids, as pulled
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    leads: Mapped[list["Lead"]] = relationship(secondary="deal_leads", order_by="Lead.id")


class DealLead(Base):
    """Which of our leads a deal came from (through the CRM contact/lead ids stored at sync)."""

    __tablename__ = "deal_leads"

    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True, index=True)


class AttributionCredit(Base):
    """One deal's credit to one event under one model, shaped like Salesforce's CampaignInfluence
    (OpportunityId, CampaignId, ModelId, Influence, RevenueShare) so it could be pushed back.

    Event-sourced credit is stored for every selectable window, so a report can
    switch windows without recomputing. `weight` is the share (0..1);
    `amount_minor` the share of the deal amount in the reporting currency at
    `rate` of `rate_date` (influenced: the whole amount, a yes/no never summed;
    None when no rate converts the deal).
    """

    __tablename__ = "attribution_credits"
    __table_args__ = (UniqueConstraint("deal_id", "event_id", "model", "window_days"),
                      Index("ix_attribution_credits_event_model", "event_id", "model", "window_days"))

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    model: Mapped[str] = mapped_column(String(20))
    window_days: Mapped[int]  # event_sourced: 30/90/180/365; influenced: its look-back; others 0
    weight: Mapped[Decimal] = mapped_column(Numeric(12, 10))
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal | None] = mapped_column(Numeric(20, 10))
    rate_date: Mapped[date | None] = mapped_column(Date)
    config_hash: Mapped[str] = mapped_column(String(16))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    deal: Mapped[Deal] = relationship()
