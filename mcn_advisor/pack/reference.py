"""The policy-pack reference (``docs/pack-reference.md``), generated from the code.

Condition operators come from ``conditions.OPERATORS``, formula functions from
``formulas.FUNCTIONS``, profile fields from ``profile.FIELDS``, and the words a pack
may use (strategies, severities, categories...) from the pack model itself, so the
reference cannot drift from what ``mcn-advisor policy validate`` accepts; a test
compares the committed file with this output. Regenerate with:

    python -m mcn_advisor.pack.reference > docs/pack-reference.md
"""

from __future__ import annotations

import sys
from typing import Any, get_args

from mcn_advisor.errors import show_value
from mcn_advisor.pack import formulas
from mcn_advisor.pack.conditions import OPERATORS, OPS_BY_KIND
from mcn_advisor.pack.models import models
from mcn_advisor.pack.schema import WEIGHT_TOTAL
from mcn_advisor.profile.model import FIELDS, SCHEMA_VERSION, Profile
from mcn_advisor.vocab import SEVERITIES, STRATEGIES

COMMAND = "python -m mcn_advisor.pack.reference > docs/pack-reference.md"
KIND_NAMES = {
    "number": "number",
    "bool": "true/false",
    "str": "text",
    "list": "list of text",
    "date": "date",
}


def render() -> str:
    """The whole reference as Markdown."""
    parts = [
        "# Policy pack reference",
        f"Generated from the code by `{COMMAND}`; do not edit by hand (a test checks it is current). "
        "How to write a pack: [Writing a policy pack](writing-a-policy-pack.md).",
        _operators(),
        _formulas(),
        _fields(),
        _words(),
    ]
    return "\n\n".join(parts) + "\n"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _code(text: str) -> str:
    return f"`{text}`"


def _operators() -> str:
    kinds_of = {op: [KIND_NAMES[k] for k, ops in OPS_BY_KIND.items() if op in ops] for op in OPERATORS}
    rows = [(_code(op), meaning, ", ".join(kinds_of[op])) for op, meaning in OPERATORS.items()]
    return "\n\n".join(
        [
            "## Condition operators",
            "A rule's `when` is a tree of `{ all = [...] }`, `{ any = [...] }`, `{ not = {...} }` and tests "
            '`{ field = "...", op = "...", value = ... }`. A test on a field the profile left out is '
            "*unknown*: `all` is false if any part is false, else unknown if any part is unknown; `any` "
            "is true if any part is true, else unknown if any part is unknown; `not` keeps unknown. A rule "
            "whose condition is unknown is reported as undecided, never guessed.",
            _table(("operator", "holds when the field is", "applies to"), rows),
            "`field` is a profile field (below) or `metric.<id>` for a metric of the pack (a number).",
        ]
    )


def _formulas() -> str:
    doc = formulas.__doc__ or ""
    grammar = doc.split("\n\n")[1].strip("\n")
    functions = ", ".join(_code(f"{name}(a, b, ...)") for name in formulas.FUNCTIONS)
    return "\n\n".join(
        [
            "## Formulas",
            "Metrics and factors are formulas, parsed and checked when the pack loads (never evaluated as "
            "code):",
            "```text\n" + "\n".join(line.strip() for line in grammar.splitlines()) + "\n```",
            f"Functions: {functions}. A name is a profile field or `metric.<id>` of a metric defined above "
            "it. In a formula true/false counts as 1/0 and a list as its length; dividing by zero gives 0; "
            "a left-out field with no assumed value makes the whole formula unknown.",
            "Partner names, read from `supply_chain.partners` through the pack's `[[partners]]` table "
            "(conditions and formulas alike): `partner.in_platform` is 1 when a listed partner supplies "
            "the pack's own platform (`[pack] platform`), else 0; `partner.coverage` is the largest "
            "coverage among those partners; `partner.<id>.coverage` is one partner's coverage (a constant).",
        ]
    )


def _left_out(path: str) -> str:
    """What the money and the score use when a profile leaves ``path`` out."""
    spec = FIELDS[path]
    section, name = path.split(".", 1)
    holder = Profile.model_fields[section]
    info = getattr(holder.annotation, "model_fields", {}).get(name) or next(
        m.model_fields[name] for m in get_args(holder.annotation) if hasattr(m, "model_fields")
    )
    if info.is_required():
        return "required"
    if spec.declared_at != path:
        return f"0 in a given table; {show_value(spec.assumed)} when the whole table is left out"
    if spec.assumed is not None:
        return show_value(spec.assumed)
    if info.default is not None:
        return f"{show_value(info.default)} (the table itself is required)"
    return "unknown (no fair guess)"


def _fields() -> str:
    rows = [
        (
            _code(path),
            KIND_NAMES[spec.kind],
            " ".join(_code(op) for op in OPS_BY_KIND[spec.kind]),
            _left_out(path),
            spec.description,
        )
        for path, spec in FIELDS.items()
    ]
    return "\n\n".join(
        [
            f"## Profile fields (schema_version {SCHEMA_VERSION})",
            "What conditions, formulas and `evidence` may read. *If left out* is the value the money and "
            "the score use when a profile leaves the field out (the report lists it under Assumptions); "
            "conditions still treat the field as unknown.",
            _table(("field", "kind", "operators", "if left out", "meaning"), rows),
        ]
    )


def _literal(model: Any, name: str) -> list[str]:
    annotation = model.model_fields[name].annotation
    found: list[str] = []
    stack = [annotation]
    while stack:
        item = stack.pop(0)
        args = get_args(item)
        if args and all(isinstance(a, str) for a in args):
            found.extend(args)
        else:
            stack.extend(args)
    return found


def _words() -> str:
    m = models()
    rows = [
        ("`actions.act_from`, `fixtures.expect.severity` values", ", ".join(_code(x) for x in SEVERITIES)),
        ("`rules.kind`", ", ".join(_code(x) for x in _literal(m["Rule"], "kind"))),
        ("`rules.category`", ", ".join(_code(x) for x in _literal(m["Rule"], "category"))),
        ("`rules.treatment`", ", ".join(_code(x) for x in _literal(m["Rule"], "treatment"))),
        ("`actions.strategy`", ", ".join(_code(x) for x in STRATEGIES)),
        ("`metrics.unit`", ", ".join(_code(x) for x in _literal(m["Metric"], "unit"))),
        ("`fixtures.expect.band`", "`low`, `moderate`, `high`, `critical`"),
    ]
    sections = ", ".join(_code(name) for name in m["PackModel"].model_fields)
    return "\n\n".join(
        [
            "## Words a pack may use",
            _table(("key", "one of"), rows),
            f"Top-level keys of a pack: {sections}. Factor weights must sum to {WEIGHT_TOTAL:g}. "
            f"Action ids and rule ids look like `{m['Action'].model_fields['id'].metadata[0].pattern}`; "
            "`effort` sizes, `roles` and `sources` are the pack's own tables. "
            "The JSON Schema (`mcn-advisor schema --pack`) lists every key with its type.",
        ]
    )


if __name__ == "__main__":  # pragma: no cover - the documented regeneration command
    sys.stdout.write(render())
