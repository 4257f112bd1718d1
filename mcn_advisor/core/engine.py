"""The rules engine: ``assess(profile, pack, as_of) -> Assessment``, a pure function.

No I/O, no clock, no printing. Every number a report shows is computed here, in two
steps: ``evaluate`` computes the pack's metrics, the weighted exposure score and each
rule's outcome with its condition trace; ``explain`` turns that into the assessment:
figures with their inputs, findings with evidence, the risk register, assumptions and
confidence, and (through ``planner``) the dated plan.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import functools
import sys
from collections.abc import Callable, Iterable
from dataclasses import field
from typing import Any, NamedTuple

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
    Sizing,
    SourceRef,
    Stale,
    StatedMatrix,
    StatedScale,
    Summary,
    TimelineEvent,
    Undetermined,
)
from mcn_advisor.core.money import GMV, REVENUE, Money, money_of
from mcn_advisor.core.planner import Call, build_plan, served_rules, urgency
from mcn_advisor.errors import PackError
from mcn_advisor.i18n import t
from mcn_advisor.i18n.text import Text
from mcn_advisor.pack.compile import CompiledRule, Pack
from mcn_advisor.pack.conditions import Trace, compile_check, write_check
from mcn_advisor.pack.formulas import Code, write_formula
from mcn_advisor.pack.names import PARTNER_VALUES, PARTNERS_FIELD, profile_fields
from mcn_advisor.pack.schema import Factor, RiskMatrix, Rule, Scoring, Steps
from mcn_advisor.profile import acceptance
from mcn_advisor.profile.model import FIELDS, AcceptedRisk, Profile, flatten, partner_key
from mcn_advisor.records import record, warming
from mcn_advisor.vocab import SEVERITIES, SEVERITY_RANK

CONFIDENCE_LEVELS = (("high", 0.85), ("medium", 0.6), ("low", 0.0))
UNDETERMINED_PENALTY = 0.05  # confidence lost per rule of severity high or above left undecided
PRIORITIES = 3  # actions the executive summary names as the first to do
GROSS = (GMV, REVENUE)  # the pack's metrics that are the ladder's first rungs
NO_GUESS = Text(
    en="not given, and no fair guess exists: figures that need it are left out",
    zh="未提供且无法合理估计：依赖它的数字不予计算",
)
UNKNOWN_PARTNER = Text(
    en="not in the policy pack's partner table: counted as no in-platform partner. If its goods sell "
    "inside the platform without a redirect, they are platform-store goods: leave them out of the "
    "third-party link share",
    zh="不在新规数据包的站内货源表中：按未接入站内货源计算。若其商品无需跳转即可在平台内成交，"
    "则属于平台小店商品，不应计入外链成交占比",
)
ELSEWHERE_PARTNER = Text(
    en="its goods supply another platform's cart: not counted as an in-platform partner here",
    zh="其商品供应的是其他平台的购物车：此处不计为站内货源",
)
NOT_YET_PARTNER = Text(
    en="its goods supply this platform only from a later date: not counted yet",
    zh="其商品要到更晚的日期才进入本平台：暂不计入",
)


_INFO = -SEVERITY_RANK["info"]


class Size(NamedTuple):  # a tuple: thousands are made per second in a batch
    """A risk rule's likelihood x impact, and the level of that rating: its severity."""

    likelihood: int
    impact: int
    rating: int
    level: str
    value: float | None  # the measure (None: the rule fixes its impact)


Checked = tuple[CompiledRule, "bool | None", str, bool]  # a rule in force, its result, its id, a risk?
# a rule that holds, as its sort key: -severity rank, -rating, its id, the rule, a risk?
Ranked = tuple[int, int, str, CompiledRule, bool]


@record
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
    checked: list[Checked]  # rules in force at as_of, and their results
    accepted: dict[str, AcceptedRisk] = field(default_factory=dict)  # the profile's, by rule id
    sizes: dict[str, Size] = field(default_factory=dict)  # risk rules that hold or are undecided
    hindsight: frozenset[str] = frozenset()  # rules about a step not yet announced on as_of
    # The rules known on as_of (not in ``hindsight``) that hold, each as its sort key (-severity
    # rank, -rating, rule id, rule, a risk?), sorted; and those left undecided, as (severity,
    # rule), in the pack's order: made as each rule is decided, so a summary row sorts nothing.
    ranked: list[Ranked] = field(default_factory=list)
    undecided: list[tuple[str, CompiledRule]] = field(default_factory=list)
    _outcomes: list[tuple[CompiledRule, bool | None, Trace]] | None = field(
        default=None,
        init=False,
        repr=False,
        compare=False,  # a cache of checked, made on demand
    )

    @property
    def outcomes(self) -> list[tuple[CompiledRule, bool | None, Trace]]:
        """``checked`` with each rule's trace (every test, the value it saw and its result),
        made when first asked for: a batch's summary reads the results only."""
        if self._outcomes is None:
            self._outcomes = [(c, held, self.trace(c)) for c, held, _, _ in self.checked]
        return self._outcomes

    def trace(self, compiled: CompiledRule) -> Trace:
        """A rule's trace: its condition run again, traced, on the same values (``values`` and
        ``unknown`` are never changed once ``evaluate`` has made them)."""
        trace: Trace = []
        compiled.evaluate(self.values, self.unknown, trace)
        return trace

    def severity(self, rule: Rule) -> str:
        """A risk's severity is its size's level; positive findings and opportunities are info."""
        size = self.sizes.get(rule.id)
        return size.level if size is not None else "info"

    def held(self) -> list[CompiledRule]:
        """Rules that hold and were known on as_of (findings and opportunities), most severe
        first, then the highest rating, then by id (as ``finding_order``)."""
        return [c for _, _, _, c, _ in self.ranked]

    def at_risk(self) -> tuple[float, float]:
        """Monthly GMV and agency revenue at risk, rounded as every report shows them."""
        return _money(self.values["metric.gmv_at_risk_cny_monthly"]), _money(
            self.values["metric.revenue_at_risk_cny_monthly"]
        )


def evaluate(profile: Profile, pack: Pack, as_of: dt.date) -> Evaluation:
    """Compute the metrics, the exposure score and every rule's outcome (traced when asked).

    The profile's accepted risks are taken as they are (an acceptance of a rule the pack
    does not have accepts nothing): the loader checks them, with file and line, against
    the rules it is given (``profile.load.load_profile(path, rule_book(packs))``).
    """
    values, missing = flatten(profile)
    unknown: set[str] = set(missing)
    program = _program(pack)
    _read_partners(values, missing, unknown, pack, as_of)
    factors, score, checked, sizes, hindsight, ranked, undecided = program.run(
        values, missing, unknown, as_of
    )
    band = _band(score, program.bands)
    return Evaluation(
        agency=profile.agency.name,
        as_of=as_of,
        values=values,
        missing=missing,
        unknown=unknown,
        factors=factors,
        score=score,
        band=band,
        checked=checked,
        accepted=acceptance.by_rule(profile),
        sizes=sizes,
        hindsight=frozenset(hindsight),
        ranked=ranked,
        undecided=undecided,
    )


