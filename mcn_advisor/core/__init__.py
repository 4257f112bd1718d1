"""The pure assessment: profile and packs in, results out. No file, no clock, no terminal."""
