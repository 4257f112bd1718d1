"""The batch's worker processes: a stop at any point, and a worker that dies, never hang a run
or lose a profile silently."""

from __future__ import annotations

import csv
import faulthandler
import io
import json
import multiprocessing
import os
import signal
import sys
from pathlib import Path

import pytest

from mcn_advisor.batch import run as batch
from mcn_advisor.batch.discover import discover
from mcn_advisor.errors import InputError, Stopped
from tests.batch.test_batch import EXAMPLES, csv_of, run, settings

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="the tests patch workers through fork"
)
ROWS = 240  # pieces of 15 rows with two workers


@pytest.fixture(autouse=True)
def watchdog():
    """A hang fails the test run with every thread's stack instead of waiting for CI's limit."""
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()
    assert multiprocessing.active_children() == []  # every worker ended and reaped


@pytest.fixture(scope="module")
def survey(tmp_path_factory) -> Path:
    """ROWS good profiles, one a line (a row's number is its line: the header is line 1)."""
    path = tmp_path_factory.mktemp("survey") / "survey.csv"
    examples = list(csv.DictReader(io.StringIO(csv_of(EXAMPLES))))
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, list(examples[0]), lineterminator="\n")
        out.writeheader()
        for i in range(ROWS):
            row = examples[i % len(examples)]
            out.writerow({**row, "agency.name": f"{row['agency.name']} {i}"})
    return path


def rows_of(path: Path, jobs: int, **kw):
    result = batch.run(discover([path], exclude=kw.get("out_dir")), settings(**kw), jobs=jobs)
    return list(result.rows), [(f.source, f.problems) for f in result.failures]


@pytest.fixture(scope="module")
def expected(survey):
    rows, failures = rows_of(survey, 1)
    assert len(rows) == ROWS and failures == []
    return rows, failures


def on_row(monkeypatch, line: int, act) -> None:
    """Make the worker that assesses the survey's ``line`` do ``act()`` first (fork inherits it)."""
    real = batch.assess_one

    def assess_one(task, cfg=None):
        if task.source.endswith(f":{line}"):
            act()
        return real(task, cfg)

    monkeypatch.setattr(batch, "assess_one", assess_one)


@pytest.fixture
def stop_with_stopped():
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: (_ for _ in ()).throw(Stopped(signum)))
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.mark.parametrize("jobs", [2, 3])
@pytest.mark.parametrize("at", [1, 2, 15, 16, 31, 100, 239])
def test_a_stop_between_results_ends_every_worker(survey, jobs, at, stop_with_stopped):
    seen = 0

    def count() -> None:
        nonlocal seen
        seen += 1
        if seen == at:
            os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(Stopped):
        batch.run(discover([survey]), settings(), jobs=jobs, on_result=count)
    assert seen == at  # nothing folded after the stop


@pytest.mark.parametrize("jobs", [2, 3])
@pytest.mark.parametrize("line", [2, 17, 40, 200])
def test_a_stop_arriving_while_the_parent_waits_or_reads_ends_every_worker(
    survey, monkeypatch, jobs, line, stop_with_stopped
):
    # Sent by a worker, the signal reaches the parent wherever it is: waiting for results,
    # reading one off a pipe, or reading the survey ahead.
    on_row(monkeypatch, line, lambda: os.kill(os.getppid(), signal.SIGTERM))
    with pytest.raises(Stopped):
        batch.run(discover([survey]), settings(), jobs=jobs)


def _whole_reports(out: Path) -> list[str]:
    """The reports a stopped run left: no hidden file, each one whole."""
    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if n.startswith(".")]  # no hidden file left behind
    for name in names:
        text = (out / name).read_text(encoding="utf-8")
        assert json.loads(text)["agency"] if name.endswith(".json") else text.endswith("\n")
    return names


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_stop_with_reports_publishes_the_profiles_assessed_whole(survey, tmp_path, jobs, stop_with_stopped):
    out, seen = tmp_path / "out", 0

    def count() -> None:
        nonlocal seen
        seen += 1
        if seen == 60:
            os.kill(os.getpid(), signal.SIGTERM)

    renderers = batch.report_renderers()
    with pytest.raises(Stopped):
        batch.run(discover([survey]), settings(out_dir=out, formats=renderers), jobs=jobs, on_result=count)
    assert len(_whole_reports(out)) == 60 * len(renderers)  # the 60 folded, and no other


