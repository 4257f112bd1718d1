"""The portfolio summary of a batch as text: a plain table, JSON, CSV or Markdown.

Formatting only: sorting, totals, shares and the most common findings were computed
by ``core.portfolio.Tally``. The table is laid out by hand rather than with rich so that a
summary of tens of thousands of rows prints in a blink. Each renderer gives its text in
pieces (``render.get`` joins them; ``render.pieces`` does not): a summary of a million
rows is written as it is made, never held whole.
"""

from __future__ import annotations

import csv as csv_lib
import functools
import io
import itertools
import json as jsonlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from mcn_advisor.core.portfolio import Failure, Portfolio, Row
from mcn_advisor.errors import visible
from mcn_advisor.i18n import t, translate
from mcn_advisor.render.cells import cell_len
from mcn_advisor.render.common import money, share
from mcn_advisor.render.linebreak import break_offsets
from mcn_advisor.render.markdown import code, esc, pipe_lines
from mcn_advisor.vocab import BANDS

# 2: a finding's severity is per profile (top_finding, common_findings[].severities);
# 3: each profile's confidence and key_fields_missing, totals.insufficient_data (rows counted
# there are in no band's count and no money total)
SUMMARY_SCHEMA_VERSION = 3
NAME_WIDTH = 40  # cells of an agency name in the table before it is cut
_SPREADSHEET_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def clean(text: str) -> str:
    """User text on one line: control characters would break a row or drive the terminal."""
    return visible(text, one_line=True)


def problems(f: Failure, lang: str) -> list[str]:
    """A failed input's problems, in ``lang``."""
    return [translate(lang, p) for p in f.problems]


def _reports(s: Portfolio, row: Row) -> list[str]:
    return [f"{row.report}.{ext}" for ext in s.report_formats] if row.report else []


def headline(s: Portfolio, lang: str) -> str:
    date = t(lang, "as_of", date=s.as_of.isoformat()) if s.as_of else t(lang, "batch_as_of_each")
    counts = t(lang, "batch_counts", assessed=f"{s.assessed:,}", failed=f"{len(s.failures):,}")
    packs = " + ".join(t(lang, "policy", id=pid, version=version) for pid, version in s.policies)
    return f"{counts} · {date} · {packs}"


def _profile_cells(lang: str, dated: bool) -> Callable[[Row], list[str]]:
    """A row's cells as text (a function, so words are looked up once for all rows), with its
    date when ``dated``. A row whose band and money rest on key fields left out says
    "insufficient data" instead."""
    bands = {b: t(lang, f"band_{b}") for b in BANDS}
    levels = {level: t(lang, f"level_{level}") for level in CONFIDENCE}
    unsure = t(lang, "batch_insufficient")

    def cells(row: Row) -> list[str]:
        sure = not row.insufficient
        out = [
            f"{row.score:.1f}",
            bands[row.band] if sure else unsure,
            clean(row.name),
            money(row.gmv_at_risk, lang) if sure else "—",
            money(row.revenue_at_risk, lang) if sure else "—",
            row.findings[0] if row.findings else "",
            levels[row.confidence],
        ]
        if dated:
            out.append(row.as_of.isoformat())
        return out

    return cells


def _profile_headers(s: Portfolio, lang: str) -> list[str]:
    keys = ["batch_score", "batch_band", "batch_agency", "batch_gmv", "batch_revenue", "batch_top"]
    keys.append("confidence_label")
    return [t(lang, k) for k in keys] + ([t(lang, "batch_as_of")] if s.as_of is None else [])


PROFILE_ALIGN = "rllrrll"  # score and money right-aligned; then "l" for each column after
CONFIDENCE = ("high", "medium", "low")  # engine.CONFIDENCE_LEVELS


