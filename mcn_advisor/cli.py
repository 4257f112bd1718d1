"""The command line: parse arguments, call the core once, render, write, map errors to exit codes.

Exit codes: 0 done, 1 a finding at or above --fail-on, 2 bad input or usage; stopped by
a signal, 128 + its number (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP, 141 a closed pipe).
Every line it prints about the run (errors, notes, "written") goes through ``_say``,
which shows control characters instead of obeying them.
This is the only module that reads the clock (the default --as-of) or the terminal.
Heavy modules (pydantic, the engine, rich renderers) are imported inside commands so
that ``--help`` and ``--version`` start fast.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import io
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar, get_args

import typer

from mcn_advisor import __version__, render
from mcn_advisor.errors import InputError, Stopped, say, shorten, visible
from mcn_advisor.files.limits import date_problem
from mcn_advisor.render import ReportFile, ReportFormat, SummaryFormat
from mcn_advisor.vocab import LANGS, Lang, Severity, at_or_above

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
    """Run a command as one run: bad input becomes one line per problem on stderr and exit
    code 2; the files it reads are protected from its writes (``files.write``); a closed
    output pipe stops it quietly."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        from mcn_advisor.files.write import one_run

        try:
            with one_run():
                return fn(*args, **kwargs)
        except InputError as exc:
            lang = _lang_of(kwargs.get("lang"), kwargs.get("ctx"))
            for line in exc.problems:
                _tell(lang, "error_line", line)
            raise typer.Exit(2) from None
        except BrokenPipeError:  # the reader went away (`| head`): as if SIGPIPE had ended us
            raise Stopped(signal.SIGPIPE) from None
        except Exception:
            # A stop raised inside a library that wraps what it catches (pydantic turns it
            # into a serialisation error) is still the stop.
            if _stopping:
                raise Stopped(_stopping[-1]) from None
            raise

    return run  # type: ignore[return-value]


def _lang_of(lang: str | None, ctx: typer.Context | None = None) -> str:
    """The language a command was asked to speak: its --lang, else its group's (`policy --lang zh
    validate`: ``ctx``, the context a command of a group takes), else English."""
    if lang is None:
        lang = (getattr(ctx, "obj", None) or {}).get("lang")
    return lang if lang in LANGS else "en"


def _tell(lang: str, key: str, said: str) -> None:
    """An error, warning or note (``errors.say``) on stderr in ``lang``: ``错误：…``, ``error: …``."""
    from mcn_advisor.i18n import t, translate

    _say(t(lang, key, line=translate(lang, said)), err=True)


def _say(text: str, *, err: bool = False) -> None:
    """One line about the run, control characters (from a file name, an agency name, a
    pack) shown instead of obeyed: the one place such lines are printed."""
    typer.echo(visible(text, one_line=True), err=err)


def one_of(kind: Any) -> dict[str, Any]:
    """What an option taking one of the values of ``kind`` (a Literal) needs: its choices as the
    metavar ("[en|zh]"), and a check whose error lists them ("'pdf' is not one of: table, json,
    ..."; typer's own reads "Value error, ..."). Works for a repeatable option too."""
    choices = get_args(kind)

    def check(value: Any) -> Any:
        for item in value if isinstance(value, list) else [value]:
            if item is not None and item not in choices:
                shown = visible(shorten(str(item), 40))
                raise typer.BadParameter(f"'{shown}' is not one of: {', '.join(choices)}")
        return value

    return {"metavar": "[" + "|".join(choices) + "]", "callback": check}


def at_least_one(value: int | None) -> int | None:
    """A count of 1 or more (checked here: typer's own min=1 prints "[x>=1]" in the help)."""
    if value is not None and value < 1:
        raise typer.BadParameter(f"{value} is not a count: give 1 or more")
    return value


def _plain_metavars() -> None:
    """Help shows an argument by its metavar alone ("PROFILE"), as it does an option: typer 0.2x
    adds the Python type after it ("PROFILE <path>", "PATH <list[Path]>")."""
    from typer import core

    argument = getattr(core, "TyperArgument", None)
    typed = getattr(argument, "display_type_rich", None)
    if typed is None:  # another typer: nothing to hide
        return

    def shown(self: Any, ctx: Any) -> str | None:
        return None if self.metavar is not None else typed(self, ctx)

    argument.display_type_rich = shown  # type: ignore[union-attr]


