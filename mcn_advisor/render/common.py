"""Formatting shared by the renderers: numbers, money, dates and formulas as text.

Formatting only: every value here was computed by the engine.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from mcn_advisor.core.contract import (
    Assessment,
    Exposure,
    Figure,
    Impact,
    Input,
    Missing,
    PlannedAction,
    PlanTier,
    RateUsed,
    Sizing,
    UpsideItem,
)
from mcn_advisor.i18n import messages, t
from mcn_advisor.profile.model import UNITS

# A name in a formula, captured: ``split`` keeps the names between the text around them.
_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\bmin\b|\bmax\b)")


def number(value: Any) -> str:
    """A number as a person reads it: 30,000,000 or 0.45 or 1.5."""
    if type(value) is float:  # most numbers: their case first
        # Zero is written afresh: -0.0 and 0.0 are one key of the cache and two texts.
        return _float_kept(value) if value else _float_text(value)
    if value is None:
        return "?"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 1):
        return f"{int(value):,}"
    return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _float_text(value: float) -> str:
    if value.is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    return f"{value:.4f}".rstrip("0").rstrip(".")


_float_kept = functools.lru_cache(maxsize=4096)(_float_text)  # a pack's constants, a report's amounts recur


def money(value: float | None, lang: str) -> str:
    """CNY, written the way each language's readers count it (zh: 万 and 亿)."""
    if value is None:
        return t(lang, "unknown")
    if lang == "zh":
        for unit, size in (("亿元", 1e8), ("万元", 1e4)):
            if abs(value) >= size:
                return f"{value / size:,.2f}".rstrip("0").rstrip(".") + " " + unit
        return f"{value:,.0f} 元"
    return f"CNY {value:,.0f}"


def share(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value * 100:.1f}".rstrip("0").rstrip(".") + "%"


def figure(value: float | None, unit: str, lang: str) -> str:
    if value is None:
        return t(lang, "unknown")
    if unit == "cny":
        return money(value, lang)
    if unit == "share":
        return share(value)
    if unit == "count":  # clients, creators: whole ones, never "22.4 clients"
        return number(float(round(value)))
    return number(value)


def plain(value: Any, lang: str) -> str:
    """A field's value in a sentence: yes/no, a list, a number, a text."""
    if value is None:
        return t(lang, "unknown")
    if isinstance(value, bool):
        return t(lang, "yes" if value else "no")
    if isinstance(value, list):
        return t(lang, "list_sep").join(str(v) for v in value) if value else t(lang, "none")
    if isinstance(value, dict):
        return ", ".join(f"{k} {plain(v, lang)}" for k, v in value.items())
    if isinstance(value, (int, float)):
        return number(value)
    return str(value)


def field_label(name: str, lang: str, label: Any = None) -> str:
    """A profile field (or a table assumed whole) as a client reads it: its label, never its key
    ("Monthly GMV", "月 GMV"). ``label``: a metric's own (``Input.label``)."""
    if label is not None:
        return label[lang]
    key = f"field.{name}"
    return t(lang, key) if key in messages()[lang] else name


def field_value(name: str, value: Any, lang: str, unit: str | None = None) -> str:
    """A field's value in its unit: a share as a percentage, money as money in the report's
    language, a count as a whole number, yes/no; otherwise as ``plain``. ``unit``: a metric's."""
    if isinstance(value, dict):  # a table assumed whole: each of its fields
        return t(lang, "list_sep").join(field_text(f"{name}.{k}", v, lang) for k, v in value.items())
    unit = unit or UNITS.get(name, "")
    if unit in ("cny", "share", "count") and isinstance(value, (int, float)) and not isinstance(value, bool):
        return figure(value, unit, lang)
    return plain(value, lang)


def field_text(name: str, value: Any, lang: str, label: Any = None, unit: str | None = None) -> str:
    """ "Monthly GMV = CNY 30,000,000", "月 GMV = 3,000 万元": a field and its value, as clients read it."""
    if type(value) in _KEPT and value:  # zero is written afresh: -0.0 and 0.0 are one key, two texts
        return _field_text_kept(name, value, lang, label, unit)
    return _field_text(name, value, lang, label, unit)


