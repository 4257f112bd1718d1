"""What a policy pack holds, as text: the rule list, one rule in detail, the timeline."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import RenderableType
from rich.padding import Padding

from mcn_advisor.core.engine import severity_range
from mcn_advisor.core.fixtures import FixtureResult
from mcn_advisor.errors import InputError, did_you_mean
from mcn_advisor.i18n import t
from mcn_advisor.pack.compile import Pack
from mcn_advisor.pack.conditions import All, AnyOf, Not, Test
from mcn_advisor.render.linebreak import Para as Text
from mcn_advisor.render.linebreak import ParaTable as Table
from mcn_advisor.render.terminal import SEVERITY_STYLE, to_text


def rules_table(packs: Sequence[Pack], lang: str, *, width: int = 80) -> str:
    """Every rule of the packs; with several packs, a column names each rule's pack."""
    table = Table(box=None, pad_edge=False, show_edge=False)
    keys = ("rule", "severity", "category", "kind", "title") + (("pack",) if len(packs) > 1 else ())
    for key in keys:
        col = t(lang, key)
        table.add_column(col, no_wrap=key == "pack")
    for pack in packs:
        for c in pack.rules:
            r = c.rule
            least, most = severity_range(r, pack)
            table.add_row(
                Text(r.id),
                Text(_severities(least, most, lang), style=SEVERITY_STYLE[most]),
                r.category,
                r.kind,
                Text(r.title[lang]),
                *([Text(pack.id, style="dim")] if len(packs) > 1 else []),
            )
    return to_text([table], width=width)


def _severities(least: str, most: str, lang: str) -> str:
    """ "low–critical": a risk's severity comes from its size on the profile assessed."""
    return t(lang, f"sev_{most}") if least == most else f"{t(lang, f'sev_{least}')}–{t(lang, f'sev_{most}')}"


def rules_json(packs: Sequence[Pack], lang: str) -> str:
    """``policy`` is the first pack's id (kept for scripts written for one pack);
    ``policies`` lists them all and each rule names its ``policy``."""
    rows = [
        {
            "id": c.rule.id,
            "severity_range": list(severity_range(c.rule, pack)),  # sized on each profile
            "category": c.rule.category,
            "kind": c.rule.kind,
            "title": c.rule.title[lang],
            "fields": sorted({t.field for t in c.tests}),
            "actions": c.rule.actions,
            "policy": pack.id,
        }
        for pack in packs
        for c in pack.rules
    ]
    doc = {"policy": packs[0].id, "policies": [p.id for p in packs], "rules": rows}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _tree(node: Any, indent: int = 0) -> list[str]:
    pad = "  " * indent
    if isinstance(node, Test):
        return [f"{pad}- {node.text()}"]
    if isinstance(node, Not):
        return [f"{pad}- NOT:", *_tree(node.not_, indent + 1)]
    word, children = ("ALL of", node.all) if isinstance(node, All) else ("ANY of", node.any)
    assert isinstance(node, (All, AnyOf))
    return [f"{pad}- {word}:", *(line for c in children for line in _tree(c, indent + 1))]


