"""Policy packs anyone can write: choosing them, assessing several at once, their fixtures,
the checks `policy validate` runs, and the second real pack (Kuaishou 2019)."""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcn_advisor.core.combine import assess_all
from mcn_advisor.core.engine import assess, finding_order
from mcn_advisor.core.fixtures import run_fixtures
from mcn_advisor.errors import PackError
from mcn_advisor.files.toml import key_lines
from mcn_advisor.pack.checks import loose_ends
from mcn_advisor.pack.compile import builtin_pack, pack_from_text
from mcn_advisor.pack.select import builtin_names, load_packs, resolve
from mcn_advisor.profile.model import FIELDS, Profile
from mcn_advisor.render import json as json_report
from mcn_advisor.render import terminal
from tests.conftest import AS_OF, GOLDEN, GOOD, ROOT, example, pack_texts
from tests.conftest import check_golden as check
from tests.core.test_properties import profiles, share, with_

DOUYIN = resources.files("mcn_advisor.pack").joinpath("builtin", "douyin_2020.toml").read_text("utf-8")
EXAMPLE = (ROOT / "docs" / "examples" / "kuaishou_2022.toml").read_text(encoding="utf-8")
DEC_2019 = dt.date(2019, 12, 16)


@pytest.fixture(scope="module")
def kuaishou():
    return resolve("kuaishou-2019")


def line_of(text: str, needle: str, start: str = "") -> int:
    offset = text.index(start) if start else 0
    return text[: text.index(needle, offset)].count("\n") + 1


def errors(text: str) -> list[str]:
    with pytest.raises(PackError) as info:
        pack_from_text(text, "pack.toml")
    return info.value.problems


# --- choosing packs ---------------------------------------------------------------------


def test_builtin_packs_have_short_names_and_douyin_is_the_default():
    assert builtin_names() == ["douyin-2020", "kuaishou-2019"]
    assert load_packs(None) == (builtin_pack(),)
    assert resolve("kuaishou-2019").id == "kuaishou-2019-taobao-links"


def test_a_pack_file_by_path(write):
    path = write(EXAMPLE, "mine.toml")
    assert resolve(str(path)).id == "kuaishou-2022-live-links"


def test_an_unknown_pack_name_suggests_the_close_one():
    with pytest.raises(PackError) as info:
        resolve("kuaishou-2020")
    assert info.value.problems == [
        "kuaishou-2020: no such policy pack: not a file, nor a built-in pack "
        "(douyin-2020, kuaishou-2019); did you mean 'kuaishou-2019'?"
    ]


def test_a_missing_pack_file_is_named(tmp_path):
    with pytest.raises(PackError) as info:
        resolve(str(tmp_path / "gone.toml"))
    assert info.value.problems == [f"{tmp_path / 'gone.toml'}: no such file"]


def test_a_rule_id_two_packs_define_points_at_the_users_file(write):
    mine = EXAMPLE.replace('"KS22-PLAT-001"', '"DY-PLAT-001"')
    path = write(mine, "mine.toml")
    for order in (["douyin-2020", str(path)], [str(path), "douyin-2020"]):
        with pytest.raises(PackError) as info:
            load_packs(order)
        [problem] = info.value.problems
        n = line_of(mine, 'id = "DY-PLAT-001"')
        assert problem.startswith(f"{path}:{n}: rules.1.id: 'DY-PLAT-001' is also defined by pack ")
        assert "<built-in douyin_2020.toml>:" in problem
        assert "must be unique across the packs assessed together" in problem


def test_the_same_pack_twice_and_different_risk_matrices_are_errors(write):
    with pytest.raises(PackError) as info:
        load_packs(["douyin-2020", "douyin-2020"])
    assert "pack 'douyin-2020-closed-loop' is given twice" in info.value.problems[0]
    mine = EXAMPLE.replace("[effort]", "[risk_matrix]\nlow = 4\n\n[effort]")
    path = write(mine, "mine.toml")
    with pytest.raises(PackError) as info:
        load_packs(["douyin-2020", str(path)])
    [problem] = info.value.problems
    assert problem.startswith(
        f"{path}:{line_of(mine, '[risk_matrix]')}: risk_matrix: low 4, medium 10, high 16"
    )
    assert "must share one risk matrix" in problem


