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
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple, TypeVar

from mcn_advisor.core.contract import (
    Assessment,
    Figure,
    Finding,
    PlannedAction,
    PlanPhase,
    PolicyResult,
    RateUsed,
    SourceRef,
    StatedScale,
)
from mcn_advisor.errors import visible
from mcn_advisor.i18n import t
from mcn_advisor.render.common import (
    ASSUMED_MARK,
    NET_FIGURE,
    acceptance_key,
    accepted_until,
    action_notes,
    amount,
    band_text,
    cells,
    days,
    dropped_text,
    event_dates,
    event_known_note,
    evidence_texts,
    field_label,
    field_labels,
    field_value,
    figure,
    formula_parts,
    has_range,
    headline_figure,
    ladder,
    loss_text,
    missing_text,
    money,
    month_dates,
    net_text,
    neutral_text,
    number,
    range_text,
    rate_text,
    rung_amount,
    scale_text,
    season_text,
    set_aside_text,
    severity_label,
    share,
    short_title,
    sizing_values,
    stale_values,
    substituted,
    text_width,
    tier_lines,
    window_text,
)

Blocks = list[str]

# Characters that can open or close inline markup in CommonMark, GFM or pandoc, each after a
# backslash, and those that could open raw HTML or an entity, as entities: one pass of
# ``str.translate`` (a substitution with a group in its template runs Python for each match).
_LITERAL = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", **{c: "\\" + c for c in "\\`*_[]{}#|~^$@"}})
# At the start of a line these open a block: a list item, a setext underline, a definition.
_BLOCK_START = re.compile(r"^(?:([-+=:])|(\d{1,9})([.)])(?=\s|$))")
_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")  # line breaks and C0 controls


# A text ``esc`` leaves as it is: nothing it escapes, shows or strips (most texts, among them
# every amount and date), told by one scan.
_PLAIN = re.compile(
    r"(?![-+=:]|\d{1,9}[.)](?:\s|$)|\s)"  # no block opened at the start, no space to strip there
    r"[^\\`*_\[\]{}#|~^$@&<>\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]*"
    r"(?<!\s)"  # nor at the end
)


@functools.lru_cache(maxsize=4096)  # the pack's texts recur in every report of a batch
def esc(text: str) -> str:
    """Text as literal Markdown, on one line: safe in a paragraph, a heading or a table cell."""
    text = str(text)
    if _PLAIN.fullmatch(text):
        return text
    text = visible(_BREAKS.sub(" ", text).strip()).translate(_LITERAL)  # C1 and bidi controls shown
    return _BLOCK_START.sub(lambda m: "\\" + m[1] if m[1] else m[2] + "\\" + m[3], text)


_PLAIN_CODE = re.compile(r"[A-Za-z0-9_.\-+*/(), <>=!]+")


@functools.lru_cache(maxsize=4096)  # as ``esc``: a pack's ids and formulas recur in every report
def code(text: str) -> str:
    """Text as a code span (an identifier, a formula, a path, an error line), safe in a table cell.

    On one line, with ``|`` escaped for tables, and fenced with more backticks than the
    text holds, so no text can close the span early.
    """
    if _PLAIN_CODE.fullmatch(text):
        return f"`{text}`"
    text = visible(_BREAKS.sub(" ", str(text))).replace("|", "\\|")
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


@functools.lru_cache(maxsize=4096)  # as ``esc``: a pack's titles recur in every report
def mermaid_text(text: str) -> str:
    """Text for a mermaid label, title or section name: one line, no syntax."""
    text = visible(_BREAKS.sub(" ", str(text))).replace("%%", "%％").translate(_MERMAID)
    return " ".join(text.split()) or "-"


def render(a: Assessment, lang: str = "en") -> str:
    """The full report as Markdown, byte-identical for identical input."""
    return "\n\n".join(_blocks(a, lang)) + "\n"


def encoded(a: Assessment, lang: str = "en") -> bytes:
    """The file ``render`` writes, as its UTF-8 bytes, each block encoded alone: a block of
    ASCII is copied as it is, where the whole text, made wide by one Chinese name, would be
    encoded character by character (a batch writes its reports from these)."""
    return b"\n\n".join([block.encode() for block in _blocks(a, lang)]) + b"\n"