def test_a_stop_from_a_worker_leaves_only_whole_reports(survey, tmp_path, monkeypatch, stop_with_stopped):
    # How many were folded when the signal arrives depends on timing (none, on a loaded
    # machine); what is left is whole whatever it is.
    out = tmp_path / "out"
    on_row(monkeypatch, 60, lambda: os.kill(os.getppid(), signal.SIGTERM))
    with pytest.raises(Stopped):
        batch.run(discover([survey]), settings(out_dir=out, formats=batch.report_renderers()), jobs=2)
    _whole_reports(out)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_second_stop_while_reports_are_published_leaves_no_hidden_file(
    survey, tmp_path, monkeypatch, stop_with_stopped, jobs
):
    out = tmp_path / "out"
    real = batch.publish
    sent = []

    def publish(paths, token):  # the second signal lands in the middle of the clean-up
        if not sent:
            sent.append(os.kill(os.getpid(), signal.SIGTERM))
        return real(paths, token)

    monkeypatch.setattr(batch, "publish", publish)
    on_row(monkeypatch, 30, lambda: os.kill(os.getppid() if jobs > 1 else os.getpid(), signal.SIGTERM))
    with pytest.raises(Stopped):
        batch.run(discover([survey]), settings(out_dir=out, formats=batch.report_renderers()), jobs=jobs)
    assert sent and not [p.name for p in out.iterdir() if p.name.startswith(".")]


def test_a_worker_killed_midway_loses_nothing(survey, tmp_path, monkeypatch, expected):
    # Killed once (the system's OOM killer, a user's kill -9): its piece is assessed again.
    mark = tmp_path / "killed"

    def die_once() -> None:
        if not mark.exists():
            mark.touch()
            os.kill(os.getpid(), signal.SIGKILL)

    on_row(monkeypatch, 50, die_once)
    assert rows_of(survey, 2) == expected
    assert mark.exists()


def test_two_profiles_killing_a_worker_once_each_lose_nothing(survey, tmp_path, monkeypatch, expected):
    # Only a profile whose worker dies twice while it is assessed on its own fails: here
    # line 50 kills the piece's worker, then line 51 (never begun before) kills its own once.
    real = batch.assess_one

    def assess_one(task, cfg=None):
        line = task.source.rsplit(":", 1)[1]
        mark = tmp_path / f"killed{line}"
        if line in ("50", "51") and not mark.exists():
            mark.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(task, cfg)

    monkeypatch.setattr(batch, "assess_one", assess_one)
    assert rows_of(survey, 2) == expected
    assert (tmp_path / "killed50").exists() and (tmp_path / "killed51").exists()


def test_a_stop_ends_a_worker_stopped_by_sigstop_at_once(survey, monkeypatch, stop_with_stopped):
    def stop_both() -> None:
        os.kill(os.getppid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGSTOP)  # SIGTERM would wait for a SIGCONT; SIGKILL does not

    on_row(monkeypatch, 40, stop_both)
    with pytest.raises(Stopped):
        batch.run(discover([survey]), settings(), jobs=2)


def test_a_profile_that_kills_its_worker_fails_alone(survey, monkeypatch, expected):
    on_row(monkeypatch, 50, lambda: os.kill(os.getpid(), signal.SIGKILL))
    rows, failures = rows_of(survey, 2)
    source = f"{survey}:50"
    assert failures == [(source, (f"{source}: the process assessing it was killed (SIGKILL)",))]
    assert rows == [r for r in expected[0] if r.source != source]  # its piece's others too


def test_a_profile_that_ends_its_worker_fails_alone_with_the_exit_code(survey, monkeypatch):
    on_row(monkeypatch, 7, lambda: os._exit(9))
    rows, failures = rows_of(survey, 2)
    assert failures == [(f"{survey}:7", (f"{survey}:7: the process assessing it stopped (exit code 9)",))]
    assert len(rows) == ROWS - 1


