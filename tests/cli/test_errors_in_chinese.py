"""Errors about bad input in the user's language: the same problem, told in English and in Chinese.

Messages are made in English (``errors.say``) and said again from ``i18n/errors.toml``;
these tests follow one problem of each kind to what a user reads.
"""

from __future__ import annotations

import json
import pickle

from typer.testing import CliRunner

from mcn_advisor.cli import app
from mcn_advisor.errors import InputError, say
from mcn_advisor.i18n import translate
from tests.conftest import GOOD

runner = CliRunner()
ENV = {"NO_COLOR": "1", "COLUMNS": "80"}
BAD_SHARE = GOOD + "\n[clients]\ntaobao_linked_share = 1.4\n"


def run(*args: str):
    return runner.invoke(app, list(args), env=ENV)


def test_a_value_out_of_bounds_in_both_languages(write):
    path = write(BAD_SHARE, "p.toml")
    en, zh = run("assess", str(path)), run("assess", str(path), "--lang", "zh")
    assert en.exit_code == zh.exit_code == 2
    assert en.stderr == f"error: {path}:13: clients.taobao_linked_share: must be within 0..1\n"
    assert zh.stderr == f"错误：{path}:13：clients.taobao_linked_share：应在 0 到 1 之间\n"


def test_a_typo_keeps_its_suggestion_in_chinese(write):
    path = write(GOOD.replace("commission_rate", "comission_rate"), "p.toml")
    r = run("validate", str(path), "--lang", "zh")
    assert r.exit_code == 2
    assert r.stderr == (
        f"错误：{path}:6：agency.comission_rate：未知数据项 'comission_rate'；是否想写 'commission_rate'？"
        "（填写的是 0.2）\n"
    )


def test_a_toml_syntax_error_in_chinese(write):
    path = write("schema_version = 1\n[agency\n", "p.toml")
    r = run("assess", str(path), "--lang", "zh")
    assert r.stderr == f"错误：{path}:2:8：TOML 语法错误：表声明末尾应有 ']'\n"


def test_validate_says_ok_in_chinese(write):
    path = write(GOOD, "p.toml")
    r = run("validate", str(path), "--lang", "zh")
    assert r.exit_code == 0 and r.stdout == f"{path}：通过（Test MCN）\n"


def test_a_what_if_error_names_the_set_in_chinese(write):
    path = write(GOOD, "p.toml")
    r = run("what-if", str(path), "--set", "clients.taobao_linked_share=2", "--lang", "zh")
    assert r.exit_code == 2
    assert r.stderr == "错误：--set clients.taobao_linked_share=2：应在 0 到 1 之间（填写的是 2）\n"


def test_a_failed_profile_in_a_batch_summary_is_told_in_chinese(tmp_path):
    """Problems cross from the workers to the summary and keep their translation."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.toml").write_text(GOOD, encoding="utf-8")
    (folder / "bad.toml").write_text(BAD_SHARE, encoding="utf-8")
    out = tmp_path / "out"
    r = run("batch", str(folder), "--jobs", "2", "--out-dir", str(out), "--lang", "zh")
    assert r.exit_code == 2
    failures = json.loads((out / "summary.json").read_text(encoding="utf-8"))["failures"]
    said = f"{folder / 'bad.toml'}:13：clients.taobao_linked_share：应在 0 到 1 之间"
    assert failures[0]["problems"] == [said]
    assert "clients.taobao_linked_share：应在 0 到 1 之间" in r.stdout
    for name in ("summary.md", "summary.csv", "summary.html"):
        assert "taobao_linked_share：应在 0 到 1 之间" in (out / name).read_text(encoding="utf-8-sig"), name


def test_said_survives_pickling_and_nesting():
    """A message crosses to and from batch workers pickled, values said inside it too."""
    message = say("{where}: {field}: {message}", where="p.toml:3", field="x", message=say("must be a number"))
    back = pickle.loads(pickle.dumps(InputError([message])))
    assert back.problems == ["p.toml:3: x: must be a number"]
    assert translate("zh", back.problems[0]) == "p.toml:3：x：应为数字"
    assert translate("en", back.problems[0]) == "p.toml:3: x: must be a number"


def test_text_not_said_stays_as_it_is_and_an_unknown_template_keeps_its_english():
    assert translate("zh", "plain text") == "plain text"
    assert (
        translate("zh", say("no such template {x}", x=say("must be a number"))) == "no such template 应为数字"
    )


def test_a_bad_csv_row_converted_in_a_worker_is_told_in_chinese(tmp_path):
    """CSV rows are converted in the workers, a piece at a time: their problems come back said."""
    survey = tmp_path / "survey.csv"
    survey.write_text(
        "agency.name,agency.monthly_gmv_cny,platform_mix.douyin_live\nA,1000000,1\nB,abc,1\n",
        encoding="utf-8",
    )
    r = run("batch", str(survey), "--jobs", "2", "--lang", "zh", "--as-of", "2020-08-27")
    assert r.exit_code == 2
    assert f'{survey}:3：agency.monthly_gmv_cny：应为数字（填写的是 "abc"）' in r.stdout
