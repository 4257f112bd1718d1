"""The command line: parse arguments, call the core once, render, write, map errors to exit codes.

Exit codes: 0 done, 1 a finding at or above --fail-on, 2 bad input or usage.
This is the only module that reads the clock (the default --as-of) or the terminal.
Heavy modules (pydantic, the engine, rich renderers) are imported inside commands so
that ``--help`` and ``--version`` start fast.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import typer

from mcn_advisor import __version__, render
from mcn_advisor.errors import InputError
from mcn_advisor.render import ReportFormat, SummaryFormat
from mcn_advisor.vocab import Lang, Severity, at_or_above

if TYPE_CHECKING:
    from mcn_advisor.core.contract import Assessment
    from mcn_advisor.pack.compile import Pack
    from mcn_advisor.profile.acceptance import RuleBook

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
R = TypeVar("R")

app = typer.Typer(
    help="Assess an MCN's exposure to a platform's closed loop and plan its migration.",
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
rules_app = typer.Typer(help="The rules of the policy pack.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


def user_errors(fn: F) -> F:
    """Turn bad input into one line per problem on stderr and exit code 2."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            for line in exc.problems:
                typer.echo(f"error: {line}", err=True)
            raise typer.Exit(2) from None

    return run  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mcn-advisor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Assess an MCN's exposure to a platform's closed loop and plan its migration."""


def _parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date; use YYYY-MM-DD") from None


def _color(stream: Any) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _emit(text: str | Iterable[str], output: Path | None, protect: tuple[Path, ...] = ()) -> None:
    """The report (or its pieces, as they come) to ``output`` (atomically) or to stdout."""
    if output is None or str(output) == "-":
        sys.stdout.writelines([text] if isinstance(text, str) else text)
        sys.stdout.flush()
        return
    from mcn_advisor.files.write import write_atomic

    write_atomic(output, text, protect=protect)


def _renderer(kind: str, fmt: str, output: Path | None) -> render.Renderer:
    """The renderer of ``kind`` as ``fmt``, laid out for stdout when it is a terminal."""
    to_tty = output is None and sys.stdout.isatty()
    width = shutil.get_terminal_size((100, 24)).columns if to_tty else 100
    return render.get(kind, fmt, width=width, color=to_tty and _color(sys.stdout))


AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="Assess as of this date [default: the profile's as_of, else today].",
    ),
]
LangOpt = Annotated[Lang, typer.Option("--lang", help="Language of the report's text.")]


@app.command()
@user_errors
def assess(
    profile: Annotated[Path, typer.Argument(help="The MCN profile (TOML).", show_default=False)],
    as_of: AsOf = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="Report format.")] = "terminal",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report to this file instead of stdout."),
    ] = None,
    fail_on: Annotated[
        Severity | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when a risk finding has this severity or higher.",
            show_default=False,
        ),
    ] = None,
    lang: LangOpt = "en",
    packs: PolicyOpt = None,
) -> None:
    """Assess one profile: exposure score, money at risk, findings, risks and a dated plan."""
    from mcn_advisor.core.combine import assess_all
    from mcn_advisor.pack.select import rule_book
    from mcn_advisor.profile.load import load_profile

    date = _parse_date(as_of)
    chosen = _packs(packs)
    prof = load_profile(profile, lambda: rule_book(chosen))
    when = date or prof.as_of or dt.date.today()
    result = assess_all(prof, chosen, when)
    text = _renderer("assessment", fmt, output)(result, lang)
    _emit(text, output, protect=(profile, *(Path(p.source) for p in chosen)))
    if output is not None:
        typer.echo(
            f"{output}: {result.agency}: score {result.exposure.score:g} ({result.exposure.band}), "
            f"{len(result.findings)} findings, {len(_actions(result))} actions",
            err=True,
        )
    if at_or_above(result.worst_open_risk(), fail_on):
        raise typer.Exit(1)


def _actions(a: Assessment) -> list[str]:
    return [act.id for phase in a.plan.phases for act in phase.actions]


@app.command()
@user_errors
def validate(
    profiles: Annotated[list[Path], typer.Argument(help="Profiles to check.", show_default=False)],
    packs: PolicyOpt = None,
) -> None:
    """Check profiles without assessing them; every problem is listed, one per line.

    Accepted risks must name rules of the policy packs (the built-in one by default);
    the packs are read only when a profile accepts a risk.
    """
    from mcn_advisor.profile.load import load_profile

    @functools.cache
    def book() -> RuleBook:
        from mcn_advisor.pack.select import rule_book  # the pack machinery, only when needed

        return rule_book(_packs(packs))

    problems: list[str] = []
    for path, prof in _each_loaded(profiles, lambda p: load_profile(p, book), problems):
        typer.echo(f"{path}: ok ({prof.agency.name})")
    if problems:
        raise InputError(list(dict.fromkeys(problems)))  # a bad --policy once, not once per profile


def _each_loaded(items: list[T], load: Callable[[T], R], problems: list[str]) -> Iterator[tuple[T, R]]:
    """``(item, load(item))`` for each item that loads; the problems of the others go to ``problems``."""
    for item in items:
        try:
            yield item, load(item)
        except InputError as exc:
            problems.extend(exc.problems)


@app.command()
@user_errors
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the schema to this file.")
    ] = None,
    pack: Annotated[
        bool, typer.Option("--pack", help="The schema of policy pack files instead of profiles.")
    ] = False,
) -> None:
    """Print the JSON Schema of the profile format (or with --pack, of policy packs), for editors."""
    import json

    from mcn_advisor.pack.schema import PackModel
    from mcn_advisor.profile.model import Profile

    model, what = (PackModel, "policy pack") if pack else (Profile, "profile")
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **model.model_json_schema(),
        "title": f"mcn-advisor {what}, schema_version 1",  # after the model's own title ("PackModel")
    }
    _emit(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", output)


@app.command()
@user_errors
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter profile ('-' for stdout).")] = Path(
        "mcn-profile.toml"
    ),
) -> None:
    """Write a commented starter profile to fill in; never overwrites an existing file."""
    from importlib import resources

    text = resources.files("mcn_advisor").joinpath("templates", "starter.toml").read_text("utf-8")
    if str(path) == "-":
        sys.stdout.write(text)
        return
    if path.exists():
        raise InputError(f"{path}: already exists; choose another name or remove it first")
    _emit(text, path)
    typer.echo(f"{path}: written; fill it in, then run: mcn-advisor assess {path}", err=True)


@rules_app.command("list")
@user_errors
def rules_list(
    fmt: Annotated[Literal["table", "json"], typer.Option("--format", "-f")] = "table",
    lang: LangOpt = "en",
    packs: PolicyOpt = None,
) -> None:
    """List every rule: id, severity, category, kind and title."""
    from mcn_advisor.render import packview as catalogue

    chosen = _packs(packs)
    text = catalogue.rules_json(chosen, lang) if fmt == "json" else catalogue.rules_table(chosen, lang)
    sys.stdout.write(text)


@rules_app.command("show")
@user_errors
def rules_show(
    rule_id: Annotated[str, typer.Argument(help="A rule id, e.g. DY-LIVE-001.", show_default=False)],
    lang: LangOpt = "en",
    packs: PolicyOpt = None,
) -> None:
    """Explain one rule: what it checks, why, the fields it reads, the actions it triggers,
    and the pack's fixtures where it fires and where it stays silent."""
    from mcn_advisor.core.fixtures import run_fixtures
    from mcn_advisor.render import packview

    chosen = _packs(packs)
    examples = {pack.id: run_fixtures(pack) for pack in chosen}
    sys.stdout.write(packview.rule_detail(chosen, rule_id.upper(), lang, examples))


