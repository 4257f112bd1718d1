"""Running a batch: assess every input as a stream, in one process or several, into a portfolio.

- ``run(inputs, settings)`` (``inputs`` from ``discover``) assesses them as a stream, in
  one process or across ``jobs`` processes. A worker is given up to ``PIECE`` profiles at a
  time (``work``: a table's rows as one text of cells, ``Rows``) and returns one small ``Row``
  (or a ``Failure``) for each, never an assessment; the ``Tally`` keeps those rows and
  bounded counters only (``batch.spill`` keeps them on disk past a few thousand). The cheap
  ``engine.evaluate`` feeds the portfolio; the full ``engine.explain`` runs only when
  per-profile reports are written (``out_dir``), by the worker itself, to hidden files
  that the parent publishes (syncs, then names) every ``PUBLISH_EVERY`` profiles.
- ``write_summaries(out_dir, portfolio, lang)`` writes ``summary.json``, ``.csv``, ``.md`` and
  ``.html`` (and ``.xlsx`` when asked).

One bad profile never stops the others: whatever goes wrong reading or assessing it
becomes a ``Failure`` naming its file (and CSV row) and the reason. Every file is
written whole under the one rule of ``files.write``, never over an input: a crash can
leave a report missing, never a report with only part of its text.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import itertools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from mcn_advisor import render
from mcn_advisor.batch.discover import Inputs
from mcn_advisor.batch.names import ReportNames
from mcn_advisor.batch.spill import Spilled
from mcn_advisor.core import portfolio
from mcn_advisor.core.combine import explain_all
from mcn_advisor.core.engine import evaluate
from mcn_advisor.core.portfolio import Failure, Portfolio, Row, Tally
from mcn_advisor.errors import InputError, os_reason, say, shorten
from mcn_advisor.files.write import (
    Identity,
    discard,
    protect,
    protect_all,
    protected,
    publish,
    write_atomic,
    write_hidden,
)
from mcn_advisor.pack.compile import Pack
from mcn_advisor.pack.select import load_packs, rule_book
from mcn_advisor.profile import acceptance, csvfile
from mcn_advisor.profile.acceptance import RuleBook
from mcn_advisor.profile.load import load_profile, profile_from_data
from mcn_advisor.records import record
from mcn_advisor.render.portfolio import with_cells

if TYPE_CHECKING:
    from mcn_advisor.core.contract import Assessment

SMALL_BATCH = 200  # below this, starting worker processes costs more than it saves
PIECE = 64  # profiles a worker is given at a time, at most (fewer as the end nears: see _Piece)
PUBLISH_EVERY = 500  # profiles whose reports are synced to disk and named together
COLLECT_AFTER = 20_000  # the collector's first threshold while profiles are assessed (_collect_rarely)
SUMMARY_FILES = {
    "summary.json": "json",
    "summary.csv": "csv",
    "summary.md": "markdown",
    "summary.html": "html",
}

EXTENSIONS = {"json": "json", "markdown": "md", "html": "html"}  # per-profile report format -> extension
DEFAULT_REPORTS = ("json", "markdown")


ReportWriter = Callable[[Any, str], str | bytes]  # (assessment, language) -> a report file's text or bytes


def report_renderers(formats: Iterable[str] = DEFAULT_REPORTS) -> dict[str, ReportWriter]:
    """The per-profile report renderers of ``formats``, by file extension, in the order of
    ``EXTENSIONS`` (a format named twice is written once)."""
    chosen = set(formats)
    return {ext: _report_writer(fmt) for fmt, ext in EXTENSIONS.items() if fmt in chosen}


def _report_writer(fmt: str) -> ReportWriter:
    """JSON and Markdown as the file's bytes (their modules' ``encoded``): never a ``str`` the
    writer encodes again, character by character once a Chinese name makes it wide. HTML as text."""
    if fmt == "json":
        from mcn_advisor.render import json as report
    elif fmt == "markdown":
        from mcn_advisor.render import markdown as report  # type: ignore[no-redef]
    else:
        return render.get("assessment", fmt)
    return report.encoded


@record(frozen=True)
class Settings:
    """What every profile of a batch is assessed with."""

    today: dt.date  # used when neither --as-of nor the profile gives a date
    as_of: dt.date | None = None  # --as-of: overrides each profile's own date
    lang: str = "en"
    out_dir: Path | None = None  # where per-profile reports go; None: summary only
    formats: dict[str, ReportWriter] = field(default_factory=dict)
    fail_on: str | None = None
    packs: tuple[str, ...] = ()  # --policy values: built-in names or pack files; () the default
    token: str = field(default_factory=lambda: os.urandom(6).hex())  # names this run's unpublished reports
    table: bool = True  # the summary is shown as the table: each row's cells are made by its worker


class Task(NamedTuple):
    source: str
    path: str | None = None  # a TOML file to read
    cells: list[str] | None = None  # or a row's cells, converted by the worker that assesses it
    header: tuple[str, ...] = ()  # the columns of those cells
    report: str | None = None  # the report files' stem
    problems: tuple[str, ...] = ()  # already failed


class Rows(NamedTuple):
    """Consecutive rows of one table, packed for the trip to a worker: their cells as one text
    (one object to pickle instead of a list of texts per row, a few times cheaper both ways)."""

    label: str  # the file, as a row's source names it
    header: tuple[str, ...]
    numbers: list[int]  # each row's number
    widths: list[int]  # each row's count of cells
    cells: str | list[str]  # every cell of every row, joined by NUL (which no checked text holds)
    reports: list[str | None]  # each row's report stem

    def tasks(self) -> Iterator[Task]:
        parts = self.cells.split(SEP) if isinstance(self.cells, str) else self.cells
        at = 0
        for number, width, report in zip(self.numbers, self.widths, self.reports, strict=True):
            yield Task(
                f"{self.label}:{number}", cells=parts[at : at + width], header=self.header, report=report
            )
            at += width


SEP = "\x00"
Work = list[Task | Rows]  # what one worker assesses at a time: up to ``size`` profiles, in input order


def work(inputs: Inputs, names: ReportNames | None, size: int, jobs: int = 0) -> Iterator[Work]:
    """The profiles of ``inputs`` in pieces of at most ``size``, lazily: a CSV file's rows are
    read as they are needed and handed on as cells (``Rows``); the parent of a run with several
    processes only splits rows. For ``jobs`` workers the pieces shrink as the end nears
    (``_Piece``)."""

    def name(parts: tuple[str, ...]) -> str | None:
        return names.assign(parts) if names is not None else None

    piece = _Piece(size, inputs.total if jobs else 0, jobs)
    for item in inputs.inputs:
        if item.kind == "failed":
            yield from piece.add(Task(item.label, problems=item.problems))
        elif item.kind == "toml":
            yield from piece.add(Task(item.label, item.label, report=name((os.path.basename(item.label),))))
        elif item.kind == "folder":
            for rel in item.files:
                path = os.path.join(item.label, rel)
                yield from piece.add(Task(path, path, report=name(tuple(rel.split(os.sep)))))
        else:
            label = item.label
            stem = os.path.splitext(os.path.basename(csvfile.split_sheet(label)[0]))[0]
            try:
                sheet = csvfile.read_cells(Path(label), label)
                piece.table(label, sheet.header)
                for row in sheet.rows:
                    if row.problem is not None:
                        yield from piece.add(Task(f"{label}:{row.number}", problems=(row.problem,)))
                        continue
                    report = None if names is None else names.assign((stem, f"row{row.number}"))
                    if piece.row(row.number, row.cells, report):  # type: ignore[arg-type]
                        yield from piece.flush()
            except (
                Exception
            ) as exc:  # the file changed since discover() read it, or worse: the others still run
                problems = tuple(exc.problems) if isinstance(exc, InputError) else (_unexpected(label, exc),)
                yield from piece.add(Task(label, problems=problems))  # after the rows read before it
    yield from piece.flush()


class _Piece:
    """The piece of work being filled: tasks, and the rows of the table being read packed as
    ``Rows``. Handed to ``jobs`` workers, a piece holds at most an eighth of each worker's share
    of the profiles still to come (``left``, counted from the input's lines: never fewer than
    there are): ``size`` while many are left, then fewer, down to one. The workers then finish
    together, instead of one idling through the other's last full piece (with reports, 64
    profiles take about a second)."""

    def __init__(self, size: int, left: int = 0, jobs: int = 0):
        self._most, self._left, self._jobs = size, left, jobs
        self._size = self._next_size()
        self._items: Work = []
        self._count = 0
        self._table: tuple[str, tuple[str, ...]] = ("", ())
        self._rows: tuple[list[int], list[int], list[str], list[str | None]] = ([], [], [], [])

    def table(self, label: str, header: tuple[str, ...]) -> None:
        self._pack()
        self._table = (label, header)

    def add(self, task: Task) -> Iterator[Work]:
        self._pack()
        self._items.append(task)
        return self._full()

    def row(self, number: int, cells: list[str], report: str | None) -> bool:
        """Add a table's row; whether the piece is full (then ``flush`` it). A batch's parent
        does this for every row of a survey: no generator, unlike ``add``."""
        numbers, widths, texts, reports = self._rows
        numbers.append(number)
        widths.append(len(cells))
        texts.extend(cells)
        reports.append(report)
        self._count += 1
        return self._count >= self._size

    def flush(self) -> Iterator[Work]:
        self._pack()
        if self._items:
            yield self._items
        self._left -= self._count
        self._size = self._next_size()
        self._items, self._count = [], 0

    def _next_size(self) -> int:
        return max(1, min(self._most, self._left // (self._jobs * 8))) if self._jobs else self._most

    def _full(self) -> Iterator[Work]:
        self._count += 1
        return self.flush() if self._count >= self._size else iter(())

    def _pack(self) -> None:
        numbers, widths, cells, reports = self._rows
        if not numbers:
            return
        label, header = self._table
        text = SEP.join(cells)
        # Else a NUL in a cell (the file changed since it was checked): the cells go as they are.
        joined = text.count(SEP) == len(cells) - 1
        self._items.append(Rows(label, header, numbers, widths, text if joined else cells, reports))
        self._rows = ([], [], [], [])


_settings: Settings | None = None
_loaded: dict[tuple[str, ...], tuple[Pack, ...]] = {}
_books: dict[tuple[str, ...], RuleBook] = {}


def packs_of(settings: Settings) -> tuple[Pack, ...]:
    """The run's policy packs, loaded once per process (forked workers inherit them)."""
    if settings.packs not in _loaded:
        _loaded[settings.packs] = load_packs(settings.packs or None)
    return _loaded[settings.packs]


