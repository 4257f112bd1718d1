"""Batch assessment of a portfolio: many profiles in, one summary out, reports on request.

Three steps, each usable on its own:

- ``discover(paths)`` turns files, folders (recursively, ``*.toml``), globs and CSV
  files into a ``Plan``: the inputs in a fixed order and how many profiles they hold.
- ``run(plan, settings)`` assesses them as a stream, in one process or across
  ``jobs`` processes. Each worker returns one small ``Result`` (or a ``Failure``),
  never an assessment; the summary keeps those rows and bounded counters only.
  The cheap ``engine.evaluate`` feeds the summary; the full ``engine.explain`` runs
  only when per-profile reports are written (``out_dir``), by the worker itself.
- ``write_summaries(out_dir, summary, lang)`` writes ``summary.json``, ``.csv`` and ``.md``.

One bad profile never stops the others: it becomes a ``Failure`` naming its file
(and CSV row) and the reason. Every file is written whole through ``write_atomic``.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import functools
import glob
import os
import signal
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from mcn_advisor.core.combine import explain_all
from mcn_advisor.core.engine import Evaluation, evaluate
from mcn_advisor.errors import InputError
from mcn_advisor.files.write import leftover_temps, write_atomic
from mcn_advisor.i18n.text import Text
from mcn_advisor.pack.compile import Pack
from mcn_advisor.pack.select import load_packs
from mcn_advisor.profile import acceptance, csvfile
from mcn_advisor.profile.load import load_profile, profile_from_data
from mcn_advisor.vocab import SEVERITY_RANK

if TYPE_CHECKING:
    from mcn_advisor.core.contract import Assessment

SMALL_BATCH = 200  # below this, starting worker processes costs more than it saves
COMMON_FINDINGS = 10  # how many of the most common findings a summary lists
SUMMARY_FILES = ("summary.json", "summary.csv", "summary.md")
STEM_MAX = 100  # characters of a report file name before its extension
_GLOB_CHARS = frozenset("*?[")
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{d}{i}" for d in ("com", "lpt") for i in range(1, 10)}


# --- what goes in ------------------------------------------------------------------


class Input(NamedTuple):
    """One input: a TOML profile, a folder of them, a CSV of profiles, or a PATH that failed."""

    label: str  # how the summary and errors name it: the path as given (a folder: its root)
    kind: Literal["toml", "folder", "csv", "failed"]
    files: tuple[str, ...] = ()  # a folder's *.toml files, relative to it, sorted
    profiles: int = 1  # how many profiles it holds
    problems: tuple[str, ...] = ()


class Plan(NamedTuple):
    """The inputs of a batch, in the order they are assessed."""

    inputs: list[Input]
    total: int  # profiles (and failed inputs) to expect
    folders: frozenset[Path]  # every folder (resolved) that holds an input file
    notes: tuple[str, ...] = ()  # things a user should know, e.g. CSV files a folder scan passed over


def discover(paths: Iterable[Path | str], *, exclude: Path | None = None) -> Plan:
    """The profiles under ``paths``: files, folders (recursively ``*.toml``), globs, CSV files.

    Folders are walked in sorted order, skipping hidden entries and ``exclude`` (the
    out-dir). A file named twice is assessed once. A PATH that matches nothing, or a
    CSV whose header is wrong, becomes a failed input; the rest still run. A folder's
    files are kept as short relative names: the plan of a large batch stays small.
    """
    skip = os.path.realpath(exclude) if exclude is not None else None
    inputs: list[Input] = []
    seen: set[str] = set()
    dirs: dict[str, str] = {}
    passed_over: list[str] = []

    def first_time(path: str) -> bool:
        parent, name = os.path.split(path)
        real = dirs.get(parent)
        if real is None:
            real = dirs[parent] = os.path.realpath(parent or ".")
        key = os.path.join(real, name)
        if key in seen:
            return False
        seen.add(key)
        return True

    def add_file(path: str) -> None:
        if not first_time(path):
            return
        if not path.lower().endswith(".csv"):
            inputs.append(Input(path, "toml"))
            return
        try:
            rows = csvfile.count_rows(Path(path), path)
        except InputError as exc:
            inputs.append(Input(path, "failed", problems=tuple(exc.problems)))
            return
        if rows == 0:
            inputs.append(Input(path, "failed", problems=(f"{path}: no data rows under the header",)))
            return
        inputs.append(Input(path, "csv", profiles=rows))

    def add_folder(root: str) -> None:
        found, csvs = _walk(root, skip)
        passed_over.extend(csvs)
        if not found:
            inputs.append(Input(root, "failed", problems=(f"{root}: no .toml profiles in this folder",)))
            return
        files = tuple(rel for rel in found if first_time(os.path.join(root, rel)))
        if files:
            inputs.append(Input(root, "folder", files, profiles=len(files)))

    for raw in paths:
        path = str(Path(raw))  # as given, tidied: "profiles/" and "profiles" are one folder
        if os.path.isdir(path):
            add_folder(path)
        elif os.path.exists(path):
            add_file(path)
        elif _GLOB_CHARS & set(str(raw)):
            matches = sorted(glob.glob(str(raw), recursive=True))
            if not matches:
                inputs.append(Input(str(raw), "failed", problems=(f"{raw}: no file matches this pattern",)))
            for match in matches:
                add_folder(match) if os.path.isdir(match) else add_file(match)
        else:
            inputs.append(Input(str(raw), "failed", problems=(f"{raw}: no such file or folder",)))
    named = {i.label for i in inputs if i.kind == "csv"}
    notes = tuple(
        f"{path}: not read (folders are scanned for *.toml only); "
        f"to assess the profiles it holds, name it: mcn-advisor batch {path}"
        for path in passed_over
        if path not in named
    )
    return Plan(
        inputs=inputs,
        total=sum(i.profiles for i in inputs),
        folders=frozenset(Path(d) for d in dirs.values()),
        notes=notes,
    )


def _walk(root: str, skip: str | None) -> tuple[list[str], list[str]]:
    """The ``*.toml`` files below ``root`` (relative, sorted) and the CSV files passed over."""
    found: list[str] = []
    csvs: list[str] = []
    for here, subdirs, files in os.walk(root):
        subdirs[:] = sorted(
            d
            for d in subdirs
            if not d.startswith(".") and (skip is None or os.path.realpath(os.path.join(here, d)) != skip)
        )
        rel = os.path.relpath(here, root)
        for name in sorted(files):
            low = name.lower()
            if name.startswith("."):
                continue
            if low.endswith(".toml"):
                found.append(name if rel == "." else os.path.join(rel, name))
            elif low.endswith(".csv"):
                csvs.append(os.path.join(here, name))
    return found, csvs


# --- report file names -------------------------------------------------------------


class ReportNames:
    """Safe, distinct report file stems from input paths, assigned in input order.

    Built from the input's path (never the agency name): every part cleaned to
    letters, digits, ``-``, ``_`` and ``.``, joined with ``__``; ``..`` and
    separators can never leave the folder. Names that would clash (also ignoring
    case, as some file systems do) get ``-2``, ``-3`` in the order inputs arrive.
    """

    def __init__(self, reserved: Iterable[str] = ("summary",)):
        self._used = {_fold(r) for r in reserved}

    def assign(self, parts: tuple[str, ...]) -> str:
        base = safe_stem(parts)
        name, n = base, 1
        while _fold(name) in self._used:
            n += 1
            name = f"{base}-{n}"
        self._used.add(_fold(name))
        return name

    def issued(self, stem: str) -> bool:
        """Whether ``stem`` was handed out (or reserved) by this instance."""
        return _fold(stem) in self._used


def safe_stem(parts: tuple[str, ...]) -> str:
    """A file-name stem (no extension) for a report, from the parts of an input path."""
    cleaned = []
    for i, part in enumerate(parts):
        if i == len(parts) - 1 and part.lower().endswith(".toml"):
            part = part[:-5]
        part = part.strip("/\\")  # a root ("/") names no folder of ours
        if part in ("", ".", ".."):
            continue
        text = "".join(c if c.isalnum() or c in "-_." else "_" for c in unicodedata.normalize("NFC", part))
        text = text.strip(". ")
        if text:
            cleaned.append(text)
    stem = "__".join(cleaned) or "profile"
    if stem.split(".")[0].lower() in _RESERVED:
        stem = "_" + stem
    if len(stem) > STEM_MAX:
        import hashlib

        digest = hashlib.sha1("/".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:8]
        stem = f"{stem[: STEM_MAX - 9]}-{digest}"
    return stem


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


# --- what comes out ----------------------------------------------------------------


class Result(NamedTuple):
    """One assessed profile as the summary shows it: small, so thousands cost little."""

    source: str  # the input path, or ``file.csv:ROW``
    name: str
    as_of: dt.date
    score: float
    band: str
    gmv_at_risk: float
    revenue_at_risk: float
    findings: tuple[str, ...]  # risk rules that hold, most severe first (accepted ones too)
    worst: int  # severity rank of the worst that is not accepted (what --fail-on sees); -1: none
    report: str | None = None  # the report files' stem in the out-dir


class Failure(NamedTuple):
    """An input that could not be assessed, with one line per problem."""

    source: str
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RuleRef:
    rule_id: str
    severity: str
    title: Text


@dataclass(frozen=True, slots=True)
class CommonFinding:
    rule: RuleRef
    count: int  # profiles where it holds
    share: float  # of the profiles assessed


@dataclass(slots=True, kw_only=True)
class Summary:
    """The portfolio view: rows sorted by score (then name, then source), totals, failures."""

    policies: list[tuple[str, str]]  # (id, version) of every pack, in the order given
    rows: list[Result]
    failures: list[Failure]  # in input order
    bands: dict[str, int]  # count per band, most severe first
    gmv_at_risk: float  # totals, per month
    revenue_at_risk: float
    common: list[CommonFinding]
    rules: dict[str, RuleRef]  # every rule a row names
    fail_on: str | None
    failing: int  # profiles with a risk finding at or above ``fail_on``
    report_formats: tuple[str, ...]  # extensions of the per-profile reports written
    as_of: dt.date | None  # the date of every row, when they share one

    @property
    def assessed(self) -> int:
        return len(self.rows)

    @property
    def exit_code(self) -> int:
        """2 when any input failed, else 1 when a finding reaches ``fail_on``, else 0."""
        return 2 if self.failures else 1 if self.failing else 0

    def reaches(self, row: Result) -> bool:
        return self.fail_on is not None and row.worst >= SEVERITY_RANK[self.fail_on]


class Tally:
    """Accumulates results as they stream in; memory grows by one small row per profile."""

    def __init__(
        self, packs: tuple[Pack, ...], fail_on: str | None = None, report_formats: tuple[str, ...] = ()
    ):
        self._packs = packs
        self._fail_on = fail_on
        self._floor = SEVERITY_RANK[fail_on] if fail_on else None
        self._formats = report_formats
        self.rows: list[Result] = []
        self.failures: list[Failure] = []
        self._bands: collections.Counter[str] = collections.Counter()
        self._findings: collections.Counter[str] = collections.Counter()  # one key per rule: bounded
        self._dates: set[dt.date] = set()
        self._gmv = 0.0
        self._revenue = 0.0
        self._failing = 0

    def add(self, item: Result | Failure) -> None:
        if isinstance(item, Failure):
            self.failures.append(item)
            return
        self.rows.append(item)
        self._bands[item.band] += 1
        self._findings.update(item.findings)
        if len(self._dates) < 2:
            self._dates.add(item.as_of)
        self._gmv += item.gmv_at_risk
        self._revenue += item.revenue_at_risk
        if self._floor is not None and item.worst >= self._floor:
            self._failing += 1

    def summary(self) -> Summary:
        rules = {
            c.rule.id: RuleRef(c.rule.id, c.rule.severity, c.rule.title)
            for pack in self._packs
            for c in pack.rules
            if c.rule.id in self._findings
        }
        top = sorted(
            self._findings.items(),
            key=lambda kv: (-kv[1], -SEVERITY_RANK[rules[kv[0]].severity], kv[0]),
        )[:COMMON_FINDINGS]
        n = len(self.rows)
        bands = ("critical", "high", "moderate", "low")
        return Summary(
            policies=[(p.id, p.model.pack.version) for p in self._packs],
            rows=sorted(self.rows, key=lambda r: (-r.score, r.name, r.source)),
            failures=self.failures,
            bands={b: self._bands.get(b, 0) for b in bands},
            gmv_at_risk=self._gmv,
            revenue_at_risk=self._revenue,
            common=[CommonFinding(rules[rid], count, round(count / n, 4)) for rid, count in top],
            rules=rules,
            fail_on=self._fail_on,
            failing=self._failing,
            report_formats=self._formats,
            as_of=next(iter(self._dates)) if len(self._dates) == 1 else None,
        )


# --- assessing ---------------------------------------------------------------------

Renderer = Callable[["Assessment", str], str]


def report_renderers() -> dict[str, Renderer]:
    """Per-profile report formats, by file extension: a renderer is a function in a dict."""
    from mcn_advisor.render import json as json_report
    from mcn_advisor.render import markdown

    return {"json": json_report.render, "md": markdown.render}


@dataclass(frozen=True, slots=True)
class Settings:
    """What every profile of a batch is assessed with."""

    today: dt.date  # used when neither --as-of nor the profile gives a date
    as_of: dt.date | None = None  # --as-of: overrides each profile's own date
    lang: str = "en"
    out_dir: Path | None = None  # where per-profile reports go; None: summary only
    formats: dict[str, Renderer] = field(default_factory=dict)
    fail_on: str | None = None
    packs: tuple[str, ...] = ()  # --policy values: built-in names or pack files; () the default


class _Task(NamedTuple):
    source: str
    path: str | None = None  # a TOML file to read
    data: dict[str, Any] | None = None  # or a CSV row's profile data
    report: str | None = None  # the report files' stem
    problems: tuple[str, ...] = ()  # already failed


def tasks(plan: Plan, names: ReportNames | None) -> Iterator[_Task]:
    """One task per profile, lazily: CSV rows are read as they are needed."""

    def name(parts: tuple[str, ...]) -> str | None:
        return names.assign(parts) if names is not None else None

    for item in plan.inputs:
        if item.kind == "failed":
            yield _Task(item.label, problems=item.problems)
        elif item.kind == "toml":
            yield _Task(item.label, item.label, report=name((os.path.basename(item.label),)))
        elif item.kind == "folder":
            for rel in item.files:
                path = os.path.join(item.label, rel)
                yield _Task(path, path, report=name(tuple(rel.split(os.sep))))
        else:
            stem = os.path.splitext(os.path.basename(item.label))[0]
            try:
                for row in csvfile.read_rows(Path(item.label), item.label):
                    source = f"{item.label}:{row.number}"
                    if row.problem:
                        yield _Task(source, problems=(row.problem,))
                    else:
                        yield _Task(source, data=row.data, report=name((stem, f"row{row.number}")))
            except InputError as exc:  # the file changed since discover() read it
                yield _Task(item.label, problems=tuple(exc.problems))


_settings: Settings | None = None
_loaded: dict[tuple[str, ...], tuple[Pack, ...]] = {}


def packs_of(settings: Settings) -> tuple[Pack, ...]:
    """The run's policy packs, loaded once per process (forked workers inherit them)."""
    if settings.packs not in _loaded:
        _loaded[settings.packs] = load_packs(settings.packs or None)
    return _loaded[settings.packs]


