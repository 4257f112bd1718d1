"""Turning pydantic's validation errors into one line each that a user can act on.

Shared by the profile loader and the policy-pack loader: every line names the file,
the line when it is known, the field path, what is wrong, and the value found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mcn_advisor.errors import Said, did_you_mean, message_of, say, shorten, show_value
from mcn_advisor.files.toml import Loc, line_of

# Tagged unions name the chosen member in an error's location; such parts are dropped.
TAG_PREFIX = "node:"

_MESSAGES = {
    "float_type": say("must be a number"),
    "float_parsing": say("must be a number"),
    "int_type": say("must be a whole number"),
    "int_parsing": say("must be a whole number"),
    "int_from_float": say("must be a whole number"),
    "bool_type": say("must be true or false"),
    "string_type": say("must be text in quotes"),
    "list_type": say("must be a list [...]"),
    "tuple_type": say("must be a list [...]"),
    "model_type": say("must be a table"),
    "model_attributes_type": say("must be a table"),
    "dict_type": say("must be a table"),
    "date_type": say("must be a date (YYYY-MM-DD)"),
    "date_from_datetime_inexact": say("must be a date without a time (YYYY-MM-DD)"),
    "finite_number": say("must be a finite number (not nan or inf)"),
    "missing": say("is required"),
    "string_too_short": say("must not be empty"),
    "too_short": say("must not be empty"),
}


def model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The pydantic model that holds the last key of ``loc``."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(str(part))
        if info is None:
            return None
        current = _unwrap_model(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap_model(annotation: Any) -> Any:
    stack = [annotation]
    while stack:
        item = stack.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
        stack.extend(getattr(item, "__args__", ()))
    return None


def describe(
    exc: ValidationError,
    model: type[BaseModel],
    source: Path | str,
    lines: dict[Loc, int],
    *,
    elsewhere: dict[str, str] | None = None,
) -> list[str]:
    """One line per validation error, sorted by line then field.

    ``elsewhere`` maps a leaf name to its full path, so that a key put in the wrong
    table gets "it belongs in 'clients.taobao_linked_share'".
    """
    problems: list[tuple[Loc, str]] = []
    for err in exc.errors(include_url=False):
        loc: Loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(TAG_PREFIX)))
        message = _message(err, model, loc, elsewhere or {})
        if err["type"] not in ("missing", "value_error", "assertion_error") and not isinstance(
            err.get("input"), (dict, list)
        ):
            message = say("{message} (got {value})", message=message, value=show_value(err.get("input")))
        problems.append((loc, message))
    return format_problems(source, lines, problems)


def format_problems(
    source: Path | str, lines: dict[Loc, int], problems: Iterable[tuple[Loc, str]]
) -> list[str]:
    """``source:line: field.path: message`` for each problem, sorted by line then field."""
    out: list[tuple[int, str, str]] = []
    for loc, message in problems:
        path = ".".join(shorten(str(p), 40) for p in loc) or "(top level)"  # a key may be huge
        line = line_of(lines, loc)
        where = f"{source}:{line}" if line else f"{source}"
        out.append(
            (line or 0, path, say("{where}: {field}: {message}", where=where, field=path, message=message))
        )
    return [text for _, _, text in sorted(dict.fromkeys(out))]


def _message(err: Any, model: type[BaseModel], loc: Loc, elsewhere: dict[str, str]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        key = shorten(str(loc[-1]), 40)
        holder = model_at(model, loc)
        hint = did_you_mean(key, holder.model_fields) if holder else ""
        if not hint and key in elsewhere:
            hint = say("; it belongs in '{path}'", path=elsewhere[key])
        return say("unknown field '{key}'{hint}", key=key, hint=hint)
    if kind in ("value_error", "assertion_error"):
        raised = ctx.get("error")
        if raised is not None and isinstance(said := message_of(raised), Said):
            return said  # said by our own check: it can be said in every language
        msg = str(err["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(prefix)
        return msg
    if kind == "float_type" and type(err.get("input")) is int:
        return say("is too large a number to compute with")
    if kind == "greater_than_equal":
        return say("must be at least {bound}", bound=_bound(ctx.get("ge")))
    if kind == "less_than_equal":
        return say("must be at most {bound}", bound=_bound(ctx.get("le")))
    if kind == "greater_than":
        return say("must be more than {bound}", bound=_bound(ctx.get("gt")))
    if kind == "string_too_long":
        return say("must be at most {count} characters", count=ctx.get("max_length"))
    if kind == "too_long":
        return say(
            "must hold at most {count} items (it holds {actual})",
            count=f"{ctx.get('max_length'):,}",
            actual=f"{ctx.get('actual_length'):,}",
        )
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", ""))
        hint = did_you_mean(str(err.get("input")), re.findall(r"'([^']*)'", expected))
        head, sep, last = expected.rpartition(" or ")  # pydantic's "'a', 'b' or 'c'"
        choices = say("{choices} or {last}", choices=head, last=last) if sep else expected
        return say("must be one of {choices}{hint}", choices=choices, hint=hint)
    return _MESSAGES.get(kind, str(err["msg"]))


def _bound(value: Any) -> str:
    """A bound as a person reads it: 1,000,000,000,000,000 rather than 1e+15, 0 rather than 0.0."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        value = int(value)
    return f"{value:,}" if isinstance(value, int) and abs(value) >= 10_000 else str(value)
