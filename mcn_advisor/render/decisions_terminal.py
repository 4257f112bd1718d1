"""What-if, levers and diff results as terminal text, readable at 80 columns without colour.

Formatting only: every number and status here was computed by ``decisions`` or ``diff``.
"""

from __future__ import annotations

from mcn_advisor.core.compare import ActionChange, Comparison, Diff, FindingChange
from mcn_advisor.core.levers import LeverRanking, LeverResult
from mcn_advisor.core.whatif import FieldChange, WhatIf
from mcn_advisor.i18n import t
from mcn_advisor.render.common import (
    ACTION_GROUPS,
    ASSUMED_MARK,
    FINDING_GROUPS,
    acceptance_note,
    better_lower,
    change_text,
    compared,
    effort_text,
    field_labels,
    field_move,
    figure,
    groups,
    loss_text,
    months_text,
    raw_text,
    saturation_text,
    signed,
    skip_text,
    with_levers_text,
)
from mcn_advisor.render.common import money as money_text
from mcn_advisor.render.linebreak import Para as Text
from mcn_advisor.render.terminal import BAND_STYLE, SEVERITY_STYLE, heading, plain_table
from mcn_advisor.render.textlayout import Block, Indent, Panel, Table, page

GOOD, BAD = "green", "red"


def _txt(text: str = "", style: str = "") -> Text:
    # Chinese has no spaces to wrap at: fold long runs rather than crop them with "…".
    return Text(text, style=style, overflow="fold")


def what_if(w: WhatIf, lang: str = "en", *, width: int = 100, color: bool = False) -> str:
    c = w.comparison
    head = _panel(
        t(lang, "whatif_title", agency=w.agency),
        w.policy.title[lang],
        _score_move(c, lang),
        t(lang, "as_of", date=w.as_of.isoformat())
        + " · "
        + t(lang, "policy", id=w.policy.id, version=w.policy.version),
    )
    parts: list[Block] = [head]
    if w.levers:
        parts.append(heading(t(lang, "levers_applied")))
        for lever in w.levers:
            parts.append(Text.assemble((lever.id + "  ", "bold"), lever.title[lang]))
            parts.append(Indent(_txt(lever.step[lang], style="dim")))
    parts += _changes(w.changes, lang)
    parts += _comparison(c, lang, (t(lang, "as_is"), t(lang, "what_if")), mode="what-if")
    if w.money is not None:
        parts += [
            heading(t(lang, "with_levers")),
            _txt(t(lang, "with_levers_intro"), style="dim"),
            _txt(with_levers_text(w.money, lang)),
        ]
    parts.append(_txt("\n" + t(lang, "whatif_note"), style="dim"))
    return page(parts, width=width, color=color)


def diff(d: Diff, lang: str = "en", *, width: int = 100, color: bool = False) -> str:
    c = d.comparison
    versions = d.policy_versions
    policy = t(lang, "policy", id=d.policy_id, version=versions[1])
    if versions[0] != versions[1]:
        policy += " · " + t(lang, "diff_versions", old=versions[0], new=versions[1])
    head = _panel(
        t(lang, "diff_title", agency=d.agency),
        t(lang, "diff_span", old=c.before.as_of.isoformat(), new=c.after.as_of.isoformat(), days=d.days),
        _score_move(c, lang),
        policy,
    )
    columns = (c.before.as_of.isoformat(), c.after.as_of.isoformat())
    return page([head, *_comparison(c, lang, columns, mode="diff")], width=width, color=color)


