"""what-if, levers and diff as Markdown documents: goldens in both languages, the same
structural checks as the assessment report, hostile names and reasons, and the CLI."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcn_advisor.cli import app
from mcn_advisor.core.compare import Diff, diff, saved_snapshot
from mcn_advisor.core.engine import assess
from mcn_advisor.core.levers import rank_levers
from mcn_advisor.core.whatif import WhatIf, parse_assignment, what_if
from mcn_advisor.files.saved import read_json
from mcn_advisor.i18n import t as say
from mcn_advisor.profile.model import Profile
from mcn_advisor.render import decisions_markdown as md
from mcn_advisor.render import json as json_report
from tests.conftest import GOLDEN, PROFILES, ROOT, example
from tests.conftest import check_golden as check
from tests.render.test_markdown import (
    HOSTILE,
    check_structure,
    inline_text,
    normalised,
    table_rows,
    with_acceptances,
    with_name,
)

NO_FENCES: tuple[str, ...] = ()
# The README's worked what-if: the three best-ranked levers, and Suning signed as well.
TOP_THREE = ["store_goods", "short_video_shift", "store_onboarding", "supply_partner"]
LANGS = ("en", "zh")


def the_what_if(pack, profile: Profile | None = None) -> WhatIf:
    """The README's worked what-if: the three best levers, a partner and fewer diversion clauses."""
    p = profile or example("small_pure_promotion")
    return what_if(p, pack, p.as_of, [parse_assignment("agency.divert_contract_share=0.1")], TOP_THREE)


def saved(pack, tmp_path: Path, profile: Profile, name: str):
    """``profile`` assessed and saved as JSON, then read back the way ``diff`` reads it."""
    path = tmp_path / f"{name}.json"
    path.write_text(json_report.render(assess(profile, pack, profile.as_of), "en"), encoding="utf-8")
    return saved_snapshot(read_json(path), path)


def progress(pack, tmp_path: Path, rename=lambda p: p) -> Diff:
    """Spark Live Studio from August to September, both saved as JSON."""
    old = saved(pack, tmp_path, rename(example("small_pure_promotion")), "old")
    new = saved(pack, tmp_path, rename(example("small_pure_promotion_september")), "new")
    return diff(old, new, pack)


# --- goldens -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_golden_what_if(pack, lang):
    text = md.what_if(the_what_if(pack), lang)
    check_structure(text, fences=NO_FENCES)
    check(GOLDEN / f"what_if_small_pure_promotion.{lang}.md", text)


@pytest.mark.parametrize("lang", LANGS)
def test_golden_levers(pack, lang):
    p = example("midsize_mcn_supply_services")  # one lever does not apply: the skipped table
    text = md.levers(rank_levers(p, pack, p.as_of, top=3), lang)
    check_structure(text, fences=NO_FENCES)
    check(GOLDEN / f"levers_midsize_mcn_supply_services.{lang}.md", text)


@pytest.mark.parametrize("lang", LANGS)
def test_golden_diff(pack, tmp_path, lang):
    text = md.diff(progress(pack, tmp_path), lang)
    check_structure(text, fences=NO_FENCES)
    check(GOLDEN / f"diff_small_pure_promotion.{lang}.md", text)


# --- what each document says ----------------------------------------------------------------


def test_what_if_shows_changes_both_sides_findings_and_plan(pack):
    text = md.what_if(the_what_if(pack), "en")
    assert text.startswith("# Spark Live Studio (example): what if, as of 2020-08-27\n")
    summary = text.split("\n## ")[1]
    assert "- **Exposure**: 93.5 / 100, critical → 57.8 / 100, high (−35.7)\n" in summary
    revenue = "Agency revenue at risk, per month (gross, before the creators' split)"
    assert f"- **{revenue}**: CNY 598,400 → CNY 212,413 (−CNY 385,987)\n" in summary
    net = "Net effect after the plan, per month (upside − residual loss; positive: the agency gains)"
    assert f"- **{net}**: −CNY 63,727 → −CNY 41,652 (+CNY 22,075)\n" in summary
    # What the levers themselves earn, on the profile as is (the changed profile's ladder counts
    # its own plan again on what is left).
    money = text.split("## Money with these levers\n\n")[1]
    assert "net effect −CNY 98,358 a month, +CNY 111,082 better than doing nothing" in money
    assert "- **Findings**: 1 resolved, 1 new, 10 still open\n" in summary
    assert "- **Plan**: 1 now in place, 0 no longer needed, 0 added\n" in summary
    assert "| Taobao-linked clients | 70% | 49% | `store_onboarding` |" in text
    assert "| Creators bound to divert traffic | 25% | 10% | set directly |" in text
    assert "| Exposure score | 93.5 | 57.8 | −35.7 |" in text
    assert "| Live-cart cut-off | 30.0 | 14.5 | −15.5 |" in text
    resolved = text.split("### Resolved (1)\n\n")[1].split("\n\n")[0]
    assert (
        "| high | DY-SUPPLY-001 | Selection team only: no supply chain to replace third-party goods |"
        in resolved
    )
    in_place = text.split("### Now in place (1)\n\n")[1].split("\n\n")[0]
    assert "| `ACT-SUPPLY-PARTNER` | Sign an in-platform supply partner" in in_place
    assert "The changes are a model, not a forecast." in text


