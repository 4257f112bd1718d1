"""JSON is written from the results' own values: the same bytes as their declared types give."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from pydantic_core import to_json

from mcn_advisor.core.compare import diff, snapshot
from mcn_advisor.core.contract import Figure, Input
from mcn_advisor.core.engine import assess
from mcn_advisor.core.levers import rank_levers
from mcn_advisor.core.whatif import what_if
from mcn_advisor.i18n.text import Text
from mcn_advisor.pack.compile import builtin_pack
from mcn_advisor.render import json as json_report
from tests.conftest import AS_OF, PROFILES, example
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


def inferred(result: object, lang: str) -> str:
    """The result dumped by its values' own types: what a single run writes."""
    return to_json(result, indent=2, context={"lang": lang}, inf_nan_mode="null").decode() + "\n"


@pytest.fixture
def from_the_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every dump through the serializer a batch builds past its first reports."""
    monkeypatch.setattr(json_report, "SCHEMA_AFTER", 0)
    monkeypatch.setattr(json_report, "_serializers", {})


@pytest.mark.parametrize("name", sorted(p.stem for p in PROFILES.glob("*.toml")))
def test_a_batchs_serializer_writes_every_example_byte_for_byte(name, from_the_first):
    profile, kinds = example(name), set()
    for pack in PACKS.values():
        for when in (AS_OF, dt.date(2020, 10, 15)):
            before, after = assess(profile, pack, AS_OF), assess(profile, pack, when)
            ranking = rank_levers(profile, pack, when)
            results = [after, ranking, diff(snapshot(before), snapshot(after), pack)]
            results += [what_if(profile, pack, when, [], [lever.id]) for lever in ranking.levers[:2]]
            for result in results:
                kinds.add(type(result))
                for lang in ("en", "zh"):
                    assert json_report.render(result, lang) == inferred(result, lang), type(result).__name__
    assert {kind for kind, _ in json_report._serializers} == kinds  # each written by its serializer


def test_a_batchs_serializer_writes_nan_and_infinity_as_null(from_the_first):
    label = Text(en="Gross", zh="总额")
    figure = Figure(
        id="gross",
        label=label,
        unit="cny",
        value=float("nan"),
        formula="a * b",
        inputs=[Input(field="a", value=float("inf"), assumed=True, label=label, unit="cny")],
        policy="p",
    )
    written = json_report.render(figure, "zh")
    assert written == inferred(figure, "zh")
    assert json.loads(written) == {
        "id": "gross",
        "label": "总额",
        "unit": "cny",
        "value": None,
        "formula": "a * b",
        "inputs": [{"field": "a", "value": None, "assumed": True}],  # the report-only fields left out
        "policy": "p",
        "rung": False,
        "low": None,
        "high": None,
    }


@pytest.mark.parametrize("built", [False, True], ids=["inferred", "serializer"])
def test_the_bytes_a_batch_writes_are_the_report_encoded(built, monkeypatch):
    if built:
        monkeypatch.setattr(json_report, "SCHEMA_AFTER", 0)
        monkeypatch.setattr(json_report, "_serializers", {})
    for name in ("midsize_mcn_supply_services", "minimal", "kuaishou_taobao_2019"):
        for pack in PACKS.values():
            result = assess(example(name), pack, AS_OF)
            for lang in ("en", "zh"):
                data = json_report.encoded(result, lang)
                assert (
                    data
                    == json_report.render(result, lang).encode("utf-8")
                    == inferred(result, lang).encode()
                )
