"""The assessment as a Markdown report a consultant hands to a client or a board.

Written for GitHub, Feishu, Notion and pandoc alike: pipe tables, task lists and
```mermaid``` blocks, no raw HTML. Text only: every number was computed by the engine.
Every text that comes from outside this module (the profile's name and lists, the
pack's titles) goes through ``esc``, so a ``|``, ``<script>``, a backtick or a newline
cannot break a table, open a code span or inject markup; text inside a mermaid block
goes through ``mermaid_text`` instead, which has its own rules.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator

from mcn_advisor.core.contract import Assessment, Figure, Finding, PlanPhase, PolicyResult
from mcn_advisor.i18n import t
from mcn_advisor.render.common import (
    ASSUMED_MARK,
    acceptance_key,
    days,
    figure,
    money,
    number,
    plain,
    share,
    substituted,
)

Blocks = list[str]

# Characters that can open or close inline markup in CommonMark, GFM or pandoc.
_INLINE = re.compile(r"([\\`*_\[\]{}#|~^$@])")
# At the start of a line these open a block: a list item, a setext underline, a definition.
_BLOCK_START = re.compile(r"^(?:([-+=:])|(\d{1,9})([.)])(?=\s|$))")
_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


@functools.lru_cache(maxsize=4096)  # the pack's texts recur in every report of a batch
def esc(text: str) -> str:
    """Text as literal Markdown, on one line: safe in a paragraph, a heading or a table cell."""
    text = _BREAKS.sub(" ", str(text)).strip()
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _INLINE.sub(r"\\\1", text)
    return _BLOCK_START.sub(lambda m: "\\" + m[1] if m[1] else m[2] + "\\" + m[3], text)


_PLAIN_CODE = re.compile(r"[A-Za-z0-9_.\-+*/(), <>=!]+")


def code(text: str) -> str:
    """Text as a code span (an identifier, a formula, a path, an error line), safe in a table cell.

    On one line, with ``|`` escaped for tables, and fenced with more backticks than the
    text holds, so no text can close the span early.
    """
    if _PLAIN_CODE.fullmatch(text):
        return f"`{text}`"
    text = _BREAKS.sub(" ", str(text)).replace("|", "\\|")
    ticks = max((len(m) for m in re.findall(r"`+", text)), default=0) + 1
    fence = "`" * ticks
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# Inside a mermaid diagram these end a label or start a comment, a directive or markup;
# each becomes a look-alike that does not.
_MERMAID = str.maketrans(
    {
        ":": "∶",  # ends a gantt task name
        ";": "；",  # ends a statement
        "#": "＃",
        '"': "＂",
        "`": "ˋ",
        "<": "‹",
        ">": "›",
        "&": "＆",
        "{": "｛",
        "}": "｝",
        "\\": "＼",
    }
)


def mermaid_text(text: str) -> str:
    """Text for a mermaid label, title or section name: one line, no syntax."""
    text = _BREAKS.sub(" ", str(text)).replace("%%", "%％").translate(_MERMAID)
    return " ".join(text.split()) or "-"


def render(a: Assessment, lang: str = "en") -> str:
    """The full report as Markdown, byte-identical for identical input."""
    sections = (
        _title,
        _summary,
        _policies,
        _timeline,
        _exposure,
        _money,
        _findings,
        _risks,
        _plan,
        _platforms,
        _opportunities,
        _assumptions,
        _sources,
    )
    return "\n\n".join(block for section in sections for block in section(a, lang)) + "\n"


# --- building blocks -------------------------------------------------------------------


def pipe_table(header: Iterable[str], rows: Iterable[Iterable[str]], align: str = "") -> str:
    """A pipe table; cells must already be escaped. ``align`` is one letter per column: l or r."""
    return "\n".join(pipe_lines(header, rows, align))


def pipe_lines(header: Iterable[str], rows: Iterable[Iterable[str]], align: str = "") -> Iterator[str]:
    """The lines of ``pipe_table``, one at a time (a table of any length, never held whole)."""
    head = list(header)
    marks = [("---:" if align[i : i + 1] == "r" else "---") for i in range(len(head))]
    yield "| " + " | ".join(head) + " |"
    yield "| " + " | ".join(marks) + " |"
    for row in rows:
        cells = list(row)
        assert len(cells) == len(head), (head, cells)
        yield "| " + " | ".join(c or " " for c in cells) + " |"


def h(level: int, text: str) -> str:
    return "#" * level + " " + text


def join(lang: str, items: Iterable[str]) -> str:
    return t(lang, "list_sep").join(items)


def _date(d: object, precision: str = "day") -> str:
    text = d.isoformat()  # type: ignore[attr-defined]
    return text[:7] if precision == "month" else text


def severity_label(f: Finding, lang: str) -> str:
    return t(lang, f"sev_{f.severity}") if f.kind == "risk" else t(lang, f"kind_{f.kind}")


def _sources_inline(f: Finding, lang: str) -> str:
    refs = []
    for s in f.sources:
        if s.date:
            refs.append(t(lang, "md_source_ref", id=esc(s.id), publisher=esc(s.publisher), date=s.date))
        else:
            refs.append(t(lang, "md_source_ref_undated", id=esc(s.id), publisher=esc(s.publisher)))
    return join(lang, refs)


def _amount(f: Figure, lang: str) -> str:
    """A figure's amount, marked when it rests on an assumed value."""
    marked = any(i.assumed for i in f.inputs)
    return figure(f.value, f.unit, lang) + (esc(ASSUMED_MARK) if marked else "")


