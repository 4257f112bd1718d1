"""Every report as one self-contained HTML page, laid out for A4: the deliverable a
consultant hands over as is, on screen or printed to PDF.

The templates in ``render/templates/`` lay the pages out (Jinja2, autoescaping on: every
text from a profile, a pack or a saved file is escaped, and no template marks data
safe); this module hands them the result, the words in the report's language and the
charts, drawn by ``render/charts.py`` from the result's numbers. Formatting only: every
number shown was computed by the core. The page needs no network and no JavaScript:
styles are inline, charts are inline SVG, fonts are the reader's own (a CJK stack that
falls back cleanly). The same result gives the same bytes.

Jinja2 is imported by this module only, which the renderer registry imports when
``html`` or ``pdf`` is asked for: other formats never pay for it.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from importlib import resources
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup, escape

from mcn_advisor.core.money import EXPECTED, MARGIN, RESIDUAL, REVENUE
from mcn_advisor.i18n import messages, t
from mcn_advisor.render import charts
from mcn_advisor.render.common import (
    ACTION_GROUPS,
    ASSUMED_MARK,
    FINDING_GROUPS,
    MINUS,
    NET_FIGURE,
    acceptance_key,
    acceptance_note,
    accepted_until,
    action_notes,
    amount,
    band_text,
    change_text,
    compared,
    days,
    dropped_text,
    effort_text,
    event_known_note,
    evidence_texts,
    field_label,
    field_move,
    field_value,
    figure,
    groups,
    ladder,
    loss_text,
    missing_text,
    money,
    month_dates,
    months_text,
    net_text,
    neutral_text,
    number,
    plain,
    range_text,
    rate_text,
    raw_text,
    rung_amount,
    saturation_text,
    scale_text,
    score_range_text,
    season_text,
    set_aside_text,
    severity_label,
    share,
    short_title,
    signed,
    sizing_values,
    skip_text,
    stale_values,
    status_counts,
    substituted,
    tier_lines,
    window_text,
    with_levers_text,
)

if TYPE_CHECKING:  # annotations only: an assessment's page need not import the decision modules
    from mcn_advisor.core.compare import Comparison, Diff
    from mcn_advisor.core.contract import Assessment, Finding
    from mcn_advisor.core.levers import LeverRanking
    from mcn_advisor.core.portfolio import Portfolio
    from mcn_advisor.core.whatif import WhatIf

HTML_LANG = {"en": "en", "zh": "zh-CN"}
# The summary's money figures: the gross, then the net effect after each side's plan.
HEADLINE = ("gmv_at_risk_cny_monthly", "revenue_at_risk_cny_monthly", "net_effect_cny_monthly")
TOP_SCORES = 20  # profiles in a portfolio's score chart


# --- the five reports --------------------------------------------------------------------


def render(a: Assessment, lang: str = "en") -> str:
    """The assessment report: summary, factors, money, findings, risks, plan, sources."""
    steps = [f"{m.day.isoformat()} {m.label}" for m in plan_markers(a, lang)]
    marks = [f"{e.date.isoformat()} {e.title[lang]}" for e in path_events(a)]
    return _page(
        "assessment.html.j2", lang, a=a, charts=assessment_charts(a, lang), plan_steps=steps, path_steps=marks
    )


def what_if(w: WhatIf, lang: str = "en") -> str:
    """The profile as is and changed, side by side."""
    columns = (t(lang, "as_is"), t(lang, "what_if"))
    chart = comparison_chart(w.comparison, lang, columns)
    return _page(
        "what_if.html.j2", lang, w=w, c=w.comparison, columns=columns, chart=chart, headline=HEADLINE
    )


def diff(d: Diff, lang: str = "en") -> str:
    """Progress between two saved assessments of one MCN."""
    c = d.comparison
    columns = (c.before.as_of.isoformat(), c.after.as_of.isoformat())
    chart = comparison_chart(c, lang, columns)
    return _page("diff.html.j2", lang, d=d, c=c, columns=columns, chart=chart, headline=HEADLINE)


def levers(r: LeverRanking, lang: str = "en") -> str:
    """Every lever tried alone, ranked by value per week of effort."""
    return _page("levers.html.j2", lang, r=r, chart=levers_chart(r, lang))


def portfolio(s: Portfolio, lang: str = "en") -> Iterator[str]:
    """A batch's portfolio summary, linking each profile's HTML report when there is one (in
    pieces, as the template renders them: a summary of a million rows is never held whole)."""
    from mcn_advisor.render import portfolio as summary  # its texts; only a batch pays for it

    yield from _pieces(
        "portfolio.html.j2",
        lang,
        s=s,
        charts=portfolio_charts(s, lang),
        summary_line=summary.headline(s, lang),
        top_scores=TOP_SCORES,
        totals=summary.totals(s, lang),
        problems=lambda f: summary.problems(f, lang),
        late=summary.late_values(s),
    )


# --- the page ------------------------------------------------------------------------------


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mcn_advisor.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a typo in a template fails, never prints nothing
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["css"] = Markup(
        resources.files(__package__).joinpath("templates", "report.css").read_text("utf-8")
    )
    return env


def _page(template: str, lang: str, **context: Any) -> str:
    return "".join(_pieces(template, lang, **context))


def _pieces(template: str, lang: str, **context: Any) -> Iterator[str]:
    """A page's text in the pieces the template renders it in (as they come)."""
    return environment().get_template(template).generate(lang=lang, **words(lang), **context)