_plain_metavars()


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
        date = dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{visible(shorten(value, 40))}' is not a date; use YYYY-MM-DD") from None
    problem = date_problem(date)
    if problem:
        raise typer.BadParameter(problem, param_hint="'--as-of'")
    return date


def _color(stream: Any) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _emit(text: str | bytes | Iterable[str], output: Path | None) -> None:
    """The report (bytes, text, or its pieces as they come) to ``output`` (whole, never over an
    input: ``files.write``) or to stdout (``-``)."""
    if output is None or str(output) == "-":
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.writelines([text] if isinstance(text, str) else text)
            sys.stdout.flush()
        return
    from mcn_advisor.files.write import write_atomic

    write_atomic(output, text)


def _width() -> int:
    """Columns to lay text out in: $COLUMNS when set, else the terminal's, else 80 (piped)."""
    return max(20, shutil.get_terminal_size((80, 24)).columns)


def _write_report(result: Any, kind: str, fmt: str, lang: str, output: Path | None) -> None:
    """Render ``result`` as ``fmt`` and write it; ``pdf`` is the HTML report printed by a
    headless Chromium or Chrome (files/pdf.py), dated with the result's date."""
    to_stdout = output is None or str(output) == "-"
    if to_stdout:
        _no_binary_to_terminal(fmt, f"give --output FILE.{fmt} or redirect stdout")
    text = _renderer(kind, fmt, output)(result, lang)
    if fmt in render.PRINTED:
        from mcn_advisor.files.pdf import print_pdf

        day = result.comparison.after.as_of if kind == "diff" else result.as_of
        _emit(print_pdf(text, day), output)
    else:
        _emit(text, output)


def _no_binary_to_terminal(fmt: str, how: str) -> None:
    if fmt in render.BINARY and sys.stdout.isatty():
        raise InputError(say("--format {fmt} writes a binary file: {how}", fmt=fmt, how=how))


def _stdout_is_a_file() -> bool:
    """Whether stdout was redirected to a file (``> summary.csv``), not a pipe or a terminal."""
    import stat

    try:
        return stat.S_ISREG(os.fstat(sys.stdout.fileno()).st_mode)
    except (OSError, ValueError, io.UnsupportedOperation):  # no real descriptor (a test's capture)
        return False


def _renderer(kind: str, fmt: str, output: Path | None) -> render.Renderer:
    """The renderer of ``kind`` as ``fmt``, laid out for stdout (80 columns into a file)."""
    to_tty = output is None and sys.stdout.isatty()
    width = _width() if output is None else 80
    return render.get(kind, fmt, width=width, color=to_tty and _color(sys.stdout))


ProfileArg = Annotated[
    Path, typer.Argument(help="The MCN profile (TOML).", metavar="PROFILE", show_default=False)
]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="Assess as of this date [default: the profile's as_of, else today].",
    ),
]
LangOpt = Annotated[str, typer.Option("--lang", **one_of(Lang), help="Language of the report's text.")]


@app.command()
@user_errors
def assess(
    profile: ProfileArg,
    as_of: AsOf = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", **one_of(ReportFormat), help="Report format.")
    ] = "terminal",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write the report to this file instead of stdout."
        ),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            **one_of(Severity),
            help="Exit 1 when a risk finding has this severity or higher.",
            show_default=False,
        ),
    ] = None,
    lang: LangOpt = "en",
    packs: PolicyOpt = None,
) -> None:
    """Assess one profile: score, money at risk, findings and a plan.

    Exposure score, money at risk, findings, risks and a dated plan.
    """
    from mcn_advisor.core.combine import assess_all
    from mcn_advisor.pack.select import rule_book
    from mcn_advisor.profile.load import load_profile

    date = _parse_date(as_of)
    chosen = _packs(packs)
    prof = load_profile(profile, lambda: rule_book(chosen))
    when = date or prof.as_of or dt.date.today()
    result = assess_all(prof, chosen, when)
    _write_report(result, "assessment", fmt, lang, output)
    if output is not None and str(output) != "-":
        from mcn_advisor.i18n import t

        e = result.exposure
        line = t(
            lang,
            "run_assessed",
            output=output,
            agency=result.agency,
            score=f"{e.score:g}",
            band=t(lang, f"band_{e.band}"),
            findings=len(result.findings),
            actions=len(_actions(result)),
        )
        _say(line, err=True)
    if at_or_above(result.worst_open_risk(), fail_on):
        raise typer.Exit(1)


