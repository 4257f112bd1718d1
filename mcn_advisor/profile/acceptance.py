"""Accepted risks: a profile's ``[[accepted_risks]]`` checked against the policy packs' rules.

An acceptance names a risk rule of the pack, says why, and may end on a date. Its
finding stays in every report, marked accepted, and does not count toward
``--fail-on`` or call for plan actions; once ``until`` has passed it counts again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mcn_advisor.errors import ProfileError, did_you_mean
from mcn_advisor.files.problems import format_problems
from mcn_advisor.files.toml import Loc
from mcn_advisor.profile.model import AcceptedRisk, Profile

if TYPE_CHECKING:
    from mcn_advisor.pack.compile import Pack


@dataclass(frozen=True)
class RuleBook:
    """What an acceptance may name: the rules of the packs in use, and of packs not in use.

    ``kinds`` maps each rule id of the packs in use to its kind; ``packs`` names those
    packs (for messages); ``elsewhere`` holds the rule ids of other packs the profile may
    be assessed with: accepting one of those is no error, the acceptance waits for its pack.
    """

    kinds: Mapping[str, str]
    packs: tuple[str, ...]
    elsewhere: frozenset[str] = frozenset()

    @classmethod
    def of(cls, packs: Sequence[Pack], elsewhere: Iterable[str] = ()) -> RuleBook:
        kinds = {c.rule.id: c.rule.kind for pack in packs for c in pack.rules}
        return cls(kinds, tuple(pack.id for pack in packs), frozenset(elsewhere) - kinds.keys())


def problems(profile: Profile, book: RuleBook) -> list[tuple[Loc, str]]:
    """Acceptances that name no risk rule of the packs in use (nor of ``book.elsewhere``),
    or a rule accepted twice."""
    out: list[tuple[Loc, str]] = []
    first: dict[str, int] = {}
    for i, entry in enumerate(profile.accepted_risks or []):
        loc: Loc = ("accepted_risks", i, "rule")
        kind = book.kinds.get(entry.rule)
        if kind is None and entry.rule in book.elsewhere:
            continue  # a rule of a pack this run does not use: the acceptance waits for that pack
        if kind is None:
            hint = did_you_mean(entry.rule, book.kinds) or " (see: mcn-advisor rules list)"
            where = "policy pack" if len(book.packs) == 1 else "policy packs"
            out.append((loc, f"unknown rule '{entry.rule}' in {where} {', '.join(book.packs)}{hint}"))
        elif kind != "risk":
            out.append((loc, f"'{entry.rule}' is {_a(kind)} finding, not a risk: there is nothing to accept"))
        elif entry.rule in first:
            out.append((loc, f"'{entry.rule}' is already accepted by accepted_risks[{first[entry.rule]}]"))
        first.setdefault(entry.rule, i)
    return out


def _a(kind: str) -> str:
    return "an opportunity" if kind == "opportunity" else f"a {kind}"


Rules = RuleBook | Callable[[], RuleBook]
"""A ``RuleBook``, or a function that makes one: called only for a profile that accepts a risk,
so a profile without acceptances loads no policy pack to be checked."""


def check(profile: Profile, book: Rules, source: Any = "profile", lines: Any = dict) -> None:
    """Raise ``ProfileError`` (``source:line: accepted_risks.N.rule: ...``) for bad acceptances."""
    if not profile.accepted_risks:
        return
    found = problems(profile, book if isinstance(book, RuleBook) else book())
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
