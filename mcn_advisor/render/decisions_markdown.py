"""What-if, levers and diff results as Markdown documents to hand to a client or a board.

Built from the assessment report's pieces (headings, pipe tables, ``esc`` and ``code``)
and in its style: no raw HTML, no timestamps. Everything from outside this module is
escaped: the agency's name, field values, acceptance reasons, and the texts of a saved
file or a policy pack. Formatting only: ``decisions`` and ``diff`` computed every
number and status shown here.
"""

from __future__ import annotations

from mcn_advisor.core.compare import ActionChange, Comparison, Diff, FindingChange
from mcn_advisor.core.contract import PolicyRef
from mcn_advisor.core.levers import LeverRanking, LeverResult
from mcn_advisor.core.whatif import FieldChange, WhatIf
from mcn_advisor.i18n import t
from mcn_advisor.render.common import (
    ACTION_GROUPS,
    ASSUMED_MARK,
    FINDING_GROUPS,
    acceptance_note,
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
    severity_label,
    share,
    signed,
    skip_text,
    status_counts,
    with_levers_text,
)
from mcn_advisor.render.common import money as money_text
from mcn_advisor.render.markdown import Blocks, code, esc, h, join, labelled, pipe_table

# The summary's money figures: the gross, then the net effect after each side's plan.
HEADLINE = ("gmv_at_risk_cny_monthly", "revenue_at_risk_cny_monthly", "net_effect_cny_monthly")


def what_if(w: WhatIf, lang: str = "en") -> str:
    """The profile as is and changed, side by side, as a Markdown document."""
    c, date = w.comparison, w.as_of.isoformat()
    out = [
        h(1, t(lang, "md_whatif_title", agency=esc(w.agency), date=date)),
        _byline(w.policy, lang),
        t(lang, "md_whatif_intro", date=date),
        h(2, t(lang, "md_summary")),
        _summary(c, lang, "what-if"),
    ]
    if w.levers:
        items = [
            "- "
            + t(
                lang,
                "labelled",
                label=_named(lever.title[lang], lever.id, lang, bold=True),
                value=esc(lever.step[lang]),
            )
            for lever in w.levers
        ]
        out += [h(2, t(lang, "levers_applied")), "\n".join(items)]
    out += _changes(w.changes, lang)
    out += _comparison(c, lang, (t(lang, "as_is"), t(lang, "what_if")), "what-if")
    if w.money is not None:
        out += [
            h(2, t(lang, "with_levers")),
            t(lang, "with_levers_intro"),
            esc(with_levers_text(w.money, lang)),
        ]
    return _document(out)


def diff(d: Diff, lang: str = "en") -> str:
    """Progress between two saved assessments of one MCN, as a Markdown document."""
    c = d.comparison
    old, new = c.before.as_of.isoformat(), c.after.as_of.isoformat()
    versions = d.policy_versions
    byline = t(lang, "policy", id=code(d.policy_id), version=esc(versions[1]))
    if versions[0] != versions[1]:
        byline += " · " + t(lang, "diff_versions", old=esc(versions[0]), new=esc(versions[1]))
    span = labelled(lang, t(lang, "md_period"), t(lang, "md_span", old=old, new=new, days=d.days))
    out = [
        h(1, t(lang, "md_diff_title", agency=esc(d.agency), old=old, new=new)),
        byline,
        t(lang, "md_diff_intro"),
        h(2, t(lang, "md_summary")),
        f"- {span}\n" + _summary(c, lang, "diff"),
        *_comparison(c, lang, (old, new), "diff"),
    ]
    return _document(out)