def _blocks(a: Assessment, lang: str) -> list[str]:
    """The report's blocks (paragraphs, lists, tables, headings), in order."""
    sections = (
        _title,
        _stale,
        _summary,
        _policies,
        _timeline,
        _exposure,
        _money,
        _findings,
        _hindsight,
        _risks,
        _plan,
        _platforms,
        _opportunities,
        _assumptions,
        _sources,
    )
    return [block for section in sections for block in section(a, lang)]


# --- building blocks -------------------------------------------------------------------


WIDEST = 50  # dashes of a table column's rule at most: its share of the width, for pandoc


def pipe_table(header: Iterable[str], rows: Iterable[Iterable[str]], align: str = "") -> str:
    """A pipe table; cells must already be escaped. ``align`` is one letter per column: l or r.

    The rule under the header carries width hints: pandoc gives each column of a table too
    wide for the page a share of the width in proportion to its dashes (GitHub ignores
    them), so each column gets as many as its longest cell has characters, between 3 and
    ``WIDEST``: a column of long sentences takes the room, numbers keep theirs.
    """
    head = list(header)
    body = [[c or " " for c in row] for row in rows]
    widths = [_hint(column) for column in zip(head, *body, strict=True)]
    return "\n".join([*_head(head, align, widths), *["| " + " | ".join(row) + " |" for row in body]])


def _hint(column: Sequence[str]) -> int:
    """A column's dashes: its longest cell in terminal cells, between 3 and ``WIDEST``.

    A text takes at least as many cells as it has characters, and at most one more for each
    character that could be wide (CJK, from U+1100: three bytes or more in UTF-8), so the
    lengths alone settle an ASCII column, and only a cell that could widen it is measured.
    """
    longest = max(map(len, column))
    if longest >= WIDEST:
        return WIDEST
    width = max(3, longest)
    if "".join(column).isascii():
        return width
    for c in column:
        n = len(c)
        if n + (len(c.encode("utf-8", "surrogatepass")) - n) // 2 > width:
            width = max(width, cells(c))
    return min(WIDEST, width)


def pipe_lines(
    header: Iterable[str], rows: Iterable[Iterable[str]], align: str = "", widths: Sequence[int] = ()
) -> Iterator[str]:
    """The lines of a pipe table, one at a time (a table of any length, never held whole: the
    rule's width hints, which need every row first, are ``pipe_table``'s)."""
    head = list(header)
    yield from _head(head, align, widths or [3] * len(head))
    for row in rows:
        cells_ = [c or " " for c in row]
        assert len(cells_) == len(head), (head, cells_)
        yield "| " + " | ".join(cells_) + " |"


def _head(head: list[str], align: str, widths: Sequence[int]) -> tuple[str, str]:
    """A pipe table's header and the rule under it (dashes: ``widths``; ``align``: as ``pipe_table``)."""
    marks = [("-" * w + ":" if align[i : i + 1] == "r" else "-" * w) for i, w in enumerate(widths)]
    return "| " + " | ".join(head) + " |", "| " + " | ".join(marks) + " |"


def h(level: int, text: str) -> str:
    return "#" * level + " " + text


def join(lang: str, items: Iterable[str]) -> str:
    return t(lang, "list_sep").join(items)


def _date(d: object, precision: str = "day") -> str:
    text = d.isoformat()  # type: ignore[attr-defined]
    return text[:7] if precision == "month" else text


def _source_texts(sources: list[SourceRef]) -> tuple[Any, ...]:
    return (*(s.publisher for s in sources), *(s.title for s in sources))


def _source_values(sources: list[SourceRef]) -> tuple[Any, ...]:
    return tuple((s.id, s.date) for s in sources)


def _cited(sources: list[SourceRef], lang: str) -> str:
    refs = []
    for s in sources:
        if s.date:
            refs.append(t(lang, "md_source_ref", id=esc(s.id), publisher=esc(s.publisher[lang]), date=s.date))
        else:
            refs.append(t(lang, "md_source_ref_undated", id=esc(s.id), publisher=esc(s.publisher[lang])))
    return join(lang, refs)


def _amount(f: Figure, lang: str) -> str:
    return esc(amount(f, lang))


