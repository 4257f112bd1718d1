"""The hostile corpus (``corpus.py``) run against the CLI, each case judged on what a user sees.

Most cases run in this process through typer's test runner, output captured byte for
byte (nothing strips an escape on the way); a case that needs a real process (a signal
sent mid-batch, a closed output pipe, a file-size limit) runs ``python -m mcn_advisor``
in a child process of its own session. Every case runs in a fresh folder, and a case
that hangs is stopped by an alarm and fails. Besides what each case expects, every run
is checked for: no traceback, no temporary file left behind, and every file the case
made unchanged unless the case says it may change.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import resource
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcn_advisor.cli import app
from tests.conftest import ROOT
from tests.hostile import corpus

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="the corpus needs POSIX files and signals")

ENV = {"NO_COLOR": "1", "COLUMNS": "80", "LC_ALL": "C.UTF-8", "TZ": "UTC"}
TRACEBACK = re.compile(rb"Traceback \(most recent call last\)|^Exception ignored", re.M)
TEMP_NAME = re.compile(r"(^|/)[^/]*\.tmp$")


def _in_child(case: dict) -> bool:
    return bool(case["child"] or case["signal"] or case["rlimits"] or case["stdout_mode"] == "closed")


IN_PROCESS = [c for c in corpus.CASES if not _in_child(c)]
IN_CHILD = [c for c in corpus.CASES if _in_child(c)]


@dataclass
class Outcome:
    exit: int | None = None  # None: it hung
    stdout: bytes = b""
    stderr: bytes = b""
    reasons: list[str] = field(default_factory=list)


@pytest.fixture(scope="session", autouse=True)
def saved_assessments(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The saved assessments the diff cases copy, made once by the CLI."""
    folder = tmp_path_factory.mktemp("saved")
    for name, argv in corpus.FIXTURES.items():
        args = [a.replace("{profiles}", str(corpus.profiles_dir())) for a in argv]
        result = CliRunner().invoke(app, args, env=ENV)
        assert result.exit_code == 0, result.stderr
        (folder / name).write_bytes(result.stdout_bytes)
    corpus.FIXTURES_DIR = folder
    return folder


