"""The rules engine: ``assess(profile, pack, as_of) -> Assessment``, a pure function.

No I/O, no clock, no printing. Every number a report shows is computed here, in two
steps: ``evaluate`` computes the pack's metrics, the weighted exposure score and each
rule's outcome with its condition trace; ``explain`` turns that into the assessment:
figures with their inputs, findings with evidence, the risk register, assumptions and
confidence, and (through ``planner``) the dated plan.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from dataclasses import dataclass, field
from typing import Any

from mcn_advisor.core.contract import (
    Acceptance,
    Assessment,
    Assumption,
    Check,
    Confidence,
    EventRef,
    Exposure,
    FactorResult,
    Figure,
    Finding,
    Impact,
    Input,
    Plan,
    PlatformShare,
    PolicyRef,
    PolicyResult,
    Priority,
    Risk,
    SourceRef,
    StatedMatrix,
    Summary,
    TimelineEvent,
    Undetermined,
)
from mcn_advisor.core.planner import build_plan
from mcn_advisor.errors import PackError
from mcn_advisor.i18n.text import Text
from mcn_advisor.pack.compile import CompiledRule, Pack
from mcn_advisor.pack.conditions import Trace
from mcn_advisor.pack.schema import Factor, RiskMatrix, Scoring
from mcn_advisor.profile import acceptance
from mcn_advisor.profile.model import FIELDS, AcceptedRisk, Profile, flatten
from mcn_advisor.vocab import SEVERITIES, SEVERITY_RANK

CONFIDENCE_LEVELS = (("high", 0.85), ("medium", 0.6), ("low", 0.0))
UNDETERMINED_PENALTY = 0.05  # confidence lost per rule of severity high or above left undecided
PRIORITIES = 3  # actions the executive summary names as the first to do
NO_GUESS = Text(
    en="not given, and no fair guess exists: figures that need it are left out",
    zh="未提供且无法合理估计：依赖它的数字不予计算",
)


@dataclass(slots=True)
class Evaluation:
    """The numbers and rule outcomes of one profile: what every output is built from.

    Cheap enough to run over a whole industry; ``explain`` turns it into the full
    ``Assessment`` a report shows, and a batch summary reads it directly.
    """

    agency: str
    as_of: dt.date
    values: dict[str, Any]  # profile fields (assumed where left out) and metric.<id>
    missing: frozenset[str]  # profile fields left out
    unknown: set[str]  # names a condition cannot decide: left out, or metrics resting on them
    factors: list[tuple[Factor, float, float]]  # (factor, raw, value 0..1)
    score: float
    band: str
    outcomes: list[tuple[CompiledRule, bool | None, Trace]]  # rules in force at as_of
    accepted: dict[str, AcceptedRisk] = field(default_factory=dict)  # the profile's, by rule id

    def held(self) -> list[CompiledRule]:
        """Rules that hold (findings and opportunities), most severe first, then by id."""
        return sorted(
            (c for c, held, _ in self.outcomes if held),
            key=lambda c: (-SEVERITY_RANK[c.rule.severity], c.rule.id),
        )

    def at_risk(self) -> tuple[float, float]:
        """Monthly GMV and agency revenue at risk, rounded as every report shows them."""
        return _money(self.values["metric.gmv_at_risk_cny_monthly"]), _money(
            self.values["metric.revenue_at_risk_cny_monthly"]
        )


def evaluate(profile: Profile, pack: Pack, as_of: dt.date) -> Evaluation:
    """Compute the metrics, the exposure score and every rule's outcome, with traces.

    The profile's accepted risks are taken as they are (an acceptance of a rule the pack
    does not have accepts nothing): the loader checks them, with file and line, against
    the rules it is given (``profile.load.load_profile(path, rule_book(packs))``).
    """
    values, missing = flatten(profile)
    unknown: set[str] = set(missing)
    program = _program(pack)
    for name, run, inputs in program.metrics:
        value = values[name] = run(values)
        if value is None or not inputs.isdisjoint(missing):
            unknown.add(name)
        elif not -_LARGEST <= value <= _LARGEST:  # inf or nan: the pack's formula broke down
            raise _not_finite(pack, "metrics", name[len("metric.") :], value)
    factors: list[tuple[Factor, float, float]] = []
    score = 0.0
    for factor, run, saturation, weight in program.factors:
        raw = run(values) or 0.0
        if not -_LARGEST <= raw <= _LARGEST:
            raise _not_finite(pack, "factors", factor.id, raw)
        value = raw / saturation
        value = (value if value < 1.0 else 1.0) if value > 0.0 else 0.0  # min(1, max(0, v)), inlined
        factors.append((factor, raw, value))
        score += value * weight
    score = round(score, 1)
    band = _band(score, pack.model.scoring)
    outcomes: list[tuple[CompiledRule, bool | None, Trace]] = []
    for compiled, run, until in program.rules:
        if until is not None and as_of >= until:
            continue  # the step it warns of has been overtaken by a later one
        trace: Trace = []
        outcomes.append((compiled, run(values, unknown, trace), trace))
    return Evaluation(
        agency=profile.agency.name,
        as_of=as_of,
        values=values,
        missing=missing,
        unknown=unknown,
        factors=factors,
        score=score,
        band=band,
        outcomes=outcomes,
        accepted=acceptance.by_rule(profile),
    )


_LARGEST = sys.float_info.max


def _not_finite(pack: Pack, section: str, item_id: str, value: float) -> PackError:
    """A formula that gives inf or nan for a profile: the pack's formula, named, is at fault."""
    at = next(i for i, x in enumerate(getattr(pack.model, section)) if x.id == item_id)
    return PackError(
        f"{pack.where((section, at, 'formula'))}: {section}.{at}.formula: {section[:-1]} '{item_id}' "
        f"computes to {value} for this profile, not a finite number (an overflow); check its formula"
    )


