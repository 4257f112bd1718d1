"""The policy pack file format: what a pack holds, as validated data.

A pack is a TOML file: dated events with sources, the metrics (money and clients at
risk) and weighted factors of the exposure score, the rules with their conditions, the
plan's phases and actions, the levers ``levers``/``what-if`` try, and fixtures (the
pack's own tests). ``compile.py`` turns a validated ``PackModel`` into the ``Pack`` the
engine runs; ``checks.py`` holds what a model alone cannot check (references between
parts, dates, cycles, weights).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator

from mcn_advisor.i18n.text import NonEmpty, Text
from mcn_advisor.pack.conditions import Condition
from mcn_advisor.profile.model import SCHEMA_VERSION, AssessmentDate
from mcn_advisor.records import record
from mcn_advisor.vocab import Band, Category, FindingKind, Severity, Strategy, Treatment, Unit

if TYPE_CHECKING:
    from mcn_advisor.pack.models import FixtureProfile

REQUIRED_METRICS = ("gmv_at_risk_cny_monthly", "revenue_at_risk_cny_monthly")
WEIGHT_TOTAL = 100.0

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
RuleId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")]


# Every part of a pack is a record (records.py): a class of named fields, cheap to make at
# import. Pydantic validates a pack's text with models made from these records
# (pack/models.py), only when the pack is not in the cache (files/cache.py): a run whose
# packs all come from the cache builds no pydantic class for them. The annotations are read
# only then, by pydantic (hence ``from __future__ import annotations``).
_data = record(frozen=True, kw_only=True)


def _empty(kind: type) -> Any:
    """A default of an empty list or table (a fresh one for each instance)."""
    return dataclasses.field(default_factory=kind)


@_data
class PackInfo:
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    version: NonEmpty
    platform: Id
    title: Text
    summary: Text
    profile_schema: Literal[1] = SCHEMA_VERSION


@_data
class Scoring:
    """Exposure bands: a score below ``low`` is low, below ``moderate`` moderate, ..."""

    # validate_default: a default becomes a float like a value read from the file (JSON writes 25.0)
    low: Annotated[float, Field(gt=0, lt=100, validate_default=True)] = 25
    moderate: Annotated[float, Field(gt=0, lt=100, validate_default=True)] = 50
    high: Annotated[float, Field(gt=0, lt=100, validate_default=True)] = 75


@_data
class RiskMatrix:
    """Risk rating bands: likelihood x impact up to ``low`` is low, up to ``medium`` ...

    The default (5, 10, 16) reads a certain but negligible risk (5 x 1) as low.
    """

    low: Annotated[int, Field(ge=1, le=25)] = 5
    medium: Annotated[int, Field(ge=1, le=25)] = 10
    high: Annotated[int, Field(ge=1, le=25)] = 16


@_data
class Scale:
    """How big is big, for a measure: ``at`` holds the lower bounds of impact 2, 3, 4 and 5.

    A measure below ``at[0]`` is impact 1; ``basis`` says why the bounds sit where they do.
    """

    title: Text  # what it measures, e.g. "share of GMV, revenue or clients"
    at: Annotated[list[float], Field(min_length=4, max_length=4)]
    basis: Text


@_data
class Source:
    """A source the pack cites: its title and publisher in each language (a plain string serves
    both, for an outlet known by one name), its date and, where public, its address."""

    # Written as {en, zh} or as one string (the schema says both); always a Text once read.
    title: Text | NonEmpty
    publisher: Text | NonEmpty
    date: dt.date | None = None
    url: str | None = None

    @field_validator("title", "publisher", mode="before")
    @classmethod
    def _one_name_for_both(cls, value: Any) -> Any:
        return _both_languages(value)


def _both_languages(value: Any) -> Any:
    """One string written where a text in each language may be: the same in both."""
    return {"en": value, "zh": value} if isinstance(value, str) else value


@_data
class Event:
    id: Id
    date: AssessmentDate  # plans count days from it: within the dates the tool computes with
    precision: Literal["day", "month"] = "day"  # "month": only the month is known
    title: Text
    sources: list[str] = _empty(list)
    step: bool = False  # a step of the policy itself (shown in plans), not just context
    # When it was first publicly known (announcement or first report). Assessed before that
    # date, rules about it are hindsight. Left out: treated as known whenever assessed.
    announced: dt.date | None = None


@_data
class Metric:
    id: Id
    unit: Unit
    label: Text
    formula: NonEmpty
    impact: bool = False  # shown among the money/client figures of every report


@_data
class Factor:
    id: Id
    weight: Annotated[float, Field(gt=0, le=100)]
    label: Text
    explain: Text
    formula: NonEmpty
    saturation: Annotated[float, Field(gt=0)] = 1.0  # the raw value that scores in full


@_data
class Phase:
    id: Id
    title: Text
    deadline: Id | None = None  # an event id; None for the last, open-ended phase


Level = Annotated[int, Field(ge=1, le=5)]


@_data
class Measure:
    """What a risk rule sizes: a ``share`` metric, read on one of the pack's ``[scales]``."""

    metric: Id
    scale: Id


