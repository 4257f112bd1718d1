"""Any result of the core as JSON: the versioned output contracts, byte-identical for identical input.

An assessment, a what-if, a levers ranking or a diff: indented UTF-8 JSON, texts in the
language asked for, keys always English.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json


def render(result: Any, lang: str = "en") -> str:
    """Indented UTF-8 JSON; texts in ``lang``, keys always English.

    Results are dataclasses of plain values, so the values' own types give their JSON
    (a float field holds a float): no TypeAdapter to build, which costs a single run more
    than the whole dump. NaN and infinities are written ``null``, as a TypeAdapter would.
    """
    return to_json(result, indent=2, context={"lang": lang}, inf_nan_mode="null").decode("utf-8") + "\n"
