"""Any result of the core as JSON: the versioned output contracts, byte-identical for identical input.

An assessment, a what-if, a levers ranking or a diff: indented UTF-8 JSON, texts in the
language asked for, keys always English.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import TypeAdapter


@functools.cache
def _adapter(kind: type) -> TypeAdapter[Any]:
    return TypeAdapter(kind)  # built once per kind of result: it is costly


def render(result: Any, lang: str = "en") -> str:
    """Indented UTF-8 JSON; texts in ``lang``, keys always English."""
    return _adapter(type(result)).dump_json(result, indent=2, context={"lang": lang}).decode("utf-8") + "\n"