@_data
class Steps:
    """A likelihood that depends on a number: ``levels[i]`` below ``at[i]``, the last from ``at[-1]``."""

    field: str  # a profile field or metric.<id>
    at: Annotated[list[float], Field(min_length=1)]
    levels: Annotated[list[Level], Field(min_length=2)]


@_data
class Later:
    """Wording once ``event`` has passed on the assessment date (a rule's own event by default)."""

    event: Id | None = None
    title: Text
    rationale: Text | None = None
    kpi: Text | None = None  # actions only


@_data
class Rule:
    id: RuleId
    kind: FindingKind = "risk"
    # A risk's severity is derived: the level of likelihood x impact in the risk matrix.
    # Given on a risk rule it is ignored (a policy validate warning); positive findings
    # and opportunities are always "info".
    severity: Severity | None = None
    category: Category
    title: Text
    rationale: Text
    when: Condition
    evidence: list[str] = _empty(list)
    actions: list[str] = _empty(list)
    sources: Annotated[list[str], Field(min_length=1)]
    event: Id | None = None  # the policy step this rule is about
    until: Id | None = None  # after this event the rule no longer applies
    act_by: Id | None = None  # an event the actions it requires must be done by, if before their phase ends
    likelihood: Level | Steps = 3
    measure: Measure | None = None  # sizes the impact; the rule is not raised when it is 0
    impact: Level | Id = 3  # without a measure: fixed, or (older packs) a factor id to scale with
    treatment: Treatment = "mitigate"
    after: Later | None = None


@_data
class Need:
    """A dependency that holds only in some cases: ``action`` comes first when ``when`` holds."""

    when: Condition
    action: RuleId


@_data
class Action:
    id: RuleId
    strategy: Strategy
    phase: Id
    owner: Id  # a role id
    effort: str
    title: Text
    kpi: Text
    depends_on: list[str] = _empty(list)
    needs: list[Need] = _empty(list)  # conditional dependencies, e.g. building a presence before moving there
    until: Id | None = None  # pointless once this event has passed
    sources: list[str] = _empty(list)
    not_before: Id | None = None  # an event id: the action cannot start before that date
    done_when: Condition | None = None  # its outcome is already in place: the plan lists it as such
    only_if: Condition | None = None  # otherwise it does not apply to this MCN (listed, with why)
    act_from: Severity = "medium"  # called for only by weaker findings: optional
    min_days: Annotated[int, Field(ge=1, le=365)] = 3  # the fewest days it takes at any size
    after: Later | None = None


# --- who supplies what, and how big an agency is -----------------------------------------


@_data
class Partner:
    """A supply partner a profile may list in ``supply_chain.partners``, and where its goods sell."""

    id: Id
    names: Annotated[list[NonEmpty], Field(min_length=1)]  # how profiles may write it (any case)
    platform: Id  # the platform whose live cart its goods supply (or whose links the policy kept)
    categories: Annotated[list[NonEmpty], Field(min_length=1)]
    coverage: Annotated[float, Field(ge=0, le=1)] = 0.0  # share of a typical live schedule it can fill
    since: Id | None = None  # an event id: from when it supplies that platform
    note: Text | None = None  # what a report says when a profile lists it
    sources: Annotated[list[str], Field(min_length=1)]


@_data
class Tier:
    """An agency size: who owns the plan's actions, what it cannot carry, how fast it moves.

    An agency's tier is the larger of its tier by creators and its tier by monthly GMV;
    the last tier has no limits.
    """

    id: Id
    title: Text
    max_creators: Annotated[int, Field(ge=0)] | None = None
    max_monthly_gmv_cny: Annotated[float, Field(ge=0)] | None = None
    owners: dict[str, Id] = _empty(dict)  # role -> the role owning its actions at this size; "*": every role
    effort_scale: Annotated[float, Field(gt=0, le=2)] = 1.0
    parallel: Annotated[int, Field(ge=1)] | None = None  # actions one owner runs at once (None: no limit)
    drop: list[RuleId] = _empty(list)  # actions an agency this size cannot carry: listed, not planned
    optional: list[RuleId] = _empty(list)  # actions it may take on, never required of it
    basis: Text


