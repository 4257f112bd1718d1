"""The model behaves sensibly over many generated profiles (hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from mcn_advisor.core.engine import assess, evaluate
from mcn_advisor.pack.compile import builtin_pack
from mcn_advisor.profile.model import Profile
from mcn_advisor.render import json as json_report
from mcn_advisor.vocab import SEVERITY_RANK
from tests.conftest import AS_OF

PACK = builtin_pack()
share = st.floats(0, 1, allow_nan=False)
# Known partners (in-platform on Douyin or not, in any case or script) and names no table holds.
PARTNERS = ["suning", "jd", "Suning", "苏宁", "京东", "taobao", "youzan", "acme foods"]
DATES = st.dates(dt.date(2020, 7, 1), dt.date(2021, 3, 1))


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
            "creators": draw(st.integers(0, 5000) | st.integers(0, 40)),
            "monthly_gmv_cny": draw(st.floats(0, 1e9)),
            "commission_rate": draw(share),
            "divert_contract_share": draw(share),
        },
        "revenue_mix": draw(mix(["live_commerce", "advertising", "supply_chain", "services"])),
        "platform_mix": draw(mix(["douyin_live", "douyin_short_video", "kuaishou", "taobao_live", "other"])),
        "douyin": {
            "third_party_link_share": draw(share),
            "affiliate_share": draw(share),
            "star_map_share": draw(share),
            "operates_own_store": draw(st.booleans()),
        },
        "supply_chain": {
            "product_selection_team": draw(st.booleans()),
            "warehousing": draw(st.booleans()),
            "logistics": draw(st.booleans()),
            "own_brands": draw(st.booleans()),
            "inventory_capital_cny": draw(st.floats(0, 1e8)),
            "partners": draw(st.lists(st.sampled_from(PARTNERS), max_size=3)),
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


# --- severity from size, and plans that fit the agency -----------------------------------


def findings(data, as_of=AS_OF):
    return {
        f.rule_id: f for f in assess(Profile.model_validate(data), PACK, as_of).findings if f.kind == "risk"
    }


def less_exposed(data, draw):
    """The same MCN with less of what the rules measure: fewer third-party links, fewer linked
    clients (Taobao and JD alike: a client's weight is its share of the linked clients' GMV, so
    fewer Taobao-linked clients alone would leave the JD-linked ones carrying more of it), more
    of them willing, more on Douyin stores, fewer premium brands and diversion clauses."""
    c, d, a = data["clients"], data["douyin"], data["agency"]
    out = with_(data, "douyin", "third_party_link_share", d["third_party_link_share"] * draw(share))
    fewer = draw(share)
    out = with_(out, "clients", "taobao_linked_share", c["taobao_linked_share"] * fewer)
    out = with_(out, "clients", "jd_linked_share", c["jd_linked_share"] * fewer)
    willing = c["willing_to_open_store_share"]
    out = with_(out, "clients", "willing_to_open_store_share", willing + (1 - willing) * draw(share))
    store = c["douyin_store_share"]
    out = with_(out, "clients", "douyin_store_share", store + (1 - store) * draw(share))
    out = with_(out, "clients", "premium_brand_share", c["premium_brand_share"] * draw(share))
    return with_(out, "agency", "divert_contract_share", a["divert_contract_share"] * draw(share))


@given(profiles(), st.data())
def test_severity_never_rises_when_the_measured_exposure_falls(data, more):
    before = findings(data)
    after = findings(less_exposed(data, more.draw))
    for rule_id, f in after.items():
        assert rule_id in before, rule_id  # less exposure raises no new risk
        assert SEVERITY_RANK[f.severity] <= SEVERITY_RANK[before[rule_id].severity], rule_id


@given(profiles(), DATES)
def test_a_finding_is_its_register_entry_and_never_a_risk_of_size_zero(data, as_of):
    profile = Profile.model_validate(data)
    a = assess(profile, PACK, as_of)
    sizes = evaluate(profile, PACK, as_of).sizes
    register = {r.rule_id: r for r in a.risks}
    for f in a.findings:
        if f.kind != "risk":
            continue
        r = register[f.rule_id]
        assert f.severity == r.level and f.sizing is not None
        assert (f.sizing.likelihood, f.sizing.impact, f.sizing.rating) == (r.likelihood, r.impact, r.rating)
        assert sizes[f.rule_id].value is None or sizes[f.rule_id].value > 0


@given(profiles(), DATES)
def test_every_action_is_due_inside_its_phase_and_owned_by_a_role_the_agency_has(data, as_of):
    a = assess(Profile.model_validate(data), PACK, as_of)
    plan, start = a.plan, None
    for phase in plan.phases:
        for act in phase.actions:
            assert act.start >= as_of and act.due > as_of
            assert (start is None or act.due > start) and (
                phase.deadline is None or act.due <= phase.deadline
            )
        start = phase.deadline or start
    planned = [act for phase in plan.phases for act in phase.actions]
    assert plan.tier is not None
    assert {act.owner for act in (*planned, *plan.optional)} <= set(plan.tier.owners)
    required = {act.id for act in planned}
    waiting = {x.id for x in (*plan.optional, *plan.set_aside)}
    for act in planned:
        assert not set(act.depends_on) & waiting  # nothing required waits for what may never be done
        assert set(act.depends_on) <= required
    assert {p.action_id for p in a.summary.priorities} <= required


@given(profiles())
def test_the_closed_loop_favours_an_mcn_with_little_third_party_live_gmv(data):
    a = assess(Profile.model_validate(data), PACK, AS_OF)
    if a.plan.favoured is not None:
        hedges = {"ACT-DIVERSIFY", "ACT-PRESENCE-KS"}
        assert not hedges & {act.id for phase in a.plan.phases for act in phase.actions}
        assert not hedges & {p.action_id for p in a.summary.priorities}