def rule_detail(
    packs: Sequence[Pack],
    rule_id: str,
    lang: str,
    fixtures: Mapping[str, Sequence[FixtureResult]] = {},
    *,
    width: int = 80,
) -> str:
    """One rule in full; ``fixtures`` (pack id -> its fixtures run) shows it on the pack's examples."""
    rules = {c.rule.id: (c, pack) for pack in packs for c in pack.rules}
    if rule_id not in rules:
        raise InputError(
            f"unknown rule '{rule_id}' (see: mcn-advisor rules list){did_you_mean(rule_id, rules)}"
        )
    c, pack = rules[rule_id]
    r = c.rule
    parts: list[RenderableType] = [
        Text.assemble((f"{r.id}  ", "bold"), (r.title[lang], "bold")),
        Text(
            f"severity {_severities(*severity_range(r, pack), 'en')} · category {r.category} · "
            f"kind {r.kind} · policy {pack.id}"
        ),
    ]
    if r.measure is not None:
        metric = next(m for m, _ in pack.metrics if m.id == r.measure.metric)
        scale = pack.model.scales[r.measure.scale]
        bounds = ", ".join(f"{b:g}" for b in scale.at)
        likelihood = (
            r.likelihood
            if isinstance(r.likelihood, int)
            else f"{r.likelihood.levels} by {r.likelihood.field}"
        )
        parts.append(
            Text(
                f"sized by metric.{metric.id} on the {r.measure.scale} scale (impact 2..5 from {bounds}); "
                f"likelihood {likelihood}"
            )
        )
    if r.event:
        e = pack.events[r.event]
        parts.append(Text(f"{t(lang, 'when')}: {e.date.isoformat()} {e.title[lang]}"))
    if r.until:
        e = pack.events[r.until]
        parts.append(Text(f"until: {e.date.isoformat()} {e.title[lang]}"))
    parts += [Text("\nWhy", style="bold underline"), Text(r.rationale[lang])]
    parts += [Text("\nWhat it checks", style="bold underline"), Text("\n".join(_tree(r.when)))]
    fields = list(dict.fromkeys([*(x.field for x in c.tests), *r.evidence]))
    formulas = {f"metric.{m.id}": m.formula for m, _ in pack.metrics}
    lines = [f"{name} = {formulas[name]}" if name in formulas else name for name in fields]
    parts += [Text("\nFields it reads", style="bold underline"), Text("\n".join(lines))]
    parts.append(Text("\nActions it triggers", style="bold underline"))
    for aid in r.actions:
        a = pack.actions[aid]
        parts.append(
            Text(f"{aid} ({a.phase}, {pack.model.roles[a.owner][lang]}, {a.effort}): {a.title[lang]}")
        )
    if not r.actions:
        parts.append(Text(t(lang, "none")))
    parts += _examples(r.id, fixtures.get(pack.id, ()), lang)
    parts.append(Text("\n" + t(lang, "sources"), style="bold underline"))
    for sid in r.sources:
        s = pack.model.sources[sid]
        date = f", {s.date.isoformat()}" if s.date else ""
        parts.append(Text(f"[{sid}] {s.publisher}: {s.title}{date}"))
    return to_text(parts, width=width)


def _examples(rule_id: str, results: Sequence[FixtureResult], lang: str) -> list[RenderableType]:
    """The pack's fixtures (its worked examples) where the rule fires and where it stays silent."""
    parts: list[RenderableType] = [Text("\n" + t(lang, "rule_examples"), style="bold underline")]
    for key, ids in (("rule_fires_in", "fired"), ("rule_silent_in", "silent")):
        shown = [r for r in results if rule_id in getattr(r, ids)]
        parts.append(Text(t(lang, key, n=len(shown)), style="bold"))
        for r in shown:
            f = r.fixture
            verdict = f"{t(lang, f'band_{r.band}')} {r.score:g}"
            parts.append(Padding(Text(f"{f.id} ({f.as_of.isoformat()}, {verdict}): {f.about}"), (0, 0, 0, 2)))
        if not shown:
            parts.append(Padding(Text(t(lang, "none")), (0, 0, 0, 2)))
    return parts


def timeline(packs: Sequence[Pack], lang: str, *, width: int = 80) -> str:
    """Each pack's timeline, one after the other."""
    return "\n".join(_timeline(pack, lang, width) for pack in packs)


def _timeline(pack: Pack, lang: str, width: int) -> str:
    table = Table(box=None, pad_edge=False, show_edge=False, show_header=False)
    table.add_column(no_wrap=True)
    table.add_column()
    table.add_column()
    for e in pack.model.events:
        date = e.date.isoformat()[:7] if e.precision == "month" else e.date.isoformat()
        style = "bold" if e.step else ""
        table.add_row(
            Text(date, style=style), Text(e.title[lang], style=style), Text(", ".join(e.sources), style="dim")
        )
    head = Text(f"{pack.model.pack.title[lang]} ({pack.id} {pack.model.pack.version})", style="bold")
    return to_text([head, Text(pack.model.pack.summary[lang] + "\n"), table], width=width)


def builtin_packs(named: Sequence[tuple[str, Pack]], default: str, lang: str, *, width: int = 80) -> str:
    """The packs shipped inside the package, by the short name ``--policy`` takes."""
    table = Table(box=None, pad_edge=False, show_edge=False)
    for key in ("pack_name", "pack_id", "pack_version", "title"):
        table.add_column(t(lang, key))
    for name, pack in named:
        mark = " " + t(lang, "default") if name == default else ""
        table.add_row(
            Text(name + mark, style="bold"), pack.id, pack.model.pack.version, pack.model.pack.title[lang]
        )
    return to_text([table], width=width)
