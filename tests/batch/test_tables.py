"""Spreadsheets in and out: CSV in any encoding Excel or WPS saves, .xlsx sheets, Chinese
column headers, summary.csv with a BOM, the summary as .xlsx, and 'insufficient data'."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from mcn_advisor.cli import app
from mcn_advisor.errors import ProfileError
from mcn_advisor.profile import csvfile
from mcn_advisor.render.portfolio import CSV_COLUMNS
from tests.conftest import AS_OF, ROOT

runner = CliRunner()
DATE = AS_OF.isoformat()
ENGLISH = [
    "agency.name",
    "agency.monthly_gmv_cny",
    "platform_mix.douyin_live",
    "platform_mix.other",
    "douyin.third_party_link_share",
    "supply_chain.warehousing",
    "as_of",
]
CHINESE = [
    "机构名称",
    "月GMV（元）",
    "抖音直播GMV占比",
    "其他平台GMV占比",
    "抖音直播外链成交占比",
    "是否有仓储",
    "评估日期",
]
ROWS = [
    ["星光传媒", "10,000,000", "0.6", "0.4", "0.5", "是", "2020-08-27"],
    ["Alpha MCN", "3000000", "45%", "55%", "0.8", "no", "2020-08-27"],
]


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, ["batch", *args], env={"NO_COLOR": "1", "COLUMNS": "200", **(env or {})})


def text_of(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([header, *rows])
    return buf.getvalue()


def profiles(path: Path) -> list[dict]:
    return [row.data for row in csvfile.read_rows(path)]


def summary(*args: str) -> list[dict]:
    """Each profile's summary row, less where it came from."""
    r = run(*args, "-f", "json", "--as-of", DATE)
    rows = json.loads(r.stdout)["profiles"]
    return [{k: v for k, v in row.items() if k != "source"} for row in rows]


# --- encodings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom", "said"),
    [
        ("utf-8", b"", None),
        ("utf-8", codecs.BOM_UTF8, None),
        ("gbk", b"", "GB18030"),
        ("gb18030", b"", "GB18030"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "UTF-16"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "UTF-16"),
    ],
)
def test_every_encoding_a_spreadsheet_saves_gives_the_same_profiles(tmp_path, encoding, bom, said):
    plain = tmp_path / "plain.csv"
    plain.write_text(text_of(ENGLISH, ROWS), encoding="utf-8")
    saved = tmp_path / "saved.csv"
    saved.write_bytes(bom + text_of(CHINESE, ROWS).encode(encoding))
    assert profiles(saved) == profiles(plain)
    assert profiles(saved)[0]["agency"] == {"name": "星光传媒", "monthly_gmv_cny": 10_000_000}
    r = run(str(saved), "--as-of", DATE)
    assert r.exit_code == 0, r.output
    notes = [line for line in r.stderr.splitlines() if "read as" in line]
    assert notes == ([f"{saved}: read as {said} (not UTF-8)"] if said else [])
    zh = run(str(saved), "--as-of", DATE, "--lang", "zh").stderr
    assert (f"{saved}：按 {said} 编码读取（不是 UTF-8）" in zh) == bool(said)


@pytest.mark.parametrize(
    ("data", "line", "what"),
    [
        ("a,b\nx\xe9,1\n".encode("latin-1"), 2, "UTF-8 (byte 0xe9)"),
        (text_of(CHINESE, ROWS).encode("gbk") + b"\x80\xff,1\n", 4, "GB18030 (byte 0x80)"),
        (codecs.BOM_UTF16_LE + "a\nb\n".encode("utf-16-le") + b"\x00\xd8A\x00", 3, "UTF-16-LE"),
        (codecs.BOM_UTF8 + b"a\n\xff\n", 2, "UTF-8 (byte 0xff)"),
    ],
)
def test_bad_bytes_name_the_file_and_line(tmp_path, data, line, what):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(data)
    with pytest.raises(ProfileError) as err:
        profiles(bad)
    assert err.value.problems[0].startswith(f"{bad}:{line}: not valid {what}")


