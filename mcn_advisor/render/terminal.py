"""The assessment as a terminal report (rich), readable at 80 columns and without colour."""

from __future__ import annotations

import io

from rich import box
from rich.console import Console, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from mcn_advisor.assessment import Assessment, Finding
from mcn_advisor.i18n import t
from mcn_advisor.render.common import ASSUMED_MARK, days, figure, plain, substituted

SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "green",
}
BAND_STYLE = {"critical": "bold white on red", "high": "bold red", "moderate": "yellow", "low": "green"}
BAR_WIDTH = 12


def render(a: Assessment, lang: str = "en", *, width: int = 100, color: bool = False) -> str:
    """The report as text; ANSI colours only when ``color`` is true."""
    return to_text(_parts(a, lang), width=width, color=color)


def to_text(parts: list[RenderableType], *, width: int = 100, color: bool = False) -> str:
    """Rich renderables as text, with trailing spaces trimmed."""
    console = Console(
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
    for part in parts:
        console.print(part)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    return "\n".join(line.rstrip() for line in out.splitlines()) + "\n"


def _heading(text: str) -> Text:
    return Text("\n" + text.upper() if text.isascii() else "\n" + text, style="bold underline")


def _parts(a: Assessment, lang: str) -> list[RenderableType]:
    return [
        _header(a, lang),
        *_exposure(a, lang),
        *_money(a, lang),
        *_findings(a, lang),
        *_risks(a, lang),
        *_plan(a, lang),
        *_opportunities(a, lang),
        *_assumptions(a, lang),
        *_timeline(a, lang),
    ]


def _header(a: Assessment, lang: str) -> Panel:
    band = t(lang, f"band_{a.exposure.band}")
    body = Text.assemble(
        (a.policy.title[lang], "bold"),
        "\n",
        (t(lang, "exposure") + " ", "bold"),
        (f" {t(lang, 'score_line', score=a.exposure.score, band=band)} ", BAND_STYLE[a.exposure.band]),
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
    return Panel(body, title=title, title_align="left", box=box.ROUNDED)


def _table(*columns: str, **kw: object) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, **kw)  # type: ignore[arg-type]
    for col in columns:
        justify = "right" if col.startswith(">") else "left"
        table.add_column(col.lstrip(">"), justify=justify)  # type: ignore[arg-type]
    return table


def _exposure(a: Assessment, lang: str) -> list[RenderableType]:
    table = _table(
        t(lang, "factor"),
        ">" + t(lang, "value"),
        ">" + t(lang, "weight"),
        "",
        ">" + t(lang, "contribution"),
    )
    for f in a.exposure.factors:
        filled = round(f.value * BAR_WIDTH)
        bar = Text("█" * filled, style="magenta") + Text("░" * (BAR_WIDTH - filled), style="dim")
        table.add_row(Text(f.label[lang]), f"{f.value:.2f}", f"{f.weight:g}", bar, f"{f.contribution:.1f}")
    table.add_row("", "", "", Text("=", justify="right"), Text(f"{a.exposure.score:.1f}", style="bold"))
    return [_heading(t(lang, "factors")), table]


def _money(a: Assessment, lang: str) -> list[RenderableType]:
    assumed = any(i.assumed for fig in a.impact.figures for i in fig.inputs)
    table = _table(
        t(lang, "figure"),
        ">" + t(lang, "amount"),
        t(lang, "computed_as"),
        caption=t(lang, "assumed_note", mark=ASSUMED_MARK) if assumed else None,
        caption_justify="left",
    )
    for fig in a.impact.figures:
        table.add_row(
            Text(fig.label[lang]),
            Text(figure(fig.value, fig.unit, lang), style="bold"),
            Text(substituted(fig.formula, fig.inputs), style="dim"),
        )
    return [_heading(t(lang, "money")), table]


def _evidence(f: Finding, lang: str) -> Text:
    parts = []
    for e in f.evidence:
        mark = f" ({t(lang, 'assumed_mark')})" if e.assumed else ""
        parts.append(f"{e.field} = {plain(e.value, lang)}{mark}")
    return Text("; ".join(parts), style="dim")


def _finding_rows(findings: list[Finding], lang: str) -> Table:
    table = _table(t(lang, "severity"), t(lang, "rule"), t(lang, "finding"), t(lang, "when"))
    for f in findings:
        when = Text("")
        if f.event:
            when = Text(f"{f.event.date.isoformat()}\n{days(f.event.days_from_as_of, lang)}")
        body = Text(f.title[lang], style="bold") + Text("\n") + _evidence(f, lang)
        body += Text("\n" + t(lang, "sources") + ": " + ", ".join(s.id for s in f.sources), style="dim")
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
    if a.expired:
        return Text("\n" + t(lang, "expired_line", date=a.until, reason=a.reason), style="bold yellow")
    if a.until:
        return Text("\n" + t(lang, "accepted_until", date=a.until, reason=a.reason), style="italic")
    return Text("\n" + t(lang, "accepted_line", reason=a.reason), style="italic")


def _findings(a: Assessment, lang: str) -> list[RenderableType]:
    accepted = sum(1 for f in a.findings if f.accepted)
    count = (
        f"{len(a.findings)}, {t(lang, 'findings_accepted', n=accepted)}" if accepted else str(len(a.findings))
    )
    out: list[RenderableType] = [_heading(f"{t(lang, 'findings')} ({count})")]
    out.append(_finding_rows(a.findings, lang) if a.findings else Text(t(lang, "no_findings")))
    if a.undetermined:
        out.append(_heading(t(lang, "undetermined")))
        for u in a.undetermined:
            out.append(
                Text.assemble(
                    (f"{u.rule_id} ", "bold"),
                    u.title[lang],
                    (f"  {t(lang, 'needs')}: {', '.join(u.unknown_fields)}", "dim"),
                )
            )
    return out


def _risks(a: Assessment, lang: str) -> list[RenderableType]:
    m = a.risk_matrix
    table = _table(
        t(lang, "rule"),
        ">" + t(lang, "likelihood"),
        ">" + t(lang, "impact"),
        ">" + t(lang, "rating"),
        t(lang, "level"),
        t(lang, "treatment"),
        caption=t(lang, "risk_thresholds", low=m.low, medium=m.medium, high=m.high),
        caption_justify="left",
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
    return [_heading(t(lang, "risks")), table]


def _plan(a: Assessment, lang: str) -> list[RenderableType]:
    title = t(lang, "plan" if a.plan.mode == "migration" else "plan_remediation")
    out: list[RenderableType] = [_heading(title)]
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
        out.append(Text.assemble((f"\n{n}. {phase.title[lang]}", "bold"), f"  {when}"))
        if not phase.actions:
            out.append(Padding(Text(t(lang, "no_actions"), style="dim"), (0, 0, 0, 3)))
            continue
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column()
        for act in phase.actions:
            meta = [
                f"{t(lang, 'owner')}: {act.owner_title[lang]}",
                f"{t(lang, 'effort')}: {act.effort} ({act.effort_days}d)",
                f"{t(lang, 'due')}: {act.due.isoformat()}",
            ]
            if act.depends_on:
                meta.append(f"{t(lang, 'after')}: {', '.join(act.depends_on)}")
            if act.late_by_days:
                meta.append(t(lang, "late", days=act.late_by_days))
            if act.carried_over:
                meta.append(t(lang, "carried_over"))
            body = Text(act.title[lang], style="bold") + Text("\n" + " · ".join(meta), style="dim")
            body += Text(f"\n{t(lang, 'kpi')}: {act.kpi[lang]}", style="dim")
            grid.add_row(Text(f"[ ] {act.id}"), body)
        out.append(Padding(grid, (0, 0, 0, 3)))
    if a.plan.in_place:
        out.append(Text("\n" + t(lang, "in_place"), style="bold"))
        for d in a.plan.in_place:
            out.append(Text(f"   {d.id} {d.title[lang]}", style="dim"))
    if a.plan.dropped:
        out.append(Text("\n" + t(lang, "dropped"), style="bold"))
        for d in a.plan.dropped:
            out.append(
                Text(
                    "   "
                    + t(lang, "dropped_line", id=d.id, title=d.title[lang], date=d.expired_on.isoformat()),
                    style="dim",
                )
            )
    return out


def _opportunities(a: Assessment, lang: str) -> list[RenderableType]:
    out: list[RenderableType] = [_heading(t(lang, "opportunities"))]
    if not a.opportunities:
        return [*out, Text(t(lang, "no_opportunities"))]
    for o in a.opportunities:
        out.append(Text.assemble((f"{o.rule_id} ", "bold green"), (o.title[lang], "bold")))
        out.append(Padding(Text(o.rationale[lang], style="dim"), (0, 0, 0, 3)))
    return out


def _assumptions(a: Assessment, lang: str) -> list[RenderableType]:
    out: list[RenderableType] = [_heading(t(lang, "assumptions"))]
    if not a.assumptions:
        return [*out, Text(t(lang, "no_assumptions"))]
    for s in a.assumptions:
        value = (
            t(lang, "assumed_value", value=plain(s.assumed_value, lang))
            if s.assumed_value is not None
            else t(lang, "unknown")
        )
        out.append(Text.assemble((s.field, "bold"), f": {value}; ", (s.rationale[lang], "dim")))
    return out


def _timeline(a: Assessment, lang: str) -> list[RenderableType]:
    table = _table("", "", "")
    for e in a.timeline:
        date = e.date.isoformat()[:7] if e.precision == "month" else e.date.isoformat()
        style = "bold" if e.step else ""
        table.add_row(
            Text(date, style=style),
            Text(e.title[lang], style=style),
            Text(days(e.days_from_as_of, lang), style="dim"),
        )
    table.show_header = False
    return [_heading(t(lang, "timeline")), table]
