"""ROI figures per event and across events, from the cost ledger, the leads and the credit table.

Every figure is in the reporting currency and says how it was made: the
model, the window, the settings hash and the rates used. Functions read only.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import Session

from ..models import Event, Interaction, Lead, OutboxRow, User
from ..models.roi import AttributionCredit, Deal, DealLead
from ..scoring import GRADES
from .attribution import MODELS, WINDOWS
from .config import RoiSettings
from .costs import CostLine, event_costs
from .rates import RateBook

LAGS = (30, 90, 180, 365)


@dataclass
class Basis:
    """How a report was made; printed on every report."""

    model: str
    window: int
    config_hash: str
    currency: str
    as_of: date

    @property
    def window_days(self) -> int:
        """The credit rows' window for this model (0 for models without one)."""
        return self.window if self.model in ("event_sourced", "influenced") else 0


def basis(settings: RoiSettings, model: str | None, window: int | None, as_of: date) -> Basis:
    """Validated report parameters; ValueError names what to choose instead."""
    model = model or settings.values["default_model"]
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    if model == "influenced":
        window = settings.values["influence_days"]
    else:
        window = settings.values["window"] if window is None else window
        if window not in WINDOWS:
            raise ValueError(f"a window of {window} days: choose one of {', '.join(map(str, WINDOWS))}")
    return Basis(model, window, settings.config_hash(window), settings.currency, as_of)


@dataclass
class EventReport:
    event: Event
    basis: Basis
    costs: list[CostLine]
    cost_by_category: dict[str, dict[str, int]]  # category -> {"planned": minor, "actual": minor}
    cost: int  # fully loaded: every actual line
    leads: int
    qualified: int
    opportunities: int
    pipeline: int
    won: int
    lag: dict[int, dict[str, int]]  # days after the event -> {"pipeline", "won", "opportunities"}
    problems: list[str] = field(default_factory=list)

    @staticmethod
    def _ratio(num: int, den: int) -> Decimal | None:
        return None if not den else (Decimal(num) / Decimal(den))

    @property
    def cost_per_lead(self) -> int | None:
        return None if not self.leads else round(self.cost / self.leads)

    @property
    def cost_per_qualified(self) -> int | None:
        return None if not self.qualified else round(self.cost / self.qualified)

    @property
    def cost_per_opportunity(self) -> int | None:
        return None if not self.opportunities else round(self.cost / self.opportunities)

    @property
    def pipeline_to_cost(self) -> Decimal | None:
        return self._ratio(self.pipeline, self.cost)

    @property
    def roi(self) -> Decimal | None:
        """(won revenue - cost) / cost; None without costs."""
        return self._ratio(self.won - self.cost, self.cost)

    def roi_at(self, days: int) -> Decimal | None:
        return self._ratio(self.lag[days]["won"] - self.cost, self.cost)


def _credit_filter(event_id, b: Basis):
    return and_(AttributionCredit.event_id == event_id, AttributionCredit.model == b.model,
                AttributionCredit.window_days == b.window_days)