Outcome = tuple[
    list[tuple[Factor, float, float]],
    float,
    list[Checked],
    dict[str, Size],
    list[str],
    list[Ranked],
    list[tuple[str, CompiledRule]],
]
Run = Callable[[dict[str, Any], frozenset[str], set[str], dt.date], Outcome]
# Evaluations of a pack in one process before its evaluation is written as Python. Writing it
# (compiling ~750 lines) costs about 60M instructions, what ~300 evaluations save: a batch of a
# few hundred rows gains from it, and a single report (levers: one evaluation a lever and pack,
# 14 for the built-in Douyin pack) never writes it.
EVALUATE_AFTER = 50


def _interpreted(program: _Program, pack: Pack) -> Run:
    """A pack's evaluation run through its closures: formulas, conditions and sizers one call each.

    ``run(values, missing, unknown, as_of)`` sets each metric in ``values`` (and in ``unknown``
    when it rests on a field left out), and returns the factors, the score, the rules in force
    with their results, the risks' sizes, the rules about a step not yet announced, and those
    known on as_of that hold (ranked) or are left undecided (``Evaluation.ranked``)."""

    def run(values: dict[str, Any], missing: frozenset[str], unknown: set[str], as_of: dt.date) -> Outcome:
        for name, formula, inputs in program.metrics:
            value = values[name] = formula(values)
            if value is None or not inputs.isdisjoint(missing):
                unknown.add(name)
            elif not -_LARGEST <= value <= _LARGEST:  # inf or nan: the pack's formula broke down
                raise _not_finite(pack, "metrics", name[len("metric.") :], value)
        factors, score = _scored(program, values, pack)
        factor_values = dict(zip(program.factor_ids, [value for _, _, value in factors], strict=True))
        checked: list[Checked] = []
        sizes: dict[str, Size] = {}
        hindsight: list[str] = []
        ranked: list[Ranked] = []
        undecided: list[tuple[str, CompiledRule]] = []
        for compiled, check, until, sizer, announced, rule_id, risk in program.rules:
            if until is not None and as_of >= until:
                continue  # the step it warns of has been overtaken by a later one
            held = check(values, unknown)
            size = None
            if sizer is not None and held is not False:
                size = sizer(values, factor_values)
                if held and size.value is not None and size.value <= 0.0:
                    held = False  # nothing to measure: a risk of size 0 is not raised
                else:
                    sizes[rule_id] = size
            if announced is not None and as_of < announced:
                hindsight.append(rule_id)
            elif held:
                ranked.append(
                    (_INFO, 0, rule_id, compiled, risk)
                    if size is None
                    else (-SEVERITY_RANK[size.level], -size.rating, rule_id, compiled, risk)
                )
            elif held is None:
                undecided.append(("info" if size is None else size.level, compiled))
            checked.append((compiled, held, rule_id, risk))
        ranked.sort()  # a pack's rule ids are distinct: the rule itself is never compared
        return factors, score, checked, sizes, hindsight, ranked, undecided

    return run


def _written(program: _Program, pack: Pack) -> Run:
    """``_interpreted`` as one Python function for the pack, written from its checked formula
    tokens and condition records (never from text): the same float operations in the same
    order, the same unknowns, the same inf/nan errors, the same results and sizes. A batch
    runs it for every profile after its first few (``EVALUATE_AFTER``): no call per formula,
    test or sizer, and each value read once."""
    code = Code("evaluation", "values, missing, unknown, as_of")
    code.scope.update(
        _pack=pack,
        _not_finite=_not_finite,
        _Size=Size,
        _new=tuple.__new__,
        _bisect=bisect.bisect_right,
    )
    lines = code.lines
    metrics = [code.local("m") for _ in program.metrics]
    factors = [(code.constant(x), code.local("f"), code.local("v")) for x, *_ in program.factors]
    _write_scored(program, pack, code, metrics, factors)
    factor_values = {x.id: value for (x, *_), (_, _, value) in zip(program.factors, factors, strict=True)}
    lines += [f"factors = [{', '.join(f'({x}, {raw}, {value})' for x, raw, value in factors)}]"]
    lines += ["checked = []", "sizes = {}", "hindsight = []", "ranked = []", "undecided = []"]
    for compiled, _, until, sizer, announced, rule_id, risk in program.rules:
        start = len(lines)
        held = write_check(compiled.rule.when, code)
        rule = code.constant(compiled)
        if sizer is not None:
            key, level = _write_size(compiled, pack, code, held, factor_values, rule)
        else:
            key, level = code.constant((_INFO, 0, rule_id, compiled, risk)), "'info'"
        decided = [
            f"if {held}:",
            f"    ranked.append({key})",
            f"elif {held} is None:",
            f"    undecided.append(({level}, {rule}))",
        ]
        if announced is not None:
            lines += [f"if as_of < {code.constant(announced)}:", f"    hindsight.append({rule_id!r})"]
            decided[0] = "el" + decided[0]
        lines += [*decided, f"checked.append(({rule}, {held}, {rule_id!r}, {risk}))"]
        if until is not None:  # the step it warns of may have been overtaken by a later one
            lines[start:] = [
                f"if as_of < {code.constant(until)}:",
                *(f"    {line}" for line in lines[start:]),
            ]
    lines += [
        "ranked.sort()",
        "return factors, round(score, 1), checked, sizes, hindsight, ranked, undecided",
    ]
    return code.function()  # type: ignore[no-any-return]


def _write_scored(
    program: _Program, pack: Pack, code: Code, metrics: list[str], factors: list[tuple[str, str, str]]
) -> None:
    """Lines setting each metric into its local in ``metrics`` and ``values`` (and ``unknown``),
    each factor's (factor, raw, value) into the locals of ``factors``, and ``score``. A value is
    finite when ``value - value`` is 0.0 (false); inf or nan give nan (true)."""
    for var, (name, _, inputs), (metric, formula) in zip(metrics, program.metrics, pack.metrics, strict=True):
        write_formula(formula.text, code, var)
        code.reads[name] = code.exact[name] = var  # later formulas and tests read the metric here
        left_out = f" or not {code.constant(inputs)}.isdisjoint(missing)" if inputs else ""
        code.lines += [
            f"values[{name!r}] = {var}",
            f"if {var} is None{left_out}:",
            f"    unknown.add({name!r})",
            f"elif {var} - {var}:",
            f"    raise _not_finite(_pack, 'metrics', {metric.id!r}, {var})",
        ]
    code.lines.append("score = 0.0")
    for (_, raw, value), (factor, _, saturation, weight, _), (_, formula) in zip(
        factors, program.factors, pack.factors, strict=True
    ):
        _write_factor(code, factor, formula, saturation, weight, raw, value)


