"""The portfolio view of a batch: one small row per profile, totals and the most common findings.

Pure: rows are made from evaluations (``row``) and folded one at a time into a ``Tally``,
whose counters are bounded by the packs' rules; the rows and failures themselves go to
a ``Store`` (in memory by default; ``batch`` gives one that spills to disk, so a run of a
million profiles keeps its memory flat). ``Tally.portfolio()`` totals them, with the rows
in ``row_order``. ``batch/`` feeds it; the renderers in ``render/portfolio.py`` write it as a
table, JSON, CSV or Markdown.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
from collections.abc import Callable, Collection, Sequence
from typing import Any, NamedTuple, Protocol, TypeVar

from mcn_advisor.core.combine import headline
from mcn_advisor.core.engine import Evaluation, key_gaps, last_step, rated, stale
from mcn_advisor.i18n.text import Text
from mcn_advisor.pack.compile import Pack
from mcn_advisor.profile import acceptance
from mcn_advisor.records import record
from mcn_advisor.vocab import BANDS, SEVERITIES, SEVERITY_RANK, at_or_above

COMMON_FINDINGS = 10  # how many of the most common findings a portfolio lists
SHAPES = 1024  # distinct rows' widths a tally keeps before it folds them into the widest


class Row(NamedTuple):
    """One assessed profile as the summary shows it: small, so thousands cost little."""

    source: str  # the input path, or ``file.csv:ROW``
    name: str
    as_of: dt.date
    score: float
    band: str
    gmv_at_risk: float
    revenue_at_risk: float
    findings: tuple[str, ...]  # risk rules that hold, most severe first (accepted ones too)
    worst: str | None  # the worst severity not accepted (what --fail-on sees); None: no open risk
    report: str | None = None  # the report files' stem in the out-dir
    severities: tuple[str, ...] = ()  # each finding's severity, in the order of ``findings``
    confidence: str = "high"  # the assessment's confidence level (engine.rated)
    gaps: tuple[str, ...] = ()  # left-out fields the band, money and top finding rest on (engine.key_gaps)
    # The row's cells in the summary table (each row's date apart: whether the table shows
    # it depends on every row) and each cell's width on a terminal, in one language: made
    # where the row is made (a batch's worker), so that writing the table only pads them.
    cells: tuple[str, ...] = ()
    widths: tuple[int, ...] = ()

    @property
    def insufficient(self) -> bool:
        """Too little data to stand by the row's band, money and top finding: say so instead."""
        return bool(self.gaps)


class Failure(NamedTuple):
    """An input that could not be assessed, with one line per problem."""

    source: str
    problems: tuple[str, ...]


def row_order(row: Row) -> tuple[float, str, str]:
    """The summary's order of rows: highest score first, then by name, then by source."""
    return (-row.score, row.name, row.source)


T = TypeVar("T")


class Store(Protocol[T]):
    """Where a tally keeps its rows (or failures): ``add`` them one at a time, then have them
    all back, in ``order`` when it is given (as ``sorted`` would: ties in the order added),
    else as added, as often as needed."""

    def add(self, item: T) -> None: ...
    def __len__(self) -> int: ...
    def ordered(self) -> Collection[T]: ...


class Kept(list):  # type: ignore[type-arg]
    """A store in memory: the rows of a batch of a few thousand profiles cost little."""

    def __init__(self, order: Callable[[Any], Any] | None = None):
        super().__init__()
        self._order = order

    add = list.append

    def ordered(self) -> Collection[Any]:
        return sorted(self, key=self._order) if self._order else self


@record(frozen=True)
class RuleRef:
    rule_id: str
    title: Text


@record(frozen=True)
class CommonFinding:
    rule: RuleRef
    count: int  # profiles where it holds
    share: float  # of the profiles assessed
    severities: dict[str, int]  # profiles by the severity it has there, most severe first


