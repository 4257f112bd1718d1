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
