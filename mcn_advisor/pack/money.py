"""The money section of a pack checked and compiled: rates, the ladder's parts, upside items,
transitional costs, and the ranges of the fields a profile may leave out.

``core/money.py`` runs what this compiles: the ladder from the gross at risk to the net
effect, the path month by month, and ranges at the corners of the fields left out.
"""

from __future__ import annotations

from typing import Any

from mcn_advisor.errors import did_you_mean, message_of, say
from mcn_advisor.files.toml import Loc
from mcn_advisor.i18n.text import Text
from mcn_advisor.pack.checks import duplicates, ref
from mcn_advisor.pack.formulas import Formula, FormulaError, compile_formula
from mcn_advisor.pack.names import formula_scope, profile_fields
from mcn_advisor.pack.schema import Money, MoneyPart, PackModel, Reduction, Transitional, Upside
from mcn_advisor.profile.model import FIELDS
from mcn_advisor.records import record

REST = "rest"  # the last part's share: what the parts above leave
# Outputs a field range may declare a direction for, besides the steady upside items' ids.
OUTPUTS = ("score", "gross", "expected", "residual")
_ALL = Text(en="All the GMV at risk", zh="全部受影响 GMV")


@record(frozen=True)
class CompiledPart:
    part: MoneyPart
    share: Formula | None  # None: the rest
    moves: Formula


@record(frozen=True)
class CompiledUpside:
    item: Upside
    formula: Formula | None  # None: a window-only item (what reductions tagged with it save)


@record(frozen=True)
class CompiledTransitional:
    item: Transitional
    monthly: Formula
    reduced_by: tuple[tuple[Reduction, Formula], ...]


@record(frozen=True)
class CompiledRange:
    """A field (or a whole table) a profile may leave out: its span and its directions."""

    key: str  # the field, or the table, as the assumptions name it
    fields: tuple[str, ...]  # the leaves it sets
    low: Any  # a value, or a Formula over given fields
    high: Any
    vary: str | None  # a table: the leaf that varies (the others rescale)
    moves: dict[str, str]  # output -> "+" or "-"


@record(frozen=True)
class CompiledMoney:
    money: Money
    margin: Formula
    revenue: Formula | None
    parts: tuple[CompiledPart, ...]
    upside: tuple[CompiledUpside, ...]
    transitional: tuple[CompiledTransitional, ...]
    ranges: dict[str, CompiledRange]
    reads: frozenset[str]  # profile fields its formulas read


def default_money(m: PackModel) -> Money:
    """A pack with no ``[money]``: all the GMV at risk is lost at its last step, nothing moves."""
    steps = [e for e in m.events if e.step] or m.events
    return Money(parts=[MoneyPart(id="whole", title=_ALL, share=REST, lost_from=steps[-1].id)])


def money_actions(money: Money) -> frozenset[str]:
    """The actions the money section gives an effect of their own (upside, timing, reductions)."""
    found = {u.action for u in money.upside} | {p.moved_by for p in money.parts}
    for cost in money.transitional:
        found |= {cost.with_action, *(r.action for r in cost.reduced_by)}
    return frozenset(a for a in found if a)