# --- several packs, one assessment --------------------------------------------------------


def test_one_pack_through_assess_all_is_exactly_assess(pack):
    p = example("midsize_mcn_supply_services")
    assert json_report.render(assess_all(p, (pack,), AS_OF)) == json_report.render(assess(p, pack, AS_OF))


def test_two_packs_headline_is_the_highest_and_everything_is_tagged(pack, kuaishou):
    p = example("kuaishou_taobao_2019")
    alone = {x.id: assess(p, x, DEC_2019) for x in (pack, kuaishou)}
    a = assess_all(p, (pack, kuaishou), DEC_2019)
    assert [r.id for r in a.policies] == [pack.id, kuaishou.id]
    assert [r.headline for r in a.policies] == [False, True]
    assert [r.score for r in a.policies] == [alone[pack.id].exposure.score, alone[kuaishou.id].exposure.score]
    assert a.policy.id == kuaishou.id
    assert (a.exposure.score, a.exposure.band) == (alone[kuaishou.id].exposure.score, "critical")
    # money: the headline pack's own figures, never a sum nor a mix of packs
    head = alone[kuaishou.id].impact
    assert (a.impact.gmv_at_risk_cny_monthly, a.impact.revenue_at_risk_cny_monthly) == (
        head.gmv_at_risk_cny_monthly,
        head.revenue_at_risk_cny_monthly,
    )
    assert a.impact.policy == kuaishou.id
    assert {p.policy for p in a.summary.priorities} == {kuaishou.id}
    for pid, part in alone.items():
        assert [f.rule_id for f in a.findings if f.policy == pid] == [f.rule_id for f in part.findings]
        assert {f.policy for f in part.findings} <= {pid}
        assert sum(f.contribution for f in a.exposure.factors if f.policy == pid) == pytest.approx(
            part.exposure.score, abs=0.1
        )
    assert a.findings == sorted(a.findings, key=finding_order)
    assert [r.rating for r in a.risks] == sorted((r.rating for r in a.risks), reverse=True)
    for item in (*a.undetermined, *a.opportunities, *a.plan.phases, *a.plan.dropped, *a.impact.figures):
        assert item.policy in (pack.id, kuaishou.id)
    for phase in a.plan.phases:
        assert all(act.policy == phase.policy for act in phase.actions)


def test_two_packs_plan_phases_come_by_deadline_and_the_timeline_is_merged(pack, kuaishou):
    a = assess_all(example("kuaishou_taobao_2019"), (pack, kuaishou), DEC_2019)
    deadlines = [p.deadline for p in a.plan.phases]
    dated = [d for d in deadlines if d]
    assert dated == sorted(dated) and deadlines[len(dated) :] == [None, None]
    assert [p.policy for p in a.plan.phases if p.deadline is None] == [pack.id, kuaishou.id]
    dates = [e.date for e in a.timeline]
    assert dates == sorted(dates)
    keys = [(e.id, e.date) for e in a.timeline]
    assert len(keys) == len(set(keys))  # both packs list 2019-12-23 and 2020-06-16: shown once
    assert ("kuaishou_stops_taobao", dt.date(2019, 12, 23)) in keys


def test_two_packs_assumptions_and_confidence_cover_every_field_either_reads(pack, kuaishou):
    p = example("kuaishou_first_jd")  # gives no [kuaishou] table
    douyin_only = assess(p, pack, AS_OF)
    both = assess_all(p, (pack, kuaishou), AS_OF)
    assert not any(x.field.startswith("kuaishou.") for x in douyin_only.assumptions)
    assert {"kuaishou.taobao_link_share", "kuaishou.jd_link_share"} <= {x.field for x in both.assumptions}
    assert both.confidence.score < douyin_only.confidence.score