def event_report(session: Session, event: Event, settings: RoiSettings, b: Basis) -> EventReport:
    """The full per-event report (costs, leads, deals under the model, lag at 30/90/180/365 days)."""
    book = RateBook.load(session, settings.currency)
    lines = event_costs(session, event, book)
    by_category: dict[str, dict[str, int]] = defaultdict(lambda: {"planned": 0, "actual": 0})
    problems = []
    for line in lines:
        if line.error:
            problems.append(f"cost #{line.row.id} ({line.row.category}): {line.error}")
        else:
            by_category[line.row.category][line.row.kind] += line.minor
    cost = sum(v["actual"] for v in by_category.values())
    grades = GRADES[:GRADES.index(settings.values["qualified_grade"]) + 1]
    leads, qualified = session.execute(
        select(func.count(), func.count(case((Lead.grade.in_(grades), 1))))
        .where(Lead.event_id == event.id)).one()
    amount = AttributionCredit.amount_minor
    won = Deal.status == "won"
    columns = [func.count(), func.coalesce(func.sum(amount), 0),
               func.coalesce(func.sum(case((won, amount), else_=0)), 0)]
    for days in LAGS:
        cutoff = event.ends_on + timedelta(days=days)
        columns += [func.count(case((Deal.created_on <= cutoff, 1))),
                    func.coalesce(func.sum(case((Deal.created_on <= cutoff, amount), else_=0)), 0),
                    func.coalesce(func.sum(case((and_(won, Deal.close_date <= cutoff), amount), else_=0)), 0)]
    figures = session.execute(select(*columns).select_from(AttributionCredit)
                              .join(Deal, Deal.id == AttributionCredit.deal_id)
                              .where(_credit_filter(event.id, b))).one()
    lag = {d: {"opportunities": figures[3 + 3 * i], "pipeline": int(figures[4 + 3 * i]),
               "won": int(figures[5 + 3 * i])} for i, d in enumerate(LAGS)}
    problems += unconverted_deals(session, event, b)
    return EventReport(event, b, lines, dict(by_category), cost, leads, qualified, figures[0], int(figures[1]),
                       int(figures[2]), lag, problems)


def unconverted_deals(session: Session, event: Event, b: Basis) -> list[str]:
    """Deals credited to the event whose amount no rate converts (shown, so nobody trusts a low total)."""
    rows = session.execute(
        select(Deal.crm_id, Deal.name, Deal.currency).join(AttributionCredit, AttributionCredit.deal_id == Deal.id)
        .where(_credit_filter(event.id, b), AttributionCredit.amount_minor.is_(None),
               Deal.amount_minor.is_not(None))).all()
    return [f"deal {crm_id} ({name}): no {currency}->{b.currency} rate; left out of the sums"
            for crm_id, name, currency in rows]


@dataclass
class Funnel:
    scanned: int
    qualified: int
    synced: int
    opportunity: int
    won: int


def funnel(session: Session, event: Event, settings: RoiSettings) -> Funnel:
    """Leads of the event at each step; opportunity/won: leads the CRM tied to a deal / a won deal."""
    grades = GRADES[:GRADES.index(settings.values["qualified_grade"]) + 1]
    scanned, qualified = session.execute(
        select(func.count(), func.count(case((Lead.grade.in_(grades), 1)))).where(Lead.event_id == event.id)).one()
    synced = session.scalar(select(func.count(distinct(OutboxRow.lead_id))).join(Lead, Lead.id == OutboxRow.lead_id)
                            .where(Lead.event_id == event.id, OutboxRow.status == "done"))
    opportunity, won = session.execute(
        select(func.count(distinct(DealLead.lead_id)),
               func.count(distinct(case((Deal.status == "won", DealLead.lead_id)))))
        .join(Lead, Lead.id == DealLead.lead_id).join(Deal, Deal.id == DealLead.deal_id)
        .where(Lead.event_id == event.id)).one()
    return Funnel(scanned, qualified, synced, opportunity, won)


def leads_per_hour(session: Session, event: Event) -> list[tuple[str, int]]:
    """(local 'YYYY-MM-DD HH:00', new leads) for each hour of the show that had any, in order."""
    counts = Counter(at.astimezone(event.tz).strftime("%Y-%m-%d %H:00")
                     for at in session.scalars(select(Lead.first_met_at).where(Lead.event_id == event.id)))
    return sorted(counts.items())


def leaderboard(session: Session, event: Event) -> list[tuple[str, int, int]]:
    """(staff name, leads met, scans) per staff member, most leads first."""
    rows = session.execute(
        select(func.coalesce(User.name, "?"), func.count(distinct(Interaction.lead_id)), func.count())
        .select_from(Interaction).outerjoin(User, User.id == Interaction.staff_user_id)
        .where(Interaction.event_id == event.id).group_by(User.name)
        .order_by(func.count(distinct(Interaction.lead_id)).desc())).all()
    return [tuple(r) for r in rows]


