"""The policy pack file format: what a pack holds, as validated data.

A pack is a TOML file: dated events with sources, the metrics (money and clients at
risk) and weighted factors of the exposure score, the rules with their conditions, the
plan's phases and actions, the levers ``levers``/``what-if`` try, and fixtures (the
pack's own tests). ``compile.py`` turns a validated ``PackModel`` into the ``Pack`` the
engine runs; ``checks.py`` holds what a model alone cannot check (references between
parts, dates, cycles, weights).
"""

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from mcn_advisor.i18n.text import NonEmpty, Text
from mcn_advisor.pack.conditions import Condition
from mcn_advisor.profile.model import SCHEMA_VERSION, Profile
from mcn_advisor.vocab import Band, Category, FindingKind, Severity, Strategy, Treatment, Unit

REQUIRED_METRICS = ("gmv_at_risk_cny_monthly", "revenue_at_risk_cny_monthly")
WEIGHT_TOTAL = 100.0

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
RuleId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")]


class _Data(BaseModel):
    # defer_build: validators are built on a pack's first validation, so a run whose
    # packs all come from the cache (files.cache) never builds them
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class PackInfo(_Data):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    version: NonEmpty
    platform: Id
    title: Text
    summary: Text
    profile_schema: Literal[1] = SCHEMA_VERSION


class Scoring(_Data):
    """Exposure bands: a score below ``low`` is low, below ``moderate`` moderate, ..."""

    # validate_default: a default becomes a float like a value read from the file (JSON writes 25.0)
    low: Annotated[float, Field(gt=0, lt=100, validate_default=True)] = 25
    moderate: Annotated[float, Field(gt=0, lt=100, validate_default=True)] = 50
    high: Annotated[float, Field(gt=0, lt=100, validate_default=True)] = 75


class RiskMatrix(_Data):
    """Risk rating bands: likelihood x impact up to ``low`` is low, up to ``medium`` ..."""

    low: Annotated[int, Field(ge=1, le=25)] = 4
    medium: Annotated[int, Field(ge=1, le=25)] = 9
    high: Annotated[int, Field(ge=1, le=25)] = 16


class Source(_Data):
    title: NonEmpty
    publisher: NonEmpty
    date: dt.date | None = None
    url: str | None = None


class Event(_Data):
    id: Id
    date: dt.date
    precision: Literal["day", "month"] = "day"  # "month": only the month is known
    title: Text
    sources: list[str] = []
    step: bool = False  # a step of the policy itself (shown in plans), not just context


class Metric(_Data):
    id: Id
    unit: Unit
    label: Text
    formula: NonEmpty
    impact: bool = False  # shown among the money/client figures of every report


class Factor(_Data):
    id: Id
    weight: Annotated[float, Field(gt=0, le=100)]
    label: Text
    explain: Text
    formula: NonEmpty
    saturation: Annotated[float, Field(gt=0)] = 1.0  # the raw value that scores in full


class Phase(_Data):
    id: Id
    title: Text
    deadline: Id | None = None  # an event id; None for the last, open-ended phase


class Rule(_Data):
    id: RuleId
    kind: FindingKind = "risk"
    severity: Severity
    category: Category
    title: Text
    rationale: Text
    when: Condition
    evidence: list[str] = []
    actions: list[str] = []
    sources: Annotated[list[str], Field(min_length=1)]
    event: Id | None = None  # the policy step this rule is about
    until: Id | None = None  # after this event the rule no longer applies
    likelihood: Annotated[int, Field(ge=1, le=5)] = 3
    impact: Annotated[int, Field(ge=1, le=5)] | Id = 3  # fixed, or a factor id to scale with
    treatment: Treatment = "mitigate"


class Action(_Data):
    id: RuleId
    strategy: Strategy
    phase: Id
    owner: Id  # a role id
    effort: str
    title: Text
    kpi: Text
    depends_on: list[str] = []
    until: Id | None = None  # pointless once this event has passed
    sources: list[str] = []
    not_before: Id | None = None  # an event id: the action cannot start before that date
    done_when: Condition | None = None  # its outcome is already in place: the plan lists it as such


# --- decision support: levers (checked and compiled in levers.py) -----------------------


class LeverChange(_Data):
    """One field a lever changes: exactly one of ``set``, ``add``, ``formula`` or ``move_to``.

    ``formula`` and ``fraction`` formulas read the profile as it was before the lever.
    ``move_to`` moves ``fraction`` of a share into another share (of the same mix, which
    so keeps summing to 1); the shares of a mix can change no other way.
    """

    field: str
    set: Any = None
    add: NonEmpty | None = None
    formula: NonEmpty | None = None
    move_to: str | None = None
    fraction: Any = None  # a number in 0..1, or a formula (checked with the change, one message)


class Lever(_Data):
    """A move an MCN can make, as a realistic step over profile fields, tied to an action."""

    id: Id
    action: RuleId
    effort: str
    title: Text
    step: Text  # what the changes model, and what they assume
    when: Condition | None = None  # where the lever applies; tried everywhere when left out
    changes: Annotated[list[LeverChange], Field(min_length=1)]
    sources: list[str] = []


class LeverRanking(_Data):
    """How ``levers`` weighs money against score: value = points cut + revenue points x
    the share of revenue at risk recovered; levers rank by value per week of effort."""

    revenue_points: Annotated[float, Field(ge=0, le=100, validate_default=True)] = 50  # a float, as Scoring


# --- fixtures: the pack's own tests (mcn-advisor policy test) ---------------------------
# Small profiles with the findings and band they must give. They are validated with the
# pack (a fixture naming no rule is a pack error) and run by ``selftest.run_fixtures``.


class FixtureProfile(Profile):
    """A fixture's profile: a profile whose ``schema_version`` may be left out."""

    model_config = ConfigDict(defer_build=True)  # as _Data
    schema_version: Literal[1] = SCHEMA_VERSION


class Expect(_Data):
    band: Band | None = None
    fire: list[str] = []  # rules that must hold (findings, positives, opportunities)
    silent: list[str] = []  # rules that must not hold
    undecided: list[str] = []  # rules that must stay undecided (a field they test is left out)


class Fixture(_Data):
    id: Id
    about: NonEmpty  # what the fixture stands for, one line
    as_of: dt.date  # the date it is assessed at
    profile: FixtureProfile
    expect: Expect


class PackModel(_Data):
    schema_version: Literal[1]
    pack: PackInfo
    scoring: Scoring = Scoring()
    risk_matrix: RiskMatrix = RiskMatrix()
    effort: dict[str, Annotated[int, Field(ge=1, le=365)]]
    roles: dict[Id, Text]
    sources: dict[str, Source]
    events: Annotated[list[Event], Field(min_length=1)]
    metrics: list[Metric]
    factors: Annotated[list[Factor], Field(min_length=1)]
    phases: Annotated[list[Phase], Field(min_length=1)]
    rules: Annotated[list[Rule], Field(min_length=1)]
    actions: list[Action]
    fixtures: list[Fixture] = []  # the pack's own tests, run by `mcn-advisor policy test`
    lever_ranking: LeverRanking = LeverRanking()
    levers: list[Lever] = []
