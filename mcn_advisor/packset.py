"""Choosing the policy packs of a run: built-in names or pack files, several at once.

``--policy`` takes a built-in pack's short name (``douyin-2020``, ``kuaishou-2019``:
the file names in ``mcn_advisor/packs/`` with ``-`` for ``_``) or a path to a TOML
pack file. A value that ends in ``.toml`` or contains a path separator is always a
path; any other value is a built-in name, else a file of that name if one exists.

Packs given together are assessed together (``combine.py``), so they must not
clash: a pack given twice, a rule or action id defined in two packs, or two
different risk matrices (one report states one set of thresholds) is an error that
names both places.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from mcn_advisor.errors import PackError
from mcn_advisor.policy import Pack, builtin_pack, load_pack
from mcn_advisor.validation import did_you_mean

DEFAULT = "douyin-2020"


def builtin_names() -> list[str]:
    """The short names of the packs shipped inside the package."""
    folder = resources.files("mcn_advisor").joinpath("packs")
    return sorted(
        entry.name[: -len(".toml")].replace("_", "-")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )


def resolve(spec: str) -> Pack:
    """One pack: a built-in short name, or a path to a pack file."""
    looks_like_path = spec.endswith(".toml") or "/" in spec or "\\" in spec
    names = builtin_names()
    if not looks_like_path and spec in names:
        return builtin_pack(spec.replace("-", "_"))
    if looks_like_path or Path(spec).exists():
        return load_pack(spec)
    raise PackError(
        f"{spec}: no such policy pack: not a file, nor a built-in pack "
        f"({', '.join(names)}){did_you_mean(spec, names)}"
    )


def load_packs(specs: Iterable[str] | None) -> tuple[Pack, ...]:
    """The packs named by ``specs`` (the built-in default when none), checked to fit together.

    Every pack is read and checked before failing, so one run lists every problem.
    """
    problems: list[str] = []
    packs: list[Pack] = []
    for spec in list(specs or []) or [DEFAULT]:
        try:
            packs.append(resolve(spec))
        except PackError as exc:
            problems.extend(exc.problems)
    problems.extend(clashes(packs))
    if problems:
        raise PackError(problems)
    return tuple(packs)


def clashes(packs: list[Pack]) -> list[str]:
    """Why ``packs`` cannot be assessed together, one line each naming both places."""
    problems: list[str] = []
    first_pack: dict[str, Pack] = {}
    owner: dict[tuple[str, str], tuple[Pack, int]] = {}  # (section, id) -> first pack, index
    for pack in packs:
        if pack.id in first_pack:
            problems.append(
                f"{pack.where(('pack', 'id'))}: pack.id: pack '{pack.id}' is given twice "
                f"(also {first_pack[pack.id].source})"
            )
            continue
        first_pack[pack.id] = pack
        for section in ("rules", "actions"):
            for i, item in enumerate(getattr(pack.model, section)):
                key = (section, item.id)
                if key in owner:
                    other, j = owner[key]
                    problems.append(
                        f"{pack.where((section, i, 'id'))}: {section}.{i}.id: '{item.id}' is also defined "
                        f"by pack '{other.id}' ({other.where((section, j, 'id'))}); rule and action ids "
                        "must be unique across the packs assessed together"
                    )
                else:
                    owner[key] = (pack, i)
        first = packs[0]
        if pack.model.risk_matrix != first.model.risk_matrix:
            problems.append(
                f"{pack.where(('risk_matrix',))}: risk_matrix: {_matrix(pack)} differs from pack "
                f"'{first.id}' ({_matrix(first)}); packs assessed together must share one risk "
                "matrix, as a report states one set of thresholds"
            )
    return problems


def _matrix(pack: Pack) -> str:
    m = pack.model.risk_matrix
    return f"low {m.low}, medium {m.medium}, high {m.high}"
