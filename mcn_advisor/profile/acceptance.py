"""What a profile names that only the policy packs know: accepted risks and supply partners.

An acceptance names a risk rule of the pack, says why, and may end on a date. Its
finding stays in every report, marked accepted, and does not count toward
``--fail-on`` or call for plan actions; once ``until`` has passed it counts again.

A supply partner is matched against the packs' partner tables (case and width folded).
A name close to a known one (``sunning``) is an error with a "did you mean": a typo of
the one partner that matters must not silently raise the exposure. Any other unknown
name is accepted: MCNs list suppliers no table holds, and the assessment states that it
counted such a name as no in-platform partner.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mcn_advisor.errors import ProfileError, did_you_mean, say, suggest
from mcn_advisor.files.problems import format_problems
from mcn_advisor.files.toml import Loc
from mcn_advisor.profile.model import AcceptedRisk, Profile, partner_key
from mcn_advisor.records import record

PARTNER_CUTOFF = 0.8  # how close an unknown partner name must be to a known one to be taken for a typo

if TYPE_CHECKING:
    from mcn_advisor.pack.compile import Pack


@record(frozen=True)
class RuleBook:
    """What an acceptance may name: the rules of the packs in use, and of packs not in use.

    ``kinds`` maps each rule id of the packs in use to its kind; ``packs`` names those
    packs (for messages); ``elsewhere`` holds the rule ids of other packs the profile may
    be assessed with: accepting one of those is no error, the acceptance waits for its pack.
    ``partners`` maps every partner name the packs know (``partner_key``) to its id.
    """

    kinds: Mapping[str, str]
    packs: tuple[str, ...]
    elsewhere: frozenset[str] = frozenset()
    partners: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(
        cls, packs: Sequence[Pack], elsewhere: Iterable[str] = (), others: Sequence[Pack] = ()
    ) -> RuleBook:
        kinds = {c.rule.id: c.rule.kind for pack in packs for c in pack.rules}
        partners = {key: p.id for pack in (*others, *packs) for key, p in pack.partners.items()}
        return cls(kinds, tuple(pack.id for pack in packs), frozenset(elsewhere) - kinds.keys(), partners)


def problems(profile: Profile, book: RuleBook) -> list[tuple[Loc, str]]:
    """Acceptances that name no risk rule of the packs in use (nor of ``book.elsewhere``),
    or a rule accepted twice; partner names that look like a typo of a known partner."""
    out = _partner_problems(profile, book)
    first: dict[str, int] = {}
    for i, entry in enumerate(profile.accepted_risks or []):
        loc: Loc = ("accepted_risks", i, "rule")
        kind = book.kinds.get(entry.rule)
        if kind is None and entry.rule in book.elsewhere:
            continue  # a rule of a pack this run does not use: the acceptance waits for that pack
        if kind is None:
            hint = did_you_mean(entry.rule, book.kinds) or say(" (see: mcn-advisor rules list)")
            where = say("policy pack") if len(book.packs) == 1 else say("policy packs")
            out.append(
                (
                    loc,
                    say(
                        "unknown rule '{rule}' in {where} {packs}{hint}",
                        rule=entry.rule,
                        where=where,
                        packs=", ".join(book.packs),
                        hint=hint,
                    ),
                )
            )
        elif kind != "risk":
            out.append(
                (
                    loc,
                    say(
                        "'{rule}' is {kind} finding, not a risk: there is nothing to accept",
                        rule=entry.rule,
                        kind=_a(kind),
                    ),
                )
            )
        elif entry.rule in first:
            out.append(
                (
                    loc,
                    say(
                        "'{rule}' is already accepted by accepted_risks[{first}]",
                        rule=entry.rule,
                        first=first[entry.rule],
                    ),
                )
            )
        first.setdefault(entry.rule, i)
    return out


def _partner_problems(profile: Profile, book: RuleBook) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    for i, name in enumerate(profile.supply_chain.partners or []):
        key = partner_key(name)
        if key in book.partners:
            continue
        near = suggest(key, book.partners, cutoff=PARTNER_CUTOFF) if key else None
        if near is not None:
            out.append(
                (
                    ("supply_chain", "partners", i),
                    say(
                        "unknown partner '{name}'; did you mean '{match}'? (known partners: {known})",
                        name=name,
                        match=book.partners[near],
                        known=", ".join(sorted(set(book.partners.values()))),
                    ),
                )
            )
    return out


def _a(kind: str) -> str:
    return (
        say("an opportunity") if kind == "opportunity" else say("a positive") if kind == "positive" else kind
    )


Rules = RuleBook | Callable[[], RuleBook]
"""A ``RuleBook``, or a function that makes one: called only for a profile that accepts a risk
or names supply-chain partners, so any other profile loads no policy pack to be checked."""


def check(profile: Profile, book: Rules, source: Any = "profile", lines: Any = dict) -> None:
    """Raise ``ProfileError`` (``source:line: accepted_risks.N.rule: ...``) for bad acceptances
    and mistyped partner names."""
    if not (profile.accepted_risks or profile.supply_chain.partners):
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