def compile_money(
    m: PackModel, problems: list[tuple[Loc, str]], metric_inputs: dict[str, frozenset[str]]
) -> CompiledMoney:
    """Check the rates, the money section and the ranges, and compile their formulas."""
    money = m.money or default_money(m)
    partners = [p.id for p in m.partners]
    scope = formula_scope(metric_inputs, partners, m.rates)
    money_scope = formula_scope(metric_inputs, partners, m.rates, money=True)
    names: list[str] = []

    def formula(text: str, loc: Loc, known: Any = scope) -> Formula:
        try:
            compiled = compile_formula(text, known)
        except FormulaError as exc:
            problems.append((loc, message_of(exc)))
            return compile_formula("0", known)
        names.extend(compiled.names)
        return compiled

    _check_rates(m, problems)
    base: Loc = ("money",)
    events = {e.id for e in m.events}
    actions = {a.id for a in m.actions}
    margin = formula(money.margin, (*base, "margin"))
    revenue = formula(money.revenue, (*base, "revenue")) if money.revenue else None
    for j, event in enumerate(money.marks):
        problems.extend(ref((*base, "marks", j), event, events, "event"))
    for j, source in enumerate(money.season_sources):
        problems.extend(ref((*base, "season_sources", j), source, m.sources, "source"))
    problems.extend(duplicates(money.parts, "money.parts"))
    parts = []
    for i, part in enumerate(money.parts):
        loc: Loc = (*base, "parts", i)
        problems.extend(ref((*loc, "lost_from"), part.lost_from, events, "event"))
        problems.extend(ref((*loc, "moved_by"), part.moved_by, actions, "action"))
        last = i == len(money.parts) - 1
        if (part.share == REST) != last:
            problems.append(((*loc, "share"), say('the last part, and only it, has share = "rest"')))
        share = None if part.share == REST else formula(part.share, (*loc, "share"))
        parts.append(CompiledPart(part=part, share=share, moves=formula(part.moves, (*loc, "moves"))))
    windows = {u.id for u in money.upside if u.window}
    problems.extend(duplicates(money.upside, "money.upside"))
    upside = []
    for i, item in enumerate(money.upside):
        loc = (*base, "upside", i)
        problems.extend(ref((*loc, "action"), item.action, actions, "action"))
        problems.extend(ref((*loc, "starts"), item.starts, events, "event"))
        if item.window and (item.formula is not None or item.action is not None):
            problems.append(
                (
                    loc,
                    say(
                        "a window-only item has no formula or action: the reductions tagged with it "
                        "say what it saves"
                    ),
                )
            )
        if not item.window and (item.formula is None or item.action is None):
            problems.append((loc, say("give the action it comes with and its formula (CNY a month)")))
        compiled = formula(item.formula, (*loc, "formula"), money_scope) if item.formula else None
        upside.append(CompiledUpside(item=item, formula=compiled))
    tagged: set[str] = set()
    problems.extend(duplicates(money.transitional, "money.transitional"))
    transitional = []
    for i, cost in enumerate(money.transitional):
        loc = (*base, "transitional", i)
        for key in ("starts", "until"):
            problems.extend(ref((*loc, key), getattr(cost, key), events, "event"))
        problems.extend(ref((*loc, "with_action"), cost.with_action, actions, "action"))
        reductions = []
        for j, r in enumerate(cost.reduced_by):
            problems.extend(ref((*loc, "reduced_by", j, "action"), r.action, actions, "action"))
            if r.upside is not None:
                problems.extend(
                    ref((*loc, "reduced_by", j, "upside"), r.upside, windows, "window-only upside item")
                )
                tagged.add(r.upside)
            reductions.append((r, formula(r.by, (*loc, "reduced_by", j, "by"))))
        monthly = formula(cost.monthly, (*loc, "monthly"), money_scope)
        transitional.append(CompiledTransitional(item=cost, monthly=monthly, reduced_by=tuple(reductions)))
    for i, item in enumerate(money.upside):
        if item.window and item.id not in tagged:
            problems.append(
                (
                    (*base, "upside", i, "id"),
                    say("no reduction names '{id}': it would save nothing", id=item.id),
                )
            )
    outputs = {*OUTPUTS, *(u.id for u in money.upside if not u.window)} - windows
    ranges = {
        key: r
        for key, r in (
            (key, _compile_range(key, spec, outputs, problems, scope)) for key, spec in m.ranges.items()
        )
        if r is not None
    }
    return CompiledMoney(
        money=money,
        margin=margin,
        revenue=revenue,
        parts=tuple(parts),
        upside=tuple(upside),
        transitional=tuple(transitional),
        ranges=ranges,
        reads=profile_fields(names, metric_inputs),
    )


