"""The command line as a user meets it: exit codes, stdout vs stderr, files written safely."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from mcn_advisor import __version__
from mcn_advisor.cli import app, only_invoked
from tests.conftest import GOOD, PROFILES

runner = CliRunner()
SMALL = str(PROFILES / "small_pure_promotion.toml")
NATIVE = str(PROFILES / "douyin_native_supply.toml")


def run(*args: str):
    return runner.invoke(app, list(args), env={"NO_COLOR": "1", "COLUMNS": "80"})


def test_assess_prints_the_report():
    r = run("assess", SMALL)
    assert r.exit_code == 0, r.stderr
    assert "Spark Live Studio (example)" in r.stdout
    assert "93.5 / 100, critical" in r.stdout
    assert "DY-LIVE-001" in r.stdout and "MIGRATION PLAN" in r.stdout
    assert r.stderr == ""


def test_assess_json_follows_the_contract():
    r = run("assess", SMALL, "--format", "json")
    assert r.exit_code == 0
    a = json.loads(r.stdout)
    assert a["schema_version"] == 3
    assert a["policy"]["id"] == "douyin-2020-closed-loop"
    assert a["as_of"] == "2020-08-27"
    assert 0 <= a["exposure"]["score"] <= 100 and a["exposure"]["band"] == "critical"
    assert {"id", "value", "weight", "contribution"} <= set(a["exposure"]["factors"][0])
    assert a["impact"]["gmv_at_risk_cny_monthly"] == 2_720_000
    assert {"rule_id", "severity", "title", "evidence", "sources", "sizing"} <= set(a["findings"][0])
    sizing = a["findings"][0]["sizing"]
    assert {"metric", "value", "scale", "bounds", "likelihood", "impact", "rating"} <= set(sizing)
    assert a["plan"]["tier"]["id"] == "small" and "optional" in a["plan"] and "set_aside" in a["plan"]
    assert {"likelihood", "impact", "rating", "level", "treatment"} <= set(a["risks"][0])
    action = a["plan"]["phases"][0]["actions"][0]
    assert {"id", "strategy", "owner", "effort", "depends_on", "due", "kpi"} <= set(action)
    for key in ("opportunities", "assumptions", "confidence", "undetermined", "risk_matrix"):
        assert key in a


def test_as_of_option_overrides_the_profile():
    r = run("assess", SMALL, "-f", "json", "--as-of", "2020-10-20")
    a = json.loads(r.stdout)
    assert a["as_of"] == "2020-10-20" and a["plan"]["mode"] == "remediation"


def test_bad_as_of_is_a_usage_error():
    r = run("assess", SMALL, "--as-of", "2020-13-01")
    assert r.exit_code == 2
    assert "'2020-13-01' is not a date; use YYYY-MM-DD" in r.stderr


@pytest.mark.parametrize(
    ("profile", "fail_on", "code"),
    [
        (SMALL, "critical", 1),
        (SMALL, "high", 1),
        # A Douyin-native MCN with 3.5% of its GMV through third-party live links: medium at worst.
        (NATIVE, "critical", 0),
        (NATIVE, "high", 0),
        (NATIVE, "medium", 1),
        (str(PROFILES / "short_video_seeding.toml"), "high", 0),
        (str(PROFILES / "short_video_seeding.toml"), "medium", 1),
    ],
)
def test_fail_on(profile, fail_on, code):
    assert run("assess", profile, "--fail-on", fail_on).exit_code == code


def test_fail_on_ignores_findings_only_known_in_hindsight():
    # On 2020-08-01 the cart ban was not yet announced: its findings are listed apart, counted nowhere.
    assert run("assess", SMALL, "--as-of", "2020-08-01", "--fail-on", "critical").exit_code == 0
    assert run("assess", SMALL, "--as-of", "2020-08-27", "--fail-on", "critical").exit_code == 1


def test_fail_on_ignores_positive_findings(write):
    path = write(GOOD.replace("douyin_live = 0.5", "douyin_short_video = 0.5"))
    r = run("assess", str(path), "--as-of", "2020-08-27", "--fail-on", "info", "-f", "json")
    assert r.exit_code == 0
    assert [f["rule_id"] for f in json.loads(r.stdout)["findings"]] == ["DY-SV-001"]


def test_no_fail_on_means_exit_zero():
    assert run("assess", SMALL).exit_code == 0


def test_bad_profile_is_one_line_per_problem_and_exit_2(write):
    path = write(GOOD.replace("commission_rate = 0.20", "commission_rate = 1.5\ncreator = 3"))
    r = run("assess", str(path))
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        f"error: {path}:6: agency.commission_rate: must be within 0..1",
        f"error: {path}:7: agency.creator: unknown field 'creator'; did you mean 'creators'? (got 3)",
    ]
    assert "Traceback" not in r.stderr


def test_missing_profile(tmp_path):
    r = run("assess", str(tmp_path / "none.toml"))
    assert r.exit_code == 2
    assert r.stderr == f"error: {tmp_path / 'none.toml'}: no such file\n"


def test_output_is_written_whole_and_summarised_on_stderr(tmp_path):
    out = tmp_path / "report.json"
    out.write_text("old")
    r = run("assess", SMALL, "-f", "json", "-o", str(out))
    assert r.exit_code == 0 and r.stdout == ""
    assert json.loads(out.read_text())["agency"] == "Spark Live Studio (example)"
    assert "score 93.5 (critical)" in r.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temp file left


def test_lines_about_a_run_speak_its_language(tmp_path):
    out = tmp_path / "报告.md"
    r = run("assess", SMALL, "-f", "markdown", "-o", str(out), "--lang", "zh")
    assert r.exit_code == 0
    assert (
        r.stderr == f"{out}：Spark Live Studio (example)：风险指数 93.5（极高），风险点 11 个，行动 11 项\n"
    )
    r = run("what-if", SMALL, "--set", "clients.brand_clients=40", "-o", str(out), "--lang", "zh")
    assert r.exit_code == 0 and r.stderr == f"{out}：假设推演已写入\n"


def test_output_never_overwrites_the_profile(write):
    path = write(GOOD)
    before = path.read_text()
    r = run("assess", str(path), "-o", str(path))
    assert r.exit_code == 2
    assert "is an input of this run; refusing to overwrite it" in r.stderr
    assert path.read_text() == before


def test_output_into_a_missing_folder(tmp_path):
    r = run("assess", SMALL, "-o", str(tmp_path / "no" / "r.txt"))
    assert r.exit_code == 2 and "does not exist" in r.stderr


def test_validate_many(write, tmp_path):
    good = write(GOOD, "good.toml")
    bad = write(GOOD.replace("kuaishou = 0.5", "kuaishou = 0.2"), "bad.toml")
    r = run("validate", str(good), str(bad), str(tmp_path / "gone.toml"))
    assert r.exit_code == 2
    assert r.stdout == f"{good}: ok (Test MCN)\n"
    assert len(r.stderr.splitlines()) == 2
    assert run("validate", str(good)).exit_code == 0


def test_schema_is_json_schema_of_the_profile():
    r = run("schema")
    doc = json.loads(r.stdout)
    assert doc["$schema"].startswith("https://json-schema.org/")
    assert "agency" in doc["properties"] and "agency" in doc["required"]
    assert doc["additionalProperties"] is False


def test_init_writes_a_valid_starter_and_never_overwrites(tmp_path):
    path = tmp_path / "mine.toml"
    assert run("init", str(path)).exit_code == 0
    assert run("validate", str(path)).exit_code == 0
    path.write_text("# mine\n")
    r = run("init", str(path))
    assert r.exit_code == 2 and "already exists" in r.stderr
    assert path.read_text() == "# mine\n"


def test_the_starter_is_dated_and_points_editors_at_its_schema(tmp_path):
    path = tmp_path / "mine.toml"
    run("init", str(path))
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#:schema ./mcn-profile.schema.json\n")
    schema = json.loads((tmp_path / "mcn-profile.schema.json").read_text(encoding="utf-8"))
    assert schema == json.loads(run("schema").stdout)
    # Dated inside the policy's window, so the first assessment plans against its steps.
    a = json.loads(run("assess", str(path), "-f", "json").stdout)
    assert a["as_of"] == "2020-08-27" and a["plan"]["mode"] == "migration"
    # A schema already there (the user's, or an older one) is left alone.
    (tmp_path / "mcn-profile.schema.json").write_text("{}\n")
    assert run("init", str(tmp_path / "second.toml")).exit_code == 0
    assert (tmp_path / "mcn-profile.schema.json").read_text() == "{}\n"


def test_rules_list_and_show():
    r = run("rules", "list", "-f", "json")
    rules = {x["id"]: x for x in json.loads(r.stdout)["rules"]}
    assert rules["DY-LIVE-001"]["severity_range"] == ["low", "critical"]  # sized on each profile
    assert rules["DY-PLAT-001"]["severity_range"] == ["low", "medium"]
    r = run("rules", "show", "dy-client-001")
    assert r.exit_code == 0
    for part in ("Why", "What it checks", "clients.taobao_linked_share", "ACT-TRIAGE", "[000]"):
        assert part in r.stdout
    r = run("rules", "show", "DY-LIVE-01")
    assert r.exit_code == 2 and "did you mean 'DY-LIVE-001'?" in r.stderr


def test_policy_timeline():
    r = run("policy")
    assert r.exit_code == 0
    assert "2020-09-06" in r.stdout and "2020-10-09" in r.stdout and "2018-03 " in r.stdout


def test_version_and_usage_errors():
    assert run("--version").stdout == f"mcn-advisor {__version__}\n"
    r = run("assess", SMALL, "--format", "docx")
    assert r.exit_code == 2
    assert run("frobnicate").exit_code == 2


def test_chinese_text_fields_in_json():
    a = json.loads(run("assess", SMALL, "-f", "json", "--lang", "zh").stdout)
    assert a["findings"][0]["title"] == "直播断外链：第三方链接直播 GMV 将于 2020-10-09 被切断"
    assert "exposure" in a  # keys stay English


# Ctrl-C landing while the CLI's modules import: the import raises KeyboardInterrupt, as
# a real one would, at a point a test can choose (a finder asked for mcn_advisor.cli).
CTRL_C_WHILE_STARTING = """
import sys
class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == "mcn_advisor.cli":
            raise KeyboardInterrupt