def labelled(lang: str, label: str, value: str) -> str:
    return t(lang, "labelled", label=f"**{label}**", value=value)


# --- sections ----------------------------------------------------------------------------


def _title(a: Assessment, lang: str) -> Blocks:
    conf = t(lang, f"level_{a.confidence.level}")
    byline = " · ".join(
        (
            esc(a.policy.title[lang]),
            t(lang, "policy", id=code(a.policy.id), version=esc(a.policy.version)),
            t(lang, "confidence", level=conf, score=f"{a.confidence.score:.2f}"),
        )
    )
    return [h(1, t(lang, "md_title", agency=esc(a.agency), date=a.as_of.isoformat())), byline]


def _summary(a: Assessment, lang: str) -> Blocks:
    s, e = a.summary, a.exposure
    figures = {f.id: f for f in a.impact.figures}
    gmv, revenue = figures["gmv_at_risk_cny_monthly"], figures["revenue_at_risk_cny_monthly"]
    counts = [
        t(lang, "md_count", n=n, severity=t(lang, f"sev_{sev}")) for sev, n in s.risk_findings.items() if n
    ]
    lines = [
        t(
            lang,
            "md_exposure_line",
            score=e.score,
            band=t(lang, f"band_{e.band}"),
            low=number(e.bands["low"]),
            moderate=number(e.bands["moderate"]),
            high=number(e.bands["high"]),
        ),
        t(
            lang,
            "md_gmv_line",
            label=esc(gmv.label[lang]),
            amount=_amount(gmv, lang),
            share=share(s.gmv_at_risk_share),
            gmv=figure(s.monthly_gmv_cny, "cny", lang),
        ),
        t(
            lang,
            "md_amount_line",
            label=esc(revenue.label[lang]),
            amount=_amount(revenue, lang),
        ),
        t(lang, "md_findings_line", counts=_accepted_counts(a, lang, join(lang, counts) or t(lang, "none"))),
    ]
    if a.confidence.undetermined_rules:
        lines.append(t(lang, "md_undecided_line", n=a.confidence.undetermined_rules))
    if s.next_step:
        step = s.next_step
        lines.append(
            t(
                lang,
                "md_next_step",
                date=step.date.isoformat(),
                days=days(step.days_from_as_of, lang),
                title=esc(step.title[lang]),
            )
        )
    else:
        lines.append(t(lang, "md_no_next_step"))
    out = [h(2, t(lang, "md_summary")), "\n".join(f"- {line}" for line in lines)]
    if any(i.assumed for f in (gmv, revenue) for i in f.inputs):
        out.append(t(lang, "assumed_note", mark=esc(ASSUMED_MARK)))
    out.append(h(3, t(lang, "md_first")))
    if not s.priorities:
        return [*out, t(lang, "md_nothing_first")]
    items = []
    for n, p in enumerate(s.priorities, 1):
        sentences = [
            t(lang, "md_first_item", title=esc(p.title[lang]), owner=esc(p.owner_title[lang]), due=p.due)
        ]
        if p.rule_ids:
            sentences.append(t(lang, "md_answers", rules=join(lang, p.rule_ids)))
        if p.unlocks:
            sentences.append(t(lang, "md_unlocks", ids=join(lang, p.unlocks)))
        items.append(f"{n}. " + t(lang, "sentence_sep").join(sentences))
    return [*out, "\n".join(items)]


