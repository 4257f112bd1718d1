"""Reading and writing files: TOML with lines, error lines, whole-file writes, saved JSON."""