def totals(s: Portfolio, lang: str) -> list[tuple[str, str]]:
    bands = " · ".join(f"{t(lang, f'band_{b}')} {n:,}" for b, n in s.bands.items())
    lines = [
        (t(lang, "batch_bands"), bands),
        (t(lang, "batch_total_gmv"), money(s.gmv_at_risk, lang)),
        (t(lang, "batch_total_revenue"), money(s.revenue_at_risk, lang)),
    ]
    if s.insufficient:
        lines.append((t(lang, "batch_insufficient_total"), f"{s.insufficient:,}"))
    if s.fail_on:
        label = t(lang, "batch_fail_on", severity=s.fail_on)
        lines.append((label, t(lang, "batch_of", count=f"{s.failing:,}", total=f"{s.assessed:,}")))
    return lines


def _common_headers(lang: str) -> list[str]:
    return [t(lang, k) for k in ("rule", "severity", "batch_profiles", "batch_share", "finding")]


def _common_cells(s: Portfolio, lang: str) -> list[list[str]]:
    return [
        [c.rule.rule_id, _severities(c.severities, lang), f"{c.count:,}", share(c.share)]
        + [c.rule.title[lang]]
        for c in s.common
    ]


def _severities(counts: dict[str, int], lang: str) -> str:
    """How many profiles have the finding at each severity: "critical 2 · medium 5"."""
    return " · ".join(f"{t(lang, f'sev_{sev}')} {n:,}" for sev, n in counts.items())


# --- table -------------------------------------------------------------------------


def _heading(text: str) -> str:
    return "\n" + (text.upper() if text.isascii() else text)


def _cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, cut with an ellipsis (its cells counted once each)."""
    if text.isascii():
        return text if len(text) <= width else text[: max(0, width - 1)] + "…"
    if cell_len(text) <= width:
        return text
    used = 0
    for at, ch in enumerate(text):
        used += 1 if ch.isascii() else cell_len(ch)
        if used > width - 1:
            return text[:at] + "…"
    return text + "…"  # (the characters, measured one by one, fit: joined, they did not)


MIN_CUT = 16  # cells a column that is cut to fit the terminal keeps


Layout = tuple[list[int], dict[int, int], set[int]]  # widths, cut columns' limits, columns left out
Lines = Callable[[], Iterable[tuple[list[str] | tuple[str, ...], Sequence[int] | None]]]
# ``Lines``: rows of cells, each with its cells' widths when they are known (``Row.widths``)


def _wide(text: str) -> int:
    """The cells ``text`` takes (the common case, ASCII, inlined: this runs for every cell)."""
    return len(text) if text.isascii() else cell_len(text)


def _measure(rows: Lines, columns: int) -> list[int]:
    """The widest cell of each column."""
    widths = [0] * columns
    for r, sizes in rows():
        for i, w in enumerate(sizes or map(_wide, r)):
            if w > widths[i]:
                widths[i] = w
    return widths


def _layout(
    widths: list[int], gap: str, width: int | None, cut: tuple[int, ...], drop: tuple[int, ...]
) -> Layout:
    """Each column's width, the columns cut (to how many cells) and the columns left out, for
    rows of columns ``widths`` wide (``_measure``) to fit in ``width`` cells: the columns ``cut``
    give up cells first, in that order, down to ``MIN_CUT`` each; then the columns ``drop`` are
    left out, in that order."""
    widths = list(widths)
    over = sum(widths) + len(gap) * (len(widths) - 1) - width if width else 0
    limits: dict[int, int] = {}
    for i in cut:
        if over <= 0:
            break
        give = min(over, max(0, widths[i] - MIN_CUT))
        if give:
            widths[i] -= give
            limits[i] = widths[i]
            over -= give
    dropped: set[int] = set()
    for i in drop:
        if over <= 0:
            break
        dropped.add(i)
        over -= widths[i] + len(gap)
    return widths, limits, dropped


def _align(
    rows: Callable[[], Iterable[list[str]]],
    align: str,
    gap: str = "  ",
    width: int | None = None,
    cut: tuple[int, ...] = (),
) -> Iterator[str]:
    """Rows of cells as lines of aligned columns (by display width), at most ``width`` cells
    wide when it is given (``_layout``); a cell cut ends in "…"."""
    lines: Lines = lambda: ((r, None) for r in rows())  # noqa: E731
    yield from _aligned(lines, align, _layout(_measure(lines, len(align)), gap, width, cut, ()), gap, ())


def _aligned(rows: Lines, align: str, layout: Layout, gap: str, ends: tuple[int, ...]) -> Iterator[str]:
    """The lines of rows for a layout already made (one pass over the rows); a cell cut ends
    in "…" (in the columns ``ends``, a path, it keeps its end instead: "…/survey.csv:7")."""
    widths, limits, dropped = layout
    columns = [(i, width, align[i] == "r") for i, width in enumerate(widths) if i not in dropped]
    cuts = {i: limit for i, limit in limits.items() if i not in dropped}  # a column left out is not cut
    for r, sizes in rows():
        if sizes is None:
            sizes = [_wide(cell) for cell in r]
        if cuts:
            r, sizes = list(r), list(sizes)
            for i, limit in cuts.items():
                if i < len(r) and sizes[i] > limit:
                    r[i] = _cut(r[i][::-1], limit)[::-1] if i in ends else _cut(r[i], limit)
                    sizes[i] = _wide(r[i])
        shown = columns if len(r) >= len(widths) else [c for c in columns if c[0] < len(r)]  # a short row
        yield gap.join(
            [
                " " * (width - sizes[i]) + r[i] if right else r[i] + " " * (width - sizes[i])
                for i, width, right in shown
            ]
        ).rstrip()


def _wrapped(note: str, width: int | None) -> Iterator[str]:
    """A note broken into lines of at most ``width`` columns (CJK-aware)."""
    cuts = [0, *break_offsets(note, width or len(note)), len(note)]
    return (note[a:b].rstrip() for a, b in zip(cuts, cuts[1:], strict=False))


def late_values(s: Portfolio) -> dict[str, str] | None:
    """How many profiles were assessed long after the policy's last step, and the date to use."""
    if not s.late:
        return None
    return {"count": f"{s.late:,}", "last": str(s.last_step), "suggested": str(s.suggested_as_of)}