def _write_factor(
    code: Code, factor: Factor, formula: Any, saturation: float, weight: float, raw: str, value: str
) -> None:
    """Lines computing a factor's raw value into ``raw``, its 0..1 value into ``value`` and
    adding it to ``score``, as ``_factor_value`` does: finite when ``raw - raw`` is 0.0 (false);
    inf or nan give nan and raise the pack's error naming the factor."""
    write_formula(formula.text, code, raw)
    code.lines += [
        f"{raw} = {raw} or 0.0",
        f"if {raw} - {raw}:",
        f"    raise _not_finite(_pack, 'factors', {factor.id!r}, {raw})",
        f"{value} = {raw} / {code.constant(saturation)}",
        f"{value} = ({value} if {value} < 1.0 else 1.0) if {value} > 0.0 else 0.0",
        f"score += {value} * {code.constant(weight)}",
    ]


def _write_size(
    compiled: CompiledRule,
    pack: Pack,
    code: Code,
    held: str,
    factor_values: dict[str, str],
    expr: str,
) -> tuple[str, str]:
    """``_sizer``'s size of a risk rule, written: lines that, unless ``held`` is False, set
    ``sizes[rule.id]``, or ``held`` to False when the rule holds with a measure of 0 or less.
    Returns the expressions of its ``Evaluation.ranked`` key (``expr``: the rule's own
    expression) and of its severity, valid where it holds or is undecided."""
    rule = compiled.rule
    likelihood, impact, levels = rule.likelihood, rule.impact, _levels(pack)
    sized = f"sizes[{rule.id!r}] = size"
    if not isinstance(likelihood, Steps) and rule.measure is None and isinstance(impact, int):
        rating = likelihood * impact  # a fixed size: made once, and so its key and severity
        level = levels[rating]
        body = [f"size = {code.constant(Size(likelihood, impact, rating, level, None))}", sized]
        key = code.constant((-SEVERITY_RANK[level], -rating, rule.id, compiled, True))
        severity = code.constant(level)
    else:
        if isinstance(likelihood, Steps):
            at, steps = code.constant(likelihood.at), code.constant(likelihood.levels)
            body = [
                f"x = values.get({likelihood.field!r})",
                f"lk = {steps}[{len(likelihood.at)} if x is None else _bisect({at}, x + 1e-9)]",
            ]
        else:
            body = [f"lk = {code.constant(likelihood)}"]
        value = "None"
        if rule.measure is not None:
            value = "value"
            bounds = code.constant(tuple(pack.model.scales[rule.measure.scale].at))
            body += [
                f"value = {code.exact['metric.' + rule.measure.metric]}",
                f"im = 5 if value is None else 1 + _bisect({bounds}, value + 1e-9)",
            ]
        elif isinstance(impact, int):
            body.append(f"im = {code.constant(impact)}")
        else:
            body.append(f"im = 1 + min(4, int({factor_values[impact]} * 5))")
        named = code.constant(levels)
        body += ["rating = lk * im", f"size = _new(_Size, (lk, im, rating, {named}[rating], {value}))"]
        key = f"({code.constant(_ranks(pack))}[rating], -rating, {rule.id!r}, {expr}, True)"
        severity = f"{named}[rating]"
        if rule.measure is None:
            body.append(sized)
        else:  # nothing to measure: a risk of size 0 is not raised
            body += [
                f"if {held} and value is not None and value <= 0.0:",
                f"    {held} = False",
                "else:",
                f"    {sized}",
            ]
    code.lines += [f"if {held} is not False:", *(f"    {line}" for line in body)]
    return key, severity


@functools.lru_cache(maxsize=16)
def _levels(pack: Pack) -> list[str]:
    """A risk's level by rating (likelihood x impact, 0..25), computed once per pack."""
    return [_risk_level(rating, pack.model.risk_matrix) for rating in range(26)]


@functools.lru_cache(maxsize=16)
def _ranks(pack: Pack) -> list[int]:
    """Minus the severity rank of a risk's level by rating: the first of its sort key."""
    return [-SEVERITY_RANK[level] for level in _levels(pack)]


_LARGEST = sys.float_info.max


def _not_finite(pack: Pack, section: str, item_id: str, value: float) -> PackError:
    """A formula that gives inf or nan for a profile: the pack's formula, named, is at fault."""
    return PackError(pack.not_finite(section, item_id, value))


def _scored(
    program: _Program, values: dict[str, Any], pack: Pack
) -> tuple[list[tuple[Factor, float, float]], float]:
    """Each factor's (factor, raw, value 0..1) and the score, rounded as reports show it."""
    factors: list[tuple[Factor, float, float]] = []
    score = 0.0
    for factor, run, saturation, weight, _ in program.factors:
        raw = run(values) or 0.0
        value = _factor_value(pack, factor, raw, saturation)
        factors.append((factor, raw, value))
        score += value * weight
    return factors, round(score, 1)


def _factor_value(pack: Pack, factor: Factor, raw: float | None, saturation: float) -> float:
    """A factor's value 0..1 from its formula's raw value (unknown: 0)."""
    raw = raw or 0.0
    if not -_LARGEST <= raw <= _LARGEST:
        raise _not_finite(pack, "factors", factor.id, raw)
    value = raw / saturation
    return (value if value < 1.0 else 1.0) if value > 0.0 else 0.0  # min(1, max(0, v)), inlined