sys.meta_path.insert(0, CtrlC())
sys.argv = ["mcn-advisor", "--version"]
from mcn_advisor.__main__ import main
main()
"""


def test_ctrl_c_while_the_command_starts_ends_it_without_a_traceback():
    r = subprocess.run(
        [sys.executable, "-c", CTRL_C_WHILE_STARTING], capture_output=True, text=True, timeout=60
    )
    assert (r.returncode, r.stdout, r.stderr) == (130, "", "interrupted\n")
    started = subprocess.run(
        [sys.executable, "-m", "mcn_advisor", "--version"], capture_output=True, text=True, timeout=60
    )
    assert (started.returncode, started.stdout) == (0, f"mcn-advisor {__version__}\n")


def test_a_stop_wrapped_by_a_library_is_still_a_stop(monkeypatch):
    # pydantic turns an exception raised inside a serializer (a signal's) into its own error.
    from mcn_advisor import cli
    from mcn_advisor.errors import Stopped

    @cli.user_errors
    def command() -> None:
        raise ValueError("Error calling function `_in_language`: Stopped: 15")

    monkeypatch.setattr(cli, "_stopping", [15])
    with pytest.raises(Stopped) as caught:
        command()
    assert caught.value.signum == 15
    monkeypatch.setattr(cli, "_stopping", [])
    with pytest.raises(ValueError):  # without a stop, a bug stays a bug
        command()


@pytest.mark.parametrize("date", ["1999-12-31", "2100-01-01", "9999-12-31"])
def test_dates_outside_the_range_are_refused_by_every_command(write, date):
    path = write(GOOD)
    for args in (
        ["assess", str(path)],
        ["levers", str(path)],
        ["what-if", str(path), "--lever", "own_store"],
    ):
        r = run(*args, "--as-of", date)
        assert r.exit_code == 2 and f"{date} is outside the dates" in r.stderr, (args, r.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ["assess", SMALL, "-f", "json"],
        ["assess"],
        ["assess", SMALL, "--bogus"],
        ["policy"],
        ["rules", "show", "NOPE-1"],
        ["--help"],
        [],
        ["-h", "assess"],
        ["--version"],
        ["asess", SMALL],
    ],
)
def test_a_run_builds_only_its_command_and_behaves_the_same(args):
    only = only_invoked(args)
    if args and not args[0].startswith("-") and args[0] != "asess":
        assert only is not app and len(only.registered_commands) + len(only.registered_groups) == 1
    full, alone = run(*args), runner.invoke(only, args, env={"NO_COLOR": "1", "COLUMNS": "80"})
    assert (alone.exit_code, alone.stdout, alone.stderr) == (full.exit_code, full.stdout, full.stderr)


def test_every_command_s_help_is_the_same_built_alone():
    for name in get_command(app).commands:
        full, alone = run(name, "--help"), runner.invoke(only_invoked([name, "--help"]), [name, "--help"])
        assert full.exit_code == alone.exit_code == 0 and full.stdout == alone.stdout, name


def _commands(group, path=()):
    """Every command's words: ("assess",), ("policy", "list"), ..., and the groups themselves."""
    yield path
    for name, command in getattr(group, "commands", {}).items():
        yield from _commands(command, (*path, name))