def rules_of(settings: Settings) -> RuleBook:
    """What the run's profiles may accept (computed once per process)."""
    if settings.packs not in _books:
        _books[settings.packs] = rule_book(packs_of(settings))
    return _books[settings.packs]


def _init_worker(settings: Settings, inputs: frozenset[Identity] = frozenset(), parent: int = 0) -> None:
    global _settings
    _settings = settings
    _die_with(parent)
    protect_all(inputs)  # (already inherited when forked)
    packs_of(settings)  # the packs once per process, before the first profile (forked: inherited)
    # What the worker holds now (modules, packs) lives as long as it does: the collector
    # leaves it alone instead of walking it again and again, and a forked worker's pages
    # stay shared with its parent's (a collection writes to every object it walks).
    gc.freeze()
    _collect_rarely()


def _collect_rarely() -> tuple[int, ...]:
    """Raise the collector's first threshold for a process that assesses profile after profile;
    the thresholds before. A profile's work makes thousands of objects (an assessment, two
    reports) that reference counting frees with it; the collector counts objects made less
    objects freed, and at the default threshold (700) it still walks a profile's live objects
    several times each (~3% of a worker's time writing reports, measured with gc.callbacks;
    more while its caches fill). At 20,000 it runs as what the process keeps adds up (in
    1,000 profiles, a few times), and garbage in cycles is collected all the same."""
    before = gc.get_threshold()
    gc.set_threshold(COLLECT_AFTER, *before[1:])
    return before


