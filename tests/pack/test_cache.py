"""The validated pack cache: a pack is never served stale, and any doubt means building it again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mcn_advisor.errors import PackError
from mcn_advisor.files import cache
from mcn_advisor.pack import compile as pack_compile
from mcn_advisor.pack.compile import load_pack
from tests.conftest import ROOT

BUILTIN = (ROOT / "mcn_advisor" / "pack" / "builtin" / "douyin_2020.toml").read_text(encoding="utf-8")
TITLE = 'title = { en = "Douyin closes the loop on live commerce (2020)"'


@pytest.fixture
def own_cache(tmp_path, monkeypatch) -> Path:
    """An empty cache folder of this test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV, str(folder))
    return folder


@pytest.fixture
def built(monkeypatch) -> list[str]:
    """The sources of the packs built from their text (not recalled from the cache)."""
    sources: list[str] = []
    validate = pack_compile._validate

    def counting(text: str, source: str):
        sources.append(source)
        return validate(text, source)

    monkeypatch.setattr(pack_compile, "_validate", counting)
    return sources


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.cache")) if folder.exists() else []


def test_a_pack_is_built_once_then_recalled_the_same(own_cache, built, tmp_path):
    path = tmp_path / "pack.toml"
    path.write_text(BUILTIN, encoding="utf-8")
    first, second = load_pack(path), load_pack(path)
    assert built == [str(path)] and len(entries(own_cache)) == 1
    assert second.model == first.model and second.source == first.source == str(path)
    assert [c.rule.id for c in second.rules] == [c.rule.id for c in first.rules]


