"""Reading a JSON file mcn-advisor saved (an assessment for ``diff``), with errors that name its place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcn_advisor.errors import InputError, known, say
from mcn_advisor.files.read import read_text
from mcn_advisor.files.toml import check_shape


def read_json(path: Path) -> Any:
    """The JSON in ``path``; ``InputError`` with ``path:line:col`` when it is not JSON.

    Bounded like every input (size, nesting, digits). ``NaN`` and ``Infinity``, which
    Python's json accepts, are read as floats so that validation names the field
    holding one (the contract allows finite numbers only).
    """
    text = read_text(path)
    check_shape(text, path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        hint = (
            say(
                "; diff compares saved assessments (mcn-advisor assess PROFILE -f json -o FILE), not profiles"
            )
            if path.suffix.lower() == ".toml"
            else ""
        )
        raise InputError(
            say(
                "{path}:{lineno}:{colno}: not valid JSON ({msg}){hint}",
                path=path,
                lineno=exc.lineno,
                colno=exc.colno,
                msg=_JSON_SAYS.get(exc.msg, exc.msg),
                hint=hint,
            )
        ) from None
    except (RecursionError, ValueError) as exc:  # past check_shape this is a bug; still one line
        raise InputError(
            say("{path}: cannot be read as JSON ({kind})", path=path, kind=type(exc).__name__)
        ) from None


# The messages Python's json parser gives, said so they can be translated.
_JSON_SAYS = known(
    say("Expecting value"),
    say("Expecting ',' delimiter"),
    say("Expecting ':' delimiter"),
    say("Expecting property name enclosed in double quotes"),
    say("Extra data"),
    say("Unterminated string starting at"),
    say("Invalid control character at"),
    say("Invalid \\escape"),
)
