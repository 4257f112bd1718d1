"""The README's worked decision is real: its commands run, its excerpts are their output."""

from __future__ import annotations

import re
import shlex

from typer.testing import CliRunner

from mcn_advisor.cli import app
from tests.conftest import GOLDEN, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("### A worked decision", 1)[1].split("\n## ", 1)[0]
# The terminal outputs at 80 columns, kept true by tests/test_cli_decisions.py.
OUTPUTS = [f"{kind}_small_pure_promotion.txt" for kind in ("levers", "what_if", "diff")]


def test_the_worked_decision_commands_run(tmp_path, monkeypatch):
    (tmp_path / "profiles").symlink_to(ROOT / "profiles")
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```sh\n(.*?)```", SECTION, flags=re.S)
    commands = [c for block in blocks for c in block.splitlines()]
    assert len(commands) == 5
    for command in commands:
        args = shlex.split(command)
        assert args[0] == "mcn-advisor"
        r = CliRunner().invoke(app, args[1:], env={"NO_COLOR": "1"})
        assert r.exit_code == 0, (command, r.stderr)
    assert (tmp_path / "spark-2020-08.json").exists() and (tmp_path / "spark-2020-09.json").exists()


def test_the_worked_decision_excerpts_are_real_output():
    real = {line for name in OUTPUTS for line in (GOLDEN / name).read_text(encoding="utf-8").splitlines()}
    blocks = re.findall(r"```text\n(.*?)```", SECTION, flags=re.S)
    assert len(blocks) == 3
    for block in blocks:
        for line in block.splitlines():
            if line != "...":
                assert line in real, line