def levers(r: LeverRanking, lang: str = "en", *, width: int = 100, color: bool = False) -> str:
    now = Text.assemble(
        (t(lang, "levers_now") + " ", "bold"),
        (f" {t(lang, 'score_line', score=r.score, band=t(lang, f'band_{r.band}'))} ", BAND_STYLE[r.band]),
        " · " + t(lang, "levers_at_risk", money=figure(r.revenue_at_risk_cny_monthly, "cny", lang)),
    )
    head = _panel(
        t(lang, "levers_title", agency=r.agency),
        r.policy.title[lang],
        now,
        t(lang, "levers_nothing", money=figure(r.expected_loss_cny_monthly, "cny", lang)),
        t(lang, "as_of", date=r.as_of.isoformat())
        + " · "
        + t(lang, "policy", id=r.policy.id, version=r.policy.version),
    )
    parts: list[Block] = [head, heading(t(lang, "levers_ranked"))]
    if r.saturated:
        parts.append(_txt(saturation_text(r, lang), style="yellow"))
    if not r.levers:
        parts.append(_txt(t(lang, "levers_none")))
    for group in ("money", "score_only"):
        chosen = [lever for lever in r.levers if lever.group == group]
        if not chosen:
            continue
        if group == "score_only":
            parts.append(_txt("\n" + t(lang, "levers_score_only"), style="bold"))
        parts.append(_lever_table(chosen, r, lang))
    if r.not_shown:
        parts.append(_txt(t(lang, "levers_not_shown", n=r.not_shown), style="dim"))
    if r.band_unchanged and len(r.levers) >= 2:
        ids = " ".join(f"--lever {lever.id}" for lever in r.levers[:2])
        parts.append(_txt("\n" + t(lang, "levers_combine", band=t(lang, f"band_{r.band}"), ids=ids)))
    if r.skipped:
        parts.append(heading(t(lang, "levers_skipped", n=len(r.skipped))))
        for s in r.skipped:
            parts.append(Text.assemble((s.id + "  ", "bold"), s.title[lang]))
            parts.append(Indent(_txt(skip_text(s.skip, lang), style="dim")))
    parts.append(_txt("\n" + t(lang, "levers_estimate", months=months_text(r.months, lang)), style="dim"))
    return page(parts, width=width, color=color)


def _lever_table(chosen: list[LeverResult], r: LeverRanking, lang: str) -> Table:
    table = plain_table("#", t(lang, "lever"), ">" + t(lang, "value_per_week"))
    for lever in chosen:
        band = t(lang, f"band_{lever.band_after}")
        meta = [lever.id, effort_text(lever, lang), t(lang, "lever_action", action=lever.action)]
        effect = []
        if lever.group == "money":
            effect.append(
                t(
                    lang,
                    "lever_money",
                    monthly=signed(lever.net_gain_cny_monthly, lang),
                    horizon=signed(lever.net_gain_horizon_cny, lang),
                    months=months_text(r.months, lang),
                )
            )
        after, cut = lever.score_after, lever.score_cut
        effect.append(t(lang, "lever_exposure", before=r.score, after=after, band=band, cut=cut))
        if lever.revenue_recovered_cny_monthly:
            money = figure(lever.revenue_recovered_cny_monthly, "cny", lang)
            share = figure(lever.revenue_recovered_share, "share", lang)
            effect.append(t(lang, "lever_revenue", money=money, share=share))
        body = _txt(lever.title[lang], style="bold") + _txt("\n" + " · ".join(meta), style="dim")
        body += _txt("\n" + " · ".join(effect))
        if lever.hidden:
            body += _txt(
                "\n" + t(lang, "item_sep").join(raw_text(m, lang) for m in lever.raw_moves), style="yellow"
            )
        body += _txt("\n" + lever.step[lang], style="dim")
        if lever.changes:
            body += _txt(
                "\n" + t(lang, "item_sep").join(_change(c, lang) for c in lever.changes), style="dim"
            )
        tail = []
        if lever.resolves:
            tail.append(t(lang, "lever_resolves", rules=", ".join(lever.resolves)))
        if lever.raises:
            tail.append(t(lang, "lever_raises", rules=", ".join(lever.raises)))
        if lever.assumed_fields:
            tail.append(t(lang, "lever_assumed", fields=field_labels(lever.assumed_fields, lang)))
        if tail:
            body += _txt("\n" + " · ".join(tail), style="dim")
        value = money_text(lever.value_per_week, lang) if lever.group == "money" else ""
        table.add_row(_txt(str(lever.rank)), body, _txt(value, style="bold"))
    return table


