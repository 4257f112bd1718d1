"""Levers, what-if and diff behave sensibly over many generated profiles (hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from mcn_advisor.core.compare import compare, snapshot
from mcn_advisor.core.engine import assess, evaluate
from mcn_advisor.core.levers import rank_levers
from mcn_advisor.core.whatif import apply_lever, parse_assignment, what_if
from mcn_advisor.profile.model import FIELDS, MIX_TOLERANCE, MIXES, Profile
from tests.conftest import AS_OF
from tests.core.test_properties import PACK, profiles

OPTIONAL = [p for p in FIELDS if p not in ("agency.name", "agency.monthly_gmv_cny") and "_mix." not in p]


@st.composite
def sparse_profiles(draw):
    """Generated profiles with some optional fields left out (assumed by the engine)."""
    data = draw(profiles())
    for path in draw(st.lists(st.sampled_from(OPTIONAL), unique=True, max_size=6)):
        section, name = path.split(".")
        if section in data:
            data[section] = {k: v for k, v in data[section].items() if k != name}
    if draw(st.booleans()):
        del data["revenue_mix"]  # a whole table left out is assumed whole
    return Profile.model_validate(data)


@given(sparse_profiles())
def test_no_builtin_lever_ever_raises_exposure_or_money_at_risk(profile):
    base = evaluate(profile, PACK, AS_OF)
    for lever in PACK.levers:
        applied = apply_lever(lever, profile, base, PACK)
        if applied.profile is None:
            continue
        after = evaluate(applied.profile, PACK, AS_OF)
        assert after.score <= base.score, lever.lever.id
        for metric in ("gmv_at_risk_cny_monthly", "revenue_at_risk_cny_monthly"):
            assert after.values[f"metric.{metric}"] <= base.values[f"metric.{metric}"] + 1e-6, lever.lever.id
        for mix, names in MIXES.items():  # mixes stay whole: the profile validated, and sums hold
            assert abs(sum(after.values[f"{mix}.{n}"] for n in names) - 1) <= MIX_TOLERANCE


@settings(max_examples=50)  # ten full what-if runs per profile: fewer profiles, same reach
@given(sparse_profiles())
def test_when_the_ranking_says_a_lever_cuts_exposure_the_lever_does(profile):
    ranking = rank_levers(profile, PACK, AS_OF)
    for lever in ranking.levers:
        assert lever.score_cut >= 0 and lever.revenue_recovered_cny_monthly >= 0
        w = what_if(profile, PACK, AS_OF, [], [lever.id])
        assert w.comparison.after.score == lever.score_after
        if lever.score_cut > 0:
            assert w.comparison.after.score < w.comparison.before.score
    assert [r.value_per_week for r in ranking.levers] == sorted(
        (r.value_per_week for r in ranking.levers), reverse=True
    )


@given(profiles(), st.sampled_from([(m, n) for m, names in MIXES.items() for n in names]), st.floats(0, 1))
def test_rebalance_keeps_every_mix_whole(data, share, value):
    mix, name = share
    profile = Profile.model_validate(data)
    others = [v for k, v in data[mix].items() if k != name and v > 0]
    assignment = parse_assignment(f"{mix}.{name}={value!r}")
    if not others:
        return  # nothing to rebalance: refused, tested elsewhere
    w = what_if(profile, PACK, AS_OF, [assignment], rebalance=True)
    after = {c.field: c.after for c in w.changes}
    assert after[f"{mix}.{name}"] == value
    total = sum(after.get(f"{mix}.{n}", data[mix].get(n, 0.0)) for n in MIXES[mix])
    assert abs(total - 1) <= MIX_TOLERANCE


@given(sparse_profiles(), st.integers(0, 120))
def test_an_assessment_compared_with_itself_shows_no_change(profile, days):
    when = AS_OF + dt.timedelta(days=days)
    s = snapshot(assess(profile, PACK, when))
    c = compare(s, s, PACK)
    assert c.score_change == 0 and not c.factors
    assert all(f.change in (0, None) for f in c.figures)
    assert {f.status for f in c.findings} <= {"open"}
    assert {a.status for a in c.actions} <= {"kept"}
