"""What a pack's conditions and formulas may name: profile fields and the pack's metrics.

One place decides what a name means, for rules, metrics, factors and levers alike, so a
misspelt name gets the same message (with a "did you mean") wherever it is written.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping

from mcn_advisor.errors import did_you_mean
from mcn_advisor.profile.model import FIELDS

METRIC = "metric."
# Fields a formula can read as a number: true/false counts as 1/0, a list as its length.
NUMERIC: frozenset[str] = frozenset(
    p for p, spec in FIELDS.items() if spec.kind in ("number", "bool", "list")
)


def condition_fields(metric_ids: Iterable[str]) -> dict[str, str]:
    """The names a condition may test: profile fields and ``metric.<id>``, with their kind."""
    known = {path: spec.kind for path, spec in FIELDS.items()}
    known.update({METRIC + m: "number" for m in metric_ids})
    return known


def formula_scope(metrics: Collection[str]) -> Callable[[str], str | None]:
    """``known(name)`` for ``compile_formula``: None when a formula may read ``name``, else why not.

    ``metrics`` are the metric ids in scope; it may grow as metrics compile, so that a
    metric reads only those defined above it.
    """

    def known(name: str) -> str | None:
        if name.startswith(METRIC):
            if name[len(METRIC) :] in metrics:
                return None
            ids = [METRIC + x for x in metrics]
            hint = did_you_mean(name, ids) or " (a metric may only use metrics defined above it)"
            return f"unknown metric '{name}'{hint}"
        if name in NUMERIC:
            return None
        if name in FIELDS:
            return f"field '{name}' is {FIELDS[name].kind}, not a number"
        return f"unknown field '{name}'{did_you_mean(name, NUMERIC)}"

    return known


def profile_fields(names: Iterable[str], metric_inputs: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """The profile fields behind ``names``, looking through metrics to what they read."""
    out: set[str] = set()
    for name in names:
        out |= metric_inputs.get(name[len(METRIC) :], set()) if name.startswith(METRIC) else {name}
    return frozenset(out)
