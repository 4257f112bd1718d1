"""Rule conditions: a validated tree of ``all``/``any``/``not`` nodes over field tests.

    when = { all = [
        { field = "platform_mix.douyin_live", op = ">", value = 0 },
        { any = [ { field = "supply_chain.partners", op = "empty" },
                  { not = { field = "douyin.operates_own_store", op = "==", value = true } } ] },
    ] }

A tree is checked against the profile's fields (and the pack's metrics) when the pack
loads, compiled once to closures, and evaluated in three-valued logic: a test on a
field the profile left out is *unknown*, never silently false, and every test is
recorded with the value it saw, so a finding can show why it holds.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, ValidationInfo, model_validator

from mcn_advisor.errors import did_you_mean, say, show_value
from mcn_advisor.files.limits import MAX_NUMBER
from mcn_advisor.files.problems import TAG_PREFIX
from mcn_advisor.pack.formulas import Code
from mcn_advisor.records import record

Op = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not_in", "contains", "empty", "not_empty"]
OPERATORS: dict[str, str] = {
    "==": "equal to the value (number, true/false, text or date)",
    "!=": "not equal to the value",
    "<": "less than the value (numbers and dates)",
    "<=": "at most the value (numbers and dates)",
    ">": "more than the value (numbers and dates)",
    ">=": "at least the value (numbers and dates)",
    "in": "one of a list of values (numbers or text)",
    "not_in": "none of a list of values (numbers or text)",
    "contains": "a list field holds the text value (case-insensitive)",
    "empty": "a list field is empty (no value)",
    "not_empty": "a list field is not empty (no value)",
}
OPS_BY_KIND: dict[str, tuple[str, ...]] = {
    "number": ("==", "!=", "<", "<=", ">", ">=", "in", "not_in"),
    "date": ("==", "!=", "<", "<=", ">", ">="),
    "bool": ("==", "!="),
    "str": ("==", "!=", "in", "not_in"),
    "list": ("contains", "empty", "not_empty"),
}
_PYTHON_TYPE = {"number": (int, float), "date": (dt.date,), "bool": (bool,), "str": (str,)}

Known = Mapping[str, str]  # field name -> kind ("number", "bool", "str", "list", "date")


# The nodes are records, validated by pydantic models made from them (pack/models.py)
# only when a pack is validated: a pack from the cache needs none.


@record(frozen=True, kw_only=True)
class Test:
    """A leaf: ``field op value``."""

    field: str
    op: Op
    value: Any = None

    @model_validator(mode="after")
    def _check_against_fields(self, info: ValidationInfo) -> Test:
        known: Known | None = (info.context or {}).get("fields")
        if known is None:
            return self
        kind = known.get(self.field)
        if kind is None:
            raise ValueError(
                say("unknown field '{field}'{hint}", field=self.field, hint=did_you_mean(self.field, known))
            )
        allowed = OPS_BY_KIND[kind]
        if self.op not in allowed:
            raise ValueError(
                say(
                    "operator '{op}' does not apply to {kind} field '{field}'; use one of {allowed}",
                    op=self.op,
                    kind=kind,
                    field=self.field,
                    allowed=", ".join(allowed),
                )
            )
        _check_value(self, kind)
        return self

    def text(self) -> str:
        if self.op in ("empty", "not_empty"):
            return f"{self.field} {self.op.replace('_', ' ')}"
        return f"{self.field} {self.op.replace('_', ' ')} {show_value(self.value)}"


def _check_value(test: Test, kind: str) -> None:
    value, op = test.value, test.op
    if op in ("empty", "not_empty"):
        if value is not None:
            raise ValueError(say("operator '{op}' takes no value", op=op))
        return
    if op == "contains":
        if not isinstance(value, str):
            raise ValueError(say("'contains' needs a text value (got {value})", value=show_value(value)))
        return
    types = _PYTHON_TYPE[kind]
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise ValueError(
                say("'{op}' needs a non-empty list of values (got {value})", op=op, value=show_value(value))
            )
        items = value
    else:
        items = [value]
    for item in items:
        ok = isinstance(item, types) and not (kind == "number" and isinstance(item, bool))
        if not ok:
            raise ValueError(
                say(
                    "value {item} does not fit {kind} field '{field}'",
                    item=show_value(item),
                    kind=kind,
                    field=test.field,
                )
            )
        if kind == "number" and not -MAX_NUMBER <= item <= MAX_NUMBER:  # also refuses nan
            raise ValueError(
                say(
                    "value {item} must be a finite number within ±{limit}",
                    item=show_value(item),
                    limit=f"{MAX_NUMBER:g}",
                )
            )


@record(frozen=True, kw_only=True)
class All:
    all: Annotated[list[Condition], Field(min_length=1)]


@record(frozen=True, kw_only=True)
class AnyOf:
    any: Annotated[list[Condition], Field(min_length=1)]


@record(frozen=True, kw_only=True)
class Not:
    not_: Annotated[Condition, Field(alias="not")]


def _node_kind(data: Any) -> str:
    if isinstance(data, dict):
        for key in ("all", "any", "not"):
            if key in data:
                return TAG_PREFIX + key
        return TAG_PREFIX + "test"
    kind = {All: "all", AnyOf: "any", Not: "not"}.get(type(data), "test")
    return TAG_PREFIX + kind


# Pydantic puts the tag in an error's location; validation.describe drops such parts. The
# nodes are named, not given: pack/models.py resolves the names to the models that validate them.
Condition = Annotated[
    Annotated["All", Tag(TAG_PREFIX + "all")]
    | Annotated["AnyOf", Tag(TAG_PREFIX + "any")]
    | Annotated["Not", Tag(TAG_PREFIX + "not")]
    | Annotated["Test", Tag(TAG_PREFIX + "test")],
    Discriminator(_node_kind),
]


def tests_in(node: Any) -> list[Test]:
    """Every leaf test of a condition tree, in reading order (walked without recursion)."""
    found: list[Test] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Test):
            found.append(item)
        elif isinstance(item, Not):
            stack.append(item.not_)
        else:
            stack.extend(reversed(item.all if isinstance(item, All) else item.any))
    return found


# --- compiling ---------------------------------------------------------------------

Trace = list[tuple[Test, Any, "bool | None"]]
Evaluator = Callable[[Mapping[str, Any], "frozenset[str] | set[str]", Trace], "bool | None"]
Check = Callable[[Mapping[str, Any], "frozenset[str] | set[str]"], "bool | None"]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "in": lambda actual, options: actual in options,
    "not_in": lambda actual, options: actual not in options,
    "contains": lambda actual, item: item.casefold() in (x.casefold() for x in actual),
    "empty": lambda actual, _: len(actual) == 0,
    "not_empty": lambda actual, _: len(actual) > 0,
}


def compile_condition(node: Any) -> Evaluator:
    """Compile a validated tree to a function ``(values, unknown, trace) -> True/False/None``.

    Every test runs (no short-circuit) so the trace is complete; ``None`` is unknown.
    Recursive, and bounded: a pack's TOML nests at most ``MAX_NESTING`` deep.
    """
    return _compile(node, _compile_tests)  # type: ignore[no-any-return]


def compile_check(node: Any) -> Check:
    """``compile_condition`` without the trace: ``(values, unknown) -> True/False/None``, the
    same result from the same tests run in the same order (no short-circuit either: a test
    that raises raises here too). A batch's summary reads only the results; a rule's trace
    is made by its ``compile_condition`` when a report shows it."""
    return _compile(node, _check_tests)  # type: ignore[no-any-return]


def write_check(node: Any, code: Code) -> str:
    """Lines of ``code`` computing what ``compile_check(node)`` returns, into the local it names:
    the same tests in the same order (none skipped: a test that raises raises here too), each
    reading ``values`` unless its field is in ``unknown``; values tested against are bound by
    name, never written as text. A pack's whole evaluation is written so (engine)."""
    if isinstance(node, Not):
        inner = write_check(node.not_, code)
        var = code.local("r")
        code.lines.append(f"{var} = None if {inner} is None else not {inner}")
        return var
    is_all = not isinstance(node, AnyOf)  # a lone test is an ALL of one
    decisive = not is_all
    nodes = [node] if isinstance(node, Test) else node.all if is_all else node.any
    var = code.local("r")
    if all(isinstance(c, Test) for c in nodes):
        settled, unsure = code.local("s"), code.local("u")
        code.lines.append(f"{settled} = {unsure} = False")
        for test in nodes:
            code.lines += [
                f"if {test.field!r} in unknown:",
                f"    {unsure} = True",
                f"elif {'' if decisive else 'not '}({_written_test(test, code)}):",
                f"    {settled} = True",
            ]
        code.lines.append(f"{var} = {decisive} if {settled} else None if {unsure} else {not decisive}")
        return var
    results = [write_check(c, code) for c in nodes]  # children results are True, False or None
    code.lines.append(
        f"{var} = {decisive} if {' or '.join(f'{r} is {decisive}' for r in results)} "
        f"else None if {' or '.join(f'{r} is None' for r in results)} else {not decisive}"
    )
    return var


