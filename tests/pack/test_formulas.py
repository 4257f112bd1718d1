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


TRICKY = [
    "a.x / a.y / 0 + 1",
    "-a.x - -2 * -(a.y - 3) / 7",
    "2 * 3 * a.x - 0.1 - 0.2",
    "min(a.x) + max(a.y, 1, min(a.x, 0.3)) * a.flag",
    "a.list / (a.x - a.x) + 0.1 * 3",
    "1 - 0.3 - a.y * 1e-3 / 3 * 7",
    "min(1, 2) * 3",
    " + ".join(f"a.x * {i}" for i in range(300)),  # long: the written code stays flat
    # runs of operations written as one expression, cut by divisions and every CHAIN_RUN operations
    "a.x / a.y * a.x - a.x / a.y",  # a leading division never overwrites the name it reads
    " * ".join(["a.x", "a.y"] * 12) + " / a.x * 3 / 0 * a.y",
    " - ".join(["a.y", "0.5", "a.x"] * 7) + " + -0.25",
]


def _values(rng, names):
    pick = [None, 0.0, 0, True, False, ["p"], [], 1e7, -0.0]
    return {n: rng.choice(pick) if rng.random() < 0.3 else rng.uniform(-5, 5) for n in names}


def test_a_formula_written_as_python_computes_exactly_what_its_closures_compute():
    # Every formula runs as closures first and, after COMPILE_AFTER evaluations in a process, as
    # one Python function (formulas.written): the two must agree to the last bit, None included.
    import random

    from mcn_advisor.pack import formulas
    from mcn_advisor.pack.compile import builtin_pack

    pack = builtin_pack()
    texts = [f.text for _, f in (*pack.metrics, *pack.factors)] + TRICKY
    rng = random.Random(15)
    for text in texts:
        formula = compile_formula(text, lambda name: None)
        fast = formulas.written(text)
        for _ in range(40):  # below COMPILE_AFTER: evaluate is still the closures
            values = _values(rng, formula.names)
            assert repr(fast(values)) == repr(formula.evaluate(values)), (text, values)


def test_a_formula_is_written_as_python_once_it_has_run_often(monkeypatch):
    from mcn_advisor.pack import formulas

    monkeypatch.setattr(formulas, "COMPILE_AFTER", 3)
    written = []
    real = formulas.written
    monkeypatch.setattr(formulas, "written", lambda text: written.append(text) or real(text))
    formula = compile_formula("a.x * a.y - 1", known)
    results = [formula.evaluate({"a.x": x, "a.y": 2.0}) for x in (1.0, 2.0, 3.0, 4.0, None, 5.0)]
    assert results == [1.0, 3.0, 5.0, 7.0, None, 9.0]
    assert written == ["a.x * a.y - 1"]  # once, at the fourth evaluation
    assert compile_formula("2 * 3", known).evaluate({}) == 6.0  # a constant is never written
