"""The money a founder decides on: from the gross at risk to the net effect.

The gross (revenue at risk) treats every yuan of third-party live GMV as lost. The ladder
below it is a month at steady state, in the agency's margin (its take after the creators'
split), from the pack's ``[money]``:

    margin at risk   = GMV at risk x margin per yuan (never above the revenue at risk)
    expected loss    = margin x sum over parts of GMV x share x (1 - what moves by itself)
    residual loss    = margin x sum over parts of what is lost x prod (1 - each plan lever's
                       recovery on that part): the levers of the plan's actions together,
                       so they can never win back more than was lost
    upside           = the steady upside items of the plan's actions (service fees, own goods)
    net effect       = upside - residual loss (positive: the MCN gains)

so gross >= margin >= expected >= residual >= 0 whatever the rates. The path adds time: each
part is lost from its step, moves by itself over its days, each action's recovery and
upside ramp up from its due date, transitional costs run between two steps, and a month's
season (Double 11) scales both series. Ranges: the model is monotone in every field a
profile may leave out, so each output's low and high are its values at the corners of the
pack's spans, in the directions the pack declares (the plan held at the point estimate's).

Pure: the engine hands in the values, the plan's due dates, and a function that recomputes
the values and the score at a corner.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from typing import Any, NamedTuple

from mcn_advisor.core.contract import Figure, Input, Missing, PathMonth, RateUsed, ScoreRange, UpsideItem
from mcn_advisor.core.planner import effort_days, tier_of
from mcn_advisor.i18n.text import Text
from mcn_advisor.pack.compile import Pack
from mcn_advisor.pack.formulas import Formula
from mcn_advisor.pack.money import CompiledRange
from mcn_advisor.pack.names import profile_fields
from mcn_advisor.profile.model import FIELDS, SHARE_LIMITS
from mcn_advisor.records import record

GMV, REVENUE = "gmv_at_risk_cny_monthly", "revenue_at_risk_cny_monthly"
MARGIN, EXPECTED, RESIDUAL = (
    "margin_at_risk_cny_monthly",
    "expected_loss_cny_monthly",
    "residual_loss_cny_monthly",
)
UPSIDE, NET = "upside_cny_monthly", "net_effect_cny_monthly"
VERDICTS = ("negative", "neutral", "positive")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")

# What each rung is, in every language (the gross rungs are the pack's own metrics).
LABELS = {
    MARGIN: Text(
        en="Agency margin at risk, per month (after the creators' split)",
        zh="每月受影响的机构毛利（扣除达人分成后）",
    ),
    EXPECTED: Text(
        en="Expected loss if the agency does nothing, per month (after what moves by itself)",
        zh="每月预计损失（不采取行动；已扣除自行转移的部分）",
    ),
    RESIDUAL: Text(
        en="Residual loss after the plan, per month (its levers together)",
        zh="每月剩余损失（执行应对计划后，各项举措合并计算）",
    ),
    UPSIDE: Text(en="Upside the closed loop opens, per month", zh="每月利好收入（闭环带来的新收入）"),
    NET: Text(
        en="Net effect after the plan, per month (upside − residual loss; positive: the agency gains)",
        zh="每月净影响（执行应对计划后：利好收入减剩余损失，正数为净收益）",
    ),
}

# A corner: the values and the score with some fields set (the engine recomputes the metrics).
Corner = Callable[[dict[str, Any]], tuple[dict[str, Any], float]]


def _clamp01(x: float | None) -> float:
    if x is None or x != x:  # unknown or NaN: nothing
        return 0.0
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


# --- the ladder ----------------------------------------------------------------------------


class Recovery(NamedTuple):  # a tuple: a profile's ~20 corner ladders make some 80 of them
    """A plan lever's money term, evaluated: what it wins back of a part's lost GMV."""

    lever: str
    action: str
    part: str  # a part id, or "all"
    share: float
    ramp_days: int
    to_stores: bool


@record
class Ladder:
    """The ladder's numbers at steady state (CNY a month; None when the GMV at risk is unknown)."""

    gmv: float | None
    revenue: float | None
    margin: float | None
    per_gmv: float  # the agency's margin per yuan of GMV (after the clamp)
    expected: float | None
    residual: float | None
    upside: float | None
    net: float | None
    items: dict[str, float]  # steady upside item id -> CNY a month (0 when its action is not planned)
    parts: list[tuple[str, float, float]]  # (part id, share of the GMV at risk, share moving by itself)
    recoveries: list[Recovery]
    computed: dict[str, float]  # money.<name>: what upside and transitional formulas read