def test_a_workbook_or_utf16_without_bom_named_csv_is_refused_in_one_line(tmp_path):
    book = tmp_path / "book.csv"
    _workbook(tmp_path / "x.xlsx", [ENGLISH, ROWS[0]])
    book.write_bytes((tmp_path / "x.xlsx").read_bytes())
    wide = tmp_path / "wide.csv"
    wide.write_bytes(text_of(ENGLISH, ROWS).encode("utf-16-le"))
    r = run(str(book), str(wide))
    assert r.exit_code == 2
    assert f"{book}: an Excel workbook (.xlsx), not CSV" in r.stdout
    assert f"{wide}: not a text file" in r.stdout


# --- Chinese column headers ----------------------------------------------------------


def test_chinese_english_and_mixed_headers_give_the_same_profiles(tmp_path):
    english, chinese, mixed, spaced = (tmp_path / f"{n}.csv" for n in ("en", "zh", "mixed", "spaced"))
    english.write_text(text_of(ENGLISH, ROWS), encoding="utf-8")
    chinese.write_text(text_of(CHINESE, ROWS), encoding="utf-8")
    mixed.write_text(text_of(CHINESE[:3] + ENGLISH[3:], ROWS), encoding="utf-8")
    # NFKC, whitespace and case: 月 gmv(元) is 月GMV（元）
    spaced.write_text(text_of(["机构名称", "月 gmv(元)", *CHINESE[2:]], ROWS), encoding="utf-8")
    assert profiles(chinese) == profiles(mixed) == profiles(spaced) == profiles(english)


def test_a_field_named_twice_or_in_the_wrong_unit_is_a_clear_error(tmp_path):
    twice = tmp_path / "twice.csv"
    twice.write_text(
        text_of(["机构名称", "agency.name", "月GMV（万元）", "淘宝外链客户占比(%)"], []), encoding="utf-8"
    )
    with pytest.raises(ProfileError) as err:
        profiles(twice)
    assert err.value.problems == [
        f"{twice}:1: columns '机构名称' and 'agency.name' both name agency.name",
        f"{twice}:1: unknown column '月GMV（万元）': a column in 10,000 CNY (万元); give CNY (元)",
        f"{twice}:1: unknown column '淘宝外链客户占比(%)': a column in percent; give a share from 0 to 1, "
        "or 45% in a cell",
    ]


def test_every_field_has_chinese_names_and_none_names_two():
    aliases = csvfile.aliases()
    assert list(aliases) == list(csvfile.COLUMNS)
    seen: dict[str, str] = {}
    for column, names in aliases.items():
        assert names, column
        for name in names:
            assert seen.setdefault(csvfile.header_key(name), column) == column, name


def test_the_docs_list_every_chinese_column_name():
    doc = (ROOT / "docs" / "csv-columns.md").read_text(encoding="utf-8")
    for column, names in csvfile.aliases().items():
        line = next(x for x in doc.splitlines() if x.startswith(f"| `{column}` |"))
        assert all(name in line for name in names), column
    assert "docs/csv-columns.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_init_csv_writes_a_template_batch_reads(tmp_path):
    zh, en = tmp_path / "zh.csv", tmp_path / "en.csv"
    assert runner.invoke(app, ["init", "--csv", str(zh), "--lang", "zh"]).exit_code == 0
    assert runner.invoke(app, ["init", "--csv", str(en)]).exit_code == 0
    assert zh.read_bytes().startswith(codecs.BOM_UTF8)
    header = zh.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header == [names[0] for names in csvfile.aliases().values()]
    assert en.read_text(encoding="utf-8-sig").splitlines()[0].split(",") == list(csvfile.COLUMNS)
    assert profiles(zh) == profiles(en)
    assert profiles(zh)[0]["agency"]["monthly_gmv_cny"] == 20_000_000
    again = runner.invoke(app, ["init", "--csv", str(zh)])
    assert again.exit_code == 2 and "already exists" in again.output


# --- .xlsx in ------------------------------------------------------------------------