def _written_test(test: Test, code: Code) -> str:
    """A test as an expression (``_COMPARE``'s operation on ``values[field]``)."""
    actual = code.exact.get(test.field) or f"values[{test.field!r}]"
    if test.op in ("empty", "not_empty"):
        return f"len({actual}) {'==' if test.op == 'empty' else '>'} 0"
    expected = code.constant(test.value)
    if test.op == "contains":
        code.scope["_contains"] = _COMPARE["contains"]
        return f"_contains({actual}, {expected})"
    op = {"in": "in", "not_in": "not in"}.get(test.op, test.op)
    return f"{actual} {op} {expected}"


def _compile(node: Any, tests: Callable[[list[Test], bool], Any]) -> Any:
    """The tree as closures; its lists of plain tests made by ``tests`` (traced or not: the
    nodes above pass on whatever arguments they are given)."""
    if isinstance(node, Test):
        return tests([node], False)  # a lone test is an ALL of one
    if isinstance(node, Not):
        inner = _compile(node.not_, tests)

        def negate(*args: Any) -> bool | None:
            r = inner(*args)
            return None if r is None else not r

        return negate
    is_all = isinstance(node, All)
    decisive = not is_all  # the result that settles the node: False for ALL, True for ANY
    nodes = node.all if is_all else node.any
    if all(isinstance(c, Test) for c in nodes):
        return tests(nodes, decisive)
    children = [_compile(c, tests) for c in nodes]

    def combine(*args: Any) -> bool | None:
        results = [child(*args) for child in children]
        if decisive in results:
            return decisive
        if None in results:
            return None
        return not decisive

    return combine