def _field_text(name: str, value: Any, lang: str, label: Any, unit: str | None) -> str:
    return f"{field_label(name, lang, label)} = {field_value(name, value, lang, unit)}"


# A finding's evidence recurs from report to report (the fields a rule reads, the values a
# survey's answers take); kept by value for the plain values (``typed``: 1, 1.0 and True apart).
_KEPT = frozenset({float, int, str, bool})
_field_text_kept = functools.lru_cache(maxsize=4096, typed=True)(_field_text)


def field_labels(names: Iterable[str], lang: str) -> str:
    """Several fields by their labels, joined the report's way ("A, B" / "A、B")."""
    return t(lang, "list_sep").join(field_label(n, lang) for n in names)


def field_move(c: Any, lang: str) -> tuple[str, str, str]:
    """A what-if or lever change (``FieldChange``) as clients read it: the field's label, its value
    before (marked when assumed) and after."""
    before = field_value(c.field, c.before, lang) + (ASSUMED_MARK if c.assumed_before else "")
    return field_label(c.field, lang), before, field_value(c.field, c.after, lang)


def evidence_texts(f: Any, lang: str) -> list[str]:
    """A finding's evidence as clients read it, each marked when it was assumed:
    "Monthly GMV = CNY 30,000,000", "Douyin live GMV through third-party links = 50% (assumed)"."""
    out = []
    for e in f.evidence:
        text = field_text(e.field, e.value, lang, e.label, e.unit)
        out.append(t(lang, "paren", text=text, note=t(lang, "assumed_mark")) if e.assumed else text)
    return out


def stale_values(a: Assessment, lang: str) -> dict[str, str] | None:
    """The words of the note that ``as_of`` lies long after the policy's last step, or None."""
    s = a.summary.stale
    if s is None:
        return None
    years = t(lang, "years_one") if s.years == 1 else t(lang, "years_many", n=s.years)
    return {
        "date": a.as_of.isoformat(),
        "years": years,
        "last": s.last_step.isoformat(),
        "suggested": s.suggested_as_of.isoformat(),
    }


def days(n: int, lang: str) -> str:
    """Days from the assessment date: "in 43 days", "12 days ago", "today"."""
    if n in (-1, 0, 1):
        return t(lang, {-1: "yesterday", 0: "today", 1: "tomorrow"}[n])
    return t(lang, "days_left" if n > 0 else "days_ago", days=abs(n))


ASSUMED_MARK = "*"


def amount(f: Any, lang: str) -> str:
    """A ``Figure``'s amount, marked when it rests on an assumed value."""
    marked = any(i.assumed for i in f.inputs)
    return figure(f.value, f.unit, lang) + (ASSUMED_MARK if marked else "")


def severity_label(f: Any, lang: str) -> str:
    """A finding's severity, or its kind when it is no risk (positive, opportunity)."""
    return t(lang, f"sev_{f.severity}") if f.kind == "risk" else t(lang, f"kind_{f.kind}")


# Where a title's first clause ends: a colon, a semicolon, a bracket or a dash (not a comma:
# a Chinese title often opens with a clause of time, "在导流停止前，...").
_CLAUSE_END = re.compile(r"\s*(?:[:;(]|[：；（]|\s[—–-]\s)")


def short_title(title: str, width: int = 0) -> str:
    """A title's first clause, for a chart's label: "Sort every third-party-linked client: will
    open a store..." becomes "Sort every third-party-linked client". With ``width``, cut to
    that many cells (a Chinese character takes two) at a word, ending in "…"."""
    head = _CLAUSE_END.split(" ".join(title.split()), maxsplit=1)[0].strip() or title.strip()
    if not width or cells(head) <= width:
        return head
    cut = ""
    for token in re.findall(r"\S+\s*|\s+", head) if head.isascii() else head:
        if cells(cut + token.rstrip()) > width - 1:
            break
        cut += token
    return (cut.rstrip() or head[: width - 1]) + "…"


