"""Assessing one profile against several policy packs at once, as one assessment.

Each pack is assessed on its own (``engine.assess``); the results are then put
together by these rules, so that one report answers "how exposed are we to all of
these closures?":

- **Exposure**: each pack keeps its own score and band (``policies[]``). The headline
  ``exposure.score``/``band`` and ``policy`` are those of the pack with the highest
  score (the first pack given on a tie): the worst closure sets the alarm level.
  Scores are not added: each is already a 0..100 reading of a different policy.
  ``exposure.factors[]`` lists every pack's factors, each tagged with its ``policy``.
- **Money**: ``impact.gmv_at_risk_cny_monthly`` and ``revenue_at_risk_cny_monthly``
  are the headline pack's own (``impact.policy``), never a sum (packs may describe
  overlapping slices of GMV) nor a per-field maximum (which could mix packs): one pack
  explains the headline end to end. Each pack's own figures are in ``impact.figures[]``
  and ``policies[]``.
- **Findings, undecided rules, risks, opportunities, plan phases and actions, dropped
  actions, timeline events** carry the ``policy`` they come from; findings are
  ordered by severity then rule id, risks by rating, plan phases by deadline (open-
  ended phases last, in the order the packs were given). An event both packs list
  (same id and date) is shown once.
- **Assumptions and confidence** cover every field any of the packs reads.
- **The executive summary**: the money share and the first things to do are the headline
  pack's (its own plan, never another pack's actions for a window long closed); the risk
  counts and the next step cover every pack. The platform mix is the profile's; the
  sources are every pack's cited sources, by id.

With one pack the result is exactly ``engine.assess``'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from mcn_advisor.core.contract import Assessment, Exposure, Plan
from mcn_advisor.core.engine import (
    Evaluation,
    assess,
    assumptions_for,
    confidence_for,
    evaluate,
    explain,
    finding_order,
    stale_date,
)
from mcn_advisor.pack.compile import Pack
from mcn_advisor.profile.model import Profile

_LAST = dt.date.max


def assess_all(profile: Profile, packs: Sequence[Pack], as_of: dt.date) -> Assessment:
    """Assess ``profile`` against every pack (checked by ``packset.load_packs``) as one report."""
    if len(packs) == 1:
        return assess(profile, packs[0], as_of)
    return explain_all([evaluate(profile, pack, as_of) for pack in packs], packs)


def explain_all(evaluations: Sequence[Evaluation], packs: Sequence[Pack]) -> Assessment:
    """The one assessment of a profile's evaluations against ``packs`` (same order)."""
    if len(packs) == 1:
        return explain(evaluations[0], packs[0])
    parts = [explain(ev, pack) for ev, pack in zip(evaluations, packs, strict=True)]
    fields_read = frozenset().union(*(p.fields_read for p in packs))
    return merge(parts, fields_read, evaluations[0].missing, evaluations[0].values)


def headline(scores: Sequence[float]) -> int:
    """The index of the headline pack: the highest score, the first given on a tie."""
    return max(range(len(scores)), key=lambda i: (scores[i], -i))


def merge(
    parts: Sequence[Assessment], fields_read: frozenset[str], missing: frozenset[str], values: dict[str, Any]
) -> Assessment:
    """One assessment from the single-pack assessments of the same profile and date."""
    head = headline([a.exposure.score for a in parts])
    top = parts[head]
    findings = sorted((f for a in parts for f in a.findings), key=finding_order)
    undetermined = [u for a in parts for u in a.undetermined]
    partner_notes = [x for a in parts for x in a.assumptions if x.policy is not None]
    assumptions = assumptions_for(fields_read, missing, values) + partner_notes
    order = {a.policy.id: i for i, a in enumerate(parts)}
    phases = sorted(
        (p for a in parts for p in a.plan.phases),
        key=lambda p: (p.deadline is None, p.deadline or _LAST, order[p.policy]),
    )
    timeline, seen = [], set()
    for event in sorted((e for a in parts for e in a.timeline), key=lambda e: (e.date, order[e.policy])):
        if (event.id, event.date) not in seen:
            seen.add((event.id, event.date))
            timeline.append(event)
    risks = sorted((r for a in parts for r in a.risks), key=lambda r: (-r.rating, r.rule_id))
    opportunities = [o for a in parts for o in a.opportunities]
    plan = Plan(
        mode="remediation" if all(a.plan.mode == "remediation" for a in parts) else "migration",
        phases=phases,
        dropped=[d for a in parts for d in a.plan.dropped],
        in_place=[x for a in parts for x in a.plan.in_place],
        optional=[x for a in parts for x in a.plan.optional],
        set_aside=[x for a in parts for x in a.plan.set_aside],
        tier=top.plan.tier,
        favoured=top.plan.favoured,
    )
    counts = {
        s: sum(1 for f in findings if f.kind == "risk" and f.severity == s) for s in top.summary.risk_findings
    }
    sources = {s.id: s for a in parts for s in a.sources}
    return Assessment(
        agency=top.agency,
        as_of=top.as_of,
        policy=top.policy,
        exposure=Exposure(
            score=top.exposure.score,
            band=top.exposure.band,
            bands=top.exposure.bands,
            factors=[f for a in parts for f in a.exposure.factors],
        ),
        impact=replace(top.impact, figures=[f for a in parts for f in a.impact.figures]),
        findings=findings,
        undetermined=undetermined,
        risks=risks,
        risk_matrix=top.risk_matrix,
        plan=plan,
        opportunities=opportunities,
        assumptions=assumptions,
        confidence=confidence_for(fields_read, missing, undetermined, len(assumptions)),
        timeline=timeline,
        # The headline pack's money and first things to do; the counts and next step of all.
        summary=replace(
            top.summary,
            risk_findings=counts,
            next_step=next((e for e in timeline if e.step and e.days_from_as_of >= 0), None),
            stale=stale_date(timeline),
        ),
        platform_mix=top.platform_mix,
        sources=[sources[k] for k in sorted(sources)],
        policies=[replace(a.policies[0], headline=i == head) for i, a in enumerate(parts)],
        hindsight=sorted((f for a in parts for f in a.hindsight), key=finding_order),
    )
