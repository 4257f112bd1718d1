"""Policy packs: a platform policy as data (events, metrics, factors, rules, actions).

A pack is a TOML file. ``load_pack`` validates it completely when it loads (every
field a condition or formula names, every reference between rules, actions, events
and sources, dependency cycles, weights, dates, both languages of every text) and
compiles its conditions and formulas once; the engine then only runs closures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from mcn_advisor.errors import PackError
from mcn_advisor.files.problems import describe, did_you_mean, format_problems, show_value
from mcn_advisor.files.toml import Loc, key_lines, line_of, parse_toml, read_text
from mcn_advisor.i18n.text import Text
from mcn_advisor.pack.conditions import Condition, Evaluator, Test, compile_condition, tests_in
from mcn_advisor.pack.formulas import Formula, FormulaError, compile_formula
from mcn_advisor.profile.model import FIELDS, SCHEMA_VERSION, SHARES, Profile, mix_of
from mcn_advisor.vocab import Band, Category, FindingKind, Severity, Strategy, Treatment, Unit

REQUIRED_METRICS = ("gmv_at_risk_cny_monthly", "revenue_at_risk_cny_monthly")
WEIGHT_TOTAL = 100.0

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
RuleId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PackInfo(_Data):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    version: NonEmpty
    platform: Id
    title: Text
    summary: Text
    profile_schema: Literal[1] = SCHEMA_VERSION


class Scoring(_Data):
    """Exposure bands: a score below ``low`` is low, below ``moderate`` moderate, ..."""

    low: Annotated[float, Field(gt=0, lt=100)] = 25
    moderate: Annotated[float, Field(gt=0, lt=100)] = 50
    high: Annotated[float, Field(gt=0, lt=100)] = 75


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


# --- decision support: levers (the checks and compiling are at the end of this file) ------


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

    revenue_points: Annotated[float, Field(ge=0, le=100)] = 50


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


# --- the compiled pack the engine runs -----------------------------------------------


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    evaluate: Evaluator
    tests: tuple[Test, ...]
    texts: tuple[str, ...]  # each test as written, in the order the trace records them


@dataclass(frozen=True, eq=False)  # hashed by identity: engines cache per pack
class Pack:
    """A validated, compiled policy pack."""

    model: PackModel
    source: str
    metrics: tuple[tuple[Metric, Formula], ...]
    factors: tuple[tuple[Factor, Formula], ...]
    rules: tuple[CompiledRule, ...]
    events: dict[str, Event]
    actions: dict[str, Action]  # in plan order: phase, then dependencies first, then id
    phase_index: dict[str, int]
    fields_read: frozenset[str]  # profile fields any formula, condition or evidence reads
    metric_inputs: dict[str, frozenset[str]]  # metric id -> the profile fields behind it
    text: str = field(default="", repr=False)  # the TOML it came from, to point messages at lines
    levers: tuple[CompiledLever, ...] = ()
    done_when: dict[str, Evaluator] = dataclasses.field(default_factory=dict)  # action id -> check

    @property
    def id(self) -> str:
        return self.model.pack.id

    @functools.cached_property
    def lines(self) -> dict[Loc, int]:
        """Key path -> line in ``text`` (computed on first use: only messages need it)."""
        return key_lines(self.text)

    def where(self, loc: Loc) -> str:
        """``source:line`` of a key path (or just ``source`` when the line is unknown)."""
        line = line_of(self.lines, loc)
        return f"{self.source}:{line}" if line else self.source


def condition_fields(metric_ids: list[str] | tuple[str, ...]) -> dict[str, str]:
    """The names a condition may test: profile fields and ``metric.<id>``, with their kind."""
    known = {path: spec.kind for path, spec in FIELDS.items()}
    known.update({f"metric.{m}": "number" for m in metric_ids})
    return known


def load_pack(path: Path | str) -> Pack:
    """Read, validate and compile a pack file; raise ``PackError`` listing every problem."""
    path = Path(path)
    text = read_text(path, PackError)
    return pack_from_text(text, str(path))


def builtin_pack(name: str = "douyin_2020") -> Pack:
    """A pack shipped inside the package (loaded once per process)."""
    return _builtin_pack(name)


@functools.lru_cache(maxsize=8)  # keyed by name, so builtin_pack() and builtin_pack("douyin_2020") agree
def _builtin_pack(name: str) -> Pack:
    text = resources.files("mcn_advisor.pack").joinpath("builtin", f"{name}.toml").read_text("utf-8")
    return pack_from_text(text, f"<built-in {name}.toml>")


def pack_from_text(text: str, source: str) -> Pack:
    data = parse_toml(text, source, PackError)
    if "pack" not in data and "agency" in data:  # a profile given where a pack belongs: say that, once
        raise PackError(f"{source}: this is a profile, not a policy pack (it has [agency] and no [pack])")
    metric_ids = [m.get("id") for m in data.get("metrics", []) if isinstance(m, dict)]
    context = {"fields": condition_fields([m for m in metric_ids if isinstance(m, str)])}
    try:
        model = PackModel.model_validate(data, context=context)
    except ValidationError as exc:
        raise PackError(describe(exc, PackModel, source, key_lines(text))) from None
    problems = list(_cross_check(model))
    metrics, factors, metric_inputs = _compile_formulas(model, problems)
    levers = _compile_levers(model, problems, metric_inputs)
    if problems:
        raise PackError(format_problems(source, key_lines(text), problems))
    done = {a.id: compile_condition(a.done_when) for a in model.actions if a.done_when is not None}
    return dataclasses.replace(
        _build(model, source, metrics, factors, metric_inputs, text), levers=levers, done_when=done
    )


def _duplicates(items: list[Any], name: str) -> Iterator[tuple[Loc, str]]:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.id in seen:
            yield (name, i, "id"), f"duplicate id '{item.id}' (first at {name}[{seen[item.id]}])"
        seen.setdefault(item.id, i)


def _ref(loc: Loc, value: str | None, known: Any, what: str) -> Iterator[tuple[Loc, str]]:
    if value is not None and value not in known:
        yield loc, f"unknown {what} '{value}'{did_you_mean(value, known)}"


def _cross_check(m: PackModel) -> Iterator[tuple[Loc, str]]:
    for name in ("events", "metrics", "factors", "phases", "rules", "actions"):
        yield from _duplicates(getattr(m, name), name)
    events = {e.id: e for e in m.events}
    actions = {a.id: a for a in m.actions}
    factors = {f.id for f in m.factors}
    phases = [p.id for p in m.phases]
    metric_names = condition_fields([x.id for x in m.metrics])

    if not m.scoring.low < m.scoring.moderate < m.scoring.high:
        yield ("scoring",), "bands must rise: low < moderate < high"
    if not m.risk_matrix.low < m.risk_matrix.medium < m.risk_matrix.high:
        yield ("risk_matrix",), "bands must rise: low < medium < high"
    total = sum(f.weight for f in m.factors)
    if abs(total - WEIGHT_TOTAL) > 1e-6:
        yield ("factors",), f"weights sum to {total:g}, must sum to {WEIGHT_TOTAL:g}"
    for required in REQUIRED_METRICS:
        if required not in {x.id for x in m.metrics}:
            yield ("metrics",), f"the pack must define metric '{required}' (every report shows it)"

    for i in range(1, len(m.events)):
        if m.events[i].date < m.events[i - 1].date:
            yield (
                ("events", i, "date"),
                (
                    f"events must be listed in date order: {m.events[i].date} is listed after "
                    f"'{m.events[i - 1].id}' ({m.events[i - 1].date})"
                ),
            )
    for i, e in enumerate(m.events):
        for j, s in enumerate(e.sources):
            yield from _ref(("events", i, "sources", j), s, m.sources, "source")

    last_deadline: dt.date | None = None
    for i, p in enumerate(m.phases):
        yield from _ref(("phases", i, "deadline"), p.deadline, events, "event")
        if p.deadline in events:
            date = events[p.deadline].date
            if last_deadline and date <= last_deadline:
                yield ("phases", i, "deadline"), "phase deadlines must come in date order"
            last_deadline = date
        elif p.deadline is None and i != len(m.phases) - 1:
            yield ("phases", i, "deadline"), "only the last phase may have no deadline"

    for i, r in enumerate(m.rules):
        loc: Loc = ("rules", i)
        yield from _ref((*loc, "event"), r.event, events, "event")
        yield from _ref((*loc, "until"), r.until, events, "event")
        for j, a in enumerate(r.actions):
            yield from _ref((*loc, "actions", j), a, actions, "action")
        for j, s in enumerate(r.sources):
            yield from _ref((*loc, "sources", j), s, m.sources, "source")
        for j, ev in enumerate(r.evidence):
            yield from _ref((*loc, "evidence", j), ev, metric_names, "field")
        if isinstance(r.impact, str):
            yield from _ref((*loc, "impact"), r.impact, factors, "factor")
        if r.kind == "positive" and r.severity != "info":
            yield (*loc, "severity"), "a positive finding must have severity 'info'"

    for i, a in enumerate(m.actions):
        loc = ("actions", i)
        yield from _ref((*loc, "phase"), a.phase, phases, "phase")
        yield from _ref((*loc, "owner"), a.owner, m.roles, "role")
        yield from _ref((*loc, "effort"), a.effort, m.effort, "effort size")
        yield from _ref((*loc, "until"), a.until, events, "event")
        for j, s in enumerate(a.sources):
            yield from _ref((*loc, "sources", j), s, m.sources, "source")
        for j, dep in enumerate(a.depends_on):
            yield from _ref((*loc, "depends_on", j), dep, actions, "action")
            if (
                dep in actions
                and a.phase in phases
                and actions[dep].phase in phases
                and phases.index(actions[dep].phase) > phases.index(a.phase)
            ):
                yield (
                    (*loc, "depends_on", j),
                    (f"'{dep}' is in a later phase ('{actions[dep].phase}') than '{a.id}' ('{a.phase}')"),
                )
    first_of = {a.id: a for a in reversed(m.actions)}  # a duplicate id is reported above, not as a cycle
    cycle = _find_cycle({i: [d for d in a.depends_on if d in actions] for i, a in first_of.items()})
    if cycle:
        first = next(i for i, a in enumerate(m.actions) if a.id == cycle[0])
        yield ("actions", first, "depends_on"), "dependency cycle: " + " -> ".join(cycle)
    yield from _check_dates(m, events)
    yield from _check_fixtures(m, events)


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def _plan_order(m: PackModel) -> list[str]:
    """Actions by phase, each after everything it depends on, ties broken by id."""
    phase_of = {p.id: i for i, p in enumerate(m.phases)}
    deps = {a.id: set(a.depends_on) for a in m.actions}
    key = {a.id: (phase_of[a.phase], a.id) for a in m.actions}
    done: list[str] = []
    placed: set[str] = set()
    while len(done) < len(deps):
        ready = [a for a in deps if a not in placed and deps[a] <= placed]
        nxt = min(ready, key=key.__getitem__)
        done.append(nxt)
        placed.add(nxt)
    return done


def _compile_formulas(
    m: PackModel, problems: list[tuple[Loc, str]]
) -> tuple[list[tuple[Metric, Formula]], list[tuple[Factor, Formula]], dict[str, frozenset[str]]]:
    """Compile metric and factor formulas, appending what does not compile to ``problems``."""
    numeric = {p for p, spec in FIELDS.items() if spec.kind in ("number", "bool", "list")}
    metric_inputs: dict[str, frozenset[str]] = {}  # metric id -> profile fields it reads

    def known(name: str) -> str | None:
        if name.startswith("metric."):
            if name[7:] in metric_inputs:
                return None
            ids = [f"metric.{x}" for x in metric_inputs]
            hint = did_you_mean(name, ids) or " (a metric may only use metrics defined above it)"
            return f"unknown metric '{name}'{hint}"
        if name in numeric:
            return None
        if name in FIELDS:
            return f"field '{name}' is {FIELDS[name].kind}, not a number"
        return f"unknown field '{name}'{did_you_mean(name, numeric)}"

    metrics: list[tuple[Metric, Formula]] = []
    for i, metric in enumerate(m.metrics):
        try:
            formula = compile_formula(metric.formula, known)
        except FormulaError as exc:
            problems.append((("metrics", i, "formula"), str(exc)))
            metric_inputs[metric.id] = frozenset()  # known, so later uses do not cascade
            continue
        metrics.append((metric, formula))
        metric_inputs[metric.id] = _profile_fields(formula.names, metric_inputs)
    factors: list[tuple[Factor, Formula]] = []
    for i, factor in enumerate(m.factors):
        try:
            factors.append((factor, compile_formula(factor.formula, known)))
        except FormulaError as exc:
            problems.append((("factors", i, "formula"), str(exc)))
    return metrics, factors, metric_inputs


def _profile_fields(names: Any, metric_inputs: dict[str, frozenset[str]]) -> frozenset[str]:
    """The profile fields behind names, looking through metrics to what they read."""
    out: set[str] = set()
    for name in names:
        out |= metric_inputs.get(name[7:], set()) if name.startswith("metric.") else {name}
    return frozenset(out)


def _build(
    m: PackModel,
    source: str,
    metrics: list[tuple[Metric, Formula]],
    factors: list[tuple[Factor, Formula]],
    metric_inputs: dict[str, frozenset[str]],
    text: str = "",
) -> Pack:
    rules = tuple(
        CompiledRule(
            rule=r,
            evaluate=compile_condition(r.when),
            tests=tuple(tests_in(r.when)),
            texts=tuple(t.text() for t in tests_in(r.when)),
        )
        for r in m.rules
    )
    read: set[str] = set()
    for _, formula in (*metrics, *factors):
        read.update(formula.names)
    for r in rules:
        read.update(t.field for t in r.tests)
        read.update(r.rule.evidence)
    by_id = {a.id: a for a in m.actions}
    return Pack(
        model=m,
        source=source,
        metrics=tuple(metrics),
        factors=tuple(factors),
        rules=rules,
        events={e.id: e for e in m.events},
        actions={a: by_id[a] for a in _plan_order(m)},
        phase_index={p.id: i for i, p in enumerate(m.phases)},
        fields_read=_profile_fields(read, metric_inputs),
        metric_inputs=metric_inputs,
        text=text,
    )


# --- fixtures and date checks (policy validate / policy test) --------------------------
# A pack carries its own tests: small profiles with the findings and band they must
# give. They are validated with the pack (a fixture naming no rule is a pack error)
# and run by ``packcheck.run_fixtures``.


class FixtureProfile(Profile):
    """A fixture's profile: a profile whose ``schema_version`` may be left out."""

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


