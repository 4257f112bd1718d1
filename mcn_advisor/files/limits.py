"""The documented bounds on every input (README, "Limits and safety").

Past a bound, input is refused with one line naming the file and its line or field:
it is never read in full, parsed or computed with. Each bound sits far above any real
profile or pack, and far below what would hang the tool, exhaust memory or overflow
the arithmetic of the model.
"""

from __future__ import annotations

import datetime as dt

from mcn_advisor.errors import say

MIB = 1 << 20
MAX_FILE_BYTES = 16 * MIB  # a profile, a policy pack or a saved assessment
MAX_LINE_CHARS = 1 * MIB  # one line of a CSV file of profiles (the file itself is streamed: no limit)
MAX_XLSX_PART_BYTES = 64 * MIB  # a part of an .xlsx read whole (shared strings, styles), unzipped
MAX_XLSX_SHEET_BYTES = 4096 * MIB  # a worksheet of an .xlsx, unzipped (it is streamed a row at a time)
MAX_XLSX_PARTS = 10_000  # files inside one .xlsx
MAX_NESTING = 64  # arrays and tables inside one another, in TOML and JSON
MAX_KEY_PARTS = 32  # parts of one dotted TOML key (a.b.c has 3)
MAX_DIGITS = 1_000  # digits of one number as written (Python reads at most 4,300)
MAX_NUMBER = 1e15  # any number: money in CNY, a pack's constants and condition values
MAX_COUNT = 1_000_000_000  # counts: creators, brand clients
FIRST_DATE = dt.date(2000, 1, 1)  # assessment dates and the policy's dates lie in this range
LAST_DATE = dt.date(2099, 12, 31)
MAX_PLAN_DAYS = 36_500  # the longest chain of dependent actions, in days of effort
MAX_FORMULA_DEPTH = 32  # parentheses and function calls inside one another in a formula


def date_problem(date: dt.date) -> str | None:
    """Why ``date`` is outside the dates the tool computes with, or None."""
    if FIRST_DATE <= date <= LAST_DATE:
        return None
    return say(
        "{date} is outside the dates this tool plans with ({first} to {last})",
        date=date,
        first=FIRST_DATE,
        last=LAST_DATE,
    )