def late_note(s: Portfolio, lang: str, key: str) -> str:
    return t(lang, key, **(late_values(s) or {}))


def _fit(text: str, width: int | None, sep: str = " · ") -> Iterator[str]:
    """A line of parts joined by ``sep``, broken between parts where it is wider than ``width``."""
    line = ""
    for part in text.split(sep):
        joined = f"{line}{sep}{part}" if line else part
        if line and width and cell_len(joined) > width:
            yield line
            line = part
        else:
            line = joined
    yield line


def _lines(lines: Iterable[str], size: int = 512) -> Iterator[str]:
    """Lines as pieces of text of ``size`` lines each, every line ended."""
    it = iter(lines)
    while block := list(itertools.islice(it, size)):
        yield "\n".join(block) + "\n"


def table(s: Portfolio, lang: str = "en", *, width: int | None = None, color: bool = False) -> Iterator[str]:
    """The summary for a terminal or a text file: aligned columns, no colour (in pieces), at
    most ``width`` cells wide when given (agency names, sources and titles cut to fit)."""
    yield from _lines(_table(s, lang, width))


def _table(s: Portfolio, lang: str, width: int | None) -> Iterator[str]:
    yield t(lang, "batch_title").upper() if lang == "en" else t(lang, "batch_title")
    yield from _fit(headline(s, lang), width)
    if s.late:
        yield from _wrapped(late_note(s, lang, "batch_late"), width)
    yield ""
    if s.rows:
        head = [*_profile_headers(s, lang), t(lang, "batch_source")]
        rows = _table_rows(s, lang, head)
        # Narrow: names and sources are cut first; then the source, each row's date, the GMV
        # (the revenue at risk stays) and the top finding are left out, and a line says which.
        source = len(head) - 1
        dated = (7,) if s.as_of is None else ()  # each row's date, when they differ
        if s.cells_lang == lang:  # measured as the rows came in: one pass over the rows, not two
            known = _with_date(list(s.cell_widths), DATE_WIDTH) if s.as_of is None else s.cell_widths
            widths = list(map(max, map(_wide, head), known))
        else:
            widths = _measure(rows, len(head))
        layout = _layout(widths, "  ", width, cut=(2, source), drop=(source, *dated, 3, 5))
        dropped = layout[2]
        if dropped:
            left_out = t(lang, "list_sep").join(head[i] for i in sorted(dropped))
            yield from _wrapped(t(lang, "batch_columns_left_out", columns=left_out), width)
        yield from _aligned(rows, PROFILE_ALIGN.ljust(len(head), "l"), layout, "  ", ends=(source,))
    else:
        yield t(lang, "batch_no_profiles")
    yield _heading(t(lang, "batch_totals"))
    total_rows = [[label, value] for label, value in totals(s, lang)]
    yield from _align(lambda: total_rows, "ll", gap="   ")
    if s.common:
        yield _heading(t(lang, "batch_common"))
        common = [_common_headers(lang), *_common_cells(s, lang)]
        yield from _align(lambda: common, "llrrl", width=width, cut=(4, 1))
    if s.failures:
        yield _heading(t(lang, "batch_failures", count=f"{len(s.failures):,}"))
        yield from (clean(p) for f in s.failures for p in problems(f, lang))