@dataclass(frozen=True, slots=True)
class _Program:
    """What ``evaluate`` runs for a pack, unpacked once so the hot loop reads no models."""

    metrics: tuple[tuple[str, Any, frozenset[str]], ...]  # metric.<id>, formula, fields behind it
    factors: tuple[tuple[Factor, Any, float, float], ...]  # factor, formula, saturation, weight
    rules: tuple[tuple[CompiledRule, Any, dt.date | None], ...]  # rule, condition, until date


@functools.lru_cache(maxsize=16)
def _program(pack: Pack) -> _Program:
    return _Program(
        metrics=tuple((f"metric.{m.id}", f.evaluate, pack.metric_inputs[m.id]) for m, f in pack.metrics),
        factors=tuple((x, f.evaluate, x.saturation, x.weight) for x, f in pack.factors),
        rules=tuple(
            (c, c.evaluate, pack.events[c.rule.until].date if c.rule.until else None) for c in pack.rules
        ),
    )


def _band(score: float, s: Scoring) -> str:
    return (
        "low"
        if score < s.low
        else "moderate"
        if score < s.moderate
        else "high"
        if score < s.high
        else "critical"
    )


def assess(profile: Profile, pack: Pack, as_of: dt.date) -> Assessment:
    """Assess one profile against one policy pack at a date."""
    return explain(evaluate(profile, pack, as_of), pack)