def _init_worker(settings: Settings) -> None:
    global _settings
    _settings = settings
    packs_of(settings)  # once per process, before the first profile
    # Ctrl-C reaches every process of the terminal's group: the parent alone decides
    # what it means, and ends the workers with SIGTERM (see run).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def assess_one(task: _Task, settings: Settings | None = None) -> Result | Failure:
    """Assess one profile: a summary row (writing its reports when asked), or why not."""
    cfg = settings or _settings
    assert cfg is not None
    if task.problems:
        return Failure(task.source, task.problems)
    packs = packs_of(cfg)
    try:
        if task.path is not None:
            profile = load_profile(task.path, packs)
        else:
            profile = profile_from_data(task.data or {}, task.source)
        date = cfg.as_of or profile.as_of or cfg.today
        evaluations = [evaluate(profile, pack, date) for pack in packs]
        if cfg.out_dir is not None and task.report is not None:
            _write_reports(explain_all(evaluations, packs), cfg, task.report)
    except InputError as exc:
        return Failure(task.source, tuple(exc.problems))
    return _result(evaluations, packs, task.source, task.report if cfg.out_dir is not None else None)


def _write_reports(assessment: Assessment, cfg: Settings, stem: str) -> None:
    assert cfg.out_dir is not None
    for ext, render in cfg.formats.items():
        write_atomic(cfg.out_dir / f"{stem}.{ext}", render(assessment, cfg.lang))


