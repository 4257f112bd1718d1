"""Renderers: each turns a result of the core into text, and only formats it.

One interface and one registry. A renderer is a function ``(result, lang) -> str`` (or one
that yields the text in pieces: ``get`` joins them, ``pieces`` hands them on); it
computes nothing (every number was computed by the core), writes no file and reads no
terminal: the CLI and the batch runner choose one with ``get`` and write what it
returns. A renderer module is imported only when its format is asked for, so a command
pays for what it shows.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Iterable
from typing import Any, Literal, Protocol


class Renderer(Protocol):
    def __call__(self, result: Any, lang: str = "en", /) -> str: ...


ReportFormat = Literal["terminal", "json", "markdown", "html", "pdf"]
"""Formats of an assessment and of what-if, levers and diff results."""
SummaryFormat = Literal["table", "json", "csv", "markdown", "html", "xlsx"]
"""Formats of a batch's portfolio summary."""
ReportFile = Literal["json", "markdown", "html"]
"""Formats of the per-profile reports a batch writes (a file each, so no terminal)."""

# What each kind of result can be rendered as: format -> "module:function" in this package.
REGISTRY: dict[str, dict[str, str]] = {
    "assessment": {
        "terminal": "terminal:render",
        "json": "json:render",
        "markdown": "markdown:render",
        "html": "html:render",
        "pdf": "html:render",
    },
    "what-if": {
        "terminal": "decisions_terminal:what_if",
        "json": "json:render",
        "markdown": "decisions_markdown:what_if",
        "html": "html:what_if",
        "pdf": "html:what_if",
    },
    "levers": {
        "terminal": "decisions_terminal:levers",
        "json": "json:render",
        "markdown": "decisions_markdown:levers",
        "html": "html:levers",
        "pdf": "html:levers",
    },
    "diff": {
        "terminal": "decisions_terminal:diff",
        "json": "json:render",
        "markdown": "decisions_markdown:diff",
        "html": "html:diff",
        "pdf": "html:diff",
    },
    "portfolio": {
        "table": "portfolio:table",
        "json": "portfolio:json",
        "csv": "portfolio:csv",
        "markdown": "portfolio:markdown",
        "html": "html:portfolio",
        "xlsx": "spreadsheet:portfolio",
    },
}
STYLED = frozenset({"terminal", "table"})  # formats laid out for a terminal: they take its width and colour
BINARY = frozenset({"pdf", "xlsx"})  # formats whose bytes a terminal must not be sent
PRINTED = frozenset({"pdf"})  # formats whose renderer writes the HTML the writer prints (files.pdf)


def get(kind: str, fmt: str, *, width: int | None = None, color: bool = False) -> Renderer:
    """The renderer of ``kind`` (a key of ``REGISTRY``) as ``fmt``."""
    fn = _styled(kind, fmt, width, color)
    if not inspect.isgeneratorfunction(_function(kind, fmt)):
        return fn  # type: ignore[no-any-return]
    return lambda result, lang="en", /: "".join(fn(result, lang))


def pieces(
    kind: str, fmt: str, *, width: int | None = None, color: bool = False
) -> Callable[..., Iterable[str]]:
    """The renderer of ``kind`` as ``fmt``, giving its text in pieces to write as they come:
    one that yields them (the batch summaries) never holds a large text whole."""
    fn = _styled(kind, fmt, width, color)
    if inspect.isgeneratorfunction(_function(kind, fmt)):
        return fn
    return lambda result, lang="en", /: (fn(result, lang),)


def _function(kind: str, fmt: str) -> Callable[..., Any]:
    module, name = REGISTRY[kind][fmt].split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)  # type: ignore[no-any-return]


def _styled(kind: str, fmt: str, width: int | None, color: bool) -> Callable[..., Any]:
    """The renderer, given the width (when given: each styled renderer has its own default)
    and colour of a format laid out for a terminal."""
    fn = _function(kind, fmt)
    if fmt not in STYLED:
        return fn
    return functools.partial(fn, color=color, **({"width": width} if width is not None else {}))
