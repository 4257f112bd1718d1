"""What-if: a profile as is and with changes (``--set FIELD=VALUE`` and/or the pack's
levers), assessed on the same date and compared. Changes go onto the profile's own data
and are validated by the profile model, like a file; ``apply_lever`` is shared with the
lever ranking (``levers.py``).

Mixes (``platform_mix``, ``revenue_mix``) must keep summing to 1: ``--set`` on one of
their shares is refused unless other shares of the mix are set so that they do, or
``rebalance`` scales the shares not set in proportion. Levers only ever move part of
one share to another, so they keep a mix whole by construction.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

from mcn_advisor.core.compare import RESULT_SCHEMA_VERSION, Comparison, compare, snapshot
from mcn_advisor.core.contract import Check, PathMonth, PolicyRef
from mcn_advisor.core.engine import Evaluation, assess, evaluate, in_place
from mcn_advisor.core.money import alone, gain
from mcn_advisor.errors import InputError, PackError, did_you_mean, in_turn, say, shorten, show_value
from mcn_advisor.files.toml import MORE_THAN_ONE, parse_value
from mcn_advisor.i18n.text import Text
from mcn_advisor.pack.compile import Pack
from mcn_advisor.pack.conditions import All, Not, Test, compile_condition
from mcn_advisor.pack.levers import CompiledLever
from mcn_advisor.profile.load import profile_from_data
from mcn_advisor.profile.model import FIELDS, MIX_TOLERANCE, MIXES, SHARES, Profile, flatten, value_problem
from mcn_advisor.records import record

out = record(kw_only=True)
ROUND = 6  # decimals a change is shown with: 0.49, not 0.48999999999999994


@out
class FieldChange:
    field: str
    before: Any
    after: Any
    assumed_before: bool  # the profile left the field out: ``before`` is the assumed value
    by: str  # "set", "rebalanced", or the id of the lever that made the change


# --- --set FIELD=VALUE ------------------------------------------------------------------


@out
class Assignment:
    field: str
    value: Any
    text: str  # as the user wrote it, for error messages


def parse_assignment(text: str) -> Assignment:
    """``FIELD=VALUE``, the value read as a TOML value (``true``, ``0.3``, ``["suning"]``)."""
    path, sep, raw = text.partition("=")
    path, raw = path.strip(), raw.strip()
    shown = shorten(text)  # messages quote the --set, never a huge one whole
    if not sep or not path:
        raise InputError(
            say(
                "--set '{shown}': expected FIELD=VALUE, e.g. --set clients.taobao_linked_share=0.3",
                shown=shown,
            )
        )
    if path not in FIELDS:
        hint = did_you_mean(path, FIELDS) or say(
            " (see the profile format in the README, or: mcn-advisor schema)"
        )
        if path == "as_of":
            hint = say("; the date is an option: --as-of YYYY-MM-DD")
        raise InputError(
            say("--set {shown}: unknown field '{path}'{hint}", shown=shown, path=shorten(path), hint=hint)
        )
    try:
        value = parse_value(raw)
    except ValueError as exc:
        if str(exc) == MORE_THAN_ONE:
            raise InputError(
                say(
                    "--set {shown}: takes exactly one value; a line break cannot add another key", shown=shown
                )
            ) from None
        if FIELDS[path].kind != "str":
            hint = say(' (quote each text in a list: ["suning"])') if raw.startswith("[") else ""
            raise InputError(
                say(
                    "--set {shown}: '{raw}' is not a value; write true/false, a number, \"text\" or a "
                    "[list]{hint}",
                    shown=shown,
                    raw=shorten(raw, 40),
                    hint=hint,
                )
            ) from None
        value = raw  # a text field may be written without quotes
    if isinstance(value, dict):
        raise InputError(
            say("--set {shown}: '{path}' takes a single value, not a table", shown=shown, path=path)
        )
    if isinstance(value, float) and value == 0:
        value = 0.0  # -0.0 is 0: never shown as "-0"
    return Assignment(field=path, value=value, text=shown)


# --- changing a profile's data -------------------------------------------------------------


def _data(profile: Profile) -> dict[str, Any]:
    """The profile as the user wrote it (fields left out stay out)."""
    return profile.model_dump(exclude_unset=True)


def _write(data: dict[str, Any], path: str, value: Any) -> None:
    section, name = path.split(".", 1)
    if section not in data:
        # A whole table left out (revenue_mix) is assumed as a whole: write all of it.
        data[section] = {
            p.split(".", 1)[1]: spec.assumed
            for p, spec in FIELDS.items()
            if p.startswith(section + ".") and spec.declared_at == section
        }
    data[section][name] = value


def _shown(value: Any) -> Any:
    return round(value, ROUND) if isinstance(value, float) else value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return abs(a - b) < 10**-ROUND
    return a == b


def _rebalance(
    data: dict[str, Any], values: dict[str, Any], assignments: list[Assignment], rebalance: bool
) -> list[FieldChange]:
    """Keep every mix a --set touched summing to 1, or say exactly what to do about it."""
    changes: list[FieldChange] = []
    given = {a.field: a for a in assignments}
    for mix, names in MIXES.items():
        fixed = [n for n in names if f"{mix}.{n}" in given]
        if not fixed:
            continue
        shares = {n: data[mix].get(n, 0.0) for n in names}
        total = sum(shares.values())
        if abs(total - 1.0) <= MIX_TOLERANCE:
            continue
        first = given[f"{mix}.{fixed[0]}"].text
        free = [n for n in names if n not in fixed and shares[n] > 0]
        fixed_total = sum(shares[n] for n in fixed)
        if not rebalance:
            listed = ", ".join(f"{n} {shares[n]:g}" for n in names if shares[n])
            hint = ""
            if free:
                biggest = max(free, key=lambda n: shares[n])
                needed = round(shares[biggest] + 1.0 - total, 4)
                if 0 <= needed <= 1:
                    hint = say(" (e.g. --set {example})", example=f"{mix}.{biggest}={needed:g}")
            raise InputError(
                say(
                    "--set {first}: {mix} would sum to {total} ({listed}), not 1; set its other shares "
                    "too{hint}, or add --rebalance to scale the shares you did not set in proportion",
                    first=first,
                    mix=mix,
                    total=f"{total:.4g}",
                    listed=listed,
                    hint=hint,
                )
            )
        if fixed_total > 1.0 + MIX_TOLERANCE:
            raise InputError(
                say(
                    "--set {first}: the shares set in {mix} already sum to {fixed_total}, more than 1",
                    first=first,
                    mix=mix,
                    fixed_total=f"{fixed_total:.4g}",
                )
            )
        free_total = sum(shares[n] for n in free)
        if not free:
            raise InputError(
                say(
                    "--set {first}: --rebalance has nothing to scale in {mix} (its other shares are 0); "
                    "set another share of {mix} yourself",
                    first=first,
                    mix=mix,
                )
            )
        factor = (1.0 - fixed_total) / free_total
        for n in free:
            path = f"{mix}.{n}"
            data[mix][n] = shares[n] * factor
            changes.append(
                FieldChange(
                    field=path,
                    before=values[path],
                    after=_shown(data[mix][n]),
                    assumed_before=False,
                    by="rebalanced",
                )
            )
    return changes


def apply_assignments(
    profile: Profile, assignments: list[Assignment], *, rebalance: bool = False
) -> tuple[Profile, list[FieldChange]]:
    """The profile with ``assignments`` applied and validated; ``InputError`` names the --set."""
    seen: dict[str, str] = {}
    for a in assignments:
        if a.field in seen:
            raise InputError(
                say(
                    "--set {text}: '{field}' is already set by --set {first}",
                    text=a.text,
                    field=a.field,
                    first=seen[a.field],
                )
            )
        seen[a.field] = a.text
        problem = value_problem(a.field, a.value)
        if problem:
            raise InputError(say("--set {text}: {problem}", text=a.text, problem=problem))
    values, missing = flatten(profile)
    data = _data(profile)
    changes = []
    for a in assignments:
        _write(data, a.field, a.value)
        changes.append(
            FieldChange(
                field=a.field,
                before=values[a.field],
                after=a.value,
                assumed_before=a.field in missing,
                by="set",
            )
        )
    changes += _rebalance(data, values, assignments, rebalance)
    try:
        return profile_from_data(data, "--set"), changes
    except InputError as exc:  # name the --set behind each problem where there is one
        named = {a.field: a.text for a in assignments}
        raise InputError([_renamed(line, named) for line in exc.problems]) from None


def _renamed(line: str, named: dict[str, str]) -> str:
    """A profile problem about a field a --set wrote, said as that --set's problem."""
    values = getattr(line, "values", {})
    text = named.get(values.get("field", "")) if values.get("where") == "--set" else None
    return say("--set {text}: {problem}", text=text, problem=values["message"]) if text else line


