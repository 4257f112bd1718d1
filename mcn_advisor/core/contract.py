"""The assessment: everything a report shows, computed by the engine, never by a renderer.

These classes are the JSON output contract (``ASSESSMENT_SCHEMA_VERSION``). They are
records (``mcn_advisor.records``: dataclasses, made cheaply), quick to build in a batch of
thousands, and read-only by convention; pydantic_core dumps them by their values' own
types (``render/json.py``, ``compare.snapshot``), with no TypeAdapter to build. Texts
are ``Text`` objects holding every language; dumping with ``context={"lang": "zh"}``
writes each as a plain string in that language.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field
from pydantic_core import SchemaSerializer, core_schema

from mcn_advisor.i18n.text import Text
from mcn_advisor.records import record
from mcn_advisor.vocab import Band, ConfidenceLevel, FindingKind, RiskLevel, Severity, Unit, worst

# 2: a risk's severity is derived from its sizing (findings[].sizing) and equals its risk
# level; findings known only in hindsight are listed apart; the plan is sized to the agency
# (plan.tier, plan.optional, plan.set_aside); the headline money is the headline pack's.
# 3: the money ladder from the gross at risk to the net effect (impact.*, figures[].rung),
# the path month by month (impact.path), ranges where data is missing (exposure.range,
# figures[].low/high, summary.missing) and fill-in priorities (summary.priorities[].kind).
ASSESSMENT_SCHEMA_VERSION = 3


out = record(kw_only=True)  # records: equal field by field, unhashable, as dataclasses


@out
class PolicyRef:
    id: str
    version: str
    title: Text


@out
class FactorResult:
    id: str
    label: Text
    explain: Text
    formula: str
    raw: float  # the formula's value
    saturation: float  # the raw value that scores in full
    value: float  # raw / saturation, capped to 0..1
    weight: float
    contribution: float  # value x weight, points of the 0..100 score
    policy: str  # the id of the pack it comes from


@out
class ScoreRange:
    """The score at the corners of the fields left out (a point when nothing is assumed)."""

    low: float
    high: float
    band_low: Band
    band_high: Band


@out
class Exposure:
    score: float
    band: Band
    bands: dict[str, float]  # upper bounds: a score below "low" is low, ...
    factors: list[FactorResult]
    range: ScoreRange | None = None


@out
class Input:
    field: str
    value: Any
    assumed: bool  # the profile left it out and the documented value was used
    # A metric's label and unit, for reports to show it as clients read it. Not in the JSON:
    # scripts read the key (``field``), and a saved assessment loads without them.
    label: Annotated[Text | None, Field(exclude=True)] = dataclasses.field(default=None, compare=False)
    unit: Annotated[Unit | None, Field(exclude=True)] = dataclasses.field(default=None, compare=False)


# ``render/json.py`` dumps results with pydantic_core's ``to_json``, which writes every field
# of a dataclass; this serializer, which it asks first, leaves the report-only ones out.
Input.__pydantic_serializer__ = SchemaSerializer(  # type: ignore[attr-defined]
    core_schema.any_schema(
        serialization=core_schema.plain_serializer_function_ser_schema(
            lambda i: {"field": i.field, "value": i.value, "assumed": i.assumed}
        )
    )
)


@out
class Figure:
    id: str
    label: Text
    unit: Unit
    value: float | None  # None: an input is unknown and has no assumed value
    formula: str
    inputs: list[Input]
    policy: str  # the id of the pack it comes from
    rung: bool = False  # a rung of the money ladder, from the gross at risk to the net effect
    low: float | None = None  # at the corners of the fields left out; = value when nothing is assumed
    high: float | None = None  # (None: the figure has no range, or is unknown)


@out
class UpsideItem:
    """New money the closed loop opens, one item (``[[money.upside]]``)."""

    id: str
    title: Text
    action: str | None  # the plan action it comes with
    in_plan: bool  # that action is in the plan (else it counts 0)
    monthly_cny: float  # steady: once ramped up; window-only: at its fullest
    low: float | None
    high: float | None
    until: dt.date | None  # window-only: it ends then, and is not in the net effect
    one_off_cny: float | None  # window-only: all it saves from as_of
    basis: Text | None


@out
class PathMonth:
    """The agency's margin lost in a month (negative: gained), without and with the plan."""

    month: str  # YYYY-MM
    without_plan_cny: float
    with_plan_cny: float
    events: list[str]  # the policy dates that fall in it (ids of timeline events)
    season: float  # the month's seasonal factor (Double 11), applied to both