@pytest.mark.parametrize("case", IN_PROCESS, ids=[c["id"] for c in IN_PROCESS])
def test_hostile_case(case: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with _built(case, tmp_path) as (before, created):
        monkeypatch.chdir(tmp_path)
        out = Outcome()
        try:
            with _deadline(case["timeout"]), _memory_bound():
                result = CliRunner().invoke(app, case["argv"], env=ENV, color=True)
        except _Hung:
            out.reasons.append(f"hangs: still running after {case['timeout']:g} s")
        else:
            out.exit, out.stdout, out.stderr = result.exit_code, result.stdout_bytes, result.stderr_bytes
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                exc = result.exception
                out.reasons.append(f"traceback: {type(exc).__name__}: {str(exc)[:200]}")
        _judge(case, tmp_path, out, before, created)


@pytest.mark.parametrize("case", IN_CHILD, ids=[c["id"] for c in IN_CHILD])
def test_hostile_case_in_a_process(case: dict, tmp_path: Path) -> None:
    with _built(case, tmp_path) as (before, created):
        out = _run_signal(case, tmp_path) if case["signal"] else _run_child(case, tmp_path)
        _judge(case, tmp_path, out, before, created)


# --- building and judging a case ---------------------------------------------------------


@contextlib.contextmanager
def _built(case: dict, tmp: Path) -> Iterator[tuple[dict[str, tuple], set[str]]]:
    """A snapshot of the case's files that must not change, and every path it made."""
    if case["needs"] == "root" and os.geteuid() != 0:
        pytest.skip("needs root")
    try:
        try:
            case["setup"](tmp)
        except corpus.Unsupported as exc:
            pytest.skip(str(exc))
        created = _walk(tmp)
        if case["unchanged"] == "all":
            guarded = [p for p in created if not any(_matching([p], g) for g in case["may_change"])]
        else:
            guarded = list(case["unchanged"])
        yield {p: _describe(tmp / p) for p in guarded if os.path.lexists(tmp / p)}, set(created)
    finally:
        if case["teardown"]:
            case["teardown"](tmp)
        _unfreeze(tmp)


def _judge(case: dict, tmp: Path, out: Outcome, before: dict[str, tuple], created: set[str]) -> None:
    reasons = out.reasons
    expected = case["exit"] if isinstance(case["exit"], tuple) else (case["exit"],)
    err, std = out.stderr.decode("utf-8", "replace"), out.stdout.decode("utf-8", "replace")
    if out.exit is not None:
        if out.exit not in expected:
            reasons.append(f"exit {out.exit} (expected {' or '.join(map(str, expected))})")
        if case["stderr"] and (out.exit == 2 or len(expected) == 1) and not re.search(case["stderr"], err):
            reasons.append(f"stderr does not match /{case['stderr']}/")
        if case["stdout"] and not re.search(case["stdout"], std):
            reasons.append(f"stdout does not match /{case['stdout']}/")
        if case["check"]:
            reasons += case["check"](tmp, out.stdout, out.stderr)
    if TRACEBACK.search(out.stderr):
        reasons.append("traceback on stderr")
    for stream, pattern in case["forbid"]:
        for name, data in (("stdout", out.stdout), ("stderr", out.stderr)):
            if stream in (name, "both") and (m := re.search(pattern, data)):
                reasons.append(f"{name} holds {m.group()[:20]!r}")
    if case["max_stderr"] is not None and len(out.stderr) > case["max_stderr"]:
        reasons.append(f"stderr is {len(out.stderr):,} bytes (at most {case['max_stderr']:,})")
    now = _walk(tmp)
    for path, was in before.items():
        if not os.path.lexists(tmp / path):
            reasons.append(f"{path} was removed (was a {was[0]})")
        elif (is_ := _describe(tmp / path)) != was:
            reasons.append(f"{path} changed: was a {was[0]}, now a {is_[0]}")
    temps = [p for p in now if TEMP_NAME.search(p) and p not in created]
    if temps:
        reasons.append(f"leftover temporary files: {temps[:3]}")
    reasons += [
        f"must not exist: {hit}" for g in case["absent"] for hit in _matching(now, g) if hit not in created
    ]
    reasons += [f"missing: {g}" for g in case["exists"] if not _matching(now, g)]
    shown = err.strip().splitlines()[:1]
    assert not reasons, f"{case['id']} ({case['what']}): {'; '.join(reasons)}; stderr: {shown}"


def _walk(root: Path) -> list[str]:
    """Every path under root, relative, never following symlinks."""
    out = []
    for here, dirs, files in os.walk(root, followlinks=False):
        rel = os.path.relpath(here, root)
        out += [name if rel == "." else os.path.join(rel, name) for name in dirs + files]
    return sorted(out)


def _matching(paths: list[str], pattern: str) -> list[str]:
    """The paths a glob names: ``**`` spans folders, ``*`` and ``?`` stay within one."""
    rx = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
    rx = rx.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
    return [p for p in paths if re.fullmatch(rx, p, re.S)]


def _describe(path: Path) -> tuple:
    """File type and identity, never opening anything that is not a regular file."""
    st = os.lstat(path)
    if stat.S_ISREG(st.st_mode):
        return ("regular file", hashlib.sha256(path.read_bytes()).hexdigest())
    if stat.S_ISLNK(st.st_mode):
        return ("symlink", os.readlink(path))
    for test, kind in ((stat.S_ISDIR, "folder"), (stat.S_ISFIFO, "FIFO"), (stat.S_ISCHR, "device")):
        if test(st.st_mode):
            return (kind, st.st_rdev if kind == "device" else 0)
    return ("other", stat.S_IFMT(st.st_mode))


def _unfreeze(root: Path) -> None:
    """Undo the read-only folders a case made, so that pytest can remove them."""
    for here, dirs, _ in os.walk(root, followlinks=False):
        for d in dirs:
            p = Path(here) / d
            if not p.is_symlink():
                corpus.undo_read_only(p)


class _Hung(BaseException):
    """The alarm rang: a case ran past its time-out (a BaseException, so no handler in
    the CLI can take it for an input's error)."""


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    def ring(signum: int, frame: object) -> None:
        raise _Hung

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


MEMORY_BOUND = 3 << 30  # bytes of address space: reading /dev/zero must fail fast, not eat the machine


@contextlib.contextmanager
def _memory_bound() -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    bound = MEMORY_BOUND if hard == resource.RLIM_INFINITY else min(MEMORY_BOUND, hard)
    if soft != resource.RLIM_INFINITY and soft <= bound:
        yield
        return
    resource.setrlimit(resource.RLIMIT_AS, (bound, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


# --- cases that need a process of their own ------------------------------------------------


def _child_env(tmp: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        **ENV,
    }


def _limits(case: dict):  # noqa: ANN202 - a preexec function
    fsize = case["rlimits"].get("FSIZE")

    def apply() -> None:
        # The stop signals as a user's shell leaves them: a suite started under nohup or as a
        # background job has some ignored, which the command rightly keeps ignored.
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BOUND, MEMORY_BOUND))
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return apply


def _start(case: dict, tmp: Path, stdout: int, stderr: int) -> subprocess.Popen[bytes]:
    """``python -m mcn_advisor`` with the case's arguments, in its own session (so that a
    hang is ended with its whole group), within its resource limits, the stop signals at their
    defaults."""
    return subprocess.Popen(
        [sys.executable, "-m", "mcn_advisor", *case["argv"]],
        cwd=tmp,
        env=_child_env(tmp),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
        preexec_fn=_limits(case),
    )


def _run_child(case: dict, tmp: Path) -> Outcome:
    out = Outcome()
    stdout: int = subprocess.PIPE
    if case["stdout_mode"] == "closed":
        r, stdout = os.pipe()
        os.close(r)  # the reader is gone before the CLI writes anything (like `| head -0`)
    proc = _start(case, tmp, stdout, subprocess.PIPE)
    if stdout != subprocess.PIPE:
        os.close(stdout)
    try:
        so, se = proc.communicate(timeout=case["timeout"])
        out.exit = 128 - proc.returncode if proc.returncode < 0 else proc.returncode
        out.stdout, out.stderr = so or b"", se or b""
    except subprocess.TimeoutExpired:
        out.reasons.append(f"hangs: still running after {case['timeout']:g} s")
    finally:
        _kill_group(proc.pid)
        proc.wait()
    return out


def _run_signal(case: dict, tmp: Path) -> Outcome:
    """Start the batch, wait until it is writing reports, send the signal, then look for
    orphan workers and for files still changing after the parent exited."""
    spec, out = case["signal"], Outcome()
    sig = signal.Signals[spec["sig"]]
    folder = tmp / spec["when"].split("/")[0]
    logs = tmp.parent / f"{tmp.name}-logs"
    logs.mkdir()
    with (logs / "out").open("wb") as so, (logs / "err").open("wb") as se:
        proc = _start(case, tmp, so.fileno(), se.fileno())
    seen: dict[int, int] = {}
    start = time.monotonic()
    try:
        while proc.poll() is None and time.monotonic() - start < case["timeout"]:
            seen.update(_descendants(proc.pid))
            if len(_matching(_walk(tmp), spec["when"])) >= spec["count"]:
                break
            time.sleep(0.02)
        if proc.poll() is not None:
            out.reasons.append(
                f"the batch ended (exit {proc.returncode}) before the signal: give it more work"
            )
        else:
            seen.update(_descendants(proc.pid))
            (os.killpg if spec.get("to") == "group" else os.kill)(proc.pid, sig)
            try:
                proc.wait(timeout=case["timeout"])
            except subprocess.TimeoutExpired:
                out.reasons.append(f"still running {case['timeout']:g} s after {sig.name}")
            before = _listing(folder)
            time.sleep(0.5)
            alive = [pid for pid, started in seen.items() if _alive(pid, started)]
            if alive:
                out.reasons.append(f"{len(alive)} worker(s) outlived the parent")
            if _listing(folder) != before:
                out.reasons.append(f"{folder.name}/ still changing after the parent exited")
            for pid, started in seen.items():
                if _alive(pid, started):
                    os.kill(pid, signal.SIGKILL)
        if proc.returncode is not None:
            out.exit = 128 - proc.returncode if proc.returncode < 0 else proc.returncode
    finally:
        _kill_group(proc.pid)
        proc.wait()
    out.stdout, out.stderr = (logs / "out").read_bytes(), (logs / "err").read_bytes()
    return out


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _proc_stat(pid: int) -> tuple[int, str, int] | None:
    """(ppid, state, start time) of a live process, or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    rest = raw[raw.rindex(")") + 2 :].split()
    return int(rest[1]), rest[0], int(rest[19])


def _descendants(root: int) -> dict[int, int]:
    """pid -> start time of every live descendant of ``root`` (Linux; none elsewhere)."""
    if not Path("/proc/self/stat").exists():
        return {}
    children: dict[int, list[tuple[int, int]]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _proc_stat(int(entry))):
            children.setdefault(st[0], []).append((int(entry), st[2]))
    found: dict[int, int] = {}
    stack = [root]
    while stack:
        for pid, started in children.get(stack.pop(), []):
            if pid not in found:
                found[pid] = started
                stack.append(pid)
    return found


def _alive(pid: int, started: int) -> bool:
    st = _proc_stat(pid)
    return st is not None and st[2] == started and st[1] not in "ZX"


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    if not folder.is_dir():
        return {}
    result = {}
    for name in os.listdir(folder):
        with contextlib.suppress(FileNotFoundError):
            st = os.lstat(folder / name)
            result[name] = (st.st_size, st.st_mtime_ns)
    return result


# --- the same bad input, told in Chinese -----------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")  # values and names as the user wrote them
ENGLISH = re.compile(r"\b[A-Za-z]{2,} [a-z]{2,} [a-z]{2,}\b")  # three words in a row: a sentence


def _with_chinese(argv: list[str]) -> list[str] | None:
    """``argv`` asking for Chinese (`--lang zh` on the command, or on the `policy` group), or
    None when the command speaks one language only."""
    from typer.main import get_command

    command, words = get_command(app), list(argv)
    for i, word in enumerate(words):
        sub = getattr(command, "commands", {}).get(word)
        if sub is None:
            break
        if any("--lang" in p.opts for p in sub.params):
            return [*words[: i + 1], "--lang", "zh", *words[i + 1 :]]
        command = sub
    return None


CHINESE = [c for c in IN_PROCESS if c["exit"] == 2 and _with_chinese(c["argv"])]


@pytest.mark.parametrize("case", CHINESE, ids=[c["id"] for c in CHINESE])
def test_hostile_case_in_chinese(case: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With --lang zh, every error about bad input is said in Chinese: no line is left in English
    (file names, fields and values stay as typed). Only the command-line parser's own usage
    errors ("Usage: ... Error: No such option") stay English, as the help does."""
    with _built(case, tmp_path):
        monkeypatch.chdir(tmp_path)
        with _deadline(case["timeout"]), _memory_bound():
            result = CliRunner().invoke(app, _with_chinese(case["argv"]), env=ENV)
    lines = result.stderr.splitlines()
    assert result.exit_code == 2, (case["id"], lines[:2])
    assert not [line for line in lines if line.startswith("error:")], (case["id"], lines[:2])
    told = [line.removeprefix("错误：") for line in lines if line.startswith("错误：")]
    untranslated = [line for line in told if ENGLISH.search(QUOTED.sub("", line)) or not CJK.search(line)]
    assert not untranslated, (case["id"], untranslated[:2])