def _wide(c: str) -> bool:
    return unicodedata.east_asian_width(c) in "WF"


def cells(text: str) -> int:
    """Terminal cells ``text`` takes: two for a wide (CJK) character, one for the others."""
    return len(text) if text.isascii() else _wide_cells(text)


@functools.lru_cache(maxsize=4096)  # a pack's texts recur in every report of a batch
def _wide_cells(text: str) -> int:
    # One more cell for each wide character, each character's width looked up once (a table
    # cell of amounts or a formula holds a few, "−", "×", among many digits).
    return len(text) + sum(map(_EXTRA_CELLS.__getitem__, text))


class _ExtraCells(dict[str, int]):
    """A character's cells beyond the first (1 if wide, else 0), found once for each character."""

    def __missing__(self, c: str) -> int:
        if len(self) >= 4096:  # bounded: past that many distinct characters, start over
            self.clear()
        extra = self[c] = 1 if _wide(c) else 0
        return extra


_EXTRA_CELLS = _ExtraCells()


# Widths of Latin glyphs in em, upper estimates for the reports' sans fonts (Noto Sans,
# DejaVu Sans, Arial, WenQuanYi's Latin); wide (CJK) characters take a full em.
_NARROW = frozenset(" il.,:;'|!Itfjr()[]/")
_BROAD = frozenset("mwMW@%")


def text_width(text: str, size: float) -> float:
    """An upper estimate of ``text``'s width in px at ``size`` px, for laying out a chart."""
    em = 0.0
    for c in text:
        if c in _NARROW:
            em += 0.36
        elif c in _BROAD:
            em += 0.92
        elif c.isupper() or c.isdigit():
            em += 0.68
        elif c.isascii():
            em += 0.58
        else:
            em += 1.0 if _wide(c) else 0.7
    return size * em


# --- the model's reasons: severity from size, the plan's size, time --------------------------


def headline_figure(a: Assessment, figure_id: str) -> Figure:
    """A figure of the headline pack (several packs each define the money figures)."""
    return next(f for f in a.impact.figures if f.id == figure_id and f.policy == a.impact.policy)


def size_range(bounds: list[float], impact: int, lang: str) -> str:
    """The span of the measure that gives ``impact``: "25% to 40%", "under 2%", "40% or more"."""
    low = bounds[impact - 2] if impact >= 2 else None
    high = bounds[impact - 1] if impact <= len(bounds) else None
    if low is None:
        return t(lang, "range_below", high=share(high))
    if high is None:
        return t(lang, "range_above", low=share(low))
    return t(lang, "range_between", low=share(low), high=share(high))


def sizing_values(s: Sizing, lang: str) -> dict[str, Any]:
    """The placeholders of a severity basis, for ``sizing_*`` and ``md_sizing_*``."""
    values: dict[str, Any] = {"impact": s.impact, "likelihood": s.likelihood, "rating": s.rating}
    if s.scale is not None:
        values.update(value=share(s.value), range=size_range(s.bounds, s.impact, lang))
    return values


def sizing_text(s: Sizing, lang: str) -> str:
    """One line on why a risk has its severity: "impact 4 of 5: 27% (25% to 40%) · likelihood 5 · ..."."""
    key = "sizing_measured" if s.scale is not None else "sizing_fixed"
    return t(lang, key, **sizing_values(s, lang))


def scale_text(scale: Any, lang: str) -> str:
    """A scale's bounds and why: "share of GMV...: 2%, 10%, 25%, 40%. 2%: ..."."""
    bounds = t(lang, "list_sep").join(share(b) for b in scale.bounds)
    return t(lang, "scale_line", title=scale.title[lang], bounds=bounds, basis=scale.basis[lang])


