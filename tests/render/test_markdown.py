"""The Markdown report: it parses cleanly, its tables hold together, its diagrams are
well-formed mermaid, and nothing a profile supplies can break it or inject markup."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import itertools
import re
import unicodedata
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token
from typer.testing import CliRunner

from mcn_advisor.cli import app
from mcn_advisor.core.contract import DroppedAction
from mcn_advisor.core.engine import assess
from mcn_advisor.errors import visible
from mcn_advisor.i18n import t as say
from mcn_advisor.i18n.text import Text
from mcn_advisor.profile.model import AcceptedRisk, Profile
from mcn_advisor.render import markdown
from mcn_advisor.render.common import cells as terminal_cells
from mcn_advisor.render.common import field_text, substituted
from mcn_advisor.render.markdown import esc, mermaid_text
from tests.conftest import PROFILES, ROOT, example
from tests.core.test_properties import DATES, profiles
from tests.core.test_properties import PACK as PROPERTY_PACK

NAMES = sorted(p.stem for p in PROFILES.glob("*.toml"))
HOSTILE = [
    "Evil | MCN <script>alert(1)</script> \n```js\nx``` `code`",
    "| a | b |\n|---|---|\n| c | d |",
    "# heading {#id} [link](javascript:alert(1)) ![img](x.png) <b>bold</b>",
    "**bold** _it_ ~~gone~~ $x^2$ @cite \\ &amp; &lt;",
    "- list\n1. item\n> quote\n===",
    '%%{init: {"theme": "dark"}}%% ; # : " section title',
    "```mermaid\ngraph TD; A-->B\n```",
    "  leading and trailing  ",
    "李华鹿文化 | 测试（样例）",
]
runner = CliRunner()


def parser() -> MarkdownIt:
    # html on, as in GitHub and pandoc: any markup that slips through shows up as an html token
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def cells(line: str) -> int:
    """Cells of a pipe-table row, the way GFM splits them (a backslash escapes a pipe)."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return len(re.split(r"(?<!\\)\|", body))


def inline_text(token: Token) -> str:
    return "".join(c.content for c in token.children or [] if c.type in ("text", "code_inline"))


