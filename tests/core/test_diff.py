"""diff: two saved JSON assessments of one MCN, compared; anything else refused clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcn_advisor.core.compare import diff, saved_snapshot
from mcn_advisor.core.engine import assess
from mcn_advisor.errors import InputError
from mcn_advisor.files.saved import read_json
from mcn_advisor.render import decisions_terminal as decisions
from mcn_advisor.render import json as json_report
from tests.conftest import example


def saved(pack, tmp_path: Path, name: str, lang: str = "en", as_of=None, file: str | None = None) -> Path:
    profile = example(name)
    path = tmp_path / (file or f"{name}-{lang}.json")
    path.write_text(json_report.render(assess(profile, pack, as_of or profile.as_of), lang), encoding="utf-8")
    return path


@pytest.fixture
def august(pack, tmp_path) -> Path:
    return saved(pack, tmp_path, "small_pure_promotion")


@pytest.fixture
def september(pack, tmp_path) -> Path:
    return saved(pack, tmp_path, "small_pure_promotion_september")


def compare(pack, old: Path, new: Path):
    return diff(
        saved_snapshot(read_json(old), old), saved_snapshot(read_json(new), new), pack, (str(old), str(new))
    )


def test_a_month_of_progress(pack, august, september):
    d = compare(pack, august, september)
    c = d.comparison
    assert d.days == 31 and d.agency == "Spark Live Studio (example)"
    assert (c.before.score, c.after.score, c.before.band, c.after.band) == (93.5, 72.1, "critical", "high")
    assert c.band_changed and c.score_change == -21.4
    revenue = next(f for f in c.figures if f.id == "revenue_at_risk_cny_monthly")
    assert (revenue.before, revenue.after, revenue.change) == (598_400, 310_200, -288_200)
    findings = {f.rule_id: f for f in c.findings}
    assert findings["DY-SUPPLY-001"].status == "resolved" and findings["DY-MATCH-001"].status == "resolved"
    assert findings["DY-STORE-001"].status == "new"
    plat = findings["DY-PLAT-001"]
    assert plat.status == "open" and plat.accepted_after and not plat.accepted_before
    actions = {a.id: a for a in c.actions}
    assert actions["ACT-SUPPLY-PARTNER"].status == "done"  # the profile now names a partner
    assert actions["ACT-STARMAP-ROUTE"].status == "gone"  # DY-MATCH-001 resolved
    assert actions["ACT-DIVERSIFY"].status == "gone"  # its only finding is now accepted
    triage = actions["ACT-TRIAGE"]  # due 2020-09-01 in August's plan (a small agency's 5 days), still planned
    assert triage.status == "overdue" and triage.overdue_days == 26


def test_the_same_assessment_twice_shows_no_change(pack, august):
    c = compare(pack, august, august).comparison
    assert c.score_change == 0 and not c.factors and not c.band_changed
    assert {f.status for f in c.findings} == {"open"}
    assert {a.status for a in c.actions} == {"kept"}


def test_a_later_date_makes_earlier_actions_overdue(pack, tmp_path):
    import datetime as dt

    old = saved(pack, tmp_path, "midsize_mcn_supply_services", file="old.json")
    new = saved(pack, tmp_path, "midsize_mcn_supply_services", as_of=dt.date(2020, 9, 20), file="new.json")
    actions = {a.id: a for a in compare(pack, old, new).comparison.actions}
    assert actions["ACT-TRIAGE"].status == "overdue" and actions["ACT-TRIAGE"].overdue_days == 17
    assert actions["ACT-DIVERSIFY"].status == "kept"  # not due yet by the August plan


def test_files_saved_in_different_languages_compare_in_the_language_asked(pack, tmp_path):
    old = saved(pack, tmp_path, "small_pure_promotion", "zh")
    new = saved(pack, tmp_path, "small_pure_promotion_september", "en")
    d = compare(pack, old, new)
    text_en = decisions.diff(d, "en", width=100)
    text_zh = decisions.diff(d, "zh", width=100)
    assert "Selection team only: no supply chain to replace third-party goods" in text_en
    assert "只有选品团队：缺少能替代第三方商品的供应链" in text_zh
    assert "只有选品团队" not in text_en


def test_texts_the_pack_does_not_know_keep_the_saved_wording(pack, tmp_path, august):
    data = json.loads(august.read_text())
    data["findings"][0]["rule_id"] = "DY-OLD-001"
    data["findings"][0]["title"] = "A rule from an older pack"
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data))
    c = compare(pack, old, august).comparison
    gone = next(f for f in c.findings if f.rule_id == "DY-OLD-001")
    assert gone.status == "resolved" and gone.title.zh == "A rule from an older pack"


def test_assessments_saved_before_accepted_risks_existed_still_load(pack, tmp_path, august):
    data = json.loads(august.read_text())
    for f in data["findings"]:
        del f["accepted"], f["acceptance"]
    del data["plan"]["in_place"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data))
    assert compare(pack, old, august).comparison.score_change == 0


def edited(tmp_path: Path, source: Path, change, name: str = "edited.json") -> Path:
    data = json.loads(source.read_text())
    change(data)
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def refusal(pack, old: Path, new: Path) -> str:
    with pytest.raises(InputError) as exc:
        compare(pack, old, new)
    [line] = exc.value.problems
    return line


def test_refuses_different_mcns(pack, tmp_path, august):
    other = saved(pack, tmp_path, "premium_brands")
    assert refusal(pack, august, other) == (
        f"cannot compare assessments of different MCNs: {august} is 'Spark Live Studio (example)', "
        f"{other} is 'Atelier Brand Live (example)'"
    )


def test_refuses_other_schema_versions(pack, tmp_path, august):
    v4 = edited(tmp_path, august, lambda d: d.update(schema_version=4))
    assert refusal(pack, v4, august) == (
        f"{v4}: schema_version: 4; this mcn-advisor compares assessments of schema_version 3 "
        "(re-run assess with this version to compare)"
    )


@pytest.mark.parametrize("version", [1, 2])
def test_refuses_assessments_saved_before_the_money_ladder_and_says_why(pack, tmp_path, august, version):
    older = edited(tmp_path, august, lambda d: d.update(schema_version=version))
    assert refusal(pack, older, august) == (
        f"{older}: schema_version: {version}; saved by an older mcn-advisor, whose figures and plans meant "
        "something else (see the README's output contract); re-run assess on the profile, with "
        "--as-of 2020-08-27, to compare"
    )


def test_diff_compares_the_ladder_and_the_path_month_by_month(pack, august, september):
    c = compare(pack, august, september).comparison
    figures = {f.id: f for f in c.figures}
    for rung in ("margin_at_risk_cny_monthly", "expected_loss_cny_monthly", "residual_loss_cny_monthly"):
        assert figures[rung].after < figures[rung].before  # a month of moves lowered every rung
    assert figures["net_effect_cny_monthly"].change == pytest.approx(
        figures["net_effect_cny_monthly"].after - figures["net_effect_cny_monthly"].before
    )
    # The later side's months, with the earlier side's projection where it reached them.
    assert [m.month for m in c.path] == ["2020-09", "2020-10", "2020-11", "2020-12", "2021-01", "2021-02"]
    assert c.path[0].before is not None and c.path[-1].before is None and c.path[-1].change is None


def test_refuses_different_policy_packs(pack, tmp_path, august):
    other = edited(tmp_path, august, lambda d: d["policy"].update(id="kuaishou-2022"))
    assert "cannot compare assessments made with different policy packs" in refusal(pack, other, august)


def test_refuses_the_newer_assessment_first(pack, august, september):
    assert refusal(pack, september, august).endswith("give the older assessment first")


def test_a_different_pack_version_is_compared_but_said(pack, tmp_path, august):
    old = edited(tmp_path, august, lambda d: d["policy"].update(version="2020.0"))
    d = compare(pack, old, august)
    assert d.policy_versions == ["2020.0", "2020.1"]
    assert "pack version 2020.0 then 2020.1" in decisions.diff(d, "en", width=100)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", ":1:2: not valid JSON (Expecting property name enclosed in double quotes)"),
        ("[1, 2]", ": not an assessment (expected a JSON object)"),
        ('{"kind": "levers", "schema_version": 1}', ": is a levers result, not an assessment"),
        (
            '{"agency": "x"}',
            ": schema_version: missing; this mcn-advisor compares assessments of schema_version 3",
        ),
    ],
)
def test_files_that_are_not_assessments(tmp_path, content, message):
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(InputError) as exc:
        saved_snapshot(read_json(path), path)
    assert exc.value.problems[0].startswith(f"{path}{message}")


def test_a_broken_assessment_names_the_field(tmp_path, august):
    broken = edited(tmp_path, august, lambda d: d["exposure"].pop("score"))
    with pytest.raises(InputError) as exc:
        saved_snapshot(read_json(broken), broken)
    assert exc.value.problems == [f"{broken}: exposure.score: is required"]


def test_a_profile_given_instead_of_an_assessment_gets_a_hint(write):
    path = write('schema_version = 1\n[agency]\nname = "x"\n')
    with pytest.raises(InputError) as exc:
        saved_snapshot(read_json(path), path)
    assert (
        "diff compares saved assessments (mcn-advisor assess PROFILE -f json -o FILE)"
        in exc.value.problems[0]
    )