DATE_WIDTH = 10  # a row's date in the table: YYYY-MM-DD (``date.isoformat``, years 1 to 9999)


def _with_date(cells: list[Any], date: Any) -> list[Any]:
    """A row's table cells (or their widths) with its date before its source."""
    cells.insert(len(cells) - 1, date)
    return cells


def _table_rows(s: Portfolio, lang: str, head: list[str]) -> Lines:
    """The table's rows as cells, the header first: each row's own (``Row.cells``) when they
    are in ``lang``, else made here."""
    dated = s.as_of is None

    def rows() -> Iterator[tuple[list[str] | tuple[str, ...], Sequence[int] | None]]:
        yield head, None
        if s.cells_lang == lang:
            for r in s.rows:
                if dated:
                    yield (
                        _with_date(list(r.cells), r.as_of.isoformat()),
                        _with_date(list(r.widths), DATE_WIDTH),
                    )
                else:
                    yield r.cells, r.widths
        else:
            cells = _table_cells(lang)
            for r in s.rows:
                yield (_with_date(cells(r), r.as_of.isoformat()) if dated else cells(r)), None

    return rows


def _table_cells(lang: str) -> Callable[[Row], list[str]]:
    """A row's cells in the table, but for its date: the profile's (its name cut to
    ``NAME_WIDTH``), then its source."""
    profile = _profile_cells(lang, dated=False)

    def cells(row: Row) -> list[str]:
        out = profile(row)
        out[2] = _cut(out[2], NAME_WIDTH)
        out.append(clean(row.source))
        return out

    return cells


@functools.cache
def with_cells(lang: str) -> Callable[[Row], Row]:
    """A function giving a row with its table cells in ``lang`` and their widths (``Row.cells``,
    ``Row.widths``): a batch's worker adds them, so that the table is only padded and joined
    after the run, and measured (``Tally``) as the rows come in."""
    make = _table_cells(lang)

    def add(row: Row) -> Row:
        cells = make(row)
        widths = tuple([len(c) if c.isascii() else cell_len(c) for c in cells])  # _wide, inlined
        return Row._make((*row[:-2], tuple(cells), widths))

    return add


# --- JSON --------------------------------------------------------------------------