def _compile_tests(tests: list[Test], decisive: bool) -> Evaluator:
    """An ALL (``decisive`` False) or ANY (True) of plain tests, run in one loop: rules
    are mostly such lists, and one call per node instead of one per test counts in a batch."""
    specs = tuple((t, t.field, _COMPARE[t.op], t.value) for t in tests)

    def run(values: Mapping[str, Any], unknown: Any, trace: Trace) -> bool | None:
        settled = unsure = False
        for test, field, compare, expected in specs:
            if field in unknown:
                trace.append((test, None, None))
                unsure = True
                continue
            actual = values[field]
            held = bool(compare(actual, expected))
            trace.append((test, actual, held))
            if held is decisive:
                settled = True
        return decisive if settled else None if unsure else not decisive

    return run


def _check_tests(tests: list[Test], decisive: bool) -> Check:
    """``_compile_tests`` without the trace."""
    specs = tuple((t.field, _COMPARE[t.op], t.value) for t in tests)

    def run(values: Mapping[str, Any], unknown: Any) -> bool | None:
        settled = unsure = False
        for field, compare, expected in specs:
            if field in unknown:
                unsure = True
            elif bool(compare(values[field], expected)) is decisive:
                settled = True
        return decisive if settled else None if unsure else not decisive

    return run
