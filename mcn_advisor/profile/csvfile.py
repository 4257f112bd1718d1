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
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple

from mcn_advisor.errors import ProfileError, did_you_mean
from mcn_advisor.files.read import LongLine, bounded_lines, check_text, open_stream
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


class Cells(NamedTuple):  # a tuple: made for every row of a survey, it must cost little
    """One data row as read, not yet converted (``row_data`` does that, where the row is assessed)."""

    number: int
    cells: list[str] | None
    problem: str | None = None


class Sheet(NamedTuple):
    """A table of profiles: the checked header, then the data rows as cells, read as they are needed.

    What a batch reads from any file of rows: a reader of another kind of file plugs in by
    giving the same (``read_cells`` is the CSV one).
    """

    header: tuple[str, ...]
    rows: Iterator[Cells]


def read_rows(path: Path, label: str | None = None) -> Iterator[Row]:
    """The data rows of a CSV of profiles, converted to profile data, blank rows skipped.

    A problem with the whole file (unreadable, no header, unknown columns) raises
    ``ProfileError`` before any row; a row that cannot be split into the header's
    cells comes back with ``problem`` set, and the other rows still follow.
    """
    header, rows = read_cells(path, label)
    for row in rows:
        yield (
            Row(row.number, None, row.problem)
            if row.cells is None
            else Row(row.number, row_data(header, row.cells))
        )


def count_rows(path: Path, label: str | None = None) -> int:
    """How many data rows ``read_rows`` yields (checking the file and its header on the way)."""
    return sum(1 for _ in read_cells(path, label).rows)


def read_cells(path: Path, label: str | None = None) -> Sheet:
    """The header of a CSV of profiles, and its data rows as cells, streamed from the file.

    The whole file is checked to be UTF-8 text first (``files.read.open_stream``, a block at
    a time), then read a row at a time: memory does not grow with the number of rows.
    """
    name = label or str(path)
    handle = open_stream(path, ProfileError)
    try:
        lines = bounded_lines(handle, name)
        # Spreadsheets in many locales export ";" and survey tools often tab: the header tells.
        head = [next(lines, "")]
        while head[-1] and not head[-1].endswith("\n"):  # a lone CR does not end the header line
            head.append(next(lines, ""))
        header_line = "".join(head)
        delimiter = max(DELIMITERS, key=header_line.count)
        reader = csv.reader(itertools.chain(head, lines), delimiter=delimiter, strict=True)
        header = _header(reader, name)
    except BaseException:
        handle.close()
        raise
    return Sheet(tuple(header), _data_rows(handle, reader, header, name, path))


def _data_rows(handle: IO[str], reader: Any, header: list[str], name: str, path: Path) -> Iterator[Cells]:
    width = len(header)
    unnamed = [i for i, column in enumerate(header) if not column]
    number = 1
    with handle:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                number += 1
                yield Cells(
                    number, None, f"{name}:{number}: not valid CSV ({exc}); the rows after it are not read"
                )
                return
            except LongLine as exc:
                yield Cells(number + 1, None, f"{exc.problems[0]}; the rows after it are not read")
                return
            except (OSError, UnicodeDecodeError):  # the file changed since it was checked
                check_text(path, ProfileError)  # says what is wrong with it now
                raise ProfileError(f"{name}: changed while it was being read; run again") from None
            number += 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > width:
                yield Cells(number, None, f"{name}:{number}: {len(cells)} cells, the header has {width}")
                continue
            lost = [i for i in unnamed if i < len(cells) and cells[i].strip()]
            if lost:  # a value under a blank header cell would be dropped without a word
                yield Cells(
                    number, None, f"{name}:{number}: a value under column {lost[0] + 1}, which has no name"
                )
                continue
            yield Cells(number, cells)


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


def row_data(header: Sequence[str], cells: Sequence[str]) -> dict[str, Any]:
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