# --- policy packs: choosing them (--policy), and the `policy` group -------------------
# Every command that assesses or shows the pack takes `packs: PolicyOpt = None` and
# calls `_packs(packs)` once: the built-in default when none is given, else every pack
# named, checked to fit together (unique rule/action ids, one risk matrix).

PolicyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--policy",
        metavar="PACK",
        help="A policy pack: a built-in name (see 'mcn-advisor policy list') or a pack file; "
        "repeat to assess several together [default: douyin-2020].",
        show_default=False,
    ),
]


def _packs(specs: list[str] | None) -> tuple[Pack, ...]:
    from mcn_advisor.pack.select import load_packs

    return load_packs(specs)


def _one_pack(specs: list[str] | None, command: str) -> Pack:
    """The one pack a decision command works with (levers and plans belong to one pack)."""
    packs = _packs(specs)
    if len(packs) > 1:
        raise InputError(f"{command} works with one policy pack at a time; give --policy once")
    return packs[0]


PackArgs = Annotated[
    list[str],
    typer.Argument(help="Pack files, or built-in pack names.", metavar="PACK", show_default=False),
]
policy_app = typer.Typer(help="The policy pack: its timeline; list, validate and test packs.")
app.add_typer(policy_app, name="policy")


@policy_app.callback(invoke_without_command=True)
@user_errors
def policy_timeline(ctx: typer.Context, lang: LangOpt = "en", packs: PolicyOpt = None) -> None:
    """Show the policy's dated timeline, with sources; or list, validate or test packs."""
    if ctx.invoked_subcommand is not None:
        return
    from mcn_advisor.render import packview as catalogue

    sys.stdout.write(catalogue.timeline(_packs(packs), lang))