def test_workers_that_cannot_start_stop_the_run_with_one_clear_error(survey, monkeypatch):
    monkeypatch.setattr(batch, "_init_worker", lambda *args: os._exit(3))
    with pytest.raises(InputError) as caught:
        batch.run(discover([survey]), settings(), jobs=2)
    assert caught.value.problems == [
        "the batch's worker processes keep stopping before they assess anything (exit code 3); "
        "--jobs 1 runs it in this process"
    ]


def test_the_command_says_so_in_one_line_and_exits_2(survey, monkeypatch):
    monkeypatch.setattr(batch, "_init_worker", lambda *args: os._exit(3))
    r = run(str(survey), "--jobs", "2")
    assert r.exit_code == 2 and "Traceback" not in r.stdout + r.stderr
    assert r.stderr.strip() == (
        "error: the batch's worker processes keep stopping before they assess anything (exit code 3); "
        "--jobs 1 runs it in this process"
    )
    r = run(str(survey), "--jobs", "2", "--lang", "zh")
    assert r.exit_code == 2 and r.stderr.startswith("错误：批量评估的工作进程")


def test_a_profile_killing_its_worker_is_a_failure_line_of_the_summary(survey, monkeypatch):
    on_row(monkeypatch, 9, lambda: os.kill(os.getpid(), signal.SIGKILL))
    r = run(str(survey), "--jobs", "2", "-f", "json")
    assert r.exit_code == 2
    failures = json.loads(r.stdout)["failures"]
    said = f"{survey}:9: the process assessing it was killed (SIGKILL)"
    assert failures == [{"source": f"{survey}:9", "problems": [said]}]


def test_a_bug_in_a_worker_is_raised_in_the_parent(survey, monkeypatch):
    monkeypatch.setattr(batch, "_assess_in_worker", lambda piece: 1 / 0)
    with pytest.raises(RuntimeError, match="ZeroDivisionError: division by zero"):
        batch.run(discover([survey]), settings(), jobs=2)


def test_a_result_that_cannot_travel_back_is_raised_in_the_parent(survey, monkeypatch):
    monkeypatch.setattr(batch, "_assess_in_worker", lambda piece: [lambda: None])
    with pytest.raises(RuntimeError, match="a result that cannot be sent back"):
        batch.run(discover([survey]), settings(), jobs=2)


def test_workers_started_by_spawn_load_their_own_packs_and_give_the_same_rows(survey, expected):
    # Where there is no fork (Windows) or it is not the default (macOS), a worker is a fresh
    # interpreter: the settings travel pickled and it loads the packs itself.
    from mcn_advisor.batch import pool

    results = pool.imap(
        multiprocessing.get_context("spawn"),
        2,
        batch.work(discover([survey]), None, 60),
        batch._assess_in_worker,
        init=batch._init_worker,
        initargs=(settings(), frozenset(), os.getpid()),
        split=batch._one_by_one,
        lost=batch._lost,
    )
    rows = list(map(batch.received, results))
    assert [r.source for r in rows] == [f"{survey}:{n}" for n in range(2, ROWS + 2)]  # input order
    assert sorted(rows, key=lambda r: r.source) == sorted(expected[0], key=lambda r: r.source)


def test_the_workers_outputs_equal_one_process(survey, expected):
    for jobs in (2, 3):
        assert rows_of(survey, jobs) == expected


if sys.platform.startswith("linux"):

    def test_a_worker_holds_no_other_worker_s_pipe(survey, monkeypatch):
        # Forked after the others, a worker closes its copies of their pipes (and of its own
        # parent's end): else a worker whose parent dies would wait for work for ever.
        def kind(fd: str) -> str:
            try:
                return os.readlink(f"/proc/self/fd/{fd}")
            except FileNotFoundError:  # the listing's own descriptor, closed since
                return ""

        def record() -> None:
            pipes = [fd for fd in os.listdir("/proc/self/fd") if kind(fd).startswith("socket:")]
            if len(pipes) != 1:
                os._exit(5)

        on_row(monkeypatch, 230, record)
        rows, failures = rows_of(survey, 3)
        assert failures == [] and len(rows) == ROWS
