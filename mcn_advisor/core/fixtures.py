"""A policy pack's own tests, run through the engine: ``mcn-advisor policy test``.

Each ``[[fixtures]]`` entry of a pack is a small profile assessed at its ``as_of``, with
the band it must get and the rules that must fire (hold: a finding, a positive finding
or an opportunity), stay silent (must not hold) or stay undecided (a field they test
is left out), and the severity some risks must have (they must fire). Every failure is
one line naming the pack file, the line of the expectation that failed, and why, with
the condition tests that decided it and the values they saw.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from mcn_advisor.core.engine import evaluate, unknown_fields
from mcn_advisor.errors import in_turn, say, show_value
from mcn_advisor.files.toml import Loc
from mcn_advisor.pack.checks import VERB
from mcn_advisor.pack.compile import Pack
from mcn_advisor.pack.conditions import Trace
from mcn_advisor.pack.schema import Fixture
from mcn_advisor.records import record

MAX_TESTS_SHOWN = 4


@record(frozen=True)
class FixtureResult:
    fixture: Fixture
    score: float
    band: str
    fired: tuple[str, ...]  # rules that held, in pack order
    failures: tuple[str, ...] = field(default=())
    silent: tuple[str, ...] = ()  # rules in force that did not hold, in pack order

    @property
    def passed(self) -> bool:
        return not self.failures


def run_fixtures(pack: Pack) -> list[FixtureResult]:
    """Assess every fixture of ``pack`` and compare with what it expects."""
    return [_run(pack, i, fixture) for i, fixture in enumerate(pack.model.fixtures)]


def _run(pack: Pack, index: int, fixture: Fixture) -> FixtureResult:
    ev = evaluate(fixture.profile, pack, fixture.as_of)
    outcome = {c.rule.id: (held, trace) for c, held, trace in ev.outcomes}
    loc: Loc = ("fixtures", index, "expect")
    failures: list[str] = []

    def fail(where: Loc, message: str) -> None:
        path = ".".join(str(p) for p in where)
        failures.append(
            say("{where}: {field}: {message}", where=pack.where(where), field=path, message=message)
        )

    e = fixture.expect
    if e.band is not None and e.band != ev.band:
        fail(
            (*loc, "band"),
            say(
                "expected band {band}, got {got} (score {score})",
                band=e.band,
                got=ev.band,
                score=f"{ev.score:g}",
            ),
        )
    for key, wanted in (("fire", True), ("silent", False), ("undecided", None)):
        for j, rule_id in enumerate(getattr(e, key)):
            held, trace = outcome.get(rule_id, (False, []))  # not in force: it cannot hold
            if held is not wanted:
                fail((*loc, key, j), _why(pack, rule_id, wanted, held, trace, ev.missing))
    for rule_id, severity in e.severity.items():
        held, _ = outcome.get(rule_id, (False, []))
        size = ev.sizes.get(rule_id)
        got = size.level if held and size else None
        if got != severity:
            seen = (
                say(
                    "is {level} (likelihood {likelihood} x impact {impact})",
                    level=got,
                    likelihood=size.likelihood,
                    impact=size.impact,
                )
                if got and size
                else _STATE[held]
            )
            fail(
                (*loc, "severity", rule_id),
                say(
                    "expected {rule_id} to be {severity}; it {seen}",
                    rule_id=rule_id,
                    severity=severity,
                    seen=seen,
                ),
            )
    fired = tuple(rule_id for rule_id, (held, _) in outcome.items() if held)
    silent = tuple(rule_id for rule_id, (held, _) in outcome.items() if held is False)
    return FixtureResult(fixture, ev.score, ev.band, fired, tuple(failures), silent)


_STATE = {True: say("fired"), False: say("stayed silent"), None: say("is undecided")}
_WANT = {True: VERB["fire"], False: VERB["silent"], None: VERB["undecided"]}


def _why(
    pack: Pack, rule_id: str, wanted: bool | None, held: bool | None, trace: Trace, missing: frozenset[str]
) -> str:
    head = say(
        "expected {rule_id} to {verb}; it {state}", rule_id=rule_id, verb=_WANT[wanted], state=_STATE[held]
    )
    if not trace:
        return say("{head} (the rule no longer applies at the fixture's as_of)", head=head)
    if held is None:
        fields = ", ".join(unknown_fields(pack, trace, missing))
        return say("{head}: the profile leaves out {fields}", head=head, fields=fields)
    # The tests that went the way the rule went explain it: failed ones when it stayed
    # silent, passed ones when it fired.
    shown = [
        say("{test} (saw {value})", test=t.text(), value=_show(actual))
        for t, actual, ok in trace
        if ok is held
    ]
    if not shown:
        return head
    more = len(shown) - MAX_TESTS_SHOWN
    tests = in_turn(shown[:MAX_TESTS_SHOWN])
    if more > 0:
        tests = say("{tests}; and {more} more", tests=tests, more=more)
    return say("{head}: {how}: {tests}", head=head, how=say("held") if held else say("failed"), tests=tests)


def _show(value: Any) -> str:
    return show_value(round(value, 6) if type(value) is float else value)
