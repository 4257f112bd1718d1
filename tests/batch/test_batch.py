"""Batch: a portfolio of profiles in, one summary out, reports on request, a CI exit code."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from typer.testing import CliRunner

from mcn_advisor.batch import names as report_names
from mcn_advisor.batch import run as batch
from mcn_advisor.batch import spill
from mcn_advisor.batch.discover import discover
from mcn_advisor.cli import app
from mcn_advisor.core import portfolio
from mcn_advisor.core.engine import assess
from mcn_advisor.files import read, write
from mcn_advisor.files.toml import parse_toml
from mcn_advisor.profile import csvfile
from mcn_advisor.render import get as get_renderer
from mcn_advisor.render import portfolio as render
from tests.conftest import AS_OF, GOOD, PROFILES, ROOT, example

runner = CliRunner()
DATE = AS_OF.isoformat()
# CSV has no columns for a list of tables, so profiles with [[accepted_risks]] stay TOML-only.
EXAMPLES = sorted(
    p for p in PROFILES.glob("*.toml") if "[[accepted_risks]]" not in p.read_text(encoding="utf-8")
)


def run(*args: str):
    return runner.invoke(app, ["batch", *args], env={"NO_COLOR": "1", "COLUMNS": "200"})


def settings(**kw) -> batch.Settings:
    return batch.Settings(today=AS_OF, **{"as_of": AS_OF, **kw})


def summarise(*paths, jobs: int = 1, **kw) -> portfolio.Portfolio:
    return batch.run(discover([Path(p) for p in paths]), settings(**kw), jobs=jobs)


def csv_of(profiles: list[Path]) -> str:
    """The example profiles as one CSV, the way a spreadsheet export would hold them."""
    rows = []
    for path in profiles:
        data = parse_toml(path.read_text(encoding="utf-8"), path)
        row = {}
        for key, value in data.items():
            for leaf, v in value.items() if isinstance(value, dict) else [(None, value)]:
                column = f"{key}.{leaf}" if leaf else key
                if isinstance(v, bool):
                    v = "yes" if v else "no"
                elif isinstance(v, list):
                    v = ";".join(v) or "none"
                row[column] = str(v)
        rows.append(row)
    columns = sorted({c for r in rows for c in r})
    buf = io.StringIO()
    w = csv.DictWriter(buf, columns, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    """A folder as users keep them: good profiles, broken ones, and things that are no profile."""
    root = tmp_path / "portfolio"
    (root / "east").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "good.toml").write_text(GOOD, encoding="utf-8")
    (root / "east" / "small.toml").write_bytes((PROFILES / "small_pure_promotion.toml").read_bytes())
    (root / "broken.toml").write_text("schema_version = 1\n[agency\nname = 'x'\n", encoding="utf-8")
    (root / "typo.toml").write_text(GOOD.replace("commission_rate", "comission_rate"), encoding="utf-8")
    (root / "blob.toml").write_bytes(b"\x00\x01binary\xff")
    (root / "notes.txt").write_text("not a profile", encoding="utf-8")
    (root / ".git" / "config.toml").write_text("not = 'a profile'", encoding="utf-8")
    return root


# --- a messy folder ----------------------------------------------------------------


def test_a_messy_folder_gives_every_good_report_and_a_clear_list_of_failures(messy, tmp_path):
    out = tmp_path / "reports"
    r = run(str(messy), "--as-of", DATE, "--out-dir", str(out))
    assert r.exit_code == 2
    assert "Traceback" not in r.stdout + r.stderr
    assert "2 assessed, 3 failed" in r.stdout
    failed = r.stdout.split("FAILED (3)\n", 1)[1].splitlines()
    assert failed == [
        f"{messy}/blob.toml: not a text file (it contains binary data)",
        f"{messy}/broken.toml:2:8: TOML syntax error: expected ']' at the end of a table declaration",
        f"{messy}/typo.toml:6: agency.comission_rate: unknown field 'comission_rate'; "
        "did you mean 'commission_rate'? (got 0.2)",
    ]
    assert sorted(p.name for p in out.iterdir()) == [
        "east__small.json",
        "east__small.md",
        "good.json",
        "good.md",
        "summary.csv",
        "summary.html",
        "summary.json",
        "summary.md",
    ]
    report = json.loads((out / "east__small.json").read_text(encoding="utf-8"))
    assert report["agency"] == "Spark Live Studio (example)" and report["exposure"]["band"] == "critical"
    doc = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [f["source"] for f in doc["failures"]] == [f"{messy}/{n}.toml" for n in ("blob", "broken", "typo")]
    assert r.stderr.strip().endswith(f"2 assessed, 3 failed; reports in {out}")


def test_a_folder_skips_hidden_entries_and_other_files(messy):
    plan = discover([messy])
    assert plan.total == 5
    (folder,) = plan.inputs
    assert folder.files == (
        "blob.toml",
        "broken.toml",
        "good.toml",
        "typo.toml",
        os.path.join("east", "small.toml"),
    )


def test_csv_files_in_a_folder_are_named_not_guessed(messy):
    (messy / "survey.csv").write_text(csv_of(EXAMPLES[:1]), encoding="utf-8")
    plan = discover([messy])
    assert [i.kind for i in plan.inputs] == ["folder"]
    assert plan.notes == (
        f"{messy}/survey.csv: not read (folders are scanned for *.toml only); "
        f"to assess the profiles it holds, name it: mcn-advisor batch {messy}/survey.csv",
    )
    plan = discover([messy, messy / "survey.csv"])
    assert [i.kind for i in plan.inputs] == ["folder", "csv"] and plan.notes == ()


def test_paths_globs_and_duplicates(tmp_path, messy):
    plan = discover(
        [
            messy / "good.toml",
            messy,
            str(messy / "east" / "*.toml"),
            tmp_path / "gone.toml",
            str(tmp_path / "*.x"),
        ]
    )
    assert plan.total == 5 + 2  # good.toml and small.toml counted once; two failed PATHs
    problems = [p for i in plan.inputs for p in i.problems]
    assert problems == [
        f"{tmp_path}/gone.toml: no such file or folder",
        f"{tmp_path}/*.x: no file matches this pattern",
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert discover([empty]).inputs[0].problems == (f"{empty}: no .toml profiles in this folder",)


# --- CSV input ---------------------------------------------------------------------


def test_csv_rows_assess_like_the_same_profiles_in_toml(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text(csv_of(EXAMPLES), encoding="utf-8")
    from_csv = summarise(path)
    from_toml = summarise(*EXAMPLES)
    assert not from_csv.failures and from_csv.assessed == len(EXAMPLES)
    key = lambda r: (r.name, r.score, r.band, r.gmv_at_risk, r.revenue_at_risk, r.findings)  # noqa: E731
    assert [key(r) for r in from_csv.rows] == [key(r) for r in from_toml.rows]
    assert sorted(r.source for r in from_csv.rows) == sorted(
        f"{path}:{n}" for n in range(2, 2 + len(EXAMPLES))
    )


def test_a_bad_csv_row_never_stops_the_others(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text(
        "agency.name,agency.monthly_gmv_cny,platform_mix.douyin_live,platform_mix.kuaishou,"
        "clients.taobao_linked_share,supply_chain.partners,douyin.operates_own_store\n"
        'Alpha,"10,000,000",60%,0.4,0.3,suning;jd,yes\n'
        "Beta,5000000,0.5,0.5,1.4,,no\n"
        ",,,,,,\n"
        "Gamma,abc,0.5,0.5,0.1,,maybe\n"
        "Delta,1,0.5,0.5,0.1,,no,extra\n"
        "Epsilon,2000000,1\n",
        encoding="utf-8",
    )
    s = summarise(path)
    assert sorted(r.source for r in s.rows) == [f"{path}:2", f"{path}:7"]
    assert [p for f in s.failures for p in f.problems] == [
        f"{path}:3: clients.taobao_linked_share: must be within 0..1",
        f'{path}:5: agency.monthly_gmv_cny: must be a number (got "abc")',
        f'{path}:5: douyin.operates_own_store: must be true or false (got "maybe")',
        f"{path}:6: 8 cells, the header has 7",
    ]
    alpha = next(r for r in s.rows if r.name == "Alpha")
    assert alpha.gmv_at_risk == 10_000_000 * 0.6 * 0.5  # third_party_link_share left out: 0.50 assumed


def test_a_csv_line_too_long_to_hold_stops_the_file_there_and_the_rows_before_it_count(tmp_path, monkeypatch):
    monkeypatch.setattr(read, "MAX_LINE_CHARS", 100)
    path = tmp_path / "survey.csv"
    head = "agency.name,agency.monthly_gmv_cny,platform_mix.douyin_live\n"
    path.write_text(f"{head}Alpha,1000000,1\nBeta,{'9' * 200},1\nGamma,1000000,1\n", encoding="utf-8")
    s = summarise(path)
    assert [r.name for r in s.rows] == ["Alpha"]
    assert [p for f in s.failures for p in f.problems] == [
        f"{path}:3: a line longer than 100 characters; the rows after it are not read"
    ]
    path.write_text(f"{'x' * 200}\n", encoding="utf-8")  # the header itself: the whole file fails
    assert [p for f in summarise(path).failures for p in f.problems] == [
        f"{path}:1: a line longer than 100 characters"
    ]


def test_csv_cells_are_typed_by_field():
    data = csvfile.row_data(
        ["agency.name", "agency.creators", "clients.douyin_store_share", "supply_chain.partners", "as_of"],
        [" Acme ", "80", "45%", "suning, jd;", "2020-09-01"],
    )
    assert data == {
        "schema_version": 1,
        "agency": {"name": "Acme", "creators": 80},
        "clients": {"douyin_store_share": 0.45},
        "supply_chain": {"partners": ["suning", "jd"]},
        "as_of": AS_OF.replace(day=1, month=9),
    }
    assert csvfile.convert("TRUE", "bool") is True and csvfile.convert("否", "bool") is False
    assert csvfile.convert("1_000", "number") == 1000 and csvfile.convert("1e3", "number") == 1000
    assert csvfile.convert("none", "list") == [] and csvfile.convert("-", "list") == []


def test_unknown_csv_columns_fail_the_whole_file_with_a_hint(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text(
        "agency.name,clients.taobao_link_share,willing_to_open_store_share\nA,0.1,0.2\n", encoding="utf-8"
    )
    r = run(str(path), str(PROFILES / "minimal.toml"))
    assert r.exit_code == 2
    assert (
        f"{path}:1: unknown column 'clients.taobao_link_share'; did you mean 'clients.taobao_linked_share'?"
        in (r.stdout)
    )
    assert f"{path}:1: unknown column 'willing_to_open_store_share'; did you mean " in r.stdout
    assert "1 assessed, 1 failed" in r.stdout


# --- the summary -------------------------------------------------------------------


def test_summary_rows_and_totals_match_the_reports(pack):
    s = summarise(*EXAMPLES, fail_on="high")
    reports = {r.source: assess(example(Path(r.source).stem), pack, AS_OF) for r in s.rows}
    for row in s.rows:
        a = reports[row.source]
        risks = [f.rule_id for f in a.findings if f.kind == "risk"]
        assert (row.name, row.score, row.band) == (a.agency, a.exposure.score, a.exposure.band)
        assert row.gmv_at_risk == a.impact.gmv_at_risk_cny_monthly
        assert row.revenue_at_risk == a.impact.revenue_at_risk_cny_monthly
        assert row.findings == tuple(risks)
    # A row whose band and money rest on key fields left out is counted apart, in no band or total.
    sure = [reports[r.source] for r in s.rows if not r.insufficient]
    assert s.insufficient == len(s.rows) - len(sure) == 1  # minimal.toml
    bands = [a.exposure.band for a in sure]
    assert s.bands == {b: bands.count(b) for b in ("critical", "high", "moderate", "low")}
    assert s.gmv_at_risk == sum(a.impact.gmv_at_risk_cny_monthly for a in sure)
    assert s.revenue_at_risk == sum(a.impact.revenue_at_risk_cny_monthly for a in sure)
    counts = [(c.rule.rule_id, c.count) for c in s.common]
    for c in s.common:
        found = [f.severity for a in reports.values() for f in a.findings if f.rule_id == c.rule.rule_id]
        assert c.count == len(found) == sum(c.severities.values())
        assert c.severities == {sev: found.count(sev) for sev in c.severities}  # per profile, not per rule
    assert counts[0] == ("DY-CLIENT-001", 12) and len(counts) == portfolio.COMMON_FINDINGS
    live = next(c for c in s.common if c.rule.rule_id == "DY-LIVE-001")
    assert live.severities == {"critical": 4, "high": 2, "medium": 5, "low": 1}  # sized, not "critical 100%"
    assert [c for _, c in counts] == sorted((c for _, c in counts), reverse=True)
    assert s.failing == 6 and s.exit_code == 1  # a high finding or worse: sized, so not every example


def test_summary_is_sorted_by_score_then_name_then_path(tmp_path):
    for name in ("b", "a", "c"):
        (tmp_path / f"{name}.toml").write_text(GOOD, encoding="utf-8")  # same profile: same score
    (tmp_path / "z.toml").write_text(GOOD.replace('"Test MCN"', '"Another MCN"'), encoding="utf-8")
    (tmp_path / "top.toml").write_bytes((PROFILES / "small_pure_promotion.toml").read_bytes())
    rows = summarise(tmp_path).rows
    assert [Path(r.source).name for r in rows] == ["top.toml", "z.toml", "a.toml", "b.toml", "c.toml"]


def test_outputs_are_identical_whatever_the_jobs(tmp_path, messy):
    survey = tmp_path / "survey.csv"
    survey.write_text(csv_of(EXAMPLES), encoding="utf-8")
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        r = run(
            str(messy),
            str(PROFILES),
            str(survey),
            "--as-of",
            DATE,
            "--jobs",
            jobs,
            "-o",
            str(out),
            "-f",
            "json",
        )
        assert r.exit_code == 2
        files = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
        outs.append((r.stdout, files))
    assert outs[0] == outs[1]
    assert outs[0][1]["summary.json"].decode() == outs[0][0]


def test_exit_codes(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(GOOD.replace("douyin_live = 0.5", "douyin_short_video = 0.5"), encoding="utf-8")
    assert run(str(good), "--as-of", DATE).exit_code == 0
    assert run(str(good), "--as-of", DATE, "--fail-on", "critical").exit_code == 0
    small = str(PROFILES / "small_pure_promotion.toml")
    assert run(small, str(good), "--fail-on", "critical").exit_code == 1
    assert run(small, str(good), "--fail-on", "critical", str(tmp_path / "gone.toml")).exit_code == 2
    assert run(small, "--as-of", "2020-02-30").exit_code == 2
    assert run(small, "--jobs", "0").exit_code == 2


def test_summary_formats(tmp_path):
    weird = tmp_path / "weird.toml"
    weird.write_text(GOOD.replace('"Test MCN"', '"=HYPERLINK(\\"x\\") | *bold* 机构"'), encoding="utf-8")
    gone = str(tmp_path / "gone.toml")
    args = [
        str(weird),
        str(PROFILES / "small_pure_promotion.toml"),
        gone,
        "--as-of",
        DATE,
        "--fail-on",
        "high",
    ]

    doc = json.loads(run(*args, "-f", "json").stdout)
    assert doc["totals"] == {
        "assessed": 2,
        "failed": 1,
        "bands": {"critical": 1, "high": 0, "moderate": 0, "low": 0},  # the weird one in no band
        "gmv_at_risk_cny_monthly": 2_720_000,  # nor in the money
        "revenue_at_risk_cny_monthly": 598_400,
        "fail_on": "high",
        "reaching_fail_on": 1,
        "insufficient_data": 1,  # the weird one leaves out douyin.third_party_link_share
        "late": None,  # every profile dated within a year of the last step
    }
    assert doc["profiles"][0]["top_finding"]["rule_id"] == "DY-LIVE-001"
    assert doc["failures"] == [{"source": gone, "problems": [f"{gone}: no such file or folder"]}]

    rows = list(csv.DictReader(io.StringIO(run(*args, "-f", "csv").stdout)))
    assert [(r["status"], r["band"]) for r in rows] == [
        ("ok", "critical"),
        ("insufficient_data", "moderate"),
        ("failed", ""),
    ]
    assert rows[1]["name"].startswith("'=HYPERLINK")  # a spreadsheet shows it, never runs it
    assert rows[0]["gmv_at_risk_cny_monthly"] == "2720000" and rows[0]["reaches_fail_on"] == "true"
    assert rows[2]["error"] == f"{gone}: no such file or folder"

    md = run(*args, "-f", "markdown").stdout
    line = next(x for x in md.splitlines() if "HYPERLINK" in x)
    assert "\\| \\*bold\\*" in line and len(re.findall(r"(?<!\\)\|", line)) == 9  # 8 columns, unbroken
    assert "## Failed (1)" in md

    table = run(*args, "--lang", "zh").stdout
    assert table.startswith("批量评估汇总\n") and "评估失败（1）" in table


def test_summary_without_any_profile(tmp_path):
    r = run(str(tmp_path / "gone.toml"))
    assert r.exit_code == 2
    assert "No profile could be assessed." in r.stdout and "0 assessed, 1 failed" in r.stdout
    assert json.loads(run(str(tmp_path / "gone.toml"), "-f", "json").stdout)["profiles"] == []


def test_as_of_comes_from_each_profile_unless_given(tmp_path):
    later = tmp_path / "later.toml"
    later.write_text("as_of = 2020-10-20\n" + GOOD, encoding="utf-8")
    s = summarise(later, PROFILES / "minimal.toml", as_of=None)
    assert s.as_of is None and sorted(str(r.as_of) for r in s.rows) == ["2020-08-27", "2020-10-20"]
    assert "As of" in "".join(render.table(s)).splitlines()[3]  # a column, since the dates differ
    assert summarise(later, PROFILES / "minimal.toml").as_of == AS_OF


# --- report files ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "stem"),
    [
        (("..", "..", "etc", "passwd"), "etc__passwd"),
        (("a", "b.toml"), "a__b"),
        (("/", "abs", "x.TOML"), "abs__x"),
        (("we ird$name?.toml",), "we_ird_name_"),
        (("...",), "profile"),
        (("CON.toml",), "_CON"),
        (("鹿文化.toml",), "鹿文化"),
        (("survey", "row7"), "survey__row7"),
    ],
)
def test_report_names_are_safe(parts, stem):
    assert report_names.safe_stem(parts) == stem


def test_long_names_are_cut_but_stay_distinct():
    a = report_names.safe_stem(("x" * 300 + "a.toml",))
    b = report_names.safe_stem(("x" * 300 + "b.toml",))
    assert len(a) == report_names.STEM_MAX and a != b


def test_report_names_never_clash():
    names = report_names.ReportNames()
    got = [
        names.assign(p)
        for p in [("a", "b.toml"), ("a__b.toml",), ("A__B.toml",), ("summary.toml",), ("a__b-2",)]
    ]
    assert got == ["a__b", "a__b-2", "A__B-3", "summary-2", "a__b-2-2"]


def test_reports_stay_inside_the_out_dir_whatever_the_agency_is_called(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.toml").write_text(GOOD.replace('"Test MCN"', '"../../../escape"'), encoding="utf-8")
    (src / "a_b.toml").write_text(GOOD, encoding="utf-8")
    (src / "a").mkdir()
    (src / "a" / "b.toml").write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out"
    r = run(str(src), "-o", str(out), "--as-of", DATE, "--report", "html", "-r", "json")
    assert r.exit_code == 0, r.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "a.html",
        "a.json",
        "a__b.html",
        "a__b.json",
        "a_b.html",
        "a_b.json",
        "summary.csv",
        "summary.html",
        "summary.json",
        "summary.md",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert "[json](a__b.json) [html](a__b.html)" in md
    page = (out / "summary.html").read_text(encoding="utf-8")
    assert '<a href="a__b.html">Test MCN</a>' in page and '<a href="a__b.json">json</a>' in page
    assert "../../../escape" in page and 'href="../' not in page  # the name shows; links stay inside
    report = (out / "a.html").read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html>") and "../../../escape" in report


def test_report_formats_need_an_out_dir():
    r = run(str(PROFILES / "minimal.toml"), "--report", "html")
    assert r.exit_code == 2
    assert r.stderr.strip() == "error: --report writes per-profile reports into --out-dir; give --out-dir DIR"


def test_out_dir_never_overwrites_inputs(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "summary.csv").write_text(csv_of(EXAMPLES[:1]), encoding="utf-8")
    (src / "a.toml").write_text(GOOD, encoding="utf-8")
    before = {p.name: p.read_bytes() for p in src.iterdir()}
    for target in (src, src / "a.toml"):
        r = run(str(src), str(src / "summary.csv"), "-o", str(target))
        assert r.exit_code == 2
        assert r.stdout == ""
    assert "holds input profiles of this run" in run(str(src), "-o", str(src)).stderr
    assert "exists and is not a folder" in run(str(src), "-o", str(src / "a.toml")).stderr
    assert {p.name: p.read_bytes() for p in src.iterdir()} == before


def test_an_out_dir_inside_the_input_folder_is_not_read_as_input(tmp_path):
    (tmp_path / "a.toml").write_text(GOOD, encoding="utf-8")
    out = tmp_path / "reports"
    out.mkdir()
    (out / "old.toml").write_text("junk", encoding="utf-8")
    r = run(str(tmp_path), "-o", str(out), "--as-of", DATE)
    assert r.exit_code == 0 and "1 assessed, 0 failed" in r.stdout


@pytest.mark.parametrize(
    ("sig", "jobs"), [("SIGINT", 1), ("SIGINT", 2), ("SIGTERM", 1), ("SIGTERM", 2), ("SIGHUP", 1)]
)
def test_a_stop_signal_keeps_written_reports_whole_and_leaves_no_temp_file(tmp_path, sig, jobs):
    # Ctrl-C raises KeyboardInterrupt; SIGTERM and SIGHUP raise Stopped, from the handler the CLI installs.
    from mcn_advisor.errors import Stopped

    if not hasattr(signal, sig):
        pytest.skip(f"no {sig} here")
    signum = getattr(signal, sig)

    def stop(signum, frame):
        raise Stopped(signum)

    # (Python's own Ctrl-C handler for SIGINT, even in a suite started where it is ignored)
    previous = signal.signal(signum, stop if sig != "SIGINT" else signal.default_int_handler)
    for i in range(30):
        (tmp_path / f"p{i:02d}.toml").write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out"
    done = 0

    def send() -> None:
        nonlocal done
        done += 1
        if done == 5:
            os.kill(os.getpid(), signum)  # as a terminal, a CI time-out or a closed terminal sends it

    plan = discover([tmp_path], exclude=out)
    cfg = settings(out_dir=out, formats=batch.report_renderers())
    try:
        with pytest.raises(KeyboardInterrupt if sig == "SIGINT" else Stopped):
            batch.run(plan, cfg, jobs=jobs, on_result=send)
    finally:
        signal.signal(signum, previous)
    names = sorted(p.name for p in out.iterdir())
    assert 5 <= len(names) / 2 < 30
    assert all(n.endswith((".json", ".md")) and not n.startswith(("summary", ".")) for n in names)
    for name in names:  # each report is whole: JSON that parses, Markdown that ends as written
        text = (out / name).read_text(encoding="utf-8")
        if name.endswith(".json"):
            assert json.loads(text)["agency"] == "Test MCN"
        else:
            assert text.startswith("# Test MCN") and text.endswith("\n") and "## " in text


def test_any_exception_while_assessing_one_input_is_its_failure(tmp_path, monkeypatch):
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.toml").write_text(GOOD, encoding="utf-8")
    real = batch.load_profile

    def flaky(path, rules=None):
        if str(path).endswith("b.toml"):
            raise MemoryError("simulated")
        return real(path, rules)

    monkeypatch.setattr(batch, "load_profile", flaky)
    result = batch.run(discover([tmp_path]), settings())
    assert result.assessed == 2
    assert [f.problems for f in result.failures] == [
        (f"{tmp_path / 'b.toml'}: could not be assessed (MemoryError: simulated)",)
    ]


def bar_shown(monkeypatch, expected: int, ticks: int) -> str:
    """What the progress bar shows on a terminal, expecting ``expected`` and ticked ``ticks`` times."""
    from mcn_advisor import cli

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    fake = Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    with cli._progress(expected) as tick:
        for _ in range(ticks):
            tick()
    return fake.getvalue()


def test_progress_bar_only_on_a_terminal(monkeypatch):
    from mcn_advisor import cli

    with cli._progress(100) as tick:
        assert tick is None  # pytest's stderr is no terminal
    shown = bar_shown(monkeypatch, 3, 3)
    assert "assessing" in shown and "3/3" in shown


def test_a_bar_expecting_fewer_profiles_than_come_grows_its_total(monkeypatch):
    shown = bar_shown(monkeypatch, 2, 5)
    assert "5/5" in shown and "3/2" not in shown


def test_a_csv_is_counted_by_its_lines_and_its_rows_are_read_once(tmp_path, monkeypatch):
    # discover() expects a CSV's rows from its count of lines (found while checking its
    # encoding) instead of reading every row twice; only the first row is read, to tell a
    # table without data.
    path = tmp_path / "survey.csv"
    header = "agency.name,agency.monthly_gmv_cny,platform_mix.douyin_live"
    path.write_text(header + "\n" + "".join(f"A{i},{1000 + i},1\n" for i in range(6)), encoding="utf-8")
    read = []
    real = csvfile.checked_rows

    def counting(rows, *args):
        for row in real(rows, *args):
            read.append(row.number)
            yield row

    monkeypatch.setattr(csvfile, "checked_rows", counting)
    plan = discover([path])
    assert plan.total == 6 and read == [2]
    assert batch.run(plan, settings(), jobs=1).assessed == 6 and read == [2, 2, 3, 4, 5, 6, 7]
    # A last line without a break counts; blank lines are expected (and then skipped).
    path.write_text(header + "\nA,1,1\n,,\n\nB,2,1", encoding="utf-8")
    plan = discover([path])
    assert plan.total == 4 and plan.inputs[0].kind == "csv"
    assert batch.run(plan, settings(), jobs=1).assessed == 2


@pytest.mark.parametrize("body", ["", "\n", ",,\n  ,\n"])
def test_a_csv_without_data_rows_fails_whole_before_the_run(tmp_path, body):
    path = tmp_path / "survey.csv"
    path.write_text("agency.name,agency.monthly_gmv_cny,platform_mix.douyin_live\n" + body, encoding="utf-8")
    plan = discover([path])
    assert plan.inputs[0].kind == "failed"
    assert plan.inputs[0].problems == (f"{path}: no data rows under the header",)


def test_default_jobs():
    assert batch.default_jobs(10) == 1
    assert batch.default_jobs(10_000) == len(os.sched_getaffinity(0))


def test_the_readme_example_is_real_output(monkeypatch):
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Batch: a portfolio at once", 1)[1]
    block = re.search(r"```text\n(PORTFOLIO SUMMARY\n.*?)```", section, flags=re.S).group(1)
    monkeypatch.chdir(ROOT)
    out = run("profiles/", "--as-of", DATE).stdout.splitlines()
    for line in block.splitlines():
        assert line == "..." or line in out, line


def test_a_stopped_run_removes_only_its_own_temporary_files(tmp_path):
    for name in (".a.json.k2j4x9q.tmp", ".a.md.mine42.tmp", ".b.json.mine42.tmp", "a.json", ".a.json"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    write.discard(tmp_path, "mine42")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".a.json", ".a.json.k2j4x9q.tmp", "a.json"]


def test_reports_are_named_only_once_they_are_on_disk(tmp_path, monkeypatch):
    synced: list[list[str]] = []
    monkeypatch.setattr(os, "sync", lambda: synced.append(sorted(p.name for p in tmp_path.iterdir())))
    write.write_hidden(tmp_path / "a.json", "{}", "t1")
    write.write_hidden(tmp_path / "a.md", ["# a", "\n"], "t1")
    hidden = sorted(p.name for p in tmp_path.iterdir())
    assert [h.split(".")[1:3] for h in hidden] == [["a", "json"], ["a", "md"]]
    assert all(h.endswith(".t1.tmp") for h in hidden)
    write.publish([tmp_path / "a.json", tmp_path / "a.md"], "t1")
    assert synced == [hidden]  # one sync, before any file has its name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "a.md"]
    assert (tmp_path / "a.md").read_text(encoding="utf-8") == "# a\n"


def test_a_report_given_as_bytes_is_written_as_they_are(tmp_path):
    data = '{\n  "agency": "鹿 Studio"\n}\n'.encode()
    write.write_hidden(tmp_path / "a.json", data, "t1")
    write.publish([tmp_path / "a.json"], "t1")
    assert (tmp_path / "a.json").read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_long_report_names_that_share_their_start_get_hidden_files_of_their_own(tmp_path):
    # A name cut to fit 255 bytes loses its end: the .json and the .md of one long stem would
    # otherwise be written to the same hidden file.
    stem = "机" * 80  # 240 bytes: the names fit, their hidden names are cut
    for ext in ("json", "md"):
        write.write_hidden(tmp_path / f"{stem}.{ext}", ext, "t1")
    write.publish([tmp_path / f"{stem}.json", tmp_path / f"{stem}.md"], "t1")
    assert sorted(p.read_text(encoding="utf-8") for p in tmp_path.iterdir()) == ["json", "md"]


def test_a_batch_syncs_its_reports_a_few_hundred_profiles_at_a_time(tmp_path, monkeypatch):
    for i in range(5):
        (tmp_path / f"p{i}.toml").write_text(GOOD, encoding="utf-8")
    syncs: list[str] = []
    monkeypatch.setattr(os, "sync", lambda: syncs.append("sync"))
    monkeypatch.setattr(os, "fsync", lambda fd: syncs.append("folder"))  # never a file's own
    monkeypatch.setattr(batch, "PUBLISH_EVERY", 2)
    out = tmp_path / "out"
    s = summarise(tmp_path, out_dir=out, formats=batch.report_renderers())
    assert s.assessed == 5 and syncs == ["sync", "folder"] * 3  # profiles 1-2, 3-4, 5
    reports = sorted(f"p{i}.{ext}" for i in range(5) for ext in ("json", "md"))
    assert sorted(p.name for p in out.iterdir()) == reports


@pytest.mark.parametrize("sep", [";", "\t"])
def test_csv_exported_with_semicolons_or_tabs(tmp_path, sep):
    path = tmp_path / "survey.csv"
    rows = [["agency.name", "agency.monthly_gmv_cny", "platform_mix.douyin_live", "supply_chain.partners"]]
    rows.append(["Acme, Ltd", "1000000", "1", "suning,jd"])
    path.write_text(
        "\n".join(sep.join(r if sep == "\t" else [f'"{c}"' for c in r]) for r in rows), encoding="utf-8"
    )
    s = summarise(path)
    assert not s.failures and [r.name for r in s.rows] == ["Acme, Ltd"]


def test_accepted_risks_do_not_count_toward_fail_on(tmp_path):
    accepted = GOOD.replace("douyin_live = 0.5", "douyin_live = 0.9").replace(
        "kuaishou = 0.5", "kuaishou = 0.1"
    )
    text = accepted + '\n[[accepted_risks]]\nrule = "DY-PLAT-001"\nreason = "Douyin is our market"\n'
    (tmp_path / "a.toml").write_text(text, encoding="utf-8")
    s = summarise(tmp_path, fail_on="medium", as_of=dt.date(2020, 10, 20))
    [row] = s.rows
    assert "DY-PLAT-001" in row.findings  # still shown
    assert s.failing == 0 and s.exit_code == 0
    expired = text + "until = 2020-10-01\n"
    (tmp_path / "a.toml").write_text(expired, encoding="utf-8")
    assert summarise(tmp_path, fail_on="medium", as_of=dt.date(2020, 10, 20)).failing == 1


def test_several_packs_score_each_profile_by_the_headline_pack(tmp_path):
    (tmp_path / "jd.toml").write_bytes((PROFILES / "kuaishou_first_jd.toml").read_bytes())
    s = summarise(tmp_path, packs=("douyin-2020", "kuaishou-2019"))
    [row] = s.rows
    from mcn_advisor.core.combine import assess_all
    from mcn_advisor.pack.select import load_packs

    a = assess_all(example("kuaishou_first_jd"), load_packs(["douyin-2020", "kuaishou-2019"]), AS_OF)
    assert (row.score, row.band, row.gmv_at_risk) == (
        a.exposure.score,
        a.exposure.band,
        a.impact.gmv_at_risk_cny_monthly,
    )
    assert {f.rule_id for f in a.findings if f.kind == "risk"} == set(row.findings)
    assert [pid for pid, _ in s.policies] == ["douyin-2020-closed-loop", "kuaishou-2019-taobao-links"]
    r = run(str(tmp_path), "--as-of", DATE, "--policy", "nope")
    assert r.exit_code == 2 and "no such policy pack" in r.stderr


def test_a_csv_row_with_a_mistyped_partner_fails_alone_with_did_you_mean(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text(
        "agency.name,agency.monthly_gmv_cny,platform_mix.douyin_live,supply_chain.partners\n"
        "Good MCN,1000000,1,suning\nTypo MCN,1000000,1,sunning\n",
        encoding="utf-8",
    )
    s = summarise(path)
    assert [r.name for r in s.rows] == ["Good MCN"]
    [failure] = s.failures
    assert failure.source == f"{path}:3" and "did you mean 'suning'?" in failure.problems[0]


@pytest.mark.parametrize("limit", [1, 2, 7, 10_000])
def test_the_spilled_store_gives_back_what_sorted_would(monkeypatch, limit):
    monkeypatch.setattr(spill, "MAX_RUNS", 3)  # compaction too
    items = [(n % 7, -n % 5, n) for n in range(200)]
    rows, failures = spill.Spilled(lambda x: x[:2], limit), spill.Spilled(None, limit)
    for item in items:
        rows.add(item)
        failures.add(item)
    expected = sorted(items, key=lambda x: x[:2])  # ties (same key) keep the order they came in
    assert list(rows) == expected and list(rows) == expected and len(rows) == 200
    assert list(failures) == items and len(failures) == 200


class Item(NamedTuple):  # (at the top level: a store of mixed items pickles it by its name)
    key: int
    text: str


@pytest.mark.parametrize("mixed", [False, True])
def test_the_spilled_store_gives_named_tuples_back_of_their_class(monkeypatch, mixed):
    # Named tuples go to disk as plain tuples (cheaper to pickle) and must come back as they
    # were: equal, of their class, in order; a store whose items turn mixed half-way too.
    monkeypatch.setattr(spill, "MAX_RUNS", 2)  # compaction rewrites runs read back
    items: list[Any] = [Item(n % 4, f"t{n}") for n in range(25)]
    if mixed:
        items[17] = (2, "a plain tuple")
    store = spill.Spilled(lambda x: x[0], 4)
    for item in items:
        store.add(item)
    expected = sorted(items, key=lambda x: x[0])
    for _ in range(2):
        back = list(store)
        assert back == expected and [type(x) for x in back] == [type(x) for x in expected]
    assert sum(type(x) is Item for x in back) == (24 if mixed else 25)


def test_a_batch_spilled_to_disk_writes_the_same_summaries(tmp_path, monkeypatch):
    path = tmp_path / "survey.csv"
    text = csv_of(EXAMPLES * 4)
    bad_row = text.splitlines()[1].replace(",", ",,", 1)  # a cell too many
    path.write_text(f"{text}{bad_row}\n", encoding="utf-8")
    kept = summarise(path, fail_on="high")
    monkeypatch.setattr(spill, "LIMIT", 3)
    monkeypatch.setattr(spill, "MAX_RUNS", 4)
    spilled = summarise(path, fail_on="high")
    assert spilled.failures and spilled.assessed == kept.assessed == len(EXAMPLES) * 4
    for fmt in ("table", "json", "csv", "markdown"):
        for lang in ("en", "zh"):
            write = get_renderer("portfolio", fmt)
            assert write(spilled, lang) == write(kept, lang), (fmt, lang)


def test_pieces_shrink_as_the_end_nears_so_the_workers_finish_together(tmp_path):
    # A piece holds at most an eighth of each worker's share of the profiles still to come:
    # full pieces while many are left, then smaller ones, the last of a single profile, so
    # no worker idles through another's last full piece. The tasks are the same, in order.
    path = tmp_path / "survey.csv"
    rows = [f"A{i},{1000 + i},1" for i in range(1000)]
    path.write_text("agency.name,agency.monthly_gmv_cny,platform_mix.douyin_live\n" + "\n".join(rows) + "\n")

    def sizes(jobs: int) -> list[int]:
        pieces = list(batch.work(discover([path]), None, 64, jobs))
        tasks = [task for piece in pieces for task in batch.unpack(piece)]
        assert [t.source for t in tasks] == [f"{path}:{n}" for n in range(2, 1002)]
        return [sum(len(p.numbers) if isinstance(p, batch.Rows) else 1 for p in w) for w in pieces]

    assert sizes(0) == [64] * 15 + [40]  # no workers named: pieces of the size given
    for jobs in (2, 3):
        got = sizes(jobs)
        left = 1000
        for size in got:  # each piece: an eighth of a worker's share of what is left, 64 at most
            assert size == max(1, min(64, left // (jobs * 8)))
            left -= size
        assert got[-jobs * 8 :] == [1] * (jobs * 8)  # the last profiles one at a time


def test_rows_go_to_the_workers_packed_and_unpack_to_the_same_tasks(tmp_path, monkeypatch):
    path = tmp_path / "survey.csv"
    lines = ["agency.name,agency.monthly_gmv_cny,platform_mix.douyin_live"]
    lines += [f"A{i},{1000 + i},1" if i != 4 else "Wide,1,1,1" for i in range(10)]
    lines.insert(6, ",,")  # a blank row: skipped, not counted
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def flat(size: int) -> list[batch.Task]:
        pieces = list(batch.work(discover([path]), report_names.ReportNames(), size))
        assert all(sum(len(p.numbers) if isinstance(p, batch.Rows) else 1 for p in w) <= size for w in pieces)
        return [task for piece in pieces for task in batch.unpack(piece)]

    expected = flat(1)
    assert [t.source for t in expected] == [f"{path}:{n}" for n in (2, 3, 4, 5, 6, 8, 9, 10, 11, 12)]
    assert expected[4].problems == (f"{path}:6: 4 cells, the header has 3",)
    assert expected[5].cells == ["A5", "1005", "1"] and expected[5].report == "survey__row8"
    for size in (2, 3, 64):
        assert flat(size) == expected
    # A NUL in a cell (the file changed after it was checked) cannot travel joined: sent as is.
    real = csvfile.read_cells

    def with_nul(*args):
        sheet = real(*args)
        return sheet._replace(
            rows=(r._replace(cells=[f"{r.cells[0]}\x00", *r.cells[1:]]) if r.cells else r for r in sheet.rows)
        )

    monkeypatch.setattr(csvfile, "read_cells", with_nul)
    tasks = flat(64)
    assert [t.cells[0] for t in tasks if t.cells] == [f"{t.cells[0]}\x00" for t in expected if t.cells]


def test_a_summary_shown_otherwise_than_as_the_table_makes_no_table_cells():
    # The workers make each row's table cells only for the table; the other summaries are the same.
    tabled, plain = summarise(ROOT / "profiles"), summarise(ROOT / "profiles", table=False)
    assert all(r.cells for r in tabled.rows) and tabled.cells_lang == "en"
    assert not any(r.cells or r.widths for r in plain.rows) and plain.cells_lang is None
    for fmt in ("json", "csv", "table"):
        assert "".join(batch.summary_text(plain, fmt, "en", bom=False)) == "".join(
            batch.summary_text(tabled, fmt, "en", bom=False)
        )


def test_a_run_in_this_process_collects_rarely_and_gives_the_collector_back(monkeypatch):
    # Profile after profile, the collector's first threshold is raised (a profile's objects die
    # by reference counting; walking them each 700 allocations is waste); the caller's own
    # thresholds come back after the run, also when it fails.
    import gc

    seen = []
    before = gc.get_threshold()
    batch.run(discover([str(GOOD)]), settings(), jobs=1, on_result=lambda: seen.append(gc.get_threshold()))
    assert seen == [(batch.COLLECT_AFTER, *before[1:])] and gc.get_threshold() == before

    def broken(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "assess_one", broken)
    with pytest.raises(KeyboardInterrupt):
        batch.run(discover([str(GOOD)]), settings(), jobs=1)
    assert gc.get_threshold() == before
