"""Profiles from an .xlsx workbook: the first sheet, or the one ``FILE.xlsx#Sheet`` names.

The same table as a CSV file of profiles (``csvfile`` checks its header and rows): a
header row of field paths or their Chinese names, then one MCN per row, numbered as the
spreadsheet shows them. Cells come back as text for ``csvfile.row_data`` to convert, so
a number stored as a number and one stored as text give the same profile: a whole number
``3000000``, a share ``0.45`` (a cell formatted as 45% holds 0.45), a date ``2020-08-27``,
a boolean ``true``.

The archive is checked before openpyxl opens it (``files.read.open_workbook``: its parts'
unzipped sizes within ``files.limits``), then the sheet is streamed a row at a time
(openpyxl's ``read_only`` mode); formulas give the value Excel saved with them. Anything
wrong with the file is one line naming it, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import warnings
import zipfile
from collections.abc import Iterator
from typing import Any

from mcn_advisor.errors import ProfileError, say
from mcn_advisor.files.read import open_workbook

Row = tuple[int, "list[str] | str"]  # a row's number and its cells, or why the rows end there
# What openpyxl raises on a damaged workbook (its parts are XML in a zip archive).
_BROKEN: tuple[type[BaseException], ...] = (
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    OSError,
    EOFError,
    zipfile.BadZipFile,
    SyntaxError,  # xml.etree's ParseError
)


def open_sheet(path: str, wanted: str | None, name: str) -> tuple[list[str], Iterator[Row]]:
    """The header cells of a sheet of profiles, and its data rows as ``(row number, cells as
    text)``, read as they are needed (the file is closed after the last row)."""
    handle = open_workbook(path, ProfileError)
    try:
        with warnings.catch_warnings():  # openpyxl warns of features it drops (data validation...)
            warnings.simplefilter("ignore")
            from openpyxl import load_workbook

            try:
                book = load_workbook(handle, read_only=True, data_only=True)
            except _BROKEN as exc:
                raise ProfileError(
                    say("{path}: not a readable .xlsx workbook ({exc})", path=path, exc=_why(exc))
                ) from None
        names = book.sheetnames
        if wanted is not None and wanted not in names:
            book.close()
            listed = ", ".join(f"'{n}'" for n in names)
            raise ProfileError(
                say(
                    "{name}: no sheet '{wanted}' in the workbook; its sheets: {listed}",
                    name=name,
                    wanted=wanted,
                    listed=listed,
                )
            )
        rows = _rows(book, book[wanted if wanted is not None else names[0]], name, handle)
        first = next(rows, None)
        if first is None or isinstance(first[1], str) or not first[1]:
            rows.close()
            if first is not None and isinstance(first[1], str):
                raise ProfileError(first[1])
            raise ProfileError(
                say("{name}: the sheet is empty", name=name)
                if first is None
                else say("{name}:1: no header row", name=name)
            )
    except BaseException:
        handle.close()
        raise
    return first[1], rows


def _rows(book: Any, sheet: Any, name: str, handle: Any) -> Iterator[Row]:
    """``(row number, cells as text)`` of a sheet, trailing blank cells dropped; a damaged part
    ends the rows with ``(number, problem)``."""
    number = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for values in sheet.iter_rows(values_only=True):
                number += 1
                cells = [_text(v) for v in values]
                while cells and not cells[-1]:
                    cells.pop()
                yield number, cells
    except _BROKEN as exc:
        yield (
            number + 1,
            say(
                "{name}:{number}: the workbook is damaged here ({why}); no row after it is read",
                name=name,
                number=number + 1,
                why=_why(exc),
            ),
        )
    finally:
        book.close()
        handle.close()


def _text(value: Any) -> str:
    """A cell's value as the text a CSV file would hold for it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _why(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:100]}" if text else type(exc).__name__
