"""Files in and out: the one rule for writing, bounded reading, the TOML bounds and key lines."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from mcn_advisor.errors import InputError, show_value, visible
from mcn_advisor.files.limits import MAX_DIGITS, MAX_KEY_PARTS, MAX_NESTING
from mcn_advisor.files.read import read_text
from mcn_advisor.files.toml import check_shape, key_lines, parse_toml, parse_value
from mcn_advisor.files.write import NAME_MAX, one_run, protect, write_atomic

# --- writing -----------------------------------------------------------------------------


@pytest.fixture
def run():
    """A run: the files read inside it are protected from its writes, and forgotten after."""
    with one_run():
        yield


def test_a_file_the_run_read_is_never_written_over_whatever_the_path(tmp_path: Path, run: None):
    profile = tmp_path / "p.toml"
    profile.write_text("schema_version = 1\n")
    read_text(profile)  # reading registers it
    (tmp_path / "sub").mkdir()
    os.link(profile, tmp_path / "hard.md")
    os.symlink("p.toml", tmp_path / "soft.md")
    for spelling in ("p.toml", "sub/../p.toml", "hard.md", "soft.md"):
        with pytest.raises(InputError, match="is an input of this run"):
            write_atomic(tmp_path / spelling, "report")
    assert profile.read_text() == "schema_version = 1\n"
    assert (tmp_path / "hard.md").stat().st_ino == profile.stat().st_ino  # the hard link is still the input


def test_outside_a_run_nothing_read_before_is_protected(tmp_path: Path):
    path = tmp_path / "p.toml"
    path.write_text("x")
    with one_run():
        read_text(path)
    with one_run():
        write_atomic(path, "y")  # another run: the file is no input of this one
    assert path.read_text() == "y"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX only")
def test_only_regular_files_are_written(tmp_path: Path, run: None):
    os.mkfifo(tmp_path / "pipe.md")
    (tmp_path / "dir").mkdir()
    with pytest.raises(
        InputError, match=r"pipe\.md: is a named pipe \(FIFO\); only regular files are written"
    ):
        write_atomic(tmp_path / "pipe.md", "x")
    with pytest.raises(InputError, match="is a folder"):
        write_atomic(tmp_path / "dir", "x")
    with pytest.raises(InputError, match="/dev/null: is a device"):
        write_atomic(Path("/dev/null"), "x")
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe.md").st_mode)


def test_a_symbolic_link_out_of_the_folder_is_not_followed(tmp_path: Path, run: None):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    os.symlink("../victim.txt", out / "summary.csv")
    os.symlink("inside.md", out / "link.md")
    with pytest.raises(InputError, match=r"summary\.csv: is a symbolic link out of"):
        write_atomic(out / "summary.csv", "x", within=out)
    write_atomic(out / "link.md", "inside", within=out)  # a link within the folder is fine
    assert victim.read_text() == "precious"
    assert (out / "inside.md").read_text() == "inside"


def test_a_long_name_gets_a_temporary_name_that_fits(tmp_path: Path, run: None):
    name = "机" * 80 + ".json"  # 245 bytes: the name fits, ".NAME.XXXXXXXX.tmp" would not
    write_atomic(tmp_path / name, "{}")
    assert (tmp_path / name).read_text() == "{}"
    with pytest.raises(InputError, match="File name too long"):
        write_atomic(tmp_path / ("r" * (NAME_MAX + 1)), "x")
    assert os.listdir(tmp_path) == [name]


def test_an_interrupted_write_leaves_no_temporary_file(
    tmp_path: Path, run: None, monkeypatch: pytest.MonkeyPatch
):
    def stop(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", stop)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "r.md", "x")
    assert os.listdir(tmp_path) == []


def test_a_write_error_is_one_line_naming_the_file(
    tmp_path: Path, run: None, monkeypatch: pytest.MonkeyPatch
):
    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(InputError) as caught:
        write_atomic(tmp_path / "r.md", "x")
    assert caught.value.problems == [f"{tmp_path / 'r.md'}: cannot write (No space left on device)"]
    assert os.listdir(tmp_path) == []


def test_protect_takes_a_path(tmp_path: Path, run: None):
    path = tmp_path / "in.csv"
    path.write_text("a")
    protect(path)
    with pytest.raises(InputError, match="is an input"):
        write_atomic(path, "b")


# --- reading -------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX only")
def test_a_fifo_or_a_device_is_refused_before_reading(tmp_path: Path):
    os.mkfifo(tmp_path / "p.toml")
    done = threading.Event()
    problems: list[str] = []

    def read() -> None:
        try:
            read_text(tmp_path / "p.toml")
        except InputError as exc:
            problems.extend(exc.problems)
        done.set()

    threading.Thread(target=read, daemon=True).start()
    assert done.wait(5), "reading a FIFO hangs"
    assert problems == [f"{tmp_path / 'p.toml'}: is a named pipe (FIFO); only regular files are read"]
    for device in ("/dev/zero", "/dev/urandom"):
        with pytest.raises(InputError, match=f"{device}: is a device"):
            read_text(device)


def test_a_file_over_its_limit_is_refused_unread(tmp_path: Path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 2048)
    with pytest.raises(InputError, match=r"big\.csv: larger than 0 MiB .* the most a file may hold"):
        read_text(path, limit=1024)
    assert read_text(path, limit=4096) == "x" * 2048


# --- TOML within bounds --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "a = 1\nx = " + "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1),
            f"f:2: nested more than {MAX_NESTING}",
        ),
        ("x = " + "{a = " * (MAX_NESTING + 1) + "1" + "}" * (MAX_NESTING + 1), "f:1: nested more than"),
        (
            "\n" + ".".join(["a"] * (MAX_KEY_PARTS + 1)) + " = 1",
            f"f:2: a dotted key of more than {MAX_KEY_PARTS}",
        ),
        ('"a".' * (MAX_KEY_PARTS + 1) + "b = 1", "f:1: a dotted key"),
        ("x = 1" + "0" * MAX_DIGITS, f"f:1: a number of more than {MAX_DIGITS:,} digits: x = 100000"),
    ],
)
def test_shapes_past_the_bounds_are_refused_with_their_line(text: str, message: str):
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        check_shape(text, "f")


def test_what_strings_and_comments_hold_does_not_count():
    deep = "[" * (MAX_NESTING + 5)
    text = f'x = "{deep}"\ny = \'{deep}\'\nz = """\n{deep}\n"""\n# {deep}\nw = [[1], [2]]\n'
    check_shape(text, "f")
    assert parse_toml(text, "f")["w"] == [[1], [2]]
    check_shape("x = " + "[" * MAX_NESTING + "]" * MAX_NESTING, "f")  # at the bound: fine


def test_parse_value_refuses_a_second_key_and_deep_nesting():
    assert parse_value("0.3") == 0.3
    with pytest.raises(ValueError, match="more than one value"):
        parse_value("5\nw = 1")
    with pytest.raises(ValueError, match="nested more than"):
        parse_value("[" * 100 + "]" * 100)


def test_key_lines_point_at_each_item_and_key():
    text = (
        "a = [ # a comment\n"
        '  "x", # another\n'
        "  [1, 2],\n"
        "  { b = 1 },\n"
        '  """multi\n'
        'line""", 5\n'
        "]\n"
        '"达人\\u0041" = 1\n'
        "[[t]]\n"
        "[[t]]\n"
        "[t.s]\n"
        "z = 3\n"
    )
    lines = key_lines(text)
    assert [lines[("a", i)] for i in range(5)] == [2, 3, 4, 5, 6]
    assert lines[("a", 2, "b")] == 4
    assert lines[("达人A",)] == 8  # a quoted key's escape resolved as TOML reads it
    assert lines[("t", 1, "s", "z")] == 12


def test_key_lines_of_a_long_list_are_found_in_one_pass():
    items = "".join(f'  "p{i}",\n' for i in range(50_000))
    lines = key_lines(f"partners = [\n{items}  42,\n]\n")
    assert lines[("partners", 50_000)] == 50_002


# --- values shown in messages --------------------------------------------------------------


def test_show_value_never_writes_a_huge_value_whole():
    assert show_value(10**5000) == "an integer of about 5,001 digits"
    assert len(show_value(list(range(1_000_000)))) == 60
    assert len(show_value("x" * 1_000_000)) == 60
    assert show_value({"a": [1, "b\x1b[31m"]}) == '{a = [1, "b\u241b[31m"]}'


def test_visible_shows_controls_and_keeps_text():
    assert visible("plain 文字") == "plain 文字"
    assert visible("\x1b]0;title\x07\x1b[31mred\x9b\u202e") == "\u241b]0;title\u2407\u241b[31mred\\x9b\\u202e"
    assert visible("a\nb\tc") == "a\nb\tc"
    assert visible("a\nb", one_line=True) == "a\u2424b"
