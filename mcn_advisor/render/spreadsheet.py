"""The portfolio summary of a batch as an .xlsx workbook (openpyxl, imported only here).

Three sheets: the profiles (the columns of ``summary.csv``, with the status in the run's
language: "insufficient data" where the band and money rest on key fields left out), the
most common findings, and the inputs that failed. The header row is bold and frozen;
numbers are numbers (money with a thousands format, shares as percentages, dates as
dates); every text cell is stored as text, so none runs as a formula whatever it starts
with. The bytes are the same for the same summary: the workbook's own dates and the
archive's entry times are pinned to the summary's date.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from typing import Any

from mcn_advisor.core.portfolio import Portfolio
from mcn_advisor.i18n import t
from mcn_advisor.render.portfolio import CSV_COLUMNS, clean, problems, status

PINNED = dt.datetime(2020, 1, 1)  # the workbook's date when the rows have no common date
MONEY = "#,##0"
SHARE = "0%"
DATE = "yyyy-mm-dd"
# Column -> (width in characters, number format or None).
_PROFILE_COLUMNS: dict[str, tuple[int, str | None]] = {
    "source": (28, None),
    "status": (16, None),
    "name": (28, None),
    "as_of": (12, DATE),
    "score": (8, "0.0"),
    "band": (10, None),
    "gmv_at_risk_cny_monthly": (16, MONEY),
    "revenue_at_risk_cny_monthly": (16, MONEY),
    "top_finding": (16, None),
    "top_finding_severity": (10, None),
    "top_finding_title": (48, None),
    "findings": (40, None),
    "reaches_fail_on": (10, None),
    "reports": (32, None),
    "error": (60, None),
    "confidence": (12, None),
    "key_fields_missing": (48, None),
}
assert tuple(_PROFILE_COLUMNS) == CSV_COLUMNS


def portfolio(s: Portfolio, lang: str = "en") -> bytes:
    """The summary as the bytes of an .xlsx file."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    profiles = book.create_sheet(t(lang, "xlsx_profiles"))
    words = {"ok": t(lang, "xlsx_ok"), "insufficient_data": t(lang, "batch_insufficient")}
    _sheet(
        profiles,
        list(_PROFILE_COLUMNS.items()),
        (
            [
                r.source,
                words[status(r)],
                r.name,
                r.as_of,
                r.score,
                r.band,
                r.gmv_at_risk,
                r.revenue_at_risk,
                r.findings[0] if r.findings else None,
                r.severities[0] if r.findings else None,
                s.rules[r.findings[0]].title[lang] if r.findings else None,
                ";".join(r.findings),
                s.reaches(r) if s.fail_on else None,
                ";".join(f"{r.report}.{ext}" for ext in s.report_formats) if r.report else None,
                None,
                r.confidence,
                ";".join(r.gaps),
            ]
            for r in s.rows
        ),
    )
    _sheet(
        book.create_sheet(t(lang, "batch_common")),
        [
            ("rule_id", (16, None)),
            ("severities", (28, None)),
            ("profiles", (10, "#,##0")),
            ("share", (8, SHARE)),
            ("title", (60, None)),
        ],
        (
            [
                c.rule.rule_id,
                " · ".join(f"{sev} {n:,}" for sev, n in c.severities.items()),
                c.count,
                c.share,
                c.rule.title[lang],
            ]
            for c in s.common
        ),
    )
    _sheet(
        book.create_sheet(t(lang, "xlsx_failures")),
        [("source", (28, None)), ("error", (100, None))],
        ([f.source, problem] for f in s.failures for problem in problems(f, lang)),
    )
    day = dt.datetime.combine(s.as_of, dt.time()) if s.as_of else PINNED
    book.properties.creator = "mcn-advisor"
    book.properties.created = book.properties.modified = day
    return _pinned(book, day)


def _sheet(ws: Any, columns: list[tuple[str, tuple[int, str | None]]], rows: Iterable[list[Any]]) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws.freeze_panes = "A2"
    for i, (_, (width, _)) in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    bold = Font(bold=True)
    head = []
    for key, _ in columns:
        cell = WriteOnlyCell(ws, value=key)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    formats = [fmt for _, (_, fmt) in columns]
    for values in rows:
        ws.append([_cell(ws, WriteOnlyCell, v, fmt) for v, fmt in zip(values, formats, strict=True)])


def _cell(ws: Any, make: Any, value: Any, fmt: str | None) -> Any:
    """A value as openpyxl writes it: a plain value where it can (cheaper by far), a cell
    where it needs a number format, or where text would be taken for a formula."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = clean(value)
        if not text.startswith("="):
            return text  # openpyxl takes only "=..." for a formula
        cell = make(ws, value=None)
        cell.value, cell.data_type = text, "s"  # text, whatever it starts with
        return cell
    if fmt is None:
        return value
    cell = make(ws, value=value)
    cell.number_format = fmt
    return cell


def _pinned(book: Any, day: dt.datetime) -> bytes:
    """The workbook's bytes with every archive entry dated ``day`` (zipfile dates them now)."""
    from openpyxl.writer.excel import ExcelWriter

    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    out = io.BytesIO()
    stamp = (max(day.year, 1980), day.month, day.day, 0, 0, 0)
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, stamp), src.read(info), zipfile.ZIP_DEFLATED)
    return out.getvalue()