def explain(ev: Evaluation, pack: Pack) -> Assessment:
    """The full assessment of an evaluation: figures, findings, risks, plan, assumptions."""
    values, as_of = ev.values, ev.as_of
    findings, opportunities, undetermined = _findings(ev, pack)
    exposure = _exposure(ev, pack)
    risks = _risks(pack, findings, {f.id: f.value for f in exposure.factors})
    triggered: dict[str, list[str]] = {}
    for finding in (*findings, *opportunities):
        if finding.accepted:
            continue  # an accepted risk is carried, not treated: it calls for no action
        for action_id in finding.actions:
            triggered.setdefault(action_id, []).append(finding.rule_id)
    assumptions = assumptions_for(pack.fields_read, ev.missing, ev.values)
    plan = build_plan(pack, as_of, triggered, _in_place(ev, pack))
    timeline = [
        TimelineEvent(
            id=e.id,
            date=e.date,
            precision=e.precision,
            title=e.title,
            step=e.step,
            days_from_as_of=(e.date - as_of).days,
            sources=e.sources,
            policy=pack.id,
        )
        for e in pack.model.events
    ]
    gmv_at_risk, revenue_at_risk = ev.at_risk()
    m = pack.model
    return Assessment(
        agency=ev.agency,
        as_of=as_of,
        policy=PolicyRef(id=m.pack.id, version=m.pack.version, title=m.pack.title),
        exposure=exposure,
        impact=Impact(
            gmv_at_risk_cny_monthly=gmv_at_risk,
            revenue_at_risk_cny_monthly=revenue_at_risk,
            figures=_figures(ev, pack),
        ),
        findings=findings,
        undetermined=undetermined,
        risks=risks,
        risk_matrix=StatedMatrix(
            low=m.risk_matrix.low,
            medium=m.risk_matrix.medium,
            high=m.risk_matrix.high,
            levels=[[_risk_level(lk * im, m.risk_matrix) for im in range(1, 6)] for lk in range(1, 6)],
        ),
        plan=plan,
        opportunities=opportunities,
        assumptions=assumptions,
        confidence=confidence_for(pack.fields_read, ev.missing, undetermined, len(assumptions)),
        timeline=timeline,
        summary=summary_of(
            float(values["agency.monthly_gmv_cny"]),
            gmv_at_risk,
            findings,
            opportunities,
            risks,
            plan,
            timeline,
        ),
        platform_mix=_platform_mix(values),
        sources=_cited(pack, findings, opportunities, timeline),
        policies=[
            PolicyResult(
                id=m.pack.id,
                version=m.pack.version,
                title=m.pack.title,
                score=exposure.score,
                band=exposure.band,
                gmv_at_risk_cny_monthly=gmv_at_risk,
                revenue_at_risk_cny_monthly=revenue_at_risk,
                headline=True,
            )
        ],
    )


def summary_of(
    gmv: float,
    gmv_at_risk: float,
    findings: list[Finding],
    opportunities: list[Finding],
    risks: list[Risk],
    plan: Plan,
    timeline: list[TimelineEvent],
) -> Summary:
    """The headline figures and the first things to do (also for several packs at once)."""
    counts = {s: 0 for s in reversed(SEVERITIES)}
    for f in findings:
        if f.kind == "risk":
            counts[f.severity] += 1
    return Summary(
        monthly_gmv_cny=gmv,
        gmv_at_risk_share=round(gmv_at_risk / gmv, 4) if gmv else 0.0,
        risk_findings=counts,
        next_step=next((e for e in timeline if e.step and e.days_from_as_of >= 0), None),
        priorities=_priorities(plan, [*findings, *opportunities], risks),
    )


def _priorities(plan: Plan, findings: list[Finding], risks: list[Risk]) -> list[Priority]:
    """The first actions to take: plan order by phase, then the most severe finding served.

    An action serves the findings that call for it and, through the actions that wait
    for it, theirs too: sorting clients unlocks onboarding them to Douyin stores.
    """
    severity = {f.rule_id: f.severity for f in findings}
    rating = {r.rule_id: r.rating for r in risks}
    acts = [(n, act) for n, phase in enumerate(plan.phases) for act in phase.actions]
    dependents: dict[str, list[str]] = {}
    for _, act in acts:
        for dep in act.depends_on:
            dependents.setdefault(dep, []).append(act.id)
    by_id = {act.id: act for _, act in acts}
    served: dict[str, set[str]] = {}  # its own rules and those of every action waiting for it
    for _, act in acts:  # depth-first with a stack: a chain of thousands is no recursion
        stack = [(act.id, False)]
        while stack:
            action_id, expanded = stack.pop()
            if action_id in served:
                continue
            later = dependents.get(action_id, [])
            if expanded:
                served[action_id] = set(by_id[action_id].triggered_by).union(*(served[x] for x in later))
            else:
                stack.append((action_id, True))
                stack.extend((x, False) for x in later if x not in served)

    ranked = []
    for n, act in acts:
        rules = served[act.id]
        worst = max(rules, key=lambda r: SEVERITY_RANK[severity[r]], default=None)
        top = severity[worst] if worst else "info"
        key = (n, -SEVERITY_RANK[top], -max((rating.get(r, 0) for r in rules), default=0), act.due, act.id)
        ranked.append((key, act, top))
    ranked.sort(key=lambda item: item[0])
    return [
        Priority(
            action_id=act.id,
            title=act.title,
            owner_title=act.owner_title,
            due=act.due,
            severity=top,  # type: ignore[arg-type]
            rule_ids=sorted(act.triggered_by, key=lambda r: (-SEVERITY_RANK[severity[r]], r)),
            unlocks=dependents.get(act.id, []),
        )
        for _, act, top in ranked[:PRIORITIES]
    ]


