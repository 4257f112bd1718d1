"""The words reports are made of: ``t(lang, key)`` looks them up in ``messages.toml``.

Rule, action, phase and event texts live in the policy pack, each a ``Text`` with both
languages (``i18n/text.py``); everything else a renderer writes (headings, labels,
units, sentences) is a key of ``messages.toml``, where each key holds its English and
its Chinese side by side. Tests check both languages hold the same placeholders, that
every key a renderer asks for exists, and that every key is used.

Error messages are made in English where they happen (``errors.say``), since the layers
below this one raise them; ``translate`` says one again in the user's language from
``errors.toml``, a catalogue keyed by the English template as gettext's is.
"""

from __future__ import annotations

import functools
from importlib import resources

from mcn_advisor.errors import Said
from mcn_advisor.files import cache
from mcn_advisor.files.toml import tomllib
from mcn_advisor.vocab import LANGS

__all__ = ["LANGS", "messages", "t", "translate"]
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


# Memoized: a report asks for some 600 messages, most with the same values in every report
# of a batch (headings, labels, the pack's titles, days and counts), and a hit costs no
# Python call and no ``format``. Values are keys: hashable (strings, numbers, dates), and
# ``typed`` keeps 1, 1.0 and True apart. Templates hold bare ``{name}`` placeholders, so a
# value is written as ``str`` writes it and equal values of one type are written alike (the
# one exception, -0.0 and 0.0, never reaches a message: scores are sums that start at 0.0).
@functools.lru_cache(maxsize=8192, typed=True)
def t(lang: str, key: str, **values: object) -> str:
    """The message ``key`` in ``lang``, with ``{placeholders}`` filled in."""
    text = messages()[lang][key]
    return text.format(**values) if values else text


@functools.cache
def error_catalogue() -> dict[str, str]:
    """Each error template's Chinese, by its English template (read only when an error is shown)."""
    return tomllib.loads(resources.files(__package__).joinpath("errors.toml").read_text("utf-8"))


def translate(lang: str, text: str) -> str:
    """An error message (``errors.say``) in ``lang``; text not made by ``say`` as it is.

    A template missing from the catalogue keeps its English words (its values are still
    translated): a message is never lost for want of a translation.
    """
    if lang == "en" or not isinstance(text, Said):
        return str(text)
    values = {k: translate(lang, v) if isinstance(v, str) else v for k, v in text.values.items()}
    template = error_catalogue().get(text.template, text.template)
    return template.format(**values) if values else template
