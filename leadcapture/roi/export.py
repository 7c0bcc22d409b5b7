"""An event's ROI report as rows for CSV or XLSX (amounts as decimal numbers in the reporting currency).

Every export starts with how it was made (model, window, settings hash,
currency, date); text cells go through the leads export's formula guard.
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

from ..exports import _csv_cell, _xlsx_cell
from .money import to_decimal
from .reports import LAGS, EventReport


def _ratio(value: Decimal | None):
    return None if value is None else value.quantize(Decimal("0.0001"))


def report_rows(r: EventReport) -> list[list]:
    """[section, item, value, detail] rows: basis, figures, cost lines, lag."""
    cur = r.basis.currency

    def money(minor):
        return None if minor is None else to_decimal(minor, cur)

    rows = [["basis", "event", r.event.name, r.event.slug], ["basis", "model", r.basis.model, None],
            ["basis", "window_days", r.basis.window, None], ["basis", "config_hash", r.basis.config_hash, None],
            ["basis", "currency", cur, None], ["basis", "as_of", r.basis.as_of.isoformat(), None]]
    rows += [["figure", name, value, None] for name, value in (
        ("cost", money(r.cost)), ("leads", r.leads), ("qualified_leads", r.qualified),
        ("cost_per_lead", money(r.cost_per_lead)), ("cost_per_qualified_lead", money(r.cost_per_qualified)),
        ("opportunities", r.opportunities), ("cost_per_opportunity", money(r.cost_per_opportunity)),
        ("pipeline", money(r.pipeline)), ("won_revenue", money(r.won)),
        ("pipeline_to_cost", _ratio(r.pipeline_to_cost)), ("roi", _ratio(r.roi)))]
    for line in r.costs:
        c = line.row
        rows.append(["cost_line", c.category, money(line.minor),
                     f"{c.kind}; {to_decimal(c.amount_minor, c.currency)} {c.currency}"
                     f"{f' at {line.rate} of {line.rate_date}' if line.rate_date else ''}; "
                     f"{c.supplier or ''}; {c.spent_on or ''}; {line.error or ''}"])
    for days in LAGS:
        lag = r.lag[days]
        rows.append([f"after_{days}_days", "pipeline", money(lag["pipeline"]), None])
        rows.append([f"after_{days}_days", "won_revenue", money(lag["won"]), None])
        rows.append([f"after_{days}_days", "roi", _ratio(r.roi_at(days)), None])
    rows += [["problem", "", p, None] for p in r.problems]
    return rows


HEADER = ["section", "item", "value", "detail"]


def report_csv(r: EventReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in [HEADER] + report_rows(r):
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue()


def report_xlsx(r: EventReport) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("ROI")
    sheet.append([_xlsx_cell(sheet, h, font=Font(bold=True)) for h in HEADER])
    for row in report_rows(r):
        sheet.append([_xlsx_cell(sheet, float(v) if isinstance(v, Decimal) else v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
