"""The words reports are made of: ``t(lang, key)`` looks them up in ``messages.toml``.

Rule, action, phase and event texts live in the policy pack, each a ``Text`` with both
languages (``i18n/text.py``); everything else a renderer writes (headings, labels,
units, sentences) is a key of ``messages.toml``, where each key holds its English and
its Chinese side by side. Tests check both languages hold the same placeholders, that
every key a renderer asks for exists, and that every key is used.
"""

from __future__ import annotations

import functools
from importlib import resources

from mcn_advisor.files import cache
from mcn_advisor.files.toml import tomllib
from mcn_advisor.vocab import LANGS

__all__ = ["LANGS", "messages", "t"]
CATALOGUE = "message catalogue 1"  # what the cache holds for messages.toml: the parsed messages


@functools.cache
def messages() -> dict[str, dict[str, str]]:
    """Every message by language, then key: ``messages()["zh"]["exposure"]``."""
    text = resources.files(__package__).joinpath("messages.toml").read_text("utf-8")
    found = cache.recall(CATALOGUE, text, dict)  # parsed by an earlier run of this program
    if found is None:
        data = tomllib.loads(text)
        found = {lang: {key: pair[lang] for key, pair in data.items()} for lang in LANGS}
        cache.remember(CATALOGUE, text, found)
    return found


def t(lang: str, key: str, **values: object) -> str:
    """The message ``key`` in ``lang``, with ``{placeholders}`` filled in."""
    text = messages()[lang][key]
    return text.format(**values) if values else text
