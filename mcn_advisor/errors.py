"""The failures a user can cause, each naming its place; the CLI turns them into exit code 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad input: a file that cannot be read, parsed or validated, or a bad option.

    ``problems`` holds one line per problem, each already naming its file and
    line or field, so the CLI prints them as they are.
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class ProfileError(InputError):
    """A profile file that cannot be read, parsed or validated."""


class PackError(InputError):
    """A policy pack that cannot be read, parsed or validated."""
