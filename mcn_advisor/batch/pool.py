"""Worker processes for a batch: pieces of work out, results back in input order.

Why not ``multiprocessing.Pool``: its workers share one task queue and one result queue,
each guarded by a lock between processes, and it runs three threads of its own. A worker
that dies while holding a lock or half-way through writing a result (stopped by a
signal, killed by the system for memory) leaves the lock taken or the queue torn for
ever, and ``terminate()`` or a result thread then waits for it: a stopped batch could
hang (seen once in CI), and a worker killed while assessing lost its task and hung the
run. Here every worker has a pipe of its own, and only the parent reads and writes the
parent's ends, in its own thread. A worker may die anywhere without blocking anyone: its
pipe ends, its piece is assessed again one profile at a time by fresh workers, and a
profile that kills a worker by itself gets ``lost``'s failure instead of a result.
Stopping is ending processes and reaping them.

A worker holds up to ``DEPTH`` pieces: the one it assesses and the next, so it never
waits for the parent, who may be busy folding results or off the processor. A thread
of the worker's own reads its pipe as pieces come, so the parent's writes never wait
for a worker busy writing its results (the two could otherwise wait for each other).
"""

from __future__ import annotations

import contextlib
import pickle
import queue
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import field
from typing import Any, Generic, TypeVar

from mcn_advisor.records import record

W = TypeVar("W")  # a piece of work
R = TypeVar("R")  # one of its results

DEPTH = 2  # pieces a worker holds: the one in hand and the next
AHEAD = 8  # pieces handed out per worker beyond the first not yet done: results held stay bounded
EARLY_DEATHS = 5  # workers dying in a row before they are set up, before the run gives up
_ends: list[Any] = []  # the parent's ends of the workers' pipes (a forked worker closes its copies)


class WorkersFailed(RuntimeError):
    """The worker processes keep dying before they are set up (``code``: the last one's exit
    code, negative for the signal that killed it)."""

    def __init__(self, code: int | None):
        super().__init__(code)
        self.code = code


@record
class _Job(Generic[W]):
    slot: int  # the piece's place in the stream
    order: tuple[int, ...]  # its place within the piece: (0,), or (0, i) once split
    work: W
    single: bool = False  # a profile of a piece whose worker died, given again on its own
    deaths: int = 0  # workers that died with it in hand, on its own


@record
class _Worker:
    process: Any
    conn: Any
    jobs: deque[_Job[Any]] = field(default_factory=deque)  # given, in order: the first in hand
    ready: bool = False  # set up (``init`` done): a death from now on is its piece's doing


@record
class _Slot(Generic[R]):
    waiting: int = 1  # jobs of this piece not yet done
    parts: dict[tuple[int, ...], list[R]] = field(default_factory=dict)


def _serve(conn: Any, init: Callable[..., None], initargs: tuple[Any, ...], fn: Callable[[Any], Any]) -> None:
    """A worker's life: set up once, then assess what comes down its pipe until told to stop."""
    for end in _ends:  # forked: the other workers' pipes are not this one's to hold open
        end.close()
    _ends.clear()
    # Ctrl-C and a closed terminal reach the whole process group: the parent alone decides
    # what they mean. SIGTERM (from the parent, or a CI time-out) ends the worker at once.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    given: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    threading.Thread(target=_read, args=(conn, given), daemon=True).start()
    init(*initargs)
    conn.send_bytes(_READY)
    while (data := given.get()) is not None and (work := pickle.loads(data)) is not None:
        try:
            result = fn(work)
        except BaseException as exc:  # a bug, not a profile's problem: the parent raises it
            result = _Raised(f"{type(exc).__name__}: {exc}")
        try:
            conn.send(result)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:  # (nothing was written)
            conn.send(_Raised(f"a result that cannot be sent back ({type(exc).__name__}: {exc})"))


def _read(conn: Any, given: queue.SimpleQueue[bytes | None]) -> None:
    """A worker's reader: every piece off the pipe as it comes (``None``: the parent is gone)."""
    while True:
        try:
            given.put(conn.recv_bytes())
        except (EOFError, OSError):
            given.put(None)
            return


@record(frozen=True)
class _Raised:
    text: str


_READY = b"ready"  # sent as it is, never pickled (a pickle starts with b"\x80")