PackModel.model_rebuild()


def _check_dates(m: PackModel, events: dict[str, Event]) -> Iterator[tuple[Loc, str]]:
    """Dates that contradict each other: a rule ending before its own step, an action
    that may not start before its phase's deadline or that expires before it may start."""
    on = {e.id: e.date for e in m.events}
    for i, r in enumerate(m.rules):
        if r.event in on and r.until in on and on[r.until] <= on[r.event]:
            yield (
                ("rules", i, "until"),
                f"'{r.until}' ({on[r.until]}) must come after the rule's event '{r.event}' ({on[r.event]})",
            )
    deadlines = {p.id: p.deadline for p in m.phases}
    for i, a in enumerate(m.actions):
        yield from _ref(("actions", i, "not_before"), a.not_before, events, "event")
        if a.not_before not in on:
            continue
        start, deadline = on[a.not_before], deadlines.get(a.phase)
        if deadline in on and start >= on[deadline]:
            yield (
                ("actions", i, "not_before"),
                f"'{a.not_before}' ({start}) is not before the deadline of phase '{a.phase}' "
                f"({on[deadline]}); move the action to a later phase",
            )
        if a.until in on and on[a.until] <= start:
            yield (
                ("actions", i, "until"),
                f"'{a.until}' ({on[a.until]}) must come after not_before '{a.not_before}' ({start})",
            )


