"""The assessment as JSON: the versioned output contract, byte-identical for identical input."""

from __future__ import annotations

from mcn_advisor.assessment import Assessment, adapter


def render(a: Assessment, lang: str = "en") -> str:
    """Indented UTF-8 JSON; texts in ``lang``, keys always English."""
    return adapter().dump_json(a, indent=2, context={"lang": lang}).decode("utf-8") + "\n"
