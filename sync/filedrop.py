"""CSV/XLSX file drop: a file per batch in a folder, in a column layout a CRM's import tool accepts.

For companies whose CRM we cannot reach (or not yet): someone imports the
files by hand, or a watcher picks them up. Each file is written under a
temporary name and renamed when complete, so a watcher never reads half a file.
Layouts: "hubspot" (HubSpot's contact import: its column labels, our custom
properties by internal name) and "salesforce" (the Data Import Wizard for
Leads: its field labels, our custom fields by API name).
"""
from __future__ import annotations

import csv
import io
import os
from datetime import datetime, timezone
from pathlib import Path

from openpyxl import Workbook

from .base import CheckResult, Connector, Field, Outcome, PauseConnector, PushResult
from .hubspot import LEAD_STATUS
from .records import LeadRecord, iso_utc
from .salesforce import FIELDS as SF_FIELDS, NO_COMPANY, RATING

PROBLEM_PAUSE = 60.0


def _common(r: LeadRecord) -> dict:
    a = r.attribution
    return {
        "event": a.event_name, "event_id": f"{a.event_slug}#{a.event_id}",
        "campaign": a.campaign_name or a.campaign_id,
        "utm_source": a.utm_source, "utm_medium": a.utm_medium, "utm_campaign": a.utm_campaign,
        "booth": a.booth, "device": a.device, "captured_by": a.staff_name, "captured_at": iso_utc(a.captured_at),
        "consent": "" if a.consent_granted is None else ("true" if a.consent_granted else "false"),
        "consent_version": a.consent_version, "consent_at": iso_utc(a.consent_at) if a.consent_at else None,
        "score": a.score, "grade": a.grade,
    }


def _answers_text(r: LeadRecord) -> str:
    text = "\n".join(f"{q}: {v}" for q, v in r.answers)
    return f"{text}\n\n{r.notes}" if r.notes and text else (r.notes or text)


def hubspot_row(r: LeadRecord) -> dict:
    c = _common(r)
    return {
        "Email": r.email, "First Name": r.first_name, "Last Name": r.last_name, "Company Name": r.company,
        "Job Title": r.job_title, "Phone Number": r.phone, "City": r.city, "Country/Region": r.country,
        "Lead Status": LEAD_STATUS.get(r.status), "Contact owner": r.attribution.owner_email,
        "lc_lead_id": r.key, "lc_source": r.attribution.source, "lc_event": c["event"], "lc_event_id": c["event_id"],
        "lc_campaign": c["campaign"], "lc_utm_source": c["utm_source"], "lc_utm_medium": c["utm_medium"],
        "lc_utm_campaign": c["utm_campaign"], "lc_booth": c["booth"], "lc_device": c["device"],
        "lc_captured_by": c["captured_by"], "lc_captured_at": c["captured_at"], "lc_rating": r.rating,
        "lc_score": c["score"], "lc_grade": c["grade"], "lc_consent": c["consent"],
        "lc_consent_version": c["consent_version"], "lc_consent_at": c["consent_at"], "Notes": _answers_text(r),
    }


def salesforce_row(r: LeadRecord) -> dict:
    c = _common(r)
    row = {
        "LeadCapture_Id__c": r.key, "First Name": r.first_name, "Last Name": r.last_name,
        "Company": r.company or NO_COMPANY, "Email": r.email, "Title": r.job_title, "Phone": r.phone,
        "City": r.city, "Country": r.country, "Lead Source": "Trade Show", "Rating": RATING.get(r.rating or ""),
        "Description": _answers_text(r), "Lead Owner": r.attribution.owner_email,
    }
    row.update({SF_FIELDS[name]: c[name] for name in SF_FIELDS})
    return row


LAYOUTS = {"hubspot": hubspot_row, "salesforce": salesforce_row}


class FileDropConnector(Connector):
    kind = "filedrop"
    label = "CSV/XLSX file drop"
    max_batch = 500
    fields = (
        Field("folder", "Folder to write files into", required=True),
        Field("layout", "Column layout (hubspot or salesforce)", default="hubspot"),
        Field("format", "File format (csv or xlsx)", default="csv"),
    )

    def push(self, batch: list[LeadRecord]) -> list[PushResult]:
        """Write the batch as one file; every lead done with the file's name, or PauseConnector if the
        folder cannot be written (a person must fix the disk or the path; the leads wait)."""
        to_row = LAYOUTS.get(self.setting("layout"))
        fmt = self.setting("format")
        if to_row is None or fmt not in ("csv", "xlsx"):
            raise PauseConnector(f"unknown layout {self.setting('layout')!r} or format {fmt!r}; "
                                 "use hubspot/salesforce and csv/xlsx", PROBLEM_PAUSE)
        rows = [{k: ("" if v is None else v) for k, v in to_row(r).items()} for r in batch]
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"leads-{self.setting('layout')}-{stamp}-{batch[0].row_id}.{fmt}"
        folder = Path(self.setting("folder"))
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{name}.part"
            tmp.write_bytes(_csv(rows) if fmt == "csv" else _xlsx(rows))
            os.replace(tmp, folder / name)
        except OSError as exc:
            raise PauseConnector(f"cannot write into {folder}: {exc.strerror or exc}", PROBLEM_PAUSE) from None
        return [PushResult.done(name) for _ in batch]

    def pull_outcomes(self, since: datetime) -> list[Outcome]:
        """Files only go out: no deals come back this way."""
        return []

    def check(self) -> CheckResult:
        """Writes and removes a probe file in the folder."""
        folder = Path(self.setting("folder"))
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".leadcapture-probe"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            return CheckResult(False, f"cannot write into {folder}: {exc.strerror or exc}")
        return CheckResult(True, f"files will be written into {folder.resolve()}")


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8 accents right


def _xlsx(rows: list[dict]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Leads"
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