def test_what_if_marks_assumed_values_and_rebalanced_shares(pack):
    p = example("minimal")  # leaves revenue_mix out: the what-if takes its assumed values
    w = what_if(p, pack, p.as_of, [parse_assignment("revenue_mix.services=0.3")], rebalance=True)
    text = md.what_if(w, "en")
    check_structure(text, fences=NO_FENCES)
    assert "| Services share of revenue | 10%\\* | 30% | set directly |" in text
    assert "| Live-commerce share of revenue |" in text and "| rebalanced |" in text
    assert say("en", "changed_assumed_note", mark="\\*") in text


def test_levers_rank_on_money_per_week_with_the_estimate_disclaimer(pack):
    p = example("small_pure_promotion")
    text = md.levers(rank_levers(p, pack, p.as_of), "en")
    check_structure(text, fences=NO_FENCES)
    ranked = text.split("## Levers, most money per week of effort first\n\n")[1]
    assert ranked.startswith("**Model estimates, not forecasts**: ")  # before the table, not after
    # Its score is saturated: said before the ranking, which is on money.
    assert "The score 93.5 is saturated: Live-cart cut-off (raw 0.68, full at 0.5)" in ranked
    rows = [row for row in table_rows(check_structure(text, fences=NO_FENCES)) if row[0].isdigit()]
    assert [row[1] for row in rows[:2]] == [
        "Refill live slots with goods already sold through Douyin stores (store_goods)",
        "Route every merchant-ordered third-party live task through Star Map (starmap_route)",
    ]
    assert rows[0][2:] == ["S (5 days)", "+CNY 73,304", "+CNY 334,094", "CNY 467,732", "93.5 (0)", "critical"]
    assert rows[-1][1].endswith("(warehouse_logistics)")  # months of effort, no money moved
    assert (
        "No single lever moves the exposure out of critical; combine them, for example "
        "**Refill live slots with goods already sold through Douyin stores** with "
        "**Route every merchant-ordered third-party live task through Star Map**."
    ) in text
    assert "mcn-advisor" not in text and not re.search(r"--[a-z]", text)  # no command for a client
    detail = text.split("### 5. Sign an in-platform supply partner")[1].split("\n### ")[0]
    assert "- **Changes**: In-platform supply partners none → suning; " in detail
    assert "- **Resolves**: DY-SUPPLY-001" in detail
    # A lever the capped score hides says how far it moves the capped factors.
    assert "Live-cart cut-off 0.68 → 0.58 (full at 0.5), still capped" in detail


def test_levers_say_why_a_lever_was_not_tried_and_when_none_applies(pack):
    p = example("midsize_mcn_supply_services")
    zh = md.levers(rank_levers(p, pack, p.as_of, top=3), "zh")
    assert "另有 10 项举措排名靠后，未列出。" in zh
    assert "| 重新谈判达人合约中的导流条款（`contract_review`） | 不适用：" in zh
    bare = dataclasses.replace(rank_levers(p, pack, p.as_of), levers=[], skipped=[], band_unchanged=False)
    for lang in LANGS:
        text = md.levers(bare, lang)
        check_structure(text, fences=NO_FENCES)
        assert say(lang, "levers_none") in text


def test_diff_shows_period_deltas_findings_and_actions(pack, tmp_path):
    text = md.diff(progress(pack, tmp_path), "en")
    assert text.startswith("# Spark Live Studio (example): progress from 2020-08-27 to 2020-09-27\n")
    summary = text.split("\n## ")[1]
    assert "- **Period**: 2020-08-27 to 2020-09-27, 31 days\n" in summary
    assert "- **Exposure**: 93.5 / 100, critical → 72.1 / 100, high (−21.4)\n" in summary
    assert "- **Findings**: 2 resolved, 1 new, 9 still open\n" in summary
    assert "- **Plan**: 1 done, 8 overdue, 0 new\n" in summary
    assert "| Figure | 2020-08-27 | 2020-09-27 | Change |" in text
    reason = "Our creators' audiences are on Douyin; we revisit a second platform after Double 11"
    assert (
        f"| medium | DY-PLAT-001 | Most of the business sits on Douyin | newly accepted: {reason} |" in text
    )
    assert "| `ACT-TRIAGE` | Sort every third-party-linked client" in text and "| 2020-09-01 | 26 |" in text
    assert "### Done: the profile now shows it in place (1)" in text


