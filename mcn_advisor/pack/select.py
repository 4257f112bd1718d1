"""Choosing the policy packs of a run: built-in names or pack files, several at once.

``--policy`` takes a built-in pack's short name (``douyin-2020``, ``kuaishou-2019``:
the file names in ``mcn_advisor/pack/builtin/`` with ``-`` for ``_``) or a path to a TOML
pack file. A value that ends in ``.toml`` or contains a path separator is always a
path; any other value is a built-in name, else a file of that name if one exists.

Packs given together are assessed together (``combine.py``), so they must not
clash: a pack given twice, a rule or action id defined in two packs, or two
different risk matrices (one report states one set of thresholds) is an error that
names both places.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

from mcn_advisor.errors import PackError, did_you_mean, say
from mcn_advisor.pack.compile import Pack, builtin_pack, load_pack
from mcn_advisor.profile.acceptance import RuleBook

DEFAULT = "douyin-2020"
BUILTIN_SOURCE = "<built-in "  # how policy.builtin_pack names its source


def builtin_names() -> list[str]:
    """The short names of the packs shipped inside the package."""
    folder = resources.files("mcn_advisor.pack").joinpath("builtin")
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
        say(
            "{spec}: no such policy pack: not a file, nor a built-in pack ({names}){hint}",
            spec=spec,
            names=", ".join(names),
            hint=did_you_mean(spec, names),
        )
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
    """Why ``packs`` cannot be assessed together, one line each naming both places.

    Each line starts at the place to fix: in the later pack, or in the user's own file
    when the other side is a built-in pack.
    """
    problems: list[str] = []
    first_pack: dict[str, Pack] = {}
    owner: dict[tuple[str, str], tuple[Pack, int]] = {}  # (section, id) -> first pack, index
    for pack in packs:
        if pack.id in first_pack:
            problems.append(
                say(
                    "{where}: pack.id: pack '{id}' is given twice (also {source})",
                    where=pack.where(("pack", "id")),
                    id=pack.id,
                    source=first_pack[pack.id].source,
                )
            )
            continue
        first_pack[pack.id] = pack
        for section in ("rules", "actions"):
            for i, item in enumerate(getattr(pack.model, section)):
                if (section, item.id) not in owner:
                    owner[(section, item.id)] = (pack, i)
                    continue
                (here, at), (there, other_at) = _to_fix((pack, i), owner[(section, item.id)])
                problems.append(
                    say(
                        "{where}: {section}.{at}.id: '{id}' is also defined by pack '{pack}' ({there}); "
                        "rule and action ids must be unique across the packs assessed together",
                        where=here.where((section, at, "id")),
                        section=section,
                        at=at,
                        id=item.id,
                        pack=there.id,
                        there=there.where((section, other_at, "id")),
                    )
                )
        if pack.model.risk_matrix != packs[0].model.risk_matrix:
            (here, _), (there, _) = _to_fix((pack, 0), (packs[0], 0))
            problems.append(
                say(
                    "{where}: risk_matrix: {here} differs from pack '{pack}' ({there}); packs "
                    "assessed together must share one risk matrix, as a report states one set of thresholds",
                    where=here.where(("risk_matrix",)),
                    here=_matrix(here),
                    pack=there.id,
                    there=_matrix(there),
                )
            )
    return problems


def _to_fix(later: tuple[Pack, int], earlier: tuple[Pack, int]) -> tuple[tuple[Pack, int], tuple[Pack, int]]:
    """(the side to fix, the other): the later pack, unless it is built-in and the other is not."""
    if later[0].source.startswith(BUILTIN_SOURCE) and not earlier[0].source.startswith(BUILTIN_SOURCE):
        return earlier, later
    return later, earlier


def _matrix(pack: Pack) -> str:
    m = pack.model.risk_matrix
    return say("low {low}, medium {medium}, high {high}", low=m.low, medium=m.medium, high=m.high)


def rule_book(packs: Sequence[Pack]) -> RuleBook:
    """What a profile may name when assessed with ``packs``: their rules, and those of the
    other built-in packs (an acceptance of one waits for its pack); the partners any of
    them knows (a name close to one is taken for a typo)."""
    others = [builtin_pack(n.replace("-", "_")) for n in builtin_names()]
    return RuleBook.of(packs, elsewhere=(c.rule.id for pack in others for c in pack.rules), others=others)
