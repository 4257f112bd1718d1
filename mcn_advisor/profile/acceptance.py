"""Accepted risks: a profile's ``[[accepted_risks]]`` checked against a policy pack.

An acceptance names a risk rule of the pack, says why, and may end on a date. Its
finding stays in every report, marked accepted, and does not count toward
``--fail-on`` or call for plan actions; once ``until`` has passed it counts again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mcn_advisor.errors import ProfileError, did_you_mean
from mcn_advisor.files.problems import format_problems
from mcn_advisor.files.toml import Loc
from mcn_advisor.profile.model import AcceptedRisk, Profile

if TYPE_CHECKING:
    from mcn_advisor.pack.compile import Pack


def problems(profile: Profile, packs: Sequence[Pack]) -> list[tuple[Loc, str]]:
    """Acceptances that name no risk rule of the ``packs``, or a rule accepted twice.

    A rule of another shipped pack is no error: one profile may be assessed against
    several packs, and its acceptance applies when that pack is used.
    """
    rules = {c.rule.id: c.rule for pack in packs for c in pack.rules}
    names = ", ".join(pack.id for pack in packs)
    out: list[tuple[Loc, str]] = []
    first: dict[str, int] = {}
    for i, entry in enumerate(profile.accepted_risks or []):
        loc: Loc = ("accepted_risks", i, "rule")
        rule = rules.get(entry.rule)
        if rule is None and _in_another_builtin_pack(entry.rule):
            continue  # a rule of a pack this run does not use: the acceptance waits for that pack
        if rule is None:
            hint = did_you_mean(entry.rule, rules) or " (see: mcn-advisor rules list)"
            where = "policy pack" if len(packs) == 1 else "policy packs"
            out.append((loc, f"unknown rule '{entry.rule}' in {where} {names}{hint}"))
        elif rule.kind != "risk":
            out.append(
                (loc, f"'{entry.rule}' is {_a(rule.kind)} finding, not a risk: there is nothing to accept")
            )
        elif entry.rule in first:
            out.append((loc, f"'{entry.rule}' is already accepted by accepted_risks[{first[entry.rule]}]"))
        first.setdefault(entry.rule, i)
    return out


def _in_another_builtin_pack(rule_id: str) -> bool:
    """Whether a shipped pack defines ``rule_id`` (a profile may serve several packs)."""
    from mcn_advisor.pack.compile import builtin_pack
    from mcn_advisor.pack.select import builtin_names

    return any(
        c.rule.id == rule_id for name in builtin_names() for c in builtin_pack(name.replace("-", "_")).rules
    )


def _a(kind: str) -> str:
    return "an opportunity" if kind == "opportunity" else f"a {kind}"


def check(profile: Profile, packs: Sequence[Pack], source: Any = "profile", lines: Any = dict) -> None:
    """Raise ``ProfileError`` (``source:line: accepted_risks.N.rule: ...``) for bad acceptances."""
    found = problems(profile, packs) if profile.accepted_risks else []
    if found:
        raise ProfileError(format_problems(source, lines(), found))


def by_rule(profile: Profile) -> dict[str, AcceptedRisk]:
    """The profile's acceptances, keyed by rule id."""
    return {entry.rule: entry for entry in profile.accepted_risks or []}


def expired(entry: AcceptedRisk, as_of: dt.date) -> bool:
    """An acceptance ends after its ``until`` date; on that day it still holds."""
    return entry.until is not None and entry.until < as_of


def holds(entry: AcceptedRisk | None, as_of: dt.date) -> bool:
    """Whether an acceptance (if any) is in force on ``as_of``: its finding does not count."""
    return entry is not None and not expired(entry, as_of)