def _check_rates(m: PackModel, problems: list[tuple[Loc, str]]) -> None:
    for rid, rate in m.rates.items():
        loc: Loc = ("rates", rid)
        for j, source in enumerate(rate.sources):
            problems.extend(ref((*loc, "sources", j), source, m.sources, "source"))
        if not rate.sources and rate.assumption is None:
            problems.append(
                (loc, say("cite its sources, or state it as an assumption (assumption = { en, zh })"))
            )
        if rate.span is not None and not rate.span[0] <= rate.value <= rate.span[1]:
            problems.append(
                ((*loc, "span"), say("the span must hold the value {value}", value=f"{rate.value:g}"))
            )


def _compile_range(
    key: str, spec: Any, outputs: set[str], problems: list[tuple[Loc, str]], scope: Any
) -> CompiledRange | None:
    loc: Loc = ("ranges", key)
    leaves = tuple(p for p, f in FIELDS.items() if f.declared_at == key and f.assumed is not None)
    if not leaves:
        known = sorted({f.declared_at for f in FIELDS.values() if f.assumed is not None})
        problems.append(
            (
                loc,
                say("'{key}' is no field a profile may leave out with an assumed value", key=key)
                + did_you_mean(key, known),
            )
        )
        return None
    for output in spec.moves:
        if output not in outputs:
            hint = did_you_mean(output, outputs) or f" (known: {', '.join(sorted(outputs))})"
            problems.append(
                ((*loc, "moves", output), say("unknown output '{output}'{hint}", output=output, hint=hint))
            )
    table = len(leaves) > 1 or leaves[0] != key
    vary = spec.vary
    if table:
        if vary is None or f"{key}.{vary}" not in leaves:
            names = [p.rsplit(".", 1)[1] for p in leaves]
            problems.append(
                (
                    (*loc, "vary"),
                    say(
                        "name the share of {key} that varies{hint}",
                        key=key,
                        hint=did_you_mean(vary or "", names),
                    ),
                )
            )
            return None
        leaf = f"{key}.{vary}"
    else:
        if vary is not None:
            problems.append(((*loc, "vary"), say("'vary' is for a whole table (a mix)")))
        leaf = key
    bounds = []
    for j, bound in enumerate(spec.span):
        if isinstance(bound, str):
            if FIELDS[leaf].kind != "number":
                problems.append(
                    (
                        (*loc, "span", j),
                        say(
                            "a formula gives a number; '{leaf}' is {kind}", leaf=leaf, kind=FIELDS[leaf].kind
                        ),
                    )
                )
                return None
            try:
                bounds.append(compile_formula(bound, scope))
            except FormulaError as exc:
                problems.append(((*loc, "span", j), message_of(exc)))
                return None
        else:
            bounds.append(bound)
    low, high = bounds
    kind = FIELDS[leaf].kind
    plain = [b for b in bounds if not isinstance(b, Formula)]
    fits = {
        "number": lambda b: isinstance(b, (int, float)) and not isinstance(b, bool),
        "bool": lambda b: isinstance(b, bool),
        "list": lambda b: isinstance(b, list) and all(isinstance(x, str) for x in b),
    }.get(kind, lambda b: False)
    if not all(fits(b) for b in plain):
        problems.append(
            ((*loc, "span"), say("'{leaf}' is {kind}: give two values of that kind", leaf=leaf, kind=kind))
        )
        return None
    if kind == "number" and len(plain) == 2 and not low <= high:
        problems.append(((*loc, "span"), say("the span must rise: [low, high]")))
    assumed = FIELDS[leaf].assumed
    if kind == "number" and len(plain) == 2 and not low <= assumed <= high:
        problems.append(
            ((*loc, "span"), say("the span must hold the assumed value {assumed}", assumed=f"{assumed:g}"))
        )
    return CompiledRange(
        key=key, fields=leaves, low=low, high=high, vary=vary if table else None, moves=dict(spec.moves)
    )