def _row_json(s: Portfolio, r: Row, lang: str) -> dict[str, Any]:
    top = s.rules[r.findings[0]] if r.findings else None
    top_severity = r.severities[0] if r.severities else None
    doc: dict[str, Any] = {
        "source": r.source,
        "status": status(r),
        "name": r.name,
        "as_of": r.as_of.isoformat(),
        "score": r.score,
        "band": r.band,
        "gmv_at_risk_cny_monthly": r.gmv_at_risk,
        "revenue_at_risk_cny_monthly": r.revenue_at_risk,
        "top_finding": {"rule_id": top.rule_id, "severity": top_severity, "title": top.title[lang]}
        if top
        else None,
        "findings": list(r.findings),
        "confidence": r.confidence,
        "key_fields_missing": list(r.gaps),
    }
    if s.fail_on:
        doc["reaches_fail_on"] = s.reaches(r)
    if s.report_formats:
        doc["reports"] = _reports(s, r)
    return doc


# A profile's line: ``json.dumps(value, ensure_ascii=False)`` without building an encoder for each.
_ONE_LINE = jsonlib.JSONEncoder(ensure_ascii=False)


def _dump(value: Any, indent: int) -> str:
    text = jsonlib.dumps(value, indent=2, ensure_ascii=False)
    return text.replace("\n", "\n" + " " * indent)


def json(s: Portfolio, lang: str = "en") -> Iterator[str]:
    """The summary as indented JSON: rows, totals, most common findings, failures (in pieces).

    Indented, but each profile on one line: a summary of many thousands of profiles
    stays easy to scan and grep, and is written row by row without a giant dict first.
    """
    head = {
        "schema_version": SUMMARY_SCHEMA_VERSION,
        "policy": {"id": s.policies[0][0], "version": s.policies[0][1]},  # the first pack given
        "policies": [{"id": pid, "version": version} for pid, version in s.policies],
        "as_of": s.as_of.isoformat() if s.as_of else None,
    }
    tail = {
        "totals": {
            "assessed": s.assessed,
            "failed": len(s.failures),
            "bands": s.bands,
            "gmv_at_risk_cny_monthly": s.gmv_at_risk,
            "revenue_at_risk_cny_monthly": s.revenue_at_risk,
            "fail_on": s.fail_on,
            "reaching_fail_on": s.failing if s.fail_on else None,
            "insufficient_data": s.insufficient,
            "late": {
                "profiles": s.late,
                "last_step": str(s.last_step),
                "suggested_as_of": str(s.suggested_as_of),
            }
            if s.late
            else None,
        },
        "common_findings": [
            {
                "rule_id": c.rule.rule_id,
                "severities": c.severities,
                "title": c.rule.title[lang],
                "profiles": c.count,
                "share": c.share,
            }
            for c in s.common
        ],
        "failures": [{"source": f.source, "problems": problems(f, lang)} for f in s.failures],
    }
    yield _dump(head, 0)[:-2] + ',\n  "profiles": ['
    for i, r in enumerate(s.rows):
        yield ("\n    " if i == 0 else ",\n    ") + _ONE_LINE.encode(_row_json(s, r, lang))
    yield "\n  ],\n" if s.rows else "],\n"
    yield _dump(tail, 0)[2:] + "\n"


# --- CSV ---------------------------------------------------------------------------

CSV_COLUMNS = (
    "source",
    "status",
    "name",
    "as_of",
    "score",
    "band",
    "gmv_at_risk_cny_monthly",
    "revenue_at_risk_cny_monthly",
    "top_finding",
    "top_finding_severity",
    "top_finding_title",
    "findings",
    "reaches_fail_on",
    "reports",
    "error",
    "confidence",
    "key_fields_missing",
)
STATUS_OK, STATUS_INSUFFICIENT, STATUS_FAILED = "ok", "insufficient_data", "failed"


def status(r: Row) -> str:
    """A row's status in the CSV and JSON summaries: ok, or insufficient_data."""
    return STATUS_INSUFFICIENT if r.insufficient else STATUS_OK


