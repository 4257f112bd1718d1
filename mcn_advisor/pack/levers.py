"""Levers: checking each ``[[levers]]`` change against the profile's fields, and compiling it.

A lever is a move an MCN can make, written as changes to profile fields (``set``,
``add``, ``formula``, ``move_to``). Checked when the pack loads, so that applying one
(``core/whatif.py``) can never produce an invalid profile.
"""

from __future__ import annotations

from typing import Any, Literal

from mcn_advisor.errors import did_you_mean, message_of, say, show_value
from mcn_advisor.files.toml import Loc
from mcn_advisor.pack.checks import duplicates, ref
from mcn_advisor.pack.conditions import Evaluator, compile_condition, tests_in
from mcn_advisor.pack.formulas import Formula, FormulaError, compile_formula
from mcn_advisor.pack.money import default_money, money_actions
from mcn_advisor.pack.names import formula_scope, profile_fields
from mcn_advisor.pack.schema import Lever, LeverChange, PackModel
from mcn_advisor.profile.model import FIELDS, SHARES, mix_of, value_problem
from mcn_advisor.records import record

LeverOp = Literal["set", "add", "formula", "move"]
_LEVER_OPS = ("set", "add", "formula", "move_to")


@record(frozen=True)
class LeverStep:
    """One compiled change: ``op`` on ``field`` (a move also writes ``to``)."""

    op: LeverOp
    field: str
    value: Any = None  # set, add
    formula: Formula | None = None  # formula; or a move's fraction when written as a formula
    to: str | None = None  # move
    fraction: float | None = None  # move, when a plain number


@record(frozen=True)
class CompiledLever:
    lever: Lever
    applies: Evaluator | None
    steps: tuple[LeverStep, ...]
    reads: frozenset[str]  # profile fields its condition, formulas and changes read
    recovers: Formula | None = None  # its money term's share won back (``lever.money``)


def _lever_step(ch: LeverChange, loc: Loc, scope: Any, problems: list[tuple[Loc, str]]) -> LeverStep | None:
    """Check one change against the profile's fields and compile it; problems go to ``problems``."""
    given = [op for op in _LEVER_OPS if getattr(ch, op) is not None]  # TOML has no null: None is left out
    if len(given) != 1:
        found = ", ".join(given) or "none"
        problems.append(
            (loc, say("give exactly one of set, add, formula, move_to (found: {found})", found=found))
        )
        return None
    op, path = given[0], ch.field
    if path not in FIELDS:
        problems.append(
            ((*loc, "field"), say("unknown field '{path}'{hint}", path=path, hint=did_you_mean(path, FIELDS)))
        )
        return None
    if op != "move_to" and ch.fraction is not None:
        problems.append(((*loc, "fraction"), say("'fraction' only goes with 'move_to'")))
    mix = mix_of(path)
    if mix and op != "move_to":
        problems.append(
            (
                (*loc, "field"),
                say(
                    "'{path}' is a share of {mix}, which must keep summing to 1: "
                    "change it with move_to another share of {mix}",
                    path=path,
                    mix=mix,
                ),
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
                problems.append(
                    ((*loc, "add"), say("'add' needs a list field; '{path}' is {kind}", path=path, kind=kind))
                )
                return None
            return LeverStep(op="add", field=path, value=ch.add)
        if op == "formula":
            if kind != "number":
                problems.append(
                    (
                        (*loc, "formula"),
                        say("a formula gives a number; '{path}' is {kind}", path=path, kind=kind),
                    )
                )
                return None
            return LeverStep(op="formula", field=path, formula=compile_formula(ch.formula or "", scope))
        to = ch.move_to or ""
        if to not in FIELDS:
            problems.append(
                ((*loc, "move_to"), say("unknown field '{to}'{hint}", to=to, hint=did_you_mean(to, FIELDS)))
            )
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
            return LeverStep(op="move", field=path, to=to, formula=compile_formula(ch.fraction, scope))
        return LeverStep(op="move", field=path, to=to, fraction=float(fraction))
    except FormulaError as exc:
        key = "fraction" if op == "move_to" else "formula"
        problems.append(((*loc, key), message_of(exc)))
        return None


def compile_levers(
    m: PackModel, problems: list[tuple[Loc, str]], metric_inputs: dict[str, frozenset[str]]
) -> tuple[CompiledLever, ...]:
    """Check every lever (references, fields, types, mixes, formulas) and compile it."""
    problems.extend(duplicates(m.levers, "levers"))
    actions = {a.id for a in m.actions}
    scope = formula_scope(metric_inputs, [p.id for p in m.partners], m.rates)
    money = m.money or default_money(m)
    parts = {p.id for p in money.parts} | {"all"}
    earns = money_actions(money)
    compiled: list[CompiledLever] = []
    for i, lever in enumerate(m.levers):
        loc: Loc = ("levers", i)
        problems.extend(ref((*loc, "action"), lever.action, actions, "action"))
        problems.extend(ref((*loc, "effort"), lever.effort, m.effort, "effort size"))
        for j, src in enumerate(lever.sources):
            problems.extend(ref((*loc, "sources", j), src, m.sources, "source"))
        steps: list[LeverStep] = []
        written: dict[str, int] = {}
        for j, change in enumerate(lever.changes):
            step = _lever_step(change, (*loc, "changes", j), scope, problems)
            if step is None:
                continue
            for path in filter(None, (step.field, step.to)):
                if path in written:
                    problems.append(
                        (
                            (*loc, "changes", j),
                            say(
                                "'{path}' is already changed by changes[{first}]",
                                path=path,
                                first=written[path],
                            ),
                        )
                    )
                written.setdefault(path, j)
            steps.append(step)
        reads = set(written)
        for step in steps:
            reads |= profile_fields(step.formula.names if step.formula else (), metric_inputs)
        tests = tests_in(lever.when) if lever.when else []
        reads |= profile_fields([t.field for t in tests], metric_inputs)
        applies = compile_condition(lever.when) if lever.when else None
        recovers = None
        if lever.money is not None:
            problems.extend(ref((*loc, "money", "part"), lever.money.part, parts, "money part"))
            try:
                recovers = compile_formula(lever.money.recovers, scope)
                reads |= profile_fields(recovers.names, metric_inputs)
            except FormulaError as exc:
                problems.append(((*loc, "money", "recovers"), message_of(exc)))
        elif not lever.changes and lever.action not in earns:
            problems.append(
                ((*loc, "changes"), say("give the changes it makes, or the money it wins back (money)"))
            )
        compiled.append(
            CompiledLever(
                lever=lever, applies=applies, steps=tuple(steps), reads=frozenset(reads), recovers=recovers
            )
        )
    return tuple(compiled)
