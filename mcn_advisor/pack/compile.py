"""Loading a policy pack: read, validate, check and compile it into the ``Pack`` the engine runs.

``load_pack`` validates a pack completely when it loads (every field a condition or
formula names, every reference between rules, actions, events and sources, dependency
cycles, weights, dates, both languages of every text) and compiles its conditions and
formulas once; the engine then only runs closures. The validated model of a pack that
loaded cleanly is kept in the user's cache (``files.cache``): the next run with the same
pack text and the same program only compiles it (its validators are never even built).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import field
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from mcn_advisor.errors import PackError, message_of, say
from mcn_advisor.files import cache
from mcn_advisor.files.problems import describe, format_problems
from mcn_advisor.files.read import read_text
from mcn_advisor.files.toml import Loc, key_lines, line_of, parse_toml
from mcn_advisor.pack.checks import cross_check, plan_order
from mcn_advisor.pack.conditions import Evaluator, Test, compile_condition, tests_in
from mcn_advisor.pack.formulas import Formula, FormulaError, compile_formula
from mcn_advisor.pack.levers import CompiledLever, compile_levers
from mcn_advisor.pack.money import CompiledMoney, compile_money
from mcn_advisor.pack.names import condition_fields, formula_scope, profile_fields
from mcn_advisor.pack.schema import Action, Event, Factor, Metric, PackModel, Partner, Rule, Steps
from mcn_advisor.profile.model import partner_key
from mcn_advisor.records import record

VALIDATED = "validated pack 1"  # what the cache holds for a pack's text: its PackModel


@record(frozen=True)
class CompiledRule:
    rule: Rule
    evaluate: Evaluator
    tests: tuple[Test, ...]
    texts: tuple[str, ...]  # each test as written, in the order the trace records them


@record(frozen=True, eq=False)  # hashed by identity: engines cache per pack
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
    only_if: dict[str, Evaluator] = dataclasses.field(default_factory=dict)  # action id -> applies
    needs: dict[str, tuple[tuple[Evaluator, str], ...]] = dataclasses.field(default_factory=dict)
    favoured: Evaluator | None = None
    partners: dict[str, Partner] = dataclasses.field(default_factory=dict)  # partner_key(name) -> entry
    money: CompiledMoney | None = None  # the ladder, the path and the ranges (always set by load_pack)

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

    def not_finite(self, section: str, item_id: str, value: float) -> str:
        """Why a metric or factor of this pack cannot be used for a profile: it computes to inf or nan."""
        at = next(i for i, x in enumerate(getattr(self.model, section)) if x.id == item_id)
        return say(
            "{where}: {field}: {what} '{item}' computes to {value} for this profile, "
            "not a finite number (an overflow); check its formula",
            where=self.where((section, at, "formula")),
            field=f"{section}.{at}.formula",
            what=say("metric") if section == "metrics" else say("factor"),
            item=item_id,
            value=value,
        )


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
    """Validate, check and compile a pack's text; a pack already validated comes from the cache."""
    model = cache.recall(VALIDATED, text, PackModel)
    fresh = model is None
    problems: list[tuple[Loc, str]] = []
    if model is None:
        model = _validate(text, source)
        problems += cross_check(model)
    metrics, factors, metric_inputs = _compile_formulas(model, problems)
    levers = compile_levers(model, problems, metric_inputs)
    money = compile_money(model, problems, metric_inputs)
    if problems:
        raise PackError(format_problems(source, key_lines(text), problems))
    if fresh:  # only a pack without a problem: every error is found, and said, by building it
        cache.remember(VALIDATED, text, model)
    done = {a.id: compile_condition(a.done_when) for a in model.actions if a.done_when is not None}
    pack = _build(model, source, metrics, factors, metric_inputs, text)
    reads = money.reads.union(*(lever.reads for lever in levers if lever.recovers is not None))
    return dataclasses.replace(
        pack,
        fields_read=pack.fields_read | reads,
        money=money,
        levers=levers,
        done_when=done,
        only_if={a.id: compile_condition(a.only_if) for a in model.actions if a.only_if is not None},
        needs={
            a.id: tuple((compile_condition(n.when), n.action) for n in a.needs)
            for a in model.actions
            if a.needs
        },
        favoured=compile_condition(model.favoured.when) if model.favoured else None,
        partners={partner_key(name): p for p in model.partners for name in (p.id, *p.names)},
    )


def _validate(text: str, source: str) -> PackModel:
    data = parse_toml(text, source, PackError)
    if "pack" not in data and "agency" in data:  # a profile given where a pack belongs: say that, once
        raise PackError(
            say(
                "{source}: this is a profile, not a policy pack (it has [agency] and no [pack])",
                source=source,
            )
        )
    rates = list(data.get("rates", {})) if isinstance(data.get("rates"), dict) else []
    context = {"fields": condition_fields(_ids(data, "metrics"), _ids(data, "partners"), rates)}
    from mcn_advisor.pack import models  # pydantic's models of a pack: made only to validate one

    try:
        return models.validate(data, context)
    except ValidationError as exc:
        raise PackError(describe(exc, models.pack_model(), source, key_lines(text))) from None


def _ids(data: dict, section: str) -> list[str]:
    """The ids of a section's entries, before validation (so conditions can be checked against them)."""
    items = data.get(section, [])
    return (
        [x["id"] for x in items if isinstance(x, dict) and isinstance(x.get("id"), str)]
        if isinstance(items, list)
        else []
    )


def _compile_formulas(
    m: PackModel, problems: list[tuple[Loc, str]]
) -> tuple[list[tuple[Metric, Formula]], list[tuple[Factor, Formula]], dict[str, frozenset[str]]]:
    """Compile metric and factor formulas, appending what does not compile to ``problems``."""
    metric_inputs: dict[str, frozenset[str]] = {}  # metric id -> profile fields it reads
    known = formula_scope(metric_inputs, [p.id for p in m.partners], m.rates)  # grows as metrics compile

    metrics: list[tuple[Metric, Formula]] = []
    for i, metric in enumerate(m.metrics):
        try:
            formula = compile_formula(metric.formula, known)
        except FormulaError as exc:
            problems.append((("metrics", i, "formula"), message_of(exc)))
            metric_inputs[metric.id] = frozenset()  # known, so later uses do not cascade
            continue
        metrics.append((metric, formula))
        metric_inputs[metric.id] = profile_fields(formula.names, metric_inputs)
    factors: list[tuple[Factor, Formula]] = []
    for i, factor in enumerate(m.factors):
        try:
            factors.append((factor, compile_formula(factor.formula, known)))
        except FormulaError as exc:
            problems.append((("factors", i, "formula"), message_of(exc)))
    return metrics, factors, metric_inputs


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
        if r.rule.measure:
            read.add("metric." + r.rule.measure.metric)
        if isinstance(r.rule.likelihood, Steps):
            read.add(r.rule.likelihood.field)
    conditions = [a.only_if for a in m.actions] + [n.when for a in m.actions for n in a.needs]
    conditions.append(m.favoured.when if m.favoured else None)
    read.update(t.field for c in conditions if c is not None for t in tests_in(c))
    by_id = {a.id: a for a in m.actions}
    return Pack(
        model=m,
        source=source,
        metrics=tuple(metrics),
        factors=tuple(factors),
        rules=rules,
        events={e.id: e for e in m.events},
        actions={a: by_id[a] for a in plan_order(m)},
        phase_index={p.id: i for i, p in enumerate(m.phases)},
        fields_read=profile_fields(read, metric_inputs),
        metric_inputs=metric_inputs,
        text=text,
    )
