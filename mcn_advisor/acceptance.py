"""Accepted risks: a profile's ``[[accepted_risks]]`` checked against a policy pack.

An acceptance names a risk rule of the pack, says why, and may end on a date. Its
finding stays in every report, marked accepted, and does not count toward
``--fail-on`` or call for plan actions; once ``until`` has passed it counts again.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from mcn_advisor.errors import ProfileError
from mcn_advisor.profile import AcceptedRisk, Profile
from mcn_advisor.tomlfile import Loc
from mcn_advisor.validation import did_you_mean, format_problems

if TYPE_CHECKING:
    from mcn_advisor.policy import Pack


def problems(profile: Profile, pack: Pack) -> list[tuple[Loc, str]]:
    """Acceptances that name no risk rule of ``pack``, or a rule accepted twice."""
    rules = {c.rule.id: c.rule for c in pack.rules}
    out: list[tuple[Loc, str]] = []
    first: dict[str, int] = {}
    for i, entry in enumerate(profile.accepted_risks or []):
        loc: Loc = ("accepted_risks", i, "rule")
        rule = rules.get(entry.rule)
        if rule is None:
            hint = did_you_mean(entry.rule, rules) or " (see: mcn-advisor rules list)"
            out.append((loc, f"unknown rule '{entry.rule}' in policy pack {pack.id}{hint}"))
        elif rule.kind != "risk":
            out.append(
                (loc, f"'{entry.rule}' is {_a(rule.kind)} finding, not a risk: there is nothing to accept")
            )
        elif entry.rule in first:
            out.append((loc, f"'{entry.rule}' is already accepted by accepted_risks[{first[entry.rule]}]"))
        first.setdefault(entry.rule, i)
    return out


def _a(kind: str) -> str:
    return "an opportunity" if kind == "opportunity" else f"a {kind}"


def check(profile: Profile, pack: Pack, source: Any = "profile", lines: Any = dict) -> None:
    """Raise ``ProfileError`` (``source:line: accepted_risks.N.rule: ...``) for bad acceptances."""
    found = problems(profile, pack) if profile.accepted_risks else []
    if found:
        raise ProfileError(format_problems(source, lines(), found))


def by_rule(profile: Profile) -> dict[str, AcceptedRisk]:
    """The profile's acceptances, keyed by rule id."""
    return {entry.rule: entry for entry in profile.accepted_risks or []}


def expired(entry: AcceptedRisk, as_of: dt.date) -> bool:
    """An acceptance ends after its ``until`` date; on that day it still holds."""
    return entry.until is not None and entry.until < as_of