def check_structure(
    md: str, literal: str = "", fences: tuple[str, ...] = ("mermaid", "mermaid", "mermaid")
) -> list[Token]:
    """Everything a well-formed report must satisfy; returns the tokens for further checks.

    ``literal`` is text the report shows as given (a name), which may hold ``**`` itself;
    ``fences`` the info strings of its code blocks, in order (the assessment: three diagrams,
    the path month by month, the plan's gantt and the platform mix).
    """
    assert md.endswith("\n") and not md.endswith("\n\n")
    tokens = parser().parse(md)
    lines = md.split("\n")
    assert not [t for t in tokens if t.type in ("html_block", "html_inline")]
    for t in tokens:
        for child in t.children or []:
            assert child.type not in ("html_inline", "image", "link_open"), child

    # headings: one h1 first, no level skipped, never empty, every '#' line is a heading
    heads = [(int(t.tag[1]), tokens[i + 1]) for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert tokens[0].type == "heading_open" and tokens[0].tag == "h1"
    assert [level for level, _ in heads].count(1) == 1
    for (before, _), (after, _) in zip(heads, heads[1:], strict=False):
        assert after <= before + 1
    assert all(inline_text(inline).strip() for _, inline in heads)
    assert len(heads) == sum(1 for line in lines if line.startswith("#"))

    # tables: every row has as many cells as its header; every '|' line is in a table
    in_table: set[int] = set()
    for t in tokens:
        if t.type == "table_open":
            start, end = t.map
            in_table.update(range(start, end))
            rows = lines[start:end]
            width = cells(rows[0])
            assert all(cells(row) == width for row in rows), rows
    assert {i for i, line in enumerate(lines) if line.startswith("|")} <= in_table

    # bold always parses (CJK punctuation next to ** can defeat it)
    for t in tokens:
        if t.type == "inline":
            assert "**" not in inline_text(t).replace(literal, ""), t.content

    # fences: only mermaid, each well-formed
    blocks = [t for t in tokens if t.type == "fence"]
    assert tuple(b.info for b in blocks) == fences
    for b in blocks:
        check_mermaid(b.content)
    return tokens


GANTT_KEYWORDS = (
    "title",
    "section",
    "dateformat",
    "axisformat",
    "todaymarker",
    "excludes",
    "includes",
    "click",
)


def check_mermaid(block: str) -> None:
    """The diagram against mermaid's own lexer rules for gantt and pie."""
    lines = block.rstrip("\n").split("\n")
    if lines[0].startswith("%%"):  # the one directive we write: the width of the gantt's names
        assert re.fullmatch(r'%%\{init: \{"gantt": \{"leftPadding": \d+\}\}\}%%', lines[0]), lines[0]
        assert lines[1] == "gantt"
        lines = lines[1:]
    block = "\n".join(lines)
    assert "%%" not in block and "`" not in block and "<" not in block
    kind = lines[0]
    if kind == "gantt":
        for line in lines[1:]:
            body = line.strip()
            if body.startswith("title "):
                assert re.fullmatch(r"title [^#\n;]+", body)
            elif body.startswith("section "):
                assert re.fullmatch(r"section [^#:\n;]+", body)
            elif body in ("dateFormat YYYY-MM-DD", "axisFormat %m-%d", "todayMarker off"):
                continue
            else:
                m = re.fullmatch(
                    r"([^#:\n;]+) :(crit, )?(milestone, )?(\d{4}-\d\d-\d\d), (\d{4}-\d\d-\d\d|0d)", body
                )
                assert m, body
                assert not m.group(1).lower().startswith(GANTT_KEYWORDS), body
    elif kind == "xychart-beta":
        months = r'"\d{4}-\d\d"'
        numbers = r"-?\d+(\.\d+)?"
        assert re.fullmatch(r'title "[^"\n;#]+"', lines[1].strip()), lines[1]
        assert re.fullmatch(rf"x-axis \[{months}(, {months})*\]", lines[2].strip()), lines[2]
        for line in lines[3:]:
            assert re.fullmatch(rf"(bar|line) \[{numbers}(, {numbers})*\]", line.strip()), line
    else:
        assert kind == "pie showData"
        assert re.fullmatch(r"title [^#\n;]+", lines[1].strip())
        for line in lines[2:]:
            assert re.fullmatch(r'"[^"\n]+" : \d+(\.\d+)?', line.strip()), line


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("as_of", [None, dt.date(2020, 9, 20), dt.date(2020, 11, 1)])
@pytest.mark.parametrize("name", NAMES)
def test_every_example_parses_cleanly(pack, name, as_of, lang):
    p = example(name)
    md = markdown.render(assess(p, pack, as_of or p.as_of), lang)
    check_structure(md)


def with_name(p: Profile, name: str, partners: list[str] | None = None) -> Profile:
    agency = p.agency.model_copy(update={"name": name})
    supply = p.supply_chain.model_copy(update={"partners": partners or []})
    return p.model_copy(update={"agency": agency, "supply_chain": supply})


def with_acceptances(p: Profile, reason: str, **until: dt.date | None) -> Profile:
    """``p`` accepting each rule named (DY_LIVE_001 for DY-LIVE-001) until the date given."""
    accepted = [
        AcceptedRisk(rule=rule.replace("_", "-"), reason=reason, until=date) for rule, date in until.items()
    ]
    return p.model_copy(update={"accepted_risks": accepted})


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_cannot_break_the_report(pack, name, lang):
    p = with_name(example("premium_brands"), name, partners=[name])
    # The same text as the reason of a current and of an expired acceptance.
    p = with_acceptances(p, name, DY_LIVE_001=dt.date(2020, 12, 31), DY_FEE_001=dt.date(2020, 8, 1))
    md = markdown.render(assess(p, pack, p.as_of), lang)
    shown = " ".join(name.split("\n")).strip()
    tokens = check_structure(md, literal=shown)
    # The title shows the name as plain text, exactly as given (line breaks become spaces).
    assert inline_text(tokens[1]).startswith(shown)
    assert "<script>" not in md and "<b>" not in md
    assert "&lt;script&gt;" in md or "<script>" not in name
    # Each acceptance's reason reads back as given, at the end of its finding's row.
    reasons = {row[1]: row[4] for row in table_rows(tokens) if len(row) == 5}
    assert reasons["DY-LIVE-001"].endswith(normalised(name)) and reasons["DY-FEE-001"].endswith(
        normalised(name)
    )
    assert reasons["DY-LIVE-001"].startswith(say(lang, "md_accepted_until").split("{")[0].replace("**", ""))


def table_rows(tokens: list[Token]) -> list[list[str]]:
    """Every row of every table, as the text of its cells."""
    rows: list[list[str]] = []
    for i, t in enumerate(tokens):
        if t.type == "tr_open":
            rows.append([])
        elif t.type in ("td_open", "th_open"):
            rows[-1].append(inline_text(tokens[i + 1]).strip())
    return rows


@given(st.text(min_size=1, max_size=200).filter(lambda s: s.strip()))
def test_any_name_survives(pack, name):
    p = with_name(example("midsize_mcn_supply_services"), name)
    check_structure(markdown.render(assess(p, pack, p.as_of), "en"), literal=normalised(name).strip())


def normalised(text: str) -> str:
    # Line breaks and C0 controls become spaces; other controls (C1, bidi) are shown.
    return visible(re.sub(r"[\x00-\x1f\x7f\x85\u2028\u2029]+", " ", text).strip(" \t"))


@given(
    st.lists(
        st.lists(st.text(alphabet=st.sampled_from("ab 李华鹿ｆ−…éｱ😀"), max_size=60), min_size=2, max_size=2),
        max_size=6,
    )
)
def test_a_tables_rule_hints_each_columns_longest_cell_in_cells(rows):
    """The rule's dashes: the widest cell of each column in terminal cells (CJK two), 3 to 50."""
    header = ["x", "李华"]
    rule = markdown.pipe_table(header, rows, "lr").split("\n")[1]
    dashes = [len(mark.strip(" :")) for mark in rule.strip("|").split("|")]
    expected = [
        min(50, max(3, *(terminal_cells(c) for c in column))) for column in zip(header, *rows, strict=True)
    ]
    assert dashes == expected


@given(
    st.text(alphabet=st.sampled_from("ab 1李华鹿，。（）「」ｆ－ｱ−…é\u0301😀\u3000"), max_size=40)
    | st.text(max_size=40)
)
def test_cells_counts_two_for_a_wide_character_and_one_for_any_other(text):
    expected = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    assert terminal_cells(text) == expected


@given(st.text(max_size=80))
def test_escaped_text_renders_as_itself(text):
    # As a paragraph, in a table cell and in a heading, esc(text) reads back as the text.
    expected = normalised(text).strip()
    escaped = esc(text)
    if not expected:
        return
    para = parser().parse(escaped + "\n")
    assert [t.type for t in para] == ["paragraph_open", "inline", "paragraph_close"]
    assert inline_text(para[1]).strip() == expected.strip()
    table = parser().parse(f"| a | b |\n| --- | --- |\n| {escaped} | x |\n")
    tds = [table[i + 1] for i, t in enumerate(table) if t.type == "td_open"]
    assert [inline_text(td).strip() for td in tds] == [expected.strip(), "x"]
    head = parser().parse(f"# {escaped}\n")
    assert head[0].tag == "h1" and inline_text(head[1]).strip() == expected.strip()


def escaped_in_full(text: str) -> str:
    """``esc`` without its shortcut for text it leaves as it is: every pass, every time."""
    text = visible(re.sub(r"[\x00-\x1f\x7f\x85\u2028\u2029]+", " ", text).strip())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"([\\`*_\[\]{}#|~^$@])", r"\\\1", text)
    block = r"^(?:([-+=:])|(\d{1,9})([.)])(?=\s|$))"
    return re.sub(block, lambda m: "\\" + m[1] if m[1] else m[2] + "\\" + m[3], text)


