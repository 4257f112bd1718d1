"""Profiles from a CSV file: one MCN per row, as exported from a survey or a spreadsheet.

Cells are separated by commas, semicolons or tabs, whichever the header uses.
Columns are dotted profile fields (``agency.name``, ``clients.taobao_linked_share``)
plus ``schema_version`` and ``as_of``, or their Chinese names (``机构名称``: every alias
is in ``columns.toml``, read only when a header names a column otherwise); a blank cell
leaves the field out (a list field written ``none`` or ``-`` is an empty list). Each cell is
converted by the kind the profile's ``FIELDS`` registry gives it, then every row is
validated like a TOML profile, so errors read
``survey.csv:7: clients.taobao_linked_share: must be within 0..1``. Rows are numbered
as a spreadsheet shows them: the header is row 1.

The same holds for the first sheet of an .xlsx workbook, or the sheet ``file.xlsx#Sheet``
names (``xlsxfile``): a reader of any table gives a ``Sheet`` of cells as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import IO, Any, NamedTuple

from mcn_advisor.errors import ProfileError, did_you_mean, say, you_mean
from mcn_advisor.files.read import ENCODING_NAMES, LongLine, bounded_lines, check_text, open_stream
from mcn_advisor.files.toml import tomllib
from mcn_advisor.profile.model import FIELDS, HOMES, SCHEMA_VERSION
from mcn_advisor.records import record

TOP_LEVEL = {"schema_version": "number", "as_of": "date"}
COLUMNS: dict[str, str] = {**TOP_LEVEL, **{path: spec.kind for path, spec in FIELDS.items()}}
LIST_SEPARATORS = re.compile(r"[;,]")
DELIMITERS = (",", ";", "\t")  # the first that is commonest in the header wins
_TRUE = {"true", "yes", "y", "1", "是"}
_FALSE = {"false", "no", "n", "0", "否"}
_NO_ITEMS = {"none", "-", "无"}
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


@record(frozen=True)
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

    header: tuple[str, ...]  # the column of each cell: a field path (a Chinese name resolved), or ""
    rows: Iterator[Cells]
    encoding: str = "UTF-8"  # how the file was read, as a user names it (a workbook: "xlsx")
    # Data rows to expect, known without reading them: a CSV's lines after the header (exact
    # unless some are blank or a quoted cell spans lines); None: only counting them tells.
    about: int | None = None


def read_rows(path: Path, label: str | None = None) -> Iterator[Row]:
    """The data rows of a CSV of profiles, converted to profile data, blank rows skipped.

    A problem with the whole file (unreadable, no header, unknown columns) raises
    ``ProfileError`` before any row; a row that cannot be split into the header's
    cells comes back with ``problem`` set, and the other rows still follow.
    """
    sheet = read_cells(path, label)
    header = sheet.header
    for row in sheet.rows:
        yield (
            Row(row.number, None, row.problem)
            if row.cells is None
            else Row(row.number, row_data(header, row.cells))
        )


def is_table(path: str) -> bool:
    """Whether ``path`` names a table of profiles: ``*.csv``, ``*.xlsx`` or ``*.xlsx#Sheet``."""
    return split_sheet(path)[0].lower().endswith((".csv", ".xlsx"))


def split_sheet(text: str) -> tuple[str, str | None]:
    """``FILE.xlsx#Sheet`` as (file, sheet name); any other path as (path, None)."""
    at = text.lower().find(".xlsx#")
    return (text, None) if at < 0 else (text[: at + 5], text[at + 6 :])


def read_cells(path: Path, label: str | None = None) -> Sheet:
    """The header of a table of profiles, and its data rows as cells, streamed from the file.

    A CSV file is checked whole first (``files.read.open_stream``, a block at a time: its
    encoding found on the way), then read a row at a time: memory does not grow with the
    number of rows. An .xlsx workbook (``FILE.xlsx`` or ``FILE.xlsx#Sheet``) is read by
    ``xlsxfile``.
    """
    name = label or str(path)
    file, sheet = split_sheet(str(path))
    if file.lower().endswith(".xlsx"):
        from mcn_advisor.profile.xlsxfile import open_sheet  # only a workbook pays for openpyxl

        first, rows = open_sheet(file, sheet, name)
        try:
            header = check_header(first, name)
        except BaseException:
            rows.close()
            raise
        return Sheet(tuple(header), checked_rows(rows, header, name), "xlsx")
    handle, line_count = open_stream(path, ProfileError)
    try:
        lines = bounded_lines(handle, name)
        # Spreadsheets in many locales export ";" and survey tools often tab: the header tells.
        head = [next(lines, "")]
        while head[-1] and not head[-1].endswith("\n"):  # a lone CR does not end the header line
            head.append(next(lines, ""))
        header_line = "".join(head)
        delimiter = max(DELIMITERS, key=header_line.count)
        reader = csv.reader(itertools.chain(head, lines), delimiter=delimiter, strict=True)
        try:
            first = next(reader)
        except StopIteration:
            raise ProfileError(say("{name}: file is empty", name=name)) from None
        except csv.Error as exc:
            raise ProfileError(say("{name}:1: not valid CSV ({exc})", name=name, exc=exc)) from None
        header = check_header(first, name)
    except BaseException:
        handle.close()
        raise
    encoding = ENCODING_NAMES.get(handle.encoding, handle.encoding)
    rows = checked_rows(_csv_rows(handle, reader, name, path), header, name)
    return Sheet(tuple(header), rows, encoding, max(0, line_count - 1))