def _id(ident: str) -> Markup:
    return Markup('<span class="id">{}</span>').format(ident)


@functools.cache
def words(lang: str) -> dict[str, Any]:
    """What templates write text with, bound to ``lang``."""

    def say(key: str, **values: object) -> str:
        return t(lang, key, **values)

    return {
        "html_lang": HTML_LANG[lang],
        "t": say,
        "rich": functools.partial(rich, lang),
        "money": lambda v: money(v, lang),
        "figure": lambda v, unit: figure(v, unit, lang),
        "amount": lambda f: amount(f, lang),
        "share": share,
        "number": number,
        "days": lambda n: days(n, lang),
        "plain": lambda v: plain(v, lang),
        "label": lambda name: field_label(name, lang),
        "value": lambda name, v: field_value(name, v, lang),
        "move": lambda c: field_move(c, lang),
        "evidence": lambda f: evidence_texts(f, lang),
        "substituted": substituted,
        "change": lambda v, unit: change_text(v, unit, lang),
        "severity": lambda f: severity_label(f, lang),
        "acceptance": lambda a: acceptance_text(a, lang),
        "acceptance_note": lambda f: acceptance_note(f, lang),
        "action_notes": lambda act, a: action_notes(act, a, lang),
        "dropped": lambda d: Markup(dropped_text(d, lang, _id, escape)),
        "set_aside": lambda x: Markup(set_aside_text(x, lang, _id, escape)),
        "skip": lambda s: skip_text(s, lang),
        "groups": groups,
        "status_counts": status_counts,
        "accepted_until": accepted_until,
        "finding_groups": FINDING_GROUPS,
        "action_groups": ACTION_GROUPS,
        "assumed_mark": ASSUMED_MARK,
        "join": lambda items: t(lang, "list_sep").join(str(i) for i in items),
        "colon": t(lang, "labelled", label="", value=""),  # between a label and its value: ": " or "："
        "bold": lambda text: Markup("<strong>{}</strong>").format(text),
        "ids": lambda items: Markup(t(lang, "list_sep")).join(
            Markup('<span class="nowrap">{}</span>').format(i) for i in items
        ),
        # the model's reasons (issue 10) and the money ladder (issue 11), as Markdown says them
        "sizing": lambda f: sizing_markup(f, lang),
        "scale_text": lambda x: scale_text(x, lang),
        "tier_lines": lambda tier: tier_lines(tier, lang),
        "known_note": lambda e, as_of: event_known_note(e, as_of, lang),
        "stale": lambda a: stale_values(a, lang),
        "band_text": lambda e: band_text(e, lang),
        "score_range": lambda e: score_range_text(e, lang),
        "net": lambda impact, ranged=True, label=True, amount=True: net_text(
            impact, lang, ranged=ranged, label=label, amount=amount
        ),
        "signed": lambda v: signed(v, lang),
        "ladder": ladder,
        "rung_amount": lambda f: rung_amount(f, lang),
        "range_text": lambda f: range_text(f, lang),
        "loss": lambda v: loss_text(v, lang),
        "month_dates": month_dates,
        "season": lambda a: season_text(a, lang),
        "neutral": lambda a: neutral_text(a, lang),
        "window": lambda item: window_text(item, lang),
        "rate_basis": lambda r: rate_text(r, lang),
        "missing": lambda m: missing_text(m, lang),
        "with_levers": lambda money: with_levers_text(money, lang),
        "compared": lambda f, value: compared(f, value, lang),
        "effort_text": lambda lever: effort_text(lever, lang, label=False),
        "months_text": lambda months: months_text(months, lang),
        "raw_text": lambda move: raw_text(move, lang),
        "saturation": lambda r: saturation_text(r, lang),
    }