def levers(r: LeverRanking, lang: str = "en") -> str:
    """Every lever tried alone, ranked by money per week of effort, as a Markdown document."""
    now = t(lang, "score_line", score=r.score, band=t(lang, f"band_{r.band}"))
    at_risk = t(lang, "levers_at_risk", money=figure(r.revenue_at_risk_cny_monthly, "cny", lang))
    nothing = t(lang, "levers_nothing", money=figure(r.expected_loss_cny_monthly, "cny", lang))
    out = [
        h(1, t(lang, "md_levers_title", agency=esc(r.agency), date=r.as_of.isoformat())),
        _byline(r.policy, lang),
        labelled(lang, t(lang, "levers_now"), f"{now} · {at_risk} · {nothing}"),
        h(2, t(lang, "levers_ranked")),
        t(lang, "md_levers_estimate", months=months_text(r.months, lang)),
    ]
    if r.saturated:
        out.append(esc(saturation_text(r, lang)))
    if not r.levers:
        out.append(t(lang, "levers_none"))
    months = months_text(r.months, lang)
    for group in ("money", "score_only"):
        chosen = [lever for lever in r.levers if lever.group == group]
        if not chosen:
            continue
        if group == "score_only":
            out.append(h(3, t(lang, "levers_score_only")))
        header = (
            "#",
            t(lang, "lever"),
            t(lang, "md_effort"),
            t(lang, "md_net_month"),
            t(lang, "md_over_months", months=months),
            t(lang, "value_per_week"),
            t(lang, "md_exposure_after"),
            t(lang, "md_band_after"),
        )
        out.append(pipe_table(header, (_lever_row(lever, lang) for lever in chosen), "rllrrrrl"))
    # A client reads this document: the levers by name, never the command that combines them
    # (the terminal output gives that to the analyst).
    if r.not_shown:
        out.append(t(lang, "md_levers_not_shown", n=r.not_shown))
    if r.band_unchanged and len(r.levers) >= 2:
        first, second = (f"**{esc(x.title[lang])}**" for x in r.levers[:2])
        out.append(t(lang, "md_levers_combine", band=t(lang, f"band_{r.band}"), first=first, second=second))
    out += [block for lever in r.levers for block in _lever_detail(lever, lang)]
    if r.skipped:
        rows = [(_named(s.title[lang], s.id, lang), esc(skip_text(s.skip, lang))) for s in r.skipped]
        out += [
            h(2, t(lang, "levers_skipped", n=len(r.skipped))),
            pipe_table((t(lang, "lever"), t(lang, "md_why_not")), rows),
        ]
    return _document(out)


# --- pieces ---------------------------------------------------------------------------------


def _document(blocks: Blocks) -> str:
    return "\n\n".join(blocks) + "\n"


def _byline(policy: PolicyRef, lang: str) -> str:
    pack = t(lang, "policy", id=code(policy.id), version=esc(policy.version))
    return f"{esc(policy.title[lang])} · {pack}"


def _named(title: str, ident: str, lang: str, *, bold: bool = False) -> str:
    """A title with its id: what a reader reads, and what a command takes."""
    return t(lang, "paren", text=f"**{esc(title)}**" if bold else esc(title), note=code(ident))


def _score(score: float, band: str, lang: str) -> str:
    return t(lang, "score_line", score=score, band=t(lang, f"band_{band}"))


_PLAN_MOVES = {"what-if": "md_plan_move_what-if", "diff": "md_plan_move_diff"}  # the summary's plan line


def _summary(c: Comparison, lang: str, mode: str) -> str:
    """The headline moves: exposure, money at risk, findings and plan, one line each."""
    move = t(
        lang,
        "md_move",
        before=_score(c.before.score, c.before.band, lang),
        after=_score(c.after.score, c.after.band, lang),
        change=change_text(c.score_change, "points", lang),
    )
    lines = [labelled(lang, t(lang, "exposure"), move)]
    for f in c.figures:
        if f.id in HEADLINE:
            before, after = compared(f, f.before, lang), compared(f, f.after, lang)
            move = t(lang, "md_move", before=before, after=after, change=change_text(f.change, f.unit, lang))
            lines.append(labelled(lang, esc(f.label[lang]), move))
    found = status_counts(c.findings, FINDING_GROUPS)
    lines.append(labelled(lang, t(lang, "findings"), t(lang, "md_findings_move", **found)))
    planned = status_counts(c.actions, ACTION_GROUPS[mode])
    lines.append(labelled(lang, t(lang, "plan_changes"), t(lang, _PLAN_MOVES[mode], **planned)))
    return "\n".join(f"- {line}" for line in lines)