def _accepted_counts(a: Assessment, lang: str, counts: str) -> str:
    """The risk counts, then which of them are accepted and which acceptances have expired."""
    accepted = [f.rule_id for f in a.findings if f.accepted]
    expired = [f.rule_id for f in a.findings if f.acceptance and f.acceptance.expired]
    parts = [counts]
    if accepted:
        parts.append(t(lang, "md_findings_accepted", n=len(accepted), rules=join(lang, accepted)))
    if expired:
        parts.append(t(lang, "md_findings_expired", rules=join(lang, expired)))
    return t(lang, "item_sep").join(parts)


def _timeline(a: Assessment, lang: str) -> Blocks:
    rows = []
    for e in a.timeline:
        title = esc(e.title[lang])
        rows.append(
            (
                _date(e.date, e.precision),
                f"**{title}**" if e.step else title,
                days(e.days_from_as_of, lang),
                join(lang, (esc(s) for s in e.sources)),
            )
        )
    header = (
        t(lang, "date"),
        t(lang, "event"),
        t(lang, "md_relative", date=a.as_of.isoformat()),
        t(lang, "sources"),
    )
    return [
        h(2, t(lang, "timeline")),
        t(lang, "md_timeline_intro", date=a.as_of.isoformat()),
        pipe_table(header, rows),
    ]


def _exposure(a: Assessment, lang: str) -> Blocks:
    header = (
        t(lang, "factor"),
        t(lang, "measures"),
        t(lang, "raw"),
        t(lang, "full_at"),
        t(lang, "value"),
        t(lang, "weight"),
        t(lang, "contribution"),
    )
    e = a.exposure
    out = [
        h(2, t(lang, "md_exposure")),
        t(lang, "md_exposure_intro", score=e.score, band=t(lang, f"band_{e.band}")),
    ]
    for result in a.policies:  # one table per pack, each adding up to its own score
        rows = [
            (
                esc(f.label[lang]),
                esc(f.explain[lang]),
                number(f.raw),
                number(f.saturation),
                f"{f.value:.2f}",
                number(f.weight),
                f"{f.contribution:.1f}",
            )
            for f in e.factors
            if f.policy == result.id
        ]
        rows.append((f"**{t(lang, 'total')}**", "", "", "", "", "", f"**{result.score:.1f}**"))
        if len(a.policies) > 1:
            out.append(h(3, _pack_heading(result, lang)))
        out.append(pipe_table(header, rows, "llrrrrr"))
    return out


def _pack_heading(result: PolicyResult, lang: str) -> str:
    return t(lang, "paren", text=esc(result.title[lang]), note=code(result.id))


def _money(a: Assessment, lang: str) -> Blocks:
    figures = a.impact.figures
    header = (t(lang, "figure"), t(lang, "amount"), t(lang, "computed_as"))
    out = [h(2, t(lang, "money")), t(lang, "md_money_intro")]
    for result in a.policies:  # one table per pack
        rows = [
            (esc(f.label[lang]), figure(f.value, f.unit, lang), esc(substituted(f.formula, f.inputs)))
            for f in figures
            if f.policy == result.id
        ]
        if len(a.policies) > 1:
            out.append(h(3, _pack_heading(result, lang)))
        out.append(pipe_table(header, rows, "lrl"))
    if any(i.assumed for f in figures for i in f.inputs):
        out.append(t(lang, "assumed_note", mark=esc(ASSUMED_MARK)))
    formulas = "\n".join(
        "- " + t(lang, "labelled", label=esc(f.label[lang]), value=code(f.formula)) for f in figures
    )
    return [*out, h(3, t(lang, "md_formulas")), formulas]


