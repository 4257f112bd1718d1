"""Printing to PDF without a working browser: one clear line, never a traceback or a hang.

With a real Chromium, tests/browser prints every report; these tests need none.
"""

from __future__ import annotations

import datetime as dt
import stat
import tempfile
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcn_advisor.cli import app
from mcn_advisor.files import pdf
from tests.conftest import PROFILES

runner = CliRunner()
PROFILE = str(PROFILES / "minimal.toml")


def test_pin_dates_sets_both_dates_and_keeps_every_offset():
    raw = b"%PDF-1.4\n<</CreationDate (D:20261125193100+00'00')\n/ModDate (D:20261125193101+00'00')>>\n"
    pinned = pdf.pin_dates(raw, dt.date(2020, 8, 27))
    assert len(pinned) == len(raw)
    assert pinned.count(b"(D:20200827000000+00'00')") == 2


def test_no_browser_on_the_machine_names_what_to_install(tmp_path):
    out = tmp_path / "report.pdf"
    r = runner.invoke(
        app, ["assess", PROFILE, "-f", "pdf", "-o", str(out)], env={"PATH": str(tmp_path), "CHROME_PATH": ""}
    )
    assert r.exit_code == 2
    assert r.stderr == f"error: {pdf.INSTALL_HINT}\n"
    assert "apt-get install chromium" in r.stderr and not out.exists()


def test_a_chrome_path_that_is_no_browser_is_named(tmp_path):
    missing = tmp_path / "chrome"
    r = runner.invoke(
        app,
        ["assess", PROFILE, "-f", "pdf", "-o", str(tmp_path / "r.pdf")],
        env={"CHROME_PATH": str(missing)},
    )
    assert r.exit_code == 2
    assert r.stderr.startswith(f"error: {missing}: no such browser") and r.stderr.count("\n") == 1


def script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-browser"
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_a_browser_that_exits_at_once_is_one_line(tmp_path):
    with pytest.raises(pdf.BrowserError) as err:
        pdf.Browser(script(tmp_path, "exit 3"))
    assert str(err.value).endswith("the browser failed: it closed its pipe (exit code 3)")


def test_a_browser_that_never_answers_is_stopped(tmp_path):
    fake = script(tmp_path, "exec sleep 30")
    before = set(Path(tempfile.gettempdir()).glob("mcn-advisor-browser-*"))
    start = time.monotonic()
    with pytest.raises(pdf.BrowserError) as err:
        pdf.Browser(fake, timeout=0.5)
    assert "no answer within 0.5 s" in str(err.value)
    assert time.monotonic() - start < 5  # stopped, not waited for
    assert set(Path(tempfile.gettempdir()).glob("mcn-advisor-browser-*")) <= before  # its profile removed


def test_pdf_is_not_written_to_a_terminal(monkeypatch, capsys):
    import sys

    from mcn_advisor import cli

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys, "argv", ["mcn-advisor", "assess", PROFILE, "-f", "pdf"])
    with pytest.raises(SystemExit) as code:
        cli.main()
    assert code.value.code == 2
    assert capsys.readouterr().err == (
        "error: --format pdf writes a binary file: give --output FILE.pdf or redirect stdout\n"
    )
