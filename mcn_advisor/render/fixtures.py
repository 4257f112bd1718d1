"""The results of ``mcn-advisor policy test`` as text: one line per fixture, failures below it."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from mcn_advisor.core.fixtures import FixtureResult
from mcn_advisor.pack.compile import Pack
from mcn_advisor.render.terminal import to_text

INDENT = "      "


def fixture_report(pack: Pack, results: Sequence[FixtureResult], *, color: bool = False) -> str:
    """PASS/FAIL per fixture, each failure on its own line starting with the place to fix, a summary."""
    lines = [Text(f"{pack.id} {pack.model.pack.version} ({pack.source})", style="bold")]
    if not results:
        lines.append(
            Text(f"{pack.where(('pack',))}: no fixtures to run; add [[fixtures]] to the pack", style="red")
        )
        return _text(lines, color)
    id_width = max(len(r.fixture.id) for r in results)
    for r in results:
        status = Text("PASS  ", style="green") if r.passed else Text("FAIL  ", style="bold red")
        verdict = f"{r.band} {r.score:g}"
        lines.append(
            status
            + Text(f"{r.fixture.id.ljust(id_width)}  {verdict.ljust(15)}")
            + Text(r.fixture.about["en"], style="dim")
        )
        lines.extend(Text(INDENT + failure, style="red") for failure in r.failures)
    failed = sum(not r.passed for r in results)
    fired = {rule_id for r in results for rule_id in r.fired}
    untested = [c.rule.id for c in pack.rules if c.rule.id not in fired]
    summary = f"{len(results)} fixtures: {len(results) - failed} passed, {failed} failed"
    summary += (
        f"; rules no fixture fires: {', '.join(untested)}" if untested else "; every rule fires in a fixture"
    )
    lines.append(Text(summary + "\n", style="bold red" if failed else "bold green"))
    return _text(lines, color)


def _text(lines: list[Text], color: bool) -> str:
    for line in lines:
        line.no_wrap = True
        line.overflow = "ignore"
    return to_text(list(lines), width=10_000, color=color)
