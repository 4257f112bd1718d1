"""Report file names for a batch: safe, distinct, built from the input's path (never the agency's name)."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable

STEM_MAX = 100  # characters of a report file name before its extension
STEM_MAX_BYTES = 240  # and bytes: with "-2" and ".json" a name fits the file system's 255
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{d}{i}" for d in ("com", "lpt") for i in range(1, 10)}


class ReportNames:
    """Safe, distinct report file stems from input paths, assigned in input order.

    Built from the input's path (never the agency name): every part cleaned to
    letters, digits, ``-``, ``_`` and ``.``, joined with ``__``; ``..`` and
    separators can never leave the folder. Names that would clash (also ignoring
    case, as some file systems do) get ``-2``, ``-3`` in the order inputs arrive.
    """

    def __init__(self, reserved: Iterable[str] = ("summary",)):
        self._used = {_fold(r) for r in reserved}

    def assign(self, parts: tuple[str, ...]) -> str:
        base = safe_stem(parts)
        name, n = base, 1
        while _fold(name) in self._used:
            n += 1
            name = f"{base}-{n}"
        self._used.add(_fold(name))
        return name


def safe_stem(parts: tuple[str, ...]) -> str:
    """A file-name stem (no extension) for a report, from the parts of an input path."""
    cleaned = []
    for i, part in enumerate(parts):
        if i == len(parts) - 1 and part.lower().endswith(".toml"):
            part = part[:-5]
        part = part.strip("/\\")  # a root ("/") names no folder of ours
        if part in ("", ".", ".."):
            continue
        text = "".join(c if c.isalnum() or c in "-_." else "_" for c in unicodedata.normalize("NFC", part))
        text = text.strip(". ")
        if text:
            cleaned.append(text)
    stem = "__".join(cleaned) or "profile"
    if stem.split(".")[0].lower() in _RESERVED:
        stem = "_" + stem
    if len(stem) > STEM_MAX or len(stem.encode("utf-8", "surrogatepass")) > STEM_MAX_BYTES:
        digest = hashlib.sha1("/".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:8]
        cut = stem[: STEM_MAX - 9].encode("utf-8", "surrogatepass")[: STEM_MAX_BYTES - 9]
        stem = f"{cut.decode('utf-8', 'ignore')}-{digest}"  # never half a character
    return stem


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()
