"""The policy-pack commands as a user meets them: --policy, policy list/validate/test, schema --pack."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from mcn_advisor.cli import app
from tests.conftest import ROOT, check_golden
from tests.pack.test_packs import EXAMPLE, line_of

runner = CliRunner()
KS_PROFILE = str(ROOT / "profiles" / "kuaishou_taobao_2019.toml")


def run(*args: str):
    return runner.invoke(app, list(args), env={"NO_COLOR": "1", "COLUMNS": "80"})


def test_policy_alone_still_shows_the_timeline_and_takes_policy():
    r = run("policy")
    assert r.exit_code == 0 and "2020-10-09" in r.stdout and "2018-03 " in r.stdout
    r = run("policy", "--policy", "kuaishou-2019", "--lang", "zh")
    assert r.exit_code == 0
    assert "快手停止为淘宝商品导流" in r.stdout and "2020-10-09" not in r.stdout


def test_policy_list_names_the_builtin_packs():
    r = run("policy", "list")
    assert r.exit_code == 0
    assert "douyin-2020 (default)" in r.stdout and "kuaishou-2019" in r.stdout


def test_policy_validate_good_bad_and_warnings(write):
    good = write(EXAMPLE, "good.toml")
    bad = write(EXAMPLE.replace("weight = 70", "weight = 60"), "bad.toml")
    r = run("policy", "validate", str(good), "kuaishou-2019")
    assert r.exit_code == 0 and r.stderr == ""
    assert r.stdout.splitlines() == [
        f"{good}: ok (kuaishou-2022-live-links 2022.1: 2 rules, 3 actions, 2 fixtures)",
        "<built-in kuaishou_2019.toml>: ok "
        "(kuaishou-2019-taobao-links 2019.1: 9 rules, 10 actions, 4 fixtures)",
    ]
    r = run("policy", "validate", str(good), str(bad))
    assert r.exit_code == 2
    assert (
        r.stderr
        == f"error: {bad}:{line_of(EXAMPLE, '[[factors]]')}: factors: weights sum to 90, must sum to 100\n"
    )
    loose = write(EXAMPLE.split("# --- fixtures")[0], "loose.toml")
    r = run("policy", "validate", str(loose))
    assert r.exit_code == 0 and r.stderr.startswith(f"warning: {loose}:11: pack: no fixtures")


def test_policy_test_exit_codes(write):
    good = write(EXAMPLE, "good.toml")
    r = run("policy", "test", str(good), "douyin-2020", "kuaishou-2019")
    assert r.exit_code == 0, r.stdout
    assert "PASS  linked_kuaishou_mcn" in r.stdout
    assert r.stdout.count("every rule fires in a fixture") == 3
    failing = write(EXAMPLE.replace('band = "critical"', 'band = "high"'), "failing.toml")
    r = run("policy", "test", str(failing))
    assert r.exit_code == 1
    assert "FAIL  linked_kuaishou_mcn" in r.stdout and "1 passed, 1 failed" in r.stdout
    assert (
        f"{failing}:{line_of(EXAMPLE, 'band = ' + chr(34) + 'critical')}: fixtures.0.expect.band" in r.stdout
    )
    none = write(EXAMPLE.split("# --- fixtures")[0], "none.toml")
    r = run("policy", "test", str(none))
    assert r.exit_code == 1 and "no fixtures to run" in r.stdout
    broken = write(EXAMPLE.replace('op = ">="', 'op = "=>"'), "broken.toml")
    r = run("policy", "test", str(good), str(broken))
    assert r.exit_code == 2 and "rules.1.when.op" in r.stderr and "PASS" in r.stdout


def test_schema_pack_is_the_json_schema_of_pack_files():
    r = run("schema", "--pack")
    doc = json.loads(r.stdout)
    assert doc["title"] == "mcn-advisor policy pack, schema_version 1"
    assert doc["$schema"].startswith("https://json-schema.org/")
    assert doc["additionalProperties"] is False
    assert set(doc["properties"]) == {
        "schema_version", "pack", "scoring", "risk_matrix", "scales", "effort", "roles", "sources",
        "events", "metrics", "factors", "phases", "rules", "actions", "partners", "tiers", "favoured",
        "fixtures", "lever_ranking", "levers", "rates", "money", "ranges",
    }  # fmt: skip
    defs = doc["$defs"]
    assert set(defs["Test"]["properties"]["op"]["enum"]) == {
        "==", "!=", "<", "<=", ">", ">=", "in", "not_in", "contains", "empty", "not_empty",
    }  # fmt: skip
    assert defs["Text"]["required"] == ["en", "zh"]
    assert "profile" in defs["Fixture"]["properties"]
    assert run("schema").stdout != r.stdout  # the profile schema stays the default


def test_the_example_schema_file_is_current():
    check_golden(ROOT / "docs" / "examples" / "pack.schema.json", run("schema", "--pack").stdout)


def test_rules_list_and_show_take_policy():
    r = run("rules", "list", "-f", "json", "--policy", "douyin-2020", "--policy", "kuaishou-2019")
    doc = json.loads(r.stdout)
    assert doc["policy"] == "douyin-2020-closed-loop"
    assert doc["policies"] == ["douyin-2020-closed-loop", "kuaishou-2019-taobao-links"]
    by_id = {x["id"]: x["policy"] for x in doc["rules"]}
    assert by_id["DY-LIVE-001"] == "douyin-2020-closed-loop" and by_id["KS-TB-001"] == doc["policies"][1]
    r = run("rules", "show", "ks-tb-001", "--policy", "kuaishou-2019")
    assert (
        r.exit_code == 0 and "kuaishou.taobao_link_share" in r.stdout and "[technode-2019-12-30]" in r.stdout
    )
    assert run("rules", "show", "KS-TB-001").exit_code == 2  # not in the default pack


def test_assess_with_a_pack_and_with_two():
    r = run("assess", KS_PROFILE, "-f", "json", "--policy", "kuaishou-2019")
    a = json.loads(r.stdout)
    assert a["policy"]["id"] == "kuaishou-2019-taobao-links" and a["exposure"]["band"] == "critical"
    assert [p["id"] for p in a["policies"]] == ["kuaishou-2019-taobao-links"]
    r = run("assess", KS_PROFILE, "-f", "json", "--policy", "douyin-2020", "--policy", "kuaishou-2019")
    a = json.loads(r.stdout)
    assert [(p["id"], p["headline"]) for p in a["policies"]] == [
        ("douyin-2020-closed-loop", False),
        ("kuaishou-2019-taobao-links", True),
    ]
    assert {f["policy"] for f in a["findings"]} == {"douyin-2020-closed-loop", "kuaishou-2019-taobao-links"}
    r = run("assess", KS_PROFILE, "--policy", "kuaishou-2019", "--fail-on", "critical")
    assert r.exit_code == 1 and "POLICY PACKS" not in r.stdout


def test_assess_with_a_bad_pack_is_exit_2_on_its_line(write):
    bad = write(
        EXAMPLE.replace('"platform_mix.kuaishou", op = ">="', '"platform_mix.kuaishuo", op = ">="'), "p.toml"
    )
    r = run("assess", KS_PROFILE, "--policy", str(bad))
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.startswith(f"error: {bad}:{line_of(EXAMPLE, 'op = ' + chr(34) + '>=')}: rules.1.when:")
    r = run("assess", KS_PROFILE, "--policy", "douyin")
    assert r.exit_code == 2 and "did you mean 'douyin-2020'?" in r.stderr


def test_assess_never_writes_over_a_pack(write):
    pack = write(EXAMPLE, "p.toml")
    r = run("assess", KS_PROFILE, "--policy", str(pack), "-o", str(pack))
    assert r.exit_code == 2 and pack.read_text(encoding="utf-8") == EXAMPLE


def test_a_profile_and_a_pack_given_the_wrong_way_round_say_so_once():
    example = str(ROOT / "docs" / "examples" / "kuaishou_2022.toml")
    r = run("assess", KS_PROFILE, "--policy", KS_PROFILE)
    assert r.exit_code == 2
    assert (
        r.stderr
        == f"error: {KS_PROFILE}: this is a profile, not a policy pack (it has [agency] and no [pack])\n"
    )
    r = run("assess", example, "--policy", "kuaishou-2019")
    assert r.exit_code == 2
    assert (
        r.stderr
        == f"error: {example}: this is a policy pack, not a profile; pass it with --policy {example}\n"
    )


def _section(text: str, head: str, stop: str) -> list[str]:
    part = text.split(head, 1)[1].split(stop, 1)[0]
    return re.findall(r"^  ([a-z0-9_]+) \(\d{4}-\d\d-\d\d, ", part, flags=re.M)


def test_rules_show_lists_the_fixtures_where_the_rule_fires_and_stays_silent():
    # Computed by running the pack's fixtures, not copied from what they expect.
    from mcn_advisor.core.fixtures import run_fixtures
    from mcn_advisor.pack.compile import builtin_pack

    results = run_fixtures(builtin_pack())
    for rule_id in ("DY-LIVE-001", "DY-SV-001", "DY-FEE-001"):
        out = run("rules", "show", rule_id).stdout
        fires = _section(out, "Fires in", "Stays silent in")
        silent = _section(out, "Stays silent in", "\nSources")
        assert fires == [r.fixture.id for r in results if rule_id in r.fired]
        assert silent == [r.fixture.id for r in results if rule_id in r.silent]
    out = run("rules", "show", "DY-LIVE-001").stdout
    assert "pure_promotion (2020-08-27, critical" in out
    assert "douyin_native" in out.split("Stays silent in", 1)[1]


def test_policy_commands_speak_chinese_with_lang_on_the_group_or_the_command():
    for args in (("policy", "--lang", "zh", "list"), ("policy", "list", "--lang", "zh")):
        r = run(*args)
        assert r.exit_code == 0 and r.stdout.startswith("名称") and "douyin-2020（默认）" in r.stdout
    assert "douyin-2020 (default)" in run("policy", "list").stdout
    r = run("policy", "--lang", "zh")
    assert r.exit_code == 0 and "直播断外链：" in r.stdout
    assert run("rules", "list", "--lang", "zh").stdout.startswith("规则")


def test_policy_validate_speaks_chinese_for_a_good_pack_a_broken_one_and_loose_ends(write):
    good = write(EXAMPLE, "good.toml")
    r = run("policy", "--lang", "zh", "validate", str(good))
    assert r.exit_code == 0 and r.stderr == ""
    assert r.stdout == f"{good}：通过（kuaishou-2022-live-links 2022.1：规则 2 条，行动 3 项，样例 2 个）\n"
    broken = EXAMPLE.replace("weight = 70", "weight = 60")
    bad = write(broken.replace('formula = "', 'formula = "nosuch(1) + ', 1), "bad.toml")
    r = run("policy", "--lang", "zh", "validate", str(good), str(bad))
    assert r.exit_code == 2 and r.stdout.startswith(f"{good}：通过")
    told = r.stderr.splitlines()
    assert len(told) == 2 and all(line.startswith(f"错误：{bad}:") for line in told), told
    assert f"错误：{bad}:{line_of(EXAMPLE, '[[factors]]')}：factors：权重合计 90，应合计为 100" in told
    assert "未知函数 'nosuch'；可用函数：min, max" in told[0], told
    typo = write(EXAMPLE.replace('op = ">="', 'op = "=>"'), "typo.toml")
    [told] = run("policy", "--lang", "zh", "validate", str(typo)).stderr.splitlines()
    assert ".op：应为以下之一：" in told and "是否想写 '>='？（填写的是 \"=>\"）" in told
    loose = write(EXAMPLE.split("# --- fixtures")[0], "loose.toml")
    r = run("policy", "--lang", "zh", "validate", str(loose))
    assert r.exit_code == 0
    assert f"警告：{loose}:11：pack：没有样例：请加上 [[fixtures]]" in r.stderr
    commands_aside = re.sub(r"`[^`]*`", "", r.stderr)
    assert not re.search(r"\b[a-z]{2,} [a-z]{2,} [a-z]{2,}\b", commands_aside)  # no English sentence left


def test_policy_test_reports_in_chinese_failures_included(write):
    failing = write(EXAMPLE.replace('band = "critical"', 'band = "high"'), "failing.toml")
    r = run("policy", "--lang", "zh", "test", str(failing))
    assert r.exit_code == 1
    at = line_of(EXAMPLE, "band = " + chr(34) + "critical")
    assert "失败  linked_kuaishou_mcn" in r.stdout and "通过  " in r.stdout
    assert (
        f"{failing}:{at}：fixtures.0.expect.band：预期风险等级 high，实际为 critical（风险指数 " in r.stdout
    )
    assert "样例 2 个：通过 1 个，失败 1 个" in r.stdout
    none = write(EXAMPLE.split("# --- fixtures")[0], "none.toml")
    r = run("policy", "--lang", "zh", "test", str(none))
    assert r.exit_code == 1 and "没有可运行的样例；请在政策包中加上 [[fixtures]]" in r.stdout


def test_a_fixture_failure_says_why_in_chinese_with_the_tests_it_saw(write):
    fires = write(EXAMPLE.replace("taobao_link_share = 0.0\n", "taobao_link_share = 0.2\n"), "fires.toml")
    r = run("policy", "--lang", "zh", "test", str(fires))
    assert r.exit_code == 1
    assert (
        "fixtures.1.expect.silent.0：预期 KS22-LINK-001 不触发；实际触发了：成立的条件："
        "platform_mix.kuaishou > 0（实际为 0.5）；metric.outside_link_share > 0（实际为 0.1）"
    ) in r.stdout
    undecided = write(EXAMPLE.replace("taobao_link_share = 0.30\njd_link_share = 0.30\n", ""), "gaps.toml")
    r = run("policy", "--lang", "zh", "test", str(undecided))
    assert (
        "fixtures.0.expect.fire.0：预期 KS22-LINK-001 触发；实际未定："
        "档案缺少 kuaishou.jd_link_share, kuaishou.taobao_link_share"
    ) in r.stdout