@record(kw_only=True)
class Portfolio:
    """The portfolio view: rows sorted by score (then name, then source), totals, failures."""

    policies: list[tuple[str, str]]  # (id, version) of every pack, in the order given
    rows: Collection[Row]  # iterable as often as needed (a large batch reads them back from disk)
    failures: Collection[Failure]  # in input order
    bands: dict[str, int]  # count per band, most severe first (rows with insufficient data apart)
    gmv_at_risk: float  # totals, per month, of the rows with a band
    revenue_at_risk: float
    common: list[CommonFinding]
    rules: dict[str, RuleRef]  # every rule a row names
    fail_on: str | None
    failing: int  # profiles with a risk finding at or above ``fail_on``
    report_formats: tuple[str, ...]  # extensions of the per-profile reports written
    as_of: dt.date | None  # the date of every row, when they share one
    insufficient: int = 0  # rows whose band and money rest on key fields left out (Row.insufficient)
    late: int = 0  # rows assessed more than a year after the policies' last step (engine.stale)
    last_step: dt.date | None = None  # that step's date, and the date to assess at instead
    suggested_as_of: dt.date | None = None
    cells_lang: str | None = None  # the language of every row's ``cells``; None: rows carry none
    cell_widths: tuple[int, ...] = ()  # the widest of the rows' ``widths``, cell by cell

    @property
    def assessed(self) -> int:
        return len(self.rows)

    @property
    def exit_code(self) -> int:
        """2 when any input failed, else 1 when a finding reaches ``fail_on``, else 0."""
        return 2 if self.failures else 1 if self.failing else 0

    def reaches(self, row: Row) -> bool:
        return at_or_above(row.worst, self.fail_on)


class Tally:
    """Accumulates results as they stream in; memory grows by one small row per profile."""

    def __init__(
        self,
        packs: tuple[Pack, ...],
        fail_on: str | None = None,
        report_formats: tuple[str, ...] = (),
        store: Callable[[Callable[[Any], Any] | None], Store[Any]] = Kept,
        cells_lang: str | None = None,
    ):
        self._packs = packs
        self._fail_on = fail_on
        self._formats = report_formats
        self.rows: Store[Row] = store(row_order)
        self.failures: Store[Failure] = store(None)
        self._bands: collections.Counter[str] = collections.Counter()
        # Profiles per (rule, severity) the rule has there: bounded by the packs' rules. A plain
        # dict counted by hand: ``Counter.update`` first asks whether it was given a mapping,
        # which costs more than counting a row's few findings.
        self._severities: dict[tuple[str, str], int] = {}
        self._dates: set[dt.date] = set()
        self._date: tuple[dt.date | None, bool] = (None, False)  # the last row's date, and whether it is late
        self._gmv = 0.0
        self._revenue = 0.0
        self._failing = 0
        self._insufficient = 0
        self._late = 0
        self._cells_lang = cells_lang  # every row comes with its table cells in this language
        self._shapes: set[tuple[int, ...]] = set()  # the rows' distinct ``widths``, folded past ``SHAPES``
        # The latest last step of the packs in use: a row dated long after it has a plan of past dates.
        found = [f for f in (last_step(p.model.events) for p in packs) if f is not None]
        self._last = max(found, key=lambda f: f[0].date) if found else None

    def add(self, item: Row | Failure) -> None:
        if isinstance(item, Failure):
            self.failures.add(item)
            return
        self.rows.add(item)
        if self._cells_lang is not None:  # the table's widths, measured as rows come in
            if not item.widths:
                self._cells_lang = None  # a row without cells: the table measures every row itself
            self._shapes.add(item.widths)  # a set: rows repeat few shapes (cheaper than a max a row)
            if len(self._shapes) >= SHAPES:
                self._fold()
        if item.insufficient:  # no band and no money is shown for it: it is counted apart
            self._insufficient += 1
        else:
            self._bands[item.band] += 1
            self._gmv += item.gmv_at_risk
            self._revenue += item.revenue_at_risk
        counts = self._severities
        for pair in zip(item.findings, item.severities, strict=True):
            counts[pair] = counts.get(pair, 0) + 1
        if item.as_of != self._date[0]:  # rows mostly share one date: look at it only when it changes
            if len(self._dates) < 2:
                self._dates.add(item.as_of)
            self._date = (item.as_of, self._last is not None and stale(item.as_of, self._last[0].date))
        if self._date[1]:
            self._late += 1
        if self._fail_on is not None and at_or_above(item.worst, self._fail_on):
            self._failing += 1

    def _fold(self) -> None:
        """The rows' widths seen so far as one: the widest of each cell."""
        self._shapes = {tuple(map(max, *self._shapes))} if len(self._shapes) > 1 else self._shapes

    def portfolio(self) -> Portfolio:
        self._fold()
        by_severity: dict[str, dict[str, int]] = {}
        findings: dict[str, int] = {}  # profiles where each rule holds
        for (rule_id, severity), count in self._severities.items():
            by_severity.setdefault(rule_id, {})[severity] = count
            findings[rule_id] = findings.get(rule_id, 0) + count
        for rule_id, counts in by_severity.items():
            by_severity[rule_id] = {s: counts[s] for s in reversed(SEVERITIES) if s in counts}
        rules = {
            c.rule.id: RuleRef(c.rule.id, c.rule.title)
            for pack in self._packs
            for c in pack.rules
            if c.rule.id in findings
        }
        top = sorted(
            findings.items(),
            key=lambda kv: (-kv[1], -SEVERITY_RANK[next(iter(by_severity[kv[0]]))], kv[0]),
        )[:COMMON_FINDINGS]
        n = len(self.rows)
        return Portfolio(
            policies=[(p.id, p.model.pack.version) for p in self._packs],
            rows=self.rows.ordered(),
            failures=self.failures.ordered(),
            bands={b: self._bands.get(b, 0) for b in reversed(BANDS)},
            gmv_at_risk=self._gmv,
            revenue_at_risk=self._revenue,
            common=[
                CommonFinding(rules[rid], count, round(count / n, 4), by_severity[rid]) for rid, count in top
            ],
            rules=rules,
            fail_on=self._fail_on,
            failing=self._failing,
            report_formats=self._formats,
            as_of=next(iter(self._dates)) if len(self._dates) == 1 else None,
            insufficient=self._insufficient,
            late=self._late,
            last_step=self._last[0].date if self._late else None,
            suggested_as_of=self._last[1] if self._late else None,
            cells_lang=self._cells_lang if n else None,
            cell_widths=next(iter(self._shapes), ()),
        )