# --- pieces ---------------------------------------------------------------------------------


def _panel(title: str, *lines: str | Text) -> Panel:
    body = Text()
    for n, line in enumerate(lines):
        body += _txt("\n" if n else "") + (line if isinstance(line, Text) else _txt(line))
    return Panel(body, _txt(title, style="bold"))


def _band(score: float, band: str, lang: str) -> Text:
    return _txt(f" {t(lang, 'score_line', score=score, band=t(lang, f'band_{band}'))} ", BAND_STYLE[band])


def _score_move(c: Comparison, lang: str) -> Text:
    return Text.assemble(
        (t(lang, "exposure") + " ", "bold"),
        _band(c.before.score, c.before.band, lang),
        " → ",
        _band(c.after.score, c.after.band, lang),
        (
            "  " + t(lang, "paren", text="", note=change_text(c.score_change, "points", lang)).strip(),
            _trend(c.score_change),
        ),
    )


def _trend(change: float | None, lower_is_better: bool = True) -> str:
    # Lower is better for the score, the money and the clients at risk; higher for the net effect.
    if not change:
        return ""
    return GOOD if (change < 0) == lower_is_better else BAD


def _change(c: FieldChange, lang: str) -> str:
    label, before, after = field_move(c, lang)  # an assumed mark: the ranking's "rests on assumed values"
    return f"{label} {before} → {after}"


def _changes(changes: list[FieldChange], lang: str) -> list[Block]:
    assumed = any(c.assumed_before for c in changes)
    table = plain_table(
        t(lang, "field"),
        ">" + t(lang, "as_is"),
        ">" + t(lang, "what_if"),
        t(lang, "changed_by"),
        caption=t(lang, "changed_assumed_note", mark=ASSUMED_MARK) if assumed else None,
    )
    for c in changes:
        by = {"set": "--set", "rebalanced": t(lang, "rebalanced")}.get(c.by, c.by)
        label, before, after = field_move(c, lang)
        table.add_row(label, before, _txt(after, style="bold"), by)
    if not changes:
        return [heading(t(lang, "changes")), _txt(t(lang, "no_changes"))]
    return [heading(t(lang, "changes")), table]


def _comparison(c: Comparison, lang: str, columns: tuple[str, str], mode: str) -> list[Block]:
    table = plain_table("", ">" + columns[0], ">" + columns[1], ">" + t(lang, "change"))
    table.add_row(
        _txt(t(lang, "exposure_score")),
        f"{c.before.score:.1f}",
        _txt(f"{c.after.score:.1f}", style="bold"),
        _txt(change_text(c.score_change, "points", lang), style=_trend(c.score_change)),
    )
    table.add_row(
        _txt(t(lang, "band")),
        t(lang, f"band_{c.before.band}"),
        _txt(t(lang, f"band_{c.after.band}"), style=BAND_STYLE[c.after.band]),
        "",
    )
    for f in c.figures:
        table.add_row(
            _txt(f.label[lang]),
            compared(f, f.before, lang),
            _txt(compared(f, f.after, lang), style="bold"),
            _txt(change_text(f.change, f.unit, lang), style=_trend(f.change, better_lower(f))),
        )
    table.add_row(
        _txt(t(lang, "confidence_label")),
        t(lang, f"level_{c.before.confidence}"),
        t(lang, f"level_{c.after.confidence}"),
        "",
    )
    parts: list[Block] = [heading(t(lang, "side_by_side")), table]
    if c.factors:
        factors = plain_table(t(lang, "factor"), ">" + columns[0], ">" + columns[1], ">" + t(lang, "change"))
        for f in c.factors:
            factors.add_row(
                _txt(f.label[lang]),
                f"{f.before:.1f}",
                f"{f.after:.1f}",
                _txt(change_text(f.change, "points", lang), style=_trend(f.change)),
            )
        parts += [heading(t(lang, "score_moved")), factors]
    if c.path:
        months = plain_table(
            t(lang, "path_month"), ">" + columns[0], ">" + columns[1], ">" + t(lang, "change")
        )
        for m in c.path:
            months.add_row(
                _txt(m.month),
                "" if m.before is None else loss_text(m.before, lang),
                _txt("" if m.after is None else loss_text(m.after, lang), style="bold"),
                _txt("" if m.change is None else change_text(m.change, "cny", lang), style=_trend(m.change)),
            )
        parts += [
            heading(t(lang, "path_compared")),
            _txt(t(lang, "path_compared_intro"), style="dim"),
            months,
        ]
    parts += _finding_changes(c.findings, lang, t(lang, "findings"), mode)
    if any(o.status != "open" for o in c.opportunities):
        parts += _finding_changes(c.opportunities, lang, t(lang, "opportunities"), mode)
    parts += _action_changes(c.actions, lang, mode)
    return parts


