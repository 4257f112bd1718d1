"""Shared fixtures: the built-in pack, the example profiles, and profile files to break."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import settings

from mcn_advisor.pack.compile import Pack, builtin_pack
from mcn_advisor.profile.load import load_profile
from mcn_advisor.profile.model import Profile

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
