"""A small arithmetic language for the figures a policy pack defines; parsed, never eval'd.

    formula := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := "-" unary | atom
    atom    := NUMBER | NAME | FUNC "(" formula ("," formula)* ")" | "(" formula ")"

NAME is a profile field (``clients.taobao_linked_share``) or a metric defined earlier
in the pack (``metric.third_party_live_share``); FUNC is ``min`` or ``max``. In a
formula ``true``/``false`` fields count as 1/0 and list fields as their length;
dividing by zero gives 0. A name whose value is unknown (left out, with no assumed
value) makes the whole formula unknown (``None``).

A formula compiles to closures when its pack loads. One that a process evaluates more than
``COMPILE_AFTER`` times (a batch: every profile, and a report's ranges many times over) is
then written as one Python function (``written``): code made from its checked tokens, never
from its text, computing exactly what the closures compute; a single report never pays for
writing it. The engine writes a pack's whole evaluation (its metrics, factors and rule
checks in one function) with the same writer (``Code``, ``write_formula``).

Bounded, so that no formula can exhaust the parser or the evaluator: parentheses and
function calls nest at most ``MAX_FORMULA_DEPTH`` deep, a run of minus signs is read
as one sign (``--x`` is ``x``), and every number written lies within ``MAX_NUMBER``.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from mcn_advisor.errors import say, shorten
from mcn_advisor.files.limits import MAX_FORMULA_DEPTH, MAX_NUMBER
from mcn_advisor.records import record, warming

Value = float | None
Compiled = Callable[[Mapping[str, Any]], Value]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:_\d+)*(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"
    r"|(?P<op>[-+*/(),]))"
)
FUNCTIONS: dict[str, Callable[..., float]] = {"min": min, "max": max}


class FormulaError(ValueError):
    """A formula that does not parse, or names something that does not exist."""


@record(frozen=True)
class Formula:
    text: str
    names: tuple[str, ...]  # every name read, in order of first use
    evaluate: Compiled


COMPILE_AFTER = 200  # evaluations of a formula, in one process, before it is written as Python


def compile_formula(text: str, known: Callable[[str], str | None]) -> Formula:
    """Parse and compile ``text``; ``known(name)`` returns an error message or None."""
    tokens = _tokenize(text)
    parser = _Closures(tokens, known)
    fn = parser.formula()
    if parser.pos != len(tokens):
        raise FormulaError(
            say(
                "unexpected '{found}' in formula {text}",
                found=tokens[parser.pos][1],
                text=shorten(repr(text)),
            )
        )
    return Formula(text=text, names=tuple(dict.fromkeys(parser.names)), evaluate=_warming(fn, text))


def _warming(interpreted: Compiled, text: str) -> Compiled:
    """The formula as closures for its first ``COMPILE_AFTER`` evaluations, then as one Python
    function (``written``): writing it costs about as much as a few hundred evaluations, which
    a single report never reaches and a batch passes at its first few profiles."""
    if hasattr(interpreted, "value"):
        return interpreted  # a constant
    return warming(interpreted, lambda: written(text), COMPILE_AFTER)


def written(text: str) -> Compiled:
    """A formula (checked by ``compile_formula``) as one Python function that computes exactly
    what its closures compute."""
    code = Code("formula", "values")
    write_formula(text, code, "result")
    code.lines.append("return result")
    return code.function()  # type: ignore[no-any-return]


# ``_number`` written inline for ints and bools (``type() is``: bool has no subclass, and an int
# subclass goes to the call, as does anything else)
_NUMBER = (
    "float({var}) if type({var}) is int "
    "else (1.0 if {var} else 0.0) if type({var}) is bool else _number({var})"
)


class Code:
    """One Python function being written from a pack's checked tokens and records (never from
    its text): its lines, the names it reads (each once, into a local, at its start: the values
    of a profile do not change while it runs), and the objects it uses, bound by name."""

    def __init__(self, name: str, params: str):
        self.name = name
        self.head = f"def {name}({params}):"
        self.reads: dict[str, str] = {}  # name read -> its local, as a formula reads it
        self.exact: dict[str, str] = {}  # names whose local holds values[name] itself (metrics)
        self.prologue: list[str] = []
        self.lines: list[str] = []
        self.scope: dict[str, Any] = {"_number": _number, **FUNCTIONS}
        self.count = 0

    def local(self, prefix: str = "t") -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def read(self, name: str) -> str:
        """The local holding ``values[name]`` as a formula reads it (a number, or None)."""
        var = self.reads.get(name)
        if var is None:
            var = self.reads[name] = self.local("n")
            self.prologue += [
                f"{var} = values[{name!r}]",
                f"if type({var}) is not float:",  # most values are floats already
                f"    {var} = {_NUMBER.format(var=var)}",
            ]
        return var

    def constant(self, value: Any) -> str:
        """``value`` in the code: an int or a finite float as its exact repr, anything else bound
        by name."""
        if type(value) is int or (type(value) is float and math.isfinite(value)):
            return repr(value)
        var = self.local("k")
        self.scope[var] = value
        return var

    def source(self) -> str:
        return "\n".join([self.head, *(f"    {line}" for line in (*self.prologue, *self.lines))]) + "\n"

    def function(self) -> Callable[..., Any]:
        exec(self.source(), self.scope)  # tokens and records only: see the class
        return self.scope[self.name]  # type: ignore[no-any-return]


def write_formula(text: str, code: Code, target: str) -> None:
    """Lines of ``code`` computing a formula (checked by ``compile_formula``) into the local
    ``target``: ``None`` when a name it reads is ``None``, as its closures say."""
    writer = _Writer(_tokenize(text), code)
    result = writer.formula()
    body = [*writer.lines, f"{target} = {_operand(result)}"]
    if writer.used:
        code.lines += [
            f"if {' or '.join(f'{var} is None' for var in writer.used.values())}:",
            f"    {target} = None",
        ]
        code.lines += ["else:", *(f"    {line}" for line in body)]
    else:
        code.lines += body


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            bad = text[pos:].strip()[:1]
            raise FormulaError(
                say("unexpected character '{bad}' in formula {text}", bad=bad, text=shorten(repr(text)))
            )
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    if not tokens:
        raise FormulaError(say("formula is empty"))
    return tokens


def _number(value: Any) -> Value:
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (list, tuple)):
        return float(len(value))
    return float(value)


class _Grammar:
    """Recursive descent over the tokens; what each construct becomes is the builder's
    (``_Closures``: closures, ``_Writer``: Python code). Every check is made here, once."""

    def __init__(self, tokens: list[tuple[str, str]], known: Callable[[str], str | None]):
        self.tokens = tokens
        self.pos = 0
        self.known = known
        self.names: list[str] = []
        self.depth = 0  # parentheses and calls open around the current token

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise FormulaError(
                say(
                    "formula ends too early{expected}",
                    expected=say("; expected '{token}'", token=expected) if expected else "",
                )
            )
        tok = self.tokens[self.pos]
        if expected is not None and tok[1] != expected:
            raise FormulaError(say("expected '{expected}', found '{found}'", expected=expected, found=tok[1]))
        self.pos += 1
        return tok

    def formula(self) -> Any:
        first = self.term()
        rest: list[tuple[str, Any]] = []
        while self._peek() in ("+", "-"):
            op = self._take()[1]
            rest.append((op, self.term()))
        return self.chain(first, rest)

    def term(self) -> Any:
        first = self.unary()
        rest: list[tuple[str, Any]] = []
        while self._peek() in ("*", "/"):
            op = self._take()[1]
            rest.append((op, self.unary()))
        return self.chain(first, rest)

    def unary(self) -> Any:
        minus = 0
        while self._peek() == "-":  # counted, not recursed: 10,000 signs are one sign or none
            self._take()
            minus += 1
        return self.negate(self.atom()) if minus % 2 else self.atom()

    def _nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_FORMULA_DEPTH:
            raise FormulaError(
                say("parentheses and calls nest more than {limit} deep", limit=MAX_FORMULA_DEPTH)
            )

    def atom(self) -> Any:
        kind, tok = self._take()
        if kind == "num":
            value = float(tok.replace("_", ""))
            if not value <= MAX_NUMBER:
                raise FormulaError(
                    say(
                        "number {number} is larger than {limit}",
                        number=shorten(tok, 24),
                        limit=f"{MAX_NUMBER:g}",
                    )
                )
            return self.number(value)
        if tok == "(":
            self._nested()
            inner = self.formula()
            self._take(")")
            self.depth -= 1
            return inner
        if kind == "name" and self._peek() == "(":
            if tok not in FUNCTIONS:
                raise FormulaError(
                    say("unknown function '{name}'; known: {known}", name=tok, known=", ".join(FUNCTIONS))
                )
            self._take("(")
            self._nested()
            args = [self.formula()]
            while self._peek() == ",":
                self._take()
                args.append(self.formula())
            self._take(")")
            self.depth -= 1
            return self.call(tok, args)
        if kind == "name":
            problem = self.known(tok)
            if problem:
                raise FormulaError(problem)
            self.names.append(tok)
            return self.read(tok)
        raise FormulaError(say("unexpected '{found}'", found=tok))


class _Closures(_Grammar):
    """Each construct as a closure: the formula as the pack loads it, and for its first evaluations."""

    def chain(self, first: Compiled, rest: list[tuple[str, Compiled]]) -> Compiled:
        return _chain(first, rest)

    def negate(self, inner: Compiled) -> Compiled:
        if hasattr(inner, "value"):
            return _constant(-inner.value)  # type: ignore[attr-defined]

        def neg(v: Mapping[str, Any]) -> Value:
            x = inner(v)
            return None if x is None else -x

        return neg

    def number(self, value: float) -> Compiled:
        return _constant(value)

    def call(self, name: str, args: list[Compiled]) -> Compiled:
        return _call(FUNCTIONS[name], args)

    def read(self, name: str) -> Compiled:
        def read(v: Mapping[str, Any]) -> Value:
            x = v[name]
            return x if type(x) is float else _number(x)  # most values are floats already

        read.field = name  # type: ignore[attr-defined]  # lets _chain read it inline
        return read


CHAIN_RUN = 8  # operations written as one expression: a long chain nests no deeper in the code
Operand = float | str  # a constant (folded when the pack loads), or the local holding a value


class _Writer(_Grammar):
    """Each construct as Python code into ``code``: each name read once into a local
    (``Code.read``), then the operations left to right, exactly as the closures do them (same
    order, same rounding, constants folded alike). Written from the checked tokens only: names
    as quoted keys, numbers as floats; every chain into a local of its own, at most
    ``CHAIN_RUN`` operations an expression, so the code nests no deeper however long the
    formula."""

    def __init__(self, tokens: list[tuple[str, str]], code: Code):
        super().__init__(tokens, lambda name: None)
        self.code = code
        self.used: dict[str, str] = {}  # names this formula reads -> their locals
        self.lines: list[str] = []

    def _local(self, expression: str) -> str:
        var = self.code.local()
        self.lines.append(f"{var} = {expression}")
        return var

    def chain(self, first: Operand, rest: list[tuple[str, Operand]]) -> Operand:
        while rest and isinstance(first, float) and isinstance(rest[0][1], float):
            op, const = rest.pop(0)
            first = _constant(_OPERATORS[op](first, const)).value  # type: ignore[attr-defined]
        if not rest:
            return first
        # runs of + - (or * /) as one expression, evaluated left to right as the closures do;
        # a division (by zero gives 0) and every CHAIN_RUN operations into the local
        acc, fresh, run = _operand(first), False, 0
        for op, x in rest:
            if op == "/":
                if not fresh or run:
                    acc, run = self._local(acc), 0
                self.lines.append(f"{acc} = {acc} / {_operand(x)} if {_operand(x)} else 0.0")
            else:
                acc, run = f"{acc} {op} {_operand(x)}", run + 1
                if run == CHAIN_RUN:
                    acc, run = self._local(acc), 0
            fresh = True
        return self._local(acc) if run else acc

    def negate(self, inner: Operand) -> Operand:
        return -inner if isinstance(inner, float) else self._local(f"-{inner}")

    def number(self, value: float) -> Operand:
        return value

    def call(self, name: str, args: list[Operand]) -> Operand:
        return self._local(f"{name}(({', '.join(map(_operand, args))},))")  # of a sequence, as closures

    def read(self, name: str) -> Operand:
        var = self.used[name] = self.code.read(name)
        return var


def _operand(x: Operand) -> str:
    return repr(x) if isinstance(x, float) else x  # the float exactly (finite: checked when folded)


_OPERATORS: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": lambda x, y: x / y if y else 0.0,
}


def _constant(value: float) -> Compiled:
    if not math.isfinite(value):  # constants folded when the pack loads: 1e15 * 1e15 * ...
        raise FormulaError(say("its constants compute to {value}, not a finite number", value=value))

    def const(v: Mapping[str, Any]) -> Value:
        return value

    const.value = value  # type: ignore[attr-defined]  # lets _binary fold and specialise
    return const


def _chain(first: Compiled, rest: list[tuple[str, Compiled]]) -> Compiled:
    """``first op1 x1 op2 x2 ...`` evaluated left to right, as nested binary operations
    would be (same rounding), but in one call: fields are read inline, not through
    a closure each, and a leading run of constants is folded when the pack loads."""
    while rest and hasattr(first, "value") and hasattr(rest[0][1], "value"):
        op, const = rest.pop(0)
        first = _constant(_OPERATORS[op](first.value, const.value))  # type: ignore[attr-defined]
    if not rest:
        return first
    if len(rest) == 1:
        return _binary(rest[0][0], first, rest[0][1])
    head = first
    items = tuple((_OPERATORS[op], getattr(fn, "field", None), fn) for op, fn in rest)

    def chain(v: Mapping[str, Any]) -> Value:
        acc = head(v)
        if acc is None:
            return None
        for fn, field, operand in items:
            if field is None:
                x = operand(v)
            else:
                x = v[field]
                if type(x) is not float:
                    x = _number(x)
            if x is None:
                return None
            acc = fn(acc, x)
        return acc

    return chain


def _binary(op: str, a: Compiled, b: Compiled) -> Compiled:
    fn = _OPERATORS[op]
    ca: float | None = getattr(a, "value", None)
    cb: float | None = getattr(b, "value", None)
    if ca is not None and cb is not None:
        return _constant(fn(ca, cb))  # "(0.20 - 0.05)" is computed once, when the pack loads
    if cb is not None:  # "x * 0.5", "1 - x": one closure call per evaluation instead of two

        def right_const(v: Mapping[str, Any]) -> Value:
            x = a(v)
            return None if x is None else fn(x, cb)

        return right_const
    if ca is not None:

        def left_const(v: Mapping[str, Any]) -> Value:
            y = b(v)
            return None if y is None else fn(ca, y)

        return left_const
    if op == "*":  # the commonest operator gets its own closure: formulas run per profile

        def mul(v: Mapping[str, Any]) -> Value:
            x = a(v)
            if x is None:
                return None
            y = b(v)
            return None if y is None else x * y

        return mul

    def run(v: Mapping[str, Any]) -> Value:
        x = a(v)
        if x is None:
            return None
        y = b(v)
        return None if y is None else fn(x, y)

    return run


def _call(fn: Callable[..., float], args: list[Compiled]) -> Compiled:
    def run(v: Mapping[str, Any]) -> Value:
        values = []
        for a in args:
            x = a(v)
            if x is None:
                return None
            values.append(x)
        return fn(values)

    return run