def test_two_packs_terminal_report_at_80_columns(pack, kuaishou):
    p = example("kuaishou_first_jd")
    text = terminal.render(assess_all(p, (kuaishou, pack), DEC_2019), "en", width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    check(GOLDEN / "kuaishou_first_jd.two_packs.txt", text)


def test_kuaishou_pack_json_golden(kuaishou):
    p = example("kuaishou_taobao_2019")
    check(
        GOLDEN / "kuaishou_taobao_2019.kuaishou_2019.json", json_report.render(assess(p, kuaishou, p.as_of))
    )


# --- the Kuaishou 2019 pack ---------------------------------------------------------------


def test_kuaishou_pack_covers_the_reported_policy(kuaishou):
    events = {e.id: e.date.isoformat() for e in kuaishou.model.events}
    assert events["kuaishou_stops_taobao"] == "2019-12-23"
    assert events["kuaishou_jd_deal"] == "2020-05-27"
    assert events["jd_inside_kuaishou"] == "2020-06-16"
    assert [e.id for e in kuaishou.model.events if e.step] == ["kuaishou_stops_taobao"]
    sources = kuaishou.model.sources
    assert sources["technode-2019-12-30"].publisher.en == "TechNode"
    assert "KrAsia" in {s.publisher.en for s in sources.values()}
    for c in kuaishou.rules:
        assert c.rule.title.zh and c.rule.rationale.zh and c.rule.sources


def test_kuaishou_example_profile_in_december_2019(kuaishou, pack):
    p = example("kuaishou_taobao_2019")
    a = assess(p, kuaishou, p.as_of)
    assert a.exposure.band == "critical"
    fired = {f.rule_id for f in a.findings}
    assert {"KS-TB-001", "KS-REV-001", "KS-SUPPLY-001", "KS-CLIENT-001", "KS-CONTRACT-001"} <= fired
    assert {o.rule_id for o in a.opportunities} == {"KS-JD-001", "KS-TBLIVE-001"}
    assert a.impact.gmv_at_risk_cny_monthly == 25_000_000 * 0.75 * 0.55
    # dated against 2019-12: the cut-off is a week away and its phase ends then
    assert next(f for f in a.findings if f.rule_id == "KS-TB-001").event.days_from_as_of == 7
    first = a.plan.phases[0]
    assert (first.deadline, first.days_left) == (dt.date(2019, 12, 23), 7)
    assert all(not act.late_by_days for act in first.actions)
    # JD goods cannot be sold inside Kuaishou before 2020-06-16
    jd = next(act for act in a.plan.optional if act.id == "ACT-KS-JD-SUPPLY")  # an opportunity
    assert jd.start == dt.date(2020, 6, 16)
    assert assess(p, pack, p.as_of).exposure.band == "low"


def test_kuaishou_pack_leaves_existing_profiles_alone(pack):
    # the optional [kuaishou] table: Douyin assessments of old profiles do not mention it
    for name in ("minimal", "small_pure_promotion"):
        a = assess(example(name), pack, AS_OF)
        assert not any(x.field.startswith("kuaishou") for x in a.assumptions)


def test_kuaishou_shares_must_fit(write):
    from mcn_advisor.errors import ProfileError
    from mcn_advisor.profile.load import load_profile

    path = write(GOOD + "\n[kuaishou]\ntaobao_link_share = 0.8\njd_link_share = 0.4\n")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert info.value.problems == [
        f"{path}:12: kuaishou: taobao_link_share + jd_link_share = 1.2, must not exceed 1"
    ]
    assert FIELDS["kuaishou.taobao_link_share"].assumed == 0.30


@given(profiles(), share, share)
def test_kuaishou_more_taobao_linked_gmv_never_lowers_exposure(data, low, high):
    low, high = sorted((low, high))
    pack = resolve("kuaishou-2019")

    def score(tb):
        d = {**data, "kuaishou": {"taobao_link_share": tb, "jd_link_share": 0.0}}
        return assess(Profile.model_validate(d), pack, DEC_2019).exposure.score

    assert score(low) <= score(high)


@given(profiles(), st.sampled_from(["warehousing", "logistics", "own_brands", "product_selection_team"]))
def test_kuaishou_more_supply_capability_never_raises_exposure(data, field):
    pack = resolve("kuaishou-2019")

    def score(d):
        return assess(Profile.model_validate(d), pack, DEC_2019).exposure.score

    assert score(with_(data, "supply_chain", field, True)) <= score(with_(data, "supply_chain", field, False))


# --- fixtures: policy test ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["douyin-2020", "kuaishou-2019"])
def test_builtin_fixtures_pass_and_every_rule_fires_in_one(name):
    pack = resolve(name)
    results = run_fixtures(pack)
    assert results and all(r.passed for r in results), [f for r in results for f in r.failures]
    expected = {rule_id for f in pack.model.fixtures for rule_id in (*f.expect.fire, *f.expect.severity)}
    fired = {rule_id for r in results for rule_id in r.fired}
    for c in pack.rules:
        assert c.rule.id in expected, f"{c.rule.id}: no fixture of {name} expects it to fire"
        assert c.rule.id in fired
    assert loose_ends(pack) == []


def _fixture_failures(text: str) -> list[str]:
    pack = pack_from_text(text, "pack.toml")
    return [f for r in run_fixtures(pack) for f in r.failures]


def test_a_failing_band_points_at_its_line():
    bad = EXAMPLE.replace('band = "critical"', 'band = "high"')
    [failure] = _fixture_failures(bad)
    n = line_of(bad, 'band = "high"')
    assert failure == f"pack.toml:{n}: fixtures.0.expect.band: expected band high, got critical (score 91.2)"


def test_a_rule_that_fires_when_it_must_not_shows_the_tests_that_held():
    bad = EXAMPLE.replace("taobao_link_share = 0.0\n", "taobao_link_share = 0.2\n")
    failures = _fixture_failures(bad)
    n = line_of(bad, '"KS22-LINK-001"', start='id = "shop_only"')
    assert (
        f"pack.toml:{n}: fixtures.1.expect.silent.0: expected KS22-LINK-001 to stay silent; it fired: held: "
        "platform_mix.kuaishou > 0 (saw 0.5); metric.outside_link_share > 0 (saw 0.1)"
    ) in failures


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (  # a rule that does not fire shows the tests that failed
            "kuaishou = 0.80\ndouyin_live = 0.20",
            "kuaishou = 0.50\ndouyin_live = 0.50",
            "fixtures.0.expect.fire.1: expected KS22-PLAT-001 to fire; it stayed silent: failed: "
            "platform_mix.kuaishou >= 0.6 (saw 0.5)",
        ),
        (  # an undecided rule names the fields to fill in
            "taobao_link_share = 0.30\njd_link_share = 0.30\n",
            "",
            "fixtures.0.expect.fire.0: expected KS22-LINK-001 to fire; it is undecided: "
            "the profile leaves out kuaishou.jd_link_share, kuaishou.taobao_link_share",
        ),
    ],
)
def test_a_rule_that_does_not_fire_says_why(old, new, message):
    failures = _fixture_failures(EXAMPLE.replace(old, new))
    assert any(message in f for f in failures), failures