def imap(
    ctx: Any,
    jobs: int,
    stream: Iterator[W],
    fn: Callable[[W], list[R]],
    *,
    init: Callable[..., None],
    initargs: tuple[Any, ...],
    split: Callable[[W], Sequence[W]],
    lost: Callable[[W, int | None], list[R]],
) -> Iterator[R]:
    """Every result of ``fn`` over ``stream``, in the stream's order, from ``jobs`` processes
    of ``ctx`` set up by ``init(*initargs)``.

    A piece whose worker dies is given again one profile at a time (``split(work)``), to
    fresh workers; ``lost(work, code)`` is the result of a profile whose worker dies twice
    while it is assessed on its own,
    ``code`` the worker's exit code (negative: the signal that killed it). At most ``AHEAD``
    pieces a worker are handed out beyond the first not yet done, so a slow or stopped worker
    holds the others back instead of the parent holding their results. Whatever stops
    the iteration (the consumer's exception, a signal's, closing the generator), every
    worker is ended and reaped before it goes on.
    """
    from multiprocessing.connection import wait

    workers: list[_Worker] = []
    pending: deque[_Job[W]] = deque()  # pieces given again, before anything new from the stream
    slots: dict[int, _Slot[R]] = {}
    drawn = done = early_deaths = 0

    def start() -> _Worker:
        ours, theirs = ctx.Pipe()
        process = ctx.Process(target=_serve, args=(theirs, init, initargs, fn), daemon=True)
        _ends.append(ours)  # before the fork: the worker closes its copy of every parent's end
        process.start()
        theirs.close()  # ours alone now: the worker's death ends the pipe for us
        return _Worker(process, ours)

    def next_job() -> _Job[W] | None:
        nonlocal drawn
        if pending:
            return pending.popleft()
        if drawn - done >= AHEAD * len(workers):  # a slow piece: the others wait rather than pile up
            return None
        work = next(stream, None)
        if work is None:
            return None
        slots[drawn] = _Slot()
        drawn += 1
        return _Job(drawn - 1, (0,), work)

    def feed(worker: _Worker) -> None:
        while len(worker.jobs) < DEPTH and (job := next_job()) is not None:
            worker.jobs.append(job)
            try:
                worker.conn.send(job.work)
            except OSError:  # it died since its last result: found out by the wait below
                return

    def finish(job: _Job[W], results: list[R]) -> None:
        slot = slots[job.slot]
        slot.parts[job.order] = results
        slot.waiting -= 1

    def died(worker: _Worker) -> None:
        nonlocal early_deaths
        _reap(worker.process)  # (its pipe ended: it is dead, or as good as)
        code = worker.process.exitcode
        _close(worker)
        workers[workers.index(worker)] = start()  # (fed at the top of the loop)
        jobs, worker.jobs = list(worker.jobs), deque()
        if not worker.ready:  # not set up yet: its pieces are not to blame
            early_deaths += 1
            if early_deaths > EARLY_DEATHS:
                raise WorkersFailed(code)
        else:  # the first was in hand; the others, not begun, are given again as they were
            job = jobs.pop(0)
            if not job.single:  # which of its profiles killed it? each again on its own, first in line
                parts = split(job.work)
                slots[job.slot].waiting += len(parts) - 1
                jobs[:0] = [_Job(job.slot, (*job.order, i), p, single=True) for i, p in enumerate(parts)]
            elif job.deaths == 0:  # once on its own: maybe bad luck (a kill from outside): again
                jobs.insert(0, _Job(job.slot, job.order, job.work, single=True, deaths=1))
            else:  # twice on its own: it is the profile's doing
                finish(job, lost(job.work, code))
        pending.extendleft(reversed(jobs))

    finished = False
    try:
        workers.extend(start() for _ in range(jobs))
        while True:
            while done in slots and slots[done].waiting == 0:
                for order in sorted(slots[done].parts):
                    yield from slots[done].parts[order]
                del slots[done]
                done += 1
            for worker in workers:  # (a worker left idle by a slow piece, or new, gets work)
                feed(worker)
            busy = [w for w in workers if w.jobs]
            if not busy:
                finished = True
                return
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
            for worker in busy:
                if worker.conn not in ready and worker.process.sentinel not in ready:
                    continue
                try:
                    if not worker.conn.poll():
                        raise EOFError
                    data = worker.conn.recv_bytes()
                except (EOFError, OSError):
                    died(worker)
                    continue
                if data == _READY:
                    worker.ready = True
                    early_deaths = 0  # workers can start: the deaths before were not in a row
                    continue
                job = worker.jobs.popleft()
                feed(worker)  # topped up first: it works while we unpickle and fold these
                result = pickle.loads(data)
                if isinstance(result, _Raised):
                    raise RuntimeError(result.text)
                finish(job, result)
    finally:
        _end(workers, finished)


def _end(workers: list[_Worker], finished: bool) -> None:
    """End every worker and reap it: told to stop when the work is done, else killed at once
    (SIGKILL: even a worker stopped by SIGSTOP, which SIGTERM would leave for Python's exit
    to wait for; a second signal may interrupt this, but no worker is left alive by then)."""
    for worker in workers:
        if not finished:
            worker.process.kill()
        elif worker.process.is_alive():
            with contextlib.suppress(OSError):  # died meanwhile: reaped below
                worker.conn.send(None)
    for worker in workers:
        _reap(worker.process)
        _close(worker)


def _reap(process: Any) -> None:
    """Wait for a process that is ending; one that does not end within 5 s is killed."""
    process.join(5)
    if process.exitcode is None:  # pragma: no cover - stuck, or stopped (SIGSTOP)
        process.kill()
        process.join()


def _close(worker: _Worker) -> None:
    worker.conn.close()
    if worker.conn in _ends:
        _ends.remove(worker.conn)
