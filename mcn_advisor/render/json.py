"""The assessment as JSON: the versioned output contract, byte-identical for identical input."""

from __future__ import annotations

import functools
from typing import Any

from pydantic import TypeAdapter

from mcn_advisor.core.contract import Assessment, adapter


def render(a: Assessment, lang: str = "en") -> str:
    """Indented UTF-8 JSON; texts in ``lang``, keys always English."""
    return adapter().dump_json(a, indent=2, context={"lang": lang}).decode("utf-8") + "\n"


@functools.cache
def _adapter(kind: type) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def result(obj: Any, lang: str = "en") -> str:
    """A what-if, levers or diff result as indented UTF-8 JSON; texts in ``lang``."""
    return _adapter(type(obj)).dump_json(obj, indent=2, context={"lang": lang}).decode("utf-8") + "\n"