def labelled(lang: str, label: str, value: str) -> str:
    return t(lang, "labelled", label=f"**{label}**", value=value)


# A block written from a pack's texts and a few values (its rates, risk scales, formulas,
# sources and timeline for one date; a finding's heading, facts, rationale, actions and
# sources for its rule, severity and date; a task for its action's dates and notes; the risk
# matrix for the rules placed in it) reads the same in every report of a batch that
# has those values: it is written once a language and kept. Every assessment holds the
# pack's own ``Text`` objects, so they are keyed by identity, and kept with the block so
# that no other object can take their id while it is. The values beside them are keyed by
# value: ids, dates, days, severities, a pack's constants (a key cannot tell 0.0 from -0.0:
# no pack's constant is both, and no other value is a float).
_PACK_BLOCKS: dict[tuple[Any, ...], tuple[Any, tuple[Any, ...]]] = {}
PACK_BLOCKS = 2048  # blocks kept at most: past that (packs loaded again and again), start over

_Block = TypeVar("_Block")


def _pack_block(
    write: Callable[[Any, str], _Block], part: Any, lang: str, texts: tuple[Any, ...], values: tuple[Any, ...]
) -> _Block:
    """``write(part, lang)``, where ``texts`` and ``values`` are everything ``write`` reads of ``part``."""
    key = (write, lang, values, *map(id, texts))
    kept = _PACK_BLOCKS.get(key)
    if kept is None:
        if len(_PACK_BLOCKS) >= PACK_BLOCKS:
            _PACK_BLOCKS.clear()
        kept = _PACK_BLOCKS[key] = (write(part, lang), texts)
    return kept[0]


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


def _stale(a: Assessment, lang: str) -> Blocks:
    values = stale_values(a, lang)
    return [t(lang, "md_stale_note", **values)] if values else []


