"""Which single move helps most: every lever of the pack tried alone on a profile, ranked.

Value = exposure points cut + ``revenue_points`` x the share of the revenue at risk the
lever recovers; levers rank by value per week of effort. Cheap: evaluations only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from mcn_advisor.core.compare import RESULT_SCHEMA_VERSION
from mcn_advisor.core.contract import PolicyRef
from mcn_advisor.core.engine import Evaluation, evaluate
from mcn_advisor.core.whatif import FieldChange, Skip, apply_lever
from mcn_advisor.i18n.text import Text
from mcn_advisor.pack.compile import Pack
from mcn_advisor.profile.model import Profile

out = dataclass(slots=True, kw_only=True)


@out
class LeverResult:
    rank: int
    id: str
    title: Text
    step: Text
    action: str
    strategy: str
    effort: str
    effort_days: int
    changes: list[FieldChange]
    score_after: float
    band_after: str
    score_cut: float  # exposure points, before minus after (negative: the lever raises it)
    gmv_recovered_cny_monthly: float
    revenue_recovered_cny_monthly: float
    revenue_recovered_share: float  # of the revenue at risk before the lever
    value: float  # score_cut + revenue_points x revenue_recovered_share
    value_per_week: float  # value / (effort_days / 7)
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
class LeverRanking:
    """``levers``: every lever of the pack tried alone on a profile, best value per week first."""

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
    revenue_points: float
    levers: list[LeverResult]
    not_shown: int  # ranked levers left out by --top
    skipped: list[SkippedLever]
    band_unchanged: bool  # above low, and no single lever lowers the band: combine them (what-if --lever)


def _risk_rules(ev: Evaluation) -> set[str]:
    return {c.rule.id for c in ev.held() if c.rule.kind == "risk"}


def _undecided(ev: Evaluation) -> set[str]:
    return {c.rule.id for c, held, _ in ev.outcomes if held is None}


def rank_levers(profile: Profile, pack: Pack, as_of: dt.date, top: int | None = None) -> LeverRanking:
    """Try each lever of ``pack`` alone on ``profile`` and rank them (cheap: evaluations only)."""
    base = evaluate(profile, pack, as_of)
    gmv, revenue = base.at_risk()
    points = pack.model.lever_ranking.revenue_points
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
        share = round(recovered / revenue, 4) if revenue else 0.0
        value = round(cut + points * share, 2)
        days = pack.model.effort[lv.effort]
        results.append(
            LeverResult(
                rank=0,
                id=lv.id,
                title=lv.title,
                step=lv.step,
                action=lv.action,
                strategy=pack.actions[lv.action].strategy,
                effort=lv.effort,
                effort_days=days,
                changes=applied.changes,
                score_after=ev.score,
                band_after=ev.band,
                score_cut=cut,
                gmv_recovered_cny_monthly=float(round(gmv - gmv_after)),
                revenue_recovered_cny_monthly=float(recovered),
                revenue_recovered_share=share,
                value=value,
                value_per_week=round(value * 7 / days, 2),
                resolves=sorted(_risk_rules(base) - _risk_rules(ev)),
                # A rule left undecided before (a field left out) is decided, not raised, by the lever.
                raises=sorted(_risk_rules(ev) - _risk_rules(base) - _undecided(base)),
                assumed_fields=sorted(lever.reads & base.missing),
                sources=list(lv.sources),
            )
        )
    results.sort(
        key=lambda r: (-r.value_per_week, -r.score_cut, -r.revenue_recovered_cny_monthly, r.effort_days, r.id)
    )
    for n, r in enumerate(results, 1):
        r.rank = n
    shown = results if top is None else results[:top]
    return LeverRanking(
        agency=profile.agency.name,
        as_of=as_of,
        policy=PolicyRef(id=pack.id, version=pack.model.pack.version, title=pack.model.pack.title),
        score=base.score,
        band=base.band,
        gmv_at_risk_cny_monthly=gmv,
        revenue_at_risk_cny_monthly=revenue,
        revenue_points=points,
        levers=shown,
        not_shown=len(results) - len(shown),
        skipped=skipped,
        band_unchanged=base.band != "low"
        and bool(results)
        and all(r.band_after == base.band for r in results),
    )