@out
class RateUsed:
    """A constant of the pack the money rests on: a fact with its sources, or an assumption."""

    id: str
    title: Text
    value: float
    sources: list[str]
    assumption: Text | None


@out
class Impact:
    gmv_at_risk_cny_monthly: float  # the headline pack's (``policy``), never mixed across packs
    revenue_at_risk_cny_monthly: float  # the gross: every yuan of third-party live GMV lost
    figures: list[Figure]  # every pack's, each tagged with its policy
    policy: str  # the pack whose money the headline figures are
    # The ladder, a month at steady state, in the agency's margin (after the creators' split):
    margin_at_risk_cny_monthly: float | None = None
    expected_loss_cny_monthly: float | None = None  # if the agency does nothing
    residual_loss_cny_monthly: float | None = None  # after the plan, its levers together
    upside_cny_monthly: float | None = None  # new money the closed loop opens
    net_effect_cny_monthly: float | None = None  # upside - residual: positive, the MCN gains
    verdict: Literal["positive", "neutral", "negative"] | None = None
    verdict_low: Literal["positive", "neutral", "negative"] | None = None  # at the net's low end
    verdict_high: Literal["positive", "neutral", "negative"] | None = None
    net_share_of_revenue: float | None = None  # the net effect over the agency's estimated revenue
    upside_items: list[UpsideItem] = dataclasses.field(default_factory=list)
    path: list[PathMonth] = dataclasses.field(default_factory=list)
    season_basis: Text | None = None  # why the path's months carry their seasonal factors
    neutral_band: float = 0.02  # a net within this share of the margin at risk is neutral
    rates: list[RateUsed] = dataclasses.field(default_factory=list)


@out
class Check:
    test: str  # the condition as written, e.g. "clients.taobao_linked_share >= 0.2"
    field: str
    actual: Any
    held: bool | None  # None: the field is unknown


@out
class EventRef:
    id: str
    date: dt.date
    days_from_as_of: int  # negative: already passed


@out
class SourceRef:
    id: str
    title: Text  # in the report's language (the outlet's own, for a Chinese original)
    publisher: Text
    date: dt.date | None
    url: str | None = None


@out
class Acceptance:
    """The profile's ``[[accepted_risks]]`` entry for a finding's rule."""

    reason: str
    until: dt.date | None
    expired: bool  # ``until`` has passed: the finding counts again


@out
class Sizing:
    """Why a risk has its severity: likelihood x impact = rating, whose level in the risk matrix
    *is* the severity. The impact comes from the size of what the rule measures, read on one of
    the pack's scales (or, with no measure, is fixed by the rule)."""

    metric: str | None  # the measured metric's id; None: the rule fixes its impact
    label: Text | None  # what the measure is a share of
    value: float | None  # the measure, a share (0..1)
    scale: str | None  # the pack scale it is read on
    bounds: list[float]  # the scale's lower bounds of impact 2, 3, 4 and 5
    likelihood: int
    impact: int
    rating: int  # likelihood x impact


@out
class Finding:
    rule_id: str
    kind: FindingKind
    severity: Severity  # a risk's is its sizing's level in the risk matrix; "info" otherwise
    category: str
    title: Text
    rationale: Text
    event: EventRef | None
    evidence: list[Input]
    conditions: list[Check]
    actions: list[str]
    sources: list[SourceRef]
    policy: str  # the id of the pack it comes from
    accepted: bool = False  # accepted and not expired: shown, but not counted toward --fail-on
    acceptance: Acceptance | None = None
    sizing: Sizing | None = None  # risks only