SHORTCUT = "aZ 0123456789.)-+=:,李（）−×*_|&<>#\\`\t\n\x85\x9b\u00a0\u061c\u200e\u2028\u202a\u2066\u3000٣"


@given(st.text(alphabet=st.sampled_from(SHORTCUT), max_size=12) | st.text(max_size=40))
def test_text_that_needs_no_escaping_is_told_apart_by_one_scan(text):
    assert esc(text) == escaped_in_full(text)
    for plain in ("CNY 1,250,000", "1.5 万元", "2020-09-10", "in 43 days", "12.5%"):
        assert esc(plain) == plain == escaped_in_full(plain)


@given(st.text(max_size=80))
def test_mermaid_text_is_one_line_without_syntax(text):
    out = mermaid_text(text)
    assert out and "\n" not in out and "%%" not in out
    assert not set(out) & set(':;#"`<>&{}\\')


def test_same_input_gives_byte_identical_markdown(pack):
    p = example("midsize_mcn_supply_services")
    first = markdown.render(assess(p, pack, p.as_of), "zh")
    again = markdown.render(assess(example("midsize_mcn_supply_services"), pack, p.as_of), "zh")
    assert first == again
    assert str(dt.date.today()) not in first


def test_report_names_the_agency_the_date_and_the_money(pack):
    p = example("midsize_mcn_supply_services")
    en = markdown.render(assess(p, pack, p.as_of), "en")
    zh = markdown.render(assess(p, pack, p.as_of), "zh")
    assert en.startswith("# Lihua Deer Culture (example): risk report and migration plan, as of 2020-08-27\n")
    assert "CNY 8,100,000, 27% of the monthly GMV of CNY 30,000,000" in en
    assert (
        "| **GMV cut off by the live-cart ban, per month** | **CNY 8,100,000** |   "
        "| 30,000,000 × 0.6 × 0.45 |" in en
    )
    assert "810 万元，占月 GMV（3,000 万元）的 27%" in zh and "162 万元" in zh
    # The ladder ends on the net effect after the plan, its range and verdict (creator_share left out).
    assert "| **+CNY 37,813\\*** | −CNY 23,051 to +CNY 98,676 | 189,971 − 152,158\\* |" in en
    assert "- **Net effect after the plan:** +CNY 37,813 a month, positive: the agency gains" in en
    assert "**执行应对计划后的净影响**：每月 +3.78 万元，净利好：机构净收益" in zh
    # The plan as task checklists, with owner, due date and KPI; dependencies named.
    assert "- [ ] **Sort every third-party-linked client" in en
    assert "(Account director, due 2020-09-03, KPI: 100% of Taobao/JD-linked clients sorted" in en
    assert "`ACT-STORE-ONBOARD` · effort M (14 days), starting 2020-09-03 · after ACT-TRIAGE" in en
    assert "（客户总监，2020-09-03 前完成，KPI：" in zh