def _actions(a: Assessment) -> list[str]:
    return [act.id for phase in a.plan.phases for act in phase.actions]


@app.command()
@user_errors
def validate(
    profiles: Annotated[
        list[Path], typer.Argument(help="Profiles to check.", metavar="PROFILE", show_default=False)
    ],
    packs: PolicyOpt = None,
    lang: LangOpt = "en",
) -> None:
    """Check profiles without assessing them.

    Every problem is listed, one per line. Accepted risks must name rules of the policy
    packs (the built-in one by default); the packs are read only when a profile accepts a risk.
    """
    from mcn_advisor.i18n import t
    from mcn_advisor.profile.load import load_profile

    @functools.cache
    def book() -> RuleBook:
        from mcn_advisor.pack.select import rule_book  # the pack machinery, only when needed

        return rule_book(_packs(packs))

    problems: list[str] = []
    for path, prof in _each_loaded(profiles, lambda p: load_profile(p, book), problems):
        _say(t(lang, "run_valid", path=str(path), agency=prof.agency.name))
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
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write the schema to this file.")
    ] = None,
    pack: Annotated[
        bool, typer.Option("--pack", help="The schema of policy pack files instead of profiles.")
    ] = False,
) -> None:
    """Print the JSON Schema of profiles (or of policy packs).

    For editors: with --pack, the schema of policy pack files instead of profiles.
    """
    import json

    from mcn_advisor.pack.models import pack_model
    from mcn_advisor.profile.model import Profile, json_schema

    model, what = (pack_model(), "policy pack") if pack else (Profile, "profile")
    doc = json_schema(model, f"mcn-advisor {what}, schema_version 1")
    _emit(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", output)


SCHEMA_FILE = "mcn-profile.schema.json"


@app.command()
@user_errors
def init(
    path: Annotated[
        Path, typer.Argument(help="Where to write the starter profile ('-' for stdout).", metavar="FILE")
    ] = Path("mcn-profile.toml"),
    csv: Annotated[
        bool,
        typer.Option(
            "--csv",
            help="Write a CSV survey template instead (default name mcn-survey.csv): a header of "
            "every column, Chinese names with --lang zh, and one example row.",
        ),
    ] = False,
    lang: LangOpt = "en",
) -> None:
    """Write a starter profile to fill in, and its JSON Schema.

    The profile is commented; the schema, beside it, lets editors check it. Never overwrites
    an existing file.
    """
    import json
    from importlib import resources

    from mcn_advisor.i18n import t
    from mcn_advisor.profile.model import Profile, json_schema

    text = resources.files("mcn_advisor").joinpath("templates", "starter.toml").read_text("utf-8")
    if csv:
        from mcn_advisor.profile.csvfile import template

        if path == Path("mcn-profile.toml"):
            path = Path("mcn-survey.csv")
        text = template(text, lang)
    if str(path) == "-":
        sys.stdout.write(text)
        return
    if path.exists():
        raise InputError(say("{path}: already exists; choose another name or remove it first", path=path))
    if csv:
        _emit("\ufeff" + text, path)  # a byte-order mark: Excel and WPS then read it as UTF-8
        _say(t(lang, "run_init_csv", path=str(path)), err=True)
        return
    _emit(text, path)
    _say(t(lang, "run_init", path=str(path)), err=True)
    schema_path = path.parent / SCHEMA_FILE  # the starter's #:schema line points here
    if not schema_path.exists():
        doc = json_schema(Profile, "mcn-advisor profile, schema_version 1")
        _emit(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", schema_path)
        _say(t(lang, "run_init_schema", path=str(schema_path)), err=True)


@rules_app.command("list")
@user_errors
def rules_list(
    fmt: Annotated[
        str, typer.Option("--format", "-f", **one_of(Literal["table", "json"]), help="Output format.")
    ] = "table",
    lang: LangOpt = "en",
    packs: PolicyOpt = None,
) -> None:
    """List every rule: id, severity, category, kind and title."""
    from mcn_advisor.render import packview as catalogue

    chosen = _packs(packs)
    text = (
        catalogue.rules_json(chosen, lang)
        if fmt == "json"
        else catalogue.rules_table(chosen, lang, width=_width())
    )
    sys.stdout.write(text)


@rules_app.command("show")
@user_errors
def rules_show(
    rule_id: Annotated[
        str, typer.Argument(help="A rule id, e.g. DY-LIVE-001.", metavar="RULE_ID", show_default=False)
    ],
    lang: LangOpt = "en",
    packs: PolicyOpt = None,
) -> None:
    """Explain one rule: what it checks, why, and where it fires.

    What it checks, why, the fields it reads, the actions it triggers, and the pack's
    fixtures where it fires and where it stays silent.
    """
    from mcn_advisor.core.fixtures import run_fixtures
    from mcn_advisor.render import packview

    chosen = _packs(packs)
    examples = {pack.id: run_fixtures(pack) for pack in chosen}
    sys.stdout.write(packview.rule_detail(chosen, rule_id.upper(), lang, examples, width=_width()))


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
        raise InputError(
            say("{command} works with one policy pack at a time; give --policy once", command=command)
        )
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
    """The policy's dated timeline, with sources; or list, validate or test packs."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"lang": lang}  # `policy --lang zh list` speaks Chinese as `policy list --lang zh` does
        return
    from mcn_advisor.render import packview as catalogue

    sys.stdout.write(catalogue.timeline(_packs(packs), lang, width=_width()))


@policy_app.command("list")
@user_errors
def policy_list(
    ctx: typer.Context,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang", **one_of(Lang), help="Language of the text [default: the group's --lang, else en]."
        ),
    ] = None,
) -> None:
    """List the built-in policy packs.

    By the short name --policy takes.
    """
    lang = lang or (ctx.obj or {}).get("lang", "en")
    from mcn_advisor.pack.select import DEFAULT, builtin_names, resolve
    from mcn_advisor.render import packview as catalogue

    named = [(name, resolve(name)) for name in builtin_names()]
    sys.stdout.write(catalogue.builtin_packs(named, DEFAULT, lang, width=_width()))


@policy_app.command("validate")
@user_errors
def policy_validate(ctx: typer.Context, packs: PackArgs) -> None:
    """Check pack files: every error with its line.

    Warnings for loose ends (exit 0).
    """
    from mcn_advisor.i18n import t
    from mcn_advisor.pack.checks import loose_ends
    from mcn_advisor.pack.select import resolve

    lang = _lang_of(None, ctx)

    problems: list[str] = []
    for _, pack in _each_loaded(packs, resolve, problems):
        m = pack.model
        _say(
            t(
                lang,
                "policy_ok",
                source=pack.source,
                pack=pack.id,
                version=m.pack.version,
                rules=len(m.rules),
                actions=len(m.actions),
                fixtures=len(m.fixtures),
            )
        )
        for warning in loose_ends(pack):
            _tell(lang, "warning_line", warning)
    if problems:
        raise InputError(problems)


@policy_app.command("test")
@user_errors
def policy_test(ctx: typer.Context, packs: PackArgs) -> None:
    """Run each pack's fixtures.

    Exit 1 when one fails (or a pack has none), 2 for a broken pack.
    """
    from mcn_advisor.core.fixtures import run_fixtures
    from mcn_advisor.pack.select import resolve
    from mcn_advisor.render import fixtures as packcheck

    lang = _lang_of(None, ctx)
    problems: list[str] = []
    failed = False
    for _, pack in _each_loaded(packs, resolve, problems):
        results = run_fixtures(pack)
        sys.stdout.write(packcheck.fixture_report(pack, results, lang, color=_color(sys.stdout)))
        failed = failed or not results or not all(r.passed for r in results)
    if problems:
        raise InputError(problems)
    if failed:
        raise typer.Exit(1)


# --- decision support: what-if, levers, diff ---------------------------------------------

Format = Annotated[str, typer.Option("--format", "-f", **one_of(ReportFormat), help="Output format.")]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to this file instead of stdout.")
]


def _show(result: Any, kind: str, fmt: str, lang: str, output: Path | None) -> None:
    """Render a what-if, levers or diff result and write it (the report formats live in render/)."""
    _write_report(result, kind, fmt, lang, output)
    if output is not None and str(output) != "-":
        from mcn_advisor.i18n import t

        _say(t(lang, WRITTEN[kind], output=output), err=True)


WRITTEN = {"what-if": "run_written_what_if", "levers": "run_written_levers", "diff": "run_written_diff"}


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
    """Assess a profile as is and with changes, side by side.

    Score, money, findings and plan, as is and with the changes.
    """
    from mcn_advisor.core.whatif import parse_assignment, what_if

    if not assignments and not levers:
        raise InputError(say("what-if needs at least one --set FIELD=VALUE or --lever LEVER"))
    parsed = [parse_assignment(text) for text in assignments or []]
    pack = _one_pack(packs, "what-if")
    prof, when = _profile_and_date(profile, as_of, pack)
    result = what_if(prof, pack, when, parsed, levers or [], rebalance=rebalance)
    _show(result, "what-if", fmt, lang, output)


@app.command("levers")
@user_errors
def levers_command(
    profile: ProfileArg,
    top: Annotated[
        int | None,
        typer.Option(
            "--top",
            metavar="N",
            callback=at_least_one,
            help="Show only the N best levers.",
            show_default=False,
        ),
    ] = None,
    as_of: AsOf = None,
    fmt: Format = "terminal",
    output: Output = None,
    lang: LangOpt = "en",
    packs: PolicyOpt = None,
) -> None:
    """Rank the policy pack's levers on a profile.

    Each lever is tried on the profile; they are ranked by value per week of effort.
    """
    from mcn_advisor.core.levers import rank_levers

    pack = _one_pack(packs, "levers")
    prof, when = _profile_and_date(profile, as_of, pack)
    _show(rank_levers(prof, pack, when, top), "levers", fmt, lang, output)


@app.command("diff")
@user_errors
def diff_command(
    old: Annotated[
        Path, typer.Argument(help="The older saved JSON assessment.", metavar="OLD", show_default=False)
    ],
    new: Annotated[
        Path, typer.Argument(help="The newer saved JSON assessment.", metavar="NEW", show_default=False)
    ],
    fmt: Format = "terminal",
    output: Output = None,
    lang: LangOpt = "en",
    packs: PolicyOpt = None,
) -> None:
    """Compare two saved JSON assessments of the same MCN.

    Progress, what is done, what is overdue.
    """
    from mcn_advisor.core.compare import diff, saved_snapshot
    from mcn_advisor.files.saved import read_json

    pack = _one_pack(packs, "diff")
    before, after = (saved_snapshot(read_json(path), path) for path in (old, new))
    result = diff(before, after, pack, (str(old), str(new)))
    _show(result, "diff", fmt, lang, output)


def main() -> None:
    """Console entry point."""
    _stop_on_signals()
    try:
        only_invoked(sys.argv[1:])()
    except Stopped as exc:
        _stopped(exc.signum)
    except KeyboardInterrupt:  # SIGINT while its handler was not ours
        _stopped(signal.SIGINT)
    except BrokenPipeError:
        _stopped(signal.SIGPIPE)


_stopping: list[int] = []  # the stop signals received, for user_errors


def _stop_on_signals() -> None:
    """SIGINT, SIGTERM and SIGHUP all stop a run the same way: ``Stopped`` unwinds it, so
    workers are ended and temporary files removed on the way out. A signal the caller
    ignores (``nohup``, a background job) stays ignored."""

    def stop(signum: int, frame: Any) -> None:
        _stopping.append(signum)
        raise Stopped(signum)

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, stop)
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) == signal.SIG_DFL:
            signal.signal(sig, stop)


def _stopped(signum: int) -> None:
    """Exit as a shell shows a process ended by ``signum``: 128 + its number."""
    if signum == getattr(signal, "SIGPIPE", -1):
        # Nobody reads stdout any more: point it at /dev/null so that the final flush
        # cannot fail again with a traceback ("Exception ignored ... BrokenPipeError").
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    else:
        with contextlib.suppress(OSError, ValueError):
            typer.echo(
                "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}",
                err=True,
            )
    sys.exit(128 + signum)


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

    done = 0

    def tick() -> None:
        nonlocal last, done, total
        done += 1
        if done > total:  # a CSV's rows are expected from its lines: one on several lines, say
            total = done
            bar.update(task, total=total)
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
            metavar="DIR",
            help="Also write one report per profile (see --report) and summary.json/.csv/.md/.html "
            "into this folder.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", **one_of(SummaryFormat), help="Format of the summary on stdout."),
    ] = "table",
    reports: Annotated[
        list[str] | None,
        typer.Option(
            "--report",
            "-r",
            **one_of(ReportFile),  # typer takes no list of a Literal: checked here
            help="Format of the per-profile reports in --out-dir (repeatable) [default: json and markdown].",
            show_default=False,
        ),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            **one_of(Severity),
            help="Exit 1 when any profile has a risk finding of this severity or higher.",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            callback=at_least_one,
            help="Processes to assess with [default: every core for 200 profiles or more, else 1].",
            show_default=False,
        ),
    ] = None,
    as_of: AsOf = None,
    lang: LangOpt = "en",
    packs: PolicyOpt = None,
) -> None:
    """Assess a portfolio of profiles.

    One summary, optional reports, a CI-style exit code.
    """
    from mcn_advisor.batch import run as batches
    from mcn_advisor.batch.discover import discover
    from mcn_advisor.i18n import t

    date = _parse_date(as_of)
    if reports and out_dir is None:
        raise InputError(say("--report writes per-profile reports into --out-dir; give --out-dir DIR"))
    if out_dir is None:
        _no_binary_to_terminal(fmt, "redirect stdout (> summary.xlsx) or give --out-dir DIR")
    inputs = discover(paths, exclude=out_dir)
    for note in inputs.notes:
        _tell(lang, "note_line", note)
    for item in inputs.inputs:
        if item.encoding in ("GB18030", "UTF-16"):  # a guess a user should be able to check
            _say(t(lang, "batch_read_as", file=item.label, encoding=item.encoding), err=True)
    settings = batches.Settings(
        today=dt.date.today(),
        as_of=date,
        lang=lang,
        out_dir=out_dir,
        formats=batches.report_renderers(reports or batches.DEFAULT_REPORTS) if out_dir is not None else {},
        fail_on=fail_on,
        packs=tuple(packs or ()),
        table=fmt == "table",
    )
    with _progress(inputs.total) as tick:
        result = batches.run(inputs, settings, jobs=jobs, on_result=tick)
    problems: list[str] = []
    if out_dir is not None:
        try:
            batches.write_summaries(out_dir, result, lang, xlsx=fmt == "xlsx")
        except InputError as exc:  # said after the summary, which is printed whatever happens
            problems = exc.problems
    if fmt != "xlsx" or out_dir is None:  # with --out-dir, the workbook is summary.xlsx there
        _emit(batches.summary_text(result, fmt, lang, bom=_stdout_is_a_file(), width=_width()), None)
    parts = [t(lang, "batch_counts", assessed=f"{result.assessed:,}", failed=f"{len(result.failures):,}")]
    if fail_on:
        parts.append(
            t(lang, "run_tally_fail_on", count=f"{result.failing:,}", severity=t(lang, f"sev_{fail_on}"))
        )
    if out_dir is not None:
        parts.append(t(lang, "run_tally_reports", folder=str(out_dir)))
    _say(t(lang, "item_sep").join(parts), err=True)
    if problems:
        raise InputError(problems)
    if result.exit_code:
        raise typer.Exit(result.exit_code)