def ladder(
    values: Mapping[str, Any],
    pack: Pack,
    planned: Mapping[str, dt.date],
    parts: list[tuple[str, float, float]] | None = None,
    recoveries: list[Recovery] | None = None,
) -> Ladder:
    """The ladder for the actions in ``planned`` (action id -> due date): their levers applied
    together, their upside items counted. ``parts`` and ``recoveries``, when given, are those
    these values give, computed already (a corner's: the point's, when the fields it sets are
    none of those they rest on)."""
    money = pack.money
    assert money is not None
    levers, steady = _terms(pack)
    gmv, revenue = values.get("metric." + GMV), values.get("metric." + REVENUE)
    if parts is None:
        parts = _parts(money.parts, values)
    if recoveries is None:
        recoveries = [
            Recovery(lever, action, part, _clamp01(recovers.evaluate(values)), ramp_days, to_stores)
            for lever, action, part, recovers, ramp_days, to_stores in levers
            if action in planned
        ]
    if gmv is None or revenue is None:
        items = {item: 0.0 for item, _, _ in steady}
        return Ladder(None, None, None, 0.0, None, None, None, None, items, parts, recoveries, {})
    gmv, revenue = max(0.0, float(gmv)), max(0.0, float(revenue))
    per_gmv = money.margin.evaluate(values)
    margin = min(revenue, max(0.0, gmv * (per_gmv or 0.0)))
    k = margin / gmv if gmv else 0.0
    lost = after = moved = 0.0
    for part, share, moves in parts:
        keep = 1.0
        stores = 1.0
        for r in recoveries:
            if r.part in (part, "all"):
                keep *= 1.0 - r.share
                if r.to_stores:
                    stores *= 1.0 - r.share
        lost_here = gmv * share * (1.0 - moves)
        lost += lost_here
        after += lost_here * keep
        moved += gmv * share * (moves + (1.0 - moves) * (1.0 - stores))
    computed = {
        "money.margin": k,
        "money.gross_gmv": gmv,
        "money.moved_to_stores_gmv": moved,
        "money.lost_after_plan_gmv": after,
    }
    scope = {**values, **computed}  # what the upside formulas read (the computed first)
    items = {}
    for item, action, formula in steady:
        items[item] = (
            max(0.0, formula.evaluate(scope) or 0.0) if formula is not None and action in planned else 0.0
        )
    upside = sum(items.values())
    expected, residual = k * lost, k * after
    return Ladder(
        gmv,
        revenue,
        margin,
        k,
        expected,
        residual,
        upside,
        upside - residual,
        items,
        parts,
        recoveries,
        computed,
    )


def _parts(parts: Sequence[Any], values: Mapping[str, Any]) -> list[tuple[str, float, float]]:
    """Each part's share of the GMV at risk (they sum to 1: the last is the rest) and the share of
    it that moves by itself."""
    out, used = [], 0.0
    for p in parts:
        share = 1.0 - used if p.share is None else min(_clamp01(p.share.evaluate(values)), 1.0 - used)
        used += share
        out.append((p.part.id, share, _clamp01(p.moves.evaluate(values))))
    return out


@functools.lru_cache(maxsize=16)
def _terms(
    pack: Pack,
) -> tuple[tuple[tuple[Any, ...], ...], tuple[tuple[str, str | None, Formula | None], ...]]:
    """What a ladder reads of the pack, unpacked once (a profile's ranges build ~15 ladders):
    the levers with a money term (id, action, part, share formula, ramp days, to stores) and
    the steady upside items (id, action, formula)."""
    money = pack.money
    assert money is not None
    levers = tuple(
        (
            x.lever.id,
            x.lever.action,
            x.lever.money.part,
            x.recovers,
            x.lever.money.ramp_days,
            x.lever.money.to_stores,
        )
        for x in pack.levers
        if x.recovers is not None and x.lever.money is not None
    )
    steady = tuple((u.item.id, u.item.action, u.formula) for u in money.upside if not u.item.window)
    return levers, steady


@functools.lru_cache(maxsize=16)
def _behind(pack: Pack) -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """The profile fields the parts' shares rest on, and those each action's money levers rest
    on (looking through metrics and the partners: ``profile_fields``), once per pack: a corner
    setting none of them has the point's parts, or recoveries."""
    money = pack.money
    assert money is not None
    parts = [n for p in money.parts for f in (p.share, p.moves) if f is not None for n in f.names]
    levers: dict[str, set[str]] = {}
    for _, action, _, recovers, _, _ in _terms(pack)[0]:
        levers.setdefault(action, set()).update(recovers.names)
    inputs = pack.metric_inputs
    return profile_fields(parts, inputs), {a: profile_fields(n, inputs) for a, n in levers.items()}


def verdict(net: float | None, margin: float | None, band: float) -> str | None:
    """positive / neutral / negative: a net within ``band`` of the margin at risk is neutral."""
    if net is None or margin is None:
        return None
    limit = band * margin
    return "positive" if net > limit else "negative" if net < -limit else "neutral"


# --- the path, month by month ------------------------------------------------------------


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


@functools.lru_cache(maxsize=256)  # the few months paths span, profile after profile
def _label(month: dt.date) -> str:
    return month.strftime("%Y-%m")


@record
class Window:
    """A window-only upside item's savings over the path."""

    fullest: float = 0.0  # CNY a month at its fullest
    total: float = 0.0  # CNY over the path