def _policies(a: Assessment, lang: str) -> Blocks:
    """Each pack's own score, band and money, the headline one marked (several packs only)."""
    if len(a.policies) < 2:
        return []
    header = (
        t(lang, "pack"),
        t(lang, "score"),
        t(lang, "band"),
        t(lang, "gmv_at_risk"),
        t(lang, "revenue_at_risk"),
    )
    rows = [
        (
            _pack_heading(p, lang) + (f" **{t(lang, 'headline')}**" if p.headline else ""),
            f"{p.score:.1f}",
            t(lang, f"band_{p.band}"),
            money(p.gmv_at_risk_cny_monthly, lang),
            money(p.revenue_at_risk_cny_monthly, lang),
        )
        for p in a.policies
    ]
    return [h(2, t(lang, "policies")), t(lang, "headline_rule"), pipe_table(header, rows, "lrlrr")]


def _evidence(f: Finding, lang: str) -> str:
    items = []
    for e in f.evidence:
        value = esc(plain(e.value, lang))
        if e.assumed:
            value = t(lang, "paren", text=value, note=t(lang, "assumed_mark"))
        items.append(f"{code(e.field)} = {value}")
    return t(lang, "item_sep").join(items)


def _finding_detail(f: Finding, lang: str) -> Blocks:
    facts = [
        labelled(lang, t(lang, "severity" if f.kind == "risk" else "kind"), severity_label(f, lang)),
        labelled(lang, t(lang, "category"), t(lang, f"cat_{f.category}")),
    ]
    if f.event:
        when = t(lang, "paren", text=f.event.date.isoformat(), note=days(f.event.days_from_as_of, lang))
        facts.append(labelled(lang, t(lang, "when"), when))
    lines = [labelled(lang, t(lang, "evidence"), _evidence(f, lang))]
    if f.acceptance:
        lines.insert(0, _acceptance(f, lang))
    if f.actions:
        calls = "md_not_planned" if f.accepted else "md_calls_for"
        lines.append(labelled(lang, t(lang, calls), join(lang, f.actions)))
    lines.append(labelled(lang, t(lang, "sources"), _sources_inline(f, lang)))
    return [
        h(3, f"{f.rule_id} · {esc(f.title[lang])}"),
        " · ".join(facts),
        esc(f.rationale[lang]),
        "\n".join(f"- {line}" for line in lines),
    ]


def _acceptance(f: Finding, lang: str) -> str:
    """An accepted risk's reason (from the profile: escaped), or the flag that it counts again."""
    a = f.acceptance
    assert a is not None
    until = a.until.isoformat() if a.until else ""
    return t(lang, acceptance_key(a, markdown=True), date=until, reason=esc(a.reason))


def _findings(a: Assessment, lang: str) -> Blocks:
    accepted = sum(1 for f in a.findings if f.accepted)
    n = t(lang, "count_accepted", n=len(a.findings), accepted=accepted) if accepted else len(a.findings)
    out = [h(2, t(lang, "counted", title=t(lang, "findings"), n=n))]
    if not a.findings:
        return [*out, t(lang, "no_findings")]
    acceptances = any(f.acceptance for f in a.findings)  # the column only where there is one
    rows = [
        (
            severity_label(f, lang),
            f.rule_id,
            esc(f.title[lang]),
            t(lang, "paren", text=f.event.date.isoformat(), note=days(f.event.days_from_as_of, lang))
            if f.event
            else "",
            *([_acceptance(f, lang) if f.acceptance else ""] if acceptances else []),
        )
        for f in a.findings
    ]
    header = (t(lang, "severity"), t(lang, "rule"), t(lang, "finding"), t(lang, "when"))
    if acceptances:
        header += (t(lang, "md_acceptance"),)
    out += [t(lang, "md_findings_intro"), pipe_table(header, rows)]
    return out + [block for f in a.findings for block in _finding_detail(f, lang)]


def _treatment(treatment: str, until: dt.date | None, lang: str) -> str:
    text = t(lang, f"treat_{treatment}")
    return t(lang, "md_treat_until", treatment=text, date=until.isoformat()) if until else text


