"""What a policy pack holds, as text: the rule list, one rule in detail, the timeline."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import RenderableType
from rich.padding import Padding

from mcn_advisor.core.engine import severity_range
from mcn_advisor.core.fixtures import FixtureResult
from mcn_advisor.errors import InputError, did_you_mean, say, show_value
from mcn_advisor.i18n import t
from mcn_advisor.pack.compile import Pack
from mcn_advisor.pack.conditions import All, AnyOf, Not, Test
from mcn_advisor.profile.model import FIELDS
from mcn_advisor.render.common import plain, share, source_line
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
                t(lang, f"cat_{r.category}"),
                t(lang, f"kind_{r.kind}"),
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


def _name(name: str, pack: Pack, lang: str) -> str:
    """A field or metric as a reader names it, with the key a pack author types:
    "月 GMV（agency.monthly_gmv_cny）"."""
    if name.startswith("metric."):
        label = next((m.label[lang] for m, _ in pack.metrics if f"metric.{m.id}" == name), name)
    else:
        label = t(lang, f"field.{name}") if name in FIELDS else name
    return t(lang, "paren", text=label, note=name) if label != name else name


def _test(test: Test, pack: Pack, lang: str) -> str:
    op = t(lang, f"op_{test.op}") if test.op in WORD_OPS else test.op
    if test.op in ("empty", "not_empty"):
        return f"{_name(test.field, pack, lang)} {op}"
    value = plain(test.value, lang) if isinstance(test.value, (bool, list)) else show_value(test.value)
    return f"{_name(test.field, pack, lang)} {op} {value}"


WORD_OPS = ("in", "not_in", "contains", "empty", "not_empty")


def _tree(node: Any, pack: Pack, lang: str, indent: int = 0) -> list[str]:
    pad = "  " * indent
    if isinstance(node, Test):
        return [f"{pad}- {_test(node, pack, lang)}"]
    if isinstance(node, Not):
        return [f"{pad}- {t(lang, 'cond_not')}", *_tree(node.not_, pack, lang, indent + 1)]
    key, children = ("cond_all", node.all) if isinstance(node, All) else ("cond_any", node.any)
    assert isinstance(node, (All, AnyOf))
    return [f"{pad}- {t(lang, key)}", *(line for c in children for line in _tree(c, pack, lang, indent + 1))]


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
            say(
                "unknown rule '{rule_id}' (see: mcn-advisor rules list){hint}",
                rule_id=rule_id,
                hint=did_you_mean(rule_id, rules),
            )
        )
    c, pack = rules[rule_id]
    r = c.rule
    meta = t(
        lang,
        "rule_meta",
        severity=_severities(*severity_range(r, pack), lang),
        category=t(lang, f"cat_{r.category}"),
        kind=t(lang, f"kind_{r.kind}"),
        policy=pack.id,
    )
    parts: list[RenderableType] = [Text.assemble((f"{r.id}  ", "bold"), (r.title[lang], "bold")), Text(meta)]
    if r.measure is not None:
        metric = next(m for m, _ in pack.metrics if m.id == r.measure.metric)
        scale = pack.model.scales[r.measure.scale]
        if isinstance(r.likelihood, int):
            likelihood = str(r.likelihood)
        else:
            levels = t(lang, "list_sep").join(str(n) for n in r.likelihood.levels)
            likelihood = t(
                lang, "rule_likelihood_steps", levels=levels, field=_name(r.likelihood.field, pack, lang)
            )
        bounds = t(lang, "list_sep").join(share(b) for b in scale.at)
        sized = t(lang, "rule_sized", metric=metric.label[lang], scale=scale.title[lang], bounds=bounds)
        parts.append(
            Text(
                t(lang, "item_sep").join(
                    [sized, t(lang, "labelled", label=t(lang, "likelihood_long"), value=likelihood)]
                )
            )
        )
    for key, event_id in (("when", r.event), ("rule_until", r.until)):
        if event_id:
            e = pack.events[event_id]
            value = f"{e.date.isoformat()} {e.title[lang]}"
            parts.append(Text(t(lang, "labelled", label=t(lang, key), value=value)))
    parts += [Text("\n" + t(lang, "rule_why"), style="bold underline"), Text(r.rationale[lang])]
    parts += [
        Text("\n" + t(lang, "rule_checks"), style="bold underline"),
        Text("\n".join(_tree(r.when, pack, lang))),
    ]
    fields = list(dict.fromkeys([*(x.field for x in c.tests), *r.evidence]))
    formulas = {f"metric.{m.id}": m.formula for m, _ in pack.metrics}
    parts.append(Text("\n" + t(lang, "rule_fields"), style="bold underline"))
    for name in fields:
        parts.append(Text(_name(name, pack, lang)))
        if name in formulas:
            parts.append(Padding(Text(f"= {formulas[name]}", style="dim"), (0, 0, 0, 2)))
    parts.append(Text("\n" + t(lang, "rule_actions"), style="bold underline"))
    phases = {p.id: p.title[lang] for p in pack.model.phases}
    for aid in r.actions:
        a = pack.actions[aid]
        effort = t(lang, "effort_value", size=a.effort, days=pack.model.effort[a.effort])
        owner = pack.model.roles[a.owner][lang]
        line = t(
            lang,
            "rule_action_line",
            id=aid,
            phase=phases[a.phase],
            owner=owner,
            effort=effort,
            title=a.title[lang],
        )
        parts.append(Text(line))
    if not r.actions:
        parts.append(Text(t(lang, "none")))
    parts += _examples(r.id, fixtures.get(pack.id, ()), lang)
    parts.append(Text("\n" + t(lang, "sources"), style="bold underline"))
    parts += [Text(source_line(sid, pack.model.sources[sid], lang)) for sid in r.sources]
    return to_text(parts, width=width)


def _examples(rule_id: str, results: Sequence[FixtureResult], lang: str) -> list[RenderableType]:
    """The pack's fixtures (its worked examples) where the rule fires and where it stays silent."""
    parts: list[RenderableType] = [Text("\n" + t(lang, "rule_examples"), style="bold underline")]
    for key, ids in (("rule_fires_in", "fired"), ("rule_silent_in", "silent")):
        shown = [r for r in results if rule_id in getattr(r, ids)]
        parts.append(Text(t(lang, key, n=len(shown)), style="bold"))
        for r in shown:
            f = r.fixture
            verdict = t(lang, "list_sep").join(
                [f.as_of.isoformat(), f"{t(lang, f'band_{r.band}')} {r.score:g}"]
            )
            line = t(lang, "labelled", label=t(lang, "paren", text=f.id, note=verdict), value=f.about[lang])
            parts.append(Padding(Text(line), (0, 0, 0, 2)))
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
            Text(date, style=style),
            Text(e.title[lang], style=style),
            Text(t(lang, "list_sep").join(e.sources), style="dim"),
        )
    head = Text(
        t(lang, "paren", text=pack.model.pack.title[lang], note=f"{pack.id} {pack.model.pack.version}"),
        style="bold",
    )
    return to_text([head, Text(pack.model.pack.summary[lang] + "\n"), table], width=width)


def builtin_packs(named: Sequence[tuple[str, Pack]], default: str, lang: str, *, width: int = 80) -> str:
    """The packs shipped inside the package, by the short name ``--policy`` takes."""
    table = Table(box=None, pad_edge=False, show_edge=False)
    for key in ("pack_name", "pack_id", "pack_version", "title"):
        table.add_column(t(lang, key))
    for name, pack in named:
        mark = t(lang, "paren", text="", note=t(lang, "default")) if name == default else ""
        table.add_row(
            Text(name + mark, style="bold"), pack.id, pack.model.pack.version, pack.model.pack.title[lang]
        )
    return to_text([table], width=width)
