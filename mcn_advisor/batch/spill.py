"""The rows of a large batch kept on disk, so that memory stays flat however many profiles a run holds.

``Spilled(order)`` is a ``core.portfolio.Store``: it holds up to ``LIMIT`` items in memory;
past that it writes them, sorted by ``order`` (or as they came), as a *run* to a private
temporary folder, and hands every item back through ``ordered()``: the runs merged, read a
few hundred items at a time, in exactly the order ``sorted`` would give (ties keep the order
they were added in: each run is sorted stably, the runs hold consecutive items, and
``heapq.merge`` takes an earlier run's item first). The summaries written from it are
byte for byte those of a batch held in memory. Runs are only merged when read back, once
every item is in: adding never pauses for long, so results arriving from the workers do
not pile up meanwhile. The folder is removed with the store, or when the program ends.

Named tuples (a batch's rows and failures) are written as plain tuples and given their class
back when read: pickle makes a named tuple through two Python calls (its ``__getnewargs__``
when written, its ``__new__`` when read), a plain tuple through none.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import os
import pickle
import shutil
import tempfile
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any

LIMIT = 10_000  # items held in memory before a run is written (a row is about 1 KB)
FRAME = 64  # items pickled together: the unit a run is read back in
MAX_RUNS = 128  # runs merged at once (files open, FRAME items each); more are merged first


class Spilled(Collection[Any]):
    """A store of items that spills sorted runs to disk past ``limit`` items in memory.

    Iterating it gives every item in order, as often as it is iterated.
    """

    def __init__(self, order: Callable[[Any], Any] | None = None, limit: int | None = None):
        self._order = order
        self._limit = limit or LIMIT
        self._items: list[Any] = []  # the latest, not yet written
        self._runs: list[tuple[str, type | None]] = []  # files, oldest first, with their items' class
        self._count = 0
        self._folder: str | None = None
        self._kind: type | None = None  # the named tuple class of every item so far (None: not so)

    def add(self, item: Any) -> None:
        if self._count == 0:
            self._kind = type(item) if isinstance(item, tuple) and hasattr(item, "_fields") else None
        elif type(item) is not self._kind:
            self._kind = None  # mixed items: pickled as they are from now on
        self._items.append(item)
        self._count += 1
        if len(self._items) >= self._limit:  # a short pause: results keep arriving meanwhile
            self._runs.append(self._write(self._sorted(self._items)))
            self._items = []

    def ordered(self) -> Collection[Any]:
        return self

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Any]:
        while len(self._runs) > MAX_RUNS:  # once all are added: runs merged by groups, in order
            groups = [self._runs[i : i + MAX_RUNS] for i in range(0, len(self._runs), MAX_RUNS)]
            self._runs = [self._write(self._merge([_read(*run) for run in group])) for group in groups]
            for path, _ in (run for group in groups for run in group):
                os.unlink(path)
        return self._merge([*(_read(*run) for run in self._runs), iter(self._sorted(self._items))])

    def __contains__(self, item: object) -> bool:
        return any(item == x for x in self)

    def _sorted(self, items: list[Any]) -> list[Any]:
        return sorted(items, key=self._order) if self._order else items

    def _merge(self, runs: list[Iterator[Any]]) -> Iterator[Any]:
        return heapq.merge(*runs, key=self._order) if self._order else itertools.chain(*runs)

    def _write(self, items: Iterable[Any]) -> tuple[str, type | None]:
        """A run of ``items`` (all added before any is read: ``_kind`` holds for each of them)."""
        if self._folder is None:  # private (0700); removed when this store goes, or at exit
            self._folder = tempfile.mkdtemp(prefix="mcn-advisor-batch-")
            weakref.finalize(self, shutil.rmtree, self._folder, ignore_errors=True)
        fd, path = tempfile.mkstemp(dir=self._folder, suffix=".run")
        kind = self._kind
        with os.fdopen(fd, "wb") as handle:
            it = iter(items)
            while frame := list(itertools.islice(it, FRAME)):
                plain = frame if kind is None else list(map(tuple, frame))
                pickle.dump(plain, handle, protocol=pickle.HIGHEST_PROTOCOL)
        return path, kind


def _read(path: str, kind: type | None) -> Iterator[Any]:
    """A run's items, a frame at a time (written by this process, in its own private folder),
    given back their class when they were written as plain tuples."""
    make = None if kind is None else functools.partial(tuple.__new__, kind)
    with open(path, "rb") as handle:
        while True:
            try:
                frame = pickle.load(handle)
            except EOFError:
                return
            yield from (frame if make is None else map(make, frame))
