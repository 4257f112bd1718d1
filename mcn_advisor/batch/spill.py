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
"""

from __future__ import annotations

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
        self._runs: list[str] = []  # files, oldest first
        self._count = 0
        self._folder: str | None = None

    def add(self, item: Any) -> None:
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
            self._runs = [self._write(self._merge([_read(path) for path in group])) for group in groups]
            for path in (path for group in groups for path in group):
                os.unlink(path)
        return self._merge([*(_read(path) for path in self._runs), iter(self._sorted(self._items))])

    def __contains__(self, item: object) -> bool:
        return any(item == x for x in self)

    def _sorted(self, items: list[Any]) -> list[Any]:
        return sorted(items, key=self._order) if self._order else items

    def _merge(self, runs: list[Iterator[Any]]) -> Iterator[Any]:
        return heapq.merge(*runs, key=self._order) if self._order else itertools.chain(*runs)

    def _write(self, items: Iterable[Any]) -> str:
        if self._folder is None:  # private (0700); removed when this store goes, or at exit
            self._folder = tempfile.mkdtemp(prefix="mcn-advisor-batch-")
            weakref.finalize(self, shutil.rmtree, self._folder, ignore_errors=True)
        fd, path = tempfile.mkstemp(dir=self._folder, suffix=".run")
        with os.fdopen(fd, "wb") as handle:
            it = iter(items)
            while frame := list(itertools.islice(it, FRAME)):
                pickle.dump(frame, handle, protocol=pickle.HIGHEST_PROTOCOL)
        return path


def _read(path: str) -> Iterator[Any]:
    """A run's items, a frame at a time (written by this process, in its own private folder)."""
    with open(path, "rb") as handle:
        while True:
            try:
                frame = pickle.load(handle)
            except EOFError:
                return
            yield from frame
