"""The results of ``mcn-advisor policy test`` as text: one line per fixture, failures below it."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text

from mcn_advisor.core.fixtures import FixtureResult
from mcn_advisor.i18n import t, translate
from mcn_advisor.pack.compile import Pack
from mcn_advisor.render.terminal import to_text

INDENT = "      "


def fixture_report(
    pack: Pack, results: Sequence[FixtureResult], lang: str = "en", *, color: bool = False
) -> str:
    """PASS/FAIL per fixture, each failure on its own line starting with the place to fix, a summary."""
    lines = [Text(f"{pack.id} {pack.model.pack.version} ({pack.source})", style="bold")]
    if not results:
        lines.append(Text(t(lang, "fixtures_none", where=pack.where(("pack",))), style="red"))
        return _text(lines, color)
    id_width = max(len(r.fixture.id) for r in results)
    for r in results:
        status = (
            Text(t(lang, "fixture_pass"), style="green")
            if r.passed
            else Text(t(lang, "fixture_fail"), style="bold red")
        )
        verdict = f"{t(lang, f'band_{r.band}')} {r.score:g}"
        lines.append(
            status
            + Text(f"{r.fixture.id.ljust(id_width)}  {verdict}{' ' * (15 - cell_len(verdict))}")
            + Text(r.fixture.about[lang], style="dim")
        )
        lines.extend(Text(INDENT + translate(lang, failure), style="red") for failure in r.failures)
    failed = sum(not r.passed for r in results)
    fired = {rule_id for r in results for rule_id in r.fired}
    untested = [c.rule.id for c in pack.rules if c.rule.id not in fired]
    summary = t(lang, "fixtures_summary", count=len(results), passed=len(results) - failed, failed=failed)
    summary += (
        t(lang, "fixtures_untested", rules=", ".join(untested)) if untested else t(lang, "fixtures_all_fire")
    )
    lines.append(Text(summary + "\n", style="bold red" if failed else "bold green"))
    return _text(lines, color)


def _text(lines: list[Text], color: bool) -> str:
    for line in lines:
        line.no_wrap = True
        line.overflow = "ignore"
    return to_text(list(lines), width=10_000, color=color)