def by_answer(session: Session, event: Event) -> dict[str, Counter]:
    """Per question id, how many leads gave each answer (multi-choice answers count once per choice)."""
    result: dict[str, Counter] = defaultdict(Counter)
    for answers in session.scalars(select(Lead.answers).where(Lead.event_id == event.id)):
        for question, value in (answers or {}).items():
            for choice in value if isinstance(value, list) else [value]:
                result[question][str(choice)] += 1
    return dict(result)


@dataclass
class Comparison:
    basis: Basis
    rows: list[dict]  # per event, oldest first: event, cost, leads, qualified, opportunities, pipeline, won, roi
    attributed_won: int
    crm_won: int

    @property
    def unattributed_won(self) -> int:
        return self.crm_won - self.attributed_won


def compare(session: Session, settings: RoiSettings, b: Basis, event_ids: list[int] | None = None) -> Comparison:
    """Events side by side (grouped queries, not one report per event), and the won revenue no event got."""
    book = RateBook.load(session, settings.currency)
    events = session.scalars(select(Event).order_by(Event.starts_on, Event.id)).all()
    if event_ids is not None:
        events = [e for e in events if e.id in event_ids]
    grades = GRADES[:GRADES.index(settings.values["qualified_grade"]) + 1]
    leads = {e: (n, q) for e, n, q in session.execute(
        select(Lead.event_id, func.count(), func.count(case((Lead.grade.in_(grades), 1)))).group_by(Lead.event_id))}
    amount = AttributionCredit.amount_minor
    deals = {e: (n, p or 0, w or 0) for e, n, p, w in session.execute(
        select(AttributionCredit.event_id, func.count(), func.sum(amount),
               func.sum(case((Deal.status == "won", amount), else_=0)))
        .join(Deal, Deal.id == AttributionCredit.deal_id)
        .where(AttributionCredit.model == b.model, AttributionCredit.window_days == b.window_days)
        .group_by(AttributionCredit.event_id))}
    rows = []
    for event in events:
        cost = sum(line.minor or 0 for line in event_costs(session, event, book) if line.row.kind == "actual")
        n, q = leads.get(event.id, (0, 0))
        opps, pipeline, won = deals.get(event.id, (0, 0, 0))
        rows.append({"event": event, "cost": cost, "leads": n, "qualified": q, "opportunities": opps,
                     "pipeline": int(pipeline), "won": int(won),
                     "cost_per_lead": round(cost / n) if n else None,
                     "roi": (Decimal(int(won) - cost) / cost) if cost else None})
    from .credits import won_total

    attributed = sum(r["won"] for r in rows) if b.model != "influenced" else 0
    return Comparison(b, rows, attributed, won_total(session, settings))


@dataclass
class Journey:
    email: str
    leads: list[Lead]
    touches: list[tuple]  # (at, event name, kind, staff name)
    deals: list[Deal]


def journey(session: Session, email: str, event_ids: set[int] | None = None) -> Journey:
    """A person's leads, touches and deals across events (or only `event_ids`), found by e-mail."""
    email = email.strip().lower()
    query = select(Lead).where(Lead.email == email).order_by(Lead.first_met_at)
    if event_ids is not None:
        query = query.where(Lead.event_id.in_(event_ids))
    leads = session.scalars(query).all()
    ids = [lead.id for lead in leads]
    touches = []
    seen = set()
    for at, event_name, lead_id, staff in session.execute(
            select(Interaction.captured_at, Event.name, Interaction.lead_id, User.name)
            .join(Event, Event.id == Interaction.event_id).outerjoin(User, User.id == Interaction.staff_user_id)
            .where(Interaction.lead_id.in_(ids)).order_by(Interaction.captured_at, Interaction.id)):
        touches.append((at, event_name, "visit" if lead_id in seen else "scan", staff))
        seen.add(lead_id)
    deals = session.scalars(select(Deal).join(DealLead, DealLead.deal_id == Deal.id)
                            .where(DealLead.lead_id.in_(ids)).distinct().order_by(Deal.created_on)).all()
    return Journey(email, list(leads), touches, list(deals))
