"""The catalogue of UI words: every language holds every key."""

from __future__ import annotations

import string

from mcn_advisor.i18n import CATALOGUE, LANGS


def test_every_language_has_every_key_with_the_same_placeholders():
    en = CATALOGUE["en"]
    for lang in LANGS:
        assert set(CATALOGUE[lang]) == set(en), lang
        for key, text in CATALOGUE[lang].items():
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f}
            assert fields == {f for _, f, _, _ in string.Formatter().parse(en[key]) if f}, (lang, key)