def test_minimal_profile_flags_assumed_money_and_undecided_rules(pack):
    p = example("minimal")
    md = markdown.render(assess(p, pack, p.as_of), "en")
    summary = md.split("## Policy timeline")[0]
    assert "CNY 4,000,000\\*" in summary and "**Rules left undecided:** 15" in summary
    assert "| Douyin live GMV through third-party links | 50% |" in md  # its label, as a client reads it
    assert "### Rules left undecided (fill in these fields)" in md


def test_after_the_ban_the_plan_is_a_remediation_plan(pack):
    p = example("premium_brands")
    md = markdown.render(assess(p, pack, dt.date(2020, 11, 1)), "en")
    assert "## Remediation plan" in md and "closed 56 days ago" in md
    assert "**carried over: its phase closed on 2020-09-06**" in md  # due now, in the open phase
    assert "**Next policy step:** none" in md
    assert ":crit, 2020-11-01, 2020-11-08" in md  # carried-over actions stand out in the chart


def run(*args: str):
    return runner.invoke(app, list(args), env={"NO_COLOR": "1"})


def test_cli_writes_markdown_whole_to_a_file(tmp_path):
    out = tmp_path / "report.md"
    out.write_text("old report\n", encoding="utf-8")
    profile = str(PROFILES / "midsize_mcn_supply_services.toml")
    r = run("assess", profile, "--format", "markdown", "--output", str(out), "--lang", "zh")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == ""
    assert f"{out}：Lihua Deer Culture (example)：风险指数 45.6（中）" in r.stderr  # in the run's --lang
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Lihua Deer Culture (example)：风险评估与应对方案（评估日期 2020-08-27）\n")
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]  # no temporary file left
    again = tmp_path / "again.md"
    run("assess", profile, "-f", "markdown", "-o", str(again), "--lang", "zh")
    assert again.read_bytes() == out.read_bytes()


