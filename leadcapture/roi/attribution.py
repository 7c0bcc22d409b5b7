"""Attribution models as pure functions: a deal, its person's touches and the configuration -> weights.

No database, no clock: the same inputs always give the same weights (Fractions,
so a third stays a third and the weights of a deal sum to exactly 0 or 1).

Touches that count: for every model but `influenced`, those on or before the
day the deal was created (UTC dates). Models:

- event_sourced: the event that created the deal's source lead (its earliest
  lead) gets 1 if the deal was created between the event's first day and
  `window` days after its last day; otherwise nobody does.
- first_touch / last_touch: the earliest / latest touch's event gets 1.
- linear: every touch an equal share, summed per event.
- w_shaped: `first`, `lead` and `deal` shares to the first touch, the source
  lead's creation (its first scan) and the last touch before the deal, `rest`
  spread over the other touches (over the three positions when there are
  none); 1 touch gets everything, 2 touches half each.
- influenced: 1 for every event with a touch in the `influence_days` before the
  deal's close date (its creation date while it has none). Yes/no: shown, never summed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction

MODELS = ("event_sourced", "first_touch", "last_touch", "linear", "w_shaped", "influenced")
SUMMED_MODELS = MODELS[:-1]  # influenced is a yes/no flag per event
WINDOWS = (30, 90, 180, 365)


@dataclass(frozen=True)
class Touch:
    """One meeting of a person at an event: the scan that created a lead, or a later visit."""

    at: datetime
    event_id: int
    lead_id: int
    kind: str  # "scan" (created the lead) or "visit" (met again)


@dataclass(frozen=True)
class DealFacts:
    """What attribution needs of a deal; `source_lead_id` is the earliest-created lead linked to it."""

    created_on: date
    close_date: date | None
    source_lead_id: int | None


@dataclass(frozen=True)
class EventDates:
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class ModelConfig:
    """Weights and windows; validated by roi.config (the W shares are positive and sum to 1)."""

    window: int = 90
    w_first: Fraction = Fraction(3, 10)
    w_lead: Fraction = Fraction(3, 10)
    w_deal: Fraction = Fraction(3, 10)
    w_rest: Fraction = Fraction(1, 10)
    influence_days: int = 365
    extra: dict = field(default_factory=dict, compare=False)


def weights(model: str, deal: DealFacts, touches: list[Touch], events: dict[int, EventDates],
            config: ModelConfig) -> dict[int, Fraction]:
    """{event_id: weight} for one deal under `model`; only events with a weight > 0 appear.

    Raises ValueError for an unknown model or a window of 0 or less.
    """
    if config.window <= 0 or config.influence_days <= 0:
        raise ValueError("attribution windows are whole days, 1 or more")
    ordered = sorted(touches, key=lambda t: (t.at, t.lead_id, t.kind != "scan", t.event_id))
    if model == "influenced":
        return _influenced(deal, ordered, config)
    before = [t for t in ordered if t.at.date() <= deal.created_on]
    if model == "event_sourced":
        return _event_sourced(deal, ordered, events, config.window)
    if not before:
        return {}
    if model == "first_touch":
        return {before[0].event_id: Fraction(1)}
    if model == "last_touch":
        return {before[-1].event_id: Fraction(1)}
    if model == "linear":
        return _sum_per_event([(t, Fraction(1, len(before))) for t in before])
    if model == "w_shaped":
        return _w_shaped(deal, before, config)
    raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")


def _event_sourced(deal: DealFacts, touches: list[Touch], events: dict[int, EventDates], window: int):
    creation = next((t for t in touches if t.lead_id == deal.source_lead_id and t.kind == "scan"), None)
    if creation is None:
        return {}
    dates = events[creation.event_id]
    if dates.starts_on <= deal.created_on <= dates.ends_on + timedelta(days=window):
        return {creation.event_id: Fraction(1)}
    return {}


def _w_shaped(deal: DealFacts, touches: list[Touch], config: ModelConfig) -> dict[int, Fraction]:
    if len(touches) <= 2:
        return _sum_per_event([(t, Fraction(1, len(touches))) for t in touches])
    first, last = 0, len(touches) - 1
    lead = next((i for i, t in enumerate(touches) if t.lead_id == deal.source_lead_id and t.kind == "scan"), first)
    slots = [(first, config.w_first), (lead, config.w_lead), (last, config.w_deal)]
    middle = [i for i in range(len(touches)) if i not in {first, lead, last}]
    shares = [(touches[i], w) for i, w in slots]
    # With no touch between the positions, the rest goes back to the positions (each a third of it).
    spread = middle or [i for i, _w in slots]
    shares += [(touches[i], config.w_rest / len(spread)) for i in spread]
    return _sum_per_event(shares)


def _influenced(deal: DealFacts, touches: list[Touch], config: ModelConfig) -> dict[int, Fraction]:
    reference = deal.close_date or deal.created_on
    since = reference - timedelta(days=config.influence_days)
    return {t.event_id: Fraction(1) for t in touches if since <= t.at.date() <= reference}


def _sum_per_event(shares: list[tuple[Touch, Fraction]]) -> dict[int, Fraction]:
    total: dict[int, Fraction] = {}
    for touch, weight in shares:
        total[touch.event_id] = total.get(touch.event_id, Fraction(0)) + weight
    return {e: w for e, w in total.items() if w > 0}


def check_weights(model: str, result: dict[int, Fraction]) -> None:
    """AssertionError unless a summed model's weights total exactly 0 or 1 (influenced: each exactly 1)."""
    if model == "influenced":
        assert all(w == 1 for w in result.values()), f"influenced weights must be 1: {result}"
        return
    total = sum(result.values(), Fraction(0))
    assert total in (0, 1), f"{model} weights sum to {total}, not 0 or 1: {result}"
