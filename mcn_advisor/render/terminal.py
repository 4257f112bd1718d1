"""The assessment as a terminal report, readable at 80 columns and without colour.

Laid out by ``textlayout`` (as rich would lay it out, without rich's per-cell machinery).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mcn_advisor.core.contract import Assessment, Finding
from mcn_advisor.errors import visible
from mcn_advisor.i18n import t
from mcn_advisor.render.common import (
    ASSUMED_MARK,
    NET_FIGURE,
    acceptance_key,
    action_notes,
    band_text,
    days,
    dropped_text,
    event_known_note,
    evidence_texts,
    field_label,
    field_labels,
    field_value,
    figure,
    has_range,
    ladder,
    loss_text,
    missing_text,
    money,
    month_dates,
    net_text,
    neutral_text,
    number,
    path_bar,
    range_text,
    rate_text,
    rung_amount,
    scale_text,
    score_range_text,
    season_text,
    set_aside_text,
    sizing_text,
    source_line,
    stale_values,
    substituted,
    tier_lines,
    window_text,
)
from mcn_advisor.render.linebreak import Para as Text
from mcn_advisor.render.textlayout import Block, Indent, Panel, Table, page

if TYPE_CHECKING:
    from rich.console import RenderableType

SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "green",
}
BAND_STYLE = {"critical": "bold white on red", "high": "bold red", "moderate": "yellow", "low": "green"}
BAR_WIDTH = 12
VERDICT_STYLE = {"positive": "bold green", "neutral": "bold", "negative": "bold red"}


def render(a: Assessment, lang: str = "en", *, width: int = 100, color: bool = False) -> str:
    """The report as text; ANSI colours only when ``color`` is true."""
    return page(_parts(a, lang), width=width, color=color)


def to_text(parts: list[Block], *, width: int = 100, color: bool = False) -> str:
    """Rich renderables as text (the pack views), with trailing spaces trimmed and every
    control character from the data shown instead of obeyed (``_visible_console``)."""
    from rich.console import Group

    console = _visible_console(width, color)
    # One print of one group (each print looks up the terminal again). A Text printed alone
    # is joined into a plain rich Text, which would wrap it without our line-breaking rules;
    # inside a group it is laid out as itself.
    console.print(Group(*parts))
    out = console.file.getvalue()
    return "\n".join(line.rstrip() for line in out.splitlines()) + "\n"


def _visible_console(width: int, color: bool) -> Any:
    """A rich console that shows control characters in the text it lays out (``errors.visible``).

    An agency name, a pack's title or an accepted risk's reason holding ``ESC[31m`` or
    ``ESC]0;...BEL`` reaches the terminal as ``␛[31m``, never as a command. Rich's own
    styling is added after this, so colours still work (``textlayout`` does the same).
    """
    from rich.console import Console, ConsoleOptions
    from rich.segment import Segment

    class VisibleConsole(Console):
        def render(
            self, renderable: RenderableType, options: ConsoleOptions | None = None
        ) -> Iterable[Segment]:
            for segment in super().render(renderable, options):
                text = segment.text
                if segment.control or text.isprintable() or text == "\n":
                    yield segment
                else:
                    yield Segment(visible(text), segment.style, segment.control)

    return VisibleConsole(
        file=io.StringIO(),
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=False,
    )


def heading(text: str) -> Text:
    return Text("\n" + text.upper() if text.isascii() else "\n" + text, style="bold underline")


def _parts(a: Assessment, lang: str) -> list[Block]:
    return [
        _header(a, lang),
        *_stale(a, lang),
        *_policies(a, lang),
        *_exposure(a, lang),
        *_money(a, lang),
        *_findings(a, lang),
        *_hindsight(a, lang),
        *_risks(a, lang),
        *_plan(a, lang),
        *_opportunities(a, lang),
        *_assumptions(a, lang),
        *_timeline(a, lang),
        *_sources(a, lang),
    ]


def _stale(a: Assessment, lang: str) -> list[Block]:
    values = stale_values(a, lang)
    return [Text(t(lang, "stale_note", **values), style="bold yellow")] if values else []


def _header(a: Assessment, lang: str) -> Panel:
    band = band_text(a.exposure, lang)
    spread = score_range_text(a.exposure, lang)
    body = Text.assemble(
        (a.policy.title[lang], "bold"),
        "\n",
        (t(lang, "exposure") + " ", "bold"),
        (f" {t(lang, 'score_line', score=a.exposure.score, band=band)} ", BAND_STYLE[a.exposure.band]),
        (f"  {spread}" if spread else "", "dim"),
        "\n",
        (net_text(a.impact, lang, ranged=False), VERDICT_STYLE.get(a.impact.verdict or "", "")),
        "\n",
        t(lang, "as_of", date=a.as_of.isoformat()),
        " · ",
        t(lang, "policy", id=a.policy.id, version=a.policy.version),
        " · ",
        t(
            lang,
            "confidence",
            level=t(lang, f"level_{a.confidence.level}"),
            score=f"{a.confidence.score:.2f}",
        ),
    )
    title = Text(a.agency, style="bold")
    return Panel(body, title)


def plain_table(*columns: str, caption: str | None = None, show_header: bool = True) -> Table:
    """A table with a rule under its header; a column named ">..." is right-aligned."""
    table = Table(caption=caption, show_header=show_header)
    for col in columns:
        justify = "right" if col.startswith(">") else "left"
        # fold, not ellipsis: a run of CJK text has no spaces to wrap at, and nothing may be cut
        table.add_column(col.lstrip(">"), justify=justify, overflow="fold")
    return table


def _exposure(a: Assessment, lang: str) -> list[Block]:
    out: list[Block] = [heading(t(lang, "factors"))]
    for result in a.policies:  # one table per pack, each adding up to its own score
        table = plain_table(
            t(lang, "factor"),
            ">" + t(lang, "value"),
            ">" + t(lang, "weight"),
            "",
            ">" + t(lang, "contribution"),
        )
        for f in a.exposure.factors:
            if f.policy != result.id:
                continue
            filled = round(f.value * BAR_WIDTH)
            bar = Text("█" * filled, style="magenta") + Text("░" * (BAR_WIDTH - filled), style="dim")
            table.add_row(
                Text(f.label[lang]), f"{f.value:.2f}", f"{f.weight:g}", bar, f"{f.contribution:.1f}"
            )
        table.add_row("", "", "", Text("=", justify="right"), Text(f"{result.score:.1f}", style="bold"))
        if len(a.policies) > 1:
            out.append(Text(f"\n{result.title[lang]} ({result.id})", style="bold"))
        out.append(table)
    return out


def _money(a: Assessment, lang: str) -> list[Block]:
    assumed = any(i.assumed for fig in a.impact.figures for i in fig.inputs)
    ranged = any(has_range(f) for f in a.impact.figures)
    notes = [t(lang, "assumed_note", mark=ASSUMED_MARK)] if assumed else []
    notes += [t(lang, "range_note")] if ranged else []
    out: list[Block] = [heading(t(lang, "ladder")), Text(t(lang, "ladder_intro"), style="dim")]
    for result in a.policies:  # one ladder per pack
        rungs = ladder(a, result.id)
        if len(a.policies) > 1:
            out.append(Text(f"\n{result.title[lang]} ({result.id})", style="bold"))
        columns = [t(lang, "rung"), ">" + t(lang, "amount")]
        columns += [">" + t(lang, "range")] if ranged else []
        table = plain_table(*columns, t(lang, "computed_as"))
        for fig in rungs:
            style = "bold" if fig.id in (rungs[0].id, NET_FIGURE) else ""
            cells = [Text(fig.label[lang], style=style), Text(rung_amount(fig, lang), style="bold")]
            cells += [Text(range_text(fig, lang), style="dim")] if ranged else []
            table.add_row(*cells, Text(substituted(fig.formula, fig.inputs), style="dim"))
        out.append(table)
    impact = a.impact
    out.append(Text(net_text(impact, lang), style=VERDICT_STYLE.get(impact.verdict or "", "bold")))
    extra = [neutral_text(a, lang)]
    extra += [window_text(u, lang) for u in impact.upside_items if u.until is not None and u.one_off_cny]
    out += [Text(line, style="dim") for line in extra if line]
    out.append(heading(t(lang, "money_other")))
    for n, result in enumerate(a.policies, 1):  # one table per pack
        table = plain_table(
            t(lang, "figure"),
            ">" + t(lang, "amount"),
            t(lang, "computed_as"),
            caption="\n".join(notes) if notes and n == len(a.policies) else None,
        )
        for fig in a.impact.figures:
            if fig.policy != result.id or fig.rung:
                continue
            table.add_row(
                Text(fig.label[lang]),
                Text(figure(fig.value, fig.unit, lang), style="bold"),
                Text(substituted(fig.formula, fig.inputs), style="dim"),
            )
        if len(a.policies) > 1:
            out.append(Text(f"\n{result.title[lang]} ({result.id})", style="bold"))
        out.append(table)
    return out + _path(a, lang) + _rates(a, lang)


PATH_BAR = 16


def _path(a: Assessment, lang: str) -> list[Block]:
    """The margin lost month by month, without and with the plan, as a compact table with bars."""
    months = a.impact.path
    if not months:
        return []
    table = plain_table(
        t(lang, "path_month"),
        ">" + t(lang, "path_without"),
        ">" + t(lang, "path_with"),
        "",  # the bars: their legend follows the table (a header would wrap at 80 columns)
        t(lang, "path_dates"),
    )
    for column in table.columns[:3]:
        column.no_wrap = True
    scale = max(m.without_plan_cny for m in months)
    for m in months:
        kept, won = path_bar(m.without_plan_cny, m.with_plan_cny, scale, PATH_BAR)
        bar = Text("█" * kept, style="red") + Text("░" * won, style="green")
        table.add_row(
            Text(m.month),
            loss_text(m.without_plan_cny, lang),
            Text(loss_text(m.with_plan_cny, lang), style="bold"),
            bar,
            Text(month_dates(m, a), style="dim"),
        )
    out: list[Block] = [
        heading(t(lang, "path")),
        Text(t(lang, "path_intro"), style="dim"),
        table,
        Text(t(lang, "path_bar"), style="dim"),
    ]
    season = season_text(a, lang)
    return out + ([Text(season, style="dim")] if season else [])


def _rates(a: Assessment, lang: str) -> list[Block]:
    if not a.impact.rates:
        return []
    table = plain_table(t(lang, "rate"), ">" + t(lang, "value"), t(lang, "rate_basis"))
    for r in a.impact.rates:
        table.add_row(Text(r.title[lang]), number(r.value), Text(rate_text(r, lang), style="dim"))
    return [heading(t(lang, "rates")), table]


def _finding_rows(findings: list[Finding], lang: str) -> Table:
    table = plain_table(t(lang, "severity"), t(lang, "rule"), t(lang, "finding"), t(lang, "when"))
    for f in findings:
        when = Text("")
        if f.event:
            when = Text(f"{f.event.date.isoformat()}\n{days(f.event.days_from_as_of, lang)}")
        body = Text(f.title[lang], style="bold")
        if f.sizing is not None:
            body += Text("\n" + sizing_text(f.sizing, lang))
        body += Text("\n" + "\n".join(evidence_texts(f, lang)), style="dim")  # one a line
        sources = t(lang, "list_sep").join(s.id for s in f.sources)
        body += Text("\n" + t(lang, "labelled", label=t(lang, "sources"), value=sources), style="dim")
        severity = Text(t(lang, f"sev_{f.severity}"), style=SEVERITY_STYLE[f.severity])
        if f.acceptance is not None:
            body += _acceptance(f, lang)
            if f.accepted:
                severity += Text("\n" + t(lang, "accepted_mark"), style="dim")
        table.add_row(
            severity,
            Text(f.rule_id),
            body,
            when,
        )
    return table


def _acceptance(f: Finding, lang: str) -> Text:
    """An accepted risk's reason, or the flag that its acceptance has expired."""
    a = f.acceptance
    assert a is not None
    text = t(lang, acceptance_key(a), date=a.until, reason=a.reason)
    return Text("\n" + text, style="bold yellow" if a.expired else "italic")


def _findings(a: Assessment, lang: str) -> list[Block]:
    accepted = sum(1 for f in a.findings if f.accepted)
    n = t(lang, "count_accepted", n=len(a.findings), accepted=accepted) if accepted else len(a.findings)
    out: list[Block] = [heading(t(lang, "counted", title=t(lang, "findings"), n=n))]
    out.append(_finding_rows(a.findings, lang) if a.findings else Text(t(lang, "no_findings")))
    if a.undetermined:
        out.append(heading(t(lang, "undetermined")))
        for u in a.undetermined:
            out.append(
                Text.assemble(
                    (f"{u.rule_id} ", "bold"),
                    u.title[lang],
                    (
                        "  "
                        + t(
                            lang,
                            "labelled",
                            label=t(lang, "needs"),
                            value=field_labels(u.unknown_fields, lang),
                        ),
                        "dim",
                    ),
                )
            )
    return out


def _hindsight(a: Assessment, lang: str) -> list[Block]:
    """Rules about steps not yet announced on as_of: shown, counted nowhere."""
    if not a.hindsight:
        return []
    date = a.as_of.isoformat()
    intro = Text(t(lang, "hindsight_intro", date=date), style="dim")
    return [heading(t(lang, "hindsight", date=date)), intro, _finding_rows(a.hindsight, lang)]


def _risks(a: Assessment, lang: str) -> list[Block]:
    m = a.risk_matrix
    table = plain_table(
        t(lang, "rule"),
        ">" + t(lang, "likelihood"),
        ">" + t(lang, "impact"),
        ">" + t(lang, "rating"),
        t(lang, "level"),
        t(lang, "treatment"),
        caption=t(lang, "risk_thresholds", low=m.low, medium=m.medium, high=m.high),
    )
    for r in a.risks:
        table.add_row(
            Text(r.rule_id),
            str(r.likelihood),
            str(r.impact),
            Text(str(r.rating), style="bold"),
            Text(t(lang, f"level_{r.level}"), style=SEVERITY_STYLE[r.level]),
            t(lang, f"treat_{r.treatment}"),
        )
    notes = [t(lang, "severity_is_level"), t(lang, "scales"), *(scale_text(x, lang) for x in m.scales)]
    return [
        heading(t(lang, "risks")),
        table,
        *(Text(n, style="dim") for n in (notes if m.scales else notes[:1])),
    ]


def _plan(a: Assessment, lang: str) -> list[Block]:
    title = t(lang, "plan" if a.plan.mode == "migration" else "plan_remediation")
    out: list[Block] = [heading(title)]
    if a.plan.tier is not None:
        out += [Text(line, style="dim" if i else "") for i, line in enumerate(tier_lines(a.plan.tier, lang))]
    if a.plan.favoured is not None:
        out.append(Text(a.plan.favoured[lang], style="italic"))
    for n, phase in enumerate(a.plan.phases, 1):
        if phase.deadline is None:
            when = t(lang, "phase_open_ended")
        elif phase.status == "closed":
            when = t(lang, "phase_closed", days=-(phase.days_left or 0))
        else:
            when = t(
                lang,
                "phase_deadline",
                date=phase.deadline.isoformat(),
                days=t(lang, "days_left_short", days=phase.days_left),
            )
        if not phase.announced:
            when += " · " + t(lang, "phase_not_announced")
        pack = f"  [{phase.policy}]" if len(a.policies) > 1 else ""
        out.append(Text.assemble((f"\n{n}. {phase.title[lang]}", "bold"), f"  {when}", (pack, "dim")))
        if not phase.actions:
            out.append(Indent(Text(t(lang, "no_actions"), style="dim")))
            continue
        out.append(Indent(_action_grid(phase.actions, a, lang)))
    if a.plan.optional:
        out.append(Text("\n" + t(lang, "optional_actions"), style="bold"))
        out.append(Text(t(lang, "optional_intro", date=a.as_of.isoformat()), style="dim"))
        out.append(Indent(_action_grid(a.plan.optional, a, lang)))
    if a.plan.set_aside:
        out.append(Text("\n" + t(lang, "set_aside"), style="bold"))
        for x in a.plan.set_aside:
            out.append(Indent(Text(set_aside_text(x, lang), style="dim")))
    if a.plan.in_place:
        out.append(Text("\n" + t(lang, "in_place"), style="bold"))
        for d in a.plan.in_place:
            out.append(Text(f"   {d.id} {d.title[lang]}", style="dim"))
    if a.plan.dropped:
        out.append(Text("\n" + t(lang, "dropped"), style="bold"))
        for d in a.plan.dropped:
            out.append(Indent(Text(dropped_text(d, lang), style="dim")))
    return out


def _action_grid(actions: list, a: Assessment, lang: str) -> Table:
    grid = Table(grid=True, gap=1)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for act in actions:
        effort = t(lang, "effort_value", size=act.effort, days=act.effort_days)
        meta = [
            t(lang, "labelled", label=t(lang, "owner"), value=act.owner_title[lang]),
            t(lang, "labelled", label=t(lang, "effort"), value=effort),
            t(lang, "labelled", label=t(lang, "due"), value=act.due.isoformat()),
        ]
        if act.depends_on:
            meta.append(t(lang, "labelled", label=t(lang, "after"), value=", ".join(act.depends_on)))
        meta += action_notes(act, a, lang)
        body = Text(act.title[lang], style="bold") + Text("\n" + " · ".join(meta), style="dim")
        body += Text("\n" + t(lang, "labelled", label=t(lang, "kpi"), value=act.kpi[lang]), style="dim")
        grid.add_row(Text(f"[ ] {act.id}"), body)
    return grid


def _opportunities(a: Assessment, lang: str) -> list[Block]:
    out: list[Block] = [heading(t(lang, "opportunities"))]
    if not a.opportunities:
        return [*out, Text(t(lang, "no_opportunities"))]
    for o in a.opportunities:
        out.append(Text.assemble((f"{o.rule_id} ", "bold green"), (o.title[lang], "bold")))
        out.append(Indent(Text(o.rationale[lang], style="dim")))
    return out


def _assumptions(a: Assessment, lang: str) -> list[Block]:
    out: list[Block] = [heading(t(lang, "assumptions"))]
    if not a.assumptions:
        return [*out, Text(t(lang, "no_assumptions"))]
    for s in a.assumptions:
        value = (
            t(lang, "assumed_value", value=field_value(s.field, s.assumed_value, lang))
            if s.assumed_value is not None
            else t(lang, "unknown")
        )
        label = t(lang, "labelled", label=field_label(s.field, lang), value=value)
        out.append(Text.assemble((label, "bold"), t(lang, "item_sep"), (s.rationale[lang], "dim")))
    if a.summary.missing:
        out += [
            Text("\n" + t(lang, "missing_title"), style="bold"),
            Text(t(lang, "missing_intro"), style="dim"),
        ]
        out += [Text(f"{n}. " + missing_text(m, lang)) for n, m in enumerate(a.summary.missing, 1)]
    return out


def _timeline(a: Assessment, lang: str) -> list[Block]:
    table = plain_table("", "", "")
    for e in a.timeline:
        date = e.date.isoformat()[:7] if e.precision == "month" else e.date.isoformat()
        style = "bold" if e.step else ""
        note = event_known_note(e, a.as_of, lang)
        table.add_row(
            Text(date, style=style),
            Text(t(lang, "paren", text=e.title[lang], note=note) if note else e.title[lang], style=style),
            Text(days(e.days_from_as_of, lang), style="dim"),
        )
    table.show_header = False
    return [heading(t(lang, "timeline")), table]


# --- several policy packs in one report (combine.py) -----------------------------------


def _policies(a: Assessment, lang: str) -> list[Block]:
    """Each pack's own score, band and money, the headline one marked (several packs only)."""
    if len(a.policies) < 2:
        return []
    table = plain_table(
        t(lang, "pack"),
        ">" + t(lang, "score"),
        t(lang, "band"),
        ">" + t(lang, "gmv_at_risk"),
        ">" + t(lang, "revenue_at_risk"),
        caption=t(lang, "headline_rule"),
    )
    for column in table.columns[1:]:  # numbers never wrap; the pack name may
        column.no_wrap = True
    for p in a.policies:
        mark = Text(" " + t(lang, "headline"), style="bold") if p.headline else Text("")
        table.add_row(
            Text(p.id) + mark,
            Text(f"{p.score:.1f}", style="bold"),
            Text(t(lang, f"band_{p.band}"), style=BAND_STYLE[p.band]),
            money(p.gmv_at_risk_cny_monthly, lang),
            money(p.revenue_at_risk_cny_monthly, lang),
        )
    return [heading(t(lang, "policies")), table]


def _sources(a: Assessment, lang: str) -> list[Block]:
    """Every source the report cites, by the id the findings and the timeline use."""
    if not a.sources:
        return []
    return [heading(t(lang, "md_sources")), *(Text(source_line(s.id, s, lang)) for s in a.sources)]