def test_cli_markdown_to_stdout_and_bad_output(tmp_path):
    profile = str(PROFILES / "small_pure_promotion.toml")
    r = run("assess", profile, "-f", "markdown")
    assert r.exit_code == 0 and r.stdout.startswith("# Spark Live Studio (example): ")
    r = run("assess", profile, "-f", "markdown", "-o", str(tmp_path / "missing" / "r.md"))
    assert r.exit_code == 2 and "does not exist" in r.stderr
    r = run("assess", profile, "-f", "markdown", "-o", profile)
    assert r.exit_code == 2 and "refusing to overwrite" in r.stderr


def test_readme_excerpts_are_from_the_real_reports():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Markdown reports", 1)[1].split("\n## Decisions", 1)[0]
    parts = section.split("````markdown\n")
    excerpts = [
        (re.findall(r"`(tests/golden/[\w.]+\.md)`", before)[-1], block.split("````", 1)[0])
        for before, block in zip(parts, parts[1:], strict=False)
    ]
    assert [path for path, _ in excerpts] == [
        "tests/golden/midsize_mcn_supply_services.en.md",
        "tests/golden/midsize_mcn_supply_services.zh.md",
    ]
    for path, excerpt in excerpts:
        report = (ROOT / path).read_text(encoding="utf-8").splitlines()
        for line in excerpt.splitlines():
            assert line == "..." or line in report, (path, line)


def test_dropped_actions_and_empty_sections_still_make_a_clean_report(pack):
    p = example("short_video_seeding")
    a = assess(p, pack, p.as_of)
    phases = [dataclasses.replace(ph, actions=[]) for ph in a.plan.phases]
    dropped = [
        DroppedAction(
            id="ACT-STARMAP-ROUTE",
            title=a.summary.priorities[0].title,
            expired_with="live_cart_ban",
            expired_on=dt.date(2020, 10, 9),
            policy=a.policy.id,
        )
    ]
    bare = dataclasses.replace(
        a,
        plan=dataclasses.replace(a.plan, phases=phases, dropped=dropped),
        findings=[],
        risks=[],
        opportunities=[],
        summary=dataclasses.replace(a.summary, priorities=[]),
    )
    for lang in ("en", "zh"):
        md = markdown.render(bare, lang)
        check_structure(md)
        assert say(lang, "no_findings") in md and say(lang, "md_nothing_first") in md
        assert say(lang, "no_opportunities") in md and say(lang, "no_actions") in md
    assert "- `ACT-STARMAP-ROUTE` Sort every third-party-linked client" in markdown.render(bare, "en")


def test_several_packs_get_a_table_each_adding_up_to_its_own_score():
    from mcn_advisor.core.combine import assess_all
    from mcn_advisor.pack.select import load_packs

    p = example("kuaishou_first_jd")
    a = assess_all(p, load_packs(["douyin-2020", "kuaishou-2019"]), p.as_of)
    for lang in ("en", "zh"):
        report = markdown.render(a, lang)
        check_structure(report)
        totals = re.findall(
            r"^\| \*\*" + re.escape(say(lang, "total")) + r"\*\* \|.*\*\*([0-9.]+)\*\* \|$",
            report,
            flags=re.M,
        )
        assert totals == [f"{r.score:.1f}" for r in a.policies]
        assert "## " + say(lang, "policies") in report


# --- accepted risks and actions already in place ---------------------------------------