@functools.lru_cache(maxsize=4)
def _risk_rules(pack: Pack) -> tuple[tuple[int, str, int], ...]:
    """The pack's risk rules in the order ``Evaluation.held`` gives: (identity, id, severity rank)."""
    rules = sorted(pack.rules, key=lambda c: (-SEVERITY_RANK[c.rule.severity], c.rule.id))
    return tuple((id(c), c.rule.id, SEVERITY_RANK[c.rule.severity]) for c in rules if c.rule.kind == "risk")


def _result(
    evaluations: list[Evaluation], packs: tuple[Pack, ...], source: str, report: str | None
) -> Result:
    """The summary row. Several packs: the headline score is the highest (the first on a
    tie) and the money the largest, as in ``combine``; findings are every pack's."""
    risks: list[tuple[int, str, bool]] = []  # (severity rank, rule id, accepted and in force)
    for ev, pack in zip(evaluations, packs, strict=True):
        held = {id(c) for c, outcome, _ in ev.outcomes if outcome}
        for key, rule_id, rank in _risk_rules(pack):
            if key in held:
                entry = ev.accepted.get(rule_id)
                risks.append((rank, rule_id, entry is not None and not acceptance.expired(entry, ev.as_of)))
    if len(packs) > 1:
        risks.sort(key=lambda r: (-r[0], r[1]))
    head = max(evaluations, key=lambda ev: ev.score)  # max keeps the first on a tie
    money = [ev.at_risk() for ev in evaluations]
    return Result(
        source,
        head.agency,
        head.as_of,
        head.score,
        head.band,
        max(gmv for gmv, _ in money),
        max(revenue for _, revenue in money),
        tuple(rule_id for _, rule_id, _ in risks),
        max((rank for rank, _, accepted in risks if not accepted), default=-1),
        report,
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
    plan: Plan,
    settings: Settings,
    *,
    jobs: int | None = None,
    on_result: Callable[[], None] | None = None,
) -> Summary:
    """Assess every profile of ``plan`` and summarise them.

    Results stream back in input order (so report names and the summary never depend
    on timing) and are folded into the summary one at a time. On Ctrl-C the workers
    are terminated and the interrupt is raised again; reports already written stay whole.
    """
    packs = packs_of(settings)  # a bad pack fails here, before any profile
    if settings.out_dir is not None:
        prepare_out_dir(settings.out_dir, plan)
    names = ReportNames() if settings.out_dir is not None else None
    tally = Tally(packs, settings.fail_on, tuple(settings.formats) if settings.out_dir else ())
    jobs = min(jobs or default_jobs(plan.total), max(1, plan.total))
    stream = tasks(plan, names)
    try:
        if jobs == 1:
            with _interrupt_between_profiles() as interrupted:
                for task in stream:
                    tally.add(assess_one(task, settings))
                    if on_result:
                        on_result()
                    if interrupted():
                        raise KeyboardInterrupt
        else:
            _in_pool(stream, settings, jobs, max(1, min(64, plan.total // (jobs * 8))), tally, on_result)
    except BaseException:
        if settings.out_dir is not None and names is not None:
            _remove_partial_reports(settings.out_dir, names)
        raise
    return tally.summary()


@contextlib.contextmanager
def _interrupt_between_profiles() -> Iterator[Callable[[], bool]]:
    """Let Ctrl-C finish the profile in hand, then stop (a second Ctrl-C stops at once).

    An interrupt in the middle of rendering would surface as a serialisation error
    from inside pydantic rather than as a clean stop.
    """
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield lambda: False
        return
    asked: list[bool] = []

    def ask(signum: int, frame: Any) -> None:
        if asked:
            raise KeyboardInterrupt
        asked.append(True)

    signal.signal(signal.SIGINT, ask)
    try:
        yield lambda: bool(asked)
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _in_pool(
    stream: Iterator[_Task],
    settings: Settings,
    jobs: int,
    chunk: int,
    tally: Tally,
    on_result: Callable[[], None] | None,
) -> None:
    import multiprocessing  # only a batch that uses processes pays for the import

    # fork shares the loaded pack and modules with the workers; elsewhere they load their own.
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    pool = ctx.Pool(jobs, initializer=_init_worker, initargs=(settings,))
    try:
        for item in pool.imap(assess_one, stream, chunksize=chunk):
            tally.add(item)
            if on_result:
                on_result()
        pool.close()
    except BaseException:
        pool.terminate()  # SIGTERM: a worker may die mid-write; run() removes what it left
        raise
    finally:
        pool.join()


def _remove_partial_reports(out_dir: Path, names: ReportNames) -> None:
    """Remove the temporary files of reports this run was writing when it was stopped."""
    for temp, target in leftover_temps(out_dir):
        if names.issued(os.path.splitext(target)[0]):
            temp.unlink(missing_ok=True)


def prepare_out_dir(out_dir: Path, plan: Plan) -> None:
    """Create the report folder, refusing one that is a file or holds this run's inputs."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a folder; give a folder for the reports")
    if out_dir.resolve() in plan.folders:
        raise InputError(
            f"{out_dir}: holds input profiles of this run; give a separate folder for the reports "
            "so that no input is ever overwritten"
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):  # say it once, not once per profile
        raise InputError(f"{out_dir}: cannot write there (permission denied)")


def write_summaries(out_dir: Path, summary: Summary, lang: str) -> list[Path]:
    """``summary.json``, ``summary.csv`` and ``summary.md`` in ``out_dir``, each written whole."""
    from mcn_advisor.render import portfolio as render

    written = []
    for name, fmt in zip(SUMMARY_FILES, ("json", "csv", "markdown"), strict=True):
        path = out_dir / name
        write_atomic(path, render.FORMATS[fmt](summary, lang))
        written.append(path)
    return written