def _assess_in_worker(piece: Work) -> list[tuple[Any, ...]]:
    """A piece's results as plain tuples for the trip back (``received`` gives them their class):
    pickle makes a named tuple through two Python calls (its ``__getnewargs__`` in the worker,
    its ``__new__`` in the parent), a plain tuple through none."""
    return list(map(tuple, [assess_one(task) for task in unpack(piece)]))


_ROW = functools.partial(tuple.__new__, Row)  # a row from its plain tuple (its fields in order)
_ROW_FIELDS = len(Row._fields)


def received(item: tuple[Any, ...]) -> Row | Failure:
    """A worker's result with its class back: a row and a failure differ in length."""
    return _ROW(item) if len(item) == _ROW_FIELDS else Failure._make(item)


def _one_by_one(piece: Work) -> list[Work]:
    return [[task] for task in unpack(piece)]


def _lost(piece: Work, code: int | None) -> list[Row | Failure]:
    """The failure of a profile whose worker process died assessing it (killed for memory, say)."""
    return [Failure(task.source, (_stopped_worker(task.source, code),)) for task in unpack(piece)]


def _stopped_worker(source: str, code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return say("{source}: the process assessing it was killed ({signal})", source=source, signal=name)
    return say("{source}: the process assessing it stopped (exit code {code})", source=source, code=code)


def unpack(piece: Work) -> Iterator[Task]:
    for item in piece:
        if isinstance(item, Rows):
            yield from item.tasks()
        else:
            yield item


def _die_with(parent: int) -> None:
    """On Linux, a worker is sent SIGTERM when its parent dies, even by SIGKILL: no orphan
    goes on writing reports nobody will read."""
    if not sys.platform.startswith("linux") or not parent:
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - no prctl: the parent's handlers still end us
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def assess_one(task: Task, settings: Settings | None = None) -> Row | Failure:
    """Assess one profile: a summary row (writing its reports when asked), or why not."""
    cfg = settings or _settings
    assert cfg is not None
    if task.problems:
        return Failure(task.source, task.problems)
    packs = packs_of(cfg)
    try:
        if task.path is not None:
            profile = load_profile(task.path, lambda: rules_of(cfg))
        else:
            profile = profile_from_data(csvfile.row_data(task.header, task.cells or []), task.source)
            acceptance.check(profile, lambda: rules_of(cfg), task.source)  # a mistyped partner in a row
        date = cfg.as_of or profile.as_of or cfg.today
        evaluations = [evaluate(profile, pack, date) for pack in packs]
        if cfg.out_dir is not None and task.report is not None:
            _write_reports(explain_all(evaluations, packs), cfg, task.report)
        row = portfolio.row(evaluations, packs, task.source, task.report if cfg.out_dir is not None else None)
        return with_cells(cfg.lang)(row) if cfg.table else row  # cells made here, in parallel, not after
    except InputError as exc:
        return Failure(task.source, tuple(exc.problems))
    except Exception as exc:  # one input never stops the others, whatever it holds
        return Failure(task.source, (_unexpected(task.source, exc),))


def _unexpected(source: str, exc: Exception) -> str:
    """An error nothing anticipated, as one line naming the input (never a traceback)."""
    return say(
        "{source}: could not be assessed ({kind}: {exc})",
        source=source,
        kind=type(exc).__name__,
        exc=shorten(str(exc), 120),
    )


def default_jobs(total: int) -> int:
    """One process for a small batch; every core this process may use for a large one."""
    if total < SMALL_BATCH:
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def run(
    inputs: Inputs,
    settings: Settings,
    *,
    jobs: int | None = None,
    on_result: Callable[[], None] | None = None,
) -> Portfolio:
    """Assess every profile of ``inputs`` and summarise them.

    Results stream back in input order (so report names and the summary never depend
    on timing) and are folded into the summary one at a time. On Ctrl-C, SIGTERM or
    SIGHUP the workers are terminated, the reports of the profiles already assessed are
    published (whole), the hidden files of the others removed, and the stop raised again.
    """
    # A pack file read by an earlier run in this process may have changed: read it again.
    _loaded.pop(settings.packs, None)
    _books.pop(settings.packs, None)
    packs = packs_of(settings)  # a bad pack fails here, before any profile
    if settings.out_dir is not None:
        prepare_out_dir(settings.out_dir, inputs)
        _protect_inputs(inputs)
    names = ReportNames() if settings.out_dir is not None else None
    formats = tuple(settings.formats) if settings.out_dir else ()
    cells_lang = settings.lang if settings.table else None
    tally = Tally(packs, settings.fail_on, formats, Spilled, cells_lang=cells_lang)
    reports = _Reports(settings)
    jobs = min(jobs or default_jobs(inputs.total), max(1, inputs.total))
    stream = work(inputs, names, PIECE, jobs)

    def take(item: Row | Failure) -> None:
        tally.add(item)
        reports.done(item)
        if on_result:
            on_result()

    try:
        if jobs == 1:
            before = _collect_rarely()
            try:
                with _stop_between_profiles() as stop_if_asked:
                    for piece in stream:
                        for task in unpack(piece):
                            take(assess_one(task, settings))
                            stop_if_asked()
            finally:
                gc.set_threshold(*before)
        else:
            _in_pool(stream, settings, jobs, take)
    finally:
        with _stops_held():  # a second Ctrl-C must not leave hidden files behind
            reports.close()  # also when stopped: what was assessed is published, the rest removed
    return tally.portfolio()


class _Reports:
    """A run's reports given their names a few hundred profiles at a time (``files.write.publish``):
    one sync of the file system for every ``PUBLISH_EVERY`` profiles instead of one per file."""

    def __init__(self, settings: Settings):
        self._out = settings.out_dir
        self._formats = tuple(settings.formats)
        self._token = settings.token
        self._stems: list[str] = []

    def done(self, item: Row | Failure) -> None:
        if self._out is not None and isinstance(item, Row) and item.report is not None:
            self._stems.append(item.report)
            if len(self._stems) >= PUBLISH_EVERY:
                self.publish()

    def publish(self) -> None:
        if self._out is not None:
            publish(
                [self._out / f"{stem}.{ext}" for stem in self._stems for ext in self._formats], self._token
            )
        self._stems = []

    def close(self) -> None:
        if self._out is None:
            return
        try:
            self.publish()
        finally:  # a profile that failed half-way, or one a stopped worker was writing
            discard(self._out, self._token)


_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextlib.contextmanager
def _stops_held() -> Iterator[None]:
    """The stop signals held back by the system while this runs, then let through (Unix)."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


@contextlib.contextmanager
def _stop_between_profiles() -> Iterator[Callable[[], None]]:
    """Let a stop signal (Ctrl-C, SIGTERM, SIGHUP) finish the profile in hand, then stop;
    a second one stops at once. Yields the check to call between profiles.

    A stop in the middle of rendering would surface as a serialisation error from
    inside pydantic rather than as a clean stop. Only signals with a handler are
    deferred (the CLI installs one for each); an ignored signal stays ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return
    handlers = {sig: h for sig in _STOP_SIGNALS if callable(h := signal.getsignal(sig))}
    asked: list[tuple[int, Any]] = []

    def ask(signum: int, frame: Any) -> None:
        if asked:
            handlers[signum](signum, frame)
        asked.append((signum, frame))

    def stop_if_asked() -> None:
        if asked:
            signum, frame = asked[0]
            handlers[signum](signum, frame)  # raises: Stopped, or KeyboardInterrupt
            raise KeyboardInterrupt  # a handler that did not raise still stops the batch

    for sig in handlers:
        signal.signal(sig, ask)
    try:
        yield stop_if_asked
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def _in_pool(
    stream: Iterator[Work], settings: Settings, jobs: int, take: Callable[[Row | Failure], None]
) -> None:
    import multiprocessing  # only a batch that uses processes pays for the import

    from mcn_advisor.batch import pool

    # fork shares the loaded pack and modules with the workers; elsewhere they load their own.
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    results = pool.imap(
        ctx,
        jobs,
        stream,
        _assess_in_worker,
        init=_init_worker,
        initargs=(settings, protected(), os.getpid()),
        split=_one_by_one,
        lost=_lost,
    )
    try:
        with contextlib.closing(results):  # the workers are ended (and reaped) when this ends
            for item in results:
                take(received(item))
    except pool.WorkersFailed as exc:
        raise InputError(
            say(
                "the batch's worker processes keep stopping before they assess anything "
                "(exit code {code}); --jobs 1 runs it in this process",
                code=exc.code,
            )
        ) from None


def prepare_out_dir(out_dir: Path, inputs: Inputs) -> None:
    """Create the report folder, refusing one that is a file or holds this run's inputs."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(
            say("{out_dir}: exists and is not a folder; give a folder for the reports", out_dir=out_dir)
        )
    if out_dir.resolve() in inputs.folders:
        raise InputError(
            say(
                "{out_dir}: holds input profiles of this run; give a separate folder for the reports so "
                "that no input is ever overwritten",
                out_dir=out_dir,
            )
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            say(
                "{out_dir}: cannot create the folder ({reason})",
                out_dir=out_dir,
                reason=os_reason(exc),
            )
        ) from None
    if not os.access(out_dir, os.W_OK | os.X_OK):  # say it once, not once per profile
        raise InputError(say("{out_dir}: cannot write there (permission denied)", out_dir=out_dir))


def _protect_inputs(inputs: Inputs) -> None:
    """Register every input file, read yet or not, so that no report is written over one
    (``files.write``); the workers inherit the register."""
    for item in inputs.inputs:
        if item.kind == "folder":
            for rel in item.files:
                protect(os.path.join(item.label, rel))
        elif item.kind != "failed":
            protect(csvfile.split_sheet(item.label)[0])


def write_summaries(out_dir: Path, summary: Portfolio, lang: str, *, xlsx: bool = False) -> list[Path]:
    """``summary.json``, ``.csv``, ``.md`` and ``.html`` in ``out_dir`` (and ``summary.xlsx``
    when asked: it costs a second or so a hundred thousand rows), each written whole.
    ``summary.csv`` starts with a byte-order mark, so that Excel reads it as UTF-8.

    One that cannot be written does not keep the others from being written; then
    ``InputError`` lists what failed.
    """
    written: list[Path] = []
    problems: list[str] = []
    files = {**SUMMARY_FILES, **({"summary.xlsx": "xlsx"} if xlsx else {})}
    for name, fmt in files.items():
        path = out_dir / name
        try:
            write_atomic(path, summary_text(summary, fmt, lang, bom=True), within=out_dir)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        written.append(path)
    if problems:
        raise InputError(problems)
    return written


def summary_text(
    summary: Portfolio, fmt: str, lang: str, *, bom: bool, width: int | None = None
) -> bytes | Iterable[str]:
    """The summary as ``fmt``: bytes (xlsx), or text in pieces; CSV with a byte-order mark
    first when ``bom`` (a file Excel opens), without one for a program that reads it; the
    table at most ``width`` cells wide."""
    if fmt in render.BINARY:
        return render.get("portfolio", fmt)(summary, lang)  # type: ignore[return-value]
    pieces = render.pieces("portfolio", fmt, width=width)(summary, lang)  # type: ignore[arg-type]
    return itertools.chain(("\ufeff",), pieces) if bom and fmt == "csv" else pieces


def _write_reports(assessment: Assessment, cfg: Settings, stem: str) -> None:
    assert cfg.out_dir is not None
    for ext, renderer in cfg.formats.items():
        write_hidden(cfg.out_dir / f"{stem}.{ext}", renderer(assessment, cfg.lang), cfg.token)