def test_accepted_risks_are_shown_with_their_reason_and_not_planned(pack):
    p = example("small_pure_promotion_september")  # accepts DY-PLAT-001 until 2020-11-30
    md = markdown.render(assess(p, pack, p.as_of), "en")
    check_structure(md)
    reason = "Our creators' audiences are on Douyin; we revisit a second platform after Double 11"
    summary = md.split("## Policy timeline")[0]
    assert (
        "- **Risk findings:** 1 critical, 2 high, 3 medium, 2 low; "
        "1 of them accepted (DY-PLAT-001): carried knowingly, no action planned\n" in summary
    )
    assert "## Findings (10, 1 accepted)" in md
    assert "| Severity | Rule | Finding | When | Acceptance |" in md
    row = "| medium | DY-PLAT-001 | Most of the business sits on Douyin |   |"
    assert f"{row} **Accepted** until 2020-11-30: {reason} |" in md
    detail = md.split("### DY-PLAT-001 · ")[1].split("\n### ")[0]
    assert f"- **Accepted** until 2020-11-30: {reason}\n" in detail
    assert "- **Not planned while accepted**: ACT-DIVERSIFY" in detail and "Calls for" not in detail
    assert "| **10** | medium | accept until 2020-11-30 |" in md  # the risk register: as the finding
    assert "ACT-DIVERSIFY" not in md.split("## Migration plan")[1]
    # An action the findings call for but the profile shows done: its own short list.
    plan = md.split("## Migration plan")[1]
    in_place = plan.split("### Already in place\n\n")[1].split("\n\n### ")[0]
    assert in_place == (
        "Findings call for these actions, but the profile shows them done: they are not in the plan.\n\n"
        "- `ACT-SUPPLY-PARTNER` Sign an in-platform supply partner (e.g. Suning goods sold inside Douyin, "
        "no redirect)"
    )


def test_an_expired_acceptance_counts_again_and_says_so(pack):
    p = example("small_pure_promotion_september")
    for lang, flag, summary in (
        ("en", "**Acceptance expired** on 2020-11-30, counted again: ", "acceptance expired for DY-PLAT-001"),
        ("zh", "**接受已到期**（2020-11-30），重新计入：", "；DY-PLAT-001 的风险接受已到期，重新计入"),
    ):
        md = markdown.render(assess(p, pack, dt.date(2020, 12, 5)), lang)
        check_structure(md)
        assert md.count(flag) == 2  # in the findings table and in the finding's detail
        assert summary in md.split("\n## ")[1]
        assert say(lang, "md_not_planned") not in md
        assert "ACT-DIVERSIFY" in md.split("## " + say(lang, "plan_remediation"))[1]
        # The risk register treats it as the rule says again.
        assert f"| **10** | {say(lang, 'level_medium')} | {say(lang, 'treat_mitigate')} |" in md


def test_a_report_without_acceptances_has_no_acceptance_column(pack):
    p = example("midsize_mcn_supply_services")
    md = markdown.render(assess(p, pack, p.as_of), "en")
    assert "| Severity | Rule | Finding | When |\n" in md and "accepted" not in md.lower()


def test_a_packs_kept_blocks_follow_its_texts_values_and_date(pack):
    """The rates, scales, formulas and timeline are written once and kept: a pack whose texts
    or values differ, or another date, gets its own, never the block kept for another."""
    a = assess(example("midsize_mcn_supply_services"), pack, dt.date(2020, 8, 27))
    first = markdown.render(a, "en")
    rate = a.impact.rates[0]
    renamed = dataclasses.replace(rate, title=Text(en="A rate renamed", zh="改名的比率"))
    revalued = dataclasses.replace(rate, value=rate.value + 0.125)
    for changed, shown in ((renamed, "A rate renamed"), (revalued, markdown.number(rate.value + 0.125))):
        impact = dataclasses.replace(a.impact, rates=[changed, *a.impact.rates[1:]])
        text = markdown.render(dataclasses.replace(a, impact=impact), "en")
        row = (markdown.code(rate.id), markdown.number(changed.value), markdown.esc(changed.title["en"]))
        assert "| " + " | ".join(row) + " |" in text
        assert shown in text and text != first
    event = a.timeline[0]
    moved = dataclasses.replace(a, timeline=[dataclasses.replace(event, title=Text(en="Moved", zh="移"))])
    assert "| Moved |" in markdown.render(moved, "en").replace("**", "")
    later = assess(example("midsize_mcn_supply_services"), pack, dt.date(2020, 10, 15))
    assert markdown.render(later, "en") != first and markdown.render(a, "en") == first


def test_kept_blocks_are_bounded(pack, monkeypatch):
    monkeypatch.setattr(markdown, "PACK_BLOCKS", 3)
    monkeypatch.setattr(markdown, "_PACK_BLOCKS", {})
    a = assess(example("midsize_mcn_supply_services"), pack, dt.date(2020, 8, 27))
    for day in range(1, 6):
        markdown.render(dataclasses.replace(a, as_of=dt.date(2020, 8, day)), "en")
        assert len(markdown._PACK_BLOCKS) <= 3


