"""The model behaves sensibly over many generated profiles (hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mcn_advisor.core.engine import assess
from mcn_advisor.pack.compile import builtin_pack
from mcn_advisor.profile.model import Profile
from mcn_advisor.render import json as json_report
from tests.conftest import AS_OF

PACK = builtin_pack()
share = st.floats(0, 1, allow_nan=False)


def mix(keys: list[str]):
    def norm(weights):
        total = sum(weights)
        if total == 0:
            return {keys[0]: 1.0}
        return {k: w / total for k, w in zip(keys, weights, strict=True)}

    return st.lists(st.integers(0, 100), min_size=len(keys), max_size=len(keys)).map(norm)


@st.composite
def profiles(draw):
    return {
        "schema_version": 1,
        "agency": {
            "name": "Generated MCN",
            "creators": draw(st.integers(0, 5000)),
            "monthly_gmv_cny": draw(st.floats(0, 1e9)),
            "commission_rate": draw(share),
            "divert_contract_share": draw(share),
        },
        "revenue_mix": draw(mix(["live_commerce", "advertising", "supply_chain", "services"])),
        "platform_mix": draw(mix(["douyin_live", "douyin_short_video", "kuaishou", "taobao_live", "other"])),
        "douyin": {
            "third_party_link_share": draw(share),
            "star_map_share": draw(share),
            "operates_own_store": draw(st.booleans()),
        },
        "supply_chain": {
            "product_selection_team": draw(st.booleans()),
            "warehousing": draw(st.booleans()),
            "logistics": draw(st.booleans()),
            "own_brands": draw(st.booleans()),
            "inventory_capital_cny": draw(st.floats(0, 1e8)),
            "partners": draw(st.lists(st.sampled_from(["suning", "jd"]), max_size=2)),
        },
        "clients": {
            "brand_clients": draw(st.integers(0, 1000)),
            "taobao_linked_share": (tb := draw(share)),
            "jd_linked_share": draw(st.floats(0, 1 - tb)),
            "douyin_store_share": draw(share),
            "premium_brand_share": draw(share),
            "willing_to_open_store_share": draw(share),
        },
    }


def score(data) -> float:
    return assess(Profile.model_validate(data), PACK, AS_OF).exposure.score


def with_(data, section, field, value):
    return {**data, section: {**data[section], field: value}}


@given(profiles())
def test_score_and_money_stay_in_bounds(data):
    a = assess(Profile.model_validate(data), PACK, AS_OF)
    assert 0 <= a.exposure.score <= 100
    assert all(0 <= f.value <= 1 for f in a.exposure.factors)
    gmv = data["agency"]["monthly_gmv_cny"]
    assert 0 <= a.impact.gmv_at_risk_cny_monthly <= round(gmv) + 1
    assert a.impact.revenue_at_risk_cny_monthly <= a.impact.gmv_at_risk_cny_monthly + 1
    for phase in a.plan.phases:
        assert all(x.due > AS_OF for x in phase.actions)


@given(profiles(), share)
def test_more_third_party_linked_gmv_never_lowers_exposure(data, more):
    current = data["douyin"]["third_party_link_share"]
    higher = with_(data, "douyin", "third_party_link_share", max(current, more))
    assert score(higher) >= score(data)


@given(profiles(), share)
def test_more_taobao_linked_clients_never_lower_exposure(data, more):
    c = data["clients"]
    raised = min(1 - c["jd_linked_share"], max(c["taobao_linked_share"], more))
    assert score(with_(data, "clients", "taobao_linked_share", raised)) >= score(data)


@given(profiles(), st.sampled_from(["product_selection_team", "warehousing", "logistics", "own_brands"]))
def test_adding_supply_capability_never_raises_exposure(data, capability):
    assert score(with_(data, "supply_chain", capability, True)) <= score(data)


@given(profiles(), st.floats(0, 1e8))
def test_more_inventory_capital_or_a_partner_never_raises_exposure(data, extra):
    sc = data["supply_chain"]
    richer = with_(data, "supply_chain", "inventory_capital_cny", sc["inventory_capital_cny"] + extra)
    assert score(richer) <= score(data)
    partnered = with_(data, "supply_chain", "partners", [*sc["partners"], "suning"])
    assert score(partnered) <= score(data)
    assert score(with_(data, "douyin", "operates_own_store", True)) <= score(data)


@given(profiles(), share)
def test_more_douyin_store_share_never_raises_exposure(data, more):
    current = data["clients"]["douyin_store_share"]
    assert score(with_(data, "clients", "douyin_store_share", max(current, more))) <= score(data)


@given(profiles())
def test_identical_input_gives_identical_output(data):
    first = json_report.render(assess(Profile.model_validate(data), PACK, AS_OF))
    second = json_report.render(assess(Profile.model_validate(data), PACK, AS_OF))
    assert first == second
