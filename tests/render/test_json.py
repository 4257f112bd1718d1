"""JSON is written from the results' own values: the same bytes as their declared types give."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from mcn_advisor.core.compare import diff, snapshot
from mcn_advisor.core.engine import assess
from mcn_advisor.core.levers import rank_levers
from mcn_advisor.core.whatif import what_if
from mcn_advisor.pack.compile import builtin_pack
from mcn_advisor.render import json as json_report
from tests.conftest import AS_OF
from tests.core.test_properties import PACK
from tests.core.test_properties_decisions import sparse_profiles


def declared(result: object, lang: str) -> str:
    """The result dumped by its declared types (what the JSON was written with before)."""
    return TypeAdapter(type(result)).dump_json(result, indent=2, context={"lang": lang}).decode() + "\n"


PACKS = {"douyin_2020": PACK, "kuaishou_2019": builtin_pack("kuaishou_2019")}  # the second leaves defaults


@settings(max_examples=60)
@given(sparse_profiles(), st.integers(-30, 200), st.sampled_from(["en", "zh"]), st.sampled_from(list(PACKS)))
def test_every_result_is_written_as_its_declared_types_would_write_it(profile, days, lang, name):
    pack = PACKS[name]
    # A float field holding an int (a default, a capped value) would print 1 instead of 1.0.
    when = AS_OF + dt.timedelta(days=days)
    before, after = assess(profile, pack, AS_OF), assess(profile, pack, when)
    ranking = rank_levers(profile, pack, when)
    results = [
        after,
        ranking,
        what_if(profile, pack, when, [], [ranking.levers[0].id]) if ranking.levers else None,
        diff(snapshot(before), snapshot(after), pack) if days >= 0 else None,
    ]
    for result in filter(None, results):
        assert json_report.render(result, lang) == declared(result, lang), type(result).__name__