def test_numbers_kept_once_written_keep_the_sign_of_zero():
    assert [markdown.number(x) for x in (0.0, -0.0, 0.0, 1250000.0, 0.45, 0.45)] == [
        "0",
        "-0",
        "0",
        "1,250,000",
        "0.45",
        "0.45",
    ]


def test_evidence_kept_once_written_keeps_types_and_the_sign_of_zero():
    shares = [field_text("x", v, "en", unit="share") for v in (0.0, -0.0, 0.5, 0.5)]
    assert shares == ["x = 0%", "x = -0%", "x = 50%", "x = 50%"]
    assert [field_text("x", v, "en") for v in (1, 1.0, True)] == ["x = 1", "x = 1", "x = yes"]


def test_the_widths_of_characters_seen_are_bounded(monkeypatch):
    from mcn_advisor.render import common

    seen = common._ExtraCells()
    monkeypatch.setattr(common, "_EXTRA_CELLS", seen)
    text = "".join(map(chr, range(0x4E00, 0x4E00 + 5000)))  # 5,000 distinct wide characters
    assert common._wide_cells.__wrapped__(text) == 10_000
    assert len(seen) <= 4096


@pytest.mark.parametrize("name", NAMES)
def test_the_bytes_a_batch_writes_are_the_report_encoded(name, pack):
    p = example(name)
    for when in (p.as_of, dt.date(2021, 1, 1)):
        a = assess(p, pack, when)
        for lang in ("en", "zh"):
            assert markdown.encoded(a, lang) == markdown.render(a, lang).encode("utf-8")


LANGS = st.sampled_from(["en", "zh"])


@contextlib.contextmanager
def written_afresh():
    """Every kept block written again, message by message, and every formula escaped whole,
    while the blocks kept so far stay aside for the next report."""
    kept, bound, cell = markdown._PACK_BLOCKS, markdown.PACK_BLOCKS, markdown._formula_cell
    markdown._PACK_BLOCKS, markdown.PACK_BLOCKS = {}, 0
    markdown._formula_cell = lambda f: esc(substituted(f.formula, f.inputs))
    try:
        yield
    finally:
        markdown._PACK_BLOCKS, markdown.PACK_BLOCKS, markdown._formula_cell = kept, bound, cell


@settings(max_examples=80, deadline=None)
@given(
    profiles(), st.sampled_from([dt.date(2020, 9, 10), dt.date(2020, 10, 15)]) | DATES, LANGS, st.booleans()
)
def test_a_report_from_kept_blocks_is_the_report_written_afresh(data, as_of, lang, accept):
    """Findings, tasks and a pack's blocks are kept from the reports before (of other profiles,
    dates and languages): each report is still the one written afresh, so every key holds all
    that shapes its text (severity, date, days, actions, acceptance...)."""
    if accept:
        risk = {"rule": "DY-LIVE-001", "reason": "Known | <b>", "until": dt.date(2020, 12, 31)}
        data = {**data, "accepted_risks": [risk]}
    a = assess(Profile.model_validate(data), PROPERTY_PACK, as_of)
    kept = markdown.render(a, lang)
    with written_afresh():
        assert markdown.render(a, lang) == kept


NAMES = st.sampled_from(["a.b", "metric.x_y", "rate.z", "min", "max"])


@settings(max_examples=300)
@given(
    st.lists(
        st.text(max_size=6) | st.sampled_from([" * ", " - ", "(", ") ", "-", "1.", "# ", "`"]), max_size=5
    ),
    st.lists(NAMES, max_size=4),
    st.lists(st.floats(allow_nan=False) | st.integers() | st.none(), max_size=4),
    st.lists(st.booleans(), max_size=4),
)
def test_a_formula_filled_into_its_escaped_skeleton_is_the_formula_escaped_whole(texts, names, values, marks):
    """Numbers, signs, assumed marks, hostile texts around the names: the same cell either way."""
    formula = "".join(x for pair in itertools.zip_longest(texts, names, fillvalue="") for x in pair)
    inputs = [
        SimpleNamespace(field=n, value=v, assumed=m) for n, v, m in zip(names, values, marks, strict=False)
    ]
    f = SimpleNamespace(formula=formula, inputs=inputs)
    assert markdown._formula_cell(f) == esc(substituted(formula, inputs))  # type: ignore[arg-type]
