"""what-if, levers and diff as a user meets them: output, formats, files, exit codes, goldens."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcn_advisor.cli import app
from mcn_advisor.core.compare import diff, saved_snapshot
from mcn_advisor.core.levers import rank_levers
from mcn_advisor.core.whatif import parse_assignment, what_if
from mcn_advisor.files.saved import read_json
from mcn_advisor.render import decisions_terminal as decisions
from tests.conftest import GOLDEN, PROFILES, example
from tests.conftest import check_golden as check

runner = CliRunner()
SMALL = str(PROFILES / "small_pure_promotion.toml")
SEPTEMBER = str(PROFILES / "small_pure_promotion_september.toml")
TOP_THREE = ("--lever", "store_goods", "--lever", "short_video_shift", "--lever", "store_onboarding")


def run(*args: str):
    return runner.invoke(app, list(args), env={"NO_COLOR": "1", "COLUMNS": "80"})


@pytest.fixture
def saved(tmp_path) -> tuple[str, str]:
    old, new = tmp_path / "spark-2020-08.json", tmp_path / "spark-2020-09.json"
    assert run("assess", SMALL, "-f", "json", "-o", str(old)).exit_code == 0
    assert run("assess", SEPTEMBER, "-f", "json", "-o", str(new)).exit_code == 0
    return str(old), str(new)


def test_what_if_shows_both_sides():
    r = run("what-if", SMALL, *TOP_THREE)
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert "Spark Live Studio (example): what if" in out
    assert "93.5 / 100, critical  →  66.6 / 100, high" in out
    # no finding goes away, but severities follow the size of what is left
    parts = ("CHANGES", "SIDE BY SIDE", "WHERE THE SCORE MOVED", "DY-CLIENT-001 (high; was critical)", "PLAN")
    for part in parts:
        assert part in out
    assert r.stderr == ""


def test_what_if_json_follows_its_contract():
    r = run("what-if", SMALL, "--set", "douyin.operates_own_store=true", "-f", "json")
    w = json.loads(r.stdout)
    assert (w["schema_version"], w["kind"], w["as_of"]) == (3, "what-if", "2020-08-27")
    assert w["money"] is None  # no lever: nothing of their own to earn
    assert w["changes"] == [
        {
            "field": "douyin.operates_own_store",
            "before": False,
            "after": True,
            "assumed_before": False,
            "by": "set",
        }
    ]
    c = w["comparison"]
    assert {"before", "after", "score_change", "figures", "factors", "findings", "actions"} <= set(c)
    # A selection-only MCN's own store was set aside (nothing of its own to sell): not planned on either side.
    assert "ACT-OWN-STORE" not in {a["id"] for a in c["actions"]}


def test_what_if_without_changes_is_a_usage_error():
    r = run("what-if", SMALL)
    assert r.exit_code == 2
    assert r.stderr == "error: what-if needs at least one --set FIELD=VALUE or --lever LEVER\n"


def test_what_if_bad_set_is_one_line_and_exit_2():
    r = run("what-if", SMALL, "--set", "clients.taobao_share=0.5")
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "did you mean 'clients.taobao_linked_share'?" in r.stderr


def test_levers_ranks_with_top_and_says_what_is_an_estimate():
    r = run("levers", SMALL, "--top", "3")
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert out.index("Refill live slots with goods already sold") < out.index(
        "Route every merchant-ordered third-party live task"
    )
    assert "Build or contract warehousing" not in out  # ranked last, beyond --top 3
    assert "10 more levers ranked below (see --top)." in out
    assert "Model estimates, not forecasts" in out
    assert "The score 93.5 is saturated" in out  # so the ranking is on money
    assert "what-if PROFILE --lever store_goods --lever starmap_route" in out


def test_levers_json_and_chinese():
    data = json.loads(run("levers", SMALL, "-f", "json", "--lang", "zh").stdout)
    assert data["kind"] == "levers" and data["estimate"] is True
    assert data["levers"][0]["id"] == "store_goods"
    assert data["levers"][0]["title"] == "用已在抖音小店销售的商品补位直播"
    ranks = [x["rank"] for x in data["levers"]]
    assert ranks == list(range(1, len(ranks) + 1))


def test_levers_top_must_be_positive():
    assert run("levers", SMALL, "--top", "0").exit_code == 2


def test_diff_of_a_month(saved):
    old, new = saved
    r = run("diff", old, new)
    assert r.exit_code == 0, r.stderr
    out = " ".join(r.stdout.split())  # lines wrap at 80 columns
    assert "From 2020-08-27 to 2020-09-27 (31 days)" in out
    assert "Overdue: still in the plan" in out and "26 days overdue" in out
    assert "Done: the profile now shows it in place (1)" in out
    assert "newly accepted: Our creators' audiences are on Douyin" in out


def test_diff_refusals_exit_2(saved, tmp_path):
    old, new = saved
    r = run("diff", new, old)
    assert r.exit_code == 2 and "give the older assessment first" in r.stderr
    other = tmp_path / "other.json"
    run("assess", str(PROFILES / "premium_brands.toml"), "-f", "json", "-o", str(other))
    r = run("diff", old, str(other))
    assert r.exit_code == 2 and r.stderr.startswith("error: cannot compare assessments of different MCNs")
    assert run("diff", old, SMALL).exit_code == 2


def test_outputs_are_written_whole_and_never_over_an_input(saved, tmp_path):
    old, new = saved
    out = tmp_path / "progress.json"
    r = run("diff", old, new, "-f", "json", "-o", str(out))
    assert r.exit_code == 0 and r.stdout == "" and r.stderr == f"{out}: diff written\n"
    assert json.loads(out.read_text())["kind"] == "diff"
    before = Path(new).read_text()
    r = run("diff", old, new, "-o", new)
    assert r.exit_code == 2 and "is an input of this run; refusing to overwrite it" in r.stderr
    assert Path(new).read_text() == before
    r = run("levers", SMALL, "-o", SMALL)
    assert r.exit_code == 2


def test_outputs_are_deterministic(saved):
    old, new = saved
    for args in (("what-if", SMALL, *TOP_THREE, "-f", "json"), ("levers", SMALL), ("diff", old, new)):
        assert run(*args).stdout == run(*args).stdout


# --- goldens: terminal at 80 columns, no colour ------------------------------------------------


def at_80(kind: str, result, lang: str = "en") -> str:
    text = getattr(decisions, kind)(result, lang, width=80, color=False)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "\x1b[" not in text
    return text


def test_golden_what_if(pack):
    profile = example("small_pure_promotion")
    sets = [parse_assignment("agency.divert_contract_share=0.1")]
    levers = ["store_goods", "short_video_shift", "store_onboarding", "supply_partner"]  # as in the README
    w = what_if(profile, pack, profile.as_of, sets, levers)
    check(GOLDEN / "what_if_small_pure_promotion.txt", at_80("what_if", w))


def test_golden_levers(pack):
    profile = example("small_pure_promotion")
    check(
        GOLDEN / "levers_small_pure_promotion.txt", at_80("levers", rank_levers(profile, pack, profile.as_of))
    )


def test_golden_levers_in_chinese(pack):
    profile = example("midsize_mcn_supply_services")
    r = rank_levers(profile, pack, profile.as_of, top=3)
    check(GOLDEN / "levers_midsize_mcn_supply_services.zh.txt", at_80("levers", r, "zh"))


def test_golden_diff(pack, saved):
    old, new = (saved_snapshot(read_json(Path(p)), Path(p)) for p in saved)
    check(GOLDEN / "diff_small_pure_promotion.txt", at_80("diff", diff(old, new, pack)))


def test_a_chinese_what_if_lists_the_open_findings_after_a_full_width_colon():
    r = run("what-if", SMALL, "--set", "clients.brand_clients=40", "--lang", "zh")
    assert r.exit_code == 0
    assert re.search(r"仍存在（\d+）：DY-", r.stdout), r.stdout[-400:]