def test_loose_ends_are_warnings_on_their_lines():
    text = EXAMPLE.replace('actions = ["ACT-KS22-DIVERSIFY"]\n', "").replace(
        'fire = ["KS22-LINK-001", "KS22-PLAT-001"]', 'fire = ["KS22-LINK-001"]'
    )
    text = text.replace(
        "[sources.later-reporting]",
        '[sources.unused]\ntitle = "x"\npublisher = "y"\n\n[sources.later-reporting]',
    )
    warnings = loose_ends(pack_from_text(text, "pack.toml"))
    assert warnings == [  # sorted by line, like errors
        f"pack.toml:{line_of(text, '[sources.unused]')}: sources.unused: source 'unused' is never cited",
        f"pack.toml:{line_of(text, 'id = ' + chr(34) + 'KS22-PLAT-001')}: rules.1.id: "
        "'KS22-PLAT-001' fires in no fixture; add one that expects it",
        f"pack.toml:{line_of(text, 'id = ' + chr(34) + 'ACT-KS22-DIVERSIFY')}: actions.2.id: "
        "'ACT-KS22-DIVERSIFY' is never planned: no rule calls for it",
    ]
    no_fixtures = EXAMPLE.split("# --- fixtures")[0]
    assert loose_ends(pack_from_text(no_fixtures, "x.toml")) == [
        "x.toml:11: pack: no fixtures: add [[fixtures]] so that `mcn-advisor policy test` can check the rules"
    ]


