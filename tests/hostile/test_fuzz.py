"""Random input for the loaders: whatever a file holds, the CLI answers with exit 0 or 2 and
one line per problem, never a traceback, never a hang.

Three sources: random bytes; random TOML documents (nested tables and arrays, huge and
non-finite numbers, dates at the ends of the calendar, text with control characters);
and the example profile with one field set to such a value, which reaches validation
and the engine rather than the parser.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mcn_advisor.cli import app
from tests.conftest import PROFILES
from tests.hostile.test_corpus import _deadline

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ENV = {"NO_COLOR": "1", "COLUMNS": "80"}
FUZZ = settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
EXAMPLE = tomllib.loads((PROFILES / "midsize_mcn_supply_services.toml").read_text("utf-8"))

EXTREMES = [0, -0.0, 1, 0.5, -1, 1e15, 1e16, 5e-324, 1.7e308, 10**20, 10**400, -(10**400)]
EXTREMES += [float("nan"), float("inf"), float("-inf")]
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=10**15, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(EXTREMES),
)
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "   ", "\u3000", "\u200b", "\x1b[31mred", "\x1b]0;title\x07", "\u202eevil", "=1+1"]),
)
dates = st.one_of(
    st.dates(), st.sampled_from([dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2020, 8, 27)])
)
scalars = st.one_of(numbers, texts, dates, st.booleans())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(min_size=1, max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)


def toml_value(value: Any) -> str:
    """A value written as TOML (inline tables for dicts)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("-inf" if value < 0 else "inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return (
        "{"
        + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {toml_value(v)}" for k, v in value.items())
        + "}"
    )


def toml_document(data: dict[str, Any]) -> str:
    lines = [
        f"{json.dumps(k, ensure_ascii=False)} = {toml_value(v)}"
        for k, v in data.items()
        if not isinstance(v, dict)
    ]
    for k, v in data.items():
        if isinstance(v, dict):
            lines.append(f"[{json.dumps(k, ensure_ascii=False)}]")
            lines += [f"{json.dumps(kk, ensure_ascii=False)} = {toml_value(vv)}" for kk, vv in v.items()]
    return "\n".join(lines) + "\n"


def answers_cleanly(path: Path, *args: str) -> None:
    """The CLI on ``path`` exits 0 or 2 without a traceback, within a few seconds."""
    with _deadline(20):
        result = CliRunner().invoke(app, [*args, str(path)], env=ENV, color=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 2), (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    if result.exit_code == 2:
        assert result.stderr.startswith("error: "), result.stderr[:200]


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes_as_a_profile(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "p.toml"
    path.write_bytes(data)
    answers_cleanly(path, "validate")


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes_as_a_pack(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "pack.toml"
    path.write_bytes(data)
    answers_cleanly(path, "policy", "validate")


@FUZZ
@given(doc=st.dictionaries(st.text(min_size=1, max_size=12), values, max_size=6))
def test_random_toml_as_a_profile(tmp_path: Path, doc: dict[str, Any]) -> None:
    path = tmp_path / "p.toml"
    path.write_text(toml_document(doc), "utf-8")
    answers_cleanly(path, "validate")


FIELDS = [(section, key) for section, table in EXAMPLE.items() if isinstance(table, dict) for key in table]
NUMBER_FIELDS = [(s, k) for s, k in FIELDS if type(EXAMPLE[s][k]) in (int, float)]


def with_value(tmp_path: Path, where: tuple[str, str | None], value: Any) -> Path:
    """The example profile with ``value`` at ``where`` (a section and key, or a top-level key)."""
    doc = json.loads(json.dumps(EXAMPLE, default=str))  # a deep copy; dates become text...
    doc["as_of"] = EXAMPLE["as_of"]  # ...except the one date at the top
    section, key = where
    if key is None:
        doc[section] = value
    else:
        doc[section][key] = value
    path = tmp_path / "p.toml"
    path.write_text(toml_document(doc), "utf-8")
    return path


@FUZZ
@given(
    where=st.sampled_from([*FIELDS, ("agency", "new_key"), ("as_of", None)]), value=st.one_of(scalars, values)
)
def test_the_example_with_one_hostile_value(tmp_path: Path, where: tuple[str, str | None], value: Any):
    answers_cleanly(with_value(tmp_path, where, value), "assess", "-f", "json")


@FUZZ
@given(where=st.sampled_from(NUMBER_FIELDS), value=st.sampled_from(EXTREMES))
def test_the_example_with_one_hostile_number(tmp_path: Path, where: tuple[str, str], value: Any):
    answers_cleanly(with_value(tmp_path, where, value), "assess", "-f", "json")


@FUZZ
@given(date=dates)
def test_the_example_assessed_at_any_date(tmp_path: Path, date: dt.date):
    answers_cleanly(with_value(tmp_path, ("as_of", None), date), "assess")


@pytest.mark.parametrize(
    "raw", [b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"[", b"a = 1\na = 2", b"x = " + b"[" * 70 + b"]" * 70]
)
def test_a_few_known_shapes(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "p.toml"
    path.write_bytes(raw)
    answers_cleanly(path, "validate")