def _risks(a: Assessment, lang: str) -> Blocks:
    m = a.risk_matrix
    until = {f.rule_id: f.acceptance.until for f in a.findings if f.accepted and f.acceptance}
    rows = [
        (
            r.rule_id,
            esc(r.title[lang]),
            str(r.likelihood),
            str(r.impact),
            f"**{r.rating}**",
            t(lang, f"level_{r.level}"),
            _treatment(r.treatment, until.get(r.rule_id), lang),
        )
        for r in a.risks
    ]
    header = (
        t(lang, "rule"),
        t(lang, "risk"),
        t(lang, "likelihood_long"),
        t(lang, "impact_long"),
        t(lang, "rating"),
        t(lang, "level"),
        t(lang, "treatment"),
    )
    placed: dict[tuple[int, int], list[str]] = {}
    for r in a.risks:
        placed.setdefault((r.likelihood, r.impact), []).append(r.rule_id)
    grid = []
    for impact in range(5, 0, -1):
        cells = [f"**{impact}**"]
        for likelihood in range(1, 6):
            level = t(lang, f"level_{m.levels[likelihood - 1][impact - 1]}")
            here = placed.get((likelihood, impact))
            cells.append(t(lang, "md_cell", level=level, rules=join(lang, here)) if here else level)
        grid.append(cells)
    thresholds = t(lang, "risk_thresholds", low=m.low, medium=m.medium, high=m.high)
    return [
        h(2, t(lang, "risks")),
        thresholds,
        pipe_table(header, rows, "llrrrll") if rows else t(lang, "no_findings"),
        h(3, t(lang, "md_matrix")),
        t(lang, "md_matrix_intro"),
        pipe_table((t(lang, "md_matrix_corner"), *map(str, range(1, 6))), grid),
    ]


def _phase_when(phase: PlanPhase, lang: str) -> str:
    if phase.deadline is None:
        return t(lang, "phase_open_ended")
    if phase.status == "closed":
        return t(lang, "phase_closed", days=-(phase.days_left or 0))
    left = t(lang, "days_left_short", days=phase.days_left)
    return t(lang, "phase_deadline", date=phase.deadline.isoformat(), days=left)


def _plan(a: Assessment, lang: str) -> Blocks:
    plan = a.plan
    migration = plan.mode == "migration"
    out = [
        h(2, t(lang, "plan" if migration else "plan_remediation")),
        t(lang, "md_plan_intro", date=a.as_of.isoformat()) if migration else t(lang, "md_remediation_intro"),
    ]
    for n, phase in enumerate(plan.phases, 1):
        title = esc(phase.title[lang])
        if len(a.policies) > 1:
            title = t(lang, "paren", text=title, note=code(phase.policy))
        out.append(h(3, t(lang, "md_phase", n=n, title=title, when=_phase_when(phase, lang))))
        if not phase.actions:
            out.append(t(lang, "no_actions"))
            continue
        items = []
        for act in phase.actions:
            task = t(
                lang,
                "md_task",
                title=esc(act.title[lang]),
                owner=esc(act.owner_title[lang]),
                due=act.due.isoformat(),
                kpi=esc(act.kpi[lang]),
            )
            effort = t(lang, "effort_value", size=act.effort, days=act.effort_days)
            meta = [code(act.id), t(lang, "md_task_meta", effort=effort, start=act.start.isoformat())]
            if act.depends_on:
                meta.append(t(lang, "md_after", ids=join(lang, act.depends_on)))
            if act.triggered_by:
                meta.append(t(lang, "md_for", rules=join(lang, act.triggered_by)))
            if act.late_by_days:
                meta.append(f"**{t(lang, 'late', days=act.late_by_days)}**")
            if act.carried_over:
                meta.append(f"**{t(lang, 'carried_over')}**")
            items.append(f"{task}\n  - {' · '.join(meta)}")
        out.append("\n".join(items))
    if plan.in_place:
        items = "\n".join(f"- {code(d.id)} {esc(d.title[lang])}" for d in plan.in_place)
        out += [h(3, t(lang, "md_in_place")), t(lang, "md_in_place_intro"), items]
    if plan.dropped:
        out.append(h(3, t(lang, "dropped")))
        out.append(
            "\n".join(
                f"- {code(d.id)} "
                + t(lang, "md_dropped_item", title=esc(d.title[lang]), date=d.expired_on.isoformat())
                for d in plan.dropped
            )
        )
    return [*out, h(3, t(lang, "md_gantt")), t(lang, "md_gantt_note"), _gantt(a, lang)]