@policy_app.command("list")
@user_errors
def policy_list(lang: LangOpt = "en") -> None:
    """List the built-in policy packs, by the short name --policy takes."""
    from mcn_advisor.pack.select import DEFAULT, builtin_names, resolve
    from mcn_advisor.render import packview as catalogue

    named = [(name, resolve(name)) for name in builtin_names()]
    sys.stdout.write(catalogue.builtin_packs(named, DEFAULT, lang))


@policy_app.command("validate")
@user_errors
def policy_validate(packs: PackArgs) -> None:
    """Check pack files: every error with its line; warnings for loose ends (exit 0)."""
    from mcn_advisor.pack.checks import loose_ends
    from mcn_advisor.pack.select import resolve

    problems: list[str] = []
    for _, pack in _each_loaded(packs, resolve, problems):
        m = pack.model
        typer.echo(
            f"{pack.source}: ok ({pack.id} {m.pack.version}: {len(m.rules)} rules, "
            f"{len(m.actions)} actions, {len(m.fixtures)} fixtures)"
        )
        for warning in loose_ends(pack):
            typer.echo(f"warning: {warning}", err=True)
    if problems:
        raise InputError(problems)


@policy_app.command("test")
@user_errors
def policy_test(packs: PackArgs) -> None:
    """Run each pack's fixtures: exit 1 when one fails (or a pack has none), 2 for a broken pack."""
    from mcn_advisor.core.fixtures import run_fixtures
    from mcn_advisor.pack.select import resolve
    from mcn_advisor.render import fixtures as packcheck

    problems: list[str] = []
    failed = False
    for _, pack in _each_loaded(packs, resolve, problems):
        results = run_fixtures(pack)
        sys.stdout.write(packcheck.fixture_report(pack, results, color=_color(sys.stdout)))
        failed = failed or not results or not all(r.passed for r in results)
    if problems:
        raise InputError(problems)
    if failed:
        raise typer.Exit(1)


# --- decision support: what-if, levers, diff ---------------------------------------------

Format = Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")]
ProfileArg = Annotated[Path, typer.Argument(help="The MCN profile (TOML).", show_default=False)]


def _show(result: Any, kind: str, fmt: str, lang: str, output: Path | None, inputs: tuple[Path, ...]) -> None:
    """Render a what-if, levers or diff result and write it (the report formats live in render/)."""
    text = _renderer(kind, fmt, output)(result, lang)
    _emit(text, output, protect=inputs)
    if output is not None:
        typer.echo(f"{output}: {kind} written", err=True)


def _profile_and_date(profile: Path, as_of: str | None, pack: Pack) -> tuple[Any, dt.date]:
    from mcn_advisor.pack.select import rule_book
    from mcn_advisor.profile.load import load_profile

    date = _parse_date(as_of)
    prof = load_profile(profile, lambda: rule_book([pack]))
    return prof, date or prof.as_of or dt.date.today()


@app.command("what-if")
@user_errors
def what_if_command(
    profile: ProfileArg,
    assignments: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="FIELD=VALUE",
            help="Change a field (repeatable), e.g. clients.taobao_linked_share=0.3; the value is "
            'read as TOML: true, 0.3, ["suning"].',
            show_default=False,
        ),
    ] = None,
    levers: Annotated[
        list[str] | None,
        typer.Option(
            "--lever",
            metavar="LEVER",
            help="Apply a lever of the policy pack first (repeatable).",
            show_default=False,
        ),
    ] = None,
    rebalance: Annotated[
        bool,
        typer.Option(
            "--rebalance", help="When a --set share breaks its mix, scale the shares not set in proportion."
        ),
    ] = False,
    as_of: AsOf = None,
    fmt: Format = "terminal",
    output: Output = None,
    lang: LangOpt = "en",
    packs: PolicyOpt = None,
) -> None:
    """Assess a profile as is and with changes, side by side: score, money, findings, plan."""
    from mcn_advisor.core.whatif import parse_assignment, what_if

    if not assignments and not levers:
        raise InputError("what-if needs at least one --set FIELD=VALUE or --lever LEVER")
    parsed = [parse_assignment(text) for text in assignments or []]
    pack = _one_pack(packs, "what-if")
    prof, when = _profile_and_date(profile, as_of, pack)
    result = what_if(prof, pack, when, parsed, levers or [], rebalance=rebalance)
    _show(result, "what-if", fmt, lang, output, (profile,))