def _platform_mix(values: dict[str, Any]) -> list[PlatformShare]:
    gmv = float(values["agency.monthly_gmv_cny"])
    return [
        PlatformShare(
            platform=path.split(".", 1)[1], share=values[path], gmv_cny_monthly=_money(gmv * values[path])
        )
        for path in FIELDS
        if path.startswith("platform_mix.")
    ]


def _cited(
    pack: Pack, findings: list[Finding], opportunities: list[Finding], timeline: list[TimelineEvent]
) -> list[SourceRef]:
    """Every source the assessment cites, in id order."""
    ids = {s.id for f in (*findings, *opportunities) for s in f.sources}
    ids.update(s for e in timeline for s in e.sources)
    known = pack.model.sources
    return [
        SourceRef(id=s, title=known[s].title, publisher=known[s].publisher, date=known[s].date)
        for s in sorted(ids)
    ]


def _in_place(ev: Evaluation, pack: Pack) -> frozenset[str]:
    """Actions whose ``done_when`` holds for the profile (unknown fields never count as done)."""
    return frozenset(a for a, check in pack.done_when.items() if check(ev.values, ev.unknown, []) is True)


def _money(value: float | None) -> float:
    return float(round(value or 0.0))


def _rounded(value: float | None, unit: str) -> float | None:
    if value is None:
        return None
    return float(round(value)) if unit in ("cny", "count") else round(value, 4)


def _figures(ev: Evaluation, pack: Pack) -> list[Figure]:
    return [
        Figure(
            id=metric.id,
            label=metric.label,
            unit=metric.unit,
            value=_rounded(ev.values[f"metric.{metric.id}"], metric.unit),
            formula=metric.formula,
            inputs=[_input(n, ev.values, ev.unknown) for n in formula.names],
            policy=pack.id,
        )
        for metric, formula in pack.metrics
        if metric.impact
    ]


def _input(name: str, values: dict[str, Any], unknown: set[str]) -> Input:
    return Input(field=name, value=_plain(values[name]), assumed=name in unknown)


def _exposure(ev: Evaluation, pack: Pack) -> Exposure:
    s = pack.model.scoring
    return Exposure(
        score=ev.score,
        band=ev.band,  # type: ignore[arg-type]
        bands={"low": s.low, "moderate": s.moderate, "high": s.high},
        factors=[
            FactorResult(
                id=factor.id,
                label=factor.label,
                explain=factor.explain,
                formula=factor.formula,
                raw=round(raw, 4),
                saturation=factor.saturation,
                value=round(value, 4),
                weight=factor.weight,
                contribution=round(value * factor.weight, 2),
                policy=pack.id,
            )
            for factor, raw, value in ev.factors
        ],
    )


def _findings(ev: Evaluation, pack: Pack) -> tuple[list[Finding], list[Finding], list[Undetermined]]:
    findings: list[Finding] = []
    opportunities: list[Finding] = []
    undetermined: list[Undetermined] = []
    values, unknown, as_of = ev.values, ev.unknown, ev.as_of
    for compiled, held, trace in ev.outcomes:
        if held is False:
            continue
        rule = compiled.rule
        checks = [
            Check(test=text, field=test.field, actual=_plain(actual), held=ok)
            for text, (test, actual, ok) in zip(compiled.texts, trace, strict=True)
        ]
        if held is None:
            undetermined.append(
                Undetermined(
                    rule_id=rule.id,
                    severity=rule.severity,
                    title=rule.title,
                    unknown_fields=unknown_fields(pack, trace, ev.missing),
                    conditions=checks,
                    policy=pack.id,
                )
            )
            continue
        event = pack.events.get(rule.event) if rule.event else None
        finding = Finding(
            rule_id=rule.id,
            kind=rule.kind,
            severity=rule.severity,
            category=rule.category,
            title=rule.title,
            rationale=rule.rationale,
            event=EventRef(id=event.id, date=event.date, days_from_as_of=(event.date - as_of).days)
            if event
            else None,
            evidence=[_input(name, values, unknown) for name in rule.evidence],
            conditions=checks,
            actions=list(rule.actions),
            sources=_sources(pack)[rule.id],
            policy=pack.id,
        )
        entry = ev.accepted.get(rule.id) if rule.kind == "risk" else None
        if entry is not None:
            gone = acceptance.expired(entry, as_of)
            finding.acceptance = Acceptance(reason=entry.reason, until=entry.until, expired=gone)
            finding.accepted = not gone
        (opportunities if rule.kind == "opportunity" else findings).append(finding)
    findings.sort(key=lambda f: (-SEVERITY_RANK[f.severity], f.rule_id))
    return findings, opportunities, undetermined


