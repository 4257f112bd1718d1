"""Loading profiles from TOML files (or already-parsed data) with precise errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mcn_advisor.errors import ProfileError, say, show_value
from mcn_advisor.files.problems import describe
from mcn_advisor.files.read import read_text
from mcn_advisor.files.toml import key_lines, line_of, parse_toml
from mcn_advisor.profile import acceptance
from mcn_advisor.profile.acceptance import Rules
from mcn_advisor.profile.model import HOMES, SCHEMA_VERSION, Profile


def load_profile(path: Path | str, rules: Rules | None = None) -> Profile:
    """Read, parse and validate one profile file; raise ``ProfileError`` listing every problem.

    With ``rules`` (``pack.select.rule_book(packs)``, or a function returning it, called
    only when the profile accepts a risk), its ``accepted_risks`` must also name risk
    rules of those packs.
    """
    path = Path(path)
    text = read_text(path, ProfileError)
    data = parse_toml(text, path, ProfileError)
    if "agency" not in data and "pack" in data:  # a policy pack given where a profile belongs
        raise ProfileError(
            say("{path}: this is a policy pack, not a profile; pass it with --policy {path}", path=path)
        )
    profile = profile_from_data(data, path, lambda: key_lines(text))
    if rules is not None:
        acceptance.check(profile, rules, path, lambda: key_lines(text))
    return profile


def profile_from_data(data: dict[str, Any], source: Path | str, lines: Any = dict) -> Profile:
    """Validate parsed profile data; ``lines()`` gives key lines, computed only on error."""
    try:
        _check_version(data, source, lines)
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(describe(exc, Profile, source, lines(), elsewhere=HOMES)) from None


def _check_version(data: dict[str, Any], source: Path | str, lines: Any) -> None:
    # Another version's fields would only produce noise: say that one thing and stop.
    version = data.get("schema_version")
    if "schema_version" not in data:
        raise ProfileError(
            say(
                "{source}: schema_version: is required; add 'schema_version = {version}' as the first line",
                source=source,
                version=SCHEMA_VERSION,
            )
        )
    if type(version) is not int or version != SCHEMA_VERSION:
        line = line_of(lines(), ("schema_version",))
        where = f"{source}:{line}" if line else str(source)
        raise ProfileError(
            say(
                "{where}: schema_version: unsupported version {version}; this mcn-advisor reads profiles "
                "of schema_version {supported}",
                where=where,
                version=show_value(version),
                supported=SCHEMA_VERSION,
            )
        )