def _summary(a: Assessment, lang: str) -> Blocks:
    s, e = a.summary, a.exposure
    gmv = headline_figure(a, "gmv_at_risk_cny_monthly")
    revenue = headline_figure(a, "revenue_at_risk_cny_monthly")
    counts = [
        t(lang, "md_count", n=n, severity=t(lang, f"sev_{sev}")) for sev, n in s.risk_findings.items() if n
    ]
    exposure = t(
        lang,
        "md_exposure_line",
        score=e.score,
        band=band_text(e, lang),
        low=number(e.bands["low"]),
        moderate=number(e.bands["moderate"]),
        high=number(e.bands["high"]),
    )
    r = e.range
    if r is not None and r.low != r.high:
        spread = t(
            lang,
            "md_score_range",
            low=f"{r.low:.1f}",
            high=f"{r.high:.1f}",
            band_low=t(lang, f"band_{r.band_low}"),
            band_high=t(lang, f"band_{r.band_high}"),
        )
        exposure = t(lang, "item_sep").join([exposure, spread])
    lines = [
        exposure,
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
        t(lang, "md_net_line", text=net_text(a.impact, lang, label=False)),  # numbers and our words only
        t(lang, "md_findings_line", counts=_accepted_counts(a, lang, join(lang, counts) or t(lang, "none"))),
    ]
    if a.confidence.undetermined_rules:
        lines.append(t(lang, "md_undecided_line", n=a.confidence.undetermined_rules))
    if a.hindsight:
        lines.append(t(lang, "md_hindsight_line", date=a.as_of.isoformat(), n=len(a.hindsight)))
    if s.next_step:
        step = s.next_step
        title = esc(step.title[lang])
        note = event_known_note(step, a.as_of, lang)
        lines.append(
            t(
                lang,
                "md_next_step",
                date=step.date.isoformat(),
                days=days(step.days_from_as_of, lang),
                title=t(lang, "paren", text=title, note=esc(note)) if note else title,
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
        if p.kind == "fill_in":
            items.append(f"{n}. " + sentences[0])
            continue
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
    """The pack's dates: the same block for every profile assessed on the same date."""
    events = a.timeline
    values = (
        a.as_of,
        *((e.date, e.precision, e.step, e.days_from_as_of, e.known, e.announced) for e in events),
    )
    texts = tuple(e.title for e in events)
    sources = tuple(tuple(e.sources) for e in events)
    return [_pack_block(_timeline_blocks, a, lang, texts, (*values, sources))]


def _timeline_blocks(a: Assessment, lang: str) -> str:
    rows = []
    for e in a.timeline:
        title = esc(e.title[lang])
        note = event_known_note(e, a.as_of, lang)
        if note:
            title = t(lang, "paren", text=title, note=esc(note))
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
    return "\n\n".join(
        (
            h(2, t(lang, "timeline")),
            t(lang, "md_timeline_intro", date=a.as_of.isoformat()),
            pipe_table(header, rows),
        )
    )


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
    ranged = any(has_range(f) for f in figures)
    header = (
        t(lang, "rung"),
        t(lang, "amount"),
        *([t(lang, "range")] if ranged else []),
        t(lang, "computed_as"),
    )
    out = [h(2, t(lang, "ladder")), t(lang, "md_ladder_intro")]
    for result in a.policies:  # one ladder per pack
        rows = []
        rungs = ladder(a, result.id)
        for f in rungs:
            strong = f.id == NET_FIGURE or f is rungs[0]
            # Amounts are our own digits and words: only the assumed mark needs escaping.
            label, amount_ = (
                esc(f.label[lang]),
                rung_amount(f, lang).replace(ASSUMED_MARK, "\\" + ASSUMED_MARK),
            )
            rows.append(
                (
                    f"**{label}**" if strong else label,
                    f"**{amount_}**" if strong else amount_,
                    *([range_text(f, lang)] if ranged else []),
                    _formula_cell(f),
                )
            )
        if len(a.policies) > 1:
            out.append(h(3, _pack_heading(result, lang)))
        out.append(pipe_table(header, rows, "lrrl" if ranged else "lrl"))
    notes = [f"**{esc(net_text(a.impact, lang))}**", esc(neutral_text(a, lang))]
    notes += [
        esc(window_text(u, lang)) for u in a.impact.upside_items if u.until is not None and u.one_off_cny
    ]
    out.append("\n".join(f"- {n}" for n in notes if n.strip("*")))
    if any(i.assumed for f in figures for i in f.inputs):
        out.append(t(lang, "assumed_note", mark=esc(ASSUMED_MARK)))
    if ranged:
        out.append(t(lang, "range_note"))
    header = (t(lang, "figure"), t(lang, "amount"), t(lang, "computed_as"))
    out += [h(3, t(lang, "money_other")), t(lang, "md_money_intro")]
    for result in a.policies:  # one table per pack
        rows = [
            (esc(f.label[lang]), figure(f.value, f.unit, lang), _formula_cell(f))
            for f in figures
            if f.policy == result.id and not f.rung
        ]
        if len(a.policies) > 1:
            out.append(h(4, _pack_heading(result, lang)))
        out.append(pipe_table(header, rows, "lrl"))
    formulas = _pack_block(
        _formulas, figures, lang, tuple(f.label for f in figures), tuple(f.formula for f in figures)
    )
    return [*out, *_path(a, lang), *_rates(a, lang), h(3, t(lang, "md_formulas")), formulas]


def _formula_cell(f: Figure) -> str:
    """``esc(substituted(f.formula, f.inputs))``, written from the formula's escaped skeleton:
    only the values are new in each report, and a number needs no escaping (its assumed mark
    does, once). Escaping piece by piece is escaping the whole when no piece holds a line
    break or a control and nothing is stripped at either end (the skeleton's checks), and the
    whole opens no block (checked on the result: a value can start it, "-5 × ...")."""
    skeleton = _skeleton(f.formula)
    if skeleton is not None:
        out, names = skeleton
        out = list(out)
        values = {i.field: i for i in f.inputs}
        for n, name in names:
            item = values.get(name)
            if item is not None:
                out[n] = number(item.value) + _MARK_ESCAPED if item.assumed else number(item.value)
        text = "".join(out)
        if not _BLOCK_START.match(text):
            return text
    return esc(substituted(f.formula, f.inputs))


_MARK_ESCAPED = ASSUMED_MARK.translate(_LITERAL)


@functools.lru_cache(maxsize=1024)  # a pack's formulas recur in every report
def _skeleton(formula: str) -> tuple[tuple[str, ...], tuple[tuple[int, str], ...]] | None:
    """The formula's parts as ``substituted`` splits them, each escaped, with each name's
    position; None when escaping in pieces would not be escaping the whole (see above)."""
    parts = formula_parts(formula)
    if any(_BREAKS.search(p) for p in parts) or parts[0][:1].isspace() or parts[-1][-1:].isspace():
        return None
    escaped = tuple(visible(p).translate(_LITERAL) for p in parts)
    return escaped, tuple((n, parts[n]) for n in range(1, len(parts), 2))


def _formulas(figures: list[Figure], lang: str) -> str:
    items = ("- " + t(lang, "labelled", label=esc(f.label[lang]), value=code(f.formula)) for f in figures)
    return "\n".join(items)


def _path(a: Assessment, lang: str) -> Blocks:
    """The margin lost month by month, without and with the plan: a table and a mermaid chart."""
    months = a.impact.path
    if not months:
        return []
    header = (t(lang, "path_month"), t(lang, "path_without"), t(lang, "path_with"), t(lang, "path_dates"))
    on = event_dates(a)
    rows = [
        (
            m.month,
            esc(loss_text(m.without_plan_cny, lang)),
            f"**{esc(loss_text(m.with_plan_cny, lang))}**",
            month_dates(m, a, on),
        )
        for m in months
    ]
    chart = [
        "```mermaid",
        "xychart-beta",
        f'    title "{mermaid_text(t(lang, "md_path_chart"))}"',
        "    x-axis [" + ", ".join(f'"{m.month}"' for m in months) + "]",
        "    bar [" + ", ".join(number(m.without_plan_cny).replace(",", "") for m in months) + "]",
        "    line [" + ", ".join(number(m.with_plan_cny).replace(",", "") for m in months) + "]",
        "```",
    ]
    out = [h(3, t(lang, "path")), t(lang, "path_intro"), pipe_table(header, rows, "lrrl"), "\n".join(chart)]
    season = season_text(a, lang)
    return out + ([esc(season)] if season else [])


def _rates(a: Assessment, lang: str) -> Blocks:
    rates = a.impact.rates
    if not rates:
        return []
    texts = (*(r.title for r in rates), *(r.assumption for r in rates))
    values = tuple((r.id, r.value, tuple(r.sources)) for r in rates)
    return [h(3, t(lang, "rates")), _pack_block(_rates_table, rates, lang, texts, values)]


def _rates_table(rates: list[RateUsed], lang: str) -> str:
    rows = [(code(r.id), number(r.value), esc(r.title[lang]), esc(rate_text(r, lang))) for r in rates]
    header = (t(lang, "rate"), t(lang, "value"), t(lang, "md_what"), t(lang, "rate_basis"))
    return pipe_table(header, rows, "lrll")


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


def _finding_detail(f: Finding, lang: str) -> Blocks:
    fixed = _finding_fixed(f, lang)
    evidence = t(lang, "item_sep").join(map(esc, evidence_texts(f, lang)))
    lines = [labelled(lang, fixed.evidence, evidence)]
    if f.sizing is not None:
        lines.insert(0, _sizing(f, lang))
    if f.acceptance:
        lines.insert(0, _acceptance(f, lang))
    if fixed.calls:
        lines.append(fixed.calls)
    lines.append(fixed.sources)
    return [fixed.heading, fixed.facts, fixed.rationale, "\n".join(f"- {line}" for line in lines)]


class _Fixed(NamedTuple):
    """What a finding's report says that its rule, severity, date and actions fix, whatever the
    profile's values: the same in every report of a batch that has the finding so."""

    severity: str  # its severity (or kind) as the findings table writes it
    title: str
    when: str  # its event's date and distance, or ""
    heading: str
    facts: str
    rationale: str
    evidence: str  # the label of the evidence line
    calls: str  # the actions it calls for (or would, accepted), or ""
    sources: str


def _finding_fixed(f: Finding, lang: str) -> _Fixed:
    event = f.event
    values = (
        f.rule_id,
        f.kind,
        f.severity,
        f.category,
        (event.date, event.days_from_as_of) if event else None,
        tuple(f.actions),
        f.accepted,
        _source_values(f.sources),
    )
    return _pack_block(_fixed, f, lang, (f.title, f.rationale, *_source_texts(f.sources)), values)


def _fixed(f: Finding, lang: str) -> _Fixed:
    severity = severity_label(f, lang)
    facts = [
        labelled(lang, t(lang, "severity" if f.kind == "risk" else "kind"), severity),
        labelled(lang, t(lang, "category"), t(lang, f"cat_{f.category}")),
    ]
    when = ""
    if f.event:
        when = t(lang, "paren", text=f.event.date.isoformat(), note=days(f.event.days_from_as_of, lang))
        facts.append(labelled(lang, t(lang, "when"), when))
    calls = ""
    if f.actions:
        label = t(lang, "md_not_planned" if f.accepted else "md_calls_for")
        calls = labelled(lang, label, join(lang, f.actions))
    title = esc(f.title[lang])
    return _Fixed(
        severity=severity,
        title=title,
        when=when,
        heading=h(3, f"{f.rule_id} · {title}"),
        facts=" · ".join(facts),
        rationale=esc(f.rationale[lang]),
        evidence=t(lang, "evidence"),
        calls=calls,
        sources=labelled(lang, t(lang, "sources"), _cited(f.sources, lang)),
    )


def _sizing(f: Finding, lang: str) -> str:
    """Why the finding has its severity: what it measures, how big, and the rating."""
    s = f.sizing
    assert s is not None
    level = t(lang, f"level_{f.severity}")
    if s.scale is None:
        return t(lang, "md_sizing_fixed", level=level, **sizing_values(s, lang))
    what = esc(s.label[lang]) if s.label else code(s.metric or "")
    return t(lang, "md_sizing_measured", what=what, level=level, **sizing_values(s, lang))


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
    rows = []
    for f in a.findings:
        fixed = _finding_fixed(f, lang)
        row = [fixed.severity, f.rule_id, fixed.title, fixed.when]
        if acceptances:
            row.append(_acceptance(f, lang) if f.acceptance else "")
        rows.append(row)
    header = (t(lang, "severity"), t(lang, "rule"), t(lang, "finding"), t(lang, "when"))
    if acceptances:
        header += (t(lang, "md_acceptance"),)
    out += [t(lang, "md_findings_intro"), pipe_table(header, rows)]
    return out + [block for f in a.findings for block in _finding_detail(f, lang)]


def _hindsight(a: Assessment, lang: str) -> Blocks:
    """Rules about steps not yet announced on as_of: shown for hindsight, counted nowhere."""
    if not a.hindsight:
        return []
    date = a.as_of.isoformat()
    rows = [(severity_label(f, lang), f.rule_id, esc(f.title[lang])) for f in a.hindsight]
    header = (t(lang, "severity"), t(lang, "rule"), t(lang, "finding"))
    return [
        h(2, t(lang, "hindsight", date=date)),
        t(lang, "hindsight_intro", date=date),
        pipe_table(header, rows),
    ]


def _treatment(treatment: str, until: dt.date | None, lang: str) -> str:
    text = t(lang, f"treat_{treatment}")
    return t(lang, "md_treat_until", treatment=text, date=until.isoformat()) if until else text


def _risks(a: Assessment, lang: str) -> Blocks:
    m = a.risk_matrix
    until = accepted_until(a.findings)
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
    # The matrix of a pack's levels with these rules placed: kept (surveys place the same few).
    levels = tuple(map(tuple, m.levels))
    placing = tuple((k, tuple(v)) for k, v in placed.items())
    matrix = _pack_block(_matrix, (levels, placed), lang, (), (levels, placing))
    thresholds = t(lang, "risk_thresholds", low=m.low, medium=m.medium, high=m.high)
    scales = [
        t(lang, "scales") + t(lang, "colon_list"),
        _pack_block(
            _scales,
            m.scales,
            lang,
            (*(x.title for x in m.scales), *(x.basis for x in m.scales)),
            tuple(tuple(x.bounds) for x in m.scales),
        ),
    ]
    return [
        h(2, t(lang, "risks")),
        thresholds,
        t(lang, "severity_is_level"),
        *(scales if m.scales else []),
        pipe_table(header, rows, "llrrrll") if rows else t(lang, "no_findings"),
        h(3, t(lang, "md_matrix")),
        t(lang, "md_matrix_intro"),
        matrix,
    ]


def _matrix(part: tuple[tuple[tuple[str, ...], ...], dict[tuple[int, int], list[str]]], lang: str) -> str:
    """The likelihood x impact matrix: each cell's level, and the rules placed in it."""
    levels, placed = part
    grid = []
    for impact in range(5, 0, -1):
        cells = [f"**{impact}**"]
        for likelihood in range(1, 6):
            level = t(lang, f"level_{levels[likelihood - 1][impact - 1]}")
            here = placed.get((likelihood, impact))
            cells.append(t(lang, "md_cell", level=level, rules=join(lang, here)) if here else level)
        grid.append(cells)
    return pipe_table((t(lang, "md_matrix_corner"), *map(str, range(1, 6))), grid)


def _scales(scales: list[StatedScale], lang: str) -> str:
    return "\n".join(f"- {esc(scale_text(x, lang))}" for x in scales)


def _phase_when(phase: PlanPhase, lang: str) -> str:
    if phase.deadline is None:
        return t(lang, "phase_open_ended")
    if phase.status == "closed":
        when = t(lang, "phase_closed", days=-(phase.days_left or 0))
    else:
        left = t(lang, "days_left_short", days=phase.days_left)
        when = t(lang, "phase_deadline", date=phase.deadline.isoformat(), days=left)
    return when if phase.announced else t(lang, "item_sep").join([when, t(lang, "phase_not_announced")])


def _plan(a: Assessment, lang: str) -> Blocks:
    plan = a.plan
    migration = plan.mode == "migration"
    out = [
        h(2, t(lang, "plan" if migration else "plan_remediation")),
        t(lang, "md_plan_intro", date=a.as_of.isoformat()) if migration else t(lang, "md_remediation_intro"),
    ]
    if plan.tier is not None:
        out.append("\n".join(f"- {esc(line)}" for line in tier_lines(plan.tier, lang)))
    if plan.favoured is not None:
        out.append(f"*{esc(plan.favoured[lang])}*")
    for n, phase in enumerate(plan.phases, 1):
        title = esc(phase.title[lang])
        if len(a.policies) > 1:
            title = t(lang, "paren", text=title, note=code(phase.policy))
        out.append(h(3, t(lang, "md_phase", n=n, title=title, when=_phase_when(phase, lang))))
        out.append(_tasks(phase.actions, a, lang) if phase.actions else t(lang, "no_actions"))
    if plan.optional:
        out += [
            h(3, t(lang, "optional_actions")),
            t(lang, "optional_intro", date=a.as_of.isoformat()),
            _tasks(plan.optional, a, lang),
        ]
    if plan.set_aside:
        out += [
            h(3, t(lang, "set_aside")),
            "\n".join(f"- {set_aside_text(x, lang, code, esc)}" for x in plan.set_aside),
        ]
    if plan.in_place:
        items = "\n".join(f"- {code(d.id)} {esc(d.title[lang])}" for d in plan.in_place)
        out += [h(3, t(lang, "md_in_place")), t(lang, "md_in_place_intro"), items]
    if plan.dropped:
        out.append(h(3, t(lang, "dropped")))
        out.append("\n".join(f"- {dropped_text(d, lang, code, esc)}" for d in plan.dropped))
    return [*out, h(3, t(lang, "md_gantt")), t(lang, "md_gantt_note"), _gantt(a, lang)]


GANTT_LABEL = 40  # cells of an action's label in the mermaid gantt: beyond, it runs off the chart
GANTT_SECTION = 24  # cells of a phase's name there


def _tasks(actions: list[PlannedAction], a: Assessment, lang: str) -> str:
    items = []
    for act in actions:
        notes = tuple(action_notes(act, a, lang))
        values = (
            act.id,
            act.due,
            act.start,
            act.effort,
            act.effort_days,
            tuple(act.depends_on),
            tuple(act.triggered_by),
            notes,
        )
        items.append(_pack_block(_task, (act, notes), lang, (act.title, act.owner_title, act.kpi), values))
    return "\n".join(items)


def _task(part: tuple[PlannedAction, tuple[str, ...]], lang: str) -> str:
    """An action as a task list item: kept per action, dates and notes (a plan's items recur)."""
    act, notes = part
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
    meta += [f"**{note}**" for note in notes]
    return f"{task}\n  - {' · '.join(meta)}"


def _gantt(a: Assessment, lang: str) -> str:
    """The plan as a mermaid gantt: each action by its short title, each phase by its short
    name, the name column as wide as the longest (mermaid's default, 75 px, overlaps them)."""
    title = "md_gantt_title" if a.plan.mode == "migration" else "md_gantt_title_remediation"
    phases = [p for p in a.plan.phases if p.actions or p.deadline is not None]
    sections = [_gantt_section(p.title[lang]) for p in phases]
    padding = max(75, min(240, round(max((width for _, width in sections), default=0) + 16)))
    lines = [
        "```mermaid",
        f'%%{{init: {{"gantt": {{"leftPadding": {padding}}}}}}}%%',
        "gantt",
        f"    title {mermaid_text(t(lang, title, date=a.as_of.isoformat()))}",
        "    dateFormat YYYY-MM-DD",
        "    axisFormat %m-%d",
        "    todayMarker off",
    ]
    for phase, (section, _) in zip(phases, sections, strict=True):
        lines.append(f"    section {section}")
        for act in phase.actions:
            tag = "crit, " if act.late_by_days or act.carried_over else ""
            label = _gantt_label(act.title[lang])
            lines.append(f"    {label} :{tag}{act.start.isoformat()}, {act.due.isoformat()}")
        if phase.deadline:
            day = phase.deadline.isoformat()
            lines.append(f"    {mermaid_text(t(lang, 'md_gantt_deadline', date=day))} :milestone, {day}, 0d")
    lines.append("```")
    return "\n".join(lines)


@functools.lru_cache(maxsize=1024)  # a pack's phases recur in every plan
def _gantt_section(title: str) -> tuple[str, float]:
    """A phase's name in the gantt, and its width in px (mermaid's 11 px font)."""
    name = mermaid_text(short_title(title, GANTT_SECTION))
    return name, text_width(name, 11)


@functools.lru_cache(maxsize=1024)  # as ``_gantt_section``: a pack's actions recur
def _gantt_label(title: str) -> str:
    return mermaid_text(short_title(title, GANTT_LABEL))


def _platforms(a: Assessment, lang: str) -> Blocks:
    rows = [
        (t(lang, f"platform_{p.platform}"), share(p.share), figure(p.gmv_cny_monthly, "cny", lang))
        for p in a.platform_mix
    ]
    pie = [
        "```mermaid",
        "pie showData",
        f"    title {mermaid_text(t(lang, 'md_pie_title'))}",
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
                esc(field_label(s.field, lang)),
                esc(field_value(s.field, s.assumed_value, lang)),
                esc(s.rationale[lang]),
            )
            for s in a.assumptions
        ]
        out.append(pipe_table((t(lang, "field"), t(lang, "value_used"), t(lang, "why")), rows))
    else:
        out.append(t(lang, "no_assumptions"))
    if a.summary.missing:
        items = "\n".join(f"{n}. {missing_text(m, lang, esc)}" for n, m in enumerate(a.summary.missing, 1))
        out += [h(3, t(lang, "missing_title")), t(lang, "missing_intro"), items]
    if a.undetermined:
        rows = [
            (
                u.rule_id,
                t(lang, f"sev_{u.severity}"),
                esc(u.title[lang]),
                esc(field_labels(u.unknown_fields, lang)),
            )
            for u in a.undetermined
        ]
        header = (t(lang, "rule"), t(lang, "severity"), t(lang, "finding"), t(lang, "fill_in"))
        out += [h(3, t(lang, "undetermined")), pipe_table(header, rows)]
    return out


def _sources(a: Assessment, lang: str) -> Blocks:
    listed = _pack_block(_listed, a.sources, lang, _source_texts(a.sources), _source_values(a.sources))
    return [h(2, t(lang, "md_sources")), t(lang, "md_sources_intro"), listed]


def _listed(sources: list[SourceRef], lang: str) -> str:
    items = []
    for s in sources:
        text = t(lang, "md_source_item", publisher=esc(s.publisher[lang]), title=esc(s.title[lang]))
        if s.date:
            text = t(lang, "paren", text=text, note=s.date.isoformat())
        items.append(f"- **{esc(s.id)}** {text}")
    return "\n".join(items)