def test_a_changed_pack_is_never_served_stale(own_cache, built, tmp_path):
    path = tmp_path / "pack.toml"
    path.write_text(BUILTIN, encoding="utf-8")
    assert load_pack(path).model.pack.title.en.endswith("(2020)")
    # Same size, same modification time: only the text tells them apart.
    before = path.stat()
    path.write_text(BUILTIN.replace(TITLE, TITLE.replace("(2020)", "(2021)")), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert load_pack(path).model.pack.title.en.endswith("(2021)")
    assert len(built) == 2 and len(entries(own_cache)) == 2


def test_a_changed_program_does_not_read_what_another_stored(own_cache, built, tmp_path, monkeypatch):
    path = tmp_path / "pack.toml"
    path.write_text(BUILTIN, encoding="utf-8")
    load_pack(path)
    monkeypatch.setattr(cache, "code_version", lambda: "another version of mcn-advisor")
    load_pack(path)
    assert len(built) == 2


def test_a_bad_pack_is_never_stored(own_cache, tmp_path):
    path = tmp_path / "pack.toml"
    path.write_text(BUILTIN.replace("weight = 30", "weight = 31", 1), encoding="utf-8")
    for _ in range(2):  # the second load finds the same error: nothing was kept
        with pytest.raises(PackError, match="weights"):
            load_pack(path)
    assert entries(own_cache) == []


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x00" * 40 + b"garbage"])
def test_a_damaged_entry_is_built_again(own_cache, built, tmp_path, damage):
    path = tmp_path / "pack.toml"
    path.write_text(BUILTIN, encoding="utf-8")
    reference = load_pack(path).model
    (entry,) = entries(own_cache)
    entry.write_bytes(damage)
    assert load_pack(path).model == reference
    assert len(built) == 2
    assert load_pack(path).model == reference and len(built) == 2  # stored again, whole


def test_a_truncated_entry_is_built_again(own_cache, built, tmp_path):
    path = tmp_path / "pack.toml"
    path.write_text(BUILTIN, encoding="utf-8")
    load_pack(path)
    (entry,) = entries(own_cache)
    entry.write_bytes(entry.read_bytes()[:-100])  # the checksum no longer matches
    load_pack(path)
    assert len(built) == 2


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_folder_or_entry_others_may_write_to_is_not_trusted(own_cache, built, tmp_path):
    path = tmp_path / "pack.toml"
    path.write_text(BUILTIN, encoding="utf-8")
    load_pack(path)
    (entry,) = entries(own_cache)
    entry.chmod(0o666)
    load_pack(path)  # the entry could hold anyone's bytes: built again
    assert len(built) == 2
    own_cache.chmod(0o777)
    for entry in entries(own_cache):
        entry.unlink()
    load_pack(path)
    assert len(built) == 3 and entries(own_cache) == []  # nothing read from it, nothing stored in it


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_symlink_in_place_of_the_folder_is_not_followed(tmp_path, built, monkeypatch):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    monkeypatch.setenv(cache.ENV, str(link))
    path = tmp_path / "pack.toml"
    path.write_text(BUILTIN, encoding="utf-8")
    load_pack(path)
    load_pack(path)
    assert len(built) == 2 and entries(real) == []


def test_the_cache_can_be_turned_off(tmp_path, built, monkeypatch):
    monkeypatch.setenv(cache.ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "pack.toml"
    path.write_text(BUILTIN, encoding="utf-8")
    load_pack(path)
    load_pack(path)
    assert len(built) == 2 and not (tmp_path / "xdg").exists()


def test_the_default_folder_is_the_user_s_cache(monkeypatch, tmp_path):
    monkeypatch.delenv(cache.ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.folder() == tmp_path / "xdg" / "mcn-advisor"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache.folder() == tmp_path / ".cache" / "mcn-advisor"


def test_the_folder_keeps_only_the_latest_entries(own_cache, monkeypatch):
    monkeypatch.setattr(cache, "KEEP", 3)
    for n in range(5):
        cache.write(f"key{n}", b"data")
        os.utime(own_cache / f"key{n}.cache", ns=(n, n))  # written in this order
    assert [p.name for p in entries(own_cache)] == ["key2.cache", "key3.cache", "key4.cache"]
    assert cache.read("key4") == b"data" and cache.read("key0") is None


def test_the_message_catalogue_is_recalled_as_parsed(own_cache, monkeypatch):
    from mcn_advisor import i18n
    from mcn_advisor.files.toml import tomllib  # tomli before Python 3.11

    fresh = tomllib.loads((ROOT / "mcn_advisor" / "i18n" / "messages.toml").read_text(encoding="utf-8"))
    for _ in range(2):  # built and stored, then recalled
        i18n.messages.cache_clear()
        assert i18n.messages()["zh"] == {key: pair["zh"] for key, pair in fresh.items()}
    assert len(entries(own_cache)) == 1
    i18n.messages.cache_clear()


def test_an_entry_is_given_back_only_for_the_same_kind_text_and_type(own_cache):
    cache.remember("kind", "text", {"a": 1})
    assert cache.recall("kind", "text", dict) == {"a": 1}
    assert cache.recall("kind", "text ", dict) is None
    assert cache.recall("other kind", "text", dict) is None
    assert cache.recall("kind", "text", list) is None


def _kinds(node: object) -> set[str]:
    """The classes a pack's parts are made of, walked through records, lists and tables."""
    import dataclasses

    if dataclasses.is_dataclass(node):
        parts = (getattr(node, f.name) for f in dataclasses.fields(node))
        return {type(node).__module__}.union(*map(_kinds, parts))
    if isinstance(node, dict):
        return set().union(*map(_kinds, node.values()))
    if isinstance(node, list):
        return set().union(*map(_kinds, node))
    return {type(node).__module__}


def test_a_pack_is_the_same_records_validated_or_recalled(own_cache, built):
    fresh = load_pack(ROOT / "mcn_advisor" / "pack" / "builtin" / "douyin_2020.toml")
    recalled = load_pack(ROOT / "mcn_advisor" / "pack" / "builtin" / "douyin_2020.toml")
    assert len(built) == 1 and recalled.model == fresh.model  # the second from the cache
    # Records of the pack's own modules, texts and profiles: nothing of the models that
    # validated it, so a recalled pack needs none of them.
    assert _kinds(fresh.model) == {
        "mcn_advisor.pack.schema",
        "mcn_advisor.pack.conditions",
        "mcn_advisor.i18n.text",
        "mcn_advisor.profile.model",
        "builtins",
        "datetime",
    }
    assert type(fresh.model.fixtures[0].profile).__name__ == "Profile"


def test_a_pack_from_the_cache_makes_no_pydantic_model_of_it(own_cache):
    import subprocess
    import sys

    probe = (
        "import sys; from mcn_advisor.pack.compile import builtin_pack; builtin_pack(); "
        "print('mcn_advisor.pack.models' in sys.modules)"
    )
    runs = [
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    ]
    assert runs == ["True\n", "False\n"]  # validated once, then recalled
