"""The pack guide and the pack reference stay true: every output the guide shows is what
the tool prints for the edit it describes, and the reference is what the code generates."""

from __future__ import annotations

import re
import shutil

import pytest
from typer.testing import CliRunner

from mcn_advisor.cli import app
from mcn_advisor.pack import reference
from tests.conftest import PROFILES, ROOT, check_golden
from tests.pack.test_packs import EXAMPLE

DOCS = ROOT / "docs"
GUIDE = (DOCS / "writing-a-policy-pack.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
runner = CliRunner()


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A checkout-like folder: my-pack.toml (the example, as the guide copies it) and profiles/."""
    shutil.copytree(PROFILES, tmp_path / "profiles")
    (tmp_path / "my-pack.toml").write_text(EXAMPLE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):
    return runner.invoke(app, list(args), env={"NO_COLOR": "1", "COLUMNS": "100"})


def text_blocks(doc: str) -> list[str]:
    return re.findall(r"```text\n(.*?)```", doc, flags=re.S)


def test_reference_is_what_the_code_generates():
    check_golden(DOCS / "pack-reference.md", reference.render())


def test_readme_points_to_the_guide_and_the_guide_to_its_files():
    assert "docs/writing-a-policy-pack.md" in README
    for link in re.findall(r"\]\(([^)#]+)[^)]*\)", GUIDE):
        assert (DOCS / link).exists(), link
    assert "cp docs/examples/kuaishou_2022.toml my-pack.toml" in GUIDE


def test_the_copied_example_validates_and_tests_as_shown(workdir):
    r = run("policy", "validate", "my-pack.toml")
    t = run("policy", "test", "my-pack.toml")
    assert r.exit_code == 0 and t.exit_code == 0 and r.stderr == ""
    assert r.stdout + t.stdout.rstrip("\n") + "\n" in text_blocks(GUIDE)


def test_the_threshold_change_fails_as_shown(workdir):
    old = '{ field = "platform_mix.kuaishou", op = ">=", value = 0.6 }'
    new = '{ field = "platform_mix.kuaishou", op = ">=", value = 0.5 }'
    assert new in GUIDE
    (workdir / "my-pack.toml").write_text(EXAMPLE.replace(old, new), encoding="utf-8")
    r = run("policy", "test", "my-pack.toml")
    assert r.exit_code == 1
    assert r.stdout.rstrip("\n") + "\n" in text_blocks(GUIDE)


MISTAKES = {
    "a typo in a condition's field": (
        '{ field = "platform_mix.kuaishou", op = ">=", value = 0.6 }',
        '{ field = "platform_mix.kuaishuo", op = ">=", value = 0.6 }',
    ),
    "an operator that does not exist": ('op = ">=", value = 0.6', 'op = "=>", value = 0.6'),
    "an operator that does not fit the field": ('op = ">=", value = 0.6', 'op = "contains", value = "0.6"'),
    "a typo in a formula": ('formula = "platform_mix.kuaishou"\n', 'formula = "platform_mix.kuaishuo"\n'),
    "two actions with one id": ('id = "ACT-KS22-SHOP"', 'id = "ACT-KS22-TRIAGE"'),
    "a dependency on a missing action": (
        'depends_on = ["ACT-KS22-TRIAGE"]',
        'depends_on = ["ACT-KS22-TRIAGES"]',
    ),
    "a dependency cycle": ('effort = "S"\ntitle', 'effort = "S"\ndepends_on = ["ACT-KS22-SHOP"]\ntitle'),
    "weights that do not sum to 100": ("weight = 70", "weight = 60"),
    "events out of date order": ("date = 2019-12-23", "date = 2023-12-23"),
    "a text missing its Chinese": (', zh = "快手直播间停止支持淘宝、京东链接" }', " }"),
    "a misspelt key": ("likelihood = 3\n", "likelyhood = 3\n"),
    "a fixture naming a rule that does not exist": (
        'fire = ["KS22-LINK-001", "KS22-PLAT-001"]',
        'fire = ["KS22-LINK-01", "KS22-PLAT-001"]',
    ),
    "an impossible value in a fixture's profile": ("taobao_link_share = 0.30", "taobao_link_share = 1.30"),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_every_mistake_in_the_guide_gives_the_message_shown(workdir, mistake):
    old, new = MISTAKES[mistake]
    assert old in EXAMPLE
    (workdir / "my-pack.toml").write_text(EXAMPLE.replace(old, new, 1), encoding="utf-8")
    r = run("policy", "validate", "my-pack.toml")
    assert r.exit_code == 2 and r.stdout == ""
    shown = re.search(rf"^\| {re.escape(mistake)} \| `(.*)` \|$", GUIDE, flags=re.M)
    assert shown, f"the guide's table has no row for {mistake!r}"
    assert f"error: {shown.group(1)}" in r.stderr.splitlines(), r.stderr


def test_every_row_of_the_mistakes_table_is_tested():
    section = GUIDE.split("## 5.", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([^|`]+?) \| `", section, flags=re.M)
    assert sorted(rows) == sorted(MISTAKES)


def test_the_folder_run_and_the_clash_are_as_shown(workdir):
    (workdir / "reports").mkdir()
    summaries = []
    for path in sorted((workdir / "profiles").glob("*.toml")):
        out = f"reports/{path.stem}.json"
        r = run(
            "assess", f"profiles/{path.name}", "--policy", "my-pack.toml", "--as-of", "2022-02-01",
            "-f", "json", "-o", out,
        )  # fmt: skip
        assert r.exit_code == 0
        summaries.append(r.stderr)
    block = next(b for b in text_blocks(GUIDE) if b.startswith("reports/"))
    for line in block.splitlines():
        if line != "...":
            assert line + "\n" in summaries
    clash = EXAMPLE.replace('"KS22-PLAT-001"', '"DY-PLAT-001"')
    (workdir / "my-pack.toml").write_text(clash, encoding="utf-8")
    r = run(
        "assess", "profiles/kuaishou_taobao_2019.toml", "--policy", "douyin-2020", "--policy", "my-pack.toml"
    )
    assert r.exit_code == 2
    assert r.stderr in [b for b in text_blocks(GUIDE) if b.startswith("error:")]


def test_several_packs_table_is_as_shown(workdir):
    r = run(
        "assess", "profiles/kuaishou_taobao_2019.toml", "--policy", "douyin-2020", "--policy", "my-pack.toml",
        "--as-of", "2022-02-01",
    )  # fmt: skip
    assert r.exit_code == 0
    block = next(b for b in text_blocks(GUIDE) if b.startswith("POLICY PACKS"))
    assert block in r.stdout
