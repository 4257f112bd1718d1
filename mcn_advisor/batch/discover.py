"""Finding a batch's inputs: files, folders (recursively ``*.toml``), globs and tables
(CSV files and .xlsx workbooks, ``FILE.xlsx#Sheet`` for a sheet other than the first).

``discover(paths)`` lists them in a fixed order with how many profiles each holds; a
PATH that matches nothing or a CSV whose header is wrong becomes a failed input, and
the rest still run.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal, NamedTuple

from mcn_advisor.errors import InputError, say
from mcn_advisor.profile import csvfile

_GLOB_CHARS = frozenset("*?[")


class InputPath(NamedTuple):
    """One input: a TOML profile, a folder of them, a CSV of profiles, or a PATH that failed."""

    label: str  # how the summary and errors name it: the path as given (a folder: its root)
    kind: Literal["toml", "folder", "csv", "failed"]
    files: tuple[str, ...] = ()  # a folder's *.toml files, relative to it, sorted
    profiles: int = 1  # how many profiles it holds
    problems: tuple[str, ...] = ()
    encoding: str = ""  # a table: how it was read ("UTF-8", "GB18030", "UTF-16", "xlsx")


class Inputs(NamedTuple):
    """The inputs of a batch, in the order they are assessed."""

    inputs: list[InputPath]
    total: int  # profiles (and failed inputs) to expect; a CSV's rows counted by its lines (``Sheet.about``)
    folders: frozenset[Path]  # every folder (resolved) that holds an input file
    notes: tuple[str, ...] = ()  # things a user should know, e.g. CSV files a folder scan passed over


def discover(paths: Iterable[Path | str], *, exclude: Path | None = None) -> Inputs:
    """The profiles under ``paths``: files, folders (recursively ``*.toml``), globs, CSV files.

    Folders are walked in sorted order, skipping hidden entries and ``exclude`` (the
    out-dir). A file named twice is assessed once. A PATH that matches nothing, or a
    CSV whose header is wrong, becomes a failed input; the rest still run. A folder's
    files are kept as short relative names: the plan of a large batch stays small.
    """
    skip = os.path.realpath(exclude) if exclude is not None else None
    inputs: list[InputPath] = []
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
        if not csvfile.is_table(path):
            inputs.append(InputPath(path, "toml"))
            return
        try:
            sheet = csvfile.read_cells(Path(path), path)
            first = next(sheet.rows, None)
            rows = sheet.about
            if rows is None:  # a workbook's rows: counted
                rows = sum(1 for _ in sheet.rows) + (first is not None)
            sheet.rows.close()  # (and with them the file)
        except InputError as exc:
            inputs.append(InputPath(path, "failed", problems=tuple(exc.problems)))
            return
        if first is None:
            inputs.append(
                InputPath(path, "failed", problems=(say("{path}: no data rows under the header", path=path),))
            )
            return
        inputs.append(InputPath(path, "csv", profiles=max(1, rows), encoding=sheet.encoding))

    def add_folder(root: str) -> None:
        found, csvs = _walk(root, skip)
        passed_over.extend(csvs)
        if not found:
            inputs.append(
                InputPath(
                    root, "failed", problems=(say("{root}: no .toml profiles in this folder", root=root),)
                )
            )
            return
        files = tuple(rel for rel in found if first_time(os.path.join(root, rel)))
        if files:
            inputs.append(InputPath(root, "folder", files, profiles=len(files)))

    for raw in paths:
        path = str(Path(raw))  # as given, tidied: "profiles/" and "profiles" are one folder
        if os.path.isdir(path):
            add_folder(path)
        elif os.path.exists(path) or os.path.isfile(csvfile.split_sheet(path)[0]):
            add_file(path)
        elif _GLOB_CHARS & set(str(raw)):
            matches = sorted(glob.glob(str(raw), recursive=True))
            if not matches:
                inputs.append(
                    InputPath(
                        str(raw), "failed", problems=(say("{raw}: no file matches this pattern", raw=raw),)
                    )
                )
            for match in matches:
                add_folder(match) if os.path.isdir(match) else add_file(match)
        else:
            inputs.append(
                InputPath(str(raw), "failed", problems=(say("{raw}: no such file or folder", raw=raw),))
            )
    named = {i.label for i in inputs if i.kind == "csv"}
    notes = tuple(
        say(
            "{path}: not read (folders are scanned for *.toml only); to assess the profiles it holds, name "
            "it: mcn-advisor batch {path}",
            path=path,
        )
        for path in passed_over
        if path not in named
    )
    return Inputs(
        inputs=inputs,
        total=sum(i.profiles for i in inputs),
        folders=frozenset(Path(d) for d in dirs.values()),
        notes=notes,
    )


def _walk(root: str, skip: str | None) -> tuple[list[str], list[str]]:
    """The ``*.toml`` files below ``root`` (relative, sorted) and the tables passed over."""
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
            elif low.endswith((".csv", ".xlsx")):
                csvs.append(os.path.join(here, name))
    return found, csvs