# --- levers ----------------------------------------------------------------------------------


@out
class Skip:
    """Why a lever was not tried on a profile."""

    # no_money: a lever that changes no field (repricing) and earns nothing on this profile
    reason: Literal["not_applicable", "no_change", "window_closed", "unknown_input", "no_money"]
    checks: list[Check]  # not_applicable: the tests of its condition that failed
    fields: list[
        str
    ]  # no_change: fields already where it would put them; unknown_input: fields with no value
    closed_on: dt.date | None = None  # window_closed: its action is pointless after this date


@record
class _Applied:
    profile: Profile | None
    changes: list[FieldChange]
    skip: Skip | None = None


def _clamp(path: str, value: float) -> float:
    return min(1.0 if path in SHARES else float("inf"), max(0.0, value))


def _why_false(node: Any, values: dict[str, Any], unknown: set[str], negated: bool = False) -> list[Check]:
    """The tests that make a condition false: what keeps a lever from applying.

    Under ``not`` a test blocks by holding, so it is reported negated.
    """
    if isinstance(node, Test):
        trace: list[Any] = []
        held = compile_condition(node)(values, unknown, trace)
        if held is None or held != negated:
            return []
        text = f"not ({node.text()})" if negated else node.text()
        return [Check(test=text, field=node.field, actual=trace[0][1], held=False)]
    if isinstance(node, Not):
        return _why_false(node.not_, values, unknown, not negated)
    children = node.all if isinstance(node, All) else node.any
    return [c for child in children for c in _why_false(child, values, unknown, negated)]