@functools.lru_cache(maxsize=16)
def _sources(pack: Pack) -> dict[str, list[SourceRef]]:
    """Each rule's source references, built once per pack."""
    known = pack.model.sources
    return {
        r.rule.id: [
            SourceRef(id=s, title=known[s].title, publisher=known[s].publisher, date=known[s].date)
            for s in r.rule.sources
        ]
        for r in pack.rules
    }


def _plain(value: Any) -> Any:
    """Metric values rounded, so reports show 0.27, not 0.27000000000000002."""
    return round(value, 6) if type(value) is float else value


def unknown_fields(pack: Pack, trace: Trace, missing: frozenset[str]) -> list[str]:
    """The left-out profile fields behind the unknown tests of a rule."""
    out: list[str] = []
    for test, _, held in trace:
        if held is not None:
            continue
        name = test.field
        fields = pack.metric_inputs[name[7:]] if name.startswith("metric.") else {name}
        out.extend(sorted(fields & missing))
    return list(dict.fromkeys(out))


def _risks(pack: Pack, findings: list[Finding], factors: dict[str, float]) -> list[Risk]:
    bands = pack.model.risk_matrix
    rules = {r.rule.id: r.rule for r in pack.rules}
    risks: list[Risk] = []
    for finding in findings:
        rule = rules[finding.rule_id]
        if rule.kind != "risk":
            continue
        impact = rule.impact if isinstance(rule.impact, int) else 1 + min(4, int(factors[rule.impact] * 5))
        rating = rule.likelihood * impact
        accepted = finding.accepted
        level = _risk_level(rating, bands)
        risks.append(
            Risk(
                rule_id=rule.id,
                title=rule.title,
                likelihood=rule.likelihood,
                impact=impact,
                rating=rating,
                level=level,
                treatment="accept" if accepted else rule.treatment,
                actions=[] if accepted else list(rule.actions),
                policy=pack.id,
            )
        )
    risks.sort(key=lambda r: (-r.rating, r.rule_id))
    return risks


def _risk_level(rating: int, bands: RiskMatrix) -> str:
    if rating <= bands.low:
        return "low"
    if rating <= bands.medium:
        return "medium"
    return "high" if rating <= bands.high else "critical"


def assumptions_for(
    fields_read: frozenset[str], missing: frozenset[str], values: dict[str, Any]
) -> list[Assumption]:
    """One entry per left-out field (or whole table) that the pack(s) read, with the value used."""
    out: dict[str, Assumption] = {}
    for path in sorted(missing & fields_read):
        spec = FIELDS[path]
        key = spec.declared_at
        if key in out:
            continue
        if spec.assumed is None:
            value, why = None, NO_GUESS
        else:
            value = _declared_value(key, path, values[path])
            why = Text(en=spec.why_en, zh=spec.why_zh)
        out[key] = Assumption(field=key, assumed_value=value, rationale=why)
    return list(out.values())


def _declared_value(key: str, path: str, leaf_value: Any) -> Any:
    if key == path:
        return leaf_value
    # A whole table was left out: show every value assumed for it.
    return {p.rsplit(".", 1)[1]: s.assumed for p, s in FIELDS.items() if s.declared_at == key}


def confidence_for(
    fields_read: frozenset[str], missing: frozenset[str], undetermined: list[Undetermined], assumed: int
) -> Confidence:
    lost: dict[str, float] = {}
    for path in missing & fields_read:
        spec = FIELDS[path]
        lost[spec.declared_at] = spec.importance
    severe = sum(1 for u in undetermined if SEVERITY_RANK[u.severity] >= SEVERITY_RANK["high"])
    score = max(0.0, round(1.0 - sum(lost.values()) - UNDETERMINED_PENALTY * severe, 2))
    level = next(name for name, floor in CONFIDENCE_LEVELS if score >= floor)
    return Confidence(level=level, score=score, assumed_fields=assumed, undetermined_rules=len(undetermined))