def _check_fixtures(m: PackModel, events: dict[str, Event]) -> Iterator[tuple[Loc, str]]:
    yield from _duplicates(m.fixtures, "fixtures")
    rules = {r.id: r for r in m.rules}
    for i, f in enumerate(m.fixtures):
        loc: Loc = ("fixtures", i)
        if f.profile.as_of is not None:
            yield (
                (*loc, "profile", "as_of"),
                "a fixture's date is its own as_of (next to id), not the profile's",
            )
        e = f.expect
        if e.band is None and not (e.fire or e.silent or e.undecided):
            yield (*loc, "expect"), "expects nothing; give a band, or rules to fire, stay silent or undecided"
        seen: dict[str, str] = {}
        for key in ("fire", "silent", "undecided"):
            for j, rule_id in enumerate(getattr(e, key)):
                where: Loc = (*loc, "expect", key, j)
                if rule_id not in rules:
                    yield where, f"unknown rule '{rule_id}'{did_you_mean(rule_id, rules)}"
                    continue
                if rule_id in seen:
                    yield where, f"'{rule_id}' is already expected to {_VERB[seen[rule_id]]}"
                    continue
                seen[rule_id] = key
                until = rules[rule_id].until
                if key != "silent" and until in events and f.as_of >= events[until].date:
                    yield (
                        where,
                        f"'{rule_id}' no longer applies on {f.as_of} (it ends with '{until}', "
                        f"{events[until].date}); expect it silent or move the fixture's as_of",
                    )