def test_diff_flags_an_expired_acceptance(pack, tmp_path):
    p = example("small_pure_promotion_september")
    old = saved(pack, tmp_path, p, "old")
    later = p.model_copy(update={"as_of": dt.date(2020, 12, 5)})
    new = saved(pack, tmp_path, later, "new")
    for lang in LANGS:
        text = md.diff(diff(old, new, pack), lang)
        check_structure(text, fences=NO_FENCES)
        expired = say(lang, "acceptance_expired", date="2020-11-30", reason="Our creators")
        assert expired.split("Our creators")[0] in text


def test_a_diff_of_one_file_with_itself_is_still_a_clean_document(pack, tmp_path):
    p = example("premium_brands")
    same = saved(pack, tmp_path, p, "same")
    for lang in LANGS:
        text = md.diff(diff(same, same, pack), lang)
        check_structure(text, fences=NO_FENCES)
        assert say(lang, "md_none") in text  # nothing resolved, new, done or overdue
        assert "### " + say(lang, "action_kept_diff") in text  # every action is still planned


# --- hostile text: the agency's name and the acceptance reason come from the user -----------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_and_reasons_cannot_break_the_documents(pack, tmp_path, name, lang):
    shown = normalised(name).strip()

    def hostile(p: Profile) -> Profile:
        return with_acceptances(with_name(p, name), name, DY_PLAT_001=dt.date(2020, 12, 31))

    base = hostile(example("small_pure_promotion"))
    documents = [
        md.what_if(the_what_if(pack, base), lang),
        md.levers(rank_levers(base, pack, base.as_of), lang),
        md.diff(progress(pack, tmp_path, hostile), lang),
    ]
    for text in documents:
        tokens = check_structure(text, literal=shown, fences=NO_FENCES)
        assert "<script>" not in text and "<b>" not in text
        assert inline_text(tokens[1]).startswith(shown)
    for text in (documents[0], documents[2]):  # the reason shows as given, in the note of its finding
        notes = {row[1]: row[-1] for row in table_rows(check_structure(text, shown, NO_FENCES))}
        assert notes["DY-PLAT-001"].endswith(shown)


# --- the command line ------------------------------------------------------------------------

runner = CliRunner()
SMALL = str(PROFILES / "small_pure_promotion.toml")


def run(*args: str):
    return runner.invoke(app, list(args), env={"NO_COLOR": "1"})


def test_cli_writes_each_document_whole_and_the_same_every_time(tmp_path):
    old, new = tmp_path / "08.json", tmp_path / "09.json"
    run("assess", SMALL, "-f", "json", "-o", str(old))
    run("assess", str(PROFILES / "small_pure_promotion_september.toml"), "-f", "json", "-o", str(new))
    commands = {
        "what-if": (
            "what-if",
            SMALL,
            "--lever",
            "store_onboarding",
            "--set",
            "agency.divert_contract_share=0.1",
        ),
        "levers": ("levers", SMALL, "--top", "3"),
        "diff": ("diff", str(old), str(new)),
    }
    titles = {"what-if": "假设推演", "levers": "关键举措排序", "diff": "进展对比"}
    for kind, args in commands.items():
        out = tmp_path / f"{kind}.md"
        out.write_text("an older report\n", encoding="utf-8")
        r = run(*args, "--format", "markdown", "--output", str(out), "--lang", "zh")
        assert r.exit_code == 0, r.stderr
        assert r.stdout == "" and r.stderr == f"{out}：{titles[kind]}已写入\n"  # in the run's --lang
        text = out.read_text(encoding="utf-8")
        assert text.startswith("# Spark Live Studio (example)：") and titles[kind] in text.split("\n")[0]
        check_structure(text, fences=NO_FENCES)
        assert run(*args, "-f", "markdown", "--lang", "zh").stdout == text  # stdout: the same bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "08.json",
        "09.json",
        "diff.md",
        "levers.md",
        "what-if.md",
    ]


def test_cli_markdown_never_overwrites_an_input(tmp_path):
    before = Path(SMALL).read_text(encoding="utf-8")
    r = run("levers", SMALL, "-f", "markdown", "-o", SMALL)
    assert r.exit_code == 2 and "refusing to overwrite" in r.stderr
    assert Path(SMALL).read_text(encoding="utf-8") == before
    r = run("levers", SMALL, "-f", "markdown", "-o", str(tmp_path / "missing" / "levers.md"))
    assert r.exit_code == 2 and r.stderr.count("\n") == 1


def test_readme_excerpt_is_from_the_real_document():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Decisions: what-if, levers and progress", 1)[1].split("### A worked decision")[
        0
    ]
    before, block = section.split("````markdown\n", 1)
    path = re.findall(r"`(tests/golden/[\w.]+\.md)`", before)[-1]
    assert path == "tests/golden/levers_midsize_mcn_supply_services.en.md"
    document = (ROOT / path).read_text(encoding="utf-8").splitlines()
    excerpt = block.split("````", 1)[0].splitlines()
    assert len(excerpt) > 3
    for line in excerpt:
        assert line in ("", "...") or line in document, line