def _gantt(a: Assessment, lang: str) -> str:
    title = "md_gantt_title" if a.plan.mode == "migration" else "md_gantt_title_remediation"
    lines = [
        "```mermaid",
        "gantt",
        f"    title {mermaid_text(t(lang, title, date=a.as_of.isoformat()))}",
        "    dateFormat YYYY-MM-DD",
        "    axisFormat %m-%d",
        "    todayMarker off",
    ]
    for phase in a.plan.phases:
        if not phase.actions and phase.deadline is None:
            continue
        lines.append(f"    section {mermaid_text(phase.title[lang])}")
        for act in phase.actions:
            tag = "crit, " if act.late_by_days or act.carried_over else ""
            lines.append(f"    {mermaid_text(act.id)} :{tag}{act.start.isoformat()}, {act.due.isoformat()}")
        if phase.deadline:
            day = phase.deadline.isoformat()
            lines.append(f"    {mermaid_text(t(lang, 'md_gantt_deadline', date=day))} :milestone, {day}, 0d")
    lines.append("```")
    return "\n".join(lines)


def _platforms(a: Assessment, lang: str) -> Blocks:
    rows = [
        (t(lang, f"platform_{p.platform}"), share(p.share), figure(p.gmv_cny_monthly, "cny", lang))
        for p in a.platform_mix
    ]
    pie = [
        "```mermaid",
        "pie showData",
        f"    title {mermaid_text(t(lang, 'md_pie_title', agency=a.agency))}",
    ]
    for p in a.platform_mix:
        if p.share > 0:
            label = mermaid_text(t(lang, f"platform_{p.platform}"))
            pie.append(f'    "{label}" : {number(round(p.share * 100, 2))}')
    pie.append("```")
    header = (t(lang, "platform"), t(lang, "share_of_gmv"), t(lang, "monthly_gmv"))
    return [h(2, t(lang, "md_platforms")), pipe_table(header, rows, "lrr"), "\n".join(pie)]


def _opportunities(a: Assessment, lang: str) -> Blocks:
    out = [h(2, t(lang, "opportunities"))]
    if not a.opportunities:
        return [*out, t(lang, "no_opportunities")]
    return out + [block for f in a.opportunities for block in _finding_detail(f, lang)]


def _assumptions(a: Assessment, lang: str) -> Blocks:
    c = a.confidence
    out = [
        h(2, t(lang, "md_assumptions")),
        t(
            lang,
            "md_confidence_line",
            level=t(lang, f"level_{c.level}"),
            score=f"{c.score:.2f}",
            assumed=c.assumed_fields,
            undecided=c.undetermined_rules,
        ),
    ]
    if a.assumptions:
        rows = [
            (
                code(s.field),
                esc(plain(s.assumed_value, lang)),
                esc(s.rationale[lang]),
            )
            for s in a.assumptions
        ]
        out.append(pipe_table((t(lang, "field"), t(lang, "value_used"), t(lang, "why")), rows))
    else:
        out.append(t(lang, "no_assumptions"))
    if a.undetermined:
        rows = [
            (
                u.rule_id,
                t(lang, f"sev_{u.severity}"),
                esc(u.title[lang]),
                join(lang, map(code, u.unknown_fields)),
            )
            for u in a.undetermined
        ]
        header = (t(lang, "rule"), t(lang, "severity"), t(lang, "finding"), t(lang, "fill_in"))
        out += [h(3, t(lang, "undetermined")), pipe_table(header, rows)]
    return out


def _sources(a: Assessment, lang: str) -> Blocks:
    items = []
    for s in a.sources:
        text = t(lang, "md_source_item", publisher=esc(s.publisher), title=esc(s.title))
        if s.date:
            text = t(lang, "paren", text=text, note=s.date.isoformat())
        items.append(f"- **{esc(s.id)}** {text}")
    return [h(2, t(lang, "md_sources")), t(lang, "md_sources_intro"), "\n".join(items)]