def sizing_markup(f: Finding, lang: str) -> Markup:
    """Why a risk finding has its severity (the Markdown report's "Severity basis" line)."""
    s = f.sizing
    assert s is not None
    level = t(lang, f"level_{f.severity}")
    if s.scale is None:
        return rich(lang, "md_sizing_fixed", level=level, **sizing_values(s, lang))
    what = s.label[lang] if s.label else (s.metric or "")
    return rich(lang, "md_sizing_measured", what=what, level=level, **sizing_values(s, lang))


_BOLD = re.compile(r"\*\*(.+?)\*\*")


def rich(lang: str, key: str, **values: object) -> Markup:
    """A message whose ``**bold**`` is markup, with every value escaped.

    The document messages (``md_*`` keys) mark their emphasis this way; HTML shows it
    as ``<strong>``, so both formats say the same sentence.
    """
    template = _BOLD.sub(r"<strong>\1</strong>", str(escape(messages()[lang][key])))
    return Markup(template).format(**values)  # Markup.format escapes every value


def acceptance_text(f: Finding, lang: str) -> str:
    a = f.acceptance
    assert a is not None
    return t(lang, acceptance_key(a), date=a.until.isoformat() if a.until else "", reason=a.reason)


# --- charts: each drawn from the result's numbers ---------------------------------------------


def assessment_charts(a: Assessment, lang: str) -> dict[str, Markup]:
    """The assessment's charts by name (the ``data-chart`` of their figure); a chart with
    nothing to draw is empty, and its figure is left out."""
    return {
        "factors": factors_chart(a, lang),
        "money": money_chart(a, lang),
        "plan": plan_chart(a, lang),
        "platforms": platforms_chart(a, lang),
        "path": path_chart(a, lang),
    }


def _pack_title(a: Assessment, policy: str, lang: str) -> str:
    """A group's title when several packs share a chart; "" for one pack."""
    if len(a.policies) < 2:
        return ""
    return next(p.title[lang] for p in a.policies if p.id == policy)


def factors_chart(a: Assessment, lang: str) -> Markup:
    """Each factor's value on the scale of its saturation (the dashed mark: full points)."""
    full = [charts.Mark(1.0, t(lang, "chart_full"))]
    grouped = [
        charts.Group(
            _pack_title(a, p.id, lang),
            [
                charts.Row(
                    f.id,
                    f.label[lang],
                    (
                        charts.Bar(
                            f.value,
                            t(lang, "chart_points", points=f"{f.contribution:.1f}", weight=number(f.weight)),
                        ),
                    ),
                )
                for f in a.exposure.factors
                if f.policy == p.id
            ],
            scale=1.0,
            marks=full,
        )
        for p in a.policies
    ]
    return charts.bars(grouped, title=t(lang, "factors"), label_width=190)