_VERB = {"fire": "fire", "silent": "stay silent", "undecided": "stay undecided"}


# --- decision support: checking and compiling levers -------------------------------------

LeverOp = Literal["set", "add", "formula", "move"]
_LEVER_OPS = ("set", "add", "formula", "move_to")
_KIND_TYPES: dict[str, tuple[type, ...]] = {
    "bool": (bool,),
    "number": (int, float),
    "str": (str,),
    "list": (list,),
    "date": (dt.date,),
}
_KIND_NEEDS = {
    "bool": "must be true or false",
    "number": "must be a number",
    "str": "must be text in quotes",
    "list": 'must be a list of texts, e.g. ["suning"]',
    "date": "must be a date (YYYY-MM-DD)",
}


@dataclass(frozen=True)
class LeverStep:
    """One compiled change: ``op`` on ``field`` (a move also writes ``to``)."""

    op: LeverOp
    field: str
    value: Any = None  # set, add
    formula: Formula | None = None  # formula; or a move's fraction when written as a formula
    to: str | None = None  # move
    fraction: float | None = None  # move, when a plain number


@dataclass(frozen=True)
class CompiledLever:
    lever: Lever
    applies: Evaluator | None
    steps: tuple[LeverStep, ...]
    reads: frozenset[str]  # profile fields its condition, formulas and changes read