def _safe_cell(cell: str) -> str:
    """A cell that a spreadsheet will not run as a formula (a number stays a number)."""
    return "'" + cell if cell.startswith(_SPREADSHEET_FORMULA) and not _NUMBER.fullmatch(cell) else cell


class _SafeWriter:
    """The one CSV writer of the summary: every cell, whatever its source (agency names,
    file names, a pack's titles, errors), goes through ``_safe_cell``."""

    def __init__(self, buf: io.StringIO):
        self._w = csv_lib.writer(buf, lineterminator="\n")

    def writerow(self, cells: Iterable[str]) -> None:
        self._w.writerow([_safe_cell(c) for c in cells])


def csv(s: Portfolio, lang: str = "en") -> Iterator[str]:
    """One line per input, assessed profiles first (sorted as the summary), then failures (in pieces)."""
    buf = io.StringIO()
    w = _SafeWriter(buf)

    def flush() -> str:
        text = buf.getvalue()
        buf.seek(0)
        buf.truncate()
        return text

    w.writerow(CSV_COLUMNS)
    for n, r in enumerate(s.rows, 1):
        top = s.rules[r.findings[0]] if r.findings else None
        w.writerow(
            [
                r.source,
                status(r),
                r.name,
                r.as_of.isoformat(),
                f"{r.score:.1f}",
                r.band,
                f"{r.gmv_at_risk:.0f}",
                f"{r.revenue_at_risk:.0f}",
                top.rule_id if top else "",
                r.severities[0] if top else "",
                top.title[lang] if top else "",
                ";".join(r.findings),
                ("true" if s.reaches(r) else "false") if s.fail_on else "",
                ";".join(_reports(s, r)),
                "",
                r.confidence,
                ";".join(r.gaps),
            ]
        )
        if n % 512 == 0:
            yield flush()
    for f in s.failures:
        w.writerow([f.source, STATUS_FAILED, *[""] * 12, " | ".join(problems(f, lang)), "", ""])
    yield flush()


# --- Markdown ----------------------------------------------------------------------


def markdown(s: Portfolio, lang: str = "en") -> Iterator[str]:
    """The summary as a Markdown document a consultant can share; report files are linked (in pieces)."""
    yield from _lines(_markdown(s, lang))


def _markdown(s: Portfolio, lang: str) -> Iterator[str]:
    yield from (f"# {t(lang, 'batch_title')}", "", esc(headline(s, lang)), "")
    if s.late:
        yield from (late_note(s, lang, "md_batch_late"), "")
    if s.rows:
        headers = [*_profile_headers(s, lang), t(lang, "batch_source")]
        profile_cells = _profile_cells(lang, s.as_of is None)

        def rows() -> Iterator[list[str]]:
            for r in s.rows:
                cells = profile_cells(r)
                cells[2] = esc(cells[2])
                cells.append(code(r.source))
                if s.report_formats:
                    links = zip(s.report_formats, _reports(s, r), strict=True)
                    cells.append(" ".join(f"[{ext}]({name})" for ext, name in links))
                yield cells

        if s.report_formats:
            headers.append(t(lang, "batch_report"))
        yield from pipe_lines(headers, rows(), PROFILE_ALIGN.ljust(len(headers), "l"))
    else:
        yield t(lang, "batch_no_profiles")
    yield from ("", f"## {t(lang, 'batch_totals')}", "")
    yield from (f"- **{esc(label)}**: {esc(value)}" for label, value in totals(s, lang))
    if s.common:
        yield from ("", f"## {t(lang, 'batch_common')}", "")
        cells = [[*c[:4], esc(c[4])] for c in _common_cells(s, lang)]
        yield from pipe_lines(_common_headers(lang), cells, "llrrl")
    if s.failures:
        yield from ("", f"## {t(lang, 'batch_failures', count=f'{len(s.failures):,}')}", "")
        yield from (f"- {code(p)}" for f in s.failures for p in problems(f, lang))
