"""The README stays true: its commands, its profile table, its exit codes."""

from __future__ import annotations

import re

from typer.main import get_command

from mcn_advisor.cli import app
from mcn_advisor.profile.model import FIELDS
from tests.conftest import PROFILES, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, flags=re.S)


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_second():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [b.strip() for b in re.findall(r"```sh\n(.*?)```", quick, flags=re.S)][:2]
    assert "mcn-advisor assess profiles/" in commands[0]
    assert commands[1].endswith("pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()
    profile = re.search(r"assess (profiles/\S+)", commands[0]).group(1)
    assert (ROOT / profile).exists()


def test_every_command_is_documented():
    def names(cmd, prefix=""):
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from (
                names(sub, f"{prefix}{name} ") if getattr(sub, "commands", None) else [f"{prefix}{name}"]
            )

    for name in names(get_command(app)):
        assert f"`mcn-advisor {name}" in README, name


def test_every_profile_field_is_documented():
    for path in FIELDS:
        section, leaf = path.split(".")
        assert f"`{path}`" in README or (f"`{section}." in README and f".{leaf}`" in README), path


def test_every_example_profile_is_listed():
    for path in PROFILES.glob("*.toml"):
        assert f"`{path.name}`" in README


def test_exit_codes_are_documented():
    section = README.split("### Exit codes", 1)[1].split("\n## ", 1)[0]
    for code in ("| 0 |", "| 1 |", "| 2 |"):
        assert code in section


def test_the_model_at_work_is_real_output(monkeypatch):
    """The model section's commands run, and every line of its excerpts is in their output."""
    import shlex

    from typer.testing import CliRunner

    section = README.split("### The model at work", 1)[1].split("\n## ", 1)[0]
    commands = [c for b in re.findall(r"```sh\n(.*?)```", section, flags=re.S) for c in b.splitlines()]
    monkeypatch.chdir(ROOT)
    outputs = set()
    for command in commands:
        r = CliRunner().invoke(app, shlex.split(command)[1:], env={"NO_COLOR": "1"})
        assert r.exit_code == 0, (command, r.stderr)
        outputs |= set(r.stdout.splitlines())
    for block in re.findall(r"```text\n(.*?)```", section, flags=re.S):
        for line in block.splitlines():
            assert line in outputs, line


def test_the_worked_example_is_real_output():
    """The terminal excerpt at the top of the README is the 80-column report."""
    from mcn_advisor.core.engine import assess
    from mcn_advisor.pack.compile import builtin_pack
    from mcn_advisor.profile.load import load_profile
    from mcn_advisor.render import terminal

    section = README.split("## A worked example", 1)[1].split("\n## ", 1)[0]
    profile = load_profile(PROFILES / "midsize_mcn_supply_services.toml")
    text = terminal.render(assess(profile, builtin_pack(), profile.as_of), "en", width=80)
    block = re.search(r"```text\n(.*?)```", section, flags=re.S).group(1)
    for line in block.splitlines():
        assert line == "..." or line in text.splitlines(), line


MONEY = README.split("### From gross to net: the money a founder decides on", 1)[1].split("\n## ", 1)[0]


def test_from_gross_to_net_is_real_output(monkeypatch):
    """The money section's commands run, and every line of its excerpts is in their output."""
    import shlex

    from typer.testing import CliRunner

    monkeypatch.chdir(ROOT)
    commands = [c for b in re.findall(r"```sh\n(.*?)```", MONEY, flags=re.S) for c in b.splitlines()]
    assert len(commands) == 3
    outputs: set[str] = set()
    for command in commands:
        r = CliRunner().invoke(app, shlex.split(command)[1:], env={"NO_COLOR": "1"})
        assert r.exit_code == 0, (command, r.stderr)
        outputs |= set(r.stdout.splitlines())
    for block in re.findall(r"````markdown\n(.*?)````", MONEY, flags=re.S):
        for line in block.splitlines():
            assert line in ("", "...") or line in outputs, line


def test_the_break_even_grid_is_what_the_model_gives():
    """The table of store-service fee against uptake: every cell assessed for real."""
    from mcn_advisor.core.engine import assess
    from tests.conftest import AS_OF, example
    from tests.core.test_money import with_rates

    grid = MONEY.split("| `service_fee` \\ uptake |", 1)[1].split("\n\n", 1)[0].splitlines()
    uptakes = [float(x) for x in grid[0].strip(" |").split(" | ")]
    mid = example("midsize_mcn_supply_services")
    for row in grid[2:]:
        fee, *cells = (c.strip() for c in row.strip(" |").split(" | "))
        for uptake, cell in zip(uptakes, cells, strict=True):
            pack = with_rates(service_fee=float(fee.rstrip("%")) / 100, service_uptake_existing=uptake)
            i = assess(mid, pack, AS_OF).impact
            net, verdict = cell.replace("*", "").replace("−", "-").replace(",", "").split()
            assert (i.net_effect_cny_monthly, i.verdict) == (float(net), verdict), (fee, uptake)