@out
class Undetermined:
    rule_id: str
    severity: str  # what it would be at the assumed values, should it hold
    title: Text
    unknown_fields: list[str]  # fill these in to decide the rule
    conditions: list[Check]
    policy: str  # the id of the pack it comes from


@out
class Risk:
    rule_id: str
    title: Text
    likelihood: int
    impact: int
    rating: int  # likelihood x impact
    level: RiskLevel
    treatment: str
    actions: list[str]
    policy: str  # the id of the pack it comes from


@out
class StatedMatrix:
    """The risk matrix a report states (ISO 31000 leaves its thresholds to the organisation):
    rating bands (up to ``low`` is low, up to ``medium`` medium, up to ``high`` high) and the
    level of every cell."""

    low: int
    medium: int
    high: int
    critical: int = 25
    # The level of every cell: levels[likelihood - 1][impact - 1], both 1..5.
    levels: list[list[RiskLevel]]
    scales: list[StatedScale] = dataclasses.field(default_factory=list)  # how impact is read from size


@out
class StatedScale:
    id: str
    title: Text  # what it measures
    bounds: list[float]  # lower bounds of impact 2, 3, 4 and 5
    basis: Text  # why the bounds sit there


@out
class PlannedAction:
    id: str
    strategy: str
    title: Text
    owner: str
    owner_title: Text
    effort: str
    effort_days: int
    depends_on: list[str]
    start: dt.date
    due: dt.date
    late_by_days: int  # days past its target phase's deadline; 0 when it makes it
    carried_over: bool  # its target phase closed before as_of: do it now
    kpi: Text
    triggered_by: list[str]
    policy: str  # the id of the pack it comes from
    target_phase: str = ""  # the phase it belongs to by the policy; it is listed where its due date falls


@out
class PlanPhase:
    id: str
    title: Text
    deadline: dt.date | None
    days_left: int | None  # negative: the deadline has passed
    status: Literal["open", "closed"]
    actions: list[PlannedAction]  # every one due inside the phase
    policy: str  # the id of the pack it comes from
    announced: bool = True  # its deadline was publicly known on as_of (else: hindsight)


@out
class DroppedAction:
    id: str
    title: Text
    expired_with: str  # event id
    expired_on: dt.date
    policy: str  # the id of the pack it comes from
    # window_closed: the event passed before as_of; cannot_finish: it would be done on or after it
    reason: Literal["window_closed", "cannot_finish"] = "window_closed"


@out
class InPlaceAction:
    id: str
    title: Text


@out
class SetAside:
    """An action a finding calls for that this agency is not asked to take, and why."""

    id: str
    title: Text
    reason: Literal["not_at_this_size", "not_applicable"]
    because: str | None  # the action it waits for, when that one is set aside


@out
class PlanTier:
    """The agency size the plan is made for (the pack's ``[[tiers]]``)."""

    id: str
    title: Text
    basis: Text  # where the tiers come from
    max_creators: int | None  # the tier's limits (None: open)
    max_monthly_gmv_cny: float | None
    creators: int | None  # the agency's (None: not given; the tier is by GMV alone)
    monthly_gmv_cny: float
    owners: list[str]  # the roles that own actions at this size
    owner_titles: list[Text]
    effort_scale: float  # efforts are this share of the pack's sizes
    parallel: int | None  # actions one owner runs at once (None: no limit)


@out
class Plan:
    mode: Literal["migration", "remediation"]
    phases: list[PlanPhase]  # required actions only
    dropped: list[DroppedAction]
    in_place: list[InPlaceAction] = dataclasses.field(default_factory=list)  # called for, already done
    optional: list[PlannedAction] = dataclasses.field(default_factory=list)  # dated as if started on as_of
    set_aside: list[SetAside] = dataclasses.field(default_factory=list)
    tier: PlanTier | None = None  # None: the pack has no size tiers
    favoured: Text | None = None  # why the closed loop helps this MCN more than it hurts (hedges optional)


@out
class Assumption:
    field: str
    assumed_value: Any  # None: no fair guess; figures that need it are left out
    rationale: Text
    policy: str | None = None  # set when it is one pack's reading (a partner name), not a left-out field