def test_every_help_reads_at_80_columns_with_metavars_and_help_for_each_option():
    root = get_command(app)
    for words in _commands(root):
        r = run(*words, "--help")
        assert r.exit_code == 0, words
        assert "<" not in r.stdout and "[x" not in r.stdout, (words, r.stdout)  # no Python types, no ranges
        body = [line for line in r.stdout.splitlines() if not line.startswith("Usage:")]
        assert not [line for line in body if line.rstrip().endswith("...")], (words, r.stdout)  # none cut
        assert all(len(line) <= 80 for line in r.stdout.splitlines()), words
        command = root
        for word in words:
            command = command.commands[word]
        for param in command.params:
            assert param.help, (words, param.name)  # every option and argument says what it is for


@pytest.mark.parametrize(
    ("args", "choices"),
    [
        (["assess", SMALL, "-f", "pdf2"], "terminal, json, markdown, html, pdf"),
        (["batch", SMALL, "-f", "pdf"], "table, json, csv, markdown, html"),
        (["assess", SMALL, "--lang", "fr"], "en, zh"),
        (["assess", SMALL, "--fail-on", "severe"], "info, low, medium, high, critical"),
        (["rules", "list", "-f", "xml"], "table, json"),
    ],
)
def test_a_bad_choice_lists_the_valid_ones(args, choices):
    r = run(*args)
    assert r.exit_code == 2 and f"is not one of: {choices}" in r.stderr and "Value error" not in r.stderr


def test_a_count_below_one_is_refused_plainly():
    r = run("levers", SMALL, "--top", "0")
    assert r.exit_code == 2 and "0 is not a count: give 1 or more" in r.stderr