# --- what policy validate checks, each on its line ------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            'op = ">=", value = 0.6',
            'op = "=>", value = 0.6',
            'op = "=>"',
            "rules.1.when.op: must be one of '==', '!=', '<', '<=', '>', '>=', 'in', 'not_in', 'contains', "
            "'empty' or 'not_empty'; did you mean '>='? (got \"=>\")",
        ),
        (
            'id = "ACT-KS22-SHOP"',
            'id = "ACT-KS22-TRIAGE"',
            'id = "ACT-KS22-TRIAGE"\nstrategy = "service_provider"',
            "actions.1.id: duplicate id 'ACT-KS22-TRIAGE' (first at actions[0])",
        ),
        (
            'fire = ["KS22-LINK-001", "KS22-PLAT-001"]',
            'fire = ["KS22-LINK-001", "KS22-PLAT-001"]\nsilent = ["KS22-PLAT-001"]',
            'silent = ["KS22-PLAT-001"]',
            "fixtures.0.expect.silent.0: 'KS22-PLAT-001' is already expected to fire",
        ),
        (
            'effort = "L"\n',
            'effort = "L"\nnot_before = "taobao_referal_stop"\n',
            "not_before",
            "actions.2.not_before: unknown event 'taobao_referal_stop'; "
            "did you mean 'taobao_referrals_stop'?",
        ),
        (
            'effort = "S"\n',
            'effort = "S"\nnot_before = "live_links_closed"\n',
            "not_before",
            "actions.0.not_before: 'live_links_closed' (2022-03-01) is not before the deadline of phase "
            "'before_close' (2022-03-01); move the action to a later phase",
        ),
        (
            'event = "live_links_closed"\nlikelihood = 5',
            'event = "live_links_closed"\nuntil = "taobao_referrals_stop"\nlikelihood = 5',
            'until = "taobao_referrals_stop"',
            "rules.0.until: 'taobao_referrals_stop' (2019-12-23) must come after the rule's event "
            "'live_links_closed' (2022-03-01)",
        ),
        (
            '[fixtures.profile.agency]\nname = "Fixture: shop only"',
            "[fixtures.profile]\nas_of = 2022-01-01\n\n"
            '[fixtures.profile.agency]\nname = "Fixture: shop only"',
            "as_of = 2022-01-01",
            "fixtures.1.profile.as_of: a fixture's date is its own as_of (next to id), not the profile's",
        ),
        (
            'as_of = 2022-02-01\n\n[fixtures.expect]\nband = "low"\n'
            'silent = ["KS22-LINK-001", "KS22-PLAT-001"]',
            "as_of = 2022-02-01\n\n[fixtures.expect]",
            '[fixtures.expect]\n\n[fixtures.profile.agency]\nname = "Fixture: shop',
            "fixtures.1.expect: expects nothing; give a band, or rules to fire, stay silent or undecided",
        ),
    ],
)
def test_pack_errors_point_at_their_line(old, new, needle, message):
    assert old in EXAMPLE
    bad = EXAMPLE.replace(old, new, 1)
    lines = errors(bad)
    assert f"pack.toml:{line_of(bad, needle)}: {message}" in lines, lines


