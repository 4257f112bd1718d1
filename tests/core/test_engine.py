"""The engine's arithmetic: money at risk, the score and its factors, findings, confidence."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcn_advisor.core.engine import assess
from mcn_advisor.profile.load import load_profile
from mcn_advisor.profile.model import Profile
from tests.conftest import AS_OF, GOOD, PROFILES, example


def test_money_at_risk_is_the_documented_arithmetic(pack):
    p = example("midsize_mcn_supply_services")  # 30M GMV, 60% Douyin live, 45% 3rd-party, 20%
    a = assess(p, pack, AS_OF)
    assert a.impact.gmv_at_risk_cny_monthly == 30_000_000 * 0.60 * 0.45 == 8_100_000
    assert a.impact.revenue_at_risk_cny_monthly == 8_100_000 * 0.20 == 1_620_000
    figures = {f.id: f for f in a.impact.figures}
    # Star Map drag: third-party task value (revenue at risk x Star Map share) x (20% - 5%)
    assert figures["star_map_fee_drag_cny_monthly"].value == round(1_620_000 * 0.30 * 0.15)
    assert figures["star_map_fee_drag_matched_cny_monthly"].value == round(1_620_000 * 0.15)
    # Clients at risk, weighted by their Douyin live exposure: unwilling x min(linked, merchant-ordered
    # third-party live share of GMV); the headcount to sort stays in linked_clients.
    assert figures["clients_at_risk"].value == round(120 * 0.5 * min(0.40 + 0.05, 0.60 * 0.45)) == 16
    assert figures["linked_clients"].value == round(120 * (0.40 + 0.05)) == 54
    inputs = {i.field: i.value for i in figures["gmv_at_risk_cny_monthly"].inputs}
    assert inputs == {
        "agency.monthly_gmv_cny": 30_000_000,
        "platform_mix.douyin_live": 0.6,
        "douyin.third_party_link_share": 0.45,
    }


def test_short_video_and_store_gmv_are_not_at_risk(pack):
    p = example("midsize_mcn_supply_services")
    all_short_video = p.model_copy(
        update={
            "platform_mix": p.platform_mix.model_copy(update={"douyin_live": 0.0, "douyin_short_video": 0.70})
        }
    )
    assert assess(all_short_video, pack, AS_OF).impact.gmv_at_risk_cny_monthly == 0
    store_only = p.model_copy(update={"douyin": p.douyin.model_copy(update={"third_party_link_share": 0.0})})
    assert assess(store_only, pack, AS_OF).impact.gmv_at_risk_cny_monthly == 0


def test_score_is_the_sum_of_weighted_factors(pack):
    a = assess(example("small_pure_promotion"), pack, AS_OF)
    f = a.exposure.factors
    assert sum(x.weight for x in f) == 100
    assert a.exposure.score == pytest.approx(sum(x.value * x.weight for x in f), abs=0.05)
    for x in f:
        assert x.value == pytest.approx(min(1.0, x.raw / x.saturation), abs=1e-4)
        assert x.contribution == pytest.approx(x.value * x.weight, abs=0.01)
    live = next(x for x in f if x.id == "live_cart_cutoff")
    assert live.raw == pytest.approx(0.85 * 0.80)
    assert live.value == 1.0  # past the saturation of 0.5


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, "low"),
        (24.9, "low"),
        (25, "moderate"),
        (49.9, "moderate"),
        (50, "high"),
        (74.9, "high"),
        (75, "critical"),
        (100, "critical"),
    ],
)
def test_band_thresholds(pack, score, band):
    from mcn_advisor.core.engine import _band, _bounds

    assert _band(score, _bounds(pack.model.scoring)) == band


def test_findings_carry_evidence_trace_and_sources(pack):
    a = assess(example("small_pure_promotion"), pack, AS_OF)
    live = next(f for f in a.findings if f.rule_id == "DY-LIVE-001")
    assert live.severity == "critical"
    assert live.event and live.event.date == dt.date(2020, 10, 9)
    assert live.event.days_from_as_of == 43
    assert [(c.test, c.actual, c.held) for c in live.conditions] == [
        ("metric.third_party_live_share > 0", 0.68, True),
    ]
    assert live.sizing and (live.sizing.metric, live.sizing.value, live.sizing.impact) == (
        "cart_ban_live_share",
        0.68,
        5,
    )
    evidence = {e.field: e.value for e in live.evidence}
    assert evidence["metric.gmv_at_risk_cny_monthly"] == pytest.approx(4_000_000 * 0.85 * 0.8)
    assert [s.id for s in live.sources] == ["001", "002"]
    assert a.findings == sorted(a.findings, key=lambda f: f.severity == "info")  # info last


def test_risk_register_rates_likelihood_times_impact(pack):
    a = assess(example("small_pure_promotion"), pack, AS_OF)
    for r in a.risks:
        assert 1 <= r.likelihood <= 5 and 1 <= r.impact <= 5
        assert r.rating == r.likelihood * r.impact
        m = a.risk_matrix
        expected = (
            "low"
            if r.rating <= m.low
            else "medium"
            if r.rating <= m.medium
            else "high"
            if r.rating <= m.high
            else "critical"
        )
        assert r.level == expected
    live = next(r for r in a.risks if r.rule_id == "DY-LIVE-001")
    assert (live.likelihood, live.impact, live.level) == (5, 5, "critical")
    assert [r.rating for r in a.risks] == sorted((r.rating for r in a.risks), reverse=True)


def test_left_out_fields_become_assumptions_and_lower_confidence(pack):
    full = assess(example("large_own_brands"), pack, AS_OF)
    assert full.assumptions == [] and full.confidence.level == "high" and full.confidence.score == 1.0
    a = assess(example("minimal"), pack, AS_OF)
    assumed = {x.field: x.assumed_value for x in a.assumptions}
    assert assumed["douyin.third_party_link_share"] == 0.5
    assert assumed["agency.commission_rate"] == 0.2
    assert assumed["revenue_mix"] == {
        "live_commerce": 0.6,
        "advertising": 0.2,
        "supply_chain": 0.1,
        "services": 0.1,
    }
    assert assumed["clients.brand_clients"] is None  # no fair guess
    assert a.confidence.level == "low"
    # The money still uses the assumed share, and says so.
    assert a.impact.gmv_at_risk_cny_monthly == 10_000_000 * 0.8 * 0.5
    gmv = next(f for f in a.impact.figures if f.id == "gmv_at_risk_cny_monthly")
    assert [i.assumed for i in gmv.inputs] == [False, False, True]
    clients = next(f for f in a.impact.figures if f.id == "clients_at_risk")
    assert clients.value is None


def test_rules_on_left_out_fields_are_undetermined_not_false(pack):
    a = assess(example("minimal"), pack, AS_OF)
    undecided = {u.rule_id: u.unknown_fields for u in a.undetermined}
    assert undecided["DY-LIVE-001"] == ["douyin.third_party_link_share"]
    assert "DY-LIVE-001" not in {f.rule_id for f in a.findings}
    assert "clients.taobao_linked_share" in undecided["DY-CLIENT-001"]


def test_rules_overtaken_by_a_later_step_stop_applying(pack):
    p = example("small_pure_promotion")
    before = {f.rule_id for f in assess(p, pack, dt.date(2020, 9, 1)).findings}
    after = {f.rule_id for f in assess(p, pack, dt.date(2020, 10, 9)).findings}
    assert {"DY-FEE-001", "DY-MATCH-001"} <= before
    assert not {"DY-FEE-001", "DY-MATCH-001"} & after
    assert "DY-LIVE-001" in after


def test_a_profile_with_no_douyin_exposure(pack, write):
    p = load_profile(write(GOOD.replace("douyin_live = 0.5", "taobao_live = 0.5")))
    a = assess(p, pack, AS_OF)
    assert a.exposure.band == "low"
    assert a.impact.gmv_at_risk_cny_monthly == 0
    assert not [f for f in a.findings if f.kind == "risk"]


def test_assess_is_pure(pack):
    p = example("premium_brands")
    copy = Profile.model_validate(p.model_dump())
    assess(p, pack, AS_OF)
    assert p == copy


def test_an_assumed_share_never_breaks_its_limit_with_a_given_one(pack, write):
    # All clients JD-linked and the Taobao share left out: assuming 40% would make 140%.
    p = load_profile(write(GOOD + "\n[clients]\njd_linked_share = 1.0\n"))
    a = assess(p, pack, AS_OF)
    assumed = {x.field: x.assumed_value for x in a.assumptions}
    assert assumed["clients.taobao_linked_share"] == 0.0


def test_a_formula_that_overflows_for_a_profile_is_an_error_naming_it():
    # Every number in the pack and the profile is in range; their product is not.
    from mcn_advisor.errors import PackError
    from mcn_advisor.pack.compile import pack_from_text
    from tests.conftest import ROOT

    text = (ROOT / "mcn_advisor" / "pack" / "builtin" / "douyin_2020.toml").read_text("utf-8")
    huge = " * ".join(["agency.monthly_gmv_cny"] * 21)
    text = text.replace('formula = "metric.divert_exposed_share"', f'formula = "{huge}"', 1)
    pack = pack_from_text(text, "my.toml")
    line = text[: text.index(huge)].count("\n") + 1
    profile = Profile.model_validate(
        {
            "schema_version": 1,
            "agency": {"name": "Vast MCN", "monthly_gmv_cny": 1e15},
            "platform_mix": {"douyin_live": 1.0},
        }
    )
    with pytest.raises(PackError) as caught:
        assess(profile, pack, AS_OF)
    assert caught.value.problems == [
        f"my.toml:{line}: factors.6.formula: factor 'diversion_contracts' computes to inf for this profile, "
        "not a finite number (an overflow); check its formula"
    ]


@pytest.mark.parametrize("as_of", [dt.date(2020, 8, 1), dt.date(2020, 11, 1)])
def test_a_summary_rows_one_pass_reads_what_the_reports_read(pack, as_of):
    # Evaluation.ranked and undecided (what a batch's summary row reads) against the findings'
    # order and the traced outcomes (what a report reads): the same risks, in the same order,
    # and the same undecided rules with their severities, on every example profile.
    from mcn_advisor.core.engine import evaluate
    from mcn_advisor.vocab import SEVERITY_RANK

    undecided_seen = several = 0
    for path in sorted(PROFILES.glob("*.toml")):
        ev = evaluate(load_profile(path), pack, as_of)
        risks = [(-rank, -rating, rule_id) for rank, rating, rule_id, _, risk in ev.ranked if risk]
        undecided = ev.undecided
        assert risks == [
            (SEVERITY_RANK[ev.severity(c.rule)], ev.sizes[c.rule.id].rating, c.rule.id)
            for c in ev.held()
            if c.rule.kind == "risk"
        ]
        assert undecided == [
            (ev.severity(c.rule), c)
            for c, held, _ in ev.outcomes
            if held is None and c.rule.id not in ev.hindsight
        ]
        assert risks == sorted(risks, key=lambda r: (-r[0], -r[1], r[2]))  # most severe first
        undecided_seen += len(undecided)
        several += len(risks) > 1
    assert undecided_seen and several


# --- a pack's evaluation written as Python (engine._written) against its closures ----------


def _overflowing_pack():
    """The built-in pack with a factor whose formula overflows to inf for a GMV above 1e103."""
    from mcn_advisor.pack.compile import pack_from_text
    from tests.conftest import ROOT

    text = (ROOT / "mcn_advisor" / "pack" / "builtin" / "douyin_2020.toml").read_text("utf-8")
    huge = " * ".join(["agency.monthly_gmv_cny"] * 3)
    text = text.replace('formula = "metric.divert_exposed_share"', f'formula = "{huge}"', 1)
    return pack_from_text(text, "my.toml")


def _packs():
    from mcn_advisor.pack.compile import builtin_pack, load_pack
    from tests.conftest import ROOT

    return [
        builtin_pack("douyin_2020"),
        builtin_pack("kuaishou_2019"),
        load_pack(ROOT / "docs" / "examples" / "kuaishou_2022.toml"),
        _overflowing_pack(),
    ]


EVALUATED = _packs()
EXAMPLES = sorted(p.stem for p in PROFILES.glob("*.toml"))
NUMBERS = [0.0, 0, -0.0, 1.0, 1e-300, 1e15, 1e300, 2**62, 0.3, 0.6 + 0.3 - 1e-9]


def _ranked_from_results(checked, sizes, hindsight):
    """``Evaluation.ranked`` and ``undecided`` read back from the rules' results, sizes and
    hindsight, in a pass of their own over the rules (as the summary row once did)."""
    from mcn_advisor.vocab import SEVERITY_RANK

    ranked, undecided = [], []
    for c, held, rule_id, risk in checked:
        if held is False or rule_id in hindsight:
            continue
        size = sizes.get(rule_id)
        if held is None:
            undecided.append(("info" if size is None else size.level, c))
        else:
            rank, rating = (
                (SEVERITY_RANK["info"], 0) if size is None else (SEVERITY_RANK[size.level], size.rating)
            )
            ranked.append((-rank, -rating, rule_id, c, risk))
    return sorted(ranked, key=lambda r: r[:3]), undecided


def _run_both(pack, values, missing, as_of):
    """Both runs of a pack's evaluation on copies of the same inputs: each one's values, unknown
    names and results (rules by identity), or the error it raised. Each run's ranked and
    undecided rules, made as it decides them, are also what its results say."""
    from mcn_advisor.core import engine

    program = engine._program(pack)
    outcomes = []
    for run in (engine._interpreted(program, pack), engine._written(program, pack)):
        mine, unknown = dict(values), set(missing)
        try:
            result = run(mine, missing, unknown, as_of)
        except Exception as exc:  # noqa: BLE001  (the same error must come from both)
            outcomes.append(repr(exc))
            continue
        factors, score, checked, sizes, hindsight, ranked, undecided = result
        assert (ranked, undecided) == _ranked_from_results(checked, sizes, hindsight)
        rules = [(id(c), held, rule_id, risk) for c, held, rule_id, risk in checked]
        ranked = [(*key, id(c), risk) for *key, c, risk in ranked]
        undecided = [(severity, id(c)) for severity, c in undecided]
        outcomes.append(
            repr(
                (
                    sorted(mine.items()),
                    sorted(unknown),
                    factors,
                    score,
                    rules,
                    sizes,
                    hindsight,
                    ranked,
                    undecided,
                )
            )
        )
    return outcomes


@pytest.mark.parametrize("pack", EVALUATED, ids=lambda p: p.source)
def test_a_packs_written_evaluation_computes_exactly_what_its_closures_compute(pack):
    # Every example profile at dates before, between and after the packs' steps, as given.
    from mcn_advisor.core import engine
    from mcn_advisor.profile.model import flatten

    for name in EXAMPLES:
        for as_of in (dt.date(2020, 8, 1), dt.date(2020, 9, 10), dt.date(2020, 11, 1), dt.date(2023, 1, 1)):
            values, missing = flatten(example(name))
            engine._read_partners(values, missing, set(missing), pack, as_of)
            interpreted, written = _run_both(pack, values, missing, as_of)
            assert written == interpreted, (name, as_of)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_packs_written_evaluation_agrees_with_its_closures_on_any_values(data):
    # Random values in every field a pack reads (zeros, -0.0, huge, tiny, ints, floats that
    # overflow to inf in a formula), fields left out at random (with or without a value), any date.
    from mcn_advisor.core import engine
    from mcn_advisor.pack.names import NUMERIC, PARTNERS_FIELD
    from mcn_advisor.profile.model import flatten

    pack = data.draw(st.sampled_from(EVALUATED))
    values, missing = flatten(example(data.draw(st.sampled_from(EXAMPLES))))
    numbers = st.sampled_from(NUMBERS) | st.floats(-1e6, 1e6) | st.floats(0, 1) | st.integers(0, 10**9)
    for name in sorted(pack.fields_read & NUMERIC):
        given = values[name]
        if isinstance(given, float | int) and not isinstance(given, bool) and data.draw(st.booleans()):
            values[name] = data.draw(numbers)
    left_out = data.draw(st.sets(st.sampled_from(sorted(values)), max_size=8))
    for name in left_out:
        if name != PARTNERS_FIELD and data.draw(st.booleans()):
            values[name] = None  # no fair guess
    missing = frozenset(missing | left_out)
    as_of = data.draw(st.dates(dt.date(2020, 1, 1), dt.date(2023, 1, 1)))
    engine._read_partners(values, missing, set(missing), pack, as_of)
    interpreted, written = _run_both(pack, values, missing, as_of)
    assert written == interpreted


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_corners_written_rescore_computes_exactly_what_its_closures_compute(data):
    # A corner (revalue) recomputes the metrics and factors its fields reach: through closures,
    # then, once a set of them has been met often, through one written function. Random values
    # and fields set (zeros, -0.0, huge, ints, a factor that overflows to inf): the same values,
    # the same score to the bit, or the same error.
    from mcn_advisor.core import engine
    from mcn_advisor.pack.names import NUMERIC, PARTNERS_FIELD
    from mcn_advisor.profile.model import flatten

    pack = data.draw(st.sampled_from(EVALUATED))
    as_of = data.draw(st.dates(dt.date(2020, 1, 1), dt.date(2023, 1, 1)))
    values, missing = flatten(example(data.draw(st.sampled_from(EXAMPLES))))
    engine._read_partners(values, missing, set(missing), pack, as_of)
    factors, *_ = engine._program(pack).run(values, missing, set(missing), as_of)  # type: ignore[misc]
    numbers = st.sampled_from(NUMBERS) | st.floats(-1e6, 1e6) | st.floats(0, 1) | st.integers(0, 10**9)
    fields = {
        name: data.draw(numbers)
        for name in data.draw(st.sets(st.sampled_from(sorted(pack.fields_read & NUMERIC)), max_size=6))
        if name != PARTNERS_FIELD
    }
    reach = engine._reach(pack, frozenset(fields))
    outcomes = []
    for rescore in (engine._interpreted_rescore(pack, *reach), engine._written_rescore(pack, *reach)):
        mine = {**values, **fields}
        try:
            outcomes.append(repr((rescore(mine, factors), sorted(mine.items()))))
        except Exception as exc:  # noqa: BLE001  (the same error must come from both)
            outcomes.append(repr(exc))
    assert outcomes[1] == outcomes[0]


def test_a_packs_evaluation_is_written_once_it_has_run_often(monkeypatch, pack):
    # The closures for a pack's first EVALUATE_AFTER evaluations in a process, then the written
    # function: a single report never pays for writing it; the same evaluation either way.
    from mcn_advisor.core import engine
    from mcn_advisor.core.engine import evaluate

    monkeypatch.setattr(engine, "EVALUATE_AFTER", 2)
    written = []
    real = engine._written
    monkeypatch.setattr(engine, "_written", lambda program, p: written.append(p) or real(program, p))
    engine._program.cache_clear()
    try:
        profile = example("midsize_mcn_supply_services")
        runs = [evaluate(profile, pack, AS_OF) for _ in range(5)]
    finally:
        engine._program.cache_clear()
    assert written == [pack]  # once, at the third evaluation
    first = runs[0]
    for ev in runs[1:]:
        assert (ev.values, ev.unknown, ev.factors, ev.score, ev.band, ev.sizes) == (
            first.values,
            first.unknown,
            first.factors,
            first.score,
            first.band,
            first.sizes,
        )
        assert [(c.rule.id, held) for c, held, _, _ in ev.checked] == [
            (c.rule.id, held) for c, held, _, _ in first.checked
        ]
