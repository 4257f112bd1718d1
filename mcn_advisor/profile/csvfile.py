"""Profiles from a CSV file: one MCN per row, as exported from a survey or a spreadsheet.

Cells are separated by commas, semicolons or tabs, whichever the header uses.
Columns are dotted profile fields (``agency.name``, ``clients.taobao_linked_share``)
plus ``schema_version`` and ``as_of``; a blank cell leaves the field out (a list
field written ``none`` or ``-`` is an empty list). Each cell is
converted by the kind the profile's ``FIELDS`` registry gives it, then every row is
validated like a TOML profile, so errors read
``survey.csv:7: clients.taobao_linked_share: must be within 0..1``. Rows are numbered
as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcn_advisor.errors import ProfileError, did_you_mean
from mcn_advisor.files.limits import MAX_CSV_BYTES
from mcn_advisor.files.read import read_text
from mcn_advisor.profile.model import FIELDS, HOMES, SCHEMA_VERSION

TOP_LEVEL = {"schema_version": "number", "as_of": "date"}
COLUMNS: dict[str, str] = {**TOP_LEVEL, **{path: spec.kind for path, spec in FIELDS.items()}}
LIST_SEPARATORS = re.compile(r"[;,]")
DELIMITERS = (",", ";", "\t")  # the first that is commonest in the header wins
_TRUE = {"true", "yes", "y", "1", "是"}
_FALSE = {"false", "no", "n", "0", "否"}
_NO_ITEMS = {"none", "-", "无"}
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its spreadsheet row number and its profile data (or why it has none)."""

    number: int
    data: dict[str, Any] | None
    problem: str | None = None


def read_rows(path: Path, label: str | None = None) -> Iterator[Row]:
    """The data rows of a CSV of profiles, blank rows skipped.

    A problem with the whole file (unreadable, no header, unknown columns) raises
    ``ProfileError`` before any row; a row that cannot be split into the header's
    cells comes back with ``problem`` set, and the other rows still follow.
    """
    name = label or str(path)
    text = read_text(path, ProfileError, limit=MAX_CSV_BYTES, what="a CSV file")
    header_line = text.split("\n", 1)[0]
    # Spreadsheets in many locales export ";" and survey tools often tab: the header tells.
    delimiter = max(DELIMITERS, key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header = _header(reader, name)
    unnamed = [i for i, column in enumerate(header) if not column]
    number = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            yield Row(number, None, f"{name}:{number}: not valid CSV ({exc}); the rows after it are not read")
            return
        number += 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            yield Row(number, None, f"{name}:{number}: {len(cells)} cells, the header has {len(header)}")
            continue
        lost = [i for i in unnamed if i < len(cells) and cells[i].strip()]
        if lost:  # a value under a blank header cell would be dropped without a word
            yield Row(number, None, f"{name}:{number}: a value under column {lost[0] + 1}, which has no name")
            continue
        yield Row(number, row_data(header, cells))


def count_rows(path: Path, label: str | None = None) -> int:
    """How many data rows ``read_rows`` yields (checking the header on the way)."""
    return sum(1 for _ in read_rows(path, label))


def _header(reader: Any, name: str) -> list[str]:
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ProfileError(f"{name}: file is empty") from None
    except csv.Error as exc:
        raise ProfileError(f"{name}:1: not valid CSV ({exc})") from None
    problems: list[str] = []
    seen: set[str] = set()
    for column in header:
        if not column:
            continue  # spreadsheets often export a trailing empty column (rows must leave it blank)
        if column in seen:
            problems.append(f"{name}:1: column '{column}' appears twice")
        elif column not in COLUMNS:
            hint = did_you_mean(column, COLUMNS)
            if not hint and column in HOMES:
                hint = f"; did you mean '{HOMES[column]}'?"
            problems.append(f"{name}:1: unknown column '{column}'{hint}")
        seen.add(column)
    if problems:
        raise ProfileError(problems)
    if "agency.name" not in seen:
        raise ProfileError(f"{name}:1: no 'agency.name' column; the header must name profile fields")
    return header


def row_data(header: list[str], cells: list[str]) -> dict[str, Any]:
    """Nested profile data from one row: blank cells left out, cells typed by their field's kind."""
    data: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    for column, cell in zip(header, cells, strict=False):  # short rows: missing cells are blank
        text = cell.strip()
        if not column or not text:
            continue
        value = convert(text, COLUMNS[column])
        section, _, leaf = column.partition(".")
        if leaf:
            data.setdefault(section, {})[leaf] = value
        else:
            data[section] = value
    return data


def convert(text: str, kind: str) -> Any:
    """A cell's text as the field's kind; text that does not fit is kept, for validation to name."""
    if kind == "number":
        return _number(text)
    if kind == "bool":
        low = text.lower()
        return True if low in _TRUE else False if low in _FALSE else text
    if kind == "list":
        if text.lower() in _NO_ITEMS:
            return []  # a blank cell means "not answered"; these say "none"
        return [part.strip() for part in LIST_SEPARATORS.split(text) if part.strip()]
    if kind == "date":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return text
    return text


def _number(text: str) -> Any:
    """``80``, ``0.45``, ``45%``, ``10,000,000``, ``10_000_000``; whole numbers become ints."""
    raw = text.replace("_", "")
    if _GROUPED.match(raw):
        raw = raw.replace(",", "")
    percent = raw.endswith("%")
    try:
        value = float(raw[:-1] if percent else raw)
    except ValueError:
        return text
    if percent:
        value /= 100
    return int(value) if value.is_integer() and abs(value) < 2**53 else value