def test_events_out_of_order_name_the_event_before():
    bad = EXAMPLE.replace("date = 2019-12-23", "date = 2023-12-23")
    assert errors(bad) == [
        f"pack.toml:{line_of(bad, 'date = 2022-03-01')}: events.1.date: events must be listed in date order: "
        "2022-03-01 is listed after 'taobao_referrals_stop' (2023-12-23)"
    ]


def test_a_duplicate_action_is_not_also_reported_as_a_cycle():
    bad = EXAMPLE.replace('id = "ACT-KS22-SHOP"', 'id = "ACT-KS22-TRIAGE"')
    assert not any("cycle" in x for x in errors(bad))


def test_a_condition_test_in_a_multiline_tree_points_at_its_own_line():
    bad = EXAMPLE.replace(
        '{ field = "metric.outside_link_share", op = ">", value = 0 }',
        '{ field = "metric.outside_links", op = ">", value = 0 }',
    )
    [line] = errors(bad)
    assert line.startswith(
        f"pack.toml:{line_of(bad, 'metric.outside_links')}: rules.0.when.all.1: unknown field"
    )


def test_fixture_profile_errors_point_into_the_fixture():
    bad = EXAMPLE.replace(
        "monthly_gmv_cny = 10_000_000\n\n[fixtures.profile.platform_mix]\nkuaishou = 0.50",
        "monthly_gmv_cny = -1\n\n[fixtures.profile.platform_mix]\nkuaishou = 0.50",
    )
    assert errors(bad) == [
        f"pack.toml:{line_of(bad, 'monthly_gmv_cny = -1')}: fixtures.1.profile.agency.monthly_gmv_cny: "
        "must be at least 0 (got -1)"
    ]


def test_subtables_of_arrays_of_tables_get_their_lines():
    lines = key_lines("[[a]]\nx = 1\n[a.b]\ny = 2\n[[a]]\n[a.b.c]\nz = 3\n")
    assert lines[("a", 0, "b", "y")] == 4
    assert lines[("a", 1, "b", "c", "z")] == 7


def test_not_before_delays_an_action_until_its_event():
    text = EXAMPLE.replace('effort = "L"\n', 'effort = "L"\nnot_before = "live_links_closed"\n')
    pack = pack_from_text(text, "pack.toml")
    p = Profile.model_validate(
        {
            "schema_version": 1,
            "agency": {"name": "x", "monthly_gmv_cny": 1e6},
            "platform_mix": {"kuaishou": 1.0},
        }
    )
    a = assess(p, pack, dt.date(2022, 1, 1))
    act = next(x for phase in a.plan.phases for x in phase.actions if x.id == "ACT-KS22-DIVERSIFY")
    assert (act.start, act.due) == (dt.date(2022, 3, 1), dt.date(2022, 3, 31))


def test_the_douyin_pack_still_loads_with_its_fixtures(pack):
    assert len(pack.model.fixtures) >= 5
    assert pack_from_text(DOUYIN, "x").model == pack.model


@pytest.mark.parametrize("name", builtin_names())
def test_no_text_a_client_reads_names_a_rate_by_its_id(name):
    """A rate is named by what it means and its value ("half of the gap"), never by its id
    (`fee_pass_through`): the ids are for the formulas and the methods table."""
    model = resolve(name).model
    ids = set(getattr(model, "rates", {}) or {})
    found = [
        (where, rid)
        for where, text in pack_texts(model)
        if not where.startswith((".rates", ".fixtures"))
        for lang in ("en", "zh")
        for rid in ids
        if re.search(rf"(?<![\w.]){re.escape(rid)}(?!\w)", text[lang])
    ]
    assert not found, found[:5]