def path(
    values: Mapping[str, Any],
    pack: Pack,
    planned: Mapping[str, dt.date],
    as_of: dt.date,
    lad: Ladder,
) -> tuple[list[PathMonth], dict[str, Window]]:
    """The margin lost each month from ``as_of``'s month, without and with the plan, and what
    the window-only upside items save over it. Day by day (dates as day numbers), averaged
    over each month, then scaled by the month's season."""
    money = pack.money
    assert money is not None
    m, events = money.money, pack.events
    windows = {u.item.id: Window() for u in money.upside if u.item.window}
    if lad.gmv is None:
        return [], windows

    def day(event: str) -> int:
        return events[event].date.toordinal()

    due = {a: d.toordinal() for a, d in planned.items()}
    k, gmv = lad.per_gmv, lad.gmv
    scope = {**values, **lad.computed}  # what the transitional formulas read
    parts = []
    for (part_id, share, moves), compiled in zip(lad.parts, money.parts, strict=True):
        p = compiled.part
        levers = tuple(
            (r.share, due[r.action], r.ramp_days) for r in lad.recoveries if r.part in (part_id, "all")
        )
        moved_by = due.get(p.moved_by) if p.moved_by else None
        lost_from, base = day(p.lost_from), k * gmv * share
        # From ``steady`` on, the part has moved all it moves by itself and every lever has
        # ramped up: its two terms are the same each day, computed once, as the loop would.
        steady = max([lost_from + p.moves_days, *(when + ramp for _, when, ramp in levers)])
        lost, keep = base * (1.0 - moves), 1.0
        for lever_share, _, _ in levers:
            keep *= 1.0 - lever_share
        parts.append((lost_from, base, moves, p.moves_days, moved_by, levers, steady, lost, lost * keep))
    costs = []
    for c in money.transitional:
        x = c.item
        starts = day(x.starts)
        # A cost that exists only with the plan starts with its action (never before its step).
        with_from = None if x.with_action is None else max(due.get(x.with_action, 10**9), starts)
        cuts = tuple(
            (_clamp01(f.evaluate(scope)), due[r.action], r.upside) for r, f in c.reduced_by if r.action in due
        )
        monthly = max(0.0, c.monthly.evaluate(scope) or 0.0)
        costs.append((starts, day(x.until), monthly, with_from, cuts))
    gains = []
    for u in money.upside:
        amount = lad.items.get(u.item.id, 0.0)
        if u.item.window or not amount:
            continue
        start = due[u.item.action]  # type: ignore[index]
        when = max(start, day(u.item.starts)) if u.item.starts else start
        gains.append((amount, when, u.item.ramp_days, when + u.item.ramp_days))
    marks = m.marks or [e.id for e in pack.model.events if e.step]
    first, last = _month_start(as_of), _month_start(as_of)
    for event in marks:
        if events[event].date >= as_of:
            last = max(last, _next_month(events[event].date))
    # The dates at which a term starts, stops, or stops ramping: between two of them every
    # term is absent, the same each day, or ramping (``_stretch``).
    bounds = sorted(
        {
            *(x for starts, until, *_ in costs for x in (starts, until)),
            *(with_from for *_, with_from, _ in costs if with_from is not None),
            *(when for *_, cuts in costs for _, when, _ in cuts),
            *(x for lost_from, *_, steady, _, _ in parts for x in (lost_from, steady)),
            *(x for _, when, _, ramped in gains for x in (when, ramped)),
        }
    )
    marked = [(e, events[e].date) for e in marks]
    out: list[PathMonth] = []
    month = first
    while len(out) < m.months or month <= last:
        end = _next_month(month)
        days = (end - month).days
        without = with_plan = 0.0
        saved = dict.fromkeys(windows, 0.0)
        start, stop = month.toordinal(), end.toordinal()
        for upto in [*(x for x in bounds if start < x < stop), stop]:
            without, with_plan = _stretch(
                start, upto, costs, parts, gains, windows, saved, without, with_plan
            )
            start = upto
        label = _label(month)
        season = m.season.get(label, 1.0)
        for tag, amount in saved.items():
            windows[tag].total += amount / days * season
        out.append(
            PathMonth(
                month=label,
                without_plan_cny=float(round(without / days * season)),
                with_plan_cny=float(round(with_plan / days * season)),
                events=[e for e, when in marked if month <= when < end],
                season=season,
            )
        )
        month = end
    return out, windows


