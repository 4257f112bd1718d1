"""The assessment: everything a report shows, computed by the engine, never by a renderer.

These classes are the JSON output contract (``ASSESSMENT_SCHEMA_VERSION``). They are
plain dataclasses, cheap to build in a batch of thousands, and read-only by
convention; ``adapter()`` (a pydantic TypeAdapter) dumps, loads and describes them.
Texts are ``Text`` objects holding every language; dumping with
``context={"lang": "zh"}`` writes each as a plain string in that language.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import reprlib
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import TypeAdapter

from mcn_advisor.i18n.text import Text
from mcn_advisor.vocab import Band, ConfidenceLevel, FindingKind, RiskLevel, Severity, Unit, worst

ASSESSMENT_SCHEMA_VERSION = 1


class Record:
    """What every class of the contract shares: equality and a repr, field by field, as a
    dataclass would generate them. Written once here instead of compiled for each of
    the classes below at import, which a single run would pay for."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value: unhashable, as a dataclass

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        names = [f.name for f in dataclasses.fields(self) if f.compare]  # type: ignore[arg-type]
        return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        shown = (f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr)  # type: ignore[arg-type]
        return f"{self.__class__.__qualname__}({', '.join(shown)})"


out = dataclass(slots=True, kw_only=True, eq=False, repr=False)


@out
class PolicyRef(Record):
    id: str
    version: str
    title: Text


@out
class FactorResult(Record):
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
class Exposure(Record):
    score: float
    band: Band
    bands: dict[str, float]  # upper bounds: a score below "low" is low, ...
    factors: list[FactorResult]


@out
class Input(Record):
    field: str
    value: Any
    assumed: bool  # the profile left it out and the documented value was used


@out
class Figure(Record):
    id: str
    label: Text
    unit: Unit
    value: float | None  # None: an input is unknown and has no assumed value
    formula: str
    inputs: list[Input]
    policy: str  # the id of the pack it comes from


@out
class Impact(Record):
    gmv_at_risk_cny_monthly: float
    revenue_at_risk_cny_monthly: float
    figures: list[Figure]


@out
class Check(Record):
    test: str  # the condition as written, e.g. "clients.taobao_linked_share >= 0.2"
    field: str
    actual: Any
    held: bool | None  # None: the field is unknown


@out
class EventRef(Record):
    id: str
    date: dt.date
    days_from_as_of: int  # negative: already passed


@out
class SourceRef(Record):
    id: str
    title: str
    publisher: str
    date: dt.date | None


@out
class Acceptance(Record):
    """The profile's ``[[accepted_risks]]`` entry for a finding's rule."""

    reason: str
    until: dt.date | None
    expired: bool  # ``until`` has passed: the finding counts again


@out
class Finding(Record):
    rule_id: str
    kind: FindingKind
    severity: Severity
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


@out
class Undetermined(Record):
    rule_id: str
    severity: str
    title: Text
    unknown_fields: list[str]  # fill these in to decide the rule
    conditions: list[Check]
    policy: str  # the id of the pack it comes from


@out
class Risk(Record):
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
class StatedMatrix(Record):
    """The risk matrix a report states (ISO 31000 leaves its thresholds to the organisation):
    rating bands (up to ``low`` is low, up to ``medium`` medium, up to ``high`` high) and the
    level of every cell."""

    low: int
    medium: int
    high: int
    critical: int = 25
    # The level of every cell: levels[likelihood - 1][impact - 1], both 1..5.
    levels: list[list[RiskLevel]]


@out
class PlannedAction(Record):
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
    late_by_days: int  # days past the phase deadline; 0 when it fits
    carried_over: bool  # its phase's deadline has passed: do it now
    kpi: Text
    triggered_by: list[str]
    policy: str  # the id of the pack it comes from


@out
class PlanPhase(Record):
    id: str
    title: Text
    deadline: dt.date | None
    days_left: int | None  # negative: the deadline has passed
    status: Literal["open", "closed"]
    actions: list[PlannedAction]
    policy: str  # the id of the pack it comes from


@out
class DroppedAction(Record):
    id: str
    title: Text
    expired_with: str  # event id
    expired_on: dt.date
    policy: str  # the id of the pack it comes from


@out
class InPlaceAction(Record):
    id: str
    title: Text


@out
class Plan(Record):
    mode: Literal["migration", "remediation"]
    phases: list[PlanPhase]
    dropped: list[DroppedAction]
    in_place: list[InPlaceAction] = dataclasses.field(default_factory=list)  # called for, already done


@out
class Assumption(Record):
    field: str
    assumed_value: Any  # None: no fair guess; figures that need it are left out
    rationale: Text


@out
class Confidence(Record):
    level: ConfidenceLevel
    score: float  # 1.0 when nothing was assumed
    assumed_fields: int
    undetermined_rules: int


@out
class TimelineEvent(Record):
    id: str
    date: dt.date
    precision: Literal["day", "month"]
    title: Text
    step: bool
    days_from_as_of: int
    sources: list[str]
    policy: str  # the id of the pack it comes from


@out
class Priority(Record):
    """One of the first things to do: the plan's earliest phase first, the most severe first."""

    action_id: str
    title: Text
    owner_title: Text
    due: dt.date
    severity: Severity  # most severe finding it serves
    rule_ids: list[str]  # the findings that call for it directly
    unlocks: list[str]  # planned actions that wait for it


@out
class Summary(Record):
    """The executive summary: the headline figures and the first things to do."""

    monthly_gmv_cny: float
    gmv_at_risk_share: float  # of all monthly GMV
    risk_findings: dict[str, int]  # risk findings by severity, most severe first
    next_step: TimelineEvent | None  # the next step of the policy on or after as_of
    priorities: list[Priority]


@out
class PlatformShare(Record):
    platform: str  # a platform_mix key of the profile
    share: float  # of monthly GMV
    gmv_cny_monthly: float


@out
class Assessment(Record):
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

    def worst_open_risk(self) -> Severity | None:
        """The most severe risk finding no acceptance holds: what ``--fail-on`` reads."""
        return worst(f.severity for f in self.findings if f.kind == "risk" and not f.accepted)


# --- several packs at once (combine.py) -------------------------------------------------


@out
class PolicyResult(Record):
    """One pack's own verdict; ``policy`` and ``exposure`` hold the headline one's."""

    id: str
    version: str
    title: Text
    score: float
    band: Band
    gmv_at_risk_cny_monthly: float
    revenue_at_risk_cny_monthly: float
    headline: bool  # the highest score (the first pack given on a tie)


@functools.cache
def adapter() -> TypeAdapter[Assessment]:
    """Dumps, loads and describes assessments as JSON (built on first use: it is costly)."""
    return TypeAdapter(Assessment)