def tier_lines(tier: PlanTier, lang: str) -> list[str]:
    """What size the plan is made for, who owns it, how fast it moves."""
    if tier.creators is None:
        facts = t(lang, "tier_facts_gmv", gmv=money(tier.monthly_gmv_cny, lang))
    else:
        facts = t(lang, "tier_facts", creators=f"{tier.creators:,}", gmv=money(tier.monthly_gmv_cny, lang))
    if tier.max_creators is None or tier.max_monthly_gmv_cny is None:
        limits = t(lang, "tier_open")
    else:
        limits = t(
            lang, "tier_limits", creators=f"{tier.max_creators:,}", gmv=money(tier.max_monthly_gmv_cny, lang)
        )
    owners = t(lang, "list_sep").join(o[lang] for o in tier.owner_titles)
    how = [t(lang, "tier_owners", owners=owners)]
    if tier.effort_scale != 1:
        how.append(t(lang, "tier_effort", percent=number(round(tier.effort_scale * 100))))
    if tier.parallel:
        how.append(t(lang, "tier_parallel", n=tier.parallel))
    return [
        t(lang, "tier_line", tier=tier.title[lang], facts=facts, limits=limits),
        t(lang, "item_sep").join(how),
        tier.basis[lang],
    ]


def action_notes(act: PlannedAction, a: Assessment, lang: str) -> list[str]:
    """Where an action stands against its target phase: missed by N days, or carried over."""
    target = next((p for p in a.plan.phases if p.id == act.target_phase and p.policy == act.policy), None)
    if target is None or target.deadline is None:
        return []
    if act.carried_over:
        return [t(lang, "carried_over", date=target.deadline.isoformat())]
    if act.late_by_days:
        key = "late_one" if act.late_by_days == 1 else "late"
        return [t(lang, key, date=target.deadline.isoformat(), days=act.late_by_days)]
    return []


def dropped_text(d: Any, lang: str, ident: Any = str, escape: Any = str) -> str:
    """Why an action left the plan with its window; ``ident`` and ``escape`` format the id and the title."""
    key = "dropped_line_cannot_finish" if d.reason == "cannot_finish" else "dropped_line"
    return t(lang, key, id=ident(d.id), title=escape(d.title[lang]), date=d.expired_on.isoformat())


def set_aside_text(x: Any, lang: str, ident: Any = str, escape: Any = str) -> str:
    """Why an action is not planned for this MCN; ``ident`` and ``escape`` as for ``dropped_text``."""
    why = t(lang, f"set_aside_{x.reason}")
    if x.because:
        why = t(lang, "item_sep").join([why, t(lang, "set_aside_because", id=ident(x.because))])
    return t(lang, "set_aside_line", id=ident(x.id), title=escape(x.title[lang]), why=why)


def event_known_note(e: Any, as_of: Any, lang: str) -> str:
    """ "not yet announced on 2020-08-01 (announced 2020-08-26)", or nothing."""
    if e.known:
        return ""
    return t(lang, "not_announced", date=as_of.isoformat(), announced=e.announced.isoformat())


def substituted(formula: str, inputs: list[Input]) -> str:
    """The formula with each name replaced by the value the engine used (assumed: marked)."""
    values = {i.field: i for i in inputs}
    parts = formula_parts(formula)
    out = list(parts)
    for n in range(1, len(parts), 2):  # the names
        item = values.get(parts[n])
        if item is not None:
            out[n] = number(item.value) + (ASSUMED_MARK if item.assumed else "")
    return "".join(out)


@functools.lru_cache(maxsize=1024)  # a pack's formulas recur in every report
def formula_parts(formula: str) -> list[str]:
    """The formula as a report writes it, split into text, name, text, ..., name, text."""
    # Operators first, so the assumed mark is not taken for a multiplication sign.
    return _NAME.split(formula.replace("*", "×").replace(" - ", " − "))


# --- decision support: changes and skipped levers ------------------------------------------

MINUS = "−"