def _stretch(
    start: int,
    stop: int,
    costs: list[tuple[Any, ...]],
    parts: list[tuple[Any, ...]],
    gains: list[tuple[Any, ...]],
    windows: dict[str, Window],
    saved: dict[str, float],
    without: float,
    with_plan: float,
) -> tuple[float, float]:
    """The days ``start`` to ``stop`` (no date of ``path``'s ``bounds`` between them) added to
    the month's sums: day by day, each term in ``path``'s order, the same float operations. A
    term is absent, the same each day, or ramping over the whole stretch, so only the ramping
    ones are computed per day; with none, the same-each-day terms are added by ``_repeat``."""
    lost_each: list[float] = []  # what each day adds to ``without``, term by term
    kept_each: list[float] = []  # ... to ``with_plan``
    tagged: dict[str, list[float]] = {}  # ... to each window item's savings
    for starts, until, monthly, with_from, cuts in costs:
        if not starts <= start < until or (with_from is not None and start < with_from):
            continue
        if with_from is None:
            lost_each.append(monthly)
        left = monthly
        for by, when, tag in cuts:
            if start >= when:
                if tag is not None:
                    tagged.setdefault(tag, []).append(left * by)
                    w = windows[tag]
                    w.fullest = max(w.fullest, left * by)  # the same each day: once is enough
                left *= 1.0 - by
        kept_each.append(left)
    days = stop - start
    for tag, each in tagged.items():
        saved[tag] = _repeat(saved[tag], each, days)
    on, up, ramping = [], [], False  # the parts lost from, the gains started; any not yet steady?
    for x in parts:
        if start >= x[0]:
            on.append(x)
            ramping = ramping or start < x[6]
    for x in gains:
        if start >= x[1]:
            up.append(x)
            ramping = ramping or start < x[3]
    if not ramping:  # every part and gain present is steady: the same each day
        for x in on:
            lost_each.append(x[7])
            kept_each.append(x[8])
        for x in up:
            kept_each.append(-x[0])  # minus, exactly as subtracting
        return _repeat(without, lost_each, days), _repeat(with_plan, kept_each, days)
    for d in range(start, stop):
        for x in lost_each:
            without += x
        for x in kept_each:
            with_plan += x
        for lost_from, base, moves, moves_days, moved_by, levers, steady, lost, kept in on:
            if d >= steady:
                without += lost
                with_plan += kept
                continue
            since = d - lost_from
            self_moved = moves if since >= moves_days else moves * since / moves_days
            without += base * (1.0 - self_moved)
            moved = moves if moved_by is not None and d >= moved_by else self_moved  # onboarded
            keep = 1.0
            for share, when, ramp in levers:
                if d >= when:
                    keep *= 1.0 - (share if d - when >= ramp else share * (d - when) / ramp)
            with_plan += base * (1.0 - moved) * keep
        for amount, when, ramp, ramped in up:
            if d >= ramped:
                with_plan -= amount
            else:
                with_plan -= amount if d - when >= ramp else amount * (d - when) / ramp
    return without, with_plan


def _repeat(total: float, each: list[float], days: int) -> float:
    """``total`` plus each of ``each`` in turn, day after day: the additions a day-by-day loop
    makes, in its order (not a product: ``x + x`` need not round as ``2 * x``). A day's few
    terms are added in one expression, left to right (the same additions): a float addition
    costs the interpreter less than the loop around it."""
    if len(each) == 1:
        (a,) = each
        for _ in range(days):
            total += a
    elif len(each) == 2:
        a, b = each
        for _ in range(days):
            total = total + a + b
    elif len(each) == 3:
        a, b, c = each
        for _ in range(days):
            total = total + a + b + c
    elif len(each) == 4:
        a, b, c, e = each
        for _ in range(days):
            total = total + a + b + c + e
    else:
        for x in each * days:
            total += x
    return total


# --- a few actions alone: what one lever, or the levers of a what-if, earn ------------------


def alone(
    pack: Pack,
    values: Mapping[str, Any],
    unknown: set[str],
    as_of: dt.date,
    actions: Sequence[str],
    done: frozenset[str],
) -> dict[str, dt.date]:
    """A plan of only ``actions`` and what they wait for (not already done): each started as soon
    as what it waits for is due, and due after its effort at the agency's size."""
    tier = tier_of(pack, values)
    due: dict[str, dt.date] = {}

    def waits_for(action: str) -> list[str]:
        needs = [a for check, a in pack.needs.get(action, ()) if check(values, unknown, []) is not False]
        return [d for d in (*pack.actions[action].depends_on, *needs) if d not in done]

    def schedule(action: str, seen: frozenset[str]) -> dt.date:
        if action not in due:
            start = max([as_of, *(schedule(d, seen | {action}) for d in waits_for(action) if d not in seen)])
            later = pack.actions[action].not_before
            if later:
                start = max(start, pack.events[later].date)
            due[action] = start + dt.timedelta(days=effort_days(pack, pack.actions[action], tier))
        return due[action]

    for action in actions:
        if action not in done:
            schedule(action, frozenset())
    return due


def effort_of(pack: Pack, values: Mapping[str, Any], planned: Mapping[str, dt.date]) -> int:
    """The days of effort a plan of these actions takes at the agency's size, one after another."""
    tier = tier_of(pack, values)
    return sum(effort_days(pack, pack.actions[a], tier) for a in planned)


@record
class Gain:
    """What some actions alone earn against doing nothing."""

    planned: dict[str, dt.date]
    ladder: Ladder
    path: list[PathMonth]
    monthly: float  # steady: the net effect with them minus without any action
    horizon: float  # over the path's months: the margin they save, plus their upside


def gain(values: Mapping[str, Any], pack: Pack, as_of: dt.date, planned: dict[str, dt.date]) -> Gain:
    lad = ladder(values, pack, planned)
    none = ladder(values, pack, {})
    months, _ = path(values, pack, planned, as_of, lad)
    monthly = 0.0 if lad.net is None or none.net is None else lad.net - none.net
    horizon = sum(m.without_plan_cny - m.with_plan_cny for m in months)
    return Gain(planned, lad, months, float(round(monthly)), float(round(horizon)))