def money_chart(a: Assessment, lang: str) -> Markup:
    """The gross-to-net waterfall of the headline pack, then the client and creator counts.

    On the axis of the agency's margin lost a month: the gross revenue at risk, then each
    step down (the creators' split, what moves by itself, what the plan wins back, each upside
    item) floating on the running total, and what is still lost (left of 0: a net gain).
    """
    grouped = []
    rungs = {f.id: f for f in ladder(a)}
    gross, margin = rungs.get(REVENUE), rungs.get(MARGIN)
    expected, residual = rungs.get(EXPECTED), rungs.get(RESIDUAL)
    if all(f is not None and f.value is not None for f in (gross, margin, expected, residual)):
        steps = [
            (REVENUE, gross.label[lang], gross.value, 0.0, "total"),  # type: ignore[union-attr]
            ("creators_split", t(lang, "chart_creators"), margin.value - gross.value, gross.value, "down"),  # type: ignore[union-attr, operator]
            ("moves_by_itself", t(lang, "chart_moves"), expected.value - margin.value, margin.value, "down"),  # type: ignore[union-attr, operator]
            ("won_back", t(lang, "chart_won_back"), residual.value - expected.value, expected.value, "down"),  # type: ignore[union-attr, operator]
        ]
        running = residual.value  # type: ignore[union-attr]
        for item in a.impact.upside_items:
            f = rungs.get(f"{item.id}_cny_monthly")
            if f is None or not f.value:
                continue
            steps.append((f.id, f.label[lang], -f.value, running, "up"))
            running -= f.value
        steps.append((NET_FIGURE, t(lang, "chart_net_loss"), running, 0.0, "total"))
        rows = [
            charts.Row(
                ident, label, (charts.Bar(value, _step_note(ident, value, lang), base=base, tone=tone),)
            )
            for ident, label, value, base, tone in steps
        ]
        low = min(0.0, running)
        grouped.append(charts.Group(t(lang, "chart_ladder"), rows, scale=gross.value or 1.0, floor=low))  # type: ignore[union-attr]
    for p in a.policies:
        counts = [
            f for f in a.impact.figures if f.policy == p.id and f.unit == "count" and f.value is not None
        ]
        if not counts:
            continue
        title = t(lang, "chart_money_count")
        if len(a.policies) > 1:
            title = t(lang, "paren", text=_pack_title(a, p.id, lang), note=title)
        rows = [
            charts.Row(f.id, f.label[lang], (charts.Bar(f.value or 0.0, amount(f, lang)),)) for f in counts
        ]
        grouped.append(charts.Group(title, rows, scale=max(f.value or 0.0 for f in counts) or 1.0))
    return charts.bars(grouped, title=t(lang, "money"), label_width=250) if grouped else Markup()


def _step_note(ident: str, value: float, lang: str) -> str:
    if ident == NET_FIGURE:
        return loss_text(value, lang)
    return money(value, lang) if value >= 0 else MINUS + money(-value, lang)


def plan_chart(a: Assessment, lang: str) -> Markup:
    """The plan as a gantt: short action titles by phase, the policy's steps as dashed lines."""
    tasks = [
        charts.Task(
            act.id,
            short_title(act.title[lang]),
            act.start,
            act.due,
            group=f"{n}. {phase.title[lang]}",
            late=bool(act.late_by_days or act.carried_over),
        )
        for n, phase in enumerate(a.plan.phases, 1)
        for act in phase.actions
    ]
    if not tasks:
        return Markup()
    return charts.gantt(
        tasks, [charts.Marker(m.id, m.day, "") for m in plan_markers(a, lang)], title=t(lang, "md_gantt")
    )


def plan_markers(a: Assessment, lang: str) -> list[charts.Marker]:
    """The policy's steps from the assessment date on. The gantt marks their dates; their
    titles, too long for a chart, go in its caption."""
    return [
        charts.Marker(e.id, e.date, e.title[lang]) for e in a.timeline if e.step and e.days_from_as_of >= 0
    ]


def platforms_chart(a: Assessment, lang: str) -> Markup:
    rows = [
        charts.Row(
            p.platform,
            t(lang, f"platform_{p.platform}"),
            (charts.Bar(p.share, f"{share(p.share)} · {money(p.gmv_cny_monthly, lang)}"),),
        )
        for p in a.platform_mix
    ]
    return charts.bars([charts.Group("", rows, scale=1.0)], title=t(lang, "md_platforms"), label_width=150)