@_data
class Favoured:
    """When the closed loop helps an MCN more than it hurts: its hedges become optional."""

    when: Condition
    hedges: Annotated[list[RuleId], Field(min_length=1)]
    why: Text


# --- decision support: levers (checked and compiled in levers.py) -----------------------


@_data
class LeverChange:
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


@_data
class LeverMoney:
    """What a lever wins back of the GMV a part of the money ladder loses (``[money]``): a share
    of it, reached ``ramp_days`` after its action is due. Several levers of a plan multiply
    (each wins back its share of what the others leave), so together they never exceed it."""

    part: Id = "all"  # a [[money.parts]] id, or "all"
    recovers: NonEmpty  # a formula: the share of that part's lost GMV won back (clamped to 0..1)
    ramp_days: Annotated[int, Field(ge=0, le=365)] = 0
    to_stores: bool = False  # what it wins back moves into Douyin stores (store-service fees count it)


@_data
class Lever:
    """A move an MCN can make, as a realistic step over profile fields, tied to an action.

    ``changes`` model the step on the profile (what-if, the score); ``money`` what it wins back
    on the money ladder. A lever whose action only carries money (repricing quotes) may change
    no field.
    """

    id: Id
    action: RuleId
    effort: str
    title: Text
    step: Text  # what the changes model, and what they assume
    when: Condition | None = None  # where the lever applies; tried everywhere when left out
    changes: list[LeverChange] = _empty(list)
    money: LeverMoney | None = None
    sources: list[str] = _empty(list)


@_data
class LeverRanking:
    """Kept so that older packs load: levers now rank by money per week of effort, and
    ``revenue_points`` is ignored (a policy validate warning)."""

    revenue_points: Annotated[float, Field(ge=0, le=100)] | None = None


# --- money: from gross exposure to net effect (core/money.py) ---------------------------


@_data
class Rate:
    """A constant formulas read as ``rate.<id>``: a fact with its sources, or a stated assumption."""

    value: float
    title: Text  # what it is, e.g. "Store-operation fee, of the store GMV operated"
    sources: list[str] = _empty(list)
    assumption: Text | None = None  # why this value, when no source gives it
    span: Annotated[list[float], Field(min_length=2, max_length=2)] | None = None  # plausible, for the README


@_data
class MoneyPart:
    """A slice of the GMV at risk, lost from a step of the policy unless it moves by itself.

    The parts' shares sum to 1: the last part's ``share`` is ``"rest"``.
    """

    id: Id
    title: Text
    share: NonEmpty  # a formula, or "rest": what the parts above leave
    lost_from: Id  # an event
    moves: NonEmpty = "0"  # a formula: the share of it that moves into the platform by itself
    moves_days: Annotated[int, Field(ge=0, le=365)] = 0  # days after lost_from it takes to move
    moved_by: RuleId | None = None  # with the plan, this action moves it by its due date
    basis: Text | None = None  # why it moves (or not) by itself


@_data
class Reduction:
    """From an action's due date, a transitional cost is cut by the share ``by``."""

    action: RuleId
    by: NonEmpty  # a formula, clamped to 0..1
    upside: Id | None = None  # what it saves is shown as this window-only upside item


@_data
class Transitional:
    """A cost that runs only between two steps (the Star Map fee, tasks outside Star Map): it
    is in the month-by-month path, never in the steady-state ladder."""

    id: Id
    title: Text
    monthly: NonEmpty  # a formula: the agency's margin it costs a month, without the plan
    starts: Id  # an event
    until: Id  # an event
    with_action: RuleId | None = None  # it exists only with the plan, from this action's due date
    reduced_by: list[Reduction] = _empty(list)


@_data
class Upside:
    """New money the closed loop opens to an MCN whose plan takes ``action``.

    A steady item has a ``formula`` (CNY a month once ramped up, over ``ramp_days`` from the
    action's due date, never before ``starts``); a window-only item (``window = true``) has
    none: it is what a transitional cost's reductions tagged with its id save.
    """

    id: Id
    title: Text
    action: RuleId | None = None
    formula: NonEmpty | None = None
    ramp_days: Annotated[int, Field(ge=0, le=365)] = 0
    starts: Id | None = None  # an event
    window: bool = False
    basis: Text | None = None


Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]