def _workbook(path: Path, *sheets: list[list], names: tuple[str, ...] = ()) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for i, rows in enumerate(sheets):
        ws = book.create_sheet(names[i] if i < len(names) else f"Sheet{i + 1}")
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


TYPED = [
    ["星光传媒", 10_000_000, 0.6, 0.4, 0.5, True, dt.datetime(2020, 8, 27)],  # numbers, a date
    [None] * 7,  # a blank row in between
    ["Alpha MCN", "3000000", "45%", "55%", "0.8", "no", "2020-08-27"],  # the same, as text
]


def test_an_xlsx_sheet_gives_the_same_assessments_as_the_csv(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text(text_of(ENGLISH, ROWS), encoding="utf-8")
    book = _workbook(tmp_path / "survey.xlsx", [CHINESE, *TYPED], [["说明"]], names=("数据", "Notes"))
    ws_book = openpyxl.load_workbook(book)
    ws_book["数据"].merge_cells("A6:C6")  # a merged, otherwise blank row below the data
    ws_book.save(book)
    first = summary(str(plain))
    assert summary(str(book)) == first
    assert summary(f"{book}#数据") == first
    r = run(f"{book}#数据", "-f", "csv", "--as-of", DATE)
    assert [row["source"] for row in csv.DictReader(io.StringIO(r.stdout))] == [
        f"{book}#数据:4",
        f"{book}#数据:2",
    ]  # rows numbered as the sheet shows them (sorted by score)


def test_a_missing_or_empty_sheet_fails_alone(tmp_path):
    book = _workbook(tmp_path / "s.xlsx", [ENGLISH, ROWS[0]], [], names=("Data", "Empty"))
    r = run(str(book), f"{book}#Nope", f"{book}#Empty", "--as-of", DATE)
    assert r.exit_code == 2 and "1 assessed, 2 failed" in r.stdout
    assert f"{book}#Nope: no sheet 'Nope' in the workbook; its sheets: 'Data', 'Empty'" in r.stdout
    assert f"{book}#Empty: the sheet is empty" in r.stdout


def test_a_damaged_workbook_is_one_line_and_the_batch_goes_on(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(text_of(ENGLISH, ROWS), encoding="utf-8")
    whole = _workbook(tmp_path / "whole.xlsx", [ENGLISH, ROWS[0]]).read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "text.xlsx").write_text("not a workbook", encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/sharedStrings.xml", b" " * (65 << 20))
    with zipfile.ZipFile(tmp_path / "empty-zip.xlsx", "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    names = ["cut.xlsx", "text.xlsx", "bomb.xlsx", "empty-zip.xlsx"]
    r = run(*(str(tmp_path / n) for n in names), str(good), "--as-of", DATE)
    assert r.exit_code == 2 and "2 assessed, 4 failed" in r.stdout
    failed = r.stdout.split("FAILED (4)\n")[1].splitlines()
    assert [line.split(":")[0] for line in failed] == [str(tmp_path / n) for n in names]
    assert "unzips to 65 MiB, more than the 64 MiB" in failed[2]
    assert "Traceback" not in r.output


# --- out: summary.csv, the xlsx summary, insufficient data -----------------------------

GAP = [
    "agency.name",
    "agency.monthly_gmv_cny",
    "platform_mix.douyin_live",
    "platform_mix.other",
    "douyin.third_party_link_share",
]


def _gap_survey(tmp_path: Path) -> Path:
    survey = tmp_path / "survey.csv"
    rows = [
        ["No Link", "10000000", "0.6", "0.4", ""],
        ["=cmd|' /C calc'!A0", "10000000", "0.6", "0.4", "0.5"],
    ]
    survey.write_text(text_of(GAP, rows), encoding="utf-8")
    return survey


def test_a_row_without_its_key_fields_says_insufficient_data(tmp_path):
    survey = _gap_survey(tmp_path)
    doc = json.loads(run(str(survey), "-f", "json", "--as-of", DATE).stdout)
    assert doc["schema_version"] == 3 and doc["totals"]["insufficient_data"] == 1
    by_name = {p["name"]: p for p in doc["profiles"]}
    gap, full = by_name["No Link"], by_name["=cmd|' /C calc'!A0"]
    assert (
        gap["status"] == "insufficient_data" and "douyin.third_party_link_share" in gap["key_fields_missing"]
    )
    assert full["status"] == "ok" and full["key_fields_missing"] == []
    assert gap["confidence"] == full["confidence"] == "low"  # most fields are left out in both
    table = run(str(survey), "--as-of", DATE).stdout
    line = next(x for x in table.splitlines() if "No Link" in x)
    assert "insufficient data" in line and "CNY" not in line and "low" in line
    zh = run(str(survey), "--as-of", DATE, "--lang", "zh").stdout
    assert "数据不足" in next(x for x in zh.splitlines() if "No Link" in x)
    md = run(str(survey), "-f", "markdown", "--as-of", DATE).stdout
    assert "| insufficient data | No Link | — | — |" in md


def test_summary_csv_has_a_bom_and_stdout_to_a_pipe_none(tmp_path):
    survey = _gap_survey(tmp_path)
    out = tmp_path / "out"
    r = run(str(survey), "--out-dir", str(out), "--as-of", DATE)
    assert r.exit_code == 0, r.output
    data = (out / "summary.csv").read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(row["status"], row["confidence"]) for row in rows] == [
        ("ok", "low"),
        ("insufficient_data", "low"),
    ]
    assert not run(str(survey), "-f", "csv", "--as-of", DATE).stdout.startswith("\ufeff")
    assert not (out / "summary.xlsx").exists()  # only when asked for


def _xlsx(tmp_path: Path, name: str, *extra: str) -> bytes:
    out = tmp_path / name
    r = run(
        str(_gap_survey(tmp_path)),
        str(tmp_path / "gone.toml"),
        "-f",
        "xlsx",
        "-o",
        str(out),
        "--as-of",
        DATE,
        *extra,
    )
    assert r.exit_code == 2 and r.stdout == ""  # a member failed; the workbook is in the folder
    return (out / "summary.xlsx").read_bytes()


def test_the_xlsx_summary_reads_back_with_numbers_status_and_no_formula(tmp_path):
    data = _xlsx(tmp_path, "a", "--lang", "zh")
    assert data == _xlsx(tmp_path, "b", "--lang", "zh")  # byte for byte, whenever it is made
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["档案", "最常见的风险点", "评估失败"]
    ws = book["档案"]
    head = [c.value for c in ws[1]]
    assert tuple(head) == CSV_COLUMNS  # the columns of summary.csv
    assert ws.freeze_panes == "A2" and all(c.font.b for c in ws[1])
    rows = [dict(zip(head, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]
    assert [r["status"] for r in rows] == ["正常", "数据不足"]  # same score: by name
    assert [r["confidence"] for r in rows] == ["low", "low"]
    assert rows[0]["name"] == "=cmd|' /C calc'!A0" and ws["C2"].data_type == "s"  # text, never a formula
    assert rows[0]["as_of"] == dt.datetime(2020, 8, 27) and isinstance(rows[0]["score"], float)
    assert rows[0]["gmv_at_risk_cny_monthly"] == 3_000_000 and ws["G2"].number_format == "#,##0"
    assert "douyin.third_party_link_share" in rows[1]["key_fields_missing"]
    common = list(book["最常见的风险点"].iter_rows(min_row=2, values_only=True))
    assert common and all(isinstance(row[2], int) for row in common)
    failures = list(book["评估失败"].iter_rows(min_row=2, values_only=True))
    gone = tmp_path / "gone.toml"
    assert failures == [(str(gone), f"{gone}：文件或文件夹不存在")]  # said in --lang zh
    assert book.properties.modified == dt.datetime(2020, 8, 27)


def test_xlsx_to_stdout_goes_to_a_pipe_or_file_never_a_terminal(tmp_path, monkeypatch):
    survey = _gap_survey(tmp_path)
    piped = runner.invoke(app, ["batch", str(survey), "-f", "xlsx", "--as-of", DATE])
    assert piped.exit_code == 0 and piped.stdout_bytes.startswith(b"PK\x03\x04")
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    from mcn_advisor import cli

    monkeypatch.setattr(cli.sys.stdout, "isatty", lambda: True, raising=False)
    with pytest.raises(Exception, match="binary"):
        cli._no_binary_to_terminal("xlsx", "redirect stdout")


def test_the_table_fits_columns(tmp_path):
    survey = tmp_path / "s.csv"
    long = "An Agency With A Long Name (example)"
    survey.write_text(text_of(GAP, [[long, "10000000", "0.6", "0.4", "0.5"]]), encoding="utf-8")
    wide = run(str(survey), "--as-of", DATE).stdout
    assert long in wide
    narrow = run(str(survey), "--as-of", DATE, env={"COLUMNS": "120"}).stdout
    lines = [x for x in narrow.splitlines() if "Agency" in x or "s.csv" in x]
    assert lines and all(len(x) <= 120 for x in lines)
    assert "An Agency With …" in narrow or "An Agency With A…" in narrow


def test_a_piped_table_without_columns_is_80_wide(tmp_path, monkeypatch):
    survey = tmp_path / "s.csv"
    survey.write_text(
        text_of(GAP, [["An Agency With A Long Name (example)", "10000000", "0.6", "0.4", "0.5"]])
    )
    monkeypatch.delenv("COLUMNS", raising=False)
    out = runner.invoke(app, ["batch", str(survey), "--as-of", DATE], env={"NO_COLOR": "1"}).stdout
    assert out and max(len(line) for line in out.splitlines()) <= 80


def test_columns_after_chinese_and_other_wide_names_line_up(tmp_path):
    # The table counts the width of ASCII and common Chinese characters itself (fast); any
    # other character (full-width Latin, half-width kana, an accent) is counted by rich:
    # every column after the name starts at the same place on the screen whatever the mix.
    from rich.cells import cell_len

    names = ["星火文化", "Deer 鹿 7", "Ｆｕｌｌ 星", "ｱｲｳ", "Café 老铁", "e\u0301 鹿", "Plain"]
    survey = tmp_path / "s.csv"
    survey.write_text(text_of(GAP, [[n, "10000000", "0.6", "0.4", "0.5"] for n in names]), encoding="utf-8")
    out = run(str(survey), "--as-of", DATE).stdout
    lines = {n: line for line in out.splitlines() for n in names if n in line}
    assert len(lines) == len(names)
    starts = {cell_len(line[: line.index("CNY")]) for line in lines.values()}
    assert len(starts) == 1


def test_the_table_measures_text_as_rich_does_and_cuts_it_to_fit():
    # The batch table measures cells with render/cells.py (rich's widths without rich);
    # every character it measures must measure as rich does, alone and in any mix, and a
    # cut text fits.
    import random

    from rich.cells import cell_len

    from mcn_advisor.render import portfolio

    ranges = [(0x3000, 0x302A), (0x3030, 0x303F), (0x4E00, 0xA000), (0xFF01, 0xFF61)]
    known = [chr(c) for lo, hi in ranges for c in range(lo, hi)] + list("·×–—‘’“”…−")
    for ch in known:
        assert portfolio.cell_len(ch) == cell_len(ch), hex(ord(ch))
    rng = random.Random(7)
    alphabet = known[::97] + list("abc XYZ-0") + ["\u0301", "ｱ", "é", "\u302a", "\u303f", "😀"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30)))
        assert portfolio.cell_len(text) == cell_len(text), text
        width = rng.randrange(0, 25)
        cut = portfolio._cut(text, width)
        if cell_len(text) <= width:
            assert cut == text
        else:
            assert cut.endswith("…") and text.startswith(cut[:-1]) and cell_len(cut) <= max(width, 1)
            assert cell_len(text[: len(cut)]) > width - 1  # nothing more would have fitted


def test_rows_dated_long_after_the_policy_are_counted_and_told(tmp_path):
    """A row dated (by its as_of, else --as-of, else today) more than a year after the
    policy's last step is counted, and the summary says which date shows the plans."""
    survey = tmp_path / "survey.csv"
    survey.write_text(
        "agency.name,agency.monthly_gmv_cny,platform_mix.douyin_live,as_of\n"
        "A,1000000,1,2026-01-01\nB,2000000,1,2020-08-27\n",
        encoding="utf-8",
    )
    r = run(str(survey), "-f", "json")
    late = json.loads(r.stdout)["totals"]["late"]
    assert late == {"profiles": 1, "last_step": "2020-10-09", "suggested_as_of": "2020-08-27"}
    table = " ".join(run(str(survey), env={"COLUMNS": "80"}).stdout.split("\n"))  # lines of 80 columns
    assert "Assessed more than a year after the policy's last step (2020-10-09): 1 of them." in table
    assert "run with --as-of 2020-08-27" in table
    zh = run(str(survey), "--lang", "zh", env={"COLUMNS": "80"}).stdout.replace("\n", "")
    assert "其中 1 个档案的评估日期在本政策最后一步（2020-10-09）之后一年以上" in zh
    page = run(str(survey), "-f", "html").stdout
    assert (
        "<strong>Assessed more than a year after the policy&#39;s last step (2020-10-09): 1 of them.</strong>"
        in page
    )
    md = run(str(survey), "-f", "markdown").stdout
    assert "**Assessed more than a year after the policy's last step (2020-10-09): 1 of them.**" in md
    assert "assess them as of 2020-08-27" in md  # a client document names no command
    on_time = run(str(survey), "--as-of", "2020-08-27", "-f", "json")
    assert json.loads(on_time.stdout)["totals"]["late"] is None


@pytest.mark.parametrize(("shared_date", "shapes"), [(True, 1024), (False, 1024), (False, 2)])
def test_the_table_of_rows_measured_as_they_came_is_the_table_measured_after(
    tmp_path, monkeypatch, shared_date, shapes
):
    # A batch's rows come with their table cells and widths in the run's language, and the
    # tally keeps the widest (folding the distinct widths it has seen past SHAPES), so the
    # table is written in one pass over the rows. It must be the table a portfolio without
    # them gets (measured from its rows after the run), byte for byte, in either language,
    # at any width, with each row's date or not.
    import dataclasses

    from mcn_advisor.batch import run as batch
    from mcn_advisor.batch.discover import discover
    from mcn_advisor.core import portfolio as core
    from mcn_advisor.render import portfolio

    monkeypatch.setattr(core, "SHAPES", shapes)

    names = [
        "星火文化传媒有限公司 Spark Culture Media Group",
        "Ｆｕｌｌ 星",
        "e\u0301 鹿",
        "Plain",
        "鹿" * 30,
        "A",
    ]
    rows = [
        [n, f"{(i + 1) * 7_000_000}", "0.6", "0.4", "0.5", f"2020-0{8 + i % 2}-27"]
        for i, n in enumerate(names)
    ]
    rows.append(["No Link", "5000000", "0.6", "0.4", "", "2020-08-27"])  # insufficient data
    survey = tmp_path / "a survey with a long name, to cut.csv"
    survey.write_text(text_of([*GAP, "as_of"], rows), encoding="utf-8")
    for run_lang in ("en", "zh"):
        settings = batch.Settings(today=AS_OF, as_of=AS_OF if shared_date else None, lang=run_lang)
        measured = batch.run(discover([survey]), settings, jobs=1)
        assert measured.cells_lang == run_lang and (measured.as_of is None) != shared_date
        unmeasured = dataclasses.replace(measured, cells_lang=None)
        for lang in ("en", "zh"):
            for width in (30, 60, 80, 100, 120, 200, None):
                table = "".join(portfolio.table(measured, lang, width=width))
                assert table == "".join(portfolio.table(unmeasured, lang, width=width)), (lang, width)
                assert "数据不足" in table if lang == "zh" else "insufficient data" in table