def _changes(changes: list[FieldChange], lang: str) -> Blocks:
    out = [h(2, t(lang, "changes"))]
    if not changes:
        return [*out, t(lang, "no_changes")]
    rows = [(*map(esc, field_move(c, lang)), _by(c, lang)) for c in changes]
    header = (t(lang, "field"), t(lang, "as_is"), t(lang, "what_if"), t(lang, "changed_by"))
    out.append(pipe_table(header, rows, "lrrl"))
    if any(c.assumed_before for c in changes):
        out.append(t(lang, "changed_assumed_note", mark=esc(ASSUMED_MARK)))
    return out


def _by(c: FieldChange, lang: str) -> str:
    """Who made a change: a --set, the rebalancing of a mix, or a lever (by its id)."""
    if c.by == "set":
        return t(lang, "set_directly")
    return t(lang, "rebalanced") if c.by == "rebalanced" else code(c.by)


def _comparison(c: Comparison, lang: str, columns: tuple[str, str], mode: str) -> Blocks:
    """Both sides' figures, the factors that moved, findings and plan: shared by what-if and diff."""
    header = (t(lang, "figure"), *columns, t(lang, "change"))
    rows = [
        (
            t(lang, "exposure_score"),
            f"{c.before.score:.1f}",
            f"{c.after.score:.1f}",
            change_text(c.score_change, "points", lang),
        ),
        (t(lang, "band"), t(lang, f"band_{c.before.band}"), t(lang, f"band_{c.after.band}"), ""),
        *(
            (
                esc(f.label[lang]),
                compared(f, f.before, lang),
                compared(f, f.after, lang),
                change_text(f.change, f.unit, lang),
            )
            for f in c.figures
        ),
        (
            t(lang, "confidence_label"),
            t(lang, f"level_{c.before.confidence}"),
            t(lang, f"level_{c.after.confidence}"),
            "",
        ),
    ]
    out = [h(2, t(lang, "side_by_side")), pipe_table(header, rows, "lrrr")]
    if c.factors:
        factors = [
            (esc(f.label[lang]), f"{f.before:.1f}", f"{f.after:.1f}", change_text(f.change, "points", lang))
            for f in c.factors
        ]
        out += [
            h(3, t(lang, "score_moved")),
            pipe_table((t(lang, "factor"), *columns, t(lang, "change")), factors, "lrrr"),
        ]
    if c.path:
        rows = [
            (
                m.month,
                "" if m.before is None else esc(loss_text(m.before, lang)),
                "" if m.after is None else esc(loss_text(m.after, lang)),
                "" if m.change is None else change_text(m.change, "cny", lang),
            )
            for m in c.path
        ]
        header = (t(lang, "path_month"), *columns, t(lang, "change"))
        out += [
            h(3, t(lang, "path_compared")),
            t(lang, "path_compared_intro"),
            pipe_table(header, rows, "lrrr"),
        ]
    out += _finding_changes(c.findings, lang, t(lang, "findings"))
    if any(o.status != "open" for o in c.opportunities):
        out += _finding_changes(c.opportunities, lang, t(lang, "opportunities"))
    return out + _action_changes(c.actions, lang, mode)


def _finding_changes(changes: list[FindingChange], lang: str, title: str) -> Blocks:
    out = [h(2, title)]
    for status, group in groups(changes, FINDING_GROUPS):
        out.append(h(3, t(lang, "group_count", label=t(lang, FINDING_GROUPS[status]), n=len(group))))
        if not group:
            out.append(t(lang, "md_none"))
            continue
        notes = [acceptance_note(f, lang, esc) for f in group]
        header = (t(lang, "severity"), t(lang, "rule"), t(lang, "finding"))
        rows = [(severity_label(f, lang), f.rule_id, esc(f.title[lang])) for f in group]  # type: ignore[arg-type]
        if any(notes):  # the column only where there is something to say
            header += (t(lang, "md_note"),)
            rows = [(*row, note) for row, note in zip(rows, notes, strict=True)]
        out.append(pipe_table(header, rows))
    return out