@_data
class Money:
    """The money ladder and the month-by-month path (``core/money.py``)."""

    margin: NonEmpty = "agency.commission_rate * (1 - agency.creator_share)"  # per yuan of GMV
    # The agency's revenue a month, estimated, to show the net effect's scale (0 or unknown: not shown).
    revenue: NonEmpty | None = None
    neutral_band: Annotated[float, Field(ge=0, le=1)] = 0.02  # |net| within this share of the margin at risk
    months: Annotated[int, Field(ge=1, le=36)] = 6  # the path's horizon, at least
    marks: list[Id] = _empty(list)  # events marked on the path; left out: the policy's steps
    season: dict[Month, Annotated[float, Field(gt=0, le=10)]] = _empty(dict)  # month -> factor (path only)
    season_basis: Text | None = None
    season_sources: list[str] = _empty(list)
    parts: Annotated[list[MoneyPart], Field(min_length=1)]
    upside: list[Upside] = _empty(list)
    transitional: list[Transitional] = _empty(list)


Direction = Literal["+", "-"]


@_data
class FieldRange:
    """The plausible values of a field a profile may leave out, and which way each output moves
    as it rises (outputs: ``score``, ``gross``, ``expected``, ``residual`` and the steady upside
    items' ids; outputs not named do not move). A profile that leaves the field out gets ranges
    computed at the corners of these spans. Bounds are numbers, true/false, lists, or formulas
    over given fields (``"0.2 * agency.monthly_gmv_cny"``). For a whole table (a mix), ``vary``
    names the share that varies; the others rescale.
    """

    span: Annotated[list[Any], Field(min_length=2, max_length=2)]  # [low, high]
    vary: str | None = None
    moves: dict[str, Direction] = _empty(dict)


# --- fixtures: the pack's own tests (mcn-advisor policy test) ---------------------------
# Small profiles with the findings and band they must give. They are validated with the
# pack (a fixture naming no rule is a pack error) and run by ``selftest.run_fixtures``.


@_data
class Expect:
    band: Band | None = None
    severity: dict[str, Severity] = _empty(dict)  # rule id -> the severity it must have when it fires
    fire: list[str] = _empty(list)  # rules that must hold (findings, positives, opportunities)
    silent: list[str] = _empty(list)  # rules that must not hold
    undecided: list[str] = _empty(list)  # rules that must stay undecided (a field they test is left out)


@_data
class Fixture:
    id: Id
    about: Text | NonEmpty  # what the fixture stands for, one line: {en, zh}, or one string for both

    @field_validator("about", mode="before")
    @classmethod
    def _one_text_for_both(cls, value: Any) -> Any:
        return _both_languages(value)

    as_of: AssessmentDate  # the date it is assessed at
    profile: FixtureProfile  # validated as one (schema_version may be left out), held as a Profile
    expect: Expect


@_data
class PackModel:
    schema_version: Literal[1]
    pack: PackInfo
    scoring: Scoring = Scoring()
    risk_matrix: RiskMatrix = RiskMatrix()
    scales: dict[Id, Scale] = _empty(dict)
    effort: dict[str, Annotated[int, Field(ge=1, le=365)]]
    roles: dict[Id, Text]
    sources: dict[str, Source]
    events: Annotated[list[Event], Field(min_length=1)]
    metrics: list[Metric]
    factors: Annotated[list[Factor], Field(min_length=1)]
    phases: Annotated[list[Phase], Field(min_length=1)]
    rules: Annotated[list[Rule], Field(min_length=1)]
    actions: list[Action]
    partners: list[Partner] = _empty(list)
    tiers: list[Tier] = _empty(list)  # none: one size, every role its own owner
    favoured: Favoured | None = None
    fixtures: list[Fixture] = _empty(list)  # the pack's own tests, run by `mcn-advisor policy test`
    lever_ranking: LeverRanking = LeverRanking()
    levers: list[Lever] = _empty(list)
    rates: dict[Id, Rate] = _empty(dict)
    money: Money | None = None  # left out: one part, all of it lost at the last step, no upside
    ranges: dict[str, FieldRange] = _empty(dict)  # by the field (or table) a profile leaves out