def change_text(value: float | None, unit: str, lang: str) -> str:
    """A change with its sign: "−25.7" points, "−CNY 680,000", "+3" clients; lower is better."""
    if value is None:
        return t(lang, "unknown")
    if value == 0:
        return "0"
    sign = "+" if value > 0 else MINUS
    if unit == "points":
        return f"{sign}{abs(value):.1f}"
    return sign + figure(abs(value), unit, lang)


def skip_text(skip: Any, lang: str) -> str:
    """Why a lever was not tried (a ``decisions.Skip``), as a sentence."""
    if skip.reason == "window_closed":
        return t(lang, "skip_window_closed", date=skip.closed_on.isoformat())
    if skip.reason == "no_change":
        return t(lang, "skip_no_change", fields=field_labels(skip.fields, lang))
    if skip.reason == "unknown_input":
        return t(lang, "skip_unknown_input", fields=field_labels(skip.fields, lang))
    if skip.reason == "no_money":
        return t(lang, "skip_no_money")
    tests = t(lang, "item_sep").join(
        t(lang, "skip_test", test=c.test, value=field_value(c.field, c.actual, lang)) for c in skip.checks
    )
    return t(lang, "skip_not_applicable", tests=tests)


# --- accepted risks, and the groups a comparison is shown in (terminal and Markdown) -------


# The message for an ``Acceptance`` (expired: counts again; accepted until; accepted), as
# (terminal, Markdown) keys: the Markdown wording marks up the same sentence.
_ACCEPTANCE_KEYS = {
    "expired": ("expired_line", "md_expired_line"),
    "until": ("accepted_until", "md_accepted_until"),
    "held": ("accepted_line", "md_accepted_line"),
}


def acceptance_key(acceptance: Any, *, markdown: bool = False) -> str:
    """The message key for an ``Acceptance``, in the terminal's or the Markdown wording."""
    state = "expired" if acceptance.expired else "until" if acceptance.until else "held"
    return _ACCEPTANCE_KEYS[state][markdown]


def acceptance_note(f: Any, lang: str, escape: Any = str) -> str:
    """What a ``diff.FindingChange`` says about its severity moving, acceptance and undecided rules.

    ``escape`` is applied to the reason, which comes from the profile.
    """
    notes = []
    if f.was_undetermined:
        notes.append(t(lang, "finding_decided"))
    if f.status == "open" and f.severity_before and f.severity_before != f.severity:
        notes.append(t(lang, "severity_was", severity=t(lang, f"sev_{f.severity_before}")))
    if f.acceptance is not None and f.status != "resolved":
        a = f.acceptance
        reason = escape(a.reason)
        if a.expired:
            until = a.until.isoformat() if a.until else ""
            notes.append(t(lang, "acceptance_expired", date=until, reason=reason))
        else:
            key = "accepted_now" if f.accepted_after and not f.accepted_before else "accepted_still"
            notes.append(t(lang, key, reason=reason))
    elif f.accepted_before and not f.accepted_after and f.status == "open":
        notes.append(t(lang, "acceptance_withdrawn"))
    return t(lang, "item_sep").join(notes)


# Each group of a comparison, in the order shown, with the message key of its heading.
FINDING_GROUPS = {"resolved": "finding_resolved", "new": "finding_new", "open": "finding_open"}
ACTION_GROUPS = {
    "what-if": {
        "done": "action_done_what-if",
        "gone": "action_gone_what-if",
        "added": "action_added_what-if",
    },
    "diff": {
        "overdue": "action_overdue_diff",
        "done": "action_done_diff",
        "gone": "action_gone_diff",
        "expired": "action_expired_diff",
        "added": "action_added_diff",
        "kept": "action_kept_diff",
    },
}
OPTIONAL_GROUPS = ("done", "expired", "kept")  # shown only when they hold something


def status_counts(changes: list[Any], statuses: Iterable[str]) -> dict[str, int]:
    """How many of ``changes`` have each status (a summary line's numbers)."""
    return {status: sum(1 for c in changes if c.status == status) for status in statuses}


