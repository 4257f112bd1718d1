"""What a pack's conditions and formulas may name: profile fields, the pack's metrics, and
what its partner table makes of the profile's partners.

One place decides what a name means, for rules, metrics, factors and levers alike, so a
misspelt name gets the same message (with a "did you mean") wherever it is written.

Partner names (read from ``supply_chain.partners`` through the pack's ``[[partners]]``):
``partner.in_platform`` is 1 when a listed partner supplies the pack's own platform, else 0;
``partner.coverage`` is the largest coverage among those partners (0 when none);
``partner.<id>.coverage`` is the table's coverage of one partner (a constant).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping

from mcn_advisor.errors import did_you_mean, say
from mcn_advisor.profile.model import FIELDS

METRIC = "metric."
PARTNER = "partner."
RATE = "rate."
MONEY = "money."
PARTNERS_FIELD = "supply_chain.partners"
PARTNER_VALUES = ("partner.in_platform", "partner.coverage")  # read from the profile's partners
# What the money ladder computes, readable by its upside and transitional formulas (core/money.py).
MONEY_VALUES = (
    "money.margin",  # the agency's margin per yuan of GMV
    "money.gross_gmv",  # the GMV at risk a month
    "money.moved_to_stores_gmv",  # of it, what ends up selling through Douyin stores with the plan
    "money.lost_after_plan_gmv",  # of it, what is still lost after the plan
)


def partner_names(partner_ids: Iterable[str]) -> tuple[str, ...]:
    """Every ``partner.`` name a pack with these partner ids may read."""
    return (*PARTNER_VALUES, *(f"{PARTNER}{p}.coverage" for p in partner_ids))


# Fields a formula can read as a number: true/false counts as 1/0, a list as its length.
NUMERIC: frozenset[str] = frozenset(
    p for p, spec in FIELDS.items() if spec.kind in ("number", "bool", "list")
)


def condition_fields(
    metric_ids: Iterable[str], partner_ids: Iterable[str] = (), rate_ids: Iterable[str] = ()
) -> dict[str, str]:
    """The names a condition may test: profile fields, ``metric.<id>``, ``partner.`` and
    ``rate.<id>`` names, with their kind."""
    known = {path: spec.kind for path, spec in FIELDS.items()}
    known.update({METRIC + m: "number" for m in metric_ids})
    known.update({name: "number" for name in partner_names(partner_ids)})
    known.update({RATE + r: "number" for r in rate_ids})
    return known


def formula_scope(
    metrics: Collection[str],
    partner_ids: Iterable[str] = (),
    rate_ids: Iterable[str] = (),
    *,
    money: bool = False,
) -> Callable[[str], str | None]:
    """``known(name)`` for ``compile_formula``: None when a formula may read ``name``, else why not.

    ``metrics`` are the metric ids in scope; it may grow as metrics compile, so that a
    metric reads only those defined above it. ``rate.<id>`` names the pack's rates; ``money``
    adds what the money ladder computes (``MONEY_VALUES``: its upside items read them).
    """
    partners = frozenset(partner_names(partner_ids))
    rates = frozenset(RATE + r for r in rate_ids)

    def known(name: str) -> str | None:
        if name.startswith(PARTNER):
            if name in partners:
                return None
            return say("unknown partner name '{name}'{hint}", name=name, hint=did_you_mean(name, partners))
        if name.startswith(RATE):
            if name in rates:
                return None
            return say(
                "unknown rate '{name}'{hint}",
                name=name,
                hint=did_you_mean(name, rates) or say(" (rates are the pack [rates] table)"),
            )
        if name.startswith(MONEY):
            if money and name in MONEY_VALUES:
                return None
            if not money:
                return say(
                    "'{name}' is computed by the money ladder: only the formulas of its upside items "
                    "and transitional costs may read it",
                    name=name,
                )
            return say("unknown money value '{name}'{hint}", name=name, hint=did_you_mean(name, MONEY_VALUES))
        if name.startswith(METRIC):
            if name[len(METRIC) :] in metrics:
                return None
            ids = [METRIC + x for x in metrics]
            hint = did_you_mean(name, ids) or " (a metric may only use metrics defined above it)"
            return say("unknown metric '{name}'{hint}", name=name, hint=hint)
        if name in NUMERIC:
            return None
        if name in FIELDS:
            return say("field '{name}' is {kind}, not a number", name=name, kind=FIELDS[name].kind)
        return say("unknown field '{name}'{hint}", name=name, hint=did_you_mean(name, NUMERIC))

    return known


def profile_fields(names: Iterable[str], metric_inputs: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """The profile fields behind ``names``, looking through metrics to what they read."""
    out: set[str] = set()
    for name in names:
        if name.startswith(METRIC):
            out |= metric_inputs.get(name[len(METRIC) :], set())
        elif name in PARTNER_VALUES:
            out.add(PARTNERS_FIELD)
        elif not name.startswith((PARTNER, RATE, MONEY)):  # constants, and the ladder's own values
            out.add(name)
    return frozenset(out)