def apply_lever(lever: CompiledLever, profile: Profile, ev: Evaluation, pack: Pack) -> _Applied:
    """The profile after ``lever``, or why the lever does not apply. Formulas read ``ev.values``."""
    values, lv = ev.values, lever.lever
    until = pack.actions[lv.action].until
    if until and ev.as_of >= pack.events[until].date:
        return _Applied(
            None, [], Skip(reason="window_closed", checks=[], fields=[], closed_on=pack.events[until].date)
        )
    unknown = {name for name, value in values.items() if value is None}
    if lever.applies is not None:
        trace: list[Any] = []
        held = lever.applies(values, unknown, trace)
        if held is None:
            fields = sorted({t.field for t, _, ok in trace if ok is None})
            return _Applied(None, [], Skip(reason="unknown_input", checks=[], fields=fields))
        if not held:
            failed = _why_false(lv.when, values, unknown)
            return _Applied(None, [], Skip(reason="not_applicable", checks=failed, fields=[]))
    if not lever.steps:  # it changes no field, only the money (repricing quotes)
        return _Applied(profile, [])
    new: dict[str, Any] = {}
    for step in lever.steps:
        if step.formula is not None:
            result = step.formula.evaluate(values)
            if result is None:
                fields = sorted(n for n in step.formula.names if values.get(n) is None)
                return _Applied(None, [], Skip(reason="unknown_input", checks=[], fields=fields))
            if not math.isfinite(result):  # never clamped into a plausible value silently
                at = next(i for i, c in enumerate(pack.levers) if c is lever)
                key = "fraction" if step.op == "move" else "formula"
                loc = ("levers", at, "changes", lever.steps.index(step), key)
                raise PackError(
                    say(
                        "{where}: {field}: lever '{lever}': its formula computes to {result} for this "
                        "profile, not a finite number (an overflow); check the formula",
                        where=pack.where(loc),
                        field=".".join(map(str, loc)),
                        lever=lv.id,
                        result=result,
                    )
                )
        if step.op == "set":
            new[step.field] = step.value
        elif step.op == "add":
            items = list(values[step.field] or [])
            if step.value.casefold() not in (x.casefold() for x in items):
                items.append(step.value)
            new[step.field] = items
        elif step.op == "formula":
            new[step.field] = _clamp(step.field, result)
        else:  # move part of one share to another; within a mix the total stays the same
            fraction = min(1.0, max(0.0, step.fraction if step.formula is None else result))
            moved = values[step.field] * fraction
            new[step.field] = _clamp(step.field, values[step.field] - moved)
            new[step.to] = _clamp(step.to, values[step.to] + moved)  # type: ignore[index]
    changed = [p for p in new if not _same(new[p], values[p])]
    if not changed:
        return _Applied(None, [], Skip(reason="no_change", checks=[], fields=list(new)))
    data = _data(profile)
    for path in changed:
        _write(data, path, new[path])
    try:
        after = profile_from_data(data, f"lever {lv.id}")
    except InputError as exc:  # the pack checks make this unreachable; say so if not
        raise InputError(
            [
                say(
                    "policy pack {pack}: lever '{lever}' gives an invalid profile:", pack=pack.id, lever=lv.id
                ),
                *exc.problems,
            ]
        ) from None
    changes = [
        FieldChange(
            field=p, before=_shown(values[p]), after=_shown(new[p]), assumed_before=p in ev.missing, by=lv.id
        )
        for p in changed
    ]
    return _Applied(after, changes)