@app.command("levers")
@user_errors
def levers_command(
    profile: ProfileArg,
    top: Annotated[
        int | None, typer.Option("--top", min=1, help="Show only the N best levers.", show_default=False)
    ] = None,
    as_of: AsOf = None,
    fmt: Format = "terminal",
    output: Output = None,
    lang: LangOpt = "en",
    packs: PolicyOpt = None,
) -> None:
    """Try each lever of the policy pack on a profile and rank them by value per week of effort."""
    from mcn_advisor.core.levers import rank_levers

    pack = _one_pack(packs, "levers")
    prof, when = _profile_and_date(profile, as_of, pack)
    _show(rank_levers(prof, pack, when, top), "levers", fmt, lang, output, (profile,))


@app.command("diff")
@user_errors
def diff_command(
    old: Annotated[Path, typer.Argument(help="The older saved JSON assessment.", show_default=False)],
    new: Annotated[Path, typer.Argument(help="The newer saved JSON assessment.", show_default=False)],
    fmt: Format = "terminal",
    output: Output = None,
    lang: LangOpt = "en",
    packs: PolicyOpt = None,
) -> None:
    """Compare two saved JSON assessments of the same MCN: progress, what is done, what is overdue."""
    from mcn_advisor.core.compare import diff, saved_snapshot
    from mcn_advisor.files.saved import read_json

    pack = _one_pack(packs, "diff")
    before, after = (saved_snapshot(read_json(path), path) for path in (old, new))
    result = diff(before, after, pack, (str(old), str(new)))
    _show(result, "diff", fmt, lang, output, (old, new))


def main() -> None:
    """Console entry point."""
    try:
        only_invoked(sys.argv[1:])()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly.
        sys.stderr.close()
        sys.exit(0)


def only_invoked(args: list[str]) -> typer.Typer:
    """``app`` with only the command ``args`` start with (a run needs one, and typer reads the
    signature and options of every command it is given); the whole app when they start with
    none (``--help``, ``--version``, a typo), so that help lists every command and a typo
    gets its suggestion."""
    word = args[0] if args else ""
    commands = [c for c in app.registered_commands if word in (c.name, _command_name(c))]
    groups = [g for g in app.registered_groups if g.name == word]
    if word.startswith("-") or not commands and not groups:
        return app
    only = copy.copy(app)
    only.registered_commands, only.registered_groups = commands, groups
    return only


def _command_name(info: Any) -> str | None:
    return None if info.name or info.callback is None else info.callback.__name__.lower().replace("_", "-")


# --- batch: a portfolio of profiles --------------------------------------------------


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    if total < 2 or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    # No refresh thread (auto_refresh=False): worker processes are forked while it runs.
    bar = Progress(
        TextColumn("assessing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        auto_refresh=False,
    )
    task = bar.add_task("assessing", total=total)
    last = 0.0

    def tick() -> None:
        nonlocal last
        bar.advance(task)
        now = time.monotonic()
        if now - last >= 0.1:
            bar.refresh()
            last = now

    with bar:
        yield tick


@app.command()
@user_errors
def batch(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Profiles (TOML), folders (every *.toml below), globs, or CSV files with one MCN per row.",
            metavar="PATH",
            show_default=False,
        ),
    ],
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir",
            "-o",
            help="Also write one report per profile and summary.json/.csv/.md into this folder.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        SummaryFormat,
        typer.Option("--format", "-f", help="Format of the summary on stdout."),
    ] = "table",
    fail_on: Annotated[
        Severity | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when any profile has a risk finding of this severity or higher.",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            metavar="N",
            help="Processes to assess with [default: every core for 200 profiles or more, else 1].",
            show_default=False,
        ),
    ] = None,
    as_of: AsOf = None,
    lang: LangOpt = "en",
    packs: PolicyOpt = None,
) -> None:
    """Assess a portfolio of profiles: one summary, optional reports, a CI-style exit code."""
    from mcn_advisor.batch import run as batches
    from mcn_advisor.batch.discover import discover

    date = _parse_date(as_of)
    inputs = discover(paths, exclude=out_dir)
    for note in inputs.notes:
        typer.echo(f"note: {note}", err=True)
    settings = batches.Settings(
        today=dt.date.today(),
        as_of=date,
        lang=lang,
        out_dir=out_dir,
        formats=batches.report_renderers() if out_dir is not None else {},
        fail_on=fail_on,
        packs=tuple(packs or ()),
    )
    with _progress(inputs.total) as tick:
        result = batches.run(inputs, settings, jobs=jobs, on_result=tick)
    if out_dir is not None:
        batches.write_summaries(out_dir, result, lang)
    _emit(render.pieces("portfolio", fmt)(result, lang), None)
    tally = f"{result.assessed:,} assessed, {len(result.failures):,} failed"
    if fail_on:
        tally += f", {result.failing:,} with a finding at or above {fail_on}"
    if out_dir is not None:
        tally += f"; reports in {out_dir}"
    typer.echo(tally, err=True)
    if result.exit_code:
        raise typer.Exit(result.exit_code)
