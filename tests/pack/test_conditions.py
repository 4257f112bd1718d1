"""Condition trees: validated against the profile's fields, three-valued, fully traced."""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from mcn_advisor.pack.conditions import compile_check, compile_condition
from mcn_advisor.pack.models import validate_condition
from mcn_advisor.pack.names import condition_fields

CONTEXT = {"fields": condition_fields(["supply_capability"])}


def build(tree):
    return compile_condition(validate_condition(tree, context=CONTEXT))


def check(tree, values, unknown=()):
    trace = []
    return build(tree)(values, set(unknown), trace), trace


LIVE = {"field": "platform_mix.douyin_live", "op": ">", "value": 0.5}
STORE = {"field": "douyin.operates_own_store", "op": "==", "value": False}
PARTNERS = {"field": "supply_chain.partners", "op": "empty"}


def test_all_any_not():
    values = {"platform_mix.douyin_live": 0.6, "douyin.operates_own_store": True}
    assert check({"all": [LIVE, STORE]}, values)[0] is False
    assert check({"any": [LIVE, STORE]}, values)[0] is True
    assert check({"not": STORE}, values)[0] is True


def test_every_test_is_traced_with_its_value():
    values = {"platform_mix.douyin_live": 0.2, "douyin.operates_own_store": False}
    held, trace = check({"all": [LIVE, STORE]}, values)
    assert held is False
    assert [(t.field, actual, ok) for t, actual, ok in trace] == [
        ("platform_mix.douyin_live", 0.2, False),
        ("douyin.operates_own_store", False, True),
    ]


def test_unknown_field_is_unknown_not_false():
    values = {"platform_mix.douyin_live": 0.6, "douyin.operates_own_store": False}
    held, trace = check({"all": [LIVE, STORE]}, values, unknown={"douyin.operates_own_store"})
    assert held is None
    assert trace[1][2] is None
    # ...but a false branch decides an ALL, and a true branch decides an ANY.
    values["platform_mix.douyin_live"] = 0.1
    assert check({"all": [LIVE, STORE]}, values, unknown={"douyin.operates_own_store"})[0] is False
    values["platform_mix.douyin_live"] = 0.9
    assert check({"any": [LIVE, STORE]}, values, unknown={"douyin.operates_own_store"})[0] is True
    assert check({"not": STORE}, values, unknown={"douyin.operates_own_store"})[0] is None


def test_the_untraced_check_gives_the_traced_result_on_every_tree_and_unknown():
    # What a batch's summary runs (compile_check) against what a report shows (compile_condition):
    # nested ALL/ANY/NOT over every mix of true, false and unknown tests.
    trees = [
        LIVE,
        {"not": LIVE},
        {"all": [LIVE, STORE, PARTNERS]},
        {"any": [LIVE, STORE, PARTNERS]},
        {"all": [LIVE, {"any": [STORE, {"not": PARTNERS}]}]},
        {"any": [{"all": [LIVE, STORE]}, {"not": {"any": [PARTNERS, STORE]}}]},
        {"not": {"all": [{"not": LIVE}, PARTNERS]}},
    ]
    fields = ("platform_mix.douyin_live", "douyin.operates_own_store", "supply_chain.partners")
    options = ([0.2, 0.9], [False, True], [[], ["Lihua"]])
    seen = set()
    for tree in trees:
        node = validate_condition(tree, context=CONTEXT)
        traced, untraced = compile_condition(node), compile_check(node)
        for chosen in itertools.product(*options):
            values = dict(zip(fields, chosen, strict=True))
            for n in range(len(fields) + 1):
                for unknown in itertools.combinations(fields, n):
                    held = untraced(values, set(unknown))
                    assert held is traced(values, set(unknown), [])
                    seen.add(held)
    assert seen == {True, False, None}


def test_list_operators():
    assert check(PARTNERS, {"supply_chain.partners": []})[0] is True
    contains = {"field": "supply_chain.partners", "op": "contains", "value": "suning"}
    assert check(contains, {"supply_chain.partners": ["Suning"]})[0] is True
    inside = {"field": "agency.name", "op": "in", "value": ["A", "B"]}
    assert check(inside, {"agency.name": "B"})[0] is True


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        (
            {"field": "clients.taobao_share", "op": ">", "value": 0},
            "unknown field 'clients.taobao_share'; did you mean 'clients.taobao_linked_share'?",
        ),
        (
            {"field": "metric.supply_capabilty", "op": ">", "value": 0},
            "did you mean 'metric.supply_capability'?",
        ),
        (
            {"field": "douyin.operates_own_store", "op": ">", "value": 0},
            "operator '>' does not apply to bool field",
        ),
        (
            {"field": "platform_mix.douyin_live", "op": ">", "value": "high"},
            'value "high" does not fit number field',
        ),
        (
            {"field": "platform_mix.douyin_live", "op": ">", "value": True},
            "value true does not fit number field",
        ),
        ({"field": "supply_chain.partners", "op": "empty", "value": 1}, "takes no value"),
        ({"field": "agency.name", "op": "in", "value": []}, "non-empty list"),
        ({"field": "agency.name", "op": "~=", "value": "x"}, "Input should be"),
        ({"all": []}, "at least 1 item"),
        ({"all": [LIVE], "extra": 1}, "Extra inputs are not permitted"),
    ],
)
def test_bad_trees_are_refused_when_loaded(tree, message):
    with pytest.raises(ValidationError) as info:
        validate_condition(tree, context=CONTEXT)
    assert message in str(info.value)


def test_errors_deep_in_a_tree_are_located():
    bad = {"all": [LIVE, {"any": [STORE, {"field": "nope.x", "op": "==", "value": 1}]}]}
    with pytest.raises(ValidationError) as info:
        validate_condition(bad, context=CONTEXT)
    from mcn_advisor.files.problems import describe

    assert describe(info.value, type(None), "pack.toml", {}) == [  # type: ignore[arg-type]
        "pack.toml: all.1.any.1: unknown field 'nope.x'"
    ]


def test_a_swapped_operator_is_suggested_the_right_way_round():
    from mcn_advisor.errors import suggest

    assert suggest("=>", ["==", "!=", "<", "<=", ">", ">="]) == ">="
    assert suggest("=<", ["==", "!=", "<", "<=", ">", ">="]) == "<="
    assert suggest("warehosuing", ["warehousing", "logistics"]) == "warehousing"