def row(
    evaluations: Sequence[Evaluation], packs: Sequence[Pack], source: str, report: str | None = None
) -> Row:
    """The portfolio row of one profile's evaluations. Several packs: the score and the money
    are the headline pack's, as in ``combine``; findings are every pack's."""
    # The risks that hold, each as its sort key (-severity rank, -rating, rule id) with its
    # evaluation: each pack's ``ranked`` is in order already, so only several packs sort.
    risks = [
        (rank, rating, rule_id, ev)
        for ev in evaluations
        for rank, rating, rule_id, _, risk in ev.ranked
        if risk
    ]
    if len(evaluations) > 1:
        risks.sort(key=_key)  # as engine.finding_order
    at = headline([ev.score for ev in evaluations]) if len(evaluations) > 1 else 0
    head = evaluations[at]
    gmv, revenue = head.at_risk()
    undecided = [severity for ev in evaluations for severity, _ in ev.undecided]
    level, _ = rated(_fields_read(tuple(packs)), head.missing, undecided)
    # the worst severity not accepted: the first risk's, unless the profile accepts some
    open_risks = [r for r in risks if not _accepted(r)] if any(ev.accepted for ev in evaluations) else risks
    return Row(
        source,
        head.agency,
        head.as_of,
        head.score,
        head.band,
        gmv,
        revenue,
        tuple([rule_id for _, _, rule_id, _ in risks]),
        SEVERITIES[-open_risks[0][0]] if open_risks else None,
        report,
        tuple([SEVERITIES[-rank] for rank, _, _, _ in risks]),
        level,
        tuple(sorted(key_gaps(head, packs[at]))),
    )


def _key(risk: tuple[int, int, str, Evaluation]) -> tuple[int, int, str]:
    return risk[:3]


def _accepted(risk: tuple[int, int, str, Evaluation]) -> bool:
    """Whether the profile accepts a risk that holds, and its acceptance is in force."""
    _, _, rule_id, ev = risk
    entry = ev.accepted.get(rule_id)
    return entry is not None and acceptance.holds(entry, ev.as_of)


@functools.lru_cache(maxsize=16)
def _fields_read(packs: tuple[Pack, ...]) -> frozenset[str]:
    return frozenset().union(*(p.fields_read for p in packs))
