"""Which single move helps most: every lever of the pack tried alone on a profile, ranked.

Each lever is ranked on money: the net effect it wins over the path's months (the margin it
saves against doing nothing, plus the upside its action opens), per week of the effort it
takes with what it waits for. Its score cut is shown beside it; levers that move no money
(a contract review removes a legal risk, not a loss) are ranked after, by score cut. When the
score is saturated (factors at their caps), a single lever barely moves it: the ranking says
so, and shows how far each lever moves the capped factors' raw values.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from mcn_advisor.core.compare import RESULT_SCHEMA_VERSION
from mcn_advisor.core.contract import PolicyRef
from mcn_advisor.core.engine import Evaluation, evaluate, in_place
from mcn_advisor.core.money import alone, effort_of, gain
from mcn_advisor.core.whatif import FieldChange, Skip, apply_lever
from mcn_advisor.i18n.text import Text
from mcn_advisor.pack.compile import Pack
from mcn_advisor.profile.model import Profile
from mcn_advisor.records import record

out = record(kw_only=True)
HIDDEN_BELOW = 0.5  # a lever moving a capped factor but cutting fewer points is hidden by saturation


@out
class RawMove:
    """A factor at its cap whose raw value the lever moves (the score cannot show it)."""

    factor: str
    label: Text
    before: float
    after: float
    saturation: float  # the raw value that scores in full


@out
class LeverResult:
    rank: int
    id: str
    title: Text
    step: Text
    action: str
    strategy: str
    effort: str
    effort_days: int  # its action's, at the agency's size
    effort_days_total: int  # with the actions it waits for that are not in place
    needs: list[str]  # those actions
    changes: list[FieldChange]
    score_after: float
    band_after: str
    score_cut: float  # exposure points, before minus after (negative: the lever raises it)
    gmv_recovered_cny_monthly: float  # of the gross: what its changes take off the GMV at risk
    revenue_recovered_cny_monthly: float
    revenue_recovered_share: float  # of the revenue at risk before the lever
    net_gain_cny_monthly: float  # steady: the net effect with it alone, minus with no action
    net_gain_horizon_cny: float  # over the path's months
    value_per_week: float  # CNY: net_gain_horizon_cny / (effort_days_total / 7)
    group: Literal["money", "score_only"]  # score_only: it moves no money; ranked by score cut
    raw_moves: list[RawMove]  # capped factors it moves
    hidden: bool  # it moves a capped factor yet cuts the score by less than HIDDEN_BELOW points
    resolves: list[str]  # risk findings that no longer hold
    raises: list[str]  # risk findings that hold only after the lever
    assumed_fields: list[str]  # fields it reads or changes that the profile left out
    sources: list[str]


@out
class SkippedLever:
    id: str
    title: Text
    skip: Skip


@out
class Capped:
    """A factor of the score at its cap: more exposure there adds no points."""

    factor: str
    label: Text
    raw: float
    saturation: float


@out
class LeverRanking:
    """``levers``: every lever of the pack tried alone on a profile, best money per week first."""

    schema_version: int = RESULT_SCHEMA_VERSION
    kind: Literal["levers"] = "levers"
    estimate: bool = True  # every figure rests on the levers' steps: model estimates, not forecasts
    agency: str
    as_of: dt.date
    policy: PolicyRef
    score: float
    band: str
    gmv_at_risk_cny_monthly: float
    revenue_at_risk_cny_monthly: float
    expected_loss_cny_monthly: float | None  # doing nothing: what each lever's gain is measured from
    months: list[str]  # the path's months, over which net_gain_horizon_cny is summed
    levers: list[LeverResult]
    not_shown: int  # ranked levers left out by --top
    skipped: list[SkippedLever]
    band_unchanged: bool  # above low, and no single lever lowers the band: combine them (what-if --lever)
    capped: list[Capped]  # factors at their cap
    saturated: bool  # some lever is hidden by saturation: the ranking is on money


def _risk_rules(ev: Evaluation) -> set[str]:
    return {c.rule.id for c in ev.held() if c.rule.kind == "risk"}


def _undecided(ev: Evaluation) -> set[str]:
    return {c.rule.id for c, held, _ in ev.outcomes if held is None}


def rank_levers(profile: Profile, pack: Pack, as_of: dt.date, top: int | None = None) -> LeverRanking:
    """Try each lever of ``pack`` alone on ``profile`` and rank them on money per week of effort."""
    base = evaluate(profile, pack, as_of)
    gmv, revenue = base.at_risk()
    done = in_place(base, pack)
    capped = [
        Capped(factor=f.id, label=f.label, raw=round(raw, 4), saturation=f.saturation)
        for f, raw, value in base.factors
        if value >= 1.0
    ]
    raw_before = {f.id: raw for f, raw, _ in base.factors}
    nothing = gain(base.values, pack, as_of, {})  # the yardstick: no action at all
    results: list[LeverResult] = []
    skipped: list[SkippedLever] = []
    for lever in pack.levers:
        lv = lever.lever
        applied = apply_lever(lever, profile, base, pack)
        if applied.skip is not None or applied.profile is None:
            skipped.append(SkippedLever(id=lv.id, title=lv.title, skip=applied.skip))  # type: ignore[arg-type]
            continue
        ev = evaluate(applied.profile, pack, as_of)
        cut = round(base.score - ev.score, 1)
        gmv_after, revenue_after = ev.at_risk()
        recovered = round(revenue - revenue_after)
        planned = alone(pack, base.values, base.unknown, as_of, [lv.action], done)
        won = gain(base.values, pack, as_of, planned)
        days = effort_of(pack, base.values, planned) or 1
        moves = [
            RawMove(
                factor=c.factor,
                label=c.label,
                before=c.raw,
                after=round(raw, 4),
                saturation=c.saturation,
            )
            for f, raw, _ in ev.factors
            for c in capped
            if c.factor == f.id and round(raw, 4) != round(raw_before[f.id], 4)
        ]
        money = bool(won.horizon or won.monthly)
        if not applied.changes and not money:  # e.g. own goods with no capital to hold stock
            skipped.append(
                SkippedLever(id=lv.id, title=lv.title, skip=Skip(reason="no_money", checks=[], fields=[]))
            )
            continue
        results.append(
            LeverResult(
                rank=0,
                id=lv.id,
                title=lv.title,
                step=lv.step,
                action=lv.action,
                strategy=pack.actions[lv.action].strategy,
                effort=pack.actions[lv.action].effort,  # the size its days come from
                effort_days=effort_of(pack, base.values, {lv.action: as_of}),
                effort_days_total=days,
                needs=[a for a in planned if a != lv.action],
                changes=applied.changes,
                score_after=ev.score,
                band_after=ev.band,
                score_cut=cut,
                gmv_recovered_cny_monthly=float(round(gmv - gmv_after)),
                revenue_recovered_cny_monthly=float(recovered),
                revenue_recovered_share=round(recovered / revenue, 4) if revenue else 0.0,
                net_gain_cny_monthly=won.monthly,
                net_gain_horizon_cny=won.horizon,
                value_per_week=float(round(won.horizon * 7 / days)) if money else 0.0,
                group="money" if money else "score_only",
                raw_moves=moves,
                hidden=bool(moves) and cut < HIDDEN_BELOW,
                resolves=sorted(_risk_rules(base) - _risk_rules(ev)),
                # A rule left undecided before (a field left out) is decided, not raised, by the lever.
                raises=sorted(_risk_rules(ev) - _risk_rules(base) - _undecided(base)),
                assumed_fields=sorted(lever.reads & base.missing),
                sources=list(lv.sources),
            )
        )
    results.sort(
        key=lambda r: (
            r.group != "money",
            -r.value_per_week,
            -r.score_cut,
            -r.net_gain_cny_monthly,
            r.effort_days_total,
            r.id,
        )
    )
    for n, r in enumerate(results, 1):
        r.rank = n
    shown = results if top is None else results[:top]
    expected = nothing.ladder.expected
    return LeverRanking(
        agency=profile.agency.name,
        as_of=as_of,
        policy=PolicyRef(id=pack.id, version=pack.model.pack.version, title=pack.model.pack.title),
        score=base.score,
        band=base.band,
        gmv_at_risk_cny_monthly=gmv,
        revenue_at_risk_cny_monthly=revenue,
        expected_loss_cny_monthly=None if expected is None else float(round(expected)),
        months=[m.month for m in nothing.path],
        levers=shown,
        not_shown=len(results) - len(shown),
        skipped=skipped,
        band_unchanged=base.band != "low"
        and bool(results)
        and all(r.band_after == base.band for r in results),
        capped=capped,
        saturated=any(r.hidden for r in results),
    )
