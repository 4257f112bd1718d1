"""Shared fixtures: the built-in pack, the example profiles, profile files to break, and goldens.

Golden files (``tests/golden/``, and the generated docs) are compared byte for byte. After
an intended change, regenerate every one of them with the one command

    UPDATE_GOLDEN=1 pytest -m golden

and review the diff like code. A test that compares a golden uses ``check_golden``; the
``golden`` marker is added to it by ``pytest_collection_modifyitems`` below.
"""

from __future__ import annotations

import atexit
import dataclasses
import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from mcn_advisor.i18n.text import Text
from mcn_advisor.pack.compile import Pack, builtin_pack
from mcn_advisor.profile.load import load_profile
from mcn_advisor.profile.model import Profile

# The run's own cache folder (files/cache.py): never the user's, and empty when the run starts.
os.environ["MCN_ADVISOR_CACHE"] = CACHE = tempfile.mkdtemp(prefix="mcn-advisor-test-cache-")
atexit.register(shutil.rmtree, CACHE, ignore_errors=True)

# Property tests are reproducible and never fail on timing: timings belong in benchmarks.
settings.register_profile("repo", derandomize=True, deadline=None, max_examples=150)
settings.load_profile("repo")

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "profiles"
GOLDEN = Path(__file__).resolve().parent / "golden"
AS_OF = dt.date(2020, 8, 27)

GOOD = """\
schema_version = 1

[agency]
name = "Test MCN"
monthly_gmv_cny = 10_000_000
commission_rate = 0.20

[platform_mix]
douyin_live = 0.5
kuaishou = 0.5
"""


@pytest.fixture(scope="session")
def pack() -> Pack:
    return builtin_pack()


def example(name: str) -> Profile:
    return load_profile(PROFILES / f"{name}.toml")


@pytest.fixture
def write(tmp_path: Path):
    """Write text (or bytes) to a file in a temporary folder and return its path."""

    def _write(content: str | bytes, name: str = "profile.toml") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


# --- golden files ------------------------------------------------------------------------

UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"
GOLDEN_COMMAND = "UPDATE_GOLDEN=1 pytest -m golden"


def pack_texts(node: object, where: str = "") -> Iterator[tuple[str, Text]]:
    """Every ``Text`` in a pack's parts (records, lists, tables), with where it is."""
    if isinstance(node, Text):
        yield where, node
    elif dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            yield from pack_texts(getattr(node, f.name), f"{where}.{f.name}")
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from pack_texts(value, f"{where}.{key}")
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from pack_texts(value, f"{where}[{i}]")


def check_golden(path: Path, text: str) -> None:
    """``text`` must equal the committed file at ``path`` (with UPDATE_GOLDEN=1: write it)."""
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} missing: run {GOLDEN_COMMAND}"
    assert text == path.read_text(encoding="utf-8"), f"{path} differs; if intended: {GOLDEN_COMMAND}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test that reads a golden (its module calls check_golden) runs under -m golden.
    for item in items:
        module = getattr(item, "module", None)
        if module is not None and any(v is check_golden for v in vars(module).values()):
            item.add_marker(pytest.mark.golden)