def value_problem(path: str, value: Any) -> str | None:
    """Why ``value`` cannot be written to profile field ``path``, or None when it fits."""
    kind = FIELDS[path].kind
    fits = isinstance(value, _KIND_TYPES[kind]) and not (kind == "number" and isinstance(value, bool))
    if kind == "list" and fits:
        fits = all(isinstance(v, str) and v for v in value)
    got = f" (got {show_value(value)})"
    if not fits:
        return _KIND_NEEDS[kind] + got
    if path in SHARES and not 0 <= value <= 1:
        return "must be within 0..1" + got
    if kind == "number" and value < 0:
        return "must not be negative" + got
    return None


def _lever_formula(text: str, metric_ids: Any) -> Formula:
    numeric = [p for p, spec in FIELDS.items() if spec.kind in ("number", "bool", "list")]
    names = [*numeric, *(f"metric.{m}" for m in metric_ids)]

    def known(name: str) -> str | None:
        if name in names:
            return None
        if name in FIELDS:
            return f"field '{name}' is {FIELDS[name].kind}, not a number"
        return f"unknown field '{name}'{did_you_mean(name, names)}"

    return compile_formula(text, known)


def _lever_step(
    ch: LeverChange, loc: Loc, metric_ids: Any, problems: list[tuple[Loc, str]]
) -> LeverStep | None:
    """Check one change against the profile's fields and compile it; problems go to ``problems``."""
    given = [op for op in _LEVER_OPS if op in ch.model_fields_set]
    if len(given) != 1:
        found = ", ".join(given) or "none"
        problems.append((loc, f"give exactly one of set, add, formula, move_to (found: {found})"))
        return None
    op, path = given[0], ch.field
    if path not in FIELDS:
        problems.append(((*loc, "field"), f"unknown field '{path}'{did_you_mean(path, FIELDS)}"))
        return None
    if op != "move_to" and ch.fraction is not None:
        problems.append(((*loc, "fraction"), "'fraction' only goes with 'move_to'"))
    mix = mix_of(path)
    if mix and op != "move_to":
        problems.append(
            (
                (*loc, "field"),
                f"'{path}' is a share of {mix}, which must keep summing to 1: "
                f"change it with move_to another share of {mix}",
            )
        )
        return None
    kind = FIELDS[path].kind
    try:
        if op == "set":
            problem = value_problem(path, ch.set)
            if problem:
                problems.append(((*loc, "set"), problem))
                return None
            return LeverStep(op="set", field=path, value=ch.set)
        if op == "add":
            if kind != "list":
                problems.append(((*loc, "add"), f"'add' needs a list field; '{path}' is {kind}"))
                return None
            return LeverStep(op="add", field=path, value=ch.add)
        if op == "formula":
            if kind != "number":
                problems.append(((*loc, "formula"), f"a formula gives a number; '{path}' is {kind}"))
                return None
            return LeverStep(op="formula", field=path, formula=_lever_formula(ch.formula or "", metric_ids))
        to = ch.move_to or ""
        if to not in FIELDS:
            problems.append(((*loc, "move_to"), f"unknown field '{to}'{did_you_mean(to, FIELDS)}"))
            return None
        bad = [p for p in (path, to) if p not in SHARES]
        if bad or to == path or mix_of(to) != mix:
            why = (
                f"'{bad[0]}' is not a share"
                if bad
                else "a share cannot move to itself"
                if to == path
                else f"'{path}' and '{to}' must both be in the same mix, or both outside any mix"
            )
            problems.append(((*loc, "move_to"), why))
            return None
        fraction = ch.fraction
        number = isinstance(fraction, (int, float)) and not isinstance(fraction, bool)
        if not (number and 0 <= fraction <= 1) and not (isinstance(fraction, str) and fraction.strip()):
            got = "" if fraction is None else f" (got {show_value(fraction)})"
            why = f"'move_to' needs a fraction: a number in 0..1, or a formula{got}"
            problems.append(((*loc, "fraction"), why))
            return None
        if isinstance(fraction, str):
            return LeverStep(op="move", field=path, to=to, formula=_lever_formula(ch.fraction, metric_ids))
        return LeverStep(op="move", field=path, to=to, fraction=float(fraction))
    except FormulaError as exc:
        key = "fraction" if op == "move_to" else "formula"
        problems.append(((*loc, key), str(exc)))
        return None