def revalue(ev: Evaluation, pack: Pack, fields: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """The values and the score with some profile fields set otherwise (a corner of the fields
    left out): the partner values, and the metrics and factors that rest on those fields,
    recomputed; the rest are the evaluation's own, the same numbers a recomputation gives
    (a formula reads only what its inputs name), at a fraction of the work (~20 corners a
    profile, each setting a few fields that reach about half the metrics)."""
    values = dict(ev.values)
    values.update(fields)
    if PARTNERS_FIELD in fields:
        _read_partners(values, frozenset(), set(), pack, ev.as_of)
    return values, _rescorer(pack, *_reach(pack, frozenset(fields)))(values, ev.factors)


@functools.lru_cache(maxsize=4096)
def _reach(pack: Pack, fields: frozenset[str]) -> tuple[tuple[int, ...], tuple[bool, ...]]:
    """The metrics resting on ``fields`` (their places in the pack, in order), and whether each
    factor does: corners set the same few sets of fields profile after profile, and the ~1,500
    sets of a large survey reach fewer than 100 sets of metrics and factors."""
    program = _program(pack)
    return (
        tuple(i for i, (_, _, inputs) in enumerate(program.metrics) if not inputs.isdisjoint(fields)),
        tuple(not inputs.isdisjoint(fields) for *_, inputs in program.factors),
    )


# Corners rescored through the same metrics and factors before they are written as Python
# (``_written_rescore``): writing one costs about what a few hundred rescores save, so a single
# report (~20 corners over a few dozen sets) never writes one, and a batch writes the few
# sets its corners meet most.
RESCORE_AFTER = 200


@functools.lru_cache(maxsize=1024)
def _rescorer(pack: Pack, metrics: tuple[int, ...], reached: tuple[bool, ...]) -> Any:
    """``rescore(values, factors) -> score`` for the metrics and factors a corner reaches:
    ``_interpreted_rescore``, then ``_written_rescore``."""
    return warming(
        _interpreted_rescore(pack, metrics, reached),
        lambda: _written_rescore(pack, metrics, reached),
        RESCORE_AFTER,
    )


def _interpreted_rescore(pack: Pack, metrics: tuple[int, ...], reached: tuple[bool, ...]) -> Any:
    """``rescore(values, factors) -> score``: the metrics at ``metrics`` recomputed into
    ``values``, the factors ``reached`` recomputed (the others are the evaluation's
    ``factors``), and the score, rounded as reports show it."""
    program = _program(pack)
    runs = tuple((program.metrics[i][0], program.metrics[i][1]) for i in metrics)

    def rescore(values: dict[str, Any], factors: list[tuple[Factor, float, float]]) -> float:
        for name, run in runs:
            values[name] = run(values)
        score = 0.0
        for (factor, run, saturation, weight, _), (_, _, value), recompute in zip(
            program.factors, factors, reached, strict=True
        ):
            if recompute:
                value = _factor_value(pack, factor, run(values), saturation)
            score += value * weight
        return round(score, 1)

    return rescore


def _written_rescore(pack: Pack, metrics: tuple[int, ...], reached: tuple[bool, ...]) -> Any:
    """``_interpreted_rescore`` as one Python function, written from the pack's checked formula
    tokens (never from text) as ``_written`` writes the evaluation: the same float operations in
    the same order, the same inf/nan error for a factor, each value read once."""
    program = _program(pack)
    code = Code("rescore", "values, factors")
    code.scope.update(_pack=pack, _not_finite=_not_finite)
    for i in metrics:
        name, var = program.metrics[i][0], code.local("m")
        write_formula(pack.metrics[i][1].text, code, var)
        code.reads[name] = var  # later formulas read the metric here
        code.lines.append(f"values[{name!r}] = {var}")
    code.lines.append("score = 0.0")
    for j, ((factor, _, saturation, weight, _), (_, formula), recompute) in enumerate(
        zip(program.factors, pack.factors, reached, strict=True)
    ):
        if not recompute:
            code.lines.append(f"score += factors[{j}][2] * {code.constant(weight)}")
            continue
        _write_factor(code, factor, formula, saturation, weight, code.local("f"), code.local("v"))
    code.lines.append("return round(score, 1)")
    return code.function()


@record(frozen=True)
class _Program:
    """What ``evaluate`` runs for a pack, unpacked once so the hot loop reads no models."""

    metrics: tuple[tuple[str, Any, frozenset[str]], ...]  # metric.<id>, formula, fields behind it
    # factor, formula, saturation, weight, fields behind it
    factors: tuple[tuple[Factor, Any, float, float, frozenset[str]], ...]
    factor_ids: tuple[str, ...]
    # rule, condition (untraced: Evaluation.trace), until date, sizer (risks only), the date
    # its event was announced, rule id, whether a risk
    rules: tuple[tuple[CompiledRule, Any, dt.date | None, Any, dt.date | None, str, bool], ...]
    constants: dict[str, float]  # partner.<id>.coverage and rate.<id>: constants of the pack
    bands: tuple[float, float, float]  # the score's bounds of moderate, high and critical
    platform: str  # the pack's platform (partners of another supply another cart)
    run: Run | None = None  # the evaluation: _interpreted, then _written (set by _program)


@functools.lru_cache(maxsize=16)
def _program(pack: Pack) -> _Program:
    def announced(rule: Rule) -> dt.date | None:
        return pack.events[rule.event].announced if rule.event else None

    program = _Program(
        metrics=tuple((f"metric.{m.id}", f.evaluate, pack.metric_inputs[m.id]) for m, f in pack.metrics),
        factors=tuple(
            (x, f.evaluate, x.saturation, x.weight, profile_fields(f.names, pack.metric_inputs))
            for x, f in pack.factors
        ),
        rules=tuple(
            (
                c,
                compile_check(c.rule.when),
                pack.events[c.rule.until].date if c.rule.until else None,
                _sizer(c.rule, pack) if c.rule.kind == "risk" else None,
                announced(c.rule),
                c.rule.id,
                c.rule.kind == "risk",
            )
            for c in pack.rules
        ),
        factor_ids=tuple(x.id for x, _ in pack.factors),
        bands=_bounds(pack.model.scoring),
        platform=pack.model.pack.platform,
        constants={
            **{f"partner.{p.id}.coverage": p.coverage for p in pack.model.partners},
            **{f"rate.{r}": rate.value for r, rate in pack.model.rates.items()},
        },
    )
    # written once a process has evaluated the pack a few times: a single report never pays for it
    run = warming(_interpreted(program, pack), lambda: _written(program, pack), EVALUATE_AFTER)
    return dataclasses.replace(program, run=run)


def _sizer(rule: Rule, pack: Pack) -> Any:
    """``size(values, factor_values) -> Size`` for a risk rule: likelihood x impact, and its level.

    The impact is 1 plus the number of the scale's bounds the measure reaches; an unknown
    measure (it rests on a field with no fair guess) is taken at its worst, 5. Without a
    measure the rule's impact is fixed, or (older packs) 1 plus 4 steps of a factor.
    """
    levels = _levels(pack)
    likelihood = rule.likelihood
    steps = likelihood if isinstance(likelihood, Steps) else None
    measure = f"metric.{rule.measure.metric}" if rule.measure else None
    bounds = tuple(pack.model.scales[rule.measure.scale].at) if rule.measure else ()
    impact = rule.impact

    def size(values: dict[str, Any], factors: dict[str, float]) -> Size:
        if steps is not None:
            x = values.get(steps.field)
            lk = steps.levels[len(steps.at) if x is None else _steps(x, steps.at)]
        else:
            lk = likelihood  # type: ignore[assignment]
        value: float | None = None
        if measure is not None:
            value = values[measure]
            im = 5 if value is None else 1 + _steps(value, bounds)
        elif isinstance(impact, int):
            im = impact
        else:
            im = 1 + min(4, int(factors[impact] * 5))
        rating = lk * im
        return Size(lk, im, rating, levels[rating], value)

    return size


def severity_range(rule: Rule, pack: Pack) -> tuple[str, str]:
    """The least and the most severe a rule can be: its likelihoods times the impacts it can reach."""
    if rule.kind != "risk":
        return "info", "info"
    lk = rule.likelihood.levels if isinstance(rule.likelihood, Steps) else [rule.likelihood]
    im = [rule.impact] if rule.measure is None and isinstance(rule.impact, int) else [1, 5]
    bands = pack.model.risk_matrix
    return _risk_level(min(lk) * min(im), bands), _risk_level(max(lk) * max(im), bands)


def _steps(value: float, bounds: Any) -> int:
    """How many of the rising ``bounds`` ``value`` reaches; 0.6 + 0.3 reaches 0.9 (sums of
    shares carry float noise)."""
    return bisect.bisect_right(bounds, value + 1e-9)


def _read_partners(
    values: dict[str, Any], missing: frozenset[str], unknown: set[str], pack: Pack, as_of: dt.date
) -> None:
    """``partner.*`` from the profile's partners and the pack's partner table (see pack.names)."""
    program = _program(pack)
    coverage = None  # the largest of the partners in this platform's cart on as_of (max's order)
    for name in values[PARTNERS_FIELD] or ():
        p = pack.partners.get(partner_key(name))
        if (
            p is not None
            and p.platform == program.platform
            and (p.since is None or pack.events[p.since].date <= as_of)
            and (coverage is None or p.coverage > coverage)
        ):
            coverage = p.coverage
    values["partner.in_platform"] = 0.0 if coverage is None else 1.0
    values["partner.coverage"] = 0.0 if coverage is None else coverage
    values.update(program.constants)
    if PARTNERS_FIELD in missing:
        unknown.update(PARTNER_VALUES)


def _bounds(s: Scoring) -> tuple[float, float, float]:
    return s.low, s.moderate, s.high


def _band(score: float, bounds: tuple[float, float, float]) -> str:
    low, moderate, high = bounds
    return (
        "low" if score < low else "moderate" if score < moderate else "high" if score < high else "critical"
    )


def assess(profile: Profile, pack: Pack, as_of: dt.date) -> Assessment:
    """Assess one profile against one policy pack at a date."""
    return explain(evaluate(profile, pack, as_of), pack)


def explain(ev: Evaluation, pack: Pack) -> Assessment:
    """The full assessment of an evaluation: figures, findings, risks, plan, assumptions."""
    values, as_of = ev.values, ev.as_of
    findings, opportunities, undetermined, hindsight = _findings(ev, pack)
    exposure = _exposure(ev, pack)
    risks = _risks(findings, pack)
    calls: dict[str, list[Call]] = {}
    act_by = _act_by(pack)
    for finding in (*findings, *opportunities):
        if finding.accepted:
            continue  # an accepted risk is carried, not treated: it calls for no action
        for action_id in finding.actions:
            calls.setdefault(action_id, []).append(
                Call(
                    rule_id=finding.rule_id,
                    severity=finding.severity,
                    rating=finding.sizing.rating if finding.sizing else 0,
                    act_by=act_by.get(finding.rule_id),
                )
            )
    assumptions = assumptions_for(pack.fields_read, ev.missing, ev.values) + _partner_notes(ev, pack)
    plan = build_plan(pack, as_of, calls, in_place(ev, pack), values, ev.unknown)
    timeline = list(_timeline(pack, as_of))
    gmv_at_risk, revenue_at_risk = ev.at_risk()
    m = pack.model
    planned = {act.id: act.due for phase in plan.phases for act in phase.actions}
    money = money_of(
        values,
        ev.unknown,
        ev.missing,
        pack,
        planned,
        as_of,
        ev.score,
        lambda score: _band(score, _bounds(m.scoring)),
        lambda fields: revalue(ev, pack, fields),
    )
    exposure.range = money.score_range
    lad = money.ladder
    summary = summary_of(
        float(values["agency.monthly_gmv_cny"]),
        gmv_at_risk,
        findings,
        opportunities,
        risks,
        plan,
        timeline,
        pack.id,
    )
    summary.missing = money.missing
    first = _fill_in(money, pack, as_of)
    if first is not None:
        summary.priorities = [first, *summary.priorities][:PRIORITIES]
    return Assessment(
        agency=ev.agency,
        as_of=as_of,
        policy=PolicyRef(id=m.pack.id, version=m.pack.version, title=m.pack.title),
        exposure=exposure,
        impact=Impact(
            gmv_at_risk_cny_monthly=gmv_at_risk,
            revenue_at_risk_cny_monthly=revenue_at_risk,
            figures=_figures(ev, pack, money),
            policy=pack.id,
            margin_at_risk_cny_monthly=_money_or_none(lad.margin),
            expected_loss_cny_monthly=_money_or_none(lad.expected),
            residual_loss_cny_monthly=_money_or_none(lad.residual),
            upside_cny_monthly=_money_or_none(lad.upside),
            net_effect_cny_monthly=_money_or_none(lad.net),
            verdict=money.verdicts[0],  # type: ignore[arg-type]
            verdict_low=money.verdicts[1],  # type: ignore[arg-type]
            verdict_high=money.verdicts[2],  # type: ignore[arg-type]
            net_share_of_revenue=money.net_share,
            upside_items=money.items,
            path=money.path,
            season_basis=pack.money.money.season_basis if pack.money else None,
            neutral_band=pack.money.money.neutral_band if pack.money else 0.02,
            rates=money.rates,
        ),
        findings=findings,
        undetermined=undetermined,
        risks=risks,
        risk_matrix=StatedMatrix(
            low=m.risk_matrix.low,
            medium=m.risk_matrix.medium,
            high=m.risk_matrix.high,
            levels=[list(row) for row in _matrix(pack)],
            scales=[
                StatedScale(id=k, title=v.title, bounds=list(v.at), basis=v.basis)
                for k, v in m.scales.items()
            ],
        ),
        plan=plan,
        opportunities=opportunities,
        assumptions=assumptions,
        confidence=confidence_for(pack.fields_read, ev.missing, undetermined, len(assumptions)),
        timeline=timeline,
        summary=summary,
        platform_mix=_platform_mix(values),
        sources=_cited(pack, (*findings, *opportunities, *hindsight), timeline),
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
        hindsight=hindsight,
    )


@functools.lru_cache(maxsize=64)
def _timeline(pack: Pack, as_of: dt.date) -> tuple[TimelineEvent, ...]:
    """The pack's events as seen on ``as_of``, built once per pack and date (a batch's every
    profile): each assessment gets its own list of the same read-only records."""
    return tuple(
        TimelineEvent(
            id=e.id,
            date=e.date,
            precision=e.precision,
            title=e.title,
            step=e.step,
            days_from_as_of=(e.date - as_of).days,
            sources=e.sources,
            policy=pack.id,
            announced=e.announced,
            known=e.announced is None or e.announced <= as_of,
        )
        for e in pack.model.events
    )


@functools.lru_cache(maxsize=16)
def _act_by(pack: Pack) -> dict[str, str]:
    """The step each rule's actions must be done by, where the rule sets one."""
    return {c.rule.id: c.rule.act_by for c in pack.rules if c.rule.act_by}


@functools.lru_cache(maxsize=16)
def _matrix(pack: Pack) -> tuple[tuple[str, ...], ...]:
    """The risk matrix's level of each likelihood (rows) x impact (columns), 1..5."""
    levels = _levels(pack)
    return tuple(tuple(levels[lk * im] for im in range(1, 6)) for lk in range(1, 6))


def summary_of(
    gmv: float,
    gmv_at_risk: float,
    findings: list[Finding],
    opportunities: list[Finding],
    risks: list[Risk],
    plan: Plan,
    timeline: list[TimelineEvent],
    policy: str,
) -> Summary:
    """The headline figures and the first things to do, from ``policy``'s plan."""
    counts = {s: 0 for s in reversed(SEVERITIES)}
    for f in findings:
        if f.kind == "risk":
            counts[f.severity] += 1
    return Summary(
        monthly_gmv_cny=gmv,
        gmv_at_risk_share=round(gmv_at_risk / gmv, 4) if gmv else 0.0,
        risk_findings=counts,
        next_step=next((e for e in timeline if e.step and e.days_from_as_of >= 0), None),
        priorities=_priorities(plan, [*findings, *opportunities], risks, policy),
        stale=stale_date(timeline),
    )


STALE_AFTER_DAYS = 365  # a year after the last step, a plan has nothing left to date
SUGGEST_BEFORE_FIRST_STEP = 7  # days: when no step records its announcement


def stale_date(timeline: list[TimelineEvent]) -> Stale | None:
    """Whether ``as_of`` lies more than a year after the policy's last step (a first run on
    today's date of a 2020 policy), and the date to assess at instead: the day after the
    last step was announced, when the whole policy was known and its last step still ahead;
    else a week before the first step (the pack records no announcement)."""
    found = last_step(timeline)
    if found is None:
        return None
    last, suggested = found
    as_of = last.date - dt.timedelta(days=last.days_from_as_of)
    if not stale(as_of, last.date):
        return None
    years = (as_of.year - last.date.year) - ((as_of.month, as_of.day) < (last.date.month, last.date.day))
    return Stale(last_step=last.date, years=years, suggested_as_of=suggested)


def last_step(events: Iterable[Any]) -> tuple[Any, dt.date] | None:
    """The last step of a policy among ``events`` (a pack's events or a timeline's: each with
    ``date``, ``announced`` and ``step``), and the date to assess at to see the plan as it
    stood: the day after it was announced, else a week before the first step."""
    steps = [e for e in events if e.step]
    if not steps:
        return None
    last = max(steps, key=lambda e: e.date)
    if last.announced is not None and last.announced < last.date:
        return last, last.announced + dt.timedelta(days=1)
    return last, min(e.date for e in steps) - dt.timedelta(days=SUGGEST_BEFORE_FIRST_STEP)


def stale(as_of: dt.date, last: dt.date) -> bool:
    """Whether a date lies so long after the policy's last step that its plan has nothing left to date."""
    return (as_of - last).days > STALE_AFTER_DAYS


def _priorities(plan: Plan, findings: list[Finding], risks: list[Risk], policy: str) -> list[Priority]:
    """The first actions to take: plan order by phase, then the most urgent (``planner.urgency``:
    the most severe finding served, directly or by unlocking the actions that wait for it)."""
    severity = {f.rule_id: f.severity for f in findings}
    rating = {r.rule_id: r.rating for r in risks}
    acts = [(n, act) for n, phase in enumerate(plan.phases) for act in phase.actions]
    by_id = {act.id: act for _, act in acts}
    served = served_rules(list(by_id), lambda a: by_id[a].depends_on, lambda a: by_id[a].triggered_by)
    dependents: dict[str, list[str]] = {}
    for _, act in acts:
        for dep in act.depends_on:
            dependents.setdefault(dep, []).append(act.id)
    urgent = {act.id: urgency(served[act.id], severity, rating) for _, act in acts}
    ranked = sorted(acts, key=lambda x: (x[0], *urgent[x[1].id], x[1].due, x[1].id))
    return [
        Priority(
            action_id=act.id,
            title=act.title,
            owner_title=act.owner_title,
            due=act.due,
            severity=SEVERITIES[-urgent[act.id][0]],  # type: ignore[arg-type]
            rule_ids=sorted(act.triggered_by, key=lambda r: (-SEVERITY_RANK[severity[r]], r)),
            unlocks=dependents.get(act.id, []),
            policy=policy,
        )
        for _, act in ranked[:PRIORITIES]
    ]


_PLATFORMS = tuple((path, path.split(".", 1)[1]) for path in FIELDS if path.startswith("platform_mix."))


def _platform_mix(values: dict[str, Any]) -> list[PlatformShare]:
    gmv = float(values["agency.monthly_gmv_cny"])
    return [
        PlatformShare(platform=platform, share=values[path], gmv_cny_monthly=_money(gmv * values[path]))
        for path, platform in _PLATFORMS
    ]


def _cited(pack: Pack, findings: tuple[Finding, ...], timeline: list[TimelineEvent]) -> list[SourceRef]:
    """Every source the assessment cites, in id order."""
    ids = {s.id for f in findings for s in f.sources}
    ids.update(s for e in timeline for s in e.sources)
    refs = _references(pack)
    return [refs[s] for s in sorted(ids)]


def in_place(ev: Evaluation, pack: Pack) -> frozenset[str]:
    """Actions whose ``done_when`` holds for the profile (unknown fields never count as done)."""
    return frozenset(a for a, check in pack.done_when.items() if check(ev.values, ev.unknown, []) is True)


def _money(value: float | None) -> float:
    return float(round(value or 0.0))


def _rounded(value: float | None, unit: str) -> float | None:
    if value is None:
        return None
    return float(round(value)) if unit in ("cny", "count") else round(value, 4)


def _figures(ev: Evaluation, pack: Pack, money: Money) -> list[Figure]:
    """The pack's figures (the GMV and revenue at risk are the ladder's first rungs), then the
    ladder's own; each rung with its low and high."""
    values, unknown, policy = ev.values, ev.unknown, pack.id
    out = [
        Figure(
            id=metric.id,
            label=metric.label,
            unit=metric.unit,
            value=_rounded(values[name], metric.unit),
            formula=metric.formula,
            inputs=[Input(field=n, value=_plain(values[n]), assumed=n in unknown) for n in names],
            policy=policy,
            rung=metric.id in GROSS,
        )
        for name, metric, names in _impact(pack)
    ]
    for figure in (*out, *money.figures):
        if figure.rung and figure.value is not None and figure.id in money.bounds:
            figure.low, figure.high = money.bounds[figure.id]
    return [*out, *money.figures]


@functools.lru_cache(maxsize=16)
def _impact(pack: Pack) -> tuple[tuple[str, Any, tuple[str, ...]], ...]:
    """The metrics a report shows as figures (``metric.<id>``, the metric, its formula's names),
    found once per pack."""
    return tuple((f"metric.{m.id}", m, f.names) for m, f in pack.metrics if m.impact)


def _money_or_none(value: float | None) -> float | None:
    return None if value is None else _money(value)


def _fill_in(money: Money, pack: Pack, as_of: dt.date) -> Priority | None:
    """When the score's range spans bands, filling in the field that narrows it most comes first."""
    r = money.score_range
    if r is None or r.band_low == r.band_high or not money.missing:
        return None
    top = money.missing[0]

    def title(lang: str) -> str:
        bands = (t(lang, f"band_{r.band_low}"), t(lang, f"band_{r.band_high}"))
        return t(
            lang,
            "fill_in_title",
            field=t(lang, f"field.{top.field}"),  # its label: the title is for the founder
            low=f"{r.low:.1f}",
            high=f"{r.high:.1f}",
            band_low=bands[0],
            band_high=bands[1],
            points=f"{top.narrows_by:.1f}",
        )

    owner = pack.model.roles.get("founder") or Text(en=t("en", "fill_in_owner"), zh=t("zh", "fill_in_owner"))
    return Priority(
        action_id="",
        title=Text(en=title("en"), zh=title("zh")),
        owner_title=owner,
        due=as_of,
        severity="info",
        rule_ids=[],
        unlocks=[],
        policy=pack.id,
        kind="fill_in",
        field=top.field,
    )


def _evidence(name: str, values: dict[str, Any], unknown: set[str], metrics: dict[str, Any]) -> Input:
    """A value a finding shows; a metric (of ``_metrics``) with its label and unit, a count
    (clients, creators) as the whole number reports show."""
    item = Input(field=name, value=_plain(values[name]), assumed=name in unknown)
    metric = metrics.get(name)
    if metric is not None:
        item.label, item.unit = metric.label, metric.unit
        if metric.unit == "count" and isinstance(item.value, float):
            item.value = float(round(item.value))
    return item


@functools.lru_cache(maxsize=16)
def _metrics(pack: Pack) -> dict[str, Any]:
    return {f"metric.{m.id}": m for m, _ in pack.metrics}


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


def _findings(
    ev: Evaluation, pack: Pack
) -> tuple[list[Finding], list[Finding], list[Undetermined], list[Finding]]:
    """(findings, opportunities, undecided rules, findings known only in hindsight)."""
    findings: list[Finding] = []
    opportunities: list[Finding] = []
    undetermined: list[Undetermined] = []
    hindsight: list[Finding] = []
    values, unknown, as_of = ev.values, ev.unknown, ev.as_of
    policy, sources, metrics = pack.id, _sources(pack), _metrics(pack)
    for compiled, held, _, _ in ev.checked:
        if held is False:
            continue  # a rule that does not hold shows nothing: its trace is never made
        trace = ev.trace(compiled)
        rule = compiled.rule
        later = rule.id in ev.hindsight
        checks = [
            Check(test=text, field=test.field, actual=_plain(actual), held=ok)
            for text, (test, actual, ok) in zip(compiled.texts, trace, strict=True)
        ]
        title, rationale = _worded(rule, pack, as_of)
        if held is None:
            if not later:  # nobody could have filled it in for a step not yet announced
                undetermined.append(
                    Undetermined(
                        rule_id=rule.id,
                        severity=ev.severity(rule),
                        title=title,
                        unknown_fields=unknown_fields(pack, trace, ev.missing),
                        conditions=checks,
                        policy=policy,
                    )
                )
            continue
        event = pack.events.get(rule.event) if rule.event else None
        size = ev.sizes.get(rule.id)
        finding = Finding(
            rule_id=rule.id,
            kind=rule.kind,
            severity=ev.severity(rule),  # type: ignore[arg-type]
            category=rule.category,
            title=title,
            rationale=rationale,
            event=EventRef(id=event.id, date=event.date, days_from_as_of=(event.date - as_of).days)
            if event
            else None,
            evidence=[_evidence(name, values, unknown, metrics) for name in rule.evidence],
            conditions=checks,
            actions=list(rule.actions),
            sources=sources[rule.id],
            policy=policy,
            sizing=_sizing(rule, size, pack) if size is not None else None,
        )
        if later:
            hindsight.append(finding)
            continue
        entry = ev.accepted.get(rule.id) if rule.kind == "risk" else None
        if entry is not None:
            gone = acceptance.expired(entry, as_of)
            finding.acceptance = Acceptance(reason=entry.reason, until=entry.until, expired=gone)
            finding.accepted = not gone
        (opportunities if rule.kind == "opportunity" else findings).append(finding)
    findings.sort(key=finding_order)
    hindsight.sort(key=finding_order)
    return findings, opportunities, undetermined, hindsight


def finding_order(f: Finding) -> tuple[int, int, str]:
    """Most severe first, then the highest rating, then by rule id."""
    return -SEVERITY_RANK[f.severity], -(f.sizing.rating if f.sizing else 0), f.rule_id


def _worded(rule: Rule, pack: Pack, as_of: dt.date) -> tuple[Text, Text]:
    """A rule's title and rationale as of ``as_of``: its ``after`` wording once its event has passed."""
    later = rule.after
    event = (later.event or rule.event) if later else None
    if later is None or event is None or as_of < pack.events[event].date:
        return rule.title, rule.rationale
    return later.title, later.rationale or rule.rationale


def _sizing(rule: Rule, size: Size, pack: Pack) -> Sizing:
    measure = rule.measure
    metric = _metrics(pack).get(f"metric.{measure.metric}") if measure else None
    return Sizing(
        metric=measure.metric if measure else None,
        label=metric.label if metric else None,
        value=None if size.value is None else round(size.value, 4),
        scale=measure.scale if measure else None,
        bounds=list(pack.model.scales[measure.scale].at) if measure else [],
        likelihood=size.likelihood,
        impact=size.impact,
        rating=size.rating,
    )


def _partner_notes(ev: Evaluation, pack: Pack) -> list[Assumption]:
    """What the pack made of each partner the profile lists that it does not count in-platform."""
    out: list[Assumption] = []
    seen: set[str] = set()
    platform = pack.model.pack.platform
    for name in ev.values[PARTNERS_FIELD] or ():
        key = partner_key(name)
        if key in seen:
            continue
        seen.add(key)
        entry = pack.partners.get(key)
        if entry is None:
            why = UNKNOWN_PARTNER
        elif entry.platform != platform:
            why = entry.note or ELSEWHERE_PARTNER
        elif entry.since is not None and ev.as_of < pack.events[entry.since].date:
            why = NOT_YET_PARTNER
        else:
            continue
        out.append(Assumption(field=PARTNERS_FIELD, assumed_value=name, rationale=why, policy=pack.id))
    return out


@functools.lru_cache(maxsize=16)
def _references(pack: Pack) -> dict[str, SourceRef]:
    """The pack's sources as an assessment cites them, built once per pack (read-only records)."""
    return {
        s: SourceRef(id=s, title=x.title, publisher=x.publisher, date=x.date, url=x.url)
        for s, x in pack.model.sources.items()
    }


@functools.lru_cache(maxsize=16)
def _sources(pack: Pack) -> dict[str, list[SourceRef]]:
    """Each rule's source references, built once per pack."""
    refs = _references(pack)
    return {r.rule.id: [refs[s] for s in r.rule.sources] for r in pack.rules}


def _plain(value: Any) -> Any:
    """Metric values rounded, so reports show 0.27, not 0.27000000000000002."""
    return round(value, 6) if type(value) is float else value


def unknown_fields(pack: Pack, trace: Trace, missing: frozenset[str]) -> list[str]:
    """The left-out profile fields behind the unknown tests of a rule."""
    out: list[str] = []
    for test, _, held in trace:
        if held is not None:
            continue
        out.extend(sorted(_fields_behind(pack, test.field) & missing))
    return list(dict.fromkeys(out))


@functools.lru_cache(maxsize=4096)
def _fields_behind(pack: Pack, name: str) -> frozenset[str]:
    """The profile fields behind a name a test reads (``profile_fields``), once per pack and name."""
    return profile_fields([name], pack.metric_inputs)


def _risks(findings: list[Finding], pack: Pack) -> list[Risk]:
    """The risk register: each risk finding's sizing, so register and finding never disagree."""
    treatment = {c.rule.id: c.rule.treatment for c in pack.rules}
    risks: list[Risk] = []
    for finding in findings:
        size = finding.sizing
        if finding.kind != "risk" or size is None:
            continue
        risks.append(
            Risk(
                rule_id=finding.rule_id,
                title=finding.title,
                likelihood=size.likelihood,
                impact=size.impact,
                rating=size.rating,
                level=finding.severity,  # type: ignore[arg-type]
                treatment="accept" if finding.accepted else treatment[finding.rule_id],
                actions=[] if finding.accepted else list(finding.actions),
                policy=finding.policy,
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
            why = _why(path)
        out[key] = Assumption(field=key, assumed_value=value, rationale=why)
    return list(out.values())


@functools.cache  # one per profile field: a fixed, small set
def _why(path: str) -> Text:
    """Why a left-out field's assumed value is fair, validated once (a frozen Text is shared)."""
    spec = FIELDS[path]
    return Text(en=spec.why_en, zh=spec.why_zh)


def _declared_value(key: str, path: str, leaf_value: Any) -> Any:
    if key == path:
        return leaf_value
    # A whole table was left out: show every value assumed for it.
    return {p.rsplit(".", 1)[1]: s.assumed for p, s in FIELDS.items() if s.declared_at == key}


def confidence_for(
    fields_read: frozenset[str], missing: frozenset[str], undetermined: list[Undetermined], assumed: int
) -> Confidence:
    level, score = rated(fields_read, missing, [u.severity for u in undetermined])
    return Confidence(level=level, score=score, assumed_fields=assumed, undetermined_rules=len(undetermined))


def rated(
    fields_read: frozenset[str], missing: frozenset[str], severities: Iterable[str]
) -> tuple[str, float]:
    """The confidence level and score: 1, less each left-out field's importance and a penalty
    per undecided rule (of these ``severities``) of severity high or above."""
    severe = 0
    for severity in severities:
        if SEVERITY_RANK[severity] >= _HIGH:
            severe += 1
    score = round(1.0 - _lost(fields_read, missing) - UNDETERMINED_PENALTY * severe, 2)
    score = score if score > 0.0 else 0.0  # max(0.0, score), inlined: the same for -0.0 and nan
    for name, floor in CONFIDENCE_LEVELS:  # the first level whose floor the score reaches
        if score >= floor:
            return name, score
    return CONFIDENCE_LEVELS[-1][0], score  # (not reached: the lowest floor is 0.0)


@functools.lru_cache(maxsize=4096)
def _lost(fields_read: frozenset[str], missing: frozenset[str]) -> float:
    """The importance of the left-out fields read, each table counted once: surveys repeat a
    few sets of left-out fields, so a batch sums each set once."""
    lost: dict[str, float] = {}
    for path in missing & fields_read:
        spec = FIELDS[path]
        lost[spec.declared_at] = spec.importance
    return sum(lost.values())


def key_gaps(ev: Evaluation, pack: Pack) -> set[str]:
    """The left-out fields a summary's headline rests on: those behind the gross GMV at risk,
    and those behind an undecided risk of severity high or above that is more severe than
    every risk that holds (the top finding could be another). Empty: the band, the money
    and the top finding stand on the profile's own data (assumed values elsewhere only
    lower the confidence)."""
    missing = ev.missing
    if not missing:
        return set()
    gaps = set(_fields_behind(pack, f"metric.{GMV}") & missing)  # behind the gross GMV at risk
    top = _HIGH - 1
    for rank, _, _, _, risk in ev.ranked:
        if risk:  # the most severe risk that holds (ranked puts it first)
            top = max(top, -rank)
            break
    unknown = ev.unknown
    for severity, compiled in ev.undecided:
        if SEVERITY_RANK[severity] > top:  # (above "info": a risk, sized)
            # unknown_fields of its trace: a test is unknown exactly when its field is
            for test in compiled.tests:
                if test.field in unknown:
                    gaps.update(_fields_behind(pack, test.field) & missing)
    return gaps


_HIGH = SEVERITY_RANK["high"]