def accepted_until(findings: Iterable[Any]) -> dict[str, Any]:
    """The end date of each accepted finding's acceptance, by rule (the risk register says it)."""
    return {
        f.rule_id: f.acceptance.until for f in findings if f.accepted and f.acceptance and f.acceptance.until
    }


def groups(changes: list[Any], statuses: Iterable[str]) -> list[tuple[str, list[Any]]]:
    """``changes`` by status, in the order of ``statuses``; optional groups only when not empty."""
    out = []
    for status in statuses:
        group = [c for c in changes if c.status == status]
        if group or status not in OPTIONAL_GROUPS:
            out.append((status, group))
    return out


def source_line(sid: str, source: Any, lang: str) -> str:
    """A source as cited: "[002] 网易新闻：<title>（2020-08-27）"."""
    values = {"id": sid, "publisher": source.publisher[lang], "title": source.title[lang]}
    if source.date is None:
        return t(lang, "source_line_undated", **values)
    return t(lang, "source_line", date=source.date.isoformat(), **values)


# --- the money ladder, the path and ranges ---------------------------------------------------


def signed(value: float | None, lang: str) -> str:
    """An amount with its sign, gains positive: "+CNY 37,813", "−CNY 63,727"."""
    if value is None:
        return t(lang, "unknown")
    if value == 0:
        return money(0.0, lang)
    return ("+" if value > 0 else MINUS) + money(abs(value), lang)


def ladder(a: Assessment, policy: str | None = None) -> list[Figure]:
    """A pack's rungs of the money ladder, gross first, net last (the headline pack's by default)."""
    pack = policy or a.impact.policy
    return [f for f in a.impact.figures if f.rung and f.policy == pack]


def rung_amount(f: Figure, lang: str) -> str:
    """A rung's amount (the net with its sign), marked when it rests on an assumed value."""
    marked = ASSUMED_MARK if any(i.assumed for i in f.inputs) else ""
    return (signed(f.value, lang) if f.id == NET_FIGURE else figure(f.value, f.unit, lang)) + marked


def has_range(f: Figure | UpsideItem) -> bool:
    """Whether a figure spans a range: a point (nothing assumed moves it) has none."""
    return f.low is not None and f.high is not None and f.low != f.high


def range_text(f: Figure | UpsideItem, lang: str) -> str:
    """ "CNY 486,000 to CNY 1,134,000", or "" for a point (``has_range``)."""
    if not has_range(f):
        return ""
    show = signed if getattr(f, "id", "") == NET_FIGURE else (lambda v, lang: money(v, lang))
    return t(lang, "range_value", low=show(f.low, lang), high=show(f.high, lang))


NET_FIGURE = "net_effect_cny_monthly"


def verdict_text(verdict: str | None, lang: str, *, short: bool = False) -> str:
    if verdict is None:
        return t(lang, "unknown")
    if short:
        return t(lang, f"verdict_short_{verdict}")
    return t(lang, f"verdict_{verdict}")


def net_text(
    impact: Impact, lang: str, *, ranged: bool = True, label: bool = True, amount: bool = True
) -> str:
    """ "Net effect after the plan: +CNY 37,813 a month, positive: ...", with its range when the
    fields left out move it (and "not enough data" when the range spans verdicts); without the
    amount where it is shown beside it (the HTML summary's tile)."""
    verdict = verdict_text(impact.verdict, lang)
    text = t(lang, "net_short", amount=signed(impact.net_effect_cny_monthly, lang), verdict=verdict)
    if not amount:
        text = verdict
    if impact.net_share_of_revenue is not None:
        part = abs(impact.net_share_of_revenue)
        shown = share(part) if part >= 0.01 else f"{part * 100:.2f}%"  # a small share keeps its digits
        scale = t(lang, "net_of_revenue", share=shown)
        text = t(lang, "item_sep").join([text, scale])
    net = next((f for f in impact.figures if f.id == NET_FIGURE and f.policy == impact.policy), None)
    if ranged and net is not None and has_range(net):
        span = t(lang, "net_range_note", low=signed(net.low, lang), high=signed(net.high, lang))
        if impact.verdict_low != impact.verdict_high:
            words = [verdict_text(v, lang, short=True) for v in (impact.verdict_low, impact.verdict_high)]
            span = t(lang, "item_sep").join([span, t(lang, "net_range_spans", low=words[0], high=words[1])])
        text = t(lang, "paren", text=text, note=span)
    return t(lang, "net_line", text=text) if label else text