# --- ranges at the corners of the fields left out -----------------------------------------


@record
class Unit:
    """A field (or table) left out that the pack gives a span: its leaves at the low and the
    high end, and which way each output moves as it rises."""

    key: str
    low: dict[str, Any]
    high: dict[str, Any]
    moves: dict[str, str]


def units(pack: Pack, values: Mapping[str, Any], missing: frozenset[str]) -> list[Unit]:
    """The spans of the fields ``missing`` holds, cut so that shares kept at or below 1 together
    stay there, and always holding the value assumed."""
    money = pack.money
    assert money is not None
    out = []
    for key, r in money.ranges.items():
        if not r.moves or not missing.issuperset(r.fields):
            continue
        low, high = (_bound(b, values) for b in (r.low, r.high))
        leaf = key if r.vary is None else f"{key}.{r.vary}"
        if FIELDS[leaf].kind == "number":
            point = values[leaf]
            limit = _limit(leaf, values, missing)
            low, high = min(low, limit, point), max(min(high, limit), point)
        out.append(Unit(key, _leaves(r, leaf, low, values), _leaves(r, leaf, high, values), r.moves))
    return out


def _bound(bound: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(bound, Formula):
        return max(0.0, bound.evaluate(values) or 0.0)
    return list(bound) if isinstance(bound, list) else bound


def _limit(leaf: str, values: Mapping[str, Any], missing: frozenset[str]) -> float:
    """The most a share may be given another that is stated (T + J <= 1, as ``flatten``)."""
    for one, other in SHARE_LIMITS:
        for a, b in ((one, other), (other, one)):
            if a == leaf and b not in missing:
                return 1.0 - values[b]
    return float("inf")


def _leaves(r: CompiledRange, leaf: str, value: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    if r.vary is None:
        return {leaf: value}
    others = [f for f in r.fields if f != leaf]
    rest = sum(values[f] for f in others)
    out = {leaf: value}
    for f in others:  # the other shares of the table rescale to keep it summing to 1
        out[f] = values[f] / rest * (1.0 - value) if rest else (1.0 - value) / len(others)
    return out


def corner(
    found: Sequence[Unit], output: str, up: bool, left_out: str | None = None
) -> tuple[tuple[tuple[str, bool], ...], dict[str, Any]]:
    """The fields set so that ``output`` is at its high (``up``) or low end (the unit keyed
    ``left_out`` at its assumed value), and the choices that set them: which end of which
    unit, in order (the same choices, the same fields)."""
    choices, out = [], {}
    for u in found:
        direction = u.moves.get(output)
        if direction is not None and u.key != left_out:
            high = (direction == "+") == up
            choices.append((u.key, high))
            out.update(u.high if high else u.low)
    for one, other in SHARE_LIMITS:  # two spans may still exceed 1 together: the second gives way
        if one in out and other in out and out[one] + out[other] > 1.0:
            out[other] = 1.0 - out[one]
    return tuple(choices), out


Pair = tuple[float | None, float | None]  # a low and a high (None: unknown)


@record
class Ranges:
    score: tuple[float, float]
    gross: tuple[Ladder, Ladder]  # the ladders at the gross outputs' low and high corners
    expected: Pair
    residual: Pair
    items: dict[str, tuple[float, float]]
    upside: tuple[float, float]
    net: Pair


class Corners:
    """The scores and ladders at the corners of ``found`` (all the units, or all but one left
    out), each computed once: many outputs share a corner.

    A corner is asked for by its output, end and the unit left out (an output the unit does
    not move has the corner of all the units); it is known by its choices (which end of which
    unit, in order: the same choices make the same fields), so the ~25 look-ups of a profile's
    ranges build ~17 corners' fields, each computed once. A corner's ladder is built when a
    money output first asks for it: the score's corners need none.
    """

    def __init__(
        self,
        pack: Pack,
        planned: Mapping[str, dt.date],
        point: tuple[dict[str, Any], float],
        at: Corner,
        found: Sequence[Unit],
    ):
        self.pack, self.planned, self.at, self.found = pack, planned, at, found
        self.point = (ladder(point[0], pack, planned), point[1])
        self.point_values = point[0]
        # choices -> [values, score, ladder (None until asked), the fields set]
        self.chosen: dict[tuple[tuple[str, bool], ...], list[Any]] = {
            (): [point[0], point[1], self.point[0], {}]
        }
        self.asked: dict[tuple[str, bool, str | None], list[Any]] = {}  # (output, up, left out)
        parts, levers = _behind(pack)
        self.parts_behind = parts  # a corner setting none of these has the point's parts
        self.levers_behind = frozenset().union(*(levers.get(a, ()) for a in planned))
        # Items the plan does not earn are 0 at every corner: their corners need no ladder.
        self.unearned = frozenset(i for i, action, f in _terms(pack)[1] if f is None or action not in planned)

    def _corner(self, output: str, up: bool, without: Unit | None) -> list[Any]:
        left_out = without.key if without is not None and output in without.moves else None
        got = self.asked.get((output, up, left_out))
        if got is None:
            choices, fields = corner(self.found, output, up, left_out)
            got = self.chosen.get(choices)
            if got is None:
                got = self.chosen[choices] = (
                    self.chosen[()] if self._at_point(fields) else [*self.at(fields), None, fields]
                )
            self.asked[output, up, left_out] = got
        return got

    def _at_point(self, fields: dict[str, Any]) -> bool:
        """Whether every field is set to the point's own value (a span ending at the value
        assumed): that corner is the point, its values, score and ladder. Compared as written,
        not by ``==`` alone: 1 == 1.0 and -0.0 == 0.0, yet a formula may tell them apart."""
        point = self.point_values
        for k, v in fields.items():
            if point[k] != v:
                return False
        return repr(sorted(fields.items())) == repr(sorted((k, point[k]) for k in fields))

    def score_at(self, up: bool, without: Unit | None = None) -> float:
        """The score at its high (``up``) or low corner (``without`` one unit: fixed at its
        assumed value)."""
        return self._corner("score", up, without)[1]

    def ladder_at(self, output: str, up: bool, without: Unit | None = None) -> Ladder:
        """The ladder at ``output``'s high (``up``) or low corner (``without`` one unit)."""
        got = self._corner(output, up, without)
        if got[2] is None:
            point, fields = self.point[0], got[3]
            got[2] = ladder(
                got[0],
                self.pack,
                self.planned,
                point.parts if self.parts_behind.isdisjoint(fields) else None,
                point.recoveries if self.levers_behind.isdisjoint(fields) else None,
            )
        return got[2]


def ranges(corners: Corners) -> Ranges:
    """Every output at its low and high corners (exactly: each is monotone in each field)."""
    at = corners.ladder_at
    score = (corners.score_at(False), corners.score_at(True))
    gross = (at("gross", False), at("gross", True))
    expected = (at("expected", False).expected, at("expected", True).expected)
    residual, items, upside, net = _net_range(corners, None)
    return Ranges(score, gross, expected, residual, items, upside, net)


def _net_range(
    corners: Corners, without: Unit | None
) -> tuple[Pair, dict[str, tuple[float, float]], tuple[float, float], Pair]:
    """The residual loss's, each upside item's, the upside's and the net effect's ranges."""

    def at(output: str, up: bool) -> Ladder:
        return corners.ladder_at(output, up, without)

    residual = (at("residual", False).residual, at("residual", True).residual)
    items = {
        i: (0.0, 0.0) if i in corners.unearned else (at(i, False).items[i], at(i, True).items[i])
        for i in corners.point[0].items
    }
    upside = (sum(lo for lo, _ in items.values()), sum(hi for _, hi in items.values()))
    net: Pair = (None, None)
    if residual[0] is not None and residual[1] is not None:
        net = (upside[0] - residual[1], upside[1] - residual[0])  # an interval: sound, maybe wide
    return residual, items, upside, net


def missing_ranked(corners: Corners, whole: Ranges) -> list[Missing]:
    """Each field left out, by how much fixing it at its assumed value narrows the score range
    (then the net effect's): what to fill in first. Fields narrowing nothing are left out."""
    out = []

    def width(pair: Pair) -> float:
        lo, hi = pair
        return 0.0 if lo is None or hi is None else hi - lo

    net_outputs = {"residual", *(i for i in corners.point[0].items if i not in corners.unearned)}
    for u in corners.found:
        # An output that ``u`` does not move has the same corners without it: the same range.
        score = (corners.score_at(False, u), corners.score_at(True, u)) if "score" in u.moves else whole.score
        net = _net_range(corners, u)[3] if not net_outputs.isdisjoint(u.moves) else whole.net
        by = round(width(whole.score) - width(score), 1)
        by_net = float(round(width(whole.net) - width(net)))
        if by <= 0 and by_net <= 0:
            continue
        leaf = next(iter(u.low))  # the field that varies (a table's others rescale)
        out.append(
            Missing(
                field=u.key,
                varies=leaf,
                narrows_by=max(0.0, by),
                narrows_net_by_cny=max(0.0, by_net),
                assumed=_shown(corners.point_values[leaf]),
                span=[_shown(u.low[leaf]), _shown(u.high[leaf])],
            )
        )
    out.sort(key=lambda x: (-x.narrows_by, -x.narrows_net_by_cny, x.field))
    return out


def _shown(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


# --- the ladder as figures -------------------------------------------------------------------


@record
class Money:
    """What the engine puts in the assessment."""

    figures: list[Figure]  # the rungs the pack's metrics do not already give
    ladder: Ladder
    items: list[UpsideItem]
    path: list[PathMonth]
    rates: list[RateUsed]
    score_range: ScoreRange | None
    missing: list[Missing]
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)  # figure id -> (low, high)
    verdicts: tuple[str | None, str | None, str | None] = (None, None, None)  # point, low, high
    net_share: float | None = None  # of the agency's estimated revenue


def money_of(
    values: dict[str, Any],
    unknown: set[str],
    missing: frozenset[str],
    pack: Pack,
    planned: Mapping[str, dt.date],
    as_of: dt.date,
    score: float,
    band_of: Callable[[float], str],
    at: Corner,
) -> Money:
    """The ladder, its figures and ranges, the path and what to fill in first."""
    money = pack.money
    assert money is not None
    corners = Corners(pack, planned, (values, score), at, units(pack, values, missing))
    lad = corners.point[0]
    months, windows = path(values, pack, planned, as_of, lad)
    whole = ranges(corners)
    bounds = _bounds(lad, whole)
    band = money.money.neutral_band
    verdicts = (
        verdict(lad.net, lad.margin, band),
        verdict(whole.net[0], lad.margin, band),
        verdict(whole.net[1], lad.margin, band),
    )
    items = []
    for u in money.upside:
        x = u.item
        w = windows.get(x.id)
        items.append(
            UpsideItem(
                id=x.id,
                title=x.title,
                action=x.action,
                in_plan=(x.action in planned)
                if x.action
                else any(
                    r.action in planned
                    for c in money.transitional
                    for r, _ in c.reduced_by
                    if r.upside == x.id
                ),
                monthly_cny=float(round(w.fullest if w else lad.items.get(x.id, 0.0))),
                low=None if w else bounds.get(_item_id(x.id), (None, None))[0],
                high=None if w else bounds.get(_item_id(x.id), (None, None))[1],
                until=_window_end(pack, x.id) if w else None,
                one_off_cny=float(round(w.total)) if w else None,
                basis=x.basis,
            )
        )
    return Money(
        figures=_figures(values, unknown, pack, lad, planned),
        ladder=lad,
        items=items,
        path=months,
        rates=list(_rates(pack)),
        score_range=ScoreRange(
            low=whole.score[0],
            high=whole.score[1],
            band_low=band_of(whole.score[0]),
            band_high=band_of(whole.score[1]),  # type: ignore[arg-type]
        ),
        missing=missing_ranked(corners, whole) if corners.found else [],
        bounds=bounds,
        verdicts=verdicts,
        net_share=_share_of_revenue(lad.net, money.revenue, values),
    )


@functools.lru_cache(maxsize=16)
def _rates(pack: Pack) -> tuple[RateUsed, ...]:
    """The pack's rates as an assessment lists them, built once per pack: each assessment gets
    its own list of the same records (read-only, as ``engine._sources``'s references)."""
    return tuple(
        RateUsed(id=rid, title=r.title, value=r.value, sources=list(r.sources), assumption=r.assumption)
        for rid, r in pack.model.rates.items()
    )


def _share_of_revenue(net: float | None, revenue: Formula | None, values: Mapping[str, Any]) -> float | None:
    """The net effect as a share of the agency's estimated revenue a month, for scale."""
    total = revenue.evaluate(values) if revenue is not None else None
    if net is None or not total or total <= 0:
        return None
    return round(net / total, 4)


def _window_end(pack: Pack, item: str) -> dt.date | None:
    money = pack.money
    assert money is not None
    ends = [
        pack.events[c.item.until].date
        for c in money.transitional
        for r, _ in c.reduced_by
        if r.upside == item
    ]
    return max(ends) if ends else None


def _item_id(item: str) -> str:
    return f"{item}_cny_monthly"


def _bounds(lad: Ladder, r: Ranges) -> dict[str, tuple[float, float]]:
    """Each rung's low and high, rounded as reports show them (an unknown rung has none)."""

    def pair(lo: float | None, hi: float | None) -> tuple[float, float] | None:
        return None if lo is None or hi is None else (float(round(lo)), float(round(hi)))

    low, high = r.gross
    out = {
        GMV: pair(low.gmv, high.gmv),
        REVENUE: pair(low.revenue, high.revenue),
        MARGIN: pair(low.margin, high.margin),
        EXPECTED: pair(*r.expected),
        RESIDUAL: pair(*r.residual),
        UPSIDE: pair(*r.upside),
        NET: pair(*r.net),
        **{_item_id(i): pair(*v) for i, v in r.items.items()},
    }
    return {k: v for k, v in out.items() if v is not None}


def _figures(
    values: Mapping[str, Any], unknown: set[str], pack: Pack, lad: Ladder, planned: Mapping[str, dt.date]
) -> list[Figure]:
    """The rungs below the gross, each with its formula and the values it used (assumed: marked)."""
    money = pack.money
    assert money is not None
    margin_names, reads, lever_names = _reads(pack)
    extra: dict[str, tuple[Any, bool]] = {
        "money.margin": (lad.per_gmv, not margin_names.isdisjoint(unknown)),
    }
    for r in lad.recoveries:
        extra[f"recovers.{r.lever}"] = (r.share, not lever_names[r.lever].isdisjoint(unknown))
    margin, expected, residual = _formulas(pack, tuple((r.lever, r.part) for r in lad.recoveries))
    assumed = not reads.isdisjoint(unknown)  # the ladder's own values rest on something assumed
    computed = {
        **{k: (_cny(v), assumed) for k, v in lad.computed.items() if k != "money.margin"},
        **extra,
    }
    item_names = {}
    figures = [
        _figure(MARGIN, LABELS[MARGIN], lad.margin, margin, values, unknown, computed, pack),
        _figure(EXPECTED, LABELS[EXPECTED], lad.expected, expected, values, unknown, computed, pack),
        _figure(RESIDUAL, LABELS[RESIDUAL], lad.residual, residual, values, unknown, computed, pack),
    ]
    for u in money.upside:
        if u.item.window or u.formula is None or u.item.action not in planned:
            continue  # an item the plan does not take on is listed (upside_items), not a rung
        ident = _item_id(u.item.id)
        value = lad.items[u.item.id] if lad.gmv is not None else None
        fig = _figure(ident, u.item.title, value, u.formula.text, values, unknown, computed, pack)
        figures.append(fig)
        item_names[f"upside.{u.item.id}"] = (_cny(value), any(i.assumed for i in fig.inputs))
    computed.update(item_names)
    figures.append(
        _figure(
            UPSIDE, LABELS[UPSIDE], lad.upside, " + ".join(item_names) or "0", values, unknown, computed, pack
        )
    )
    computed["impact." + UPSIDE] = (_cny(lad.upside), any(a for _, a in item_names.values()))
    residual_assumed = any(i.assumed for i in figures[2].inputs)
    computed["impact." + RESIDUAL] = (_cny(lad.residual), residual_assumed)
    figures.append(
        _figure(
            NET, LABELS[NET], lad.net, f"impact.{UPSIDE} - impact.{RESIDUAL}", values, unknown, computed, pack
        )
    )
    return figures


@functools.lru_cache(maxsize=16)
def _reads(pack: Pack) -> tuple[frozenset[str], frozenset[str], dict[str, frozenset[str]]]:
    """What the rungs' values read, once per pack: the margin's names; the GMV at risk and the
    parts' names (what the ladder's own values rest on); each lever's share names."""
    money = pack.money
    assert money is not None
    names = {"metric." + GMV}
    for p in money.parts:
        names.update(p.moves.names)
        if p.share is not None:
            names.update(p.share.names)
    levers = {x.lever.id: frozenset(x.recovers.names if x.recovers else ()) for x in reversed(pack.levers)}
    return frozenset(money.margin.names), frozenset(names), levers


@functools.lru_cache(maxsize=256)
def _formulas(pack: Pack, recoveries: tuple[tuple[str, str], ...]) -> tuple[str, str, str]:
    """The margin's, the expected loss's and the residual loss's formulas as reports show them,
    for the plan's levers (id, part): a few sets of levers, profile after profile."""
    money = pack.money
    assert money is not None
    gross = "metric." + GMV
    lost_terms, after_terms = [], []
    for compiled in money.parts:
        share = _rest(money.parts) if compiled.share is None else _wrap(compiled.share.text)
        term = (
            share if compiled.part.moves.strip() == "0" else f"{share} * (1 - {_wrap(compiled.part.moves)})"
        )
        lost_terms.append(term)
        own = [lever for lever, part in recoveries if part == compiled.part.id]
        after_terms.append(term + "".join(f" * (1 - recovers.{lever})" for lever in own))
    common = "".join(f" * (1 - recovers.{lever})" for lever, part in recoveries if part == "all")
    whole = lost_terms == ["1"] and after_terms == ["1"]  # one part, all of it lost: no factor to show
    lost_share = "" if whole else f" * ({' + '.join(lost_terms)})"
    after_share = "" if whole else f" * ({' + '.join(after_terms)})"
    return (
        f"{gross} * ({money.money.margin})",
        f"{gross}{lost_share} * money.margin",
        f"{gross}{after_share}{common} * money.margin",
    )


def _rest(parts: Sequence[Any]) -> str:
    shares = [_wrap(p.share.text) for p in parts if p.share is not None]
    return f"(1 - {' - '.join(shares)})" if shares else "1"


def _wrap(text: str) -> str:
    text = text.strip()
    return text if all(c not in text for c in "+-*/ ") else f"({text})"


def _figure(
    ident: str,
    label: Text,
    value: float | None,
    formula: str,
    values: Mapping[str, Any],
    unknown: set[str],
    computed: Mapping[str, tuple[Any, bool]],
    pack: Pack,
) -> Figure:
    names = _names(formula)
    inputs = []
    for name in names:
        if name in computed:
            shown, assumed = computed[name]
        elif name in values:
            shown, assumed = values[name], name in unknown
        else:
            continue
        inputs.append(Input(field=name, value=_plain(shown), assumed=assumed))
    return Figure(
        id=ident,
        label=label,
        unit="cny",
        value=None if value is None else float(round(value)),
        formula=formula,
        inputs=inputs,
        policy=pack.id,
        rung=True,
    )


@functools.lru_cache(maxsize=1024)  # a pack's few formulas, report after report
def _names(formula: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_NAME.findall(formula)))


def _cny(value: float | None) -> float | None:
    """A computed amount as reports show it: whole yuan."""
    return None if value is None else float(round(value))


def _plain(value: Any) -> Any:
    return round(value, 6) if isinstance(value, float) else value
