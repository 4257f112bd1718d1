"""Supply partners are tied to platforms: a typo is an error on its line, any other name an
assumption, and only a partner whose goods enter the Douyin cart counts on Douyin."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mcn_advisor.cli import app
from mcn_advisor.core.engine import assess
from mcn_advisor.errors import ProfileError
from mcn_advisor.pack.select import load_packs, rule_book
from mcn_advisor.profile.load import load_profile
from tests.conftest import AS_OF, PROFILES

SMALL = (PROFILES / "small_pure_promotion.toml").read_text(encoding="utf-8")


def with_partners(write, partners: str):
    text = "\n".join(
        f"partners = {partners}" if line.startswith("partners = ") else line for line in SMALL.splitlines()
    )
    return write(text + "\n")


def assessed(write, pack, partners: str):
    path = with_partners(write, partners)
    return assess(load_profile(path, rule_book([pack])), pack, AS_OF)


@pytest.mark.parametrize(
    ("typo", "meant"), [('"sunning"', "suning"), ('"Suninng"', "suning"), ('"dj"', "jd")]
)
def test_a_typo_of_a_known_partner_is_an_error_with_did_you_mean(write, pack, typo, meant):
    path = with_partners(write, f"[{typo}]")
    with pytest.raises(ProfileError) as info:
        load_profile(path, rule_book([pack]))
    [line] = info.value.problems
    number = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("partners"))
    assert line.startswith(f"{path}:{number}: supply_chain.partners.0: unknown partner ")
    assert f"did you mean '{meant}'?" in line


def test_the_cli_refuses_a_typo_with_exit_2(write):
    r = CliRunner().invoke(app, ["assess", str(with_partners(write, '["sunning"]'))], env={"NO_COLOR": "1"})
    assert r.exit_code == 2 and "did you mean 'suning'?" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("name", ['"suning"', '"SUNING"', '"苏宁"', '"苏宁易购"', '" Suning "'])
def test_suning_in_any_case_or_script_is_an_in_platform_partner_on_douyin(write, pack, name):
    a = assessed(write, pack, f"[{name}]")
    assert "ACT-SUPPLY-PARTNER" in {x.id for x in a.plan.in_place}
    assert "DY-SUPPLY-001" not in {f.rule_id for f in a.findings}
    assert not [x for x in a.assumptions if x.policy]


@pytest.mark.parametrize("name", ["taobao", "jd", "京东"])
def test_a_partner_of_another_platform_leaves_the_douyin_supply_gap_open_and_says_why(write, pack, name):
    a = assessed(write, pack, f'["{name}"]')
    assert "DY-SUPPLY-001" in {f.rule_id for f in a.findings}
    assert "ACT-SUPPLY-PARTNER" not in {x.id for x in a.plan.in_place}
    [note] = [x for x in a.assumptions if x.policy]
    assert note.field == "supply_chain.partners" and note.assumed_value == name
    assert "Douyin" in note.rationale.en and note.rationale.zh


def test_an_unknown_supplier_is_accepted_and_stated(write, pack):
    a = assessed(write, pack, '["Acme Foods", "acme foods"]')  # counted once
    [note] = [x for x in a.assumptions if x.policy]
    assert note.assumed_value == "Acme Foods"
    assert "not in the policy pack's partner table" in note.rationale.en
    assert "DY-SUPPLY-001" in {f.rule_id for f in a.findings}


def test_jd_counts_as_in_platform_on_kuaishou(write):
    packs = load_packs(["kuaishou-2019"])
    path = with_partners(write, '["jd"]')
    a = assess(load_profile(path, rule_book(packs)), packs[0], AS_OF)
    assert not [x for x in a.assumptions if x.policy]  # JD's goods sell on Kuaishou


@pytest.mark.parametrize(
    ("partners", "message"),
    [('["  "]', "must not be empty"), ("[" + ", ".join(f'"p{i}"' for i in range(51)) + "]", "at most 50")],
)
def test_blank_or_too_many_partners_are_refused(write, pack, partners, message):
    with pytest.raises(ProfileError) as info:
        load_profile(with_partners(write, partners), rule_book([pack]))
    assert message in info.value.problems[0]