def band_text(e: Exposure, lang: str) -> str:
    """The band, or "low to critical: not enough data" when the fields left out span bands."""
    r = e.range
    if r is None or r.band_low == r.band_high:
        return t(lang, f"band_{e.band}")
    return t(lang, "band_span", low=t(lang, f"band_{r.band_low}"), high=t(lang, f"band_{r.band_high}"))


def score_range_text(e: Exposure, lang: str) -> str:
    """ "range 16.6 to 99.0", or "" when nothing left out moves the score."""
    r = e.range
    if r is None or r.low == r.high:
        return ""
    return t(lang, "score_range", low=f"{r.low:.1f}", high=f"{r.high:.1f}")


def loss_text(value: float, lang: str) -> str:
    """A month's margin lost, or "gain CNY ..." when the plan makes it a gain."""
    return money(value, lang) if value >= 0 else t(lang, "gain_amount", amount=money(-value, lang))


def path_bar(without: float, with_plan: float, scale: float, width: int) -> tuple[int, int]:
    """(cells still lost with the plan, cells it wins back) of a bar whose full length is the
    month's loss without the plan, on a scale where ``scale`` takes ``width`` cells."""
    if scale <= 0 or without <= 0:
        return 0, 0
    total = max(1, round(without / scale * width))
    won = min(total, round((without - max(with_plan, 0.0)) / scale * width))
    return total - won, won


def month_dates(month: Any, a: Assessment, on: dict[str, Any] | None = None) -> str:
    """The policy dates a path month holds, as MM-DD; ``on``: ``event_dates(a)``, for a report
    that writes several months."""
    on = event_dates(a) if on is None else on
    return ", ".join([on[e].isoformat()[5:] for e in month.events if e in on])


def event_dates(a: Assessment) -> dict[str, Any]:
    """Each timeline event's date, by id."""
    return {e.id: e.date for e in a.timeline}


def season_text(a: Assessment, lang: str) -> str:
    """The months the season scales, and why; "" when none."""
    months = [m for m in a.impact.path if m.season != 1.0]
    if not months:
        return ""
    listed = t(lang, "list_sep").join(
        t(lang, "season_month", month=m.month, factor=number(m.season)) for m in months
    )
    basis = a.impact.season_basis[lang] if a.impact.season_basis else ""
    return t(lang, "season_note", months=listed, basis=basis).strip()


def neutral_text(a: Assessment, lang: str) -> str:
    margin = a.impact.margin_at_risk_cny_monthly
    if margin is None:
        return ""
    band = a.impact.neutral_band
    return t(lang, "neutral_note", band=share(band), amount=money(band * margin, lang))


def window_text(item: UpsideItem, lang: str) -> str:
    """A window-only upside item: what it saves until its window closes, not in the net effect."""
    return t(
        lang,
        "window_line",
        title=item.title[lang],
        monthly=money(item.monthly_cny, lang),
        date=item.until.isoformat() if item.until else "",
        total=money(item.one_off_cny or 0.0, lang),
    )


def rate_text(rate: RateUsed, lang: str, ident: Any = str) -> str:
    """Where a rate comes from: its sources, its assumption, or both."""
    parts = []
    if rate.sources:
        parts.append(t(lang, "rate_sources", ids=t(lang, "list_sep").join(ident(s) for s in rate.sources)))
    if rate.assumption is not None:
        parts.append(t(lang, "rate_assumption", text=rate.assumption[lang]))
    return t(lang, "item_sep").join(parts)