def _finding_changes(changes: list[FindingChange], lang: str, title: str, mode: str) -> list[Block]:
    parts: list[Block] = [heading(title)]
    for status, group in groups(changes, FINDING_GROUPS):
        if status == "open" and mode == "what-if":  # unchanged by the what-if: their ids suffice
            label = t(lang, "group_count", label=t(lang, "finding_open"), n=len(group))
            ids = ", ".join(_open_id(f, lang) for f in group) or t(lang, "none")
            parts.append(
                _txt("\n" + t(lang, "labelled", label=label, value=""), style="bold") + _txt(ids, style="dim")
            )
            continue
        parts.append(
            _txt(
                "\n" + t(lang, "group_count", label=t(lang, FINDING_GROUPS[status]), n=len(group)),
                style="bold",
            )
        )
        if not group:
            continue
        table = plain_table("", "", "", show_header=False)
        for f in group:
            body = _txt(f.title[lang])
            note = acceptance_note(f, lang)
            if note:
                body += _txt("\n" + note, style="dim")
            table.add_row(
                _txt(t(lang, f"sev_{f.severity}"), style=SEVERITY_STYLE[f.severity]), f.rule_id, body
            )
        parts.append(Indent(table))
    return parts


def _open_id(f: FindingChange, lang: str) -> str:
    """A finding still open, with its severity when the change moved it: "DY-LIVE-001 (low, was medium)"."""
    if not f.severity_before or f.severity_before == f.severity:
        return f.rule_id
    note = t(lang, "item_sep").join([t(lang, f"sev_{f.severity}"), acceptance_note(f, lang)])
    return t(lang, "paren", text=f.rule_id, note=note)


def _action_changes(changes: list[ActionChange], lang: str, mode: str) -> list[Block]:
    parts: list[Block] = [heading(t(lang, "plan_changes"))]
    for status, group in groups(changes, ACTION_GROUPS[mode]):
        label = t(lang, ACTION_GROUPS[mode][status])
        parts.append(_txt("\n" + t(lang, "group_count", label=label, n=len(group)), style="bold"))
        if not group:
            continue
        grid = Table(grid=True, gap=2)
        grid.add_column(no_wrap=True)
        grid.add_column()
        for a in group:
            body = _txt(a.title[lang])
            if status == "overdue" and a.due_before:
                body += _txt(
                    "\n" + t(lang, "overdue_by", date=a.due_before.isoformat(), days=a.overdue_days),
                    style=BAD,
                )
            elif status in ("added", "kept") and a.due_after:
                body += _txt("\n" + t(lang, "due") + ": " + a.due_after.isoformat(), style="dim")
            grid.add_row(_txt(a.id), body)
        parts.append(Indent(grid))
    return parts
