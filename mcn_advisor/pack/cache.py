"""Validated packs kept between runs: a pack already read is not parsed, validated and checked again.

Parsing the TOML of a pack (``tomllib`` is pure Python), validating it and checking its
cross-references cost more than the rest of a single assessment. The validated
``PackModel`` of a pack that loaded without a problem is kept in the user's cache folder
(``files.cache``), keyed by a digest of the pack's text and of ``code_version()``:
anything that could change the result changes the key. Only a good pack is stored, so
every error is still found, and said, by building the pack.
"""

from __future__ import annotations

import hashlib
import pickle

from mcn_advisor.files import cache
from mcn_advisor.pack.schema import PackModel

_FORMAT = b"mcn-advisor validated pack 1\n"


def _key(text: str) -> str:
    digest = hashlib.sha256(_FORMAT + cache.code_version().encode() + b"\n")
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def recall(text: str) -> PackModel | None:
    """The validated model of this pack text, if a run of this program stored it."""
    blob = cache.read(_key(text))
    if blob is None:
        return None
    try:
        model = pickle.loads(blob)
    except Exception:  # a damaged or foreign entry is a miss, whatever it raises
        return None
    return model if type(model) is PackModel else None


def remember(text: str, model: PackModel) -> None:
    """Keep the validated model of a pack that loaded without a problem."""
    cache.write(_key(text), pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