def missing_text(m: Missing, lang: str, escape: Any = str) -> str:
    """ "Douyin live GMV through third-party links (assumed 50%, plausibly 10% to 90%): narrows the
    score range by 32.9 points, the net effect's by CNY 724,800" (either part alone when the other is 0)."""
    narrows = []
    if m.narrows_by:
        narrows.append(t(lang, "missing_score", points=f"{m.narrows_by:.1f}"))
    if m.narrows_net_by_cny:
        narrows.append(t(lang, "missing_net", amount=money(m.narrows_net_by_cny, lang)))
    return t(
        lang,
        "missing_line",
        field=escape(field_label(m.varies, lang)),
        value=escape(field_value(m.varies, m.assumed, lang)),
        low=escape(field_value(m.varies, m.span[0], lang)),
        high=escape(field_value(m.varies, m.span[1], lang)),
        narrows=t(lang, "list_sep").join(narrows),
    )


# --- levers on money ---------------------------------------------------------------------


def months_text(months: list[str], lang: str) -> str:
    """ "2020-08 to 2021-01": the months a lever's gain is summed over."""
    if not months:
        return ""
    return t(lang, "months_span", first=months[0], last=months[-1])


def effort_text(lever: Any, lang: str, *, label: bool = True) -> str:
    """ "effort: M (14 days)", and the days with what it waits for when those add up to more."""
    text = t(lang, "effort_value", size=lever.effort, days=lever.effort_days)
    if label:
        text = t(lang, "labelled", label=t(lang, "effort"), value=text)
    if lever.needs:
        more = t(
            lang,
            "lever_effort_total",
            days=lever.effort_days_total,
            ids=t(lang, "list_sep").join(lever.needs),
        )
        text = t(lang, "item_sep").join([text, more])
    return text


def raw_text(move: Any, lang: str) -> str:
    """A capped factor a lever moves: "Live-cart cut-off 0.68 → 0.51 (full at 0.5), still capped"."""
    still = t(lang, "lever_still_capped") if move.after >= move.saturation else ""
    return t(
        lang,
        "lever_raw",
        label=move.label[lang],
        before=number(round(move.before, 2)),
        after=number(round(move.after, 2)),
        full=number(move.saturation),
        still=still,
    )


def saturation_text(r: Any, lang: str) -> str:
    """Why no single lever moves a saturated score, and that the ranking is on money."""
    factors = t(lang, "list_sep").join(
        t(lang, "capped_factor", label=c.label[lang], raw=number(round(c.raw, 2)), full=number(c.saturation))
        for c in r.capped
    )
    return t(lang, "levers_saturated", score=f"{r.score:.1f}", factors=factors)


def with_levers_text(money: Any, lang: str) -> str:
    """What a what-if's levers earn on the profile as is (``whatif.WithLevers``), in a sentence."""
    months = months_text([m.month for m in money.path], lang)
    return t(
        lang,
        "with_levers_line",
        expected=money_or_unknown(money.expected_loss_cny_monthly, lang),
        residual=money_or_unknown(money.residual_loss_cny_monthly, lang),
        upside=money_or_unknown(money.upside_cny_monthly, lang),
        net=signed(money.net_effect_cny_monthly, lang),
        gain=signed(money.net_gain_cny_monthly, lang),
        horizon=signed(money.net_gain_horizon_cny, lang),
        months=months,
    )


def money_or_unknown(value: float | None, lang: str) -> str:
    return t(lang, "unknown") if value is None else money(value, lang)


def compared(f: Any, value: float | None, lang: str) -> str:
    """One side of a compared figure (``compare.FigureChange``): the net effect with its sign."""
    return signed(value, lang) if f.id == NET_FIGURE else figure(value, f.unit, lang)


def better_lower(f: Any) -> bool:
    """Whether a fall of the figure is good news: every figure but the net effect (a gain)."""
    return f.id != NET_FIGURE
