"""The formula language: precedence, unknowns, functions, and errors caught at load."""

from __future__ import annotations

import re

import pytest

from mcn_advisor.pack.formulas import FormulaError, compile_formula

KNOWN = {"a.x", "a.y", "a.flag", "a.list"}


def known(name: str) -> str | None:
    return None if name in KNOWN else f"unknown field '{name}'"


def run(text: str, **values):
    scope = {"a.x": 2.0, "a.y": 3.0, "a.flag": True, "a.list": ["p", "q"]}
    scope.update({k.replace("_", "."): v for k, v in values.items()})
    return compile_formula(text, known).evaluate(scope)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a.x + a.y * 2", 8.0),
        ("(a.x + a.y) * 2", 10.0),
        ("a.x - a.y - 1", -2.0),
        ("1 - a.x / 4", 0.5),
        ("-a.x * 2", -4.0),
        ("0.20 - 0.05", pytest.approx(0.15)),
        ("min(1, a.x)", 1.0),
        ("max(a.x, a.y, 1)", 3.0),
        ("a.flag * 10", 10.0),
        ("a.list", 2.0),
        ("a.x / 0", 0.0),
        ("1_000 * a.x", 2000.0),
    ],
)
def test_arithmetic(text, expected):
    assert run(text) == expected


def test_unknown_value_makes_the_result_unknown():
    assert run("a.x * a.y", a_y=None) is None
    assert run("min(1, a.y)", a_y=None) is None


def test_names_are_listed_in_order_of_first_use():
    assert compile_formula("a.y * a.x + a.y", known).names == ("a.y", "a.x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a.x *", "formula ends too early"),
        ("a.x ** 2", "unexpected '*'"),
        ("a.z + 1", "unknown field 'a.z'"),
        ("pow(a.x, 2)", "unknown function 'pow'"),
        ("(a.x + 1", "expected ')'"),
        ("a.x; import os", "unexpected character ';'"),
        ("__import__('os')", "unexpected character"),
        ("", "formula is empty"),
    ],
)
def test_errors(text, message):
    with pytest.raises(FormulaError, match=re.escape(message)):
        compile_formula(text, known)


# --- bounded: no formula can exhaust the parser or the evaluator ---------------------------


def test_a_run_of_minus_signs_is_one_sign_or_none():
    assert run("-" * 10_000 + "a.x") == 2.0
    assert run("-" * 10_001 + "a.x") == -2.0
    assert run("a.y - -a.x") == 5.0


def test_nesting_is_bounded():
    from mcn_advisor.files.limits import MAX_FORMULA_DEPTH

    deep = MAX_FORMULA_DEPTH
    assert run("(" * deep + "a.x" + ")" * deep) == 2.0
    with pytest.raises(FormulaError, match=f"nest more than {deep} deep"):
        compile_formula("(" * (deep + 1) + "a.x" + ")" * (deep + 1), known)
    with pytest.raises(FormulaError, match="nest more than"):
        compile_formula("min(" * (deep + 1) + "a.x" + ")" * (deep + 1), known)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1e16 * a.x", "number 1e16 is larger than 1e+15"),
        ("1" + "0" * 400 + " * a.x", "... is larger than 1e+15"),
        (" * ".join(["1e15"] * 21) + " * a.x", "compute to inf, not a finite number"),
    ],
)
def test_constants_stay_finite(text, message):
    with pytest.raises(FormulaError, match=re.escape(message)):
        compile_formula(text, known)


def test_an_error_quotes_a_long_formula_cut_short():
    with pytest.raises(FormulaError) as caught:
        compile_formula("a.x + " * 2_000 + "?", known)
    assert len(str(caught.value)) < 200