def _csv_rows(handle: IO[str], reader: Any, name: str, path: Path) -> Iterator[tuple[int, list[str] | str]]:
    """``(row number, cells)`` of a CSV file's data rows, or ``(number, problem)`` where it breaks."""
    number = 1
    with handle:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield (
                    number + 1,
                    say(
                        "{name}:{number}: not valid CSV ({exc}); the rows after it are not read",
                        name=name,
                        number=number + 1,
                        exc=exc,
                    ),
                )
                return
            except LongLine as exc:
                yield number + 1, say("{problem}; the rows after it are not read", problem=exc.problems[0])
                return
            except (OSError, UnicodeDecodeError):  # the file changed since it was checked
                check_text(path, ProfileError)  # says what is wrong with it now
                raise ProfileError(
                    say("{name}: changed while it was being read; run again", name=name)
                ) from None
            number += 1
            yield number, cells


def checked_rows(
    rows: Iterable[tuple[int, list[str] | str]], header: Sequence[str], name: str
) -> Iterator[Cells]:
    """The data rows of any table as ``Cells``: blank rows skipped, a row wider than the header
    or with a value under a column without a name refused (its problem given, the rows after
    it still read). ``rows`` gives ``(number, cells)``, or ``(number, problem)`` to pass on."""
    width = len(header)
    unnamed = [i for i, column in enumerate(header) if not column]
    for number, cells in rows:
        if isinstance(cells, str):
            yield Cells(number, None, cells)
            continue
        if not "".join(cells).strip():  # blank: every cell empty or spaces (one C call, not one a cell)
            continue
        if len(cells) > width:
            yield Cells(
                number,
                None,
                say(
                    "{name}:{number}: {cells} cells, the header has {width}",
                    name=name,
                    number=number,
                    cells=len(cells),
                    width=width,
                ),
            )
            continue
        lost = [i for i in unnamed if i < len(cells) and cells[i].strip()]
        if lost:  # a value under a blank header cell would be dropped without a word
            yield Cells(
                number,
                None,
                say(
                    "{name}:{number}: a value under column {column}, which has no name",
                    name=name,
                    number=number,
                    column=lost[0] + 1,
                ),
            )
            continue
        yield Cells(number, cells)


@functools.cache
def aliases() -> dict[str, list[str]]:
    """Every column's Chinese names (``columns.toml``), the one ``init --csv`` writes first."""
    text = resources.files(__package__).joinpath("columns.toml").read_text("utf-8")
    return tomllib.loads(text)  # type: ignore[return-value]


def header_key(text: str) -> str:
    """A header as it is matched: NFKC, whitespace removed, case folded (月 GMV（元） = 月gmv(元))."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


@functools.cache
def _by_alias() -> dict[str, str]:
    return {header_key(alias): column for column, names in aliases().items() for alias in names}


_UNITS = (
    ("万元", "10,000 CNY (万元); give CNY (元)"),
    ("%", "percent; give a share from 0 to 1, or 45% in a cell"),
)


def check_header(cells: Sequence[str], name: str) -> list[str]:
    """The column of each header cell: a field path as written, or the field a Chinese name
    stands for ("" for a blank cell); every problem at once, naming ``name:1``."""
    header = [h.strip() for h in cells]
    columns: list[str] = []
    problems: list[str] = []
    named: dict[str, str] = {}  # column -> the header cell that named it first
    for cell in header:
        column = cell if not cell or cell in COLUMNS else _by_alias().get(header_key(cell), "")
        columns.append(column)
        if not cell:
            continue  # spreadsheets often export a trailing empty column (rows must leave it blank)
        if not column:
            problems.append(
                say("{name}:1: unknown column '{cell}'{hint}", name=name, cell=cell, hint=_hint(cell))
            )
        elif column in named:
            first = named[column]
            problems.append(
                say("{name}:1: column '{cell}' appears twice", name=name, cell=cell)
                if first == cell
                else say(
                    "{name}:1: columns '{first}' and '{cell}' both name {column}",
                    name=name,
                    first=first,
                    cell=cell,
                    column=column,
                )
            )
        else:
            named[column] = cell
    if problems:
        raise ProfileError(problems)
    if "agency.name" not in named:
        raise ProfileError(
            say(
                "{name}:1: no 'agency.name' (机构名称) column; the header must name profile fields", name=name
            )
        )
    return columns


def _hint(cell: str) -> str:
    key = header_key(cell)
    for unit, hint in _UNITS:
        if unit in key:
            return say(": a column in {hint}", hint=hint)
    hint = did_you_mean(cell, COLUMNS)
    if not hint and cell in HOMES:
        hint = you_mean(HOMES[cell])
    return hint


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


def template(starter: str, lang: str) -> str:
    """A CSV survey template: a header of every column (field paths, or with ``lang`` zh the
    first Chinese name of each) and one row holding the values of ``starter`` (a profile)."""
    import io

    data = tomllib.loads(starter)
    yes, no, empty = ("是", "否", "无") if lang == "zh" else ("true", "false", "none")
    row: list[str] = []
    for column in COLUMNS:
        section, _, leaf = column.partition(".")
        value = data.get(section, {}).get(leaf) if leaf else data.get(section)
        if isinstance(value, bool):
            row.append(yes if value else no)
        elif isinstance(value, list):
            row.append(";".join(value) if value else empty)
        else:
            row.append("" if value is None else str(value))
    header = [aliases()[c][0] for c in COLUMNS] if lang == "zh" else list(COLUMNS)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows([header, row])
    return buf.getvalue()