def path_chart(a: Assessment, lang: str) -> Markup:
    """The margin lost month by month, without and with the plan (below 0: a gain)."""
    path = a.impact.path
    if not path:
        return Markup()
    cols = [charts.Column(m.month, m.month, (m.without_plan_cny, m.with_plan_cny)) for m in path]
    return charts.columns(
        cols,
        title=t(lang, "chart_path"),
        series=(t(lang, "chart_without_plan"), t(lang, "chart_with_plan")),
        fmt=lambda v: money(v, lang) if v >= 0 else MINUS + money(-v, lang),
        markers=[charts.Marker(e.id, e.date, "") for e in path_events(a)],
    )


def path_events(a: Assessment) -> list[Any]:
    """The policy dates the path marks, from the assessment date on (timeline events)."""
    marked = {e for m in a.impact.path for e in m.events}
    return [e for e in a.timeline if e.id in marked and e.days_from_as_of >= 0]


def comparison_chart(c: Comparison, lang: str, columns: tuple[str, str]) -> Markup:
    """Both sides of a what-if or a diff: the factors that moved, in points, and the money."""

    def row(ident: str, label: str, before: float, after: float, shown: tuple[str, str]) -> charts.Row:
        return charts.Row(ident, label, (charts.Bar(before, shown[0]), charts.Bar(after, shown[1])))

    grouped = []
    if c.factors:
        rows = [
            row(f.id, f.label[lang], f.before, f.after, (f"{f.before:.1f}", f"{f.after:.1f}"))
            for f in c.factors
        ]
        scale = max(max(f.before, f.after) for f in c.factors)
        grouped.append(charts.Group(t(lang, "score_moved"), rows, scale=scale))
    money_rows = [
        row(
            f.id,
            f.label[lang],
            f.before or 0.0,
            f.after or 0.0,
            (figure(f.before, f.unit, lang), figure(f.after, f.unit, lang)),
        )
        for f in c.figures
        if f.unit == "cny" and f.id != NET_FIGURE and f.before is not None and f.after is not None
    ]  # the net effect may be negative: its change is in the table, not on a bar
    if money_rows:
        scale = max(max(b.value for b in r.bars) for r in money_rows)
        grouped.append(charts.Group(t(lang, "chart_money_cny"), money_rows, scale=scale))
    if not grouped:
        return Markup()
    return charts.bars(grouped, title=t(lang, "side_by_side"), series=columns, label_width=190)


def levers_chart(r: LeverRanking, lang: str) -> Markup:
    """The levers that move money, by CNY per week of effort."""
    chosen = [lever for lever in r.levers if lever.group == "money"]
    if not chosen:
        return Markup()
    rows = [
        charts.Row(
            lever.id,
            f"{lever.rank}. {lever.title[lang]}",
            (charts.Bar(lever.value_per_week, money(lever.value_per_week, lang)),),
        )
        for lever in chosen
    ]
    scale = max(lever.value_per_week for lever in chosen) or 1.0
    return charts.bars(
        [charts.Group("", rows, scale=scale)], title=t(lang, "value_per_week"), label_width=280
    )


def portfolio_charts(s: Portfolio, lang: str) -> dict[str, Markup]:
    """Profiles per band, and the highest scores against the band bounds."""
    if not s.rows:
        return {}
    band_rows = [
        charts.Row(band, t(lang, f"band_{band}"), (charts.Bar(n, f"{n:,}", tone=f"band-{band}"),))
        for band, n in s.bands.items()
    ]
    out = {
        "bands": charts.bars(
            [charts.Group("", band_rows, scale=max(s.bands.values()))],
            title=t(lang, "batch_bands"),
            label_width=120,
        )
    }
    top = list(itertools.islice(s.rows, TOP_SCORES))
    rows = [
        charts.Row(r.source, r.name, (charts.Bar(r.score, f"{r.score:.1f}", tone=f"band-{r.band}"),))
        for r in top
    ]
    title = t(lang, "chart_top_scores", n=len(top))
    out["scores"] = charts.bars([charts.Group("", rows, scale=100.0)], title=title, label_width=260)
    return out