@out
class Confidence:
    level: ConfidenceLevel
    score: float  # 1.0 when nothing was assumed
    assumed_fields: int
    undetermined_rules: int


@out
class TimelineEvent:
    id: str
    date: dt.date
    precision: Literal["day", "month"]
    title: Text
    step: bool
    days_from_as_of: int
    sources: list[str]
    policy: str  # the id of the pack it comes from
    announced: dt.date | None = None  # first publicly known (None: not recorded)
    known: bool = True  # publicly known on as_of; False: shown in hindsight


@out
class Priority:
    """One of the first things to do: the plan's earliest phase first, the most severe first;
    or, when the score's range spans bands, filling in the field that narrows it most."""

    action_id: str  # "" for a field to fill in
    title: Text
    owner_title: Text
    due: dt.date
    severity: Severity  # most severe finding it serves
    rule_ids: list[str]  # the findings that call for it directly
    unlocks: list[str]  # planned actions that wait for it
    policy: str = ""  # the headline pack, whose plan the priorities come from
    kind: Literal["action", "fill_in"] = "action"
    field: str | None = None  # fill_in: the field (or table) to fill in


@out
class Missing:
    """A field (or table) left out, and how much filling it in would narrow the ranges."""

    field: str  # as the assumptions name it: a field, or a whole table (revenue_mix)
    varies: str  # the field whose span it is (a table's: the share that varies, the others rescale)
    narrows_by: float  # points of the score range's width
    narrows_net_by_cny: float  # CNY a month of the net effect range's width
    assumed: Any  # the value used for ``varies``
    span: list[Any]  # its plausible values, low and high


@out
class Stale:
    """``as_of`` lies long after the policy's last step: every date of the plan is past."""

    last_step: dt.date  # the last step of the policy (of every pack assessed)
    years: int  # whole years from it to as_of
    suggested_as_of: dt.date  # a date to see the plan as it stood (engine.stale_date says which)


@out
class Summary:
    """The executive summary: the headline figures and the first things to do."""

    monthly_gmv_cny: float
    gmv_at_risk_share: float  # of all monthly GMV
    risk_findings: dict[str, int]  # risk findings by severity, most severe first
    next_step: TimelineEvent | None  # the next step of the policy on or after as_of
    priorities: list[Priority]
    missing: list[Missing] = dataclasses.field(default_factory=list)  # what to fill in first, ranked
    stale: Stale | None = None  # as_of long after the policy's last step: the report says so


@out
class PlatformShare:
    platform: str  # a platform_mix key of the profile
    share: float  # of monthly GMV
    gmv_cny_monthly: float


@out
class Assessment:
    schema_version: int = ASSESSMENT_SCHEMA_VERSION
    agency: str
    as_of: dt.date
    policy: PolicyRef
    exposure: Exposure
    impact: Impact
    findings: list[Finding]
    undetermined: list[Undetermined]
    risks: list[Risk]
    risk_matrix: StatedMatrix
    plan: Plan
    opportunities: list[Finding]
    assumptions: list[Assumption]
    confidence: Confidence
    timeline: list[TimelineEvent]
    summary: Summary
    platform_mix: list[PlatformShare]
    sources: list[SourceRef]  # every source cited above, by id
    policies: list[PolicyResult]  # every pack assessed, in the order given (see combine.py)
    hindsight: list[Finding] = dataclasses.field(default_factory=list)  # hold, but not yet known on as_of

    def worst_open_risk(self) -> Severity | None:
        """The most severe risk finding no acceptance holds: what ``--fail-on`` reads."""
        return worst(f.severity for f in self.findings if f.kind == "risk" and not f.accepted)


# --- several packs at once (combine.py) -------------------------------------------------


@out
class PolicyResult:
    """One pack's own verdict; ``policy`` and ``exposure`` hold the headline one's."""

    id: str
    version: str
    title: Text
    score: float
    band: Band
    gmv_at_risk_cny_monthly: float
    revenue_at_risk_cny_monthly: float
    headline: bool  # the highest score (the first pack given on a tie)