def _compile_levers(
    m: PackModel, problems: list[tuple[Loc, str]], metric_inputs: dict[str, frozenset[str]]
) -> tuple[CompiledLever, ...]:
    """Check every lever (references, fields, types, mixes, formulas) and compile it."""
    problems.extend(_duplicates(m.levers, "levers"))
    actions = {a.id for a in m.actions}
    compiled: list[CompiledLever] = []
    for i, lever in enumerate(m.levers):
        loc: Loc = ("levers", i)
        problems.extend(_ref((*loc, "action"), lever.action, actions, "action"))
        problems.extend(_ref((*loc, "effort"), lever.effort, m.effort, "effort size"))
        for j, src in enumerate(lever.sources):
            problems.extend(_ref((*loc, "sources", j), src, m.sources, "source"))
        steps: list[LeverStep] = []
        written: dict[str, int] = {}
        for j, change in enumerate(lever.changes):
            step = _lever_step(change, (*loc, "changes", j), metric_inputs, problems)
            if step is None:
                continue
            for path in filter(None, (step.field, step.to)):
                if path in written:
                    problems.append(
                        ((*loc, "changes", j), f"'{path}' is already changed by changes[{written[path]}]")
                    )
                written.setdefault(path, j)
            steps.append(step)
        reads = set(written)
        for step in steps:
            reads |= _profile_fields(step.formula.names if step.formula else (), metric_inputs)
        tests = tests_in(lever.when) if lever.when else []
        reads |= _profile_fields([t.field for t in tests], metric_inputs)
        applies = compile_condition(lever.when) if lever.when else None
        compiled.append(
            CompiledLever(lever=lever, applies=applies, steps=tuple(steps), reads=frozenset(reads))
        )
    return tuple(compiled)
