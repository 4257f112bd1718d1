"""Accepted risks: shown and marked, not counted toward --fail-on, counted again once expired."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from mcn_advisor.cli import app
from mcn_advisor.core.engine import assess
from mcn_advisor.errors import ProfileError
from mcn_advisor.pack.select import load_packs, rule_book
from mcn_advisor.profile import acceptance
from mcn_advisor.profile.load import load_profile, profile_from_data
from mcn_advisor.render import json as json_report
from mcn_advisor.render import terminal
from tests.conftest import AS_OF, GOOD, PROFILES

runner = CliRunner()
PACK = "douyin-2020-closed-loop"

# Douyin-only, mostly short video: DY-PLAT-001 (medium) is the only risk finding
# (DY-SV-001 is a positive one). With no third-party live GMV the closed loop favours it:
# diversifying is an optional hedge.
CONCENTRATED = """\
schema_version = 1

[agency]
name = "Concentrated MCN"
monthly_gmv_cny = 10_000_000

[platform_mix]
douyin_live = 0.1
douyin_short_video = 0.9

[douyin]
third_party_link_share = 0.0
"""

ACCEPT = """
[[accepted_risks]]
rule = "{rule}"
reason = "Douyin is our market; we review after Double 11"
{until}
"""


def accepted(rule: str = "DY-PLAT-001", until: str = "") -> str:
    return CONCENTRATED + ACCEPT.format(rule=rule, until=until)


def run(*args: str):
    return runner.invoke(app, list(args), env={"NO_COLOR": "1"})


def test_an_accepted_finding_stays_marked_with_its_reason(write, pack):
    a = assess(load_profile(write(accepted()), rule_book([pack])), pack, AS_OF)
    plat = next(f for f in a.findings if f.rule_id == "DY-PLAT-001")
    assert plat.accepted
    assert plat.acceptance.reason == "Douyin is our market; we review after Double 11"
    assert not plat.acceptance.expired
    risk = next(r for r in a.risks if r.rule_id == "DY-PLAT-001")
    assert risk.treatment == "accept" and risk.actions == []
    planned = {x.id for phase in a.plan.phases for x in phase.actions}
    assert "ACT-DIVERSIFY" not in planned  # an accepted risk is carried, not treated
    text = terminal.render(a, "en", width=100)
    assert "FINDINGS (2, 1 ACCEPTED)" in text  # DY-PLAT-001 and the positive DY-SV-001
    assert "Accepted: Douyin is our market; we review after Double 11" in text


def test_fail_on_skips_accepted_findings_until_they_expire(write):
    plain = write(CONCENTRATED, "plain.toml")
    assert run("assess", str(plain), "--as-of", "2020-08-27", "--fail-on", "medium").exit_code == 1
    ok = write(accepted(until="until = 2020-11-30"), "accepted.toml")
    assert run("assess", str(ok), "--as-of", "2020-08-27", "--fail-on", "medium").exit_code == 0
    assert run("assess", str(ok), "--as-of", "2020-11-30", "--fail-on", "medium").exit_code == 0
    late = run("assess", str(ok), "--as-of", "2020-12-01", "--fail-on", "medium")
    assert late.exit_code == 1
    assert "Acceptance expired on 2020-11-30, counts again" in late.stdout


def test_expired_acceptance_counts_again_in_json_and_plan(write, pack):
    a = assess(load_profile(write(accepted(until="until = 2020-08-01")), rule_book([pack])), pack, AS_OF)
    data = json.loads(json_report.render(a))
    plat = next(f for f in data["findings"] if f["rule_id"] == "DY-PLAT-001")
    assert plat["accepted"] is False
    assert plat["acceptance"] == {
        "reason": "Douyin is our market; we review after Double 11",
        "until": "2020-08-01",
        "expired": True,
    }
    # it calls for its action again (optional: the closed loop favours a Douyin-store MCN)
    assert "ACT-DIVERSIFY" in {x.id for x in a.plan.optional}


def test_findings_without_acceptance_carry_the_empty_fields(pack):
    a = json.loads(json_report.render(assess(load_profile(PROFILES / "premium_brands.toml"), pack, AS_OF)))
    assert all(f["accepted"] is False and f["acceptance"] is None for f in a["findings"])


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("DY-PLAT-01", f"unknown rule 'DY-PLAT-01' in policy pack {PACK}; did you mean 'DY-PLAT-001'?"),
        ("XX-NONE-999", f"unknown rule 'XX-NONE-999' in policy pack {PACK} (see: mcn-advisor rules list)"),
        ("DY-SV-001", "'DY-SV-001' is a positive finding, not a risk: there is nothing to accept"),
        ("DY-KS-002", "'DY-KS-002' is an opportunity finding, not a risk: there is nothing to accept"),
    ],
)
def test_an_acceptance_must_name_a_risk_rule_of_the_pack(write, pack, rule, message):
    path = write(accepted(rule=rule))
    with pytest.raises(ProfileError) as exc:
        load_profile(path, rule_book([pack]))
    line = CONCENTRATED.count("\n") + 3  # the `rule = ...` line
    assert exc.value.problems == [f"{path}:{line}: accepted_risks.0.rule: {message}"]


def test_a_rule_accepted_twice_is_an_error(write, pack):
    path = write(accepted() + ACCEPT.format(rule="DY-PLAT-001", until=""))
    with pytest.raises(ProfileError) as exc:
        load_profile(path, rule_book([pack]))
    assert exc.value.problems[0].endswith(
        "accepted_risks.1.rule: 'DY-PLAT-001' is already accepted by accepted_risks[0]"
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('rule = "DY-PLAT-001"', "accepted_risks.0.reason: is required"),
        ('rule = "DY-PLAT-001"\nreason = "  "', "accepted_risks.0.reason: must not be empty"),
        ('rule = "DY-PLAT-001"\nreason = "x"\nuntil = "soon"', "accepted_risks.0.until: must be a date"),
        ('rule = "DY-PLAT-001"\nreason = "x"\nowner = "me"', "accepted_risks.0.owner: unknown field 'owner'"),
    ],
)
def test_an_acceptance_is_validated_like_the_rest_of_the_profile(write, entry, message):
    path = write(CONCENTRATED + "\n[[accepted_risks]]\n" + entry + "\n")
    with pytest.raises(ProfileError) as exc:
        load_profile(path)
    assert any(message in p for p in exc.value.problems), exc.value.problems
    assert all(p.startswith(f"{path}:") for p in exc.value.problems)


def test_validate_checks_acceptances_against_the_pack(write):
    path = write(accepted(rule="DY-PLAT-01"))
    r = run("validate", str(path))
    assert r.exit_code == 2
    assert "accepted_risks.0.rule: unknown rule 'DY-PLAT-01'" in r.stderr


def test_validate_reads_the_packs_only_for_a_profile_that_accepts_a_risk(write, tmp_path):
    broken = write("[pack]\nid = 'x'\n", "broken-pack.toml")
    plain = write(CONCENTRATED, "plain.toml")
    r = run("validate", str(plain), "--policy", str(broken))
    assert r.exit_code == 0 and r.stdout == f"{plain}: ok (Concentrated MCN)\n"
    accepting = write(accepted(), "accepting.toml")
    r = run("validate", str(plain), str(accepting), str(accepting), "--policy", str(broken))
    assert r.exit_code == 2 and r.stdout.count(": ok") == 1
    pack_errors = [line for line in r.stderr.splitlines() if str(broken) in line]
    assert pack_errors and len(pack_errors) == len(set(pack_errors))  # said once, not per profile


def in_memory(rule: str):
    data = {
        "schema_version": 1,
        "agency": {"name": "X", "monthly_gmv_cny": 1.0},
        "platform_mix": {"douyin_live": 1.0},
        "accepted_risks": [{"rule": rule, "reason": "r"}],
    }
    return profile_from_data(data, "mem")


def test_a_profile_built_in_memory_is_checked_against_the_rules_it_is_given(pack):
    # No file, so no line: the check names the field.
    with pytest.raises(ProfileError) as exc:
        acceptance.check(in_memory("NOPE-1"), rule_book([pack]))
    assert exc.value.problems[0].startswith("profile: accepted_risks.0.rule: unknown rule 'NOPE-1'")


def test_the_engine_takes_acceptances_as_given(pack):
    # Pure: no pack is read to check them. An acceptance of a rule the pack lacks accepts nothing.
    a = assess(in_memory("KS-LINK-001"), pack, dt.date(2020, 8, 27))
    assert not any(f.accepted for f in a.findings)


def test_an_acceptance_of_another_builtin_packs_rule_waits_for_that_pack(write, pack):
    ks_rule = next(c.rule.id for c in load_packs(["kuaishou-2019"])[0].rules if c.rule.kind == "risk")
    profile = load_profile(write(accepted(rule=ks_rule)), rule_book([pack]))
    assert not any(f.accepted for f in assess(profile, pack, AS_OF).findings)
    with pytest.raises(ProfileError):
        acceptance.check(profile, acceptance.RuleBook.of([pack]))  # without the other packs: unknown


def test_profiles_without_acceptances_are_unchanged(write, pack):
    a = assess(load_profile(write(GOOD), rule_book([pack])), pack, AS_OF)
    assert not any(f.accepted or f.acceptance for f in a.findings)
