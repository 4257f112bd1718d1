"""The failures a user can cause, each naming its place, and the words every error message uses.

The CLI turns an ``InputError`` into one line per problem on stderr and exit code 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


class InputError(Exception):
    """Bad input: a file that cannot be read, parsed or validated, or a bad option.

    ``problems`` holds one line per problem, each already naming its file and
    line or field, so the CLI prints them as they are.
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class ProfileError(InputError):
    """A profile file that cannot be read, parsed or validated."""


class PackError(InputError):
    """A policy pack that cannot be read, parsed or validated."""


# --- how an error names what it found -------------------------------------------------


def suggest(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The closest candidate to a misspelt ``word``, if any is close enough.

    The same letters in another order win outright (``=>`` is ``>=``, ``warehosuing``
    is ``warehousing``), then the closest by difflib's ratio (at least ``cutoff``).
    """
    options = list(candidates)
    for option in options:
        if sorted(option) == sorted(word) and option != word:
            return option
    found = difflib.get_close_matches(word, options, n=1, cutoff=cutoff)
    return found[0] if found else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    match = suggest(word, candidates)
    return f"; did you mean '{match}'?" if match else ""


def show_value(value: Any) -> str:
    """A value as the user wrote it in TOML, shortened when long."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    elif isinstance(value, float):
        text = repr(value)
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k} = {show_value(v)}" for k, v in value.items()) + "}"
    elif isinstance(value, list):
        text = "[" + ", ".join(show_value(v) for v in value) + "]"
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."
