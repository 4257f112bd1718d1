"""The MCN's profile: the format, reading it from TOML and CSV, and its accepted risks."""