def find_lever(pack: Pack, lever_id: str) -> CompiledLever:
    levers = {c.lever.id: c for c in pack.levers}
    if lever_id not in levers:
        hint = did_you_mean(lever_id, levers) or say(" (see: mcn-advisor levers PROFILE)")
        raise InputError(say("--lever {lever_id}: unknown lever{hint}", lever_id=lever_id, hint=hint))
    return levers[lever_id]


# --- what-if -----------------------------------------------------------------------------------


@out
class LeverRef:
    id: str
    title: Text
    step: Text


@out
class WithLevers:
    """The what-if's levers on the money ladder of the profile as is: their actions alone (with
    what those wait for, each due after its effort) against doing nothing. The changed profile's
    own ladder is in the comparison; this says what the moves themselves earn."""

    actions: list[str]
    expected_loss_cny_monthly: float | None  # doing nothing
    residual_loss_cny_monthly: float | None  # with only these levers
    upside_cny_monthly: float | None
    net_effect_cny_monthly: float | None
    net_gain_cny_monthly: float  # steady: net effect with them minus doing nothing
    net_gain_horizon_cny: float  # over the path's months
    path: list[PathMonth]


@out
class WhatIf:
    """``what-if``: the profile as is and with the changes, assessed on the same date."""

    schema_version: int = RESULT_SCHEMA_VERSION
    kind: Literal["what-if"] = "what-if"
    agency: str
    as_of: dt.date
    policy: PolicyRef
    levers: list[LeverRef]  # applied first, in the order given
    changes: list[FieldChange]  # every field that changed, by whom
    comparison: Comparison
    money: WithLevers | None = None  # with levers: what they earn on the money ladder


def what_if(
    profile: Profile,
    pack: Pack,
    as_of: dt.date,
    assignments: list[Assignment] = (),  # type: ignore[assignment]
    lever_ids: list[str] = (),  # type: ignore[assignment]
    *,
    rebalance: bool = False,
) -> WhatIf:
    """Assess ``profile`` as is and with the levers, then the assignments, applied."""
    before = assess(profile, pack, as_of)
    current, changes, applied = profile, [], []
    for lever_id in lever_ids:
        lever = find_lever(pack, lever_id)
        result = apply_lever(lever, current, evaluate(current, pack, as_of), pack)
        if result.skip is not None:
            raise InputError(
                say("--lever {lever_id}: {skip}", lever_id=lever_id, skip=skip_reason(result.skip))
            )
        current = result.profile  # type: ignore[assignment]
        changes += result.changes
        applied.append(LeverRef(id=lever_id, title=lever.lever.title, step=lever.lever.step))
    if assignments:
        current, set_changes = apply_assignments(current, list(assignments), rebalance=rebalance)
        changes += set_changes
    after = assess(current, pack, as_of)
    return WhatIf(
        agency=profile.agency.name,
        as_of=as_of,
        policy=before.policy,
        levers=applied,
        changes=changes,
        comparison=compare(snapshot(before), snapshot(after), pack),
        money=_with_levers(profile, pack, as_of, [find_lever(pack, x).lever.action for x in lever_ids]),
    )


def _with_levers(profile: Profile, pack: Pack, as_of: dt.date, actions: list[str]) -> WithLevers | None:
    if not actions:
        return None
    ev = evaluate(profile, pack, as_of)
    planned = alone(pack, ev.values, ev.unknown, as_of, actions, in_place(ev, pack))
    won = gain(ev.values, pack, as_of, planned)
    lad = won.ladder

    def cny(value: float | None) -> float | None:
        return None if value is None else float(round(value))

    return WithLevers(
        actions=list(planned),
        expected_loss_cny_monthly=cny(lad.expected),
        residual_loss_cny_monthly=cny(lad.residual),
        upside_cny_monthly=cny(lad.upside),
        net_effect_cny_monthly=cny(lad.net),
        net_gain_cny_monthly=won.monthly,
        net_gain_horizon_cny=won.horizon,
        path=won.path,
    )


def skip_reason(skip: Skip) -> str:
    """A skip as one English line, for errors (reports word it through the i18n catalogue)."""
    if skip.reason == "window_closed":
        return say("its window closed on {closed_on}", closed_on=skip.closed_on)
    if skip.reason == "no_change":
        return say("changes nothing: {fields} already where it would put them", fields=", ".join(skip.fields))
    if skip.reason == "unknown_input":
        return say(
            "needs fields the profile leaves out with no fair guess: {fields}", fields=", ".join(skip.fields)
        )
    if skip.reason == "no_money":
        return say("changes no field and wins no money on this profile")
    tests = in_turn(
        say("{test} is false (it is {value})", test=c.test, value=show_value(c.actual)) for c in skip.checks
    )
    return say("does not apply to this profile: {tests}", tests=tests)