def _action_changes(changes: list[ActionChange], lang: str, mode: str) -> Blocks:
    out = [h(2, t(lang, "plan_changes"))]
    for status, group in groups(changes, ACTION_GROUPS[mode]):
        label = t(lang, ACTION_GROUPS[mode][status])
        out.append(h(3, t(lang, "group_count", label=label, n=len(group))))
        if not group:
            out.append(t(lang, "md_none"))
            continue
        header = (t(lang, "md_action_id"), t(lang, "md_action_title"))
        rows = [(code(a.id), esc(a.title[lang])) for a in group]
        if status == "overdue":
            header += (t(lang, "md_was_due"), t(lang, "md_days_overdue"))
            late = [(_day(a.due_before), str(a.overdue_days)) for a in group]
            rows = [(*row, *more) for row, more in zip(rows, late, strict=True)]
        elif status in ("added", "kept"):
            header += (t(lang, "md_due"),)
            rows = [(*row, _day(a.due_after)) for row, a in zip(rows, group, strict=True)]
        out.append(pipe_table(header, rows, "llrr"))
    return out


def _day(d: object) -> str:
    return d.isoformat() if d else ""  # type: ignore[attr-defined]


def _lever_row(lever: LeverResult, lang: str) -> tuple[str, ...]:
    money = lever.group == "money"
    return (
        str(lever.rank),
        _named(lever.title[lang], lever.id, lang),
        esc(effort_text(lever, lang, label=False)),
        signed(lever.net_gain_cny_monthly, lang) if money else "",
        signed(lever.net_gain_horizon_cny, lang) if money else "",
        f"**{money_text(lever.value_per_week, lang)}**" if money else "",
        t(
            lang,
            "paren",
            text=f"{lever.score_after:.1f}",
            note=change_text(-lever.score_cut, "points", lang),  # a cut is a fall of the score
        ),
        t(lang, f"band_{lever.band_after}"),
    )


def _lever_detail(lever: LeverResult, lang: str) -> Blocks:
    changes = t(lang, "item_sep").join(esc("{} {} → {}".format(*field_move(c, lang))) for c in lever.changes)
    lines = [
        labelled(lang, t(lang, "md_lever_action"), code(lever.action)),
        esc(effort_text(lever, lang)),
    ]
    if lever.changes:
        lines.insert(0, labelled(lang, t(lang, "changes"), changes))
    if lever.revenue_recovered_cny_monthly:
        revenue = figure(lever.revenue_recovered_cny_monthly, "cny", lang)
        share_ = share(lever.revenue_recovered_share)
        lines.append(esc(t(lang, "lever_revenue", money=revenue, share=share_)))
    if lever.hidden:
        lines.append(esc(t(lang, "item_sep").join(raw_text(m, lang) for m in lever.raw_moves)))
    if lever.resolves:
        lines.append(labelled(lang, t(lang, "md_resolves"), join(lang, lever.resolves)))
    if lever.raises:
        lines.append(labelled(lang, t(lang, "md_raises"), join(lang, lever.raises)))
    if lever.assumed_fields:
        lines.append(labelled(lang, t(lang, "md_assumed"), esc(field_labels(lever.assumed_fields, lang))))
    if lever.sources:
        lines.append(labelled(lang, t(lang, "sources"), join(lang, map(esc, lever.sources))))
    return [
        h(3, f"{lever.rank}. {esc(lever.title[lang])}"),
        esc(lever.step[lang]),
        "\n".join(f"- {line}" for line in lines),
    ]
